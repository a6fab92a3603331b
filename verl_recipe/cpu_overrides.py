"""Hydra overrides and environment that run the project's recipes through verl's real trainers on a CPU host.

A test and development aid (``make test-train``), with :mod:`verl_recipe.cpu_platform`: tiny models, one gloo
rank, float32, minutes per step. Print them for a launch line with ``python -m verl_recipe.cpu_overrides grpo``
(or ``sft``).
"""

from __future__ import annotations

import os
import sys

ENV = {
    "VERL_PLATFORM": "cpu",
    "VERL_USE_EXTERNAL_MODULES": "verl_recipe.cpu_platform",
    "VERL_ENGINE_DEVICE": "cuda",  # verl's FSDP engine classes are registered for cuda / npu
    "FORCE_QWENVL_VIDEO_READER": "decord",
    "VLLM_LOGGING_LEVEL": "WARNING",
    "RAY_DEDUP_LOGS": "0",
    "TOKENIZERS_PARALLELISM": "false",
}

# verl's FSDP engine config (actor / ref ``fsdp_config``, the SFT trainer's ``engine``): float32 throughout,
# no offload or compile. FSDP's compute dtype defaults to bf16 whatever the weights are; the rollout is float32.
_ENGINE_CPU = [
    "model_dtype=fp32",
    "dtype=float32",
    "param_offload=false",
    "optimizer_offload=false",
    "use_torch_compile=false",
    "+mixed_precision={param_dtype:fp32,reduce_dtype:fp32,buffer_dtype:fp32}",
]


def _at(prefix: str, override: str) -> str:
    """``override`` under ``prefix`` (a leading ``+``, which adds a key, stays in front)."""
    return f"+{prefix}{override[1:]}" if override.startswith("+") else prefix + override


GRPO = [
    # the engines: float32, sdpa, no remove-padding (flash-attn), no compile, no offload, FSDP2 on gloo
    "actor_rollout_ref.model.use_remove_padding=false",
    "actor_rollout_ref.model.enable_gradient_checkpointing=false",
    "+actor_rollout_ref.model.override_config.attn_implementation=sdpa",
    "actor_rollout_ref.actor.strategy=fsdp2",
    *(_at("actor_rollout_ref.actor.fsdp_config.", o) for o in _ENGINE_CPU),
    "actor_rollout_ref.actor.use_torch_compile=false",
    "actor_rollout_ref.ref.strategy=fsdp2",
    *(_at("actor_rollout_ref.ref.fsdp_config.", o) for o in _ENGINE_CPU),
    "actor_rollout_ref.ref.use_torch_compile=false",
    # vLLM on CPU: float32, eager, no sleep mode; memory utilization is a share of host RAM
    "actor_rollout_ref.rollout.dtype=float32",
    "actor_rollout_ref.rollout.enforce_eager=true",
    "+actor_rollout_ref.rollout.enable_sleep_mode=false",
    "actor_rollout_ref.rollout.free_cache_engine=false",
    "actor_rollout_ref.rollout.gpu_memory_utilization=0.1",
    "actor_rollout_ref.rollout.max_model_len=2304",
    "+actor_rollout_ref.rollout.engine_kwargs.vllm.skip_mm_profiling=true",
    "actor_rollout_ref.rollout.agent.num_workers=1",
    # Ray on a 2-core host: logical GPUs and CPUs, one worker of each kind
    "+ray_kwargs.ray_init.num_gpus=1",
    "ray_kwargs.ray_init.num_cpus=16",
    "transfer_queue.backend.SimpleStorage.num_data_storage_units=1",
    "reward.num_workers=1",
    "data.dataloader_num_workers=0",
    "trainer.n_gpus_per_node=1",
    "trainer.nnodes=1",
]

SFT = [
    "engine.strategy=fsdp2",
    *(_at("engine.", o) for o in _ENGINE_CPU),
    "model.use_remove_padding=false",
    "model.enable_gradient_checkpointing=false",
    "+model.override_config.attn_implementation=sdpa",
    "data.num_workers=0",
    "trainer.device=cpu",
    "trainer.n_gpus_per_node=1",
    "trainer.nnodes=1",
]


def env() -> dict[str, str]:
    """The process environment for a CPU launch (this process's, plus :data:`ENV`)."""
    return {**os.environ, **ENV}


if __name__ == "__main__":
    kind = sys.argv[1] if len(sys.argv) > 1 else "grpo"
    print(" ".join({"grpo": GRPO, "sft": SFT}[kind]))
