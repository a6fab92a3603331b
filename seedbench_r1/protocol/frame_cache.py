"""The frame cache's format and its reader: the protocol's frames stored losslessly, read back bit-identical.

Layout (default cache folder ``<root>/frames``), one entry per media file, keyed by its path relative to the
dataset root::

    frames/videos/<video_source>/<video_basename>/frame_00.png ... frame_NN.png, manifest.json
    frames/images/<video_source>/<observation_basename>/image.png, manifest.json

Keying by media path (not by sample) dedupes: samples that share a clip share one entry, and every sample that
points at ``videos/X/y.mp4`` gets the same frames because the frame rule depends only on the clip. The rule
itself is recorded in each manifest (cache format, protocol version, rule parameters, reader, resize, indices,
source fps, sampled fps, and per file its byte size, mtime (ns) and sha256); an entry made under another rule,
format or version, or whose files are missing or truncated, is not valid and is rebuilt, never reused.

Content checks. A lookup or a plain rerun compares each file's size and mtime with the manifest (a stat, no
read); a file whose mtime differs is hashed, and kept only if its sha256 is the manifest's (a copy made without
preserving times), so an in-place edit of a frame, even one that keeps its size, is caught. ``extract-frames
--verify`` and ``verify --frame-cache`` hash every file (``seedbench_r1.data.extract_frames.verify_cache``): that also catches an edit that
kept the mtime, at the cost of reading the whole cache.

:func:`load_cached_clip` is the ONE reader of a cached clip: it returns the core's
:class:`~seedbench_r1.protocol.frames.Clip` (uint8 frames, indices, source fps, frame count), equal to what
:func:`~seedbench_r1.protocol.frames.decode_clip` gives for the clip. verl reads cache rows through ``verl_recipe.dataset.SeedBenchRLHFDataset``, which calls it:
qwen-vl-utils 0.0.14 cannot pass a 252 x 252 frame LIST through unchanged (its ``fetch_video`` hands each frame
to ``fetch_image`` with the patch size doubled, so frames go 252 -> 224 -> 252) and it would replace the clip's
fps and indices with made-up ones.

LongVideoBench (``extract_frames(..., dataset="longvideobench")``): the same entries, keyed by ``videos/<name>``
under the LongVideoBench root, for every clip of ``lvb_val.json`` (clips only: it has no observation images). The
cache folder defaults to ``$LONGVIDEOBENCH_FRAMES``, else ``<lvb root>/frames`` (:func:`lvb_cache_dir`). The
``longvideobench_r1`` task hands the project's model class a :class:`CachedClipPath` (the clip's path, which
also names its entry); :func:`clip_from_cache` reads it, and decodes the clip instead when the entry is not
valid.

Building, locking and verifying the cache is tooling (:mod:`seedbench_r1.data.extract_frames`): this
module is the cache's format and its one reader, which evaluation and training share.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from seedbench_r1.protocol.constants import (
    FRAME_FACTOR,
    FRAME_SIZE,
    MAX_FRAMES,
    MIN_FRAMES,
    PROTOCOL_VERSION,
    SAMPLE_FPS,
)
from seedbench_r1.protocol.root import media_path

if TYPE_CHECKING:
    from seedbench_r1.protocol.frames import Clip

MANIFEST = "manifest.json"
# Layout of this module's entries; bumped when it changes. 3: each file's mtime (ns) and sha256 in the
# manifest (content checks). 2: PNGs only. Format 1 also wrote a lossless mp4 of the frames, which nothing reads
# now. Entries of an older format are stale and rebuilt (their content cannot be checked, so it is not trusted).
CACHE_FORMAT = 3
DEFAULT_CACHE_DIRNAME = "frames"
LVB_FRAMES_ENV = "LONGVIDEOBENCH_FRAMES"  # LongVideoBench's cache folder, when not <lvb root>/frames
HASH = "sha256"  # per-file content hash in the manifest (``file_sha256``); hardware-accelerated on x86 / arm
PNG_END = b"IEND\xaeB`\x82"  # the IEND chunk's type and CRC: the last 8 bytes of every complete PNG


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


def lvb_cache_dir(root: str | os.PathLike[str], explicit: str | os.PathLike[str] | None = None) -> Path:
    """LongVideoBench's frame cache folder: ``explicit`` (``--out``), else ``$LONGVIDEOBENCH_FRAMES``, else
    ``<root>/frames``. ``extract-frames --dataset longvideobench`` writes it and ``longvideobench_r1`` reads it."""
    if explicit is not None and str(explicit) != "":
        return Path(explicit).expanduser().absolute()
    if os.environ.get(LVB_FRAMES_ENV):
        return Path(os.environ[LVB_FRAMES_ENV]).expanduser().absolute()
    return default_cache_dir(root)


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
    """Read a cached clip: the same :class:`~seedbench_r1.protocol.frames.Clip` that ``decode_clip`` gives for it.

    The PNGs are read as they are (uint8 RGB, no resize): they already hold the protocol's frames, losslessly.
    Errors name the file (a missing or corrupt frame) or the mismatch (frames vs indices).
    """
    import numpy as np
    import torch
    from PIL import Image

    from seedbench_r1.protocol.errors import MediaError
    from seedbench_r1.protocol.frames import Clip

    if not video.frames or len(video.frames) != len(video.indices):
        where = video.frames[0].parent if video.frames else "?"
        raise MediaError(f"cached clip {where}: {len(video.frames)} frames for {len(video.indices)} indices")
    arrays = []
    for path in video.frames:
        try:
            data = Path(path).read_bytes()
            # A truncated PNG decodes "fine" once any package sets PIL's LOAD_TRUNCATED_IMAGES (lmms-eval's
            # task module does, on import): check the end chunk ourselves instead of trusting that flag.
            if not data.endswith(PNG_END):
                raise ValueError("truncated PNG (no IEND chunk at its end)")
            with Image.open(io.BytesIO(data)) as img:
                array = np.asarray(img.convert("RGB"))
        except (OSError, ValueError) as exc:
            raise MediaError(f"cannot read cached frame {path}: {exc}") from exc
        if array.shape != (FRAME_SIZE, FRAME_SIZE, 3):
            raise MediaError(f"cached frame {path} is {array.shape}, not {FRAME_SIZE} x {FRAME_SIZE} RGB")
        arrays.append(array)
    frames = torch.from_numpy(np.stack(arrays)).permute(0, 3, 1, 2).contiguous()
    return Clip(frames, tuple(video.indices), video.total_frames, video.video_fps, video.sample_fps)


def file_digest(path: str | os.PathLike[str]) -> str:
    """The manifest's content hash of one file (hex)."""
    digest = hashlib.new(HASH)
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass(frozen=True)
class EntryCheck:
    """What :func:`check_entry` found in one entry folder.

    ``state``: ``ok``; ``absent`` (no manifest: never built, or killed before its manifest); ``stale`` (made
    under another rule, format or protocol version); ``corrupt`` (a listed file is missing, has another size or
    other content, or the manifest is unreadable); ``source-changed`` (the clip or image it was made from has
    another size now). Only ``ok`` entries are read; the others are rebuilt by ``extract-frames``.
    """

    state: str
    manifest: dict | None = None
    problems: tuple[tuple[str, str], ...] = ()  # (path, what is wrong) for corrupt / source-changed / stale
    touched: tuple[tuple[int, int], ...] = ()  # (file index, mtime_ns now): content verified, only time moved

    @property
    def ok(self) -> bool:
        return self.state == "ok"


