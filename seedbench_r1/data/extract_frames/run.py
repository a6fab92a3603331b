"""``extract_frames``: plan, lock, build in a local process pool or as Ray tasks, and summarise.

Holds the cache's exclusive lock for the whole run; refreshes the recorded mtimes of entries whose content was
verified after a copy; sweeps what a killed run left; reports every failure (never drops one).
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seedbench_r1.data.extract_frames.build import (
    Task,
    TaskResult,
    build_entry,
    refresh_times,
    sweep_temp,
    worker_init,
)
from seedbench_r1.data.extract_frames.file_lock import cache_lock
from seedbench_r1.data.extract_frames.plan import plan_entries, progress_bar, wanted_for
from seedbench_r1.protocol.frame_cache import default_cache_dir


@dataclass
class Summary:
    built: int = 0
    cached: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)  # (relpath, reason)
    bad_rows: list[str] = field(default_factory=list)
    samples: int = 0
    seconds: float = 0.0
    swept: int = 0
    # (file, what is wrong) of cached entries whose files (or source) changed since caching: rebuilt
    changed: list[tuple[str, str]] = field(default_factory=list)
    retimed: int = 0  # entries whose files had new mtimes but the recorded content: manifests updated

    @property
    def ok(self) -> bool:
        return not self.failures


def run_local(tasks: list[Task], workers: int, progress: bool = True) -> list[TaskResult]:
    """The tasks in a local process pool (``workers`` <= 1: in this process)."""
    results: list[TaskResult] = []
    bar = progress_bar(len(tasks), "extract-frames", progress)
    try:
        if workers <= 1 or len(tasks) <= 1:
            worker_init()
            for task in tasks:
                results.append(build_entry(task))
                bar.update(1)
            return results
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor, as_completed

        # spawn: decord and torch keep native threads that do not survive fork reliably.
        ctx = mp.get_context("spawn")
        # Workers die with this process (PR_SET_PDEATHSIG): a SIGKILLed run leaves none behind.
        with ProcessPoolExecutor(
            max_workers=workers, mp_context=ctx, initializer=worker_init, initargs=(os.getpid(),)
        ) as pool:
            futures = [pool.submit(build_entry, t) for t in tasks]
            for fut in as_completed(futures):
                results.append(fut.result())
                bar.update(1)
        return results
    finally:
        bar.close()


def run_ray(
    tasks: list[Task], address: str | None = None, progress: bool = True, **init_kwargs: Any
) -> list[TaskResult]:
    """The same tasks as Ray tasks (one CPU each). The cache folder must be on storage every node sees.

    Uses an already initialised Ray; else connects to ``address`` ("auto" for the running cluster) or, when
    None, starts a local instance. What a killed driver leaves behind (a local Ray: two agents, no task
    workers; a cluster: not verified) is in docs/data.md.
    """
    import ray

    if not ray.is_initialized():
        ray.init(address=address, **init_kwargs)
    remote = ray.remote(num_cpus=1)(_ray_build)
    pending = [remote.remote(t) for t in tasks]
    results: list[TaskResult] = []
    bar = progress_bar(len(tasks), "extract-frames (ray)", progress)
    try:
        while pending:
            done, pending = ray.wait(pending, num_returns=min(len(pending), 16), timeout=5.0)
            for ref in done:
                results.append(ray.get(ref))
                bar.update(1)
    finally:
        bar.close()
    return results


def _ray_build(task: Task) -> TaskResult:
    worker_init()
    return build_entry(task)


def extract_frames(
    root: str | os.PathLike[str],
    splits: Sequence[str] | None,
    cache_dir: str | os.PathLike[str] | None = None,
    *,
    dataset: str = "seedbench_r1",
    workers: int = 1,
    ray_address: str | None = None,
    use_ray: bool = False,
    force: bool = False,
    verify: bool = False,
    progress: bool = True,
    ray_init: dict[str, Any] | None = None,
) -> Summary:
    """Cache the frames and observation images every sample of ``splits`` shows the model; with
    ``dataset="longvideobench"`` (``root`` a LongVideoBench root, ``splits`` None) the frames of every clip of
    ``lvb_val.json``, with the same entries, manifests, lock and workers.

    Holds the cache's exclusive lock for the whole run (:class:`CacheBusyError` if another run has it).
    ``verify`` hashes every cached file instead of trusting unchanged sizes and mtimes; either way an entry
    whose content changed is rebuilt and listed in ``Summary.changed``.
    """
    start = time.perf_counter()
    root = Path(root)
    cache = Path(cache_dir) if cache_dir is not None else default_cache_dir(root)
    wanted, samples, bad = wanted_for(root, dataset, splits)  # reads annotations before creating anything
    with cache_lock(cache):
        the_plan = plan_entries(
            root, cache, wanted, samples, bad, force=force, verify=verify, progress=progress
        )
        summary = Summary(cached=the_plan.cached, bad_rows=the_plan.bad_rows, samples=the_plan.samples)
        summary.failures.extend(the_plan.missing)
        summary.changed = sorted(the_plan.changed)
        for entry, check in the_plan.touched:
            refresh_times(entry, check)
        summary.retimed = len(the_plan.touched)
        summary.swept = sweep_temp(t.entry for t in the_plan.tasks)
        if the_plan.tasks:
            if use_ray:
                results = run_ray(the_plan.tasks, ray_address, progress, **(ray_init or {}))
            else:
                results = run_local(the_plan.tasks, workers, progress)
            for result in results:
                if result.ok:
                    summary.built += 1
                else:
                    summary.failures.append((result.task.relpath, result.reason))
    summary.failures.sort()
    summary.seconds = time.perf_counter() - start
    return summary
