"""Assemble the whole report (Markdown, CSVs, PNG) from lmms-eval output folders."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from seedbench_r1.report import table
from seedbench_r1.report.io import write_text
from seedbench_r1.report.plot import bar_chart
from seedbench_r1.report.results import RunResult, load_runs


@dataclass
class ReportFiles:
    markdown: Path
    table_csv: Path
    png: Path
    paired_csv: Path | None = None
    runs: list[RunResult] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def build_report(
    run_args: Sequence[str],
    out_dir: str | os.PathLike[str],
    *,
    paper: bool = False,
    root: str | os.PathLike[str] | None = None,
    n_boot: int = 10_000,
    seed: int = 0,
) -> ReportFiles:
    """Read every RUN, write ``report.md``, ``table.csv``, ``report.png`` (and ``paired.csv``) under out_dir.

    Unreadable RUN arguments and gaps inside a run are listed in the report's "Problems" section and returned
    in ``problems``; whatever could be read still renders.
    """
    out = Path(out_dir)
    runs, errors = load_runs(list(run_args), root=root)
    problems = errors + [p for r in runs for p in r.problems]
    rows = table.table_rows(runs, paper)
    md = ["# SEED-Bench-R1 report", ""]
    md.append(
        "Accuracy (%) per column as `pct (correct/total) [95% Wilson interval]`; `n/a` marks a gap (reason in "
        "brackets). L3 domains: Daily life, Hobbies, Recreation, Work."
    )
    md += ["", table.main_table_md(rows) if rows else "_No run could be read._", ""]
    if paper:
        md += ["## Paper rows", "", table.paper_check_md(), ""]
        if runs:
            md += ["## Difference to the paper", "", table.paper_diff_md(runs), ""]
    paired_rows = table.paired_comparisons(runs, n_boot=n_boot, seed=seed)
    paired_path = None
    if paired_rows:
        md += [
            "## Paired comparisons (same samples)",
            "",
            f"B − A on the (level, sample_id) keys both runs logged; paired bootstrap with {n_boot} resamples "
            f"(seed {seed}); McNemar's test on the discordant pairs.",
            "",
            table.paired_md(paired_rows),
            "",
        ]
        paired_path = write_text(out / "paired.csv", table.paired_csv(paired_rows))
    elif sum(r.has_samples for r in runs) < 2:
        md += ["_Paired comparison needs two runs with logged samples (lmms-eval --log_samples)._", ""]
    if runs:
        md += ["## Format compliance and no-answer share", "", table.extras_md(runs), ""]
    for run in runs:
        letters = table.letters_md(run)
        if letters:
            md += [f"## Predicted vs gold letters: {run.name}", "", letters, ""]
    if problems:
        md += ["## Problems", ""] + [f"- {p}" for p in problems] + [""]
    png = bar_chart(rows, out / "report.png")
    md += ["![accuracy per column](report.png)", ""]
    return ReportFiles(
        markdown=write_text(out / "report.md", "\n".join(md)),
        table_csv=write_text(out / "table.csv", table.main_table_csv(rows)),
        png=png,
        paired_csv=paired_path,
        runs=runs,
        problems=problems,
    )
