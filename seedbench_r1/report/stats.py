"""Interval estimates and paired tests for accuracies (proportions of 0/1 outcomes).

- Wilson score interval: honest near 0 and 1 and for small n, unlike the normal approximation lmms-eval's
  ``stderr`` implies.
- Paired bootstrap of the accuracy difference on the same samples (seeded, so a report is reproducible).
- McNemar's test on the discordant pairs: exact (binomial) and chi-square with continuity correction.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

Z95 = 1.959963984540054  # two-sided 95 % normal quantile


def wilson(correct: int, total: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for ``correct / total`` as fractions in [0, 1]."""
    if total <= 0:
        raise ValueError(f"wilson interval needs total > 0, got {total}")
    if not 0 <= correct <= total:
        raise ValueError(f"correct must lie in [0, {total}], got {correct}")
    p = correct / total
    z2 = z * z
    denom = 1.0 + z2 / total
    centre = (p + z2 / (2 * total)) / denom
    half = z * math.sqrt(p * (1 - p) / total + z2 / (4 * total * total)) / denom
    # p = 0 / p = 1 give exactly 0 / 1 analytically; floating point may miss by an ulp either way.
    lo = 0.0 if correct == 0 else max(0.0, min(p, centre - half))
    hi = 1.0 if correct == total else min(1.0, max(p, centre + half))
    return lo, hi


@dataclass(frozen=True)
class PairedResult:
    n: int  # paired samples
    acc_a: float
    acc_b: float
    diff: float  # acc_b - acc_a
    ci_low: float
    ci_high: float
    b_only: int  # B right, A wrong
    a_only: int  # A right, B wrong
    mcnemar_exact_p: float
    mcnemar_chi2: float
    mcnemar_chi2_p: float
    n_boot: int
    seed: int


def paired_bootstrap(
    a: Sequence[int] | np.ndarray, b: Sequence[int] | np.ndarray, *, n_boot: int = 10_000, seed: int = 0
) -> tuple[float, float, float]:
    """Difference ``mean(b) - mean(a)`` and its 95 % percentile interval, resampling pairs together."""
    xa, xb = _pair_arrays(a, b)
    n = len(xa)
    diffs = xb - xa  # per pair: +1 (only B right), -1 (only A right), 0 (agree)
    # Resampling n pairs with replacement only matters through how many +1 / -1 pairs are drawn, which is
    # multinomial: drawing those counts is the same bootstrap distribution at O(n_boot) cost instead of
    # O(n_boot * n).
    probs = [float(np.mean(diffs == 1)), float(np.mean(diffs == -1))]
    probs.append(max(0.0, 1.0 - probs[0] - probs[1]))
    counts = np.random.default_rng(seed).multinomial(n, probs, size=n_boot)
    boots = (counts[:, 0] - counts[:, 1]) / n
    lo, hi = np.percentile(boots, [2.5, 97.5])
    return float(diffs.mean()), float(lo), float(hi)


def mcnemar(
    a: Sequence[int] | np.ndarray, b: Sequence[int] | np.ndarray
) -> tuple[int, int, float, float, float]:
    """(b_only, a_only, exact two-sided p, chi-square with continuity correction, its p)."""
    from scipy.stats import binomtest, chi2

    xa, xb = _pair_arrays(a, b)
    b_only = int(np.sum((xb == 1) & (xa == 0)))
    a_only = int(np.sum((xa == 1) & (xb == 0)))
    discordant = a_only + b_only
    if discordant == 0:
        return b_only, a_only, 1.0, 0.0, 1.0
    exact_p = float(binomtest(min(a_only, b_only), discordant, 0.5).pvalue)
    stat = (abs(a_only - b_only) - 1) ** 2 / discordant
    return b_only, a_only, min(1.0, exact_p), float(stat), float(chi2.sf(stat, 1))


def compare_paired(
    a: Sequence[int] | np.ndarray, b: Sequence[int] | np.ndarray, *, n_boot: int = 10_000, seed: int = 0
) -> PairedResult:
    xa, xb = _pair_arrays(a, b)
    diff, lo, hi = paired_bootstrap(xa, xb, n_boot=n_boot, seed=seed)
    b_only, a_only, p_exact, stat, p_chi2 = mcnemar(xa, xb)
    return PairedResult(
        len(xa),
        float(xa.mean()),
        float(xb.mean()),
        diff,
        lo,
        hi,
        b_only,
        a_only,
        p_exact,
        stat,
        p_chi2,
        n_boot,
        seed,
    )


def _pair_arrays(
    a: Sequence[int] | np.ndarray, b: Sequence[int] | np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    xa = np.asarray(a, dtype=np.int64)
    xb = np.asarray(b, dtype=np.int64)
    if xa.shape != xb.shape or xa.ndim != 1:
        raise ValueError(f"paired outcomes need two 1-d arrays of one length, got {xa.shape} and {xb.shape}")
    if len(xa) == 0:
        raise ValueError("paired comparison needs at least one shared sample")
    if not (np.isin(xa, (0, 1)).all() and np.isin(xb, (0, 1)).all()):
        raise ValueError("paired outcomes must be 0/1")
    return xa, xb