def _plain_name(name: object) -> bool:
    return (
        isinstance(name, str) and name not in ("", ".", "..") and name == Path(name).name and "\\" not in name
    )


def check_entry(
    entry: str | os.PathLike[str],
    source: str | os.PathLike[str] | None = None,
    *,
    deep: bool = False,
) -> EntryCheck:
    """Check one entry against its manifest.

    Every listed file must exist with its recorded byte size. A file whose mtime (ns) is not the recorded one
    is hashed and must have the recorded sha256 (so a same-size in-place edit is caught, and a copy made
    without preserving times is still accepted); ``deep`` hashes every file whatever its mtime. When
    ``source`` exists, its size must match the one the entry was made from (a replaced clip invalidates its
    frames); a missing source is accepted so that users may delete the clips of a fully cached split.
    """
    entry = Path(entry)
    manifest_path = entry / MANIFEST
    try:
        text = manifest_path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return EntryCheck("absent")
    except (OSError, ValueError) as exc:
        return EntryCheck("corrupt", problems=((str(manifest_path), f"unreadable manifest: {exc}"),))
    try:
        manifest = json.loads(text)
    except (ValueError, RecursionError) as exc:
        return EntryCheck("corrupt", problems=((str(manifest_path), f"unreadable manifest: {exc}"),))
    if not isinstance(manifest, dict) or manifest.get("rule") != RULE:
        rule = manifest.get("rule") if isinstance(manifest, dict) else None
        fmt = rule.get("cache_format") if isinstance(rule, dict) else None
        why = (
            f"made under another rule or format (cache format {fmt}, current {CACHE_FORMAT}, protocol "
            f"{PROTOCOL_VERSION})"
        )
        return EntryCheck("stale", manifest if isinstance(manifest, dict) else None, ((str(entry), why),))
    columns = [manifest.get(k) for k in ("files", "file_bytes", "file_mtime_ns", f"file_{HASH}")]
    consistent = (
        all(isinstance(c, list) and len(c) == len(columns[0]) for c in columns)
        and columns[0]
        and all(_plain_name(n) for n in columns[0])
        and (manifest.get("kind") != "video" or manifest.get("frames") == columns[0])
        and (manifest.get("kind") != "image" or len(columns[0]) == 1)
    )
    if not consistent:
        return EntryCheck(
            "corrupt", manifest, ((str(manifest_path), "manifest's file lists are inconsistent"),)
        )
    problems: list[tuple[str, str]] = []
    touched: list[tuple[int, int]] = []
    for i, (name, size, mtime, digest) in enumerate(zip(*columns, strict=True)):
        path = entry / name
        try:
            st = path.stat()
            if st.st_size != size:
                problems.append((str(path), f"{st.st_size} bytes, the manifest says {size}"))
                continue
            if deep or st.st_mtime_ns != mtime:
                if file_digest(path) != digest:
                    problems.append(
                        (str(path), f"content changed since it was cached ({HASH} differs from the manifest)")
                    )
                    continue
                if st.st_mtime_ns != mtime:
                    touched.append((i, st.st_mtime_ns))
        except FileNotFoundError:
            problems.append((str(path), "missing"))
        except OSError as exc:
            problems.append((str(path), exc.strerror or str(exc)))
    if problems:
        return EntryCheck("corrupt", manifest, tuple(problems))
    if source is not None:
        try:
            size = Path(source).stat().st_size
        except OSError:
            size = None  # source deleted after caching: the cache stands on its own
        if size is not None and size != manifest.get("source_bytes"):
            why = f"its source changed since it was cached ({size} bytes, was {manifest.get('source_bytes')})"
            return EntryCheck("source-changed", manifest, ((str(source), why),))
    return EntryCheck("ok", manifest, touched=tuple(touched))


