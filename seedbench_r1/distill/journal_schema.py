"""The journal's schema: what every header and batch line must hold, checked when a journal is read.

A journal is the record a run resumes, merges and reports from, so a line that was edited by hand, cut by a
full disk or written by another tool is refused with the file, the line and the field, never half-trusted.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from seedbench_r1.protocol.errors import UsageError

FORMAT = 1
BACKENDS = ("hf", "vllm")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _fail(path: Path, line: int, field: str, what: str) -> UsageError:
    return UsageError(
        f"{path}:{line}: field {field!r}: {what}; the journal is damaged (remove it to start over)"
    )


def _need(ok: bool, path: Path, line: int, field: str, what: str) -> None:
    if not ok:
        raise _fail(path, line, field, what)


def _int_list(value: Any, low: int | None = None, high: int | None = None) -> bool:
    return isinstance(value, list) and all(
        _is_int(v) and (low is None or v >= low) and (high is None or v <= high) for v in value
    )


def check_header(path: Path, header: Any) -> None:
    """Line 1: the settings every outcome depends on."""
    if not isinstance(header, dict) or header.get("kind") != "header":
        raise UsageError(f"{path}:1: not a distill-cot journal header")
    if header.get("format") != FORMAT:
        raise UsageError(f"{path}: journal format {header.get('format')!r}, this version writes {FORMAT}")
    for key in ("split", "split_sha256", "backend"):
        _need(isinstance(header.get(key), str), path, 1, key, "must be text")
    _need(header["backend"] in BACKENDS, path, 1, "backend", f"must be one of {', '.join(BACKENDS)}")
    rows = header.get("split_rows")
    _need(_is_int(rows) and rows >= 0, path, 1, "split_rows", "must be a whole number >= 0")
    samples = header.get("samples")
    _need(_is_int(samples) and samples >= 1, path, 1, "samples", "must be a whole number >= 1")
    _need(_is_int(header.get("seed")), path, 1, "seed", "must be a whole number")
    _need(isinstance(header.get("gen"), dict), path, 1, "gen", "must be an object")
    shard = header.get("shard")
    ok_shard = shard is None or (
        isinstance(shard, list) and len(shard) == 2 and _int_list(shard, 0) and shard[0] < shard[1]
    )
    _need(ok_shard, path, 1, "shard", "must be null or [i, N] with 0 <= i < N")


def check_batch(path: Path, line: int, batch: Any, header: dict[str, Any]) -> None:
    """A committed batch of one teacher: its rows' records, each inside the split (and the shard)."""
    _need(
        isinstance(batch, dict) and batch.get("kind") == "batch", path, line, "kind", "expected a batch line"
    )
    teacher = batch.get("teacher")
    _need(_is_int(teacher) and teacher >= 0, path, line, "teacher", "must be a whole number >= 0")
    _need(isinstance(batch.get("model"), str) and batch["model"] != "", path, line, "model", "must be text")
    seconds = batch.get("seconds")
    ok_seconds = (
        isinstance(seconds, (int, float)) and not isinstance(seconds, bool) and math.isfinite(seconds)
    )
    _need(ok_seconds and seconds >= 0, path, line, "seconds", "must be a finite number >= 0")
    rows = batch.get("rows")
    _need(isinstance(rows, list), path, line, "rows", "must be a list of row records")
    for k, rec in enumerate(rows):
        _check_record(path, line, f"rows[{k}]", rec, header)


def _check_record(path: Path, line: int, where: str, rec: Any, header: dict[str, Any]) -> None:
    _need(isinstance(rec, dict), path, line, where, "must be an object")
    i = rec.get("i")
    split_rows = header["split_rows"]
    _need(
        _is_int(i) and 0 <= i < split_rows,
        path,
        line,
        f"{where}.i",
        f"must be a row index 0..{split_rows - 1}",
    )
    shard = header.get("shard")
    if shard is not None:
        _need(
            i % shard[1] == shard[0],
            path,
            line,
            f"{where}.i",
            f"row {i} is not in shard {shard[0]}/{shard[1]}",
        )
    _need(
        _is_int(rec.get("id")) or isinstance(rec.get("id"), str), path, line, f"{where}.id", "must be an id"
    )
    if "error" in rec:
        _need(isinstance(rec["error"], str), path, line, f"{where}.error", "must be text")
        return
    k = header["samples"]
    _need(isinstance(rec.get("gold"), str), path, line, f"{where}.gold", "must be a letter")
    options = rec.get("options")
    _need(
        isinstance(options, list) and all(isinstance(o, str) for o in options),
        path,
        line,
        f"{where}.options",
        "must be a list of texts",
    )
    preds = rec.get("preds")
    _need(
        isinstance(preds, list) and len(preds) == k and all(isinstance(p, str) for p in preds),
        path,
        line,
        f"{where}.preds",
        f"must be {k} letters (or empty texts)",
    )
    _need(
        _int_list(rec.get("fmt"), 0, 1) and len(rec["fmt"]) == k,
        path,
        line,
        f"{where}.fmt",
        f"must be {k} flags 0 / 1",
    )
    _need(
        _int_list(rec.get("tokens"), 0) and len(rec["tokens"]) == k,
        path,
        line,
        f"{where}.tokens",
        f"must be {k} token counts",
    )
    good = rec.get("ok")
    _need(_int_list(good, 0, k - 1), path, line, f"{where}.ok", f"must be indices 0..{k - 1}")
    keep = rec.get("keep")
    _need(
        keep is None or (_is_int(keep) and keep in good),
        path,
        line,
        f"{where}.keep",
        "must be null or one of ok",
    )
    if keep is not None:
        _need(isinstance(rec.get("row"), dict), path, line, f"{where}.row", "must be the kept output row")
