"""How a row names its media for verl: the ONE place that turns a clip or an image into a qwen-vl-utils entry.

verl 0.9.1 hands each ``videos`` / ``images`` entry unchanged to qwen-vl-utils (``fetch_video`` /
``fetch_image``) inside the rollout workers, so the entry carries the protocol itself: the frame rule as
``fps`` / ``min_frames`` / ``max_frames`` and the 252 x 252 size as ``resized_height`` / ``resized_width``
(:func:`seedbench_r1.protocol.constants.video_spec`); no clip is opened here.

Paths are written ABSOLUTE: qwen-vl-utils opens them as given, in Ray workers whose working directory is not
the launch directory. ``media_root`` is the dataset root as the training machines see it, so a parquet can be
prepared on one machine and used on a cluster that mounts the data elsewhere.

With a frame cache (``seedbench-r1 extract-frames``, :mod:`seedbench_r1.protocol.frame_cache`), a clip becomes its list
of cached 252 x 252 PNG frames plus the clip's metadata (:func:`video_entry` writes it, :func:`cached_clip_of`
reads it back). qwen-vl-utils 0.0.14 would resample such a frame list (252 -> 224 -> 252), so the recipes read
these rows through :class:`verl_recipe.dataset.SeedBenchRLHFDataset`, which loads the frames with the core's
reader (:func:`seedbench_r1.protocol.frame_cache.load_cached_clip`): bit-identical to decoding the clip. verl's SFT
dataset has no such hook, so SFT parquet is written with clip paths only.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from seedbench_r1.protocol.constants import image_spec, video_spec
from seedbench_r1.protocol.errors import MediaError, UsageError
from seedbench_r1.protocol.root import media_path

if TYPE_CHECKING:
    from seedbench_r1.protocol.frame_cache import CachedVideo


@dataclass(frozen=True)
class MediaLayout:
    """Where media are read (``root``), what prefix is written (``media_root``), and an optional frame cache
    with the prefix written for it (``cache_root``: under ``media_root`` when the cache is under ``root``)."""

    root: Path
    media_root: Path
    frame_cache: Path | None = None
    cache_root: Path | None = None

    @classmethod
    def make(
        cls,
        root: str | os.PathLike[str],
        media_root: str | os.PathLike[str] | None = None,
        frame_cache: str | os.PathLike[str] | None = None,
        frame_cache_root: str | os.PathLike[str] | None = None,
    ) -> MediaLayout:
        root_path = Path(root).expanduser().absolute()
        written = Path(media_root).expanduser() if media_root else root_path
        if not written.is_absolute():
            raise UsageError(f"--media-root must be an absolute path (verl workers open it as is): {written}")
        cache = Path(frame_cache).expanduser().absolute() if frame_cache else None
        cache_written = Path(frame_cache_root).expanduser() if frame_cache_root else None
        if cache_written is not None and (cache is None or not cache_written.is_absolute()):
            raise UsageError(
                f"--frame-cache-root needs --frame-cache and an absolute path (verl workers open it as is): "
                f"{cache_written}"
            )
        if (
            cache is not None
            and cache_written is None
            and written != root_path
            and not cache.is_relative_to(root_path)
        ):
            # Its frames would be named where this machine has them, not where the training machines do.
            raise UsageError(
                f"--frame-cache {cache} is outside --root {root_path}, so --media-root {written} does not cover "
                "it: pass --frame-cache-root <the cache as the training machines see it>"
            )
        return cls(root_path, written, cache, cache_written)

    def written(self, path: Path) -> str:
        """``path`` (under the cache or ``root``) as the training machines will see it."""
        if (
            self.cache_root is not None
            and self.frame_cache is not None
            and path.is_relative_to(self.frame_cache)
        ):
            return str(self.cache_root / path.relative_to(self.frame_cache))
        try:
            return str(self.media_root / path.relative_to(self.root))
        except ValueError:
            return str(path)  # a cache outside the root, on a cluster that sees it at the same path


def video_entry(relpath: str, layout: MediaLayout, *, who: str = "") -> dict[str, Any]:
    """The ``videos`` entry of one clip (``relpath`` relative to the dataset root).

    Without a frame cache: the clip path plus the protocol's frame rule and size. With one: the cached frame
    PNGs (qwen-vl-utils' frame-list form), the size, and the fps values Qwen2.5-VL's time encoding reads.
    """
    if layout.frame_cache is None:
        # The core's path rule applied to the root the training machines see.
        return {"video": str(media_path(layout.media_root, relpath)), **video_spec()}
    from seedbench_r1.protocol.frame_cache import cached_video_for

    cached = cached_video_for(layout.root, relpath, layout.frame_cache)
    if cached is None:
        raise _missing(
            f"{who}no valid frame-cache entry for {relpath} in {layout.frame_cache} "
            "(build it with `seedbench-r1 extract-frames`)"
        )
    spec = video_spec()
    return {
        "video": [layout.written(p) for p in cached.frames],
        "sample_fps": cached.sample_fps,
        "raw_fps": cached.video_fps,
        # Read by verl_recipe.dataset.SeedBenchRLHFDataset (qwen-vl-utils would resample a frame list).
        "frames_indices": list(cached.indices),
        "total_num_frames": cached.total_frames,
        "resized_height": spec["resized_height"],
        "resized_width": spec["resized_width"],
    }


def cached_clip_of(entry: dict[str, Any]) -> CachedVideo:
    """The cached clip a frame-list ``videos`` entry (written by :func:`video_entry`) names."""
    from seedbench_r1.protocol.frame_cache import CachedVideo

    return CachedVideo(
        frames=[Path(p) for p in entry["video"]],
        indices=[int(i) for i in entry["frames_indices"]],
        total_frames=int(entry["total_num_frames"]),
        video_fps=float(entry["raw_fps"]),
        sample_fps=float(entry["sample_fps"]),
    )


def image_entry(relpath: str, layout: MediaLayout, *, who: str = "") -> dict[str, Any]:
    """The ``images`` entry of one observation image (the cached 252 x 252 PNG when a cache is used)."""
    if layout.frame_cache is None:
        return {"image": str(media_path(layout.media_root, relpath)), **image_spec()}
    from seedbench_r1.protocol.frame_cache import cached_image_for

    cached = cached_image_for(layout.root, relpath, layout.frame_cache)
    if cached is None:
        raise _missing(f"{who}no valid frame-cache entry for {relpath} in {layout.frame_cache}")
    return {"image": layout.written(cached), **image_spec()}


def _missing(message: str) -> MediaError:
    err = MediaError(message)
    err.reason = "not in the frame cache"  # type: ignore[attr-defined]  # groups skip counts
    return err


def media_types(layout: MediaLayout) -> tuple[pa.DataType, pa.DataType]:
    """Arrow types of one video and one image entry. Fixed per layout, so every file of a run has one schema
    (verl concatenates its L1/L2/L3 validation files, which needs identical schemas) even when a file holds
    no clip at all."""
    if layout.frame_cache is None:
        video = {"video": "", **video_spec()}
    else:
        video = {
            "video": [""],
            "sample_fps": 2.0,
            "raw_fps": 30.0,
            "frames_indices": [0],
            "total_num_frames": 1,
            "resized_height": 1,
            "resized_width": 1,
        }
    return pa.infer_type([video]), pa.infer_type([{"image": "", **image_spec()}])
