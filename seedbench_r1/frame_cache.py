"""A lossless cache of the protocol's frames, so training reads a few small PNGs instead of decoding video.

Layout (default cache folder ``<root>/frames``), one entry per media file, keyed by its path relative to the
dataset root::

    frames/videos/<video_source>/<video_basename>/frame_00.png ... frame_NN.png, manifest.json
    frames/images/<video_source>/<observation_basename>/image.png, manifest.json

Keying by media path (not by sample) dedupes: samples that share a clip share one entry, and every sample that
points at ``videos/X/y.mp4`` gets the same frames because the frame rule depends only on the clip. The rule
itself is recorded in each manifest (cache format, protocol version, rule parameters, reader, resize, indices,
source fps, sampled fps, file list with byte sizes); an entry made under another rule, format or version, or
whose files are missing or truncated, is not valid and is rebuilt, never reused.

:func:`load_cached_clip` is the ONE reader of a cached clip: it returns the core's
:class:`~seedbench_r1.frames.Clip` (uint8 frames, indices, source fps, frame count), equal to what
:func:`~seedbench_r1.frames.decode_clip` gives for the clip. verl reads cache rows through ``verl_recipe.dataset.SeedBenchRLHFDataset``, which calls it:
qwen-vl-utils 0.0.14 cannot pass a 252 x 252 frame LIST through unchanged (its ``fetch_video`` hands each frame
to ``fetch_image`` with the patch size doubled, so frames go 252 -> 224 -> 252) and it would replace the clip's
fps and indices with made-up ones.

Writes are atomic per entry: files go to a hidden sibling temp folder, the manifest is written last, and the
folder is renamed into place. A run killed part-way leaves at most hidden temp folders, which the next run
removes. Two runs must not write the same cache at the same time.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from seedbench_r1.protocol import (
    FRAME_FACTOR,
    FRAME_SIZE,
    MAX_FRAMES,
    MIN_FRAMES,
    PROTOCOL_VERSION,
    SAMPLE_FPS,
)
from seedbench_r1.root import media_path

if TYPE_CHECKING:
    from seedbench_r1.frames import Clip

MANIFEST = "manifest.json"
# Layout of this module's entries; bumped when it changes. 2: PNGs only. Format 1 also wrote a lossless mp4
# of the frames, which nothing reads now: format-1 entries are stale and rebuilt, which frees that disk.
CACHE_FORMAT = 2
DEFAULT_CACHE_DIRNAME = "frames"
_TMP_MARK = ".tmp-"
_OLD_MARK = ".old-"

# Everything that decides the cached pixels. A manifest with any other value is stale.
RULE: dict[str, Any] = {
    "cache_format": CACHE_FORMAT,
    "protocol_version": PROTOCOL_VERSION,
    "sample_fps": SAMPLE_FPS,
    "min_frames": MIN_FRAMES,
    "max_frames": MAX_FRAMES,
    "frame_factor": FRAME_FACTOR,
    "frame_size": FRAME_SIZE,
    "video_reader": "decord",
    "video_resize": "torchvision bicubic antialias on uint8",
    "image_resize": "PIL bicubic, RGBA on white",
    "format": "png",
}


def default_cache_dir(root: str | os.PathLike[str]) -> Path:
    return Path(root) / DEFAULT_CACHE_DIRNAME


def entry_dir(cache_dir: str | os.PathLike[str], relpath: str) -> Path:
    """The cache entry folder of one media file (``relpath`` relative to the dataset root)."""
    return media_path(cache_dir, relpath)


# --------------------------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class CachedVideo:
    """Where a cached clip's frame PNGs are, in order, and the clip metadata they were sampled with."""

    frames: list[Path]
    indices: list[int]
    total_frames: int
    video_fps: float  # the source clip's average fps
    sample_fps: float  # frames per second of the sampled frames (Qwen2.5-VL's time encoding)


