"""PNG bar chart of a table layout (Table 2 by default, or Table 3): one bar group per column, one bar per
row, 95 % Wilson error bars."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from seedbench_r1.files import write_with
from seedbench_r1.report.paper import COLUMNS, Column
from seedbench_r1.report.table import Row, interval_pct


def bar_chart(
    rows: Sequence[Row],
    path: Path,
    title: str = "SEED-Bench-R1 accuracy (95% Wilson intervals)",
    *,
    columns: tuple[Column, ...] = COLUMNS,
    ticks: Sequence[str] | None = None,
    chance: float | None = 25.0,
) -> Path:
    """``ticks``: x labels (default: Table 2's); ``chance``: a dotted chance line at that % (None: none)."""
    import matplotlib

    matplotlib.use("Agg")  # files only; no display on CI or GPU hosts
    import matplotlib.pyplot as plt
    import numpy as np

    n_rows = max(1, len(rows))
    width = 0.8 / n_rows
    x = np.arange(len(columns))
    fig, ax = plt.subplots(figsize=(max(10.0, 1.6 * len(columns) + 0.25 * n_rows), 5.5), dpi=120)
    cmap = plt.get_cmap("tab10")
    for i, row in enumerate(rows):
        heights, err_lo, err_hi, xs, missing = [], [], [], [], []
        for j, col in enumerate(columns):
            cell = row.cells[col.key]
            xpos = x[j] - 0.4 + width * (i + 0.5)
            if not cell.known:
                missing.append(xpos)
                continue
            lo, hi = interval_pct(cell)  # type: ignore[misc]
            heights.append(cell.pct)
            err_lo.append(cell.pct - lo)  # type: ignore[operator]
            err_hi.append(hi - cell.pct)  # type: ignore[operator]
            xs.append(xpos)
        hatch = "//" if row.kind == "paper" else None
        ax.bar(
            xs,
            heights,
            width,
            label=row.label,
            color=cmap(i % 10),
            hatch=hatch,
            edgecolor="black",
            linewidth=0.4,
        )
        ax.errorbar(xs, heights, yerr=[err_lo, err_hi], fmt="none", ecolor="black", capsize=2, linewidth=0.8)
        for xpos in missing:  # a gap is shown, never silently dropped
            ax.text(xpos, 1, "n/a", rotation=90, ha="center", va="bottom", fontsize=7, color=cmap(i % 10))
    if chance is not None:
        ax.axhline(chance, color="grey", linestyle=":", linewidth=1)
        # Label the chance line just outside the right edge, where no bar can hide it.
        ax.annotate(f"chance\n{chance:g}%", xy=(1.0, chance), xycoords=("axes fraction", "data"),
                    xytext=(4, 0), textcoords="offset points", ha="left", va="center", fontsize=8,
                    color="grey")  # fmt: skip
    labels = list(ticks) if ticks is not None else [
        c.label.replace("L3 ", "L3\n") if c.domain else (f"{c.label}\noverall" if c.key == "L3" else c.label)
        for c in columns
    ]  # fmt: skip
    ax.set_xticks(x, labels, fontsize=10)
    ax.set_ylabel("accuracy (%)", fontsize=11)
    ax.set_ylim(0, 100)
    ax.set_title(title, fontsize=12)
    if rows:  # an empty table (no run, no paper rows) has nothing to label
        ax.legend(fontsize=8, loc="upper left", ncols=2 if n_rows > 4 else 1, frameon=False)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    try:
        return write_with(path, lambda tmp: fig.savefig(tmp, format="png"))
    finally:
        plt.close(fig)
