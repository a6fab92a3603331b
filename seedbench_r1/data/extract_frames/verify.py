"""``verify_cache``: hash every file of every entry of a frame cache against its manifest (``verify
--frame-cache``, ``extract-frames --verify``), under the cache's shared lock."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from seedbench_r1.data.extract_frames.file_lock import cache_lock
from seedbench_r1.data.extract_frames.plan import map_threads
from seedbench_r1.protocol.frame_cache import HASH, MANIFEST, EntryCheck, check_entry


@dataclass
class CacheCheck:
    """What :func:`verify_cache` found: every entry of a cache folder hashed against its manifest."""

    cache: Path
    entries: int = 0
    files: int = 0
    bytes: int = 0
    seconds: float = 0.0
    problems: list[tuple[str, str]] = field(default_factory=list)  # (file or entry, what is wrong)
    bad_entries: int = 0

    @property
    def ok(self) -> bool:
        return self.entries > 0 and not self.problems

    def lines(self) -> list[str]:
        head = (
            f"frame cache {self.cache}: {self.entries} entries, {self.files} files, {self.bytes / 1e6:.1f} MB "
            f"hashed ({HASH}) in {self.seconds:.1f}s"
        )
        out = [head]
        out += [f"  {path}: {reason}" for path, reason in self.problems]
        if self.entries == 0 and not self.problems:
            out.append("  no entries (build them with `seedbench-r1 extract-frames`)")
        if self.problems:
            out.append(
                f"{self.bad_entries} bad entr{'y' if self.bad_entries == 1 else 'ies'}: `seedbench-r1 "
                "extract-frames --verify` (same --root / --splits / --out as the run that made the cache) "
                f"rebuilds {'it' if self.bad_entries == 1 else 'them'}"
            )
        return out


def _entries(cache: Path) -> Iterator[tuple[Path, bool]]:
    """(folder, has manifest) of every entry under ``cache``; a non-hidden folder that holds files but no
    manifest is an incomplete entry. Hidden temp / old folders of an interrupted run are skipped."""
    for top in ("videos", "images"):
        for dirpath, dirnames, filenames in os.walk(cache / top):
            if MANIFEST in filenames:
                dirnames[:] = []  # an entry holds files only
                yield Path(dirpath), True
                continue
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            if any(not f.startswith(".") for f in filenames):
                yield Path(dirpath), False


def verify_cache(
    cache_dir: str | os.PathLike[str],
    root: str | os.PathLike[str] | None = None,
    *,
    progress: bool = True,
) -> CacheCheck:
    """Hash every file of every entry in ``cache_dir`` against its manifest.

    Reports each bad entry: a file missing, of another size or with other content (naming the file), an
    unreadable manifest, an entry made under another rule or format, an incomplete entry (files, no
    manifest), and with ``root`` an entry whose source clip or image has changed. Holds the cache's shared
    lock, so it fails at once while an ``extract-frames`` writes the cache.
    """
    start = time.perf_counter()
    cache = Path(cache_dir)
    report = CacheCheck(cache)
    if not cache.is_dir():
        report.problems.append(
            (str(cache), "no frame cache here (build it with `seedbench-r1 extract-frames`)")
        )
        report.bad_entries = 1
        return report
    with cache_lock(cache, shared=True):
        found = list(_entries(cache))

        def one(item: tuple[Path, bool]) -> tuple[EntryCheck, int, int]:
            entry, has_manifest = item
            if not has_manifest:
                why = "files but no manifest (an incomplete entry)"
                return EntryCheck("corrupt", problems=((str(entry), why),)), 0, 0
            source = Path(root) / entry.relative_to(cache) if root is not None else None
            check = check_entry(entry, source, deep=True)
            files = (check.manifest or {}).get("files") or []
            sizes = (check.manifest or {}).get("file_bytes") or []
            hashed = len(files) if check.state in ("ok", "source-changed", "corrupt") else 0
            return check, hashed, sum(s for s in sizes if isinstance(s, int)) if hashed else 0

        for check, files, size in map_threads(one, found, "verify cache", progress):
            report.entries += 1
            report.files += files
            report.bytes += size
            if not check.ok:
                report.bad_entries += 1
                report.problems.extend(check.problems)
    report.seconds = time.perf_counter() - start
    return report
