"""SEED-Bench-R1 annotation files -> verl 0.9.1 parquet (RL rows for ``RLHFDataset``; SFT rows in :mod:`.sft`).

One RL row per question (verl's RLHFDataset layout)::

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

import errno
import json
import os
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypedDict

import pyarrow as pa
import pyarrow.parquet as pq

from seedbench_r1.protocol.annotations import SplitData, load_split
from seedbench_r1.protocol.constants import LETTERS
from seedbench_r1.protocol.content import prompt_content
from seedbench_r1.protocol.errors import AnnotationError, MediaError, UsageError
from seedbench_r1.protocol.schema import Sample, TrainingSample
from verl_recipe.media import MediaLayout, image_entry, media_types, video_entry

if TYPE_CHECKING:
    from typing_extensions import Unpack

ABILITY = "egocentric_planning"
# verl splits the prompt string on these; a question containing one would desynchronise the media lists.
PLACEHOLDERS = ("<image>", "<video>", "<audio>")
SHOW_SKIPPED = 20  # skipped rows named in the console; the JSON file beside the output names them all


@dataclass(frozen=True)
class SkippedRow:
    """One row left out with ``--skip-bad-rows``: where it is, which sample, what is wrong."""

    file: str
    line: int | None
    sample_id: int | str | None
    field: str | None
    reason: str

    def __str__(self) -> str:
        parts = [self.file if self.line is None else f"{self.file}:{self.line}"]
        if self.sample_id is not None:
            parts.append(f"sample {self.sample_id!r}")
        if self.field is not None:
            parts.append(f"field {self.field!r}")
        return ": ".join([*parts, self.reason])

    def to_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "line": self.line,
            "sample_id": self.sample_id,
            "field": self.field,
            "reason": self.reason,
        }


@dataclass
class ConvertReport:
    """What a conversion did: rows written, rows skipped (by reason, and each one), gold-letter spread, timing."""

    split: str
    kind: Literal["rl", "sft"]
    source: Path
    out: Path
    written: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    skipped_rows: list[SkippedRow] = field(default_factory=list)
    skipped_file: Path | None = None  # the JSON list of every skipped row, beside the output
    gold_letters: Counter[str] = field(default_factory=Counter)
    with_video: int = 0
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)  # checks made (or not made), one line each

    def skip(self, row: SkippedRow, group: str) -> None:
        self.skipped[group] += 1
        self.skipped_rows.append(row)

    def lines(self) -> list[str]:
        out = [
            f"{self.split} ({self.kind} rows) from {self.source}",
            f"  wrote {self.written} rows to {self.out} in {self.seconds:.1f}s "
            f"({self.with_video} with a progress clip, {self.written - self.with_video} image only)",
        ]
        if self.gold_letters:
            spread = ", ".join(f"{x} {self.gold_letters.get(x, 0)}" for x in LETTERS)
            out.append(f"  gold letters: {spread}")
        out += [f"  {note}" for note in self.notes]
        total_skipped = sum(self.skipped.values())
        out.append(f"  skipped {total_skipped} rows" + (":" if total_skipped else ""))
        out += [f"    {n} x {reason}" for reason, n in self.skipped.most_common()]
        if self.skipped_rows:
            where = f", all in {self.skipped_file}" if self.skipped_file else ""
            out.append(f"  skipped rows (file:line, sample, reason){where}:")
            out += [f"    {row}" for row in self.skipped_rows[:SHOW_SKIPPED]]
            if len(self.skipped_rows) > SHOW_SKIPPED:
                out.append(f"    ... and {len(self.skipped_rows) - SHOW_SKIPPED} more{where}")
        return out

    def skipped_json(self) -> dict[str, Any]:
        return {
            "split": self.split,
            "source": str(self.source),
            "out": str(self.out),
            "skipped": len(self.skipped_rows),
            "by_reason": dict(self.skipped.most_common()),
            "rows": [row.to_json() for row in self.skipped_rows],
        }


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


def skipped_file_of(out: str | os.PathLike[str]) -> Path:
    """The JSON list of the rows a conversion skipped: ``<out>.skipped.json``, beside the output."""
    out = Path(out)
    return out.with_name(f"{out.name}.skipped.json")


def check_output(out: str | os.PathLike[str], *, overwrite: bool) -> None:
    """Refuse, before any work, an output that cannot or must not be written: a folder, a path under a file,
    a folder that refuses writes, or an existing file (or its skipped-rows list) without ``overwrite``."""
    out = Path(out)
    if out.is_dir():
        raise UsageError(f"--out {out} is a folder: name the .parquet file to write")
    for parent in out.parents:  # the nearest existing folder is where the output's folders get made
        if parent.exists():
            if not parent.is_dir():
                raise UsageError(f"--out {out}: {parent} is a file, not a folder")
            break
    if not overwrite:
        for existing in (out, skipped_file_of(out)):
            if existing.exists() or existing.is_symlink():
                raise UsageError(f"{existing} exists: pass --overwrite to replace it (nothing was written)")
    try:  # a read-only folder fails now, not after the conversion; the probe is removed at once
        fd, probe = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".probe", dir=parent)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise _naming(exc, out) from None


def _naming(exc: OSError, out: Path) -> OSError:
    """``exc`` as an OSError that names the output (not a temp file) and the OS's plain reason."""
    reason = os.strerror(exc.errno) if exc.errno else (exc.strerror or str(exc))
    return OSError(exc.errno or errno.EIO, reason, str(out))


