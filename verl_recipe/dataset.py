"""``SeedBenchRLHFDataset``: verl's ``RLHFDataset`` that reads frame-cache rows without resampling them.

verl hands a ``{"video": [frame paths], ...}`` entry to qwen-vl-utils 0.0.14, whose frame-list path resizes
every frame with the wrong factor (patch 28 x merge 2 = 56: 252 -> 224) and then back to 252: the grid is
right but every pixel is resampled twice. This class loads cached frames as they are (the cache holds the
protocol's uint8 252 x 252 frames, losslessly) and passes the clip's real metadata (source fps, sampled
indices, frame count), exactly what decoding the clip gives. Everything else (clip paths, images) goes through
verl's own code. The GRPO recipes name it in ``data.custom_cls``; verl's agent loop uses the same class for
rollout inputs.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from PIL import Image
from verl.utils.dataset.rl_dataset import RLHFDataset


def load_cached_frames(entry: dict[str, Any]) -> tuple[torch.Tensor, dict[str, Any]]:
    """(float (T, 3, H, W) frames, video metadata) of a frame-cache ``videos`` entry, as qwen-vl-utils
    returns them for a decoded clip."""
    frames = [np.asarray(Image.open(p).convert("RGB")) for p in entry["video"]]
    video = torch.from_numpy(np.stack(frames)).permute(0, 3, 1, 2).float()
    metadata = {
        "fps": float(entry["raw_fps"]),
        "frames_indices": list(entry["frames_indices"]),
        "total_num_frames": int(entry["total_num_frames"]),
        "video_backend": "seedbench_r1_frame_cache",
    }
    return video, metadata


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
