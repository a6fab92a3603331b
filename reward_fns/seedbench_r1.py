"""verl 0.9.1 reward function for SEED-Bench-R1: thin glue over :func:`seedbench_r1.protocol.answer.score_response`.

verl loads it with ``reward.custom_reward_function.path=pkg://reward_fns.seedbench_r1`` (``name`` defaults to
``compute_score``; the old top-level ``custom_reward_function.*`` keys are not the 0.9 ones) and passes the
pass-through dict ``reward.custom_reward_function.reward_kwargs`` as keyword arguments. The project's recipes
set both keys, so on their command line they are plain overrides (hydra refuses ``+`` on a key that exists)::

    reward.custom_reward_function.reward_kwargs.format_weight=0.5
    reward.custom_reward_function.reward_kwargs.mode=strict

On a config without them (bare ``ppo_trainer``) add them with ``+``; ``++`` adds or overrides in either case.

The returned dict has the same keys for every sample (verl stacks each key into one array):
``score`` (= acc + format_weight * format), ``acc``, ``format``, ``no_answer`` (0/1 ints) and ``pred`` (the
letter or ""; verl's validation metrics skip string keys for means and use ``pred`` for majority voting).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from seedbench_r1.protocol.answer import ScoreResult, score_response

__all__ = ["compute_score"]

# Keyword arguments verl's own reward managers may add (only with a reward-model router); ignored here.
_VERL_CALL_KWARGS = frozenset({"reward_router_address", "reward_model_tokenizer"})
# extra_info key holding the four option texts in letter order (written by the RL parquet writer).
OPTIONS_KEY = "options"


def _sample_ref(extra_info: Mapping[str, Any] | None) -> str:
    if not isinstance(extra_info, Mapping):
        return ""
    for key in ("sample_id", "index"):
        if key in extra_info:
            return f" (extra_info.{key}={extra_info[key]!r})"
    return ""


def compute_score(
    data_source: str,
    solution_str: str,
    ground_truth: str,
    extra_info: Mapping[str, Any] | None = None,
    *,
    mode: str = "strict",
    format_weight: float = 0.0,
    **kwargs: Any,
) -> ScoreResult:
    """Scores one rollout the way verl 0.9.1 calls a custom reward function (keywords only).

    ``ground_truth`` is the gold letter; ``extra_info["options"]`` (optional) enables exact option-text
    answers. ``mode``/``format_weight`` come from ``reward_kwargs``. A misspelt reward kwarg, a malformed
    gold or malformed options raise at once (a silent default would train on the wrong reward); a model
    response never raises.
    """
    if kwargs and not _VERL_CALL_KWARGS.issuperset(kwargs):
        raise TypeError(
            f"reward_fns.seedbench_r1.compute_score got unknown reward_kwargs "
            f"{sorted(set(kwargs) - _VERL_CALL_KWARGS)}; known: mode, format_weight"
        )
    # type() first: an ABC isinstance check costs more than the whole parse of a typical response.
    if type(extra_info) is dict or isinstance(extra_info, Mapping):
        options = extra_info.get(OPTIONS_KEY)
    else:
        options = None
    try:
        return score_response(solution_str, ground_truth, options, mode=mode, format_weight=format_weight)
    except ValueError as err:
        raise ValueError(f"{err} [data_source={data_source!r}{_sample_ref(extra_info)}]") from err