def write_parquet_atomic(
    rows: list[dict[str, Any]], schema: pa.Schema, out: Path, *, skipped: dict[str, Any] | None = None
) -> None:
    """Write ``rows`` to ``out`` (and ``skipped``, the skipped-rows list, to :func:`skipped_file_of`) through
    temp files in the same folder and ``os.replace``: a reader (or a crash) never sees half a file, and on any
    failure (disk full, permissions) the temp files are removed, nothing is left behind, and the error names
    ``out``. Without ``skipped`` a skipped-rows list left beside ``out`` by an earlier run is removed."""
    out = Path(out)
    side = skipped_file_of(out)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    side_tmp = side.with_name(f".{side.name}.{os.getpid()}.tmp")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        table = pa.Table.from_pylist(rows, schema=schema)
        pq.write_table(table, tmp)
        if skipped is not None:
            with open(side_tmp, "w", encoding="utf-8") as fh:
                json.dump(skipped, fh, indent=1)
                fh.write("\n")
        os.replace(tmp, out)
        if skipped is not None:
            os.replace(side_tmp, side)
        else:
            side.unlink(missing_ok=True)
    except OSError as exc:
        raise _naming(exc, out) from exc
    finally:
        tmp.unlink(missing_ok=True)
        side_tmp.unlink(missing_ok=True)


def _progress(items: list[Any], desc: str, enabled: bool) -> Iterable[Any]:
    if not enabled:
        return items
    from tqdm import tqdm

    return tqdm(items, desc=desc, unit="row", mininterval=0.5, leave=False)


def _reason(exc: Exception) -> str:
    """A skip reason that groups alike errors (the field, or the error's first words)."""
    if isinstance(exc, AnnotationError):
        where = f"field {exc.field!r}: " if exc.field is not None else ""
        return f"bad annotation: {where}{exc.reason.split(':')[0][:80]}"
    reason = getattr(exc, "reason", None)  # set on the writer's own media errors
    return f"{type(exc).__name__}: {reason or str(exc)[:120]}"


