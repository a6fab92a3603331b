"""Files the tools read and write, treated as untrusted input and written atomically.

Reading: only regular files, checked before they are opened (a FIFO or a device would block or never end),
and never more than a stated bound per kind of file (:data:`LIMITS`, in docs/bad_input.md); JSON lines that may
hold anything, where one bad line is a counted problem, never a crash. Writing: a temp file beside the target,
then a rename, so an output is never half-written.
"""

from __future__ import annotations

import fcntl
import json
import os
import stat
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from seedbench_r1.protocol.errors import UsageError

GiB, MiB = 1 << 30, 1 << 20
# The most a tool reads of each kind of input file; a bigger one is refused, naming the file and the bound.
LIMITS = {
    "distill-cot journal": 2 * GiB,  # 50k rows x K responses' records and kept rows
    "lmms-eval samples file": 2 * GiB,  # --log_samples of one task: every doc's prompt and response
    "lmms-eval results file": 64 * MiB,
    "verl metrics log": 1 * GiB,  # the file logger's JSONL of one run
    "memory log": 64 * MiB,
    "distill-cot output": 2 * GiB,
    "consistency judgments": 2 * GiB,  # one verdict line per logged sample of every judged run
}


def _kind_of(mode: int) -> str:
    for test, name in (
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return name
    return "not a regular file"


def regular_file(path: str | os.PathLike[str], what: str) -> Path:
    """``path`` when it is a regular file no bigger than ``LIMITS[what]``; else a :class:`UsageError` naming
    it. Checked with ``stat`` before anything opens it, so a FIFO or a device is refused, not read."""
    path = Path(path)
    try:
        st = path.stat()
    except FileNotFoundError:
        raise UsageError(f"{path}: no such {what}") from None
    except OSError as exc:
        raise UsageError(f"{path}: cannot read the {what}: {exc.strerror or exc}") from None
    if not stat.S_ISREG(st.st_mode):
        raise UsageError(f"{path}: {_kind_of(st.st_mode)}, not a {what} (a regular file)")
    limit = LIMITS[what]
    if st.st_size > limit:
        raise UsageError(
            f"{path}: {st.st_size:,} bytes, over the {limit:,} a {what} may have (docs/bad_input.md)"
        )
    return path


def read_bytes(path: str | os.PathLike[str], what: str) -> bytes:
    """The bytes of a regular file within its bound (a file that grows while read is cut at the bound + 1
    and refused)."""
    path = regular_file(path, what)
    limit = LIMITS[what]
    with open(path, "rb") as fh:
        data = fh.read(limit + 1)
    if len(data) > limit:
        raise UsageError(f"{path}: grew over the {limit:,} bytes a {what} may have while it was read")
    return data


# What json.loads raises on hostile input: bad syntax or UTF-8 (ValueError and its subclasses JSONDecodeError
# and UnicodeDecodeError), integers longer than Python's digit limit (ValueError), deep nesting.
JSON_ERRORS = (ValueError, RecursionError)


def json_lines(path: Path, what: str) -> Iterator[tuple[int, Any, str | None]]:
    """``(line number, value, None)`` per non-blank line of a JSONL file, or ``(line number, None, reason)``
    for a line that is not UTF-8 or not JSON; read as bytes so one bad line does not end the file. The file
    must be a regular file within ``LIMITS[what]`` (:func:`regular_file`)."""
    with open(regular_file(path, what), "rb") as fh:
        for lineno, raw in enumerate(fh, start=1):
            if not raw.strip():
                continue
            try:
                yield lineno, json.loads(raw.decode("utf-8")), None
            except UnicodeDecodeError:
                yield lineno, None, "not UTF-8 text"
            except RecursionError:
                yield lineno, None, "JSON nested too deeply"
            except ValueError as exc:
                yield lineno, None, str(exc)


def write_text(path: Path, text: str) -> Path:
    return write_with(path, lambda tmp: tmp.write_text(text, encoding="utf-8", newline="\n"))


def write_with(path: Path, writer: Callable[[Path], object]) -> Path:
    """Call ``writer(tmp_path)`` on a temp file beside ``path``, then rename it over ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp" + path.suffix, dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        writer(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def json_line(obj: Any) -> bytes:
    """One JSON Lines record (UTF-8, newline-terminated)."""
    return (json.dumps(obj, ensure_ascii=False) + "\n").encode("utf-8")


def write_all(fd: int, data: bytes) -> None:
    """``data`` through ``os.write`` until all of it is written (a write may be partial)."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def lock_exclusive(path: Path, what: str, busy: str) -> int:
    """An append fd of ``path`` (a regular file) holding its exclusive lock; a :class:`UsageError`
    ``"{path}: {busy}"`` if another process holds it (another run still writing this output)."""
    regular_file(path, what)  # opening a FIFO for writing would block
    fd = os.open(path, os.O_WRONLY | os.O_APPEND)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise UsageError(f"{path}: {busy}") from None
    return fd
