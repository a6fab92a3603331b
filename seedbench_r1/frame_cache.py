"""A lossless cache of the protocol's frames, so training reads a few small PNGs instead of decoding video.

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
--verify`` and ``verify --frame-cache`` hash every file (:func:`verify_cache`): that also catches an edit that
kept the mtime, at the cost of reading the whole cache.

:func:`load_cached_clip` is the ONE reader of a cached clip: it returns the core's
:class:`~seedbench_r1.frames.Clip` (uint8 frames, indices, source fps, frame count), equal to what
:func:`~seedbench_r1.frames.decode_clip` gives for the clip. verl reads cache rows through ``verl_recipe.dataset.SeedBenchRLHFDataset``, which calls it:
qwen-vl-utils 0.0.14 cannot pass a 252 x 252 frame LIST through unchanged (its ``fetch_video`` hands each frame
to ``fetch_image`` with the patch size doubled, so frames go 252 -> 224 -> 252) and it would replace the clip's
fps and indices with made-up ones.

LongVideoBench (``extract_frames(..., dataset="longvideobench")``): the same entries, keyed by ``videos/<name>``
under the LongVideoBench root, for every clip of ``lvb_val.json`` (clips only: it has no observation images). The
cache folder defaults to ``$LONGVIDEOBENCH_FRAMES``, else ``<lvb root>/frames`` (:func:`lvb_cache_dir`). The
``longvideobench_r1`` task hands the project's model class a :class:`CachedClipPath` (the clip's path, which
also names its entry); :func:`clip_from_cache` reads it, and decodes the clip instead when the entry is not
valid.

Writes are atomic per entry: files go to a hidden sibling temp folder, the manifest is written last, and the
folder is renamed into place. A run killed part-way leaves at most hidden temp folders, which the next run
removes. A run holds an exclusive ``flock`` on ``<cache>/.extract-frames.lock`` (:func:`cache_lock`): a second
run on the same cache fails at once with :class:`CacheBusyError` instead of racing the first.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import shutil
import sys
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from seedbench_r1.errors import SeedBenchError
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
# Layout of this module's entries; bumped when it changes. 3: each file's mtime (ns) and sha256 in the
# manifest (content checks). 2: PNGs only. Format 1 also wrote a lossless mp4 of the frames, which nothing reads
# now. Entries of an older format are stale and rebuilt (their content cannot be checked, so it is not trusted).
CACHE_FORMAT = 3
DEFAULT_CACHE_DIRNAME = "frames"
DATASETS = ("seedbench_r1", "longvideobench")  # what extract_frames can cache
LVB_FRAMES_ENV = "LONGVIDEOBENCH_FRAMES"  # LongVideoBench's cache folder, when not <lvb root>/frames
HASH = "sha256"  # per-file content hash in the manifest (``file_sha256``); hardware-accelerated on x86 / arm
LOCK_NAME = ".extract-frames.lock"
PNG_END = b"IEND\xaeB`\x82"  # the IEND chunk's type and CRC: the last 8 bytes of every complete PNG
_TMP_MARK = ".tmp-"
_OLD_MARK = ".old-"
_CHECK_THREADS = 8  # stat / hash threads (hashlib releases the GIL; a network file system rewards overlap)


class CacheBusyError(SeedBenchError):
    """Another process holds the frame cache's lock (a concurrent ``extract-frames`` or ``verify
    --frame-cache`` on the same cache folder)."""


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


def _refresh_times(entry: Path, check: EntryCheck) -> None:
    """Record the new mtimes of files whose content was verified (the entry was copied without its times),
    so the next rerun needs a stat again, not a hash. The manifest is replaced atomically."""
    manifest = dict(check.manifest or {})
    mtimes = list(manifest["file_mtime_ns"])
    for i, mtime in check.touched:
        mtimes[i] = mtime
    manifest["file_mtime_ns"] = mtimes
    tmp = entry / f".{MANIFEST}{_TMP_MARK}{uuid.uuid4().hex[:8]}"
    try:
        tmp.write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
        os.replace(tmp, entry / MANIFEST)
    finally:
        tmp.unlink(missing_ok=True)


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
    return _cached_video(entry, manifest)


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
    clip as before. :func:`clip_from_cache` (what :func:`seedbench_r1.qwen_inputs.prompt_from_visuals` calls
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

    Either way the :class:`~seedbench_r1.frames.Clip` equals ``decode_clip(video)`` (frames, indices, fps,
    frame count): the entry holds exactly those. Valid means :func:`check_entry` (sizes, mtimes, sha256 of a file
    whose mtime moved, the source clip's size, the current rule) passes and every frame reads. An entry that is
    not valid (stale rule, changed file, replaced clip, unreadable frame) is reported once per entry on stderr,
    naming the entry and why, and the clip is decoded: decoding is the reference the cache reproduces, so the
    model's inputs do not change, only the time it takes. A missing entry is decoded silently.
    """
    from seedbench_r1.errors import MediaError
    from seedbench_r1.frames import decode_clip

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