def read_manifest(entry: str | os.PathLike[str], source: str | os.PathLike[str] | None = None) -> dict | None:
    """The manifest of a complete entry made under the current rule whose files are unchanged, else None.

    The rule of :func:`check_entry` without ``deep``: sizes and mtimes from a stat, a hash only for a file
    whose mtime moved.
    """
    check = check_entry(entry, source)
    return check.manifest if check.ok else None


def cached_video(
    root: str | os.PathLike[str], sample: Any, cache_dir: str | os.PathLike[str] | None = None
) -> CachedVideo | None:
    """The cached frames of ``sample``'s clip, or None (no clip, or no complete entry under the current rule)."""
    if not getattr(sample, "has_video", False):
        return None
    return cached_video_for(root, sample.video_relpath, cache_dir)


def _valid_entry(
    root: str | os.PathLike[str], relpath: str, cache_dir: str | os.PathLike[str] | None, kind: str
) -> tuple[Path, dict] | None:
    """The entry folder and manifest of ``relpath``'s media when its entry is valid and of ``kind``."""
    cache = Path(cache_dir) if cache_dir is not None else default_cache_dir(root)
    entry = entry_dir(cache, relpath)
    manifest = read_manifest(entry, media_path(root, relpath))
    if manifest is None or manifest.get("kind") != kind:
        return None
    return entry, manifest


