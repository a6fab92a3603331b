"""Assemble the whole report (Markdown, CSVs, PNG) from lmms-eval output folders.

Table 2 (SEED-Bench-R1) as before; when any run has ``longvideobench_r1`` results, a Table-3 section
(LongVideoBench) with its own files ``table3.csv``, ``table3.png`` and ``table3_paired.csv``; when any run
logged its responses, a completion-length section (:mod:`seedbench_r1.report.length`) with ``length.csv``,
``length_dist.csv`` and ``length.png``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from seedbench_r1.browser.samples import join_runs
from seedbench_r1.browser.site import SiteFiles, build_site, check_inputs
from seedbench_r1.files import write_text
from seedbench_r1.longvideobench.loader import resolve_lvb_root
from seedbench_r1.protocol.constants import OPTION_LETTERS
from seedbench_r1.protocol.errors import SeedBenchError
from seedbench_r1.protocol.root import resolve_root
from seedbench_r1.report import length, table
from seedbench_r1.report.consistency import section as consistency_section
from seedbench_r1.report.lvb import LVB, LVB_COLUMNS, LVB_PAPER_ROWS, LVB_TICKS
from seedbench_r1.report.paper import COLUMNS
from seedbench_r1.report.plot import bar_chart
from seedbench_r1.report.results import RunResult, load_runs


@dataclass
class ReportFiles:
    markdown: Path
    table_csv: Path
    png: Path
    paired_csv: Path | None = None
    # Table 3 (LongVideoBench): written only when a run has longvideobench_r1 results
    table3_csv: Path | None = None
    table3_png: Path | None = None
    table3_paired_csv: Path | None = None
    # consistency rates (--consistency DIR): written only when asked for
    consistency_csv: Path | None = None
    consistency_paired_csv: Path | None = None
    # completion length and accuracy: written only when a run logged samples with responses
    length_csv: Path | None = None
    length_dist_csv: Path | None = None
    length_png: Path | None = None
    runs: list[RunResult] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    site: SiteFiles | None = None  # the sample browser (--html)


class PartialReportError(SeedBenchError):
    """Some input of the report could not be read, and ``--partial`` was not given."""


def build_report(
    run_args: Sequence[str],
    out_dir: str | os.PathLike[str],
    *,
    paper: bool = False,
    root: str | os.PathLike[str] | None = None,
    n_boot: int = 10_000,
    seed: int = 0,
    tokenizers: Sequence[str] = (),
    partial: bool = False,
    consistency: Sequence[str | os.PathLike[str]] = (),
    html: bool = False,
    lvb_root: str | os.PathLike[str] | None = None,
    attention: Sequence[str | os.PathLike[str]] = (),
    progress: Callable[[str], None] | None = None,
) -> ReportFiles:
    """Read every RUN, write ``report.md``, ``table.csv``, ``report.png`` (and ``paired.csv``) under out_dir;
    with LongVideoBench results also ``table3.csv``, ``table3.png`` (and ``table3_paired.csv``); with logged
    responses ``length.csv``, ``length_dist.csv`` and ``length.png`` (lengths in tokens of ``tokenizers``,
    ``[LABEL=]PATH`` values, else in words); with ``consistency`` folders (``seedbench-r1 consistency
    --out``) a consistency section, ``consistency.csv`` (and ``consistency_paired.csv``).

    Input that could not be read (a RUN argument, a results value that is no number, a sample line) raises
    :class:`PartialReportError` naming the first one (file and line) before anything is written, unless
    ``partial``: then the report is written with what could be read, and says at its top what is missing.
    Gaps inside a run (no samples logged, a ``--limit``) are listed in its "Problems" section and returned in
    ``problems``. A ``tokenizers`` value that cannot be used raises LengthError before anything is written.

    ``html`` adds the sample browser (:mod:`seedbench_r1.browser`): ``index.html`` and ``site/`` in out_dir,
    with media from ``root`` (else the configured SEED-Bench-R1 root), ``lvb_root`` (else the configured
    LongVideoBench root) and the attention maps in the ``attention`` folders.
    """
    out = Path(out_dir)
    if html:
        check_inputs(out, attention)
    runs, errors = load_runs(list(run_args), root=root)
    if html:
        join_runs(runs)  # runs that disagree on the data are refused before anything is written
    unreadable = errors + [u for r in runs for u in r.unreadable]
    if unreadable and not partial:
        more = f" (and {len(unreadable) - 1} more)" if len(unreadable) > 1 else ""
        raise PartialReportError(
            f"{unreadable[0]}{more}; nothing was written (--partial writes the report from what could be read, "
            "listing what could not)"
        )
    lengths = length.analyse(runs, tokenizers)
    judged = consistency_section(consistency, runs, n_boot=n_boot, seed=seed)
    problems = unreadable + [p for r in runs for p in r.problems] + judged.problems
    seed_runs = [r for r in runs if r.covers(COLUMNS)]
    lvb_runs = [r for r in runs if r.covers(LVB_COLUMNS)]
    rows = table.table_rows(seed_runs, paper)
    md = ["# SEED-Bench-R1 report", ""]
    if unreadable:
        md += [
            "**Partial report (--partial): these inputs could not be read and are not in any number below:**",
            "",
            *[f"- {u}" for u in unreadable],
            "",
        ]
    md.append(
        "Accuracy (%) per column as `pct (correct/total) [95% Wilson interval]`; `n/a` marks a gap (reason in "
        "brackets). L3 domains: Daily life, Hobbies, Recreation, Work."
    )
    empty = "_No run has SEED-Bench-R1 results._" if runs else "_No run could be read._"
    md += ["", table.main_table_md(rows) if rows else empty, ""]
    if paper:
        md += ["## Paper rows", "", table.paper_check_md(), ""]
        if seed_runs:
            md += ["## Difference to the paper", "", table.paper_diff_md(seed_runs), ""]
    paired_rows = table.paired_comparisons(seed_runs, n_boot=n_boot, seed=seed)
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
    elif seed_runs or not runs:
        md += [_NEED_TWO, ""]
    if seed_runs:
        md += ["## Format compliance and no-answer share", "", table.extras_md(seed_runs), ""]
    for run in seed_runs:
        letters = table.letters_md(run)
        if letters:
            md += [f"## Predicted vs gold letters: {run.name}", "", letters, ""]
    table3: dict[str, Path | None] = {}
    if lvb_runs:
        md += _table3(lvb_runs, out, table3, paper=paper, n_boot=n_boot, seed=seed)
    length_files: dict[str, Path] = {}
    if lengths.has_data:
        md += length.section_md(lengths)
        length_files = {
            "csv": write_text(out / "length.csv", length.bins_csv(lengths)),
            "dist": write_text(out / "length_dist.csv", length.dist_csv(lengths)),
            "png": length.length_chart(lengths, out / "length.png"),
        }
    md += judged.md
    if problems:
        md += ["## Problems", ""] + [f"- {p}" for p in problems] + [""]
    png = bar_chart(rows, out / "report.png")
    md += ["![accuracy per column](report.png)", ""]
    site = None
    if html:
        tables = {"Table 2: SEED-Bench-R1": (COLUMNS, rows)} if rows else {}
        if lvb_runs:
            lvb_rows = table.table_rows(lvb_runs, paper, LVB_COLUMNS, LVB_PAPER_ROWS)
            tables["Table 3: LongVideoBench (transfer)"] = (LVB_COLUMNS, lvb_rows)
        charts = [p.name for p in (png, table3.get("png"), length_files.get("png")) if p is not None]
        site = build_site(
            out,
            runs,
            tables,
            seed_root=resolve_root(root),
            lvb_root=resolve_lvb_root(lvb_root),
            consistency=consistency,
            attention=attention,
            charts=charts,
            problems=problems,
            progress=progress,
        )
    return ReportFiles(
        markdown=write_text(out / "report.md", "\n".join(md)),
        table_csv=write_text(out / "table.csv", table.main_table_csv(rows)),
        png=png,
        paired_csv=paired_path,
        table3_csv=table3.get("csv"),
        table3_png=table3.get("png"),
        table3_paired_csv=table3.get("paired"),
        consistency_csv=write_text(out / "consistency.csv", judged.csv) if judged.csv else None,
        consistency_paired_csv=(
            write_text(out / "consistency_paired.csv", judged.paired_csv) if judged.paired_csv else None
        ),
        length_csv=length_files.get("csv"),
        length_dist_csv=length_files.get("dist"),
        length_png=length_files.get("png"),
        runs=runs,
        problems=problems,
        site=site,
    )


_NEED_TWO = "_Paired comparison needs two runs with logged samples (lmms-eval --log_samples)._"


def _table3(
    runs: list[RunResult], out: Path, files: dict[str, Path | None], *, paper: bool, n_boot: int, seed: int
) -> list[str]:
    """The Table-3 section (LongVideoBench, transfer) of ``report.md``; its files go into ``files``."""
    rows = table.table_rows(runs, paper, LVB_COLUMNS, LVB_PAPER_ROWS)
    md = [
        "## Table 3: LongVideoBench (transfer)",
        "",
        "Accuracy (%) per duration group (seconds), level and overall, as in Table 2's cells.",
        "",
        table.main_table_md(rows, LVB_COLUMNS),
        "",
    ]
    if paper:
        md += ["### Paper rows (Table 3)", "", table.paper_check_md(LVB_PAPER_ROWS, LVB_COLUMNS), ""]
        md += [
            "### Difference to the paper (Table 3)",
            "",
            table.paper_diff_md(runs, LVB_COLUMNS, LVB_PAPER_ROWS),
            "",
        ]
    paired_rows = table.paired_comparisons(runs, n_boot=n_boot, seed=seed, columns=LVB_COLUMNS)
    if paired_rows:
        md += [
            "### Paired comparisons (Table 3, same questions)",
            "",
            f"B − A on the question ids both runs logged; paired bootstrap with {n_boot} resamples "
            f"(seed {seed}); McNemar's test on the discordant pairs.",
            "",
            table.paired_md(paired_rows),
            "",
        ]
        files["paired"] = write_text(out / "table3_paired.csv", table.paired_csv(paired_rows))
    else:
        md += [_NEED_TWO, ""]
    md += [
        "### Format compliance and no-answer share (LongVideoBench)",
        "",
        table.extras_md(runs, (LVB,)),
        "",
    ]
    for run in runs:
        letters = table.letters_md(run, (LVB,), OPTION_LETTERS)
        if letters:
            md += [f"### Predicted vs gold letters (LongVideoBench): {run.name}", "", letters, ""]
    files["csv"] = write_text(out / "table3.csv", table.main_table_csv(rows, LVB_COLUMNS))
    title = "LongVideoBench accuracy (95% Wilson intervals)"
    files["png"] = bar_chart(
        rows, out / "table3.png", title, columns=LVB_COLUMNS, ticks=LVB_TICKS, chance=None
    )
    return md + ["![LongVideoBench accuracy per column](table3.png)", ""]
