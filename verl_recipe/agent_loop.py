"""The GRPO recipes' agent loop: verl's single-turn loop, plus each clip's metadata for the vLLM rollout server.

verl's agent loop sends a video to the rollout server as a ``(frames, metadata)`` pair. vLLM 0.24's Qwen2-VL /
Qwen2.5-VL parser keeps the frames and drops the metadata, so the HF processor inside vLLM assumes 24 fps and
gives Qwen2.5-VL a 16-frame clip temporal offsets of ``[0,0,0,0,0,0,1,1]`` instead of the clip's own: the
rollout samples under other positions than the actor trains and the evaluation scores. This loop hands the
metadata to the processor as ``mm_processor_kwargs["video_metadata"]`` per request (each clip has its own
sampled fps, so the recipe-wide ``data.mm_processor_kwargs`` cannot carry it), exactly as the lmms-eval model
class does on its vLLM path. The same kwargs reach verl's training-side processor call, which already passes
this metadata (``build_multimodal_processor_inputs`` only sets it when absent), so training inputs are unchanged.

Registered as ``seedbench_r1_agent`` when imported; the recipes import it in every worker through
``verl_recipe.worker_hooks`` and select it with ``actor_rollout_ref.rollout.agent.default_agent_loop``.
"""

from __future__ import annotations

from typing import Any

from verl.experimental.agent_loop.agent_loop import register
from verl.experimental.agent_loop.single_turn_agent_loop import SingleTurnAgentLoop

AGENT_NAME = "seedbench_r1_agent"


def video_metadata_kwargs(videos: list[Any] | None) -> dict[str, Any]:
    """The processor kwargs verl's training side derives from ``(frames, metadata)`` videos: the metadata, and
    ``do_sample_frames=False`` (the frames are already the protocol's); ``{}`` without videos."""
    metadata = [item[1] for item in videos or [] if isinstance(item, tuple) and len(item) == 2]
    if not metadata:
        return {}
    if len(metadata) != len(videos):
        raise ValueError(f"{len(videos)} videos but only {len(metadata)} carry metadata")
    return {"video_metadata": metadata, "do_sample_frames": False}


@register(AGENT_NAME)
class SeedBenchAgentLoop(SingleTurnAgentLoop):
    """``single_turn_agent`` with per-request clip metadata (one instance per sample, as verl creates them)."""

    _videos: list[Any] | None = None

    async def process_multi_modal_info(self, messages: list[dict]) -> dict:
        data = await super().process_multi_modal_info(messages)
        self._videos = data.get("videos")
        return data

    def _get_mm_processor_kwargs(self, audio_data: list[Any] | None = None) -> dict[str, Any]:
        kwargs = super()._get_mm_processor_kwargs(audio_data)
        for key, value in video_metadata_kwargs(self._videos).items():
            kwargs.setdefault(key, value)
        return kwargs
