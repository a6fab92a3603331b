"""The official GRPO run's learning-rate schedule in verl: linear decay to 0 (HF Trainer's default ``linear``).

verl 0.9.1's FSDP optimizer config accepts only ``constant`` and ``cosine`` (``FSDPOptimizerConfig.__post_init__``),
and its FSDP engine builds only those two (``FSDPEngine._build_lr_scheduler``). The recipe names this module's
config class as ``actor_rollout_ref.actor.optim._target_``, so whichever process builds the actor config (the
driver's ``validate_config``, each actor worker) imports this module first; importing it teaches the engine the
``linear`` schedule. Every other schedule goes to verl's own code unchanged.

Linear, as transformers' ``get_linear_schedule_with_warmup``: the factor rises from 0 to 1 over the warmup steps,
then falls linearly to 0 at ``total_training_steps``; the LR of optimizer step k (0-based) is ``lr * factor(k)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from torch.optim import Optimizer
from torch.optim.lr_scheduler import LambdaLR
from verl.workers.config.optimizer import FSDPOptimizerConfig, OptimizerConfig
from verl.workers.engine.fsdp.transformer_impl import FSDPEngine


def linear_factor(step: int, warmup: int, total: int) -> float:
    """The LR multiplier of optimizer step ``step`` (0-based) under linear warmup then linear decay to 0."""
    if step < warmup:
        return step / max(1, warmup)
    return max(0.0, (total - step) / max(1, total - warmup))


def warmup_steps(config: OptimizerConfig) -> int:
    """Warmup steps as verl's engine counts them: ``lr_warmup_steps`` if positive, else the ratio of the total."""
    if config.lr_warmup_steps is not None and config.lr_warmup_steps > 0:
        return config.lr_warmup_steps
    return int(config.lr_warmup_steps_ratio * config.total_training_steps)


def linear_schedule(optimizer: Optimizer, config: OptimizerConfig) -> LambdaLR:
    """The linear schedule for ``config`` (``total_training_steps`` already set by the trainer)."""
    if config.total_training_steps <= 0:
        raise ValueError(
            f"actor_rollout_ref.actor.optim.total_training_steps is {config.total_training_steps}: the linear "
            "schedule needs the run's length (verl sets it from the data and trainer.total_epochs)"
        )
    factor = partial(linear_factor, warmup=warmup_steps(config), total=config.total_training_steps)
    return LambdaLR(optimizer, factor)


@dataclass
class LinearLROptimizerConfig(FSDPOptimizerConfig):
    """verl's FSDP optimizer config that also accepts ``lr_scheduler_type: linear``."""

    def __post_init__(self) -> None:
        if self.lr_scheduler_type != "linear" or self.warmup_style is not None:
            super().__post_init__()
            return
        OptimizerConfig.__post_init__(self)  # the base checks; FSDPOptimizerConfig's would refuse "linear"


def _build_lr_scheduler(self: FSDPEngine, optimizer: Optimizer) -> LambdaLR:
    if self.optimizer_config.lr_scheduler_type == "linear":
        return linear_schedule(optimizer, self.optimizer_config)
    return _verl_build_lr_scheduler(self, optimizer)


_verl_build_lr_scheduler = getattr(
    FSDPEngine._build_lr_scheduler, "__wrapped_verl__", FSDPEngine._build_lr_scheduler
)
_build_lr_scheduler.__wrapped_verl__ = _verl_build_lr_scheduler  # type: ignore[attr-defined]
FSDPEngine._build_lr_scheduler = _build_lr_scheduler
