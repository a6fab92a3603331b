"""The report's text outputs: a table layout as Markdown and CSV, plus the paired, format and letter sections.

Every function works on Table 2 by default (``COLUMNS``, ``PAPER_ROWS``, ``LEVELS``); Table 3 passes
``LVB_COLUMNS``, ``LVB_PAPER_ROWS`` and ``(LVB,)`` (seedbench_r1.report.lvb).
"""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from seedbench_r1.protocol.constants import LETTERS
from seedbench_r1.report.paper import (
    COLUMNS,
    LEVELS,
    PAPER_LABEL,
    PAPER_ROWS,
    Cell,
    Column,
    check_printed,
)
from seedbench_r1.report.results import RunResult, in_column
from seedbench_r1.report.stats import PairedResult, compare_paired, wilson

GAP = "n/a"


@dataclass(frozen=True)
class Row:
    label: str
    kind: str  # "run" or "paper"
    cells: dict[str, Cell]


PaperRows = dict[str, dict[str, Cell]]


def table_rows(
    runs: Sequence[RunResult],
    paper: bool,
    columns: tuple[Column, ...] = COLUMNS,
    paper_rows: PaperRows = PAPER_ROWS,
) -> list[Row]:
    """One row per run with results for these columns, then the paper's rows when asked."""
    rows = [Row(r.name, "run", r.cells) for r in runs if r.covers(columns)]
    if paper:
        rows += [Row(PAPER_LABEL.format(name=n), "paper", cells) for n, cells in paper_rows.items()]
    return rows


def interval_pct(cell: Cell) -> tuple[float, float] | None:
    if not cell.known:
        return None
    lo, hi = wilson(cell.correct, cell.total)  # type: ignore[arg-type]
    return 100 * lo, 100 * hi


def format_cell(cell: Cell) -> str:
    if not cell.known:
        return f"{GAP} ({cell.note})" if cell.note else GAP
    lo, hi = interval_pct(cell)  # type: ignore[misc]
    text = f"{cell.pct:.2f} ({cell.correct}/{cell.total}) [{lo:.1f}, {hi:.1f}]"
    if cell.printed is not None and abs(round(cell.pct, 2) - cell.printed) > 1e-9:  # type: ignore[arg-type]
        text += f" printed {cell.printed:.2f}†"
    return text


def md_table(header: Sequence[str], body: Sequence[Sequence[str]]) -> str:
    esc = [[str(c).replace("|", "\\|") for c in row] for row in body]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in esc]
    return "\n".join(lines)


def main_table_md(rows: Sequence[Row], columns: tuple[Column, ...] = COLUMNS) -> str:
    header = ["run", *(c.label for c in columns)]
    return md_table(header, [[r.label, *(format_cell(r.cells[c.key]) for c in columns)] for r in rows])


def main_table_csv(rows: Sequence[Row], columns: tuple[Column, ...] = COLUMNS) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(
        [
            "row",
            "kind",
            "column",
            "correct",
            "total",
            "pct",
            "wilson95_low",
            "wilson95_high",
            "printed",
            "note",
        ]
    )
    for r in rows:
        for c in columns:
            cell = r.cells[c.key]
            ci = interval_pct(cell)
            w.writerow(
                [
                    r.label,
                    r.kind,
                    c.label,
                    "" if cell.correct is None else cell.correct,
                    "" if cell.total is None else cell.total,
                    "" if cell.pct is None else f"{cell.pct:.4f}",
                    "" if ci is None else f"{ci[0]:.4f}",
                    "" if ci is None else f"{ci[1]:.4f}",
                    "" if cell.printed is None else f"{cell.printed:.2f}",
                    cell.note,
                ]
            )
    return buf.getvalue()


def paper_diff_md(
    runs: Sequence[RunResult], columns: tuple[Column, ...] = COLUMNS, paper_rows: PaperRows = PAPER_ROWS
) -> str:
    """Each run's difference to the paper's Vanilla and GRPO rows, in percentage points."""
    body = []
    for run in runs:
        for ref in ("Vanilla", "GRPO"):
            cells = []
            for c in columns:
                mine, theirs = run.cells[c.key], paper_rows[ref][c.key]
                cells.append(f"{mine.pct - theirs.pct:+.2f}" if mine.known else GAP)  # type: ignore[operator]
            body.append([f"{run.name} − paper {ref}", *cells])
    return md_table(["difference (points)", *(c.label for c in columns)], body)


def paper_check_md(paper_rows: PaperRows = PAPER_ROWS, columns: tuple[Column, ...] = COLUMNS) -> str:
    label = {c.key: c.label for c in columns}
    checks = check_printed(paper_rows)
    bad = [c for c in checks if not c.matches]
    lines = [
        f"Paper rows: {len(checks) - len(bad)} of {len(checks)} printed percentages are reproduced exactly by "
        "their counts."
    ]
    for c in bad:
        lines.append(
            f"- † {c.row} / {label[c.column]}: printed {c.printed:.2f}, count gives {c.from_counts:.2f}. {c.typo_note}"
        )
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------- paired


