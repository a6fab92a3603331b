"""``SeedBenchRLHFDataset``: verl's ``RLHFDataset`` that reads frame-cache rows without resampling them.

verl hands a ``{"video": [frame paths], ...}`` entry to qwen-vl-utils 0.0.14, whose frame-list path resizes
every frame with the wrong factor (patch 28 x merge 2 = 56: 252 -> 224) and then back to 252, and replaces the
clip's fps and frame indices with made-up ones. This class reads cached clips with the core's reader
(:func:`seedbench_r1.protocol.frame_cache.load_cached_clip`: the protocol's uint8 252 x 252 frames and the clip's real
source fps, sampled indices and frame count), exactly what decoding the clip gives. Everything else (clip
paths, images) goes through verl's own code. The GRPO recipes name it in ``data.custom_cls``; verl's agent loop
uses the same class for rollout inputs.

It also prepares each prompt's media once for its n rollouts (:class:`MediaMemo`), clip rows and cache rows
alike: verl's agent loop asks for them once per rollout.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

import torch
from verl.utils.dataset.rl_dataset import RLHFDataset

from seedbench_r1.protocol.frame_cache import load_cached_clip
from verl_recipe.media import cached_clip_of


def load_cached_frames(entry: dict[str, Any]) -> tuple[torch.Tensor, dict[str, Any]]:
    """(float (T, 3, H, W) frames, video metadata) of a frame-cache ``videos`` entry, in the form qwen-vl-utils
    returns a decoded clip (its resize step casts to float; verl's processors take that)."""
    clip = load_cached_clip(cached_clip_of(entry))
    return clip.frames.float(), {**clip.video_metadata(), "video_backend": "seedbench_r1_frame_cache"}


class MediaMemo:
    """The decoded media of the last few prompts in this process, computed once per prompt.

    verl's agent loop prepares every rollout's media on its own: with n = 8 each clip would be decoded (or read
    from the cache) 8 times, at about the same time, in one AgentLoopWorker's thread pool. The first call for a
    prompt's media computes them; concurrent and later calls wait for that result and get their own copy
    (tensors cloned, images copied), so no rollout can alter another's inputs. Bounded: ``size`` prompts."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.computed = 0  # how many times media were decoded (the rest were reused)
        self._lock = threading.Lock()
        self._entries: OrderedDict[str, Future] = OrderedDict()

    def get(self, key: str, compute: Callable[[], tuple]) -> tuple:
        with self._lock:
            future = self._entries.get(key)
            owner = future is None
            if owner:
                future = self._entries[key] = Future()
                while len(self._entries) > self.size:
                    self._entries.popitem(last=False)
            else:
                self._entries.move_to_end(key)
        if owner:
            try:
                result = compute()
            except BaseException as exc:
                with self._lock:
                    if self._entries.get(key) is future:
                        del self._entries[key]  # a failure is not remembered: the next call tries again
                future.set_exception(exc)
                raise
            self.computed += 1
            future.set_result(result)
        return _copy(future.result())


def _copy(media: tuple) -> tuple:
    images, videos, audios = media
    if images is not None:
        images = [image.copy() for image in images]
    if videos is not None:
        videos = [
            (v[0].clone(), dict(v[1])) if isinstance(v, tuple) else v.clone() if torch.is_tensor(v) else v
            for v in videos
        ]
    return images, videos, audios


def media_key(messages: list[dict], image_patch_size: int) -> str:
    """What a prompt's decoded media depend on: its image and video entries, in order, and the patch size."""
    items = [
        item
        for message in messages
        if isinstance(message.get("content"), list)
        for item in message["content"]
        if isinstance(item, dict) and item.get("type") in ("image", "video")
    ]
    return json.dumps([image_patch_size, items], sort_keys=True, default=str)


# A step of the paper recipe gives each of verl's 8 agent-loop workers about one prompt (8 rollouts); a few more
# cover uneven splits. Each entry holds one clip (~12 MB as float) and one image.
MEMO_PROMPTS = 8


class SeedBenchRLHFDataset(RLHFDataset):
    media_memo = MediaMemo(MEMO_PROMPTS)

    @classmethod
    def _process_multi_modal_info(cls, messages: list[dict], image_patch_size: int, config: Any) -> tuple:
        return cls.media_memo.get(
            media_key(messages, image_patch_size),
            lambda: cls._decode_media(messages, image_patch_size, config),
        )

    @classmethod
    def _decode_media(cls, messages: list[dict], image_patch_size: int, config: Any) -> tuple:
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