def load_cached_clip(video: CachedVideo) -> Clip:
    """Read a cached clip: the same :class:`~seedbench_r1.frames.Clip` that ``decode_clip`` gives for it.

    The PNGs are read as they are (uint8 RGB, no resize): they already hold the protocol's frames, losslessly.
    Errors name the file (a missing or corrupt frame) or the mismatch (frames vs indices).
    """
    import numpy as np
    import torch
    from PIL import Image

    from seedbench_r1.errors import MediaError
    from seedbench_r1.frames import Clip

    if not video.frames or len(video.frames) != len(video.indices):
        where = video.frames[0].parent if video.frames else "?"
        raise MediaError(f"cached clip {where}: {len(video.frames)} frames for {len(video.indices)} indices")
    arrays = []
    for path in video.frames:
        try:
            with Image.open(path) as img:
                array = np.asarray(img.convert("RGB"))
        except (OSError, ValueError) as exc:
            raise MediaError(f"cannot read cached frame {path}: {exc}") from exc
        if array.shape != (FRAME_SIZE, FRAME_SIZE, 3):
            raise MediaError(f"cached frame {path} is {array.shape}, not {FRAME_SIZE} x {FRAME_SIZE} RGB")
        arrays.append(array)
    frames = torch.from_numpy(np.stack(arrays)).permute(0, 3, 1, 2).contiguous()
    return Clip(frames, tuple(video.indices), video.total_frames, video.video_fps, video.sample_fps)