@dataclass(frozen=True)
class PairedRow:
    a: str
    b: str
    column: str
    result: PairedResult | None
    note: str = ""


def paired_comparisons(
    runs: Sequence[RunResult],
    *,
    n_boot: int = 10_000,
    seed: int = 0,
    columns: tuple[Column, ...] = COLUMNS,
) -> list[PairedRow]:
    """Every pair of runs with logged samples, per column, on the (level, sample_id) keys both logged."""
    out: list[PairedRow] = []
    with_samples = [r for r in runs if r.sampled(columns)]
    for ra, rb in itertools.combinations(with_samples, 2):
        ka, kb = ra.outcomes_by_key(), rb.outcomes_by_key()
        for c in columns:
            keys = sorted(k for k in ka.keys() & kb.keys() if in_column(ka[k], c))
            if not keys:
                out.append(PairedRow(ra.name, rb.name, c.label, None, "no shared samples"))
                continue
            res = compare_paired(
                [ka[k].correct for k in keys], [kb[k].correct for k in keys], n_boot=n_boot, seed=seed
            )
            only = len({k for k in ka if k[0] == c.level} ^ {k for k in kb if k[0] == c.level})
            out.append(
                PairedRow(ra.name, rb.name, c.label, res, f"{only} unpaired samples left out" if only else "")
            )
    return out


def paired_md(rows: Sequence[PairedRow]) -> str:
    body = []
    for p in rows:
        r = p.result
        if r is None:
            body.append([f"{p.b} − {p.a}", p.column, "0", GAP, GAP, GAP, GAP, p.note])
            continue
        body.append(
            [
                f"{p.b} − {p.a}",
                p.column,
                str(r.n),
                f"{100 * r.diff:+.2f}",
                f"[{100 * r.ci_low:+.2f}, {100 * r.ci_high:+.2f}]",
                f"{r.b_only} / {r.a_only}",
                f"{r.mcnemar_exact_p:.4g} / {r.mcnemar_chi2_p:.4g}",
                p.note,
            ]
        )
    header = [
        "comparison",
        "column",
        "paired n",
        "diff (points)",
        "95% paired bootstrap",
        "only B right / only A right",
        "McNemar p exact / chi2",
        "note",
    ]
    return md_table(header, body)


def paired_csv(rows: Sequence[PairedRow]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(
        ["a", "b", "column", "n", "acc_a", "acc_b", "diff", "ci_low", "ci_high", "b_only", "a_only",
         "mcnemar_exact_p", "mcnemar_chi2", "mcnemar_chi2_p", "n_boot", "seed", "note"]
    )  # fmt: skip
    for p in rows:
        r = p.result
        if r is None:
            w.writerow([p.a, p.b, p.column, 0, *[""] * 13, p.note])
        else:
            w.writerow(
                [p.a, p.b, p.column, r.n, r.acc_a, r.acc_b, r.diff, r.ci_low, r.ci_high, r.b_only, r.a_only,
                 r.mcnemar_exact_p, r.mcnemar_chi2, r.mcnemar_chi2_p, r.n_boot, r.seed, p.note]
            )  # fmt: skip
    return buf.getvalue()


# ------------------------------------------------------------------------------------ format and letters


def extras_md(runs: Sequence[RunResult], levels: Sequence[str] = LEVELS) -> str:
    body = []
    for run in runs:
        row = [run.name]
        for level in levels:
            e = run.extras.get(level)
            if e is None:
                row += [GAP, GAP]
                continue
            for rate in (e.format_rate, e.no_answer_rate):
                if rate is None:
                    row.append(GAP)
                elif e.from_samples and e.n:
                    row.append(f"{100 * rate:.2f} ({round(rate * e.n)}/{e.n})")
                else:
                    row.append(f"{100 * rate:.2f}")
        body.append(row)
    header = ["run"] + [f"{lvl} {what}" for lvl in levels for what in ("format %", "no answer %")]
    return md_table(header, body)


def letters_md(run: RunResult, levels: Sequence[str] = LEVELS, letters: Sequence[str] = LETTERS) -> str:
    """Gold letter (rows) x predicted letter (columns), per level, from the run's logged samples."""
    parts = []
    preds = [*letters, "none"]
    for level in levels:
        table = run.letter_table(level)
        if not table:
            continue
        body = []
        for gold in sorted(table):
            counter = table[gold]
            body.append(
                [f"{level} gold {gold}", *(str(counter.get(p, 0)) for p in preds), str(sum(counter.values()))]
            )
        totals = [sum(table[g].get(p, 0) for g in table) for p in preds]
        n = sum(totals)
        body.append([f"{level} all", *(f"{t} ({100 * t / n:.1f}%)" for t in totals), str(n)])
        parts.append(md_table(["gold \\ predicted", *preds, "n"], body))
    return "\n\n".join(parts)
