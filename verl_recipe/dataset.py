"""``SeedBenchRLHFDataset``: verl's ``RLHFDataset`` that reads frame-cache rows without resampling them.

verl hands a ``{"video": [frame paths], ...}`` entry to qwen-vl-utils 0.0.14, whose frame-list path resizes
every frame with the wrong factor (patch 28 x merge 2 = 56: 252 -> 224) and then back to 252, and replaces the
clip's fps and frame indices with made-up ones. This class reads cached clips with the core's reader
(:func:`seedbench_r1.frame_cache.load_cached_clip`: the protocol's uint8 252 x 252 frames and the clip's real
source fps, sampled indices and frame count), exactly what decoding the clip gives. Everything else (clip
paths, images) goes through verl's own code. The GRPO recipes name it in ``data.custom_cls``; verl's agent loop
uses the same class for rollout inputs.
"""

from __future__ import annotations

from typing import Any

import torch
from verl.utils.dataset.rl_dataset import RLHFDataset

from seedbench_r1.frame_cache import load_cached_clip
from verl_recipe.media import cached_clip_of


def load_cached_frames(entry: dict[str, Any]) -> tuple[torch.Tensor, dict[str, Any]]:
    """(float (T, 3, H, W) frames, video metadata) of a frame-cache ``videos`` entry, in the form qwen-vl-utils
    returns a decoded clip (its resize step casts to float; verl's processors take that)."""
    clip = load_cached_clip(cached_clip_of(entry))
    return clip.frames.float(), {**clip.video_metadata(), "video_backend": "seedbench_r1_frame_cache"}


class SeedBenchRLHFDataset(RLHFDataset):
    @classmethod
    def _process_multi_modal_info(cls, messages: list[dict], image_patch_size: int, config: Any) -> tuple:
        cached: list[dict[str, Any]] = []
        passthrough: list[dict] = []
        for message in messages:
            content = message.get("content")
            if isinstance(content, list) and any(_is_frame_list(item) for item in content):
                cached += [item for item in content if _is_frame_list(item)]
                content = [item for item in content if not _is_frame_list(item)]
            passthrough.append({**message, "content": content})
        images, videos, audios = super()._process_multi_modal_info(passthrough, image_patch_size, config)
        if not cached:
            return images, videos, audios
        # SEED-Bench-R1 rows hold at most one video, so cached and decoded videos never interleave.
        if videos:
            raise ValueError("a row mixes frame-cache videos with clip paths; prepare it in one mode")
        return images, [load_cached_frames(item) for item in cached], audios


def _is_frame_list(item: Any) -> bool:
    return isinstance(item, dict) and item.get("type") == "video" and isinstance(item.get("video"), list)
