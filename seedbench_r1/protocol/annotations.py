"""The split registry and :func:`load_split`, the one reader of annotation files."""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, overload

from seedbench_r1.protocol.errors import AnnotationError
from seedbench_r1.protocol.names import DATA_SOURCES
from seedbench_r1.protocol.root import annotation_dir, resolve_root
from seedbench_r1.protocol.schema import (
    CotSample,
    Record,
    Sample,
    TrainingSample,
    parse_cot_row,
    parse_training_row,
    parse_validation_row,
)

RowKind = Literal["validation", "training", "cot"]


@dataclass(frozen=True)
class SplitInfo:
    name: str
    filename: str
    kind: RowKind
    level: str | None  # "L1" / "L2" / "L3" for validation levels
    data_source: str  # verl's data_source, so that its metrics come out per level
    expected_rows: int | None = None


SPLITS: dict[str, SplitInfo] = {
    s.name: s
    for s in (
        SplitInfo(
            "validation_L1", "validation_L1.jsonl", "validation", "L1", DATA_SOURCES["validation_L1"], 2432
        ),
        SplitInfo(
            "validation_L2", "validation_L2.jsonl", "validation", "L2", DATA_SOURCES["validation_L2"], 923
        ),
        SplitInfo(
            "validation_L3", "validation_L3.jsonl", "validation", "L3", DATA_SOURCES["validation_L3"], 1321
        ),
        SplitInfo("training_6k", "training_6k.jsonl", "training", None, DATA_SOURCES["training_6k"]),
        SplitInfo(
            "training_with_cot_6k",
            "training_with_cot_6k.jsonl",
            "cot",
            None,
            DATA_SOURCES["training_with_cot_6k"],
        ),
    )
}
VALIDATION_SPLITS = ("validation_L1", "validation_L2", "validation_L3")
EXPECTED_L3_DOMAINS = {"Daily life": 439, "Hobbies": 295, "Recreation": 183, "Work": 404}


@dataclass
class SplitData(Sequence[Record]):
    """The records of one annotation file, and the bad rows that were skipped (only with ``on_error="skip"``)."""

    info: SplitInfo
    path: Path
    records: list[Record]
    errors: list[AnnotationError] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)  # the 1-based file line of each record

    def line_of(self, index: int) -> int | None:
        """The file line of ``records[index]`` (None for a SplitData built without line numbers)."""
        return self.lines[index] if index < len(self.lines) else None

    def __len__(self) -> int:
        return len(self.records)

    @overload
    def __getitem__(self, i: int) -> Record: ...
    @overload
    def __getitem__(self, i: slice) -> list[Record]: ...
    def __getitem__(self, i: int | slice) -> Record | list[Record]:
        return self.records[i]

    def __iter__(self) -> Iterator[Record]:
        return iter(self.records)

    def summary(self) -> str:
        skipped = f", {len(self.errors)} bad rows skipped" if self.errors else ""
        return f"{self.info.name}: {len(self.records)} rows from {self.path}{skipped}"


def split_info(split: str, path: Path | None = None) -> SplitInfo:
    """The registry entry for a split name or annotation file name; unknown files get one inferred from rows."""
    if split in SPLITS:
        return SPLITS[split]
    name = Path(split).name
    for info in SPLITS.values():
        if info.filename == name:
            return info
    stem = name.removesuffix(".jsonl").removesuffix(".json")
    level_match = re.search(r"validation_(L[123])\b", stem)
    if level_match:
        level = level_match.group(1)
        return SplitInfo(stem, name, "validation", level, f"seedbench_r1_{level.lower()}")
    kind = _sniff_kind(path) if path is not None else "training"
    return SplitInfo(stem, name, kind, None, DATA_SOURCES["training_6k"])


def _sniff_kind(path: Path) -> RowKind:
    """Row kind of an unregistered file (e.g. the full 50k training set) from its first row."""
    with open(path, "rb") as fh:
        for lineno, raw in enumerate(fh, start=1):
            if raw.strip():
                try:
                    row = decode_line(raw, path, lineno)
                except AnnotationError:
                    return "training"  # the loader reports the bad line itself
                if isinstance(row, dict) and "response" in row:
                    return "cot"
                if isinstance(row, dict) and "choice_a" in row:
                    return "validation"
                return "training"
    return "training"


