"""Atomic file writes: a report folder never holds a half-written file (write to a temp name, then rename).
And reading JSON lines that may hold anything: one bad line is a counted problem, never a crash."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

# What json.loads raises on hostile input: bad syntax or UTF-8 (ValueError and its subclasses JSONDecodeError
# and UnicodeDecodeError), integers longer than Python's digit limit (ValueError), deep nesting.
JSON_ERRORS = (ValueError, RecursionError)


def json_lines(path: Path) -> Iterator[tuple[int, Any, str | None]]:
    """``(line number, value, None)`` per non-blank line of a JSONL file, or ``(line number, None, reason)``
    for a line that is not UTF-8 or not JSON; read as bytes so one bad line does not end the file."""
    with open(path, "rb") as fh:
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
