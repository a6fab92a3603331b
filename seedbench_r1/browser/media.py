"""The site's pictures: one contact sheet per clip (its protocol frames), one JPEG per observation image.

Frames come from the frame cache when its entry is valid, else the clip is decoded once (the protocol's rule,
:func:`~seedbench_r1.protocol.frames.decode_clip`). Files are named by a hash of what they show (media path,
the source's size and mtime, the protocol version, this module's layout), so a rebuild keeps the ones still
right and makes only the rest: an interrupted build resumes, and a changed clip gets a new sheet. Each file is
written atomically. A medium that cannot be read is a placeholder in the page and a counted line here.
"""

from __future__ import annotations

import hashlib
import io
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from seedbench_r1.files import write_with
from seedbench_r1.protocol.constants import PROTOCOL_VERSION
from seedbench_r1.protocol.errors import SeedBenchError

SHEET_LAYOUT = "sheet-v1"  # change when the sheet's look changes: old files are then not reused
TILE = 126  # pixels per frame on the sheet (half the protocol's 252)
JPEG_QUALITY = 82
MEDIA_DIR = "site/media"


@dataclass(frozen=True)
class Picture:
    url: str | None  # relative to the site's index.html; None: missing
    missing: str = ""  # why, when url is None
    frames: int = 0  # frames on a contact sheet
    indices: tuple[int, ...] = ()  # the clip's frame indices the sheet shows


@dataclass
class MediaStore:
    """Makes each picture once per build (and once across builds): sheets of clips, observation images."""

    out: Path  # the site's folder (index.html's)
    progress: Callable[[str], None] | None = None
    made: int = 0
    reused: int = 0
    missing: dict[str, str] = field(default_factory=dict)  # media path -> why
    _done: dict[tuple[str, str], Picture] = field(default_factory=dict)
    _used: set[str] = field(default_factory=set)

    def sheet(self, root: Path, relpath: str, cache_dir: Path | None = None) -> Picture:
        return self._picture("sheet", root, relpath, lambda src: _sheet_bytes(root, relpath, src, cache_dir))

    def image(self, root: Path, relpath: str) -> Picture:
        return self._picture("image", root, relpath, lambda src: (_image_bytes(root, relpath), ()))

    def copy(self, source: Path) -> Picture:
        """A picture made elsewhere (an attention map): copied in under its content hash."""
        try:
            data = source.read_bytes()
        except OSError as exc:
            self.missing[str(source)] = str(exc)
            return Picture(None, f"cannot read {source}: {exc.strerror or exc}")
        name = f"copy-{hashlib.sha256(data).hexdigest()[:20]}{source.suffix.lower()}"
        self._write(name, lambda: data)
        return Picture(f"{MEDIA_DIR}/{name}")

    def prune(self) -> int:
        """Remove the pictures of earlier builds that this build does not use; how many went."""
        folder = self.out / MEDIA_DIR
        gone = 0
        for path in folder.glob("*") if folder.is_dir() else ():
            if (
                path.is_file()
                and path.name not in self._used
                and path.name.split("-", 1)[0] in ("sheet", "image", "copy")
            ):
                path.unlink()
                gone += 1
        return gone

    def _picture(
        self, kind: str, root: Path, relpath: str, make: Callable[[Path], tuple[bytes, tuple[int, ...]]]
    ) -> Picture:
        key = (kind, str(root / relpath))
        if key not in self._done:
            self._done[key] = self._make(kind, root, relpath, make)
        return self._done[key]

    def _make(
        self, kind: str, root: Path, relpath: str, make: Callable[[Path], tuple[bytes, tuple[int, ...]]]
    ) -> Picture:
        from seedbench_r1.protocol.root import media_path

        try:
            source = media_path(root, relpath)
            st = source.stat()
        except (OSError, SeedBenchError) as exc:
            return self._miss(relpath, f"{relpath}: {getattr(exc, 'strerror', None) or exc}")
        stamp = f"{kind}|{relpath}|{st.st_size}|{st.st_mtime_ns}|{PROTOCOL_VERSION}|{SHEET_LAYOUT}"
        name = f"{kind}-{hashlib.sha256(stamp.encode()).hexdigest()[:20]}.jpg"
        indices: tuple[int, ...] = ()
        meta = self.out / MEDIA_DIR / (name + ".idx")

        def build() -> bytes:
            nonlocal indices
            data, indices = make(source)
            return data

        try:
            fresh = self._write(name, build)
        except (OSError, SeedBenchError, ValueError) as exc:  # MediaError: an unreadable clip or image
            return self._miss(relpath, str(exc))
        if kind == "sheet":
            if fresh:
                write_with(meta, lambda tmp: tmp.write_text(",".join(map(str, indices))))
            else:
                indices = _read_indices(meta)
            self._used.add(meta.name)
        return Picture(f"{MEDIA_DIR}/{name}", frames=len(indices), indices=indices)

    def _write(self, name: str, data: Callable[[], bytes]) -> bool:
        """Write ``name`` unless a complete file is there already (files only appear whole); True if made."""
        path = self.out / MEDIA_DIR / name
        self._used.add(name)
        if path.is_file():
            self.reused += 1
            return False
        payload = data()
        write_with(path, lambda tmp: tmp.write_bytes(payload))
        self.made += 1
        if self.progress and self.made % 50 == 0:
            self.progress(f"media: {self.made} pictures made, {self.reused} reused")
        return True

    def _miss(self, relpath: str, why: str) -> Picture:
        self.missing[relpath] = why
        return Picture(None, why)


def _read_indices(meta: Path) -> tuple[int, ...]:
    try:
        text = meta.read_text().strip()
        return tuple(int(x) for x in text.split(",")) if text else ()
    except (OSError, ValueError):
        return ()


def _sheet_bytes(
    root: Path, relpath: str, source: Path, cache_dir: Path | None
) -> tuple[bytes, tuple[int, ...]]:
    """The clip's protocol frames on one JPEG grid (4 per row up to 16 frames, 8 beyond), and their indices."""
    from PIL import Image

    from seedbench_r1.protocol.frame_cache import cached_video_for, load_cached_clip
    from seedbench_r1.protocol.frames import decode_clip

    cached = cached_video_for(root, relpath, cache_dir)
    clip = load_cached_clip(cached) if cached is not None else decode_clip(source)
    frames = clip.as_numpy()
    per_row = 4 if len(frames) <= 16 else 8
    rows = -(-len(frames) // per_row)
    sheet = Image.new("RGB", (per_row * TILE, rows * TILE), (32, 32, 32))
    for i, frame in enumerate(frames):
        tile = Image.fromarray(frame).resize((TILE, TILE), Image.Resampling.BILINEAR)
        sheet.paste(tile, ((i % per_row) * TILE, (i // per_row) * TILE))
    return _jpeg(sheet), tuple(clip.indices)


def _image_bytes(root: Path, relpath: str) -> bytes:
    from seedbench_r1.protocol.frame_cache import cached_image_for
    from seedbench_r1.protocol.frames import load_observation
    from seedbench_r1.protocol.root import media_path

    cached = cached_image_for(root, relpath)
    return _jpeg(load_observation(cached if cached is not None else media_path(root, relpath)))


def _jpeg(image: object) -> bytes:
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=JPEG_QUALITY)  # type: ignore[attr-defined]
    return buf.getvalue()


def stderr_progress(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


__all__ = ["MediaStore", "Picture", "stderr_progress"]