# A JSON escape of a UTF-16 surrogate: the only way a lone surrogate gets into a decoded row.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89abcdefABCDEF]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def decode_line(raw: bytes, path: str | os.PathLike[str], lineno: int) -> object:
    """One JSONL line's bytes -> its JSON value, or :class:`AnnotationError` naming file and line.

    Everything a line's bytes can do wrong is a bad row, never a crash: bytes that are not UTF-8, malformed
    JSON, a value nested too deeply for the parser (RecursionError), an integer literal longer than Python
    converts (ValueError), and a lone surrogate escape (``"\\ud800"``), which json decodes into a str that
    cannot be written back out (a parquet file, a log).
    """
    if lineno == 1 and raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]  # a UTF-8 byte order mark, as some editors write
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        column = len(raw[: exc.start].decode("utf-8", errors="replace")) + 1
        raise AnnotationError(
            path, lineno, None, f"not valid UTF-8 (byte 0x{raw[exc.start]:02x} at column {column})"
        ) from None
    try:
        row = json.loads(text)
    except json.JSONDecodeError as exc:
        raise AnnotationError(
            path, lineno, None, f"malformed JSON ({exc.msg} at column {exc.colno})"
        ) from None
    except RecursionError:
        raise AnnotationError(path, lineno, None, "malformed JSON (a value nested too deeply)") from None
    except ValueError as exc:  # "Exceeds the limit (4300 digits) for integer string conversion..."
        reason = (
            f"malformed JSON (an integer literal longer than {sys.get_int_max_str_digits()} digits)"
            if "integer string conversion" in str(exc)
            else f"malformed JSON ({str(exc).split(';')[0]})"
        )
        raise AnnotationError(path, lineno, None, reason) from None
    if _SURROGATE_ESCAPE.search(raw):
        where = _surrogate_field(row)
        if where is not None:
            sid = row.get("sample_id") if isinstance(row, dict) else None
            readable = isinstance(sid, int) or (isinstance(sid, str) and not _SURROGATE.search(sid))
            raise AnnotationError(
                path,
                lineno,
                where or None,
                "holds a lone UTF-16 surrogate escape (e.g. \\ud800), which is not text",
                sample_id=sid if readable and not isinstance(sid, bool) else None,
            )
    return row


def _surrogate_field(value: object) -> str | None:
    """The path (``question``, ``prompt[0].content[2].text``) of the first string, key or value, that holds
    a lone surrogate; "" for the top-level value itself; None when there is none. Iterative: depth is free."""
    stack: list[tuple[str, object]] = [("", value)]
    while stack:
        where, item = stack.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                return where
        elif isinstance(item, dict):
            for key, sub in reversed(list(item.items())):
                name = f"{where}.{key}" if where else str(key)
                if _SURROGATE.search(key):
                    return name.encode("utf-8", "backslashreplace").decode("ascii")
                stack.append((name, sub))
        elif isinstance(item, list):
            stack.extend((f"{where}[{i}]", sub) for i, sub in reversed(list(enumerate(item))))
    return None


def annotation_path(root: str | os.PathLike[str] | None, split: str) -> Path:
    """Where a split's file lives: ``<root>/annotations/<file>``; an existing path is taken as given."""
    if split not in SPLITS and ("/" in split or os.sep in split) and Path(split).is_file():
        return Path(split)
    info = SPLITS.get(split)
    filename = info.filename if info else (split if split.endswith((".jsonl", ".json")) else f"{split}.jsonl")
    return annotation_dir(resolve_root(root)) / filename


def load_split(
    root: str | os.PathLike[str] | None,
    split: str,
    *,
    on_error: Literal["raise", "skip"] = "raise",
) -> SplitData:
    """Load and validate one annotation file.

    ``root`` None means the configured root (:func:`seedbench_r1.protocol.root.resolve_root`). A bad row raises
    :class:`AnnotationError` (file, line, sample id, field); with ``on_error="skip"`` it is left out and kept
    in ``SplitData.errors`` so callers can report the count. Duplicate sample ids are bad rows too: results
    are keyed by (split, sample_id).
    """
    if on_error not in ("raise", "skip"):
        raise ValueError(f"on_error must be 'raise' or 'skip', got {on_error!r}")
    path = annotation_path(root, split)
    if not path.is_file():
        raise FileNotFoundError(f"annotation file for split {split!r} not found: {path}")
    info = split_info(split, path)
    records: list[Record] = []
    lines: list[int] = []
    errors: list[AnnotationError] = []
    first_line: dict[str, int] = {}
    # Bytes, decoded line by line: one undecodable line is one bad row, not the end of the file.
    with open(path, "rb") as fh:
        for lineno, raw in enumerate(fh, start=1):
            if not raw.strip():
                continue
            try:
                record = _parse_line(raw, path, lineno, info)
                # Ids compare as text: the outputs key samples by their text (verl's extra_info, the CoT rows,
                # the report), so 5 and "5" in one file would be one sample twice.
                key = str(record.sample_id)
                if key in first_line:
                    raise AnnotationError(
                        path,
                        lineno,
                        "sample_id",
                        f"duplicate of line {first_line[key]} (ids compare as text)",
                        sample_id=record.sample_id,
                    )
                first_line[key] = lineno
            except AnnotationError as exc:
                if on_error == "raise":
                    raise
                errors.append(exc)
                continue
            records.append(record)
            lines.append(lineno)
    return SplitData(info=info, path=path, records=records, errors=errors, lines=lines)


def _parse_line(raw: bytes, path: Path, lineno: int, info: SplitInfo) -> Record:
    row = decode_line(raw, path, lineno)
    if info.kind == "validation":
        return parse_validation_row(row, path, lineno, info.name, info.level)
    if info.kind == "training":
        return parse_training_row(row, path, lineno, info.name)
    return parse_cot_row(row, path, lineno, info.name)


def validation_samples(root: str | os.PathLike[str] | None, split: str) -> list[Sample]:
    """Typed helper for the faces: the Sample records of a validation level."""
    data = load_split(root, split)
    return [r for r in data if isinstance(r, Sample)]


__all__ = [
    "SPLITS",
    "VALIDATION_SPLITS",
    "EXPECTED_L3_DOMAINS",
    "SplitInfo",
    "SplitData",
    "load_split",
    "split_info",
    "annotation_path",
    "validation_samples",
    "CotSample",
    "TrainingSample",
]
