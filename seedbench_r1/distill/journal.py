"""The run's journal (``<out>.state.jsonl``): the record a distillation run resumes, merges and reports from.

Line 1 is the header (the settings every outcome depends on). Every later line is one batch of one teacher:
``{"kind": "batch", "teacher": t, "model": name, "seconds": s, "rows": [record, ...]}``. A row record is

- ``{"i", "id", "error"}`` when the row's clip or image could not be read (no teacher retries it), or
- ``{"i", "id", "gold", "options", "preds", "fmt", "tokens", "ok", "keep", "row"}``: the K responses' parsed
  letters, format flags and token counts, the indices of the accepted ones, the kept one (or null) and, when
  one is kept, the output row itself.

A batch is committed by ONE ``write`` of its whole line followed by ``fsync``. A crash can leave at most a torn
last line (no newline at its end); reading drops it, and that batch is simply redone. The output file is a view
of the journal (its accepted rows, by teacher then row index): appended after each committed batch, rebuilt
from the journal when a run resumes, so a crash between the two writes loses nothing and duplicates nothing.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seedbench_r1.distill.journal_schema import check_batch, check_header
from seedbench_r1.files import json_line, lock_exclusive, read_bytes, write_all
from seedbench_r1.protocol.errors import UsageError

# Header keys a resumed run must share with the journal: each changes which rows are accepted.
COMPATIBLE_KEYS = (
    "format",
    "split",
    "split_sha256",
    "split_rows",
    "samples",
    "seed",
    "gen",
    "backend",
    "shard",
)


def journal_path(out: str | os.PathLike[str]) -> Path:
    return Path(f"{os.fspath(out)}.state.jsonl")


def stats_path(out: str | os.PathLike[str]) -> Path:
    return Path(f"{os.fspath(out)}.stats.json")


def file_sha256(path: str | os.PathLike[str]) -> str:
    import hashlib

    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass
class JournalData:
    header: dict[str, Any]
    batches: list[dict[str, Any]] = field(default_factory=list)
    torn_bytes: int = 0  # bytes of a torn last line that reading dropped

    def teacher_names(self) -> list[str]:
        """The teachers in journal order, checked to have one name per position."""
        names: dict[int, str] = {}
        for batch in self.batches:
            seen = names.setdefault(batch["teacher"], batch["model"])
            if seen != batch["model"]:
                raise UsageError(f"journal names two models for teacher {batch['teacher'] + 1}")
        if sorted(names) != list(range(len(names))):
            raise UsageError(f"journal has teachers {sorted(names)} with a gap")
        return [names[t] for t in range(len(names))]

    def records(self) -> dict[int, dict[int, dict[str, Any]]]:
        """teacher -> row index -> record; a row recorded twice for one teacher is a broken journal."""
        out: dict[int, dict[int, dict[str, Any]]] = {}
        for batch in self.batches:
            per = out.setdefault(batch["teacher"], {})
            for rec in batch["rows"]:
                if rec["i"] in per:
                    raise UsageError(
                        f"journal records row {rec['id']!r} twice for teacher {batch['teacher'] + 1}"
                    )
                per[rec["i"]] = rec
        return out

    def kept_rows(self) -> list[dict[str, Any]]:
        """The output rows, by teacher then row index (the order a clean run appends them in)."""
        kept = [
            (batch["teacher"], rec["i"], rec["row"])
            for batch in self.batches
            for rec in batch["rows"]
            if rec.get("keep") is not None
        ]
        ids = [row["sample_id"] for _, _, row in kept]
        if len(set(map(repr, ids))) != len(ids):
            raise UsageError("journal keeps a response twice for one row")
        return [row for _, _, row in sorted(kept, key=lambda k: (k[0], k[1]))]


def read_journal(path: Path) -> JournalData:
    """Parse a journal; a torn last line (a crash mid-write) is dropped and counted. Every other line is
    checked against the journal's schema (:mod:`.journal_schema`): anything malformed is an error naming the
    file, the line and the field. Only a regular file within its bound is read."""
    raw = read_bytes(path, "distill-cot journal")
    end = raw.rfind(b"\n") + 1
    body, torn = raw[:end], len(raw) - end
    lines = body.splitlines()
    if not lines:
        raise UsageError(f"{path}: empty journal (no header); remove it to start over")
    parsed = []
    for n, line in enumerate(lines, start=1):
        try:
            parsed.append(json.loads(line.decode("utf-8")))
        except RecursionError:
            raise UsageError(f"{path}:{n}: JSON nested too deeply; the journal is damaged") from None
        except ValueError:
            raise UsageError(f"{path}:{n}: not a JSON journal line; the journal is damaged") from None
    header, batches = parsed[0], parsed[1:]
    check_header(path, header)
    for n, batch in enumerate(batches, start=2):
        check_batch(path, n, batch, header)
    return JournalData(header, batches, torn)


def check_compatible(path: Path, have: dict[str, Any], want: dict[str, Any]) -> None:
    for key in COMPATIBLE_KEYS:
        if have.get(key) != want.get(key):
            raise UsageError(
                f"{path} was started with {key}={have.get(key)!r}, this run asks for {key}={want.get(key)!r}: "
                "resume with the same settings, choose another --out, or pass --overwrite to start over"
            )


def check_teachers(path: Path, recorded: Sequence[str], requested: Sequence[str]) -> None:
    """The journal's teachers must be the first ones of this run's list, in the same order."""
    for t, name in enumerate(recorded):
        if t >= len(requested) or requested[t] != name:
            asked = requested[t] if t < len(requested) else "nothing"
            raise UsageError(
                f"{path}: teacher {t + 1} of this run's journal is {name!r}, this run names {asked!r}: "
                "keep the same teachers in the same order (more may follow), or choose another --out"
            )


def _lock(path: Path) -> int:
    """An fd of ``path`` holding its exclusive lock (:func:`~seedbench_r1.files.lock_exclusive`)."""
    return lock_exclusive(path, "distill-cot journal", "another distill-cot run is writing this output")


@contextlib.contextmanager
def held(path: Path) -> Iterator[None]:
    """The lock of an existing journal for the block (``--overwrite`` replaces it only while no run writes
    it); nothing to hold when there is no journal."""
    if not path.exists():
        yield
        return
    fd = _lock(path)
    try:
        yield
    finally:
        os.close(fd)


class Journal:
    """An open journal: holds an exclusive lock (one run per --out) and commits batches atomically."""

    def __init__(self, path: Path, data: JournalData | None = None, fd: int | None = None) -> None:
        """Opens and locks ``path`` (or takes ``fd``, already locked); without ``data``, reads it under the
        lock (dropping a torn last line)."""
        self.path = path
        self._fd = _lock(path) if fd is None else fd
        try:
            self.data = data if data is not None else read_journal(path)
            if self.data.torn_bytes:  # a batch that was being written when the run died: it is redone
                os.truncate(path, path.stat().st_size - self.data.torn_bytes)
        except BaseException:
            self.close()
            raise

    @classmethod
    def create(cls, path: Path, header: dict[str, Any]) -> Journal:
        """A new journal holding only ``header``, locked before it replaces ``path`` (the lock moves with the
        file, so no other run can open it in between)."""
        tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
        tmp.write_bytes(json_line(header))
        try:
            fd = _lock(tmp)
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
        return cls(path, JournalData(header), fd)

    @classmethod
    def resume(cls, path: Path) -> Journal:
        return cls(path)

    def commit(self, batch: dict[str, Any]) -> None:
        write_all(self._fd, json_line(batch))
        os.fsync(self._fd)
        self.data.batches.append(batch)

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)  # releases the lock
            self._fd = -1


def write_output(out: Path, rows: Iterable[dict[str, Any]]) -> None:
    """Replace ``out`` atomically with ``rows`` (one JSON object per line)."""
    tmp = out.with_name(f".{out.name}.tmp{os.getpid()}")
    with open(tmp, "wb") as fh:
        for row in rows:
            fh.write(json_line(row))
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, out)


def append_output(out: Path, rows: Sequence[dict[str, Any]]) -> None:
    """Append one committed batch's rows in one write (the journal, not this file, is what resume trusts)."""
    if not rows:
        return
    fd = os.open(out, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        write_all(fd, b"".join(json_line(row) for row in rows))
        os.fsync(fd)
    finally:
        os.close(fd)