def _located(exc: Exception, data: SplitData, index: int) -> Exception:
    """``exc`` (raised while building the row of ``data.records[index]``) naming the file and line."""
    line = data.line_of(index)
    if isinstance(exc, AnnotationError):
        if exc.line is not None:
            return exc
        return AnnotationError(exc.path, line, exc.field, exc.reason, sample_id=exc.sample_id)
    where = str(data.path) if line is None else f"{data.path}:{line}"
    located = MediaError(f"{where}: {exc}")
    located.reason = getattr(exc, "reason", None)  # type: ignore[attr-defined]
    return located


def _skipped_row(exc: Exception, data: SplitData, index: int | None, sample_id: Any) -> SkippedRow:
    if isinstance(exc, AnnotationError):
        sid = exc.sample_id if exc.sample_id is not None else sample_id
        line = exc.line if exc.line is not None or index is None else data.line_of(index)
        return SkippedRow(exc.path, line, sid, exc.field, exc.reason)
    line = None if index is None else data.line_of(index)
    return SkippedRow(str(data.path), line, sample_id, None, f"{type(exc).__name__}: {exc}")


def convert_rows(
    data: SplitData,
    build: Callable[[Any, int], dict[str, Any]],
    report: ConvertReport,
    *,
    on_error: Literal["raise", "skip"],
    check_media: Callable[[dict[str, Any]], None] | None,
    progress: bool,
) -> list[dict[str, Any]]:
    """Rows built from ``data``'s records; a bad one raises (naming file and line), or with
    ``on_error="skip"`` is left out, counted by reason and kept in ``report.skipped_rows``."""
    for err in data.errors:
        report.skip(_skipped_row(err, data, None, None), _reason(err))
    rows: list[dict[str, Any]] = []
    records = data.records
    for index, record in enumerate(_progress(records, f"prepare-verl {data.info.name}", progress)):
        try:
            row = build(record, len(rows))
            if check_media is not None:
                check_media(row)
        except (AnnotationError, MediaError, ValueError) as exc:
            if on_error == "raise":
                located = (
                    _located(exc, data, index) if isinstance(exc, (AnnotationError, MediaError)) else exc
                )
                if located is exc:
                    raise
                raise located from exc
            report.skip(_skipped_row(exc, data, index, record.sample_id), _reason(exc))
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


class ConvertOptions(TypedDict, total=False):
    """``prepare-verl``'s options, taken by both parquet writers (:func:`prepare_rl` and
    :func:`verl_recipe.sft_parquet.prepare_sft`); every key is optional."""

    media_root: str | os.PathLike[str] | None  # name the media under this root (as the training nodes see it)
    frame_cache: str | os.PathLike[str] | None  # RL rows only: name the cached frames instead of the clips
    frame_cache_root: str | os.PathLike[str] | None  # the frame cache as the training nodes see it
    on_error: Literal["raise", "skip"]  # a bad row stops the run (default) or is skipped and listed
    check_media: bool  # a row whose media file is missing is a bad row
    progress: bool  # a progress bar on stderr (default on)
    overwrite: bool  # replace an existing output (default on here; the CLI's default is off)


@dataclass
class Conversion:
    """One split on its way to parquet: its records, how media are named, the report, the options."""

    data: SplitData
    layout: MediaLayout
    report: ConvertReport
    options: ConvertOptions
    start: float

    def rows(self, build: Callable[[Any, int], dict[str, Any]]) -> list[dict[str, Any]]:
        return convert_rows(
            self.data,
            build,
            self.report,
            on_error=self.options.get("on_error", "raise"),
            check_media=media_exists if self.options.get("check_media", False) else None,
            progress=self.options.get("progress", True),
        )

    def finish(self, rows: list[dict[str, Any]], schema: pa.Schema) -> ConvertReport:
        write_rows(rows, schema, self.report)
        report = self.report
        report.written = len(rows)
        report.with_video = sum(1 for r in rows if r["videos"])
        report.gold_letters = Counter(r["reward_model"]["ground_truth"] for r in rows if "reward_model" in r)
        report.seconds = time.perf_counter() - self.start
        return report


