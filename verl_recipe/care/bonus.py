"""GRPO-CARE's consistency bonus for one prompt's group of sampled responses (pure, no verl).

Eligible: correct samples (accuracy above 0.1) at or above the group's mean accuracy. Consistent: an eligible
sample whose capped answer-span likelihood is at least the mean over the eligible minus ``margin``. A consistent
sample gets ``bonus_coef * accuracy``, every other sample 0; a group without a correct sample gets nothing, and a
lone correct sample always gets it. The bonus is added to the reward before GRPO's group advantage.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence

# GRPO-CARE counts a sample as correct above this accuracy (its rewards are 0/1 exact matches).
ACCURACY_FLOOR = 0.1


def eligible(accuracies: Sequence[float]) -> list[bool]:
    """Which samples of a group may get the bonus."""
    mean = statistics.mean(accuracies)
    return [a > ACCURACY_FLOOR and a >= mean for a in accuracies]


def group_bonus(
    accuracies: Sequence[float], likelihoods: Sequence[float], *, bonus_coef: float, margin: float
) -> list[float]:
    """The bonus of each sample of one group (``likelihoods`` already capped)."""
    if len(accuracies) != len(likelihoods):
        raise ValueError(f"{len(accuracies)} accuracies for {len(likelihoods)} likelihoods")
    if not accuracies:
        return []
    chosen = eligible(accuracies)
    if not any(chosen):
        return [0.0] * len(accuracies)
    # statistics.mean is exact for floats, so equal likelihoods tie with their mean
    mean = statistics.mean(p for p, ok in zip(likelihoods, chosen, strict=True) if ok)
    return [
        bonus_coef * a if ok and p >= mean - margin else 0.0
        for a, p, ok in zip(accuracies, likelihoods, chosen, strict=True)
    ]


def batch_bonus(
    groups: Sequence[str],
    accuracies: Sequence[float],
    likelihoods: Sequence[float],
    *,
    bonus_coef: float,
    margin: float,
) -> list[float]:
    """The bonus of every sample of a batch, grouped by ``groups`` (the prompt each sample answers)."""
    members: dict[str, list[int]] = {}
    for i, group in enumerate(groups):
        members.setdefault(group, []).append(i)
    bonus = [0.0] * len(groups)
    for rows in members.values():
        values = group_bonus(
            [accuracies[i] for i in rows],
            [likelihoods[i] for i in rows],
            bonus_coef=bonus_coef,
            margin=margin,
        )
        for i, value in zip(rows, values, strict=True):
            bonus[i] = value
    return bonus
