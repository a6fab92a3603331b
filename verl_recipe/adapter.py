"""SEED-Bench-R1 annotation files -> verl 0.9.1 parquet (RL rows for ``RLHFDataset``; SFT rows in :mod:`.sft`).

One RL row per question (PROTOCOL.md 6)::

    prompt        [{"role": "user", "content": "<video><image>{question text}"}]   (<video> only with progress)
    videos        [{"video": abs path, fps, min_frames, max_frames, resized_height, resized_width}] or []
    images        [{"image": abs path, resized_height, resized_width}]
    data_source   seedbench_r1_l1 / _l2 / _l3 / _train  (verl groups validation metrics by it)
    ability       "egocentric_planning"
    reward_model  {"style": "rule", "ground_truth": gold letter}
    extra_info    {index, sample_id (str), split, level, options (4 texts), answer, domain ("" outside L3),
                   scenario, has_video}

Every row has the same non-null keys (parquet fills a missing key with null and qwen-vl-utils then fails),
and the Arrow schema is fixed, not inferred, so files with and without clips concatenate. The placeholders are
consumed by verl in order, and their order is the core's :func:`seedbench_r1.prompt_content`; the text is the
core's :func:`seedbench_r1.render_question`. Training rows get their options from the core's seeded rule.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pyarrow as pa
import pyarrow.parquet as pq

from seedbench_r1.annotations import SplitData, load_split
from seedbench_r1.content import prompt_content
from seedbench_r1.errors import AnnotationError, MediaError
from seedbench_r1.protocol import LETTERS
from seedbench_r1.schema import Sample, TrainingSample
from verl_recipe.media import MediaLayout, image_entry, media_types, video_entry

ABILITY = "egocentric_planning"
# verl splits the prompt string on these; a question containing one would desynchronise the media lists.
PLACEHOLDERS = ("<image>", "<video>", "<audio>")


@dataclass
class ConvertReport:
    """What a conversion did: rows written, rows skipped (by reason), gold-letter spread, timing."""

    split: str
    kind: Literal["rl", "sft"]
    source: Path
    out: Path
    written: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    gold_letters: Counter[str] = field(default_factory=Counter)
    with_video: int = 0
    seconds: float = 0.0

    def lines(self) -> list[str]:
        out = [
            f"{self.split} ({self.kind} rows) from {self.source}",
            f"  wrote {self.written} rows to {self.out} in {self.seconds:.1f}s "
            f"({self.with_video} with a progress clip, {self.written - self.with_video} image only)",
        ]
        if self.gold_letters:
            spread = ", ".join(f"{x} {self.gold_letters.get(x, 0)}" for x in LETTERS)
            out.append(f"  gold letters: {spread}")
        total_skipped = sum(self.skipped.values())
        out.append(f"  skipped {total_skipped} rows" + (":" if total_skipped else ""))
        out += [f"    {n} x {reason}" for reason, n in self.skipped.most_common()]
        return out


def prompt_parts(sample: Sample, layout: MediaLayout) -> tuple[str, list[dict], list[dict]]:
    """(prompt text with placeholders, videos, images) of one question, in the core's content order."""
    text_parts: list[str] = []
    videos: list[dict[str, Any]] = []
    images: list[dict[str, Any]] = []
    who = f"sample {sample.key}: "
    # The core resolves paths against a root; the relative paths are what the media functions take.
    for item in prompt_content(sample, layout.root):
        if item.kind == "video":
            text_parts.append("<video>")
            videos.append(video_entry(sample.video_relpath, layout, who=who))
        elif item.kind == "image":
            text_parts.append("<image>")
            images.append(image_entry(sample.image_relpath, layout, who=who))
        else:
            text_parts.append(item.value)
    return "".join(text_parts), videos, images


def _check_text(sample: Sample, source: Path) -> None:
    for name, text in (
        ("question", sample.question),
        *zip(("choice_a", "choice_b", "choice_c", "choice_d"), sample.choices, strict=True),
    ):
        for token in PLACEHOLDERS:
            if token in text:
                raise AnnotationError(
                    source,
                    None,
                    name,
                    f"contains {token!r}, which verl reads as a media placeholder",
                    sample_id=sample.sample_id,
                )


def rl_row(sample: Sample, index: int, layout: MediaLayout, data_source: str, level: str) -> dict[str, Any]:
    """One verl RL row (see the module docstring for the layout)."""
    text, videos, images = prompt_parts(sample, layout)
    return {
        "data_source": data_source,
        "prompt": [{"role": "user", "content": text}],
        "videos": videos,
        "images": images,
        "ability": ABILITY,
        "reward_model": {"style": "rule", "ground_truth": sample.gold},
        "extra_info": {
            "index": index,
            "sample_id": str(sample.sample_id),
            "split": sample.split,
            "level": level,
            "options": list(sample.choices),
            "answer": sample.answer,
            "domain": sample.domain,
            "scenario": sample.scenario,
            "has_video": sample.has_video,
        },
    }


def rl_schema(layout: MediaLayout) -> pa.Schema:
    video_type, image_type = media_types(layout)
    s = pa.string()
    return pa.schema(
        [
            ("data_source", s),
            ("prompt", pa.list_(pa.struct([("role", s), ("content", s)]))),
            ("videos", pa.list_(video_type)),
            ("images", pa.list_(image_type)),
            ("ability", s),
            ("reward_model", pa.struct([("style", s), ("ground_truth", s)])),
            (
                "extra_info",
                pa.struct(
                    [
                        ("index", pa.int64()),
                        ("sample_id", s),
                        ("split", s),
                        ("level", s),
                        ("options", pa.list_(s)),
                        ("answer", s),
                        ("domain", s),
                        ("scenario", s),
                        ("has_video", pa.bool_()),
                    ]
                ),
            ),
        ]
    )