def _save_png(array: Any, path: Path) -> tuple[int, int, str]:
    """Write one PNG; its byte size, mtime (ns) and content hash, as the manifest records them."""
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(array, "RGB").save(buf, format="PNG", compress_level=1)
    data = buf.getvalue()
    with open(path, "wb") as fh:
        fh.write(data)
    return len(data), path.stat().st_mtime_ns, hashlib.new(HASH, data).hexdigest()


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
            written = [_save_png(frame, tmp / name) for frame, name in zip(frames, names, strict=True)]
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
            written = [_save_png(np.asarray(load_observation(task.source)), tmp / names[0])]
        else:
            raise ValueError(f"unknown cache entry kind {task.kind!r}")
        sizes, mtimes, digests = (list(column) for column in zip(*written, strict=True))
        manifest.update(
            files=names,
            file_bytes=sizes,
            file_mtime_ns=mtimes,
            **{f"file_{HASH}": digests},
            created=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        )
        # The manifest is written last: an entry without one is incomplete by construction.
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
        _commit(tmp, entry)
        return TaskResult(task, True, seconds=time.perf_counter() - start)
    except Exception as exc:  # reported per entry in the failure summary, never swallowed
        shutil.rmtree(tmp, ignore_errors=True)
        return TaskResult(task, False, f"{type(exc).__name__}: {exc}", time.perf_counter() - start)


def _worker_init(parent_pid: int | None = None) -> None:
    """Set up a process that builds entries. In a local pool (``parent_pid`` given), the worker also dies with
    its parent: a SIGKILLed ``extract-frames`` leaves no worker decoding on (Linux; see
    :mod:`seedbench_r1.workers`)."""
    if parent_pid is not None:
        from seedbench_r1.workers import die_with_parent

        die_with_parent(parent_pid)
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
    from seedbench_r1.longvideobench import load_lvb

    questions = load_lvb(root)
    return {q.video_relpath: "video" for q in questions}, len(questions), []


def _wanted_for(
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
    from seedbench_r1.annotations import load_split

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


def _map(fn: Callable[[Any], Any], items: Sequence[Any], desc: str, progress: bool) -> list[Any]:
    """``fn`` over ``items`` in a few threads (stat / hash work), results in order."""
    if len(items) <= 256:  # a thread pool costs more than it saves on a small local cache
        return [fn(item) for item in items]
    out: list[Any] = []
    bar = _progress(len(items), desc, progress)
    try:
        with ThreadPoolExecutor(max_workers=_CHECK_THREADS) as pool:
            for result in pool.map(fn, items):
                out.append(result)
                bar.update(1)
    finally:
        bar.close()
    return out


def _plan_entries(
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
        checks = _map(
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
    wanted, samples, bad = _wanted_for(root, dataset, splits)
    return _plan_entries(root, cache, wanted, samples, bad, force=force, verify=verify)


# --------------------------------------------------------------------------------------------- locking


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
    # (file, what is wrong) of cached entries whose files (or source) changed since caching: rebuilt
    changed: list[tuple[str, str]] = field(default_factory=list)
    retimed: int = 0  # entries whose files had new mtimes but the recorded content: manifests updated

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
        # Workers die with this process (PR_SET_PDEATHSIG): a SIGKILLed run leaves none behind.
        with ProcessPoolExecutor(
            max_workers=workers, mp_context=ctx, initializer=_worker_init, initargs=(os.getpid(),)
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
    wanted, samples, bad = _wanted_for(root, dataset, splits)  # reads annotations before creating anything
    with cache_lock(cache):
        the_plan = _plan_entries(
            root, cache, wanted, samples, bad, force=force, verify=verify, progress=progress
        )
        summary = Summary(cached=the_plan.cached, bad_rows=the_plan.bad_rows, samples=the_plan.samples)
        summary.failures.extend(the_plan.missing)
        summary.changed = sorted(the_plan.changed)
        for entry, check in the_plan.touched:
            _refresh_times(entry, check)
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


# --------------------------------------------------------------------------------------------- verifying


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

        for check, files, size in _map(one, found, "verify cache", progress):
            report.entries += 1
            report.files += files
            report.bytes += size
            if not check.ok:
                report.bad_entries += 1
                report.problems.extend(check.problems)
    report.seconds = time.perf_counter() - start
    return report


__all__ = [
    "RULE",
    "CacheBusyError",
    "CacheCheck",
    "CachedClipPath",
    "CachedVideo",
    "EntryCheck",
    "Summary",
    "cache_lock",
    "check_entry",
    "clip_from_cache",
    "cached_frame_paths",
    "cached_image_path",
    "cached_image_for",
    "cached_video",
    "cached_video_for",
    "load_cached_clip",
    "default_cache_dir",
    "entry_dir",
    "extract_frames",
    "lvb_cache_dir",
    "read_manifest",
    "verify_cache",
]
