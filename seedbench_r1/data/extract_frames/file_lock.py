"""The frame cache's file lock: one writer (``extract-frames``) or several readers (``verify --frame-cache``).

A run holds ``fcntl.flock`` on ``<cache>/.extract-frames.lock`` for its whole length: a second run on the same
cache fails at once with :class:`CacheBusyError`, naming the holder, instead of racing the first.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from seedbench_r1.protocol.errors import SeedBenchError

LOCK_NAME = ".extract-frames.lock"


class CacheBusyError(SeedBenchError):
    """Another process holds the frame cache's lock (a concurrent ``extract-frames`` or ``verify
    --frame-cache`` on the same cache folder)."""


def _lock_holders(lock: Path) -> str:
    """Who holds ``lock`` (pid and command line), from /proc/locks; empty where that cannot be read."""
    try:
        ino = lock.stat().st_ino
        lines = Path("/proc/locks").read_text().splitlines()
    except OSError:
        return ""
    holders = []
    for line in lines:
        parts = line.split()
        if len(parts) < 6 or "->" in parts or parts[1] != "FLOCK" or not parts[4].isdigit():
            continue
        if parts[5].rsplit(":", 1)[-1] != str(ino):
            continue
        pid = parts[4]
        try:
            cmd = (
                Path(f"/proc/{pid}/cmdline")
                .read_bytes()
                .replace(b"\0", b" ")
                .decode(errors="replace")
                .strip()
            )
        except OSError:
            cmd = ""
        holders.append(f"pid {pid}" + (f" ({cmd[:120]})" if cmd else ""))
    return ", ".join(sorted(set(holders)))


@contextlib.contextmanager
def cache_lock(cache_dir: str | os.PathLike[str], *, shared: bool = False) -> Iterator[Path | None]:
    """Hold the frame cache's lock: exclusive for a writer (``extract-frames``), shared for a reader that
    must not see entries being swapped (``verify --frame-cache``). Never waits: if another process holds an
    incompatible lock, raise :class:`CacheBusyError` naming the cache, the lock file and the holder.

    ``fcntl.flock`` on ``<cache>/.extract-frames.lock`` (an empty file, left in place). Released when the
    process ends, however it ends. A shared lock on a cache without a lock file (never written by this
    version, or on read-only storage) is skipped. Where ``fcntl`` does not exist (Windows) nothing is locked.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        yield None
        return
    cache = Path(cache_dir)
    lock = cache / LOCK_NAME
    if shared:
        try:
            fd = os.open(lock, os.O_RDONLY)
        except FileNotFoundError:
            yield None
            return
    else:
        cache.mkdir(parents=True, exist_ok=True)
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        try:
            fcntl.flock(fd, (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | fcntl.LOCK_NB)
        except BlockingIOError:
            holders = _lock_holders(lock)
            held = f"held by {holders}" if holders else "held by another process"
            if shared:
                what = "extract-frames is writing it"
                todo = "verify it when that run has finished"
            else:
                what = "another extract-frames (or verify --frame-cache) is using it"
                todo = "wait for that run to finish, or write to another folder with --out"
            raise CacheBusyError(f"frame cache {cache}: {what} (lock {lock} {held}); {todo}") from None
        yield lock
    finally:
        os.close(fd)  # releases the lock
