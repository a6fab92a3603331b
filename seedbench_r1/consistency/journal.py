"""``DIR/judgments.jsonl``: the header (judge, backend, prompt hash, sampling), then one line per sample.

Lines are committed a batch at a time by ONE ``write`` and an ``fsync``; a crash can leave only a torn last
line, which the next run drops and redoes. A rerun with the same header skips the samples already in the file;
a different judge, backend, prompt or sampling is refused unless ``--overwrite`` starts the file over. One run
at a time writes a DIR (an exclusive lock).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seedbench_r1.files import json_line, lock_exclusive, read_bytes, write_all
from seedbench_r1.protocol.errors import UsageError

FORMAT = 1
WHAT = "consistency judgments"
IDENTITY = ("judge", "backend", "prompt_version", "prompt_sha256", "sampling")
# Every sample line's fields and their JSON types (checked when read back).
FIELDS: dict[str, tuple[type, ...]] = {
    "run": (str,),
    "results_file": (str,),
    "level": (str,),
    "sample_id": (str, int),
    "domain": (str,),
    "groups": (list,),
    "correct": (int,),
    "pred": (str, type(None)),
    "gold": (str, type(None)),
    "status": (str,),
    "verdict": (str, type(None)),
    "reply": (str, type(None)),
    "prompt_sha256": (str,),
}


def judgments_path(out: Path) -> Path:
    return out / "judgments.jsonl"


def record_key(record: dict[str, Any]) -> tuple[str, str, str]:
    return (record["results_file"], record["level"], str(record["sample_id"]))


@dataclass
class Judgments:
    header: dict[str, Any]
    records: list[dict[str, Any]] = field(default_factory=list)
    torn_bytes: int = 0


def _check_record(path: Path, n: int, record: Any) -> None:
    if not isinstance(record, dict) or record.get("kind") != "sample":
        raise UsageError(f"{path}:{n}: not a sample line (kind 'sample'); the file is damaged")
    for name, types in FIELDS.items():
        value = record.get(name)
        if not isinstance(value, types) or isinstance(value, bool):
            raise UsageError(f"{path}:{n}: field {name!r} is {value!r}; the file is damaged")


def read_judgments(path: Path) -> Judgments:
    raw = read_bytes(path, WHAT)
    end = raw.rfind(b"\n") + 1
    lines = raw[:end].splitlines()
    if not lines:
        raise UsageError(f"{path}: empty (no header line); remove it or pass --overwrite")
    parsed = []
    for n, line in enumerate(lines, start=1):
        try:
            parsed.append(json.loads(line.decode("utf-8")))
        except (ValueError, RecursionError):
            raise UsageError(f"{path}:{n}: not a JSON line; the file is damaged") from None
    header = parsed[0]
    if not isinstance(header, dict) or header.get("kind") != "header" or header.get("format") != FORMAT:
        raise UsageError(f"{path}:1: not a consistency judgments header (format {FORMAT})")
    missing = [k for k in IDENTITY if k not in header]
    if missing:
        raise UsageError(f"{path}:1: header lacks {', '.join(missing)}")
    for n, record in enumerate(parsed[1:], start=2):
        _check_record(path, n, record)
    return Judgments(header, parsed[1:], len(raw) - end)


def check_same_judge(path: Path, have: dict[str, Any], want: dict[str, Any]) -> None:
    for key in IDENTITY:
        if have.get(key) != want.get(key):
            raise UsageError(
                f"{path} holds verdicts of {key}={have.get(key)!r}, this run asks for {key}={want.get(key)!r}: "
                "they would not be comparable; choose another --out, or pass --overwrite to start over"
            )


class JudgmentsFile:
    """An open judgments file: locked, committing batches of sample lines atomically."""

    def __init__(self, path: Path, data: Judgments, fd: int) -> None:
        self.path, self.data, self._fd = path, data, fd

    @classmethod
    def open(cls, path: Path, header: dict[str, Any], *, overwrite: bool) -> JudgmentsFile:
        if path.exists() and not overwrite:
            fd = lock_exclusive(path, WHAT, "another consistency run is writing this folder")
            try:
                data = read_judgments(path)
                check_same_judge(path, data.header, header)
                if data.torn_bytes:  # a batch being written when the run died: it is redone
                    os.truncate(path, path.stat().st_size - data.torn_bytes)
            except BaseException:
                os.close(fd)
                raise
            return cls(path, data, fd)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
        tmp.write_bytes(json_line(header))
        try:
            fd = lock_exclusive(tmp, WHAT, "another consistency run is writing this folder")
            if path.exists():  # --overwrite: only while no other run holds the old file
                os.close(lock_exclusive(path, WHAT, "another consistency run is writing this folder"))
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
        return cls(path, Judgments(header), fd)

    def commit(self, records: list[dict[str, Any]]) -> None:
        if not records:
            return
        write_all(self._fd, b"".join(json_line(r) for r in records))
        os.fsync(self._fd)
        self.data.records.extend(records)

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
