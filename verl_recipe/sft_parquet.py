"""The CoT file -> verl 0.9.1 SFT parquet for ``MultiTurnSFTDataset`` (``verl.trainer.sft_trainer``).

One row per CoT sample::

    messages  [{"role": "user", "content": "<video><image>{pre-rendered question}"},
               {"role": "assistant", "content": "<think>...</think><answer>X</answer>"}]
    videos    [{"video": abs path, fps, min_frames, max_frames, resized_height, resized_width}] or []
    images    [{"image": abs path, resized_height, resized_width}]
    extra_info{sample_id (str), split}

The user turn keeps the CoT row's own content order and text (the row was rendered by the official code);
only its media become placeholders plus entries from :mod:`verl_recipe.media`, the same entries the RL rows
use. verl's SFT dataset puts loss on assistant tokens only.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import pyarrow as pa

from seedbench_r1.protocol.errors import AnnotationError, UsageError
from seedbench_r1.protocol.schema import CotSample
from verl_recipe.media import MediaLayout, image_entry, media_types, video_entry
from verl_recipe.rl_parquet import PLACEHOLDERS, ConvertOptions, ConvertReport, SkippedRow, begin_conversion
from verl_recipe.sft_lengths import recipe_max_length, token_lengths

if TYPE_CHECKING:
    from typing_extensions import Unpack


def sft_row(cot: CotSample, layout: MediaLayout, source: Path) -> dict[str, Any]:
    """One verl SFT row from a CoT sample."""
    who = f"sample {cot.key}: "
    messages: list[dict[str, str]] = []
    videos: list[dict[str, Any]] = []
    images: list[dict[str, Any]] = []
    for i, message in enumerate(cot.messages):
        content = message["content"]
        items = [{"type": "text", "text": content}] if isinstance(content, str) else content
        parts: list[str] = []
        for item in items:
            kind = item["type"]
            if kind == "video":
                parts.append("<video>")
                videos.append(video_entry(item["video"], layout, who=who))
            elif kind == "image":
                parts.append("<image>")
                images.append(image_entry(item["image"], layout, who=who))
            else:
                if any(token in item["text"] for token in PLACEHOLDERS):
                    raise AnnotationError(
                        source,
                        None,
                        f"prompt[{i}].content",
                        "text contains a media placeholder",
                        sample_id=cot.sample_id,
                    )
                parts.append(item["text"])
        messages.append({"role": message["role"], "content": "".join(parts)})
    if any(token in cot.response for token in PLACEHOLDERS):
        raise AnnotationError(
            source, None, "response", "contains a media placeholder", sample_id=cot.sample_id
        )
    messages.append({"role": "assistant", "content": cot.response})
    return {
        "messages": messages,
        "videos": videos,
        "images": images,
        "extra_info": {"sample_id": str(cot.sample_id), "split": cot.split},
    }


def sft_schema(layout: MediaLayout) -> pa.Schema:
    video_type, image_type = media_types(layout)
    s = pa.string()
    return pa.schema(
        [
            ("messages", pa.list_(pa.struct([("role", s), ("content", s)]))),
            ("videos", pa.list_(video_type)),
            ("images", pa.list_(image_type)),
            ("extra_info", pa.struct([("sample_id", s), ("split", s)])),
        ]
    )


def prepare_sft(
    root: str | os.PathLike[str] | None,
    split: str,
    out: str | os.PathLike[str],
    *,
    processor: str | None = None,
    max_length: int | None = None,
    **options: Unpack[ConvertOptions],
) -> ConvertReport:
    """Write the verl SFT parquet of a CoT file (``options`` as for :func:`verl_recipe.rl_parquet.prepare_rl`).

    With ``processor`` (the model to train, a folder or hub id) every row's token length is counted as verl's
    SFT trainer will build it (:mod:`verl_recipe.sft_lengths`); a row over ``max_length`` (default: the recipe's
    ``data.max_length``) raises naming it, or with ``on_error="skip"`` is left out and listed."""
    if options.get("frame_cache") is not None:
        # verl's SFT dataset sends frame lists through qwen-vl-utils, which resamples them (see media.py).
        raise UsageError("--frame-cache is for RL rows only: SFT rows must name the clips")
    conv = begin_conversion(root, split, out, "sft", options)
    rows = conv.rows(lambda record, _index: sft_row(record, conv.layout, conv.data.path))
    schema = sft_schema(conv.layout)
    if processor is not None:
        limit = recipe_max_length() if max_length is None else max_length
        on_error = options.get("on_error", "raise")
        rows = _within_length(
            rows, conv.data, schema, conv.report, processor, limit, on_error, options.get("progress", True)
        )
    else:
        conv.report.notes.append(
            "token lengths not checked: pass --processor MODEL to find rows longer than the SFT recipe's "
            "data.max_length before training (verl stops mid-epoch on one)"
        )
    return conv.finish(rows, schema)


def _within_length(
    rows: list[dict[str, Any]],
    data: Any,
    schema: pa.Schema,
    report: ConvertReport,
    processor: str,
    limit: int,
    on_error: Literal["raise", "skip"],
    progress: bool,
) -> list[dict[str, Any]]:
    """``rows`` without those longer than ``limit`` tokens (or the first such row raised, naming it)."""
    lines = {str(record.sample_id): data.line_of(i) for i, record in enumerate(data.records)}
    kept: list[dict[str, Any]] = []
    longest = 0
    for row, length in zip(rows, token_lengths(rows, schema, processor, progress=progress), strict=True):
        longest = max(longest, length)
        if length <= limit:
            kept.append(row)
            continue
        sample_id = row["extra_info"]["sample_id"]
        reason = f"{length} tokens with {processor}'s processor, over data.max_length {limit}"
        error = AnnotationError(data.path, lines.get(sample_id), "messages", reason, sample_id=sample_id)
        if on_error == "raise":
            raise error
        report.skip(SkippedRow(str(data.path), error.line, sample_id, "messages", reason), "over max_length")
    report.notes.append(f"token lengths checked: longest {longest}, limit {limit}")
    return kept
