"""The runs side by side: one row per sample key any run logged, each run's outcome or its absence.

Runs that logged different samples are shown together with the difference named (``mismatches``); the
"disagree" filter only compares runs that both have the sample. Runs that give the same sample different gold
letters were not evaluated on the same data: that is refused, since every comparison would be wrong.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from seedbench_r1.protocol.errors import UsageError
from seedbench_r1.report.results import RunResult, SampleOutcome

LEVEL_ORDER = ("L1", "L2", "L3", "LVB")
Key = tuple[str, str]


class RunMismatchError(UsageError):
    """The runs answer different questions under the same sample id."""


@dataclass
class Joined:
    keys: list[Key]
    outcomes: list[dict[Key, SampleOutcome]]  # per run, in the runs' order
    mismatches: list[str] = field(default_factory=list)


def _order(key: Key) -> tuple[int, int, str]:
    level, sample_id = key
    rank = LEVEL_ORDER.index(level) if level in LEVEL_ORDER else len(LEVEL_ORDER)
    return (rank, int(sample_id) if sample_id.isdigit() else -1, sample_id)


def join_runs(runs: Sequence[RunResult]) -> Joined:
    outcomes = [r.outcomes_by_key() for r in runs]
    keys = sorted({k for o in outcomes for k in o}, key=_order)
    joined = Joined(keys, outcomes)
    for key in keys:
        golds = {
            (run.name, o[key].gold) for run, o in zip(runs, outcomes, strict=True) if key in o and o[key].gold
        }
        if len({g for _, g in golds}) > 1:
            said = ", ".join(f"{name}: {gold}" for name, gold in sorted(golds))
            raise RunMismatchError(
                f"{key[0]} sample {key[1]}: the runs give different gold letters ({said}); they were not "
                "evaluated on the same data, so the browser would compare different questions"
            )
    for run, have in zip(runs, outcomes, strict=True):
        if not have:
            joined.mismatches.append(f"{run.name}: no logged samples (lmms-eval --log_samples); tables only")
            continue
        for level in LEVEL_ORDER:
            union = [k for k in keys if k[0] == level]
            lacking = [k for k in union if k not in have]
            if union and lacking:
                first = ", ".join(k[1] for k in lacking[:3])
                joined.mismatches.append(
                    f"{run.name}: {len(lacking)} of the {len(union)} {level} samples logged by the runs are not in "
                    f"this run (first: {first})"
                )
    return joined
