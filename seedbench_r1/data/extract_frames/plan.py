"""Planning a frame cache run: which media the chosen samples show the model, and which entries need building.

Reads only. Each wanted entry is checked against its manifest (:func:`~seedbench_r1.protocol.frame_cache.check_entry`,
a stat per file, a hash where an mtime moved, every file with ``verify``); the plan lists what to build, what
is cached, the media that are missing and the entries whose content or source changed.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seedbench_r1.data.extract_frames.build import Task
from seedbench_r1.protocol.frame_cache import EntryCheck, check_entry, default_cache_dir, entry_dir
from seedbench_r1.protocol.root import media_path

DATASETS = ("seedbench_r1", "longvideobench")  # what extract_frames can cache
_CHECK_THREADS = 8  # stat / hash threads (hashlib releases the GIL; a network file system rewards overlap)


@dataclass
class Plan:
    tasks: list[Task]  # entries to build
    cached: int  # entries already valid
    samples: int  # samples (rows) considered
    bad_rows: list[str] = field(default_factory=list)
    missing: list[tuple[str, str]] = field(default_factory=list)  # (relpath, reason)
    # (path, what is wrong) of entries that are rebuilt because their files or source changed since caching
    changed: list[tuple[str, str]] = field(default_factory=list)
    # valid entries whose files were verified by hash after their mtimes moved: (entry folder, check)
    touched: list[tuple[Path, EntryCheck]] = field(default_factory=list)


def media_of(record: Any) -> list[tuple[str, str]]:
    """(kind, relpath) of every media file a record shows the model."""
    media = getattr(record, "media", None)
    if media is not None:  # CoT rows name their media in the prompt
        return list(media)
    out = []
    if record.has_video:
        out.append(("video", record.video_relpath))
    out.append(("image", record.image_relpath))
    return out


def _wanted_lvb(root: Path) -> tuple[dict[str, str], int, list[str]]:
    """relpath -> "video" of every LongVideoBench clip (``videos/<name>``); questions; no bad rows (a bad
    ``lvb_val.json`` entry raises, naming it, before anything is written)."""
    from seedbench_r1.longvideobench.loader import load_lvb

    questions = load_lvb(root)
    return {q.video_relpath: "video" for q in questions}, len(questions), []


def wanted_for(
    root: Path, dataset: str, splits: Sequence[str] | None
) -> tuple[dict[str, str], int, list[str]]:
    """What a run caches: SEED-Bench-R1's split samples' media, or every LongVideoBench clip."""
    if dataset == "longvideobench":
        if splits:
            raise ValueError(
                "splits are SEED-Bench-R1 annotation files; the LongVideoBench cache covers every clip of "
                f"lvb_val.json (got splits {list(splits)})"
            )
        return _wanted_lvb(root)
    if dataset != "seedbench_r1":
        raise ValueError(f"unknown dataset {dataset!r}; expected one of {', '.join(DATASETS)}")
    return _wanted(root, splits or ())


def _wanted(root: Path, splits: Sequence[str]) -> tuple[dict[str, str], int, list[str]]:
    """relpath -> kind of every media file the splits' samples show the model; samples; bad rows."""
    from seedbench_r1.protocol.annotations import load_split

    wanted: dict[str, str] = {}
    samples = 0
    bad: list[str] = []
    for split in splits:
        data = load_split(root, split, on_error="skip")
        bad.extend(str(e) for e in data.errors)
        for record in data:
            samples += 1
            for kind, rel in media_of(record):
                wanted.setdefault(rel, kind)
    return wanted, samples, bad


def map_threads(fn: Callable[[Any], Any], items: Sequence[Any], desc: str, progress: bool) -> list[Any]:
    """``fn`` over ``items`` in a few threads (stat / hash work), results in order."""
    if len(items) <= 256:  # a thread pool costs more than it saves on a small local cache
        return [fn(item) for item in items]
    out: list[Any] = []
    bar = progress_bar(len(items), desc, progress)
    try:
        with ThreadPoolExecutor(max_workers=_CHECK_THREADS) as pool:
            for result in pool.map(fn, items):
                out.append(result)
                bar.update(1)
    finally:
        bar.close()
    return out


def plan_entries(
    root: Path,
    cache: Path,
    wanted: dict[str, str],
    samples: int,
    bad: list[str],
    *,
    force: bool,
    verify: bool,
    progress: bool = False,
) -> Plan:
    tasks: list[Task] = []
    missing: list[tuple[str, str]] = []
    changed: list[tuple[str, str]] = []
    touched: list[tuple[Path, EntryCheck]] = []
    cached = 0
    # Clips first: they are the long tasks, so a pool ends with short image tasks filling the gaps.
    items = sorted(wanted.items(), key=lambda item: (item[1] != "video", item[0]))
    where = [(media_path(root, rel), entry_dir(cache, rel)) for rel, _ in items]
    if force:
        checks: list[EntryCheck | None] = [None] * len(items)
    else:
        checks = map_threads(
            lambda pair: check_entry(pair[1], pair[0], deep=verify),
            where,
            "verify cache" if verify else "check cache",
            progress and verify,
        )
    for (rel, kind), (source, entry), check in zip(items, where, checks, strict=True):
        if check is not None and check.ok:
            cached += 1
            if check.touched:
                touched.append((entry, check))
            continue
        if check is not None and check.state in ("corrupt", "source-changed"):
            changed.extend(check.problems)
        if not source.is_file():
            missing.append((rel, f"{kind} not found: {source}"))
        else:
            tasks.append(Task(kind, rel, str(source), str(entry)))
    return Plan(tasks, cached, samples, bad, missing, changed, touched)


def plan(
    root: str | os.PathLike[str],
    splits: Sequence[str] | None,
    cache_dir: str | os.PathLike[str] | None = None,
    *,
    force: bool = False,
    verify: bool = False,
    dataset: str = "seedbench_r1",
) -> Plan:
    """Which entries the given splits (or, for ``dataset="longvideobench"``, every clip; ``splits`` None)
    need and which of them are not yet validly cached (``verify``: hash every cached file rather than
    trusting unchanged sizes and mtimes). Reads only."""
    root = Path(root)
    cache = Path(cache_dir) if cache_dir is not None else default_cache_dir(root)
    wanted, samples, bad = wanted_for(root, dataset, splits)
    return plan_entries(root, cache, wanted, samples, bad, force=force, verify=verify)


def progress_bar(total: int, desc: str, enabled: bool):  # noqa: ANN202 - tqdm type
    from tqdm import tqdm

    return tqdm(
        total=total, desc=desc, unit="entry", disable=not enabled, file=sys.stderr, dynamic_ncols=True
    )