def write_parquet_atomic(rows: list[dict[str, Any]], schema: pa.Schema, out: Path) -> None:
    """Write ``rows`` to ``out`` through a temp file in the same folder and ``os.replace``: a reader (or a
    crash) never sees half a file."""
    out.parent.mkdir(parents=True, exist_ok=True)
    table = pa.Table.from_pylist(rows, schema=schema)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    try:
        pq.write_table(table, tmp)
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)


def _progress(items: list[Any], desc: str, enabled: bool) -> Iterable[Any]:
    if not enabled:
        return items
    from tqdm import tqdm

    return tqdm(items, desc=desc, unit="row", mininterval=0.5, leave=False)


def _reason(exc: Exception) -> str:
    """A skip reason that groups alike errors (the field, or the error's first words)."""
    if isinstance(exc, AnnotationError):
        return f"bad annotation: field {exc.field!r}: {exc.reason.split(':')[0][:80]}"
    reason = getattr(exc, "reason", None)  # set on the adapter's own media errors
    return f"{type(exc).__name__}: {reason or str(exc)[:120]}"


def convert_rows(
    data: SplitData,
    build: Callable[[Any, int], dict[str, Any]],
    report: ConvertReport,
    *,
    on_error: Literal["raise", "skip"],
    check_media: Callable[[dict[str, Any]], None] | None,
    progress: bool,
) -> list[dict[str, Any]]:
    """Rows built from ``data``'s records; bad ones raise, or are counted by reason with ``on_error="skip"``."""
    for err in data.errors:
        report.skipped[_reason(err)] += 1
    rows: list[dict[str, Any]] = []
    for record in _progress(data.records, f"prepare-verl {data.info.name}", progress):
        try:
            row = build(record, len(rows))
            if check_media is not None:
                check_media(row)
        except (AnnotationError, MediaError, ValueError) as exc:
            if on_error == "raise":
                raise
            report.skipped[_reason(exc)] += 1
            continue
        rows.append(row)
    return rows


def media_exists(row: dict[str, Any]) -> None:
    """Raise MediaError when a file a row names is missing (only with ``--check-media``; opens nothing)."""
    paths: list[str] = []
    for video in row.get("videos") or []:
        v = video["video"]
        paths += v if isinstance(v, list) else [v]
    paths += [image["image"] for image in row.get("images") or []]
    for p in paths:
        if not Path(p).is_file():
            sid = (row.get("extra_info") or {}).get("sample_id", "?")
            err = MediaError(f"sample {sid}: media file missing: {p}")
            err.reason = "media file missing"  # type: ignore[attr-defined]
            raise err


def prepare_rl(
    root: str | os.PathLike[str] | None,
    split: str,
    out: str | os.PathLike[str],
    *,
    seed: int = 0,
    media_root: str | os.PathLike[str] | None = None,
    frame_cache: str | os.PathLike[str] | None = None,
    on_error: Literal["raise", "skip"] = "raise",
    check_media: bool = False,
    progress: bool = True,
) -> ConvertReport:
    """Write the verl RL parquet of one split (training rows get options by the core's seeded rule)."""
    from seedbench_r1.root import resolve_root

    start = time.perf_counter()
    resolved = resolve_root(root)
    data = load_split(resolved, split, on_error=on_error)
    if data.info.kind == "cot":
        raise ValueError(f"{split} holds SFT rows: use prepare_sft (the CLI picks it for the CoT file)")
    layout = MediaLayout.make(resolved, media_root, frame_cache)
    report = ConvertReport(data.info.name, "rl", data.path, Path(out))
    level = data.info.level or ""

    def build(record: Sample | TrainingSample, index: int) -> dict[str, Any]:
        sample = record.to_sample(seed) if isinstance(record, TrainingSample) else record
        _check_text(sample, data.path)
        return rl_row(sample, index, layout, data.info.data_source, level)

    rows = convert_rows(
        data,
        build,
        report,
        on_error=on_error,
        check_media=media_exists if check_media else None,
        progress=progress,
    )
    if not rows:
        raise ValueError(f"{data.path}: no usable rows to write ({sum(report.skipped.values())} skipped)")
    write_parquet_atomic(rows, rl_schema(layout), Path(out))
    report.written = len(rows)
    report.with_video = sum(1 for r in rows if r["videos"])
    report.gold_letters = Counter(r["reward_model"]["ground_truth"] for r in rows)
    report.seconds = time.perf_counter() - start
    return report


def is_sft_split(root: str | os.PathLike[str] | None, split: str) -> bool:
    """Whether ``split`` is a CoT (SFT) file, by the core's split registry / first row."""
    from seedbench_r1.annotations import annotation_path, split_info

    path = annotation_path(root, split)
    return split_info(split, path if path.is_file() else None).kind == "cot"


__all__ = [
    "ABILITY",
    "ConvertReport",
    "is_sft_split",
    "prepare_rl",
    "prompt_parts",
    "rl_row",
    "rl_schema",
    "write_parquet_atomic",
]
