"""Writing frame cache entries: one clip or image decoded by the protocol, written atomically.

Files go to a hidden sibling temp folder, the manifest is written last, and the folder is renamed into place;
a run killed part-way leaves at most hidden temp folders, which the next run removes (:func:`sweep_temp`).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from seedbench_r1.protocol.frame_cache import HASH, MANIFEST, RULE, EntryCheck

_TMP_MARK = ".tmp-"
_OLD_MARK = ".old-"


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
            from seedbench_r1.protocol.frames import decode_clip

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

            from seedbench_r1.protocol.frames import load_observation

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


def worker_init(parent_pid: int | None = None) -> None:
    """Set up a process that builds entries. In a local pool (``parent_pid`` given), the worker also dies with
    its parent: a SIGKILLed ``extract-frames`` leaves no worker decoding on (Linux; see
    :mod:`seedbench_r1.env.workers`)."""
    if parent_pid is not None:
        from seedbench_r1.env.workers import die_with_parent

        die_with_parent(parent_pid)
    # One decode per process: torch's own thread pool would oversubscribe the cores.
    import torch

    torch.set_num_threads(1)


def refresh_times(entry: Path, check: EntryCheck) -> None:
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
