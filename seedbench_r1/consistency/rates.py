"""Consistency rates from the judgments: per run and column (levels, L3 domains, LongVideoBench groups).

rate = yes / (yes + no) over the samples the judge answered parsably, with its 95 % Wilson interval, and the
same split by whether the run's answer was correct or wrong. Unparsable verdicts and the samples never sent
(no answer, no ``<think>``, empty ``<think>``) are counted beside the rate, not in it. Paired runs (the same
samples, one judge) get the accuracy report's paired comparison on the samples both have a verdict for.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from seedbench_r1.consistency.items import EMPTY_THINK, JUDGED, NO_ANSWER, NO_THINK
from seedbench_r1.report import table
from seedbench_r1.report.lvb import LVB, LVB_COLUMNS
from seedbench_r1.report.paper import COLUMNS, Cell, Column
from seedbench_r1.report.results import RunResult, SampleOutcome, in_column

UNPARSABLE = "unparsable"
COUNTS = ("logged", JUDGED, "yes", "no", UNPARSABLE, NO_ANSWER, NO_THINK, EMPTY_THINK)


def shown(text: str, limit: int = 120) -> str:
    """Untrusted text (a model's reply) as one quoted, escaped line: control characters, newlines and markup
    cannot reach a terminal or a Markdown renderer as themselves."""
    cut = text if len(text) <= limit else text[:limit] + "…"
    quoted = json.dumps(cut, ensure_ascii=True)
    return quoted.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def outcome_of(record: dict[str, Any]) -> SampleOutcome:
    return SampleOutcome(
        level=record["level"],
        sample_id=record["sample_id"],
        correct=record["correct"],
        pred=record["pred"],
        gold=record["gold"],
        domain=record["domain"],
        formatted=None,
        no_answer=None,
        groups=tuple(record["groups"]),
    )


@dataclass(frozen=True)
class RateRow:
    run: str
    column: Column
    counts: Counter[str]
    rate: Cell  # yes / parsed
    correct: Cell  # the same over samples the run answered right
    wrong: Cell


def _cell(records: list[dict[str, Any]]) -> Cell:
    parsed = [r for r in records if r["verdict"] is not None]
    if not parsed:
        return Cell(None, None, "no parsed verdict" if records else "no sample")
    return Cell(sum(r["verdict"] == "yes" for r in parsed), len(parsed))


def columns_of(records: Sequence[dict[str, Any]]) -> tuple[Column, ...]:
    levels = {r["level"] for r in records}
    return (COLUMNS if levels - {LVB} else ()) + (LVB_COLUMNS if LVB in levels else ())


def runs_of(records: Sequence[dict[str, Any]]) -> list[str]:
    return list(dict.fromkeys(r["run"] for r in records))


def rate_rows(records: Sequence[dict[str, Any]]) -> list[RateRow]:
    rows = []
    for run in runs_of(records):
        mine = [r for r in records if r["run"] == run]
        for c in columns_of(records):
            members = [r for r in mine if in_column(outcome_of(r), c)]
            if not members:
                continue
            counts: Counter[str] = Counter(logged=len(members))
            for r in members:
                counts[r["status"]] += 1
                if r["status"] == JUDGED:
                    counts[r["verdict"] or UNPARSABLE] += 1
            judged = [r for r in members if r["status"] == JUDGED]
            rows.append(
                RateRow(
                    run,
                    c,
                    counts,
                    _cell(judged),
                    _cell([r for r in judged if r["correct"]]),
                    _cell([r for r in judged if not r["correct"]]),
                )
            )
    return rows


def _pct(cell: Cell) -> list[str]:
    if not cell.known:
        return ["", "", "", "0"]
    lo, hi = table.interval_pct(cell)  # type: ignore[misc]
    return [f"{cell.pct:.4f}", f"{lo:.4f}", f"{hi:.4f}", str(cell.total)]


def rows_csv(rows: Sequence[RateRow], header: dict[str, Any]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(
        ["run", "column", *COUNTS, "rate_pct", "ci_low_pct", "ci_high_pct", "parsed",
         "correct_rate_pct", "correct_ci_low_pct", "correct_ci_high_pct", "correct_parsed",
         "wrong_rate_pct", "wrong_ci_low_pct", "wrong_ci_high_pct", "wrong_parsed",
         "judge", "backend", "prompt_version", "prompt_sha256"]
    )  # fmt: skip
    for r in rows:
        w.writerow(
            [r.run, r.column.label, *(r.counts[k] for k in COUNTS), *_pct(r.rate), *_pct(r.correct),
             *_pct(r.wrong), header["judge"], header["backend"], header["prompt_version"], header["prompt_sha256"]]
        )  # fmt: skip
    return buf.getvalue()


def rows_md(rows: Sequence[RateRow]) -> list[str]:
    """A run x column table of rates, then per run the split by correct / wrong and the counts."""
    md: list[str] = []
    for columns, title in ((COLUMNS, "SEED-Bench-R1"), (LVB_COLUMNS, "LongVideoBench")):
        mine = [r for r in rows if r.column in columns]
        if not mine:
            continue
        used = [c for c in columns if any(r.column == c for r in mine)]
        body = []
        for run in dict.fromkeys(r.run for r in mine):
            by_col = {r.column.key: r for r in mine if r.run == run}
            body.append(
                [
                    run,
                    *(table.format_cell(by_col[c.key].rate) if c.key in by_col else table.GAP for c in used),
                ]
            )
        md += [f"Consistency rate (%), {title}: `pct (yes/parsed) [95% Wilson interval]`", ""]
        md += [table.md_table(["run", *(c.label for c in used)], body), ""]
    detail = [
        [r.run, r.column.label, table.format_cell(r.correct), table.format_cell(r.wrong),
         *(str(r.counts[k]) for k in COUNTS)]
        for r in rows
    ]  # fmt: skip
    md += ["By the run's answer (right / wrong), and what was not judged:", ""]
    md += [table.md_table(["run", "column", "answer right", "answer wrong", *COUNTS], detail), ""]
    return md


def unparsable_lines(records: Sequence[dict[str, Any]]) -> list[str]:
    return [
        f"{r['run']} {r['level']} {r['sample_id']}: {shown(r['reply'] or '')}"
        for r in records
        if r["status"] == JUDGED and r["verdict"] is None
    ]


def paired_rows(records: Sequence[dict[str, Any]], *, n_boot: int, seed: int) -> list[table.PairedRow]:
    """The accuracy report's paired comparison, with "consistent" (verdict yes) in place of "correct"."""
    runs = []
    for name in runs_of(records):
        run = RunResult(name=name, results_file=None)
        for r in records:
            if r["run"] == name and r["status"] == JUDGED and r["verdict"] is not None:
                o = outcome_of(r)
                consistent = replace(o, correct=int(r["verdict"] == "yes"))
                run.samples.setdefault(o.level, []).append(consistent)
        runs.append(run)
    return table.paired_comparisons(runs, n_boot=n_boot, seed=seed, columns=columns_of(records))


def write_summary(out: Path, records: Sequence[dict[str, Any]], header: dict[str, Any]) -> tuple[Path, Path]:
    """``consistency.csv`` and ``consistency.md`` beside the judgments."""
    from seedbench_r1.files import write_text

    rows = rate_rows(records)
    md = [
        "# Consistency rate",
        "",
        f"Judge `{header['judge']}` ({header['backend']}), prompt {header['prompt_version']} "
        f"(sha256 `{header['prompt_sha256'][:16]}`), sampling {json.dumps(header['sampling'])}.",
        "",
        *rows_md(rows),
    ]
    bad = unparsable_lines(records)
    if bad:
        md += [f"## Unparsable verdicts ({len(bad)})", "", *(f"- `{line}`" for line in bad), ""]
    return (
        write_text(out / "consistency.csv", rows_csv(rows, header)),
        write_text(out / "consistency.md", "\n".join(md)),
    )