def cached_video_for(
    root: str | os.PathLike[str], relpath: str, cache_dir: str | os.PathLike[str] | None = None
) -> CachedVideo | None:
    found = _valid_entry(root, relpath, cache_dir, "video")
    if found is None or not found[1].get("frames"):
        return None
    return _cached_video(*found)


def _cached_video(entry: Path, manifest: dict) -> CachedVideo:
    return CachedVideo(
        frames=[entry / name for name in manifest["frames"]],
        indices=list(manifest["indices"]),
        total_frames=int(manifest["total_frames"]),
        video_fps=float(manifest["video_fps"]),
        sample_fps=float(manifest["sample_fps"]),
    )


class CachedClipPath(str):
    """A clip's path that also names the clip's frame cache entry (``.entry``, a folder).

    It IS the path (a ``str``): a reader that knows nothing of the cache (a stock lmms-eval model) decodes the
    clip as before. :func:`clip_from_cache` (what :func:`seedbench_r1.protocol.qwen_inputs.prompt_from_visuals` calls
    for it) reads the entry instead.
    """

    entry: str

    def __new__(cls, path: str | os.PathLike[str], entry: str | os.PathLike[str]) -> CachedClipPath:
        obj = super().__new__(cls, os.fspath(path))
        obj.entry = os.fspath(entry)
        return obj

    def __getnewargs__(self) -> tuple[str, str]:  # type: ignore[override]  # pickles with its entry
        return (str(self), self.entry)


_WARNED: set[str] = set()  # entries already reported as not usable (one line per entry and process)


def clip_from_cache(video: CachedClipPath, *, sample: str | None = None) -> Clip:
    """The clip's protocol frames from its cache entry when the entry is valid, else decoded from the clip.

    Either way the :class:`~seedbench_r1.protocol.frames.Clip` equals ``decode_clip(video)`` (frames, indices, fps,
    frame count): the entry holds exactly those. Valid means :func:`check_entry` (sizes, mtimes, sha256 of a file
    whose mtime moved, the source clip's size, the current rule) passes and every frame reads. An entry that is
    not valid (stale rule, changed file, replaced clip, unreadable frame) is reported once per entry on stderr,
    naming the entry and why, and the clip is decoded: decoding is the reference the cache reproduces, so the
    model's inputs do not change, only the time it takes. A missing entry is decoded silently.
    """
    from seedbench_r1.protocol.errors import MediaError
    from seedbench_r1.protocol.frames import decode_clip

    entry = Path(video.entry)
    check = check_entry(entry, str(video))
    state, reason = check.state, ""
    if check.ok:
        manifest = check.manifest or {}
        state = "unreadable"
        if manifest.get("kind") == "video" and manifest.get("frames"):
            try:
                return load_cached_clip(_cached_video(entry, manifest))
            except (MediaError, KeyError, TypeError, ValueError) as exc:
                reason = str(exc)
        else:
            reason = f"not a clip's entry (kind {manifest.get('kind')!r})"
    elif check.state != "absent":
        reason = "; ".join(f"{path}: {why}" for path, why in check.problems) or check.state
    if reason and str(entry) not in _WARNED:
        _WARNED.add(str(entry))
        print(
            f"frame cache entry {entry} not used ({state}: {reason}); decoding {video} instead "
            "(`seedbench-r1 extract-frames` rebuilds the entry)",
            file=sys.stderr,
        )
    return decode_clip(str(video), sample=sample)


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
    found = _valid_entry(root, relpath, cache_dir, "image")
    return None if found is None else found[0] / found[1]["files"][0]


__all__ = [
    "CACHE_FORMAT",
    "MANIFEST",
    "RULE",
    "CachedClipPath",
    "CachedVideo",
    "EntryCheck",
    "cached_frame_paths",
    "cached_image_for",
    "cached_image_path",
    "cached_video",
    "cached_video_for",
    "check_entry",
    "clip_from_cache",
    "default_cache_dir",
    "entry_dir",
    "file_digest",
    "load_cached_clip",
    "lvb_cache_dir",
    "read_manifest",
]
