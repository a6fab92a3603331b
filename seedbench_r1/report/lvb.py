"""The paper's Table 3 (LongVideoBench validation, transfer; docs/protocol.md, LongVideoBench) as counts; its columns.

Columns: the four duration groups, the two levels, overall (:data:`LVB_COLUMNS`; labels and sizes from
:mod:`seedbench_r1.longvideobench.loader`). The paper prints percentages only. Group counts are those the printed
percentages imply on the release's group sizes (189 / 172 / 412 / 564); level counts are
``round(printed x total / 100)`` on 625 / 712, and each reproduces its printed value. Group and level counts
sum to the same number per row (440 / 535 / 580), which is used as the overall count; the printed overall
values (32.90 / 40.00 / 43.40) are k/1337 for no k, so those three cells are flagged the way Table 2's
Vanilla / Hobbies typo is (``printed ...†`` and a note).
"""

from __future__ import annotations

from seedbench_r1.longvideobench.loader import (
    DURATION_GROUPS,
    EXPECTED_GROUPS,
    EXPECTED_LEVELS,
    EXPECTED_TOTAL,
    LEVELS,
)
from seedbench_r1.protocol.names import LVB_ACC_METRIC as ACC_METRIC
from seedbench_r1.protocol.names import LVB_LOG_KEY as LOG_KEY
from seedbench_r1.protocol.names import LVB_TASK, lvb_duration_metric, lvb_level_metric
from seedbench_r1.report.paper import Cell, Column

LVB = "LVB"  # the "level" of Table-3 columns and LongVideoBench samples (sample keys are ("LVB", id))
OVERALL = "lvb"


def _columns() -> tuple[Column, ...]:
    cols = [
        Column(f"lvb_{g}", label, LVB, expected_total=EXPECTED_GROUPS[g], group=str(g))
        for g, label in DURATION_GROUPS.items()
    ]
    cols += [
        Column(f"lvb_{key}", label, LVB, expected_total=EXPECTED_LEVELS[name], group=key)
        for name, (key, label) in LEVELS.items()
    ]
    cols.append(Column(OVERALL, "overall", LVB, expected_total=EXPECTED_TOTAL))
    return tuple(cols)


# Table 3's column order: (8,15]; (15,60]; (180,600]; (900,3600]; L1 Perception; L2 Relation; overall.
LVB_COLUMNS: tuple[Column, ...] = _columns()
# The results-file metric of each column (lmms_eval_tasks/longvideobench_r1/longvideobench_r1.yaml).
LVB_METRIC = {
    **{f"lvb_{g}": lvb_duration_metric(g) for g in DURATION_GROUPS},
    **{f"lvb_{key}": lvb_level_metric(key) for key, _label in LEVELS.values()},
    OVERALL: ACC_METRIC,
}
LVB_TICKS = [c.label.replace(" ", "\n") for c in LVB_COLUMNS]  # chart x labels

# Printed percentages in LVB_COLUMNS order, and the correct counts per duration group.
_PRINTED: dict[str, tuple[float, ...]] = {
    "Vanilla": (42.33, 44.77, 33.98, 25.35, 34.24, 31.74, 32.90),
    "SFT": (44.97, 54.65, 36.65, 36.35, 44.80, 35.81, 40.00),
    "GRPO": (54.50, 53.49, 42.48, 37.23, 48.48, 38.90, 43.40),
}
_GROUP_CORRECT: dict[str, tuple[int, ...]] = {
    "Vanilla": (80, 77, 140, 143),
    "SFT": (85, 94, 151, 205),
    "GRPO": (103, 92, 175, 210),
}


def _overall_note(printed: float, k: int, n: int) -> str:
    if any(round(100 * j / n, 2) == printed for j in range(n + 1)):
        return ""
    return (
        f"printed {printed:.2f} is k/{n} for no k; the group and level counts sum to {k}: "
        f"{k}/{n} = {100 * k / n:.2f}"
    )


def _paper_rows() -> dict[str, dict[str, Cell]]:
    rows: dict[str, dict[str, Cell]] = {}
    n_groups = len(DURATION_GROUPS)
    for name, printed in _PRINTED.items():
        cells: dict[str, Cell] = {}
        for i, col in enumerate(LVB_COLUMNS[:-1]):
            assert col.expected_total is not None
            k = _GROUP_CORRECT[name][i] if i < n_groups else round(printed[i] * col.expected_total / 100)
            cells[col.key] = Cell(k, col.expected_total, printed=printed[i])
        overall = sum(_GROUP_CORRECT[name])
        if overall != sum(cells[c.key].correct or 0 for c in LVB_COLUMNS[n_groups:-1]):
            raise AssertionError(f"Table 3 {name}: group and level counts disagree")
        cells[OVERALL] = Cell(
            overall, EXPECTED_TOTAL, _overall_note(printed[-1], overall, EXPECTED_TOTAL), printed[-1]
        )
        rows[name] = cells
    return rows


LVB_PAPER_ROWS: dict[str, dict[str, Cell]] = _paper_rows()

__all__ = [
    "LOG_KEY",
    "LVB",
    "LVB_COLUMNS",
    "LVB_METRIC",
    "LVB_PAPER_ROWS",
    "LVB_TASK",
    "LVB_TICKS",
    "OVERALL",
]
