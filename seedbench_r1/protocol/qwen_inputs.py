"""Qwen2-VL / Qwen2.5-VL inputs for one or many samples, built from the core's frames and image.

Model-independent: no model is loaded here, only a transformers processor is called. Both the lmms-eval model
class and the GPU benchmark build their batches with :func:`processor_inputs`, so what a model sees is
decided in one place:

- content order: the progress clip (only when the sample has progress), the observation image, the text;
- the clip's frames are the core's (:func:`seedbench_r1.decode_clip`: protocol indices, torchvision bicubic
  252 x 252 uint8; or the same frames read from the frame cache, :class:`~seedbench_r1.protocol.frame_cache.CachedClipPath`)
  and go to the processor as ONE already-sampled video (``do_sample_frames=False``); at
  252 x 252 with the checkpoints' pixel bounds the processor's resize is the identity (tests check the pixels);
- the video's metadata (source fps, sampled indices, frame count) goes with it, as verl 0.9.1 passes it
  (``video_metadata`` from qwen-vl-utils, ``do_sample_frames=False``): Qwen2.5-VL reads the sampled fps from
  it for ``second_per_grid_ts``; without it transformers assumes 24 fps;
- the chat template's own default system message (the official code sent no system message);
- left padding, so that a batch can be generated from in one call.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image

from seedbench_r1.protocol.constants import FRAME_SIZE
from seedbench_r1.protocol.content import prompt_content
from seedbench_r1.protocol.frame_cache import CachedClipPath, clip_from_cache
from seedbench_r1.protocol.frames import Clip, decode_clip, load_observation, resize_image
from seedbench_r1.protocol.schema import Sample

VIDEO_SUFFIXES = (".mp4", ".avi", ".mov", ".mkv", ".webm")


@dataclass(frozen=True)
class VisionPrompt:
    """One user turn as the model sees it: optional clip, the observation image, the question text.

    A LongVideoBench question has a clip and no image (``image`` None); a SEED-Bench-R1 one always has the
    image."""

    clip: Clip | None
    image: Image.Image | None
    text: str
    name: str = ""  # names the sample in errors

    def messages(self) -> list[dict[str, Any]]:
        """Chat messages for the processor's chat template (placeholders only; pixels go separately)."""
        content: list[dict[str, Any]] = []
        if self.clip is not None:
            content.append({"type": "video"})
        if self.image is not None:
            content.append({"type": "image"})
        content.append({"type": "text", "text": self.text})
        return [{"role": "user", "content": content}]

    def video_metadata(self) -> dict[str, Any] | None:
        if self.clip is None:
            return None
        return self.clip.video_metadata()


def prompt_from_sample(sample: Sample, root: str | os.PathLike[str]) -> VisionPrompt:
    """The prompt of ``sample`` with media resolved in ``root`` (the core's content order)."""
    clip: Clip | None = None
    image: Image.Image | None = None
    text = ""
    for item in prompt_content(sample, root):
        if item.kind == "video":
            clip = decode_clip(item.path, sample=sample.key)
        elif item.kind == "image":
            image = load_observation(item.path)
        else:
            text = item.value
    assert image is not None  # prompt_content always yields the image
    return VisionPrompt(clip, image, text, name=sample.key)


def prompt_from_visuals(visuals: Sequence[Any], text: str, *, name: str = "") -> VisionPrompt:
    """The prompt from an lmms-eval doc's visuals: ``[video path]`` (only with progress), then the image; or
    ``[video path]`` alone (a LongVideoBench question).

    The video is given as a PATH and decoded here with the core's frame rule; a
    :class:`~seedbench_r1.protocol.frame_cache.CachedClipPath` (``longvideobench_r1`` with a frame cache) is read from
    its cache entry instead, giving the same :class:`~seedbench_r1.protocol.frames.Clip` (decoded when the entry is not
    valid: :func:`~seedbench_r1.protocol.frame_cache.clip_from_cache`). The image is a PIL image (the
    task's ``load_observation`` output) or a path; anything that is not already FRAME_SIZE square gets the
    core's resize. Anything else is an error naming the sample: nothing is dropped silently.
    """
    who = f"sample {name}: " if name else ""
    clip: Clip | None = None
    image: Image.Image | None = None
    for visual in visuals:
        if isinstance(visual, (str, Path)) and str(visual).lower().endswith(VIDEO_SUFFIXES):
            if clip is not None or image is not None:
                raise ValueError(f"{who}expected at most one video, before the image; got {list(visuals)!r}")
            if isinstance(visual, CachedClipPath):
                clip = clip_from_cache(visual, sample=name or None)
            else:
                clip = decode_clip(visual, sample=name or None)
        elif isinstance(visual, (str, Path)):
            if image is not None:
                raise ValueError(f"{who}expected exactly one observation image, got {list(visuals)!r}")
            image = load_observation(visual)
        elif isinstance(visual, Image.Image):
            if image is not None:
                raise ValueError(f"{who}expected exactly one observation image, got {list(visuals)!r}")
            image = visual if visual.size == (FRAME_SIZE, FRAME_SIZE) and visual.mode == "RGB" else None
            image = image or resize_image(visual)
        else:
            raise TypeError(f"{who}unsupported visual of type {type(visual).__name__}: {visual!r}")
    if image is None and clip is None:
        raise ValueError(f"{who}no video and no observation image among the visuals {list(visuals)!r}")
    return VisionPrompt(clip, image, text, name=name)


def chat_text(processor: Any, prompt: VisionPrompt) -> str:
    """The prompt string (chat template applied, assistant turn opened)."""
    return processor.apply_chat_template(prompt.messages(), tokenize=False, add_generation_prompt=True)


def processor_inputs(processor: Any, prompts: Sequence[VisionPrompt], *, return_tensors: str = "pt") -> Any:
    """One left-padded batch of processor outputs for ``prompts`` (rows with and without a video mixed).

    Images and videos are listed in row order; the processor expands each row's placeholders from them in
    that order, so a row without progress simply contributes no video.
    """
    if not prompts:
        raise ValueError("no prompts to process")
    texts = [chat_text(processor, p) for p in prompts]
    images = [p.image for p in prompts if p.image is not None]
    with_video = [p for p in prompts if p.clip is not None]
    kwargs: dict[str, Any] = {"images": images} if images else {}
    if with_video:
        kwargs |= {
            "videos": [p.clip.frames for p in with_video],  # type: ignore[union-attr]
            "video_metadata": [p.video_metadata() for p in with_video],
            "do_sample_frames": False,
        }
    return processor(
        text=texts,
        padding=True,
        padding_side="left",
        return_tensors=return_tensors,
        **kwargs,
    )