def begin_conversion(
    root: str | os.PathLike[str] | None,
    split: str,
    out: str | os.PathLike[str],
    kind: Literal["rl", "sft"],
    options: ConvertOptions,
) -> Conversion:
    """Check the options and the output (before anything is read), read the split, and refuse a split of the
    other kind (CoT rows make SFT parquet, the rest RL parquet)."""
    from seedbench_r1.protocol.root import resolve_root

    unknown = sorted(set(options) - ConvertOptions.__optional_keys__)
    if unknown:
        raise TypeError(
            f"unknown conversion option(s) {unknown}; known: {sorted(ConvertOptions.__optional_keys__)}"
        )
    start = time.perf_counter()
    check_output(out, overwrite=options.get("overwrite", True))
    resolved = resolve_root(root)
    data = load_split(resolved, split, on_error=options.get("on_error", "raise"))
    if kind == "rl" and data.info.kind == "cot":
        raise UsageError(f"{split} holds SFT rows: use prepare_sft (the CLI picks it for the CoT file)")
    if kind == "sft" and data.info.kind != "cot":
        raise UsageError(f"{split} holds {data.info.kind} rows, not CoT rows: use prepare_rl")
    layout = MediaLayout.make(
        resolved, options.get("media_root"), options.get("frame_cache"), options.get("frame_cache_root")
    )
    report = ConvertReport(data.info.name, kind, data.path, Path(out))
    return Conversion(data, layout, report, options, start)


def prepare_rl(
    root: str | os.PathLike[str] | None,
    split: str,
    out: str | os.PathLike[str],
    *,
    seed: int = 0,
    **options: Unpack[ConvertOptions],
) -> ConvertReport:
    """Write the verl RL parquet of one split (training rows get options by the core's seeded rule).

    ``overwrite=False`` (the CLI's default) refuses an existing ``out``; every output problem is found before
    the conversion (:func:`check_output`)."""
    conv = begin_conversion(root, split, out, "rl", options)
    level = conv.data.info.level or ""

    def build(record: Sample | TrainingSample, index: int) -> dict[str, Any]:
        sample = record.to_sample(seed) if isinstance(record, TrainingSample) else record
        _check_text(sample, conv.data.path)
        return rl_row(sample, index, conv.layout, conv.data.info.data_source, level)

    return conv.finish(conv.rows(build), rl_schema(conv.layout))


def write_rows(rows: list[dict[str, Any]], schema: pa.Schema, report: ConvertReport) -> None:
    """Write a conversion's rows and, when rows were skipped, the list of them beside the output."""
    if not rows:
        first = f"; the first: {report.skipped_rows[0]}" if report.skipped_rows else ""
        raise UsageError(
            f"{report.source}: no usable rows to write ({len(report.skipped_rows)} skipped{first}); "
            "nothing was written"
        )
    if report.out.resolve() == report.source.resolve():
        raise UsageError(f"--out {report.out} is the annotation file being read: name another file")
    skipped = report.skipped_json() if report.skipped_rows else None
    write_parquet_atomic(rows, schema, report.out, skipped=skipped)
    report.skipped_file = skipped_file_of(report.out) if skipped else None


def is_sft_split(root: str | os.PathLike[str] | None, split: str) -> bool:
    """Whether ``split`` is a CoT (SFT) file, by the core's split registry / first row."""
    from seedbench_r1.protocol.annotations import annotation_path, split_info

    path = annotation_path(root, split)
    return split_info(split, path if path.is_file() else None).kind == "cot"


__all__ = [
    "ABILITY",
    "ConvertOptions",
    "ConvertReport",
    "Conversion",
    "begin_conversion",
    "SkippedRow",
    "check_output",
    "is_sft_split",
    "prepare_rl",
    "prompt_parts",
    "rl_row",
    "rl_schema",
    "skipped_file_of",
    "write_parquet_atomic",
    "write_rows",
]
