"""GRPO-CARE's knobs (the recipe's ``care`` node) and the verl settings the method needs, checked before the
trainer builds anything: one line per bad value, all of them at once."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any


class CareConfigError(ValueError):
    """A bad ``care`` knob or a verl setting CARE cannot run under (one line per problem)."""


@dataclass(frozen=True)
class CareKnobs:
    """``care.*``; the defaults are GRPO-CARE's (docs/verl.md, knob table)."""

    decay: float = 0.995  # ref = decay * ref + (1 - decay) * policy; 1.0 freezes the reference
    update_every: int = 10  # optimizer steps between EMA updates
    bonus_coef: float = 0.5  # bonus = bonus_coef * accuracy for a consistent, eligible sample
    confidence_cap: float = 0.95  # the answer span's likelihood is capped here
    margin: float = 0.0  # consistent: capped likelihood >= group mean over the eligible - margin

    @property
    def frozen(self) -> bool:
        return self.decay == 1.0


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)


def read_knobs(node: Mapping[str, Any] | None) -> tuple[CareKnobs, list[str]]:
    """The knobs of a ``care`` node and the problems found (an empty list when all are good)."""
    node = dict(node or {})
    known = {f.name for f in fields(CareKnobs)}
    problems = [
        f"care.{key}: unknown knob (known: {', '.join(sorted(known))})" for key in node if key not in known
    ]
    values: dict[str, Any] = {}
    bounds = {
        "decay": (0.0, 1.0, "in [0, 1]"),
        "bonus_coef": (0.0, math.inf, ">= 0"),
        "margin": (0.0, 1.0, "in [0, 1]"),
    }
    for name, (low, high, text) in bounds.items():
        if name in node:
            value = _number(node[name])
            if value is None or not low <= value <= high:
                problems.append(f"care.{name}: must be a number {text}, got {node[name]!r}")
            else:
                values[name] = value
    if "confidence_cap" in node:
        value = _number(node["confidence_cap"])
        if value is None or not 0.0 < value <= 1.0:
            problems.append(
                f"care.confidence_cap: must be a number in (0, 1], got {node['confidence_cap']!r}"
            )
        else:
            values["confidence_cap"] = value
    if "update_every" in node:
        value = node["update_every"]
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            problems.append(f"care.update_every: must be a whole number >= 1, got {value!r}")
        else:
            values["update_every"] = value
    return CareKnobs(**values), problems


def _get(config: Any, dotted: str, default: Any = None) -> Any:
    node = config
    for part in dotted.split("."):
        if node is None:
            return default
        node = node.get(part) if hasattr(node, "get") else getattr(node, part, None)
    return default if node is None else node


def verl_problems(config: Any) -> list[str]:
    """The verl settings CARE needs, one line each that does not hold (``config`` is the composed config)."""
    problems = []
    # The likelihood is read from the reference log-probs verl computes only when a KL term is configured; the
    # KL loss with coefficient 0 builds the reference and keeps it out of the loss (CARE's beta 0).
    if not _get(config, "actor_rollout_ref.actor.use_kl_loss", False):
        problems.append(
            "actor_rollout_ref.actor.use_kl_loss: must be true (verl builds the reference only then)"
        )
    coef = _get(config, "actor_rollout_ref.actor.kl_loss_coef", 0.0)
    if coef != 0:
        problems.append(
            f"actor_rollout_ref.actor.kl_loss_coef: must be 0 (CARE has no KL term), got {coef!r}"
        )
    if _get(config, "algorithm.use_kl_in_reward", False):
        problems.append("algorithm.use_kl_in_reward: must be false (CARE has no KL term)")
    if _get(config, "algorithm.adv_estimator") != "grpo":
        problems.append(
            f"algorithm.adv_estimator: must be grpo, got {_get(config, 'algorithm.adv_estimator')!r}"
        )
    for role in ("actor", "ref"):
        strategy = _get(config, f"actor_rollout_ref.{role}.strategy")
        if strategy != "fsdp2":
            problems.append(
                f"actor_rollout_ref.{role}.strategy: must be fsdp2 (the EMA updates DTensor shards), got {strategy!r}"
            )
    model = _get(config, "actor_rollout_ref.model", {})
    if (_get(model, "lora_rank", 0) or 0) > 0 or (_get(model, "lora.rank", 0) or 0) > 0:
        problems.append(
            "actor_rollout_ref.model.lora_rank: LoRA keeps the reference inside the actor; CARE needs its own"
        )
    if not _get(config, "actor_rollout_ref.hybrid_engine", True):
        problems.append(
            "actor_rollout_ref.hybrid_engine: must be true (actor and reference share each worker)"
        )
    # update_every counts optimizer steps; the trainer counts its own steps, equal when one rollout batch is one
    # optimizer step, as in CARE (TRL's GRPO, one update per batch).
    batch = _get(config, "data.train_batch_size")
    mini = _get(config, "actor_rollout_ref.actor.ppo_mini_batch_size")
    epochs = _get(config, "actor_rollout_ref.actor.ppo_epochs", 1)
    if mini != batch or epochs != 1:
        problems.append(
            "actor_rollout_ref.actor.ppo_mini_batch_size / ppo_epochs: must equal data.train_batch_size / 1 "
            f"(care.update_every counts optimizer steps as trainer steps), got {mini!r} / {epochs!r} for {batch!r}"
        )
    if _get(config, "trainer.default_hdfs_dir"):
        problems.append("trainer.default_hdfs_dir: the CARE reference is saved locally only; leave it unset")
    return problems


def check_config(config: Any) -> CareKnobs:
    """The knobs, or :class:`CareConfigError` listing every bad knob and verl setting, one per line."""
    knobs, problems = read_knobs(_get(config, "care"))
    problems += verl_problems(config)
    if problems:
        raise CareConfigError("GRPO-CARE cannot start:\n  " + "\n  ".join(problems))
    return knobs