def read_manifest(entry: str | os.PathLike[str], source: str | os.PathLike[str] | None = None) -> dict | None:
    """The manifest of a complete entry made under the current rule, else None.

    Complete means every listed file exists with its recorded byte size. When ``source`` exists, its size must
    match the one the entry was made from (a replaced clip invalidates its frames); a missing source is
    accepted so that users may delete the clips of a fully cached split to save disk.
    """
    entry = Path(entry)
    try:
        manifest = json.loads((entry / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(manifest, dict) or manifest.get("rule") != RULE:
        return None
    files, sizes = manifest.get("files"), manifest.get("file_bytes")
    if not isinstance(files, list) or not isinstance(sizes, list) or len(files) != len(sizes) or not files:
        return None
    for name, size in zip(files, sizes, strict=True):
        try:
            if (entry / name).stat().st_size != size:
                return None
        except OSError:
            return None
    if source is not None:
        try:
            if Path(source).stat().st_size != manifest.get("source_bytes"):
                return None
        except OSError:
            pass  # source deleted after caching: the cache stands on its own
    return manifest


def cached_video(
    root: str | os.PathLike[str], sample: Any, cache_dir: str | os.PathLike[str] | None = None
) -> CachedVideo | None:
    """The cached frames of ``sample``'s clip, or None (no clip, or no complete entry under the current rule)."""
    if not getattr(sample, "has_video", False):
        return None
    return cached_video_for(root, sample.video_relpath, cache_dir)


def cached_video_for(
    root: str | os.PathLike[str], relpath: str, cache_dir: str | os.PathLike[str] | None = None
) -> CachedVideo | None:
    cache = Path(cache_dir) if cache_dir is not None else default_cache_dir(root)
    entry = entry_dir(cache, relpath)
    manifest = read_manifest(entry, media_path(root, relpath))
    if manifest is None or manifest.get("kind") != "video" or not manifest.get("frames"):
        return None
    return CachedVideo(
        frames=[entry / name for name in manifest["frames"]],
        indices=list(manifest["indices"]),
        total_frames=int(manifest["total_frames"]),
        video_fps=float(manifest["video_fps"]),
        sample_fps=float(manifest["sample_fps"]),
    )


def cached_frame_paths(
    root: str | os.PathLike[str], sample: Any, cache_dir: str | os.PathLike[str] | None = None
) -> list[Path] | None:
    """Frame PNG paths of ``sample``'s clip if a complete, valid cache entry exists, else None."""
    video = cached_video(root, sample, cache_dir)
    return None if video is None else video.frames


def cached_image_path(
    root: str | os.PathLike[str], sample: Any, cache_dir: str | os.PathLike[str] | None = None
) -> Path | None:
    """The 252 x 252 observation PNG of ``sample`` if a complete, valid cache entry exists, else None."""
    return cached_image_for(root, sample.image_relpath, cache_dir)


def cached_image_for(
    root: str | os.PathLike[str], relpath: str, cache_dir: str | os.PathLike[str] | None = None
) -> Path | None:
    cache = Path(cache_dir) if cache_dir is not None else default_cache_dir(root)
    entry = entry_dir(cache, relpath)
    manifest = read_manifest(entry, media_path(root, relpath))
    if manifest is None or manifest.get("kind") != "image":
        return None
    return entry / manifest["files"][0]


# --------------------------------------------------------------------------------------------- writing


@dataclass(frozen=True)
class Task:
    kind: str  # "video" | "image"
    relpath: str  # media path relative to the dataset root (the cache key)
    source: str  # absolute media path
    entry: str  # absolute entry folder


@dataclass(frozen=True)
class TaskResult:
    task: Task
    ok: bool
    reason: str = ""
    seconds: float = 0.0


def _save_png(array: Any, path: Path) -> int:
    from PIL import Image

    Image.fromarray(array, "RGB").save(path, format="PNG", compress_level=1)
    return path.stat().st_size


def _commit(tmp: Path, entry: Path) -> None:
    """Move a finished temp folder into place; an older (stale) entry is swapped out, then removed."""
    if entry.exists():
        old = entry.with_name(f".{entry.name}{_OLD_MARK}{uuid.uuid4().hex[:8]}")
        os.rename(entry, old)
        os.rename(tmp, entry)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.rename(tmp, entry)


def build_entry(task: Task) -> TaskResult:
    """Decode one clip (or image) by the protocol and write its entry atomically. Never raises."""
    start = time.perf_counter()
    entry = Path(task.entry)
    tmp = entry.with_name(f".{entry.name}{_TMP_MARK}{uuid.uuid4().hex[:8]}")
    try:
        entry.parent.mkdir(parents=True, exist_ok=True)
        tmp.mkdir()
        manifest: dict[str, Any] = {
            "kind": task.kind,
            "rule": RULE,
            "source": task.relpath,
            "source_bytes": Path(task.source).stat().st_size,
        }
        if task.kind == "video":
            from seedbench_r1.frames import decode_clip

            clip = decode_clip(task.source, sample=task.relpath)
            frames = clip.as_numpy()
            names = [f"frame_{i:02d}.png" for i in range(len(frames))]
            sizes = [_save_png(frame, tmp / name) for frame, name in zip(frames, names, strict=True)]
            manifest.update(
                frames=list(names),
                indices=list(clip.indices),
                total_frames=clip.total_frames,
                video_fps=clip.video_fps,
                sample_fps=clip.sample_fps,
            )
        elif task.kind == "image":
            import numpy as np

            from seedbench_r1.frames import load_observation

            names = ["image.png"]
            sizes = [_save_png(np.asarray(load_observation(task.source)), tmp / names[0])]
        else:
            raise ValueError(f"unknown cache entry kind {task.kind!r}")
        manifest.update(files=names, file_bytes=sizes, created=time.strftime("%Y-%m-%dT%H:%M:%S%z"))
        # The manifest is written last: an entry without one is incomplete by construction.
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
        _commit(tmp, entry)
        return TaskResult(task, True, seconds=time.perf_counter() - start)
    except Exception as exc:  # reported per entry in the failure summary, never swallowed
        shutil.rmtree(tmp, ignore_errors=True)
        return TaskResult(task, False, f"{type(exc).__name__}: {exc}", time.perf_counter() - start)


def _worker_init() -> None:
    # One decode per process: torch's own thread pool would oversubscribe the cores.
    import torch

    torch.set_num_threads(1)


# --------------------------------------------------------------------------------------------- planning


@dataclass
class Plan:
    tasks: list[Task]  # entries to build
    cached: int  # entries already valid
    samples: int  # samples (rows) considered
    bad_rows: list[str] = field(default_factory=list)
    missing: list[tuple[str, str]] = field(default_factory=list)  # (relpath, reason)


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


def plan(
    root: str | os.PathLike[str],
    splits: Sequence[str],
    cache_dir: str | os.PathLike[str] | None = None,
    *,
    force: bool = False,
) -> Plan:
    """Which entries the given splits need and which of them are not yet validly cached."""
    from seedbench_r1.annotations import load_split

    root = Path(root)
    cache = Path(cache_dir) if cache_dir is not None else default_cache_dir(root)
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
    tasks: list[Task] = []
    missing: list[tuple[str, str]] = []
    cached = 0
    # Clips first: they are the long tasks, so a pool ends with short image tasks filling the gaps.
    for rel, kind in sorted(wanted.items(), key=lambda item: (item[1] != "video", item[0])):
        source, entry = media_path(root, rel), entry_dir(cache, rel)
        if not force and read_manifest(entry, source) is not None:
            cached += 1
        elif not source.is_file():
            missing.append((rel, f"{kind} not found: {source}"))
        else:
            tasks.append(Task(kind, rel, str(source), str(entry)))
    return Plan(tasks, cached, samples, bad, missing)


def sweep_temp(entries: Iterable[str | os.PathLike[str]]) -> int:
    """Remove temp / swapped-out folders left beside these entries by a killed run. Returns how many."""
    removed = 0
    for parent in {Path(e).parent for e in entries}:
        try:
            children = list(os.scandir(parent))
        except OSError:
            continue
        for child in children:
            if child.name.startswith(".") and (_TMP_MARK in child.name or _OLD_MARK in child.name):
                shutil.rmtree(child.path, ignore_errors=True)
                removed += 1
    return removed


# --------------------------------------------------------------------------------------------- running


@dataclass
class Summary:
    built: int = 0
    cached: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)  # (relpath, reason)
    bad_rows: list[str] = field(default_factory=list)
    samples: int = 0
    seconds: float = 0.0
    swept: int = 0

    @property
    def ok(self) -> bool:
        return not self.failures


def _progress(total: int, desc: str, enabled: bool):  # noqa: ANN202 - tqdm type
    from tqdm import tqdm

    return tqdm(
        total=total, desc=desc, unit="entry", disable=not enabled, file=sys.stderr, dynamic_ncols=True
    )


def run_local(tasks: list[Task], workers: int, progress: bool = True) -> list[TaskResult]:
    """The tasks in a local process pool (``workers`` <= 1: in this process)."""
    results: list[TaskResult] = []
    bar = _progress(len(tasks), "extract-frames", progress)
    try:
        if workers <= 1 or len(tasks) <= 1:
            _worker_init()
            for task in tasks:
                results.append(build_entry(task))
                bar.update(1)
            return results
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor, as_completed

        # spawn: decord and torch keep native threads that do not survive fork reliably.
        ctx = mp.get_context("spawn")
        with ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_worker_init) as pool:
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
    None, starts a local instance.
    """
    import ray

    if not ray.is_initialized():
        ray.init(address=address, **init_kwargs)
    remote = ray.remote(num_cpus=1)(_ray_build)
    pending = [remote.remote(t) for t in tasks]
    results: list[TaskResult] = []
    bar = _progress(len(tasks), "extract-frames (ray)", progress)
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
    _worker_init()
    return build_entry(task)


def extract_frames(
    root: str | os.PathLike[str],
    splits: Sequence[str],
    cache_dir: str | os.PathLike[str] | None = None,
    *,
    workers: int = 1,
    ray_address: str | None = None,
    use_ray: bool = False,
    force: bool = False,
    progress: bool = True,
    ray_init: dict[str, Any] | None = None,
) -> Summary:
    """Cache the frames and observation images every sample of ``splits`` shows the model."""
    start = time.perf_counter()
    the_plan = plan(root, splits, cache_dir, force=force)
    summary = Summary(cached=the_plan.cached, bad_rows=the_plan.bad_rows, samples=the_plan.samples)
    summary.failures.extend(the_plan.missing)
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


__all__ = [
    "RULE",
    "CachedVideo",
    "Summary",
    "cached_frame_paths",
    "cached_image_path",
    "cached_image_for",
    "cached_video",
    "cached_video_for",
    "load_cached_clip",
    "default_cache_dir",
    "entry_dir",
    "extract_frames",
    "read_manifest",
]
