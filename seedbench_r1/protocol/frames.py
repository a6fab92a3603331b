"""The frame rule and the resize rule: which frames of a clip the model sees, and at what size.

Frame count (docs/protocol.md), with even(x) = x rounded down to an even integer::

    n = even(min(max(SAMPLE_FPS * total / fps, MIN_FRAMES), even(min(MAX_FRAMES, total)), total))

so 4 to 16 frames, always even; a clip under 4 frames gets 2; a clip under 2 frames cannot be used. Indices are
``linspace(0, total - 1, n)`` rounded to the nearest integer (round half to even, as torch rounds).

Resize: every frame and the observation image go to FRAME_SIZE x FRAME_SIZE. Frames are resized as uint8
torch tensors with torchvision's bicubic + antialias (the official path), which returns uint8, so frames cached
losslessly are bit-identical to frames decoded on the fly. The image is resized with PIL bicubic, as
qwen-vl-utils' ``fetch_image`` does.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PIL import Image

from seedbench_r1.protocol.constants import FRAME_FACTOR, FRAME_SIZE, MAX_FRAMES, MIN_FRAMES, SAMPLE_FPS
from seedbench_r1.protocol.errors import MediaError

if TYPE_CHECKING:  # torch is imported where frames are touched, so `verify` / `download` start fast
    import numpy as np
    import torch


def _even(x: float) -> int:
    return int(math.floor(x / FRAME_FACTOR) * FRAME_FACTOR)


def frame_count(total_frames: int, video_fps: float) -> int:
    """How many frames the protocol samples from a clip of ``total_frames`` frames at ``video_fps``."""
    if total_frames < FRAME_FACTOR:
        raise ValueError(f"a clip needs at least {FRAME_FACTOR} frames, this one has {total_frames}")
    if not video_fps or video_fps <= 0 or math.isnan(video_fps):
        raise ValueError(f"clip frame rate must be positive, got {video_fps!r}")
    wanted = max(SAMPLE_FPS * total_frames / video_fps, MIN_FRAMES)
    ceiling = _even(min(MAX_FRAMES, total_frames))
    return _even(min(wanted, ceiling, total_frames))


def frame_indices(total_frames: int, video_fps: float) -> list[int]:
    """The indices of the sampled frames, by the protocol's count and linspace rule."""
    import torch

    n = frame_count(total_frames, video_fps)
    # torch's round() is round-half-to-even, exactly what the official code (torch.linspace().round()) did.
    return torch.linspace(0, total_frames - 1, n).round().long().tolist()


def sampled_fps(total_frames: int, video_fps: float) -> float:
    """Frames per second of the sampled sequence; Qwen2.5-VL's temporal position encoding reads it."""
    return frame_count(total_frames, video_fps) / max(total_frames, 1e-6) * video_fps


def resize_frames(frames: torch.Tensor) -> torch.Tensor:
    """uint8 (T, 3, H, W) -> uint8 (T, 3, FRAME_SIZE, FRAME_SIZE), torchvision bicubic with antialias."""
    import torch
    from torchvision.transforms import InterpolationMode
    from torchvision.transforms import functional as tvf

    if frames.dtype != torch.uint8 or frames.ndim != 4 or frames.shape[1] != 3:
        raise ValueError(
            f"expected uint8 frames of shape (T, 3, H, W), got {frames.dtype} {tuple(frames.shape)}"
        )
    return tvf.resize(
        frames, [FRAME_SIZE, FRAME_SIZE], interpolation=InterpolationMode.BICUBIC, antialias=True
    )


def resize_image(image: Image.Image) -> Image.Image:
    """RGB (transparent pixels on white, as qwen-vl-utils does) at FRAME_SIZE x FRAME_SIZE, PIL bicubic."""
    if image.mode == "RGBA":
        background = Image.new("RGB", image.size, (255, 255, 255))
        background.paste(image, mask=image.split()[3])
        image = background
    else:
        image = image.convert("RGB")
    return image.resize((FRAME_SIZE, FRAME_SIZE), Image.Resampling.BICUBIC)


def load_observation(path: str | os.PathLike[str]) -> Image.Image:
    """The observation image at the protocol's size. Raises MediaError naming the path when unreadable."""
    try:
        with Image.open(path) as img:
            img.load()
            return resize_image(img)
    except (OSError, ValueError) as exc:
        raise MediaError(f"cannot read observation image {path}: {exc}") from exc


@dataclass(frozen=True)
class Clip:
    """The protocol's view of one clip: sampled, resized uint8 frames and where they came from."""

    frames: torch.Tensor  # uint8 (T, 3, FRAME_SIZE, FRAME_SIZE)
    indices: tuple[int, ...]
    total_frames: int
    video_fps: float
    sample_fps: float

    def video_metadata(self) -> dict[str, object]:
        """The clip's time axis in the form qwen-vl-utils reports it and processors read it (Qwen2.5-VL's
        ``second_per_grid_ts`` comes from it), so evaluation and training pass the same values."""
        return {
            "fps": self.video_fps,
            "frames_indices": list(self.indices),
            "total_num_frames": self.total_frames,
        }

    def as_numpy(self) -> np.ndarray:
        """(T, H, W, 3) uint8, the layout image libraries and video processors expect."""
        return self.frames.permute(0, 2, 3, 1).contiguous().numpy()


def probe_clip(path: str | os.PathLike[str]) -> tuple[int, float]:
    """(total frames, average fps) as the decoder counts them."""
    reader = _open(path)
    return len(reader), float(reader.get_avg_fps())


def decode_clip(path: str | os.PathLike[str], *, sample: str | None = None) -> Clip:
    """Decode the protocol's frames of one clip.

    decord is the reader: it is what the official code decoded with (through qwen-vl-utils), and frames are
    fetched by index, so only the sampled frames are converted. ``sample`` names the sample in errors.
    """
    who = f"sample {sample}: " if sample else ""
    if not Path(path).is_file():
        raise MediaError(f"{who}video not found: {path}")
    try:
        reader = _open(path)
        total, fps = len(reader), float(reader.get_avg_fps())
    except Exception as exc:  # decord raises its own DECORDError types
        raise MediaError(f"{who}cannot decode video {path}: {exc}") from exc
    try:
        indices = frame_indices(total, fps)
    except ValueError as exc:
        raise MediaError(f"{who}unusable video {path}: {exc}") from None
    try:
        raw = reader.get_batch(indices).asnumpy()
    except Exception as exc:
        raise MediaError(f"{who}cannot decode frames {indices} of {path}: {exc}") from exc
    import torch

    frames = resize_frames(torch.from_numpy(raw).permute(0, 3, 1, 2).contiguous())
    return Clip(frames, tuple(indices), total, fps, len(indices) / max(total, 1e-6) * fps)


def _open(path: str | os.PathLike[str]):  # noqa: ANN202 - decord has no type stubs
    import decord

    return decord.VideoReader(str(path))
