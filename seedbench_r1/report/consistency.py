"""The report's consistency section: the rates ``seedbench-r1 consistency`` wrote, for the report's runs.

A judgments file names each run by its results file; its verdicts are matched to the report's RUN arguments
by that path, and shown under the report's run names. Verdicts of runs the report was not given, and runs
without verdicts, are named in the report's problems.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from seedbench_r1.consistency import rates
from seedbench_r1.consistency.journal import judgments_path, read_judgments
from seedbench_r1.protocol.errors import UsageError
from seedbench_r1.report import table
from seedbench_r1.report.results import RunResult


@dataclass
class ConsistencySection:
    md: list[str] = field(default_factory=list)
    csv: str = ""
    paired_csv: str = ""
    problems: list[str] = field(default_factory=list)


def _judgments(folder: str | os.PathLike[str]) -> Path:
    path = Path(folder)
    path = judgments_path(path) if path.is_dir() else path
    if not path.is_file():
        raise UsageError(
            f"--consistency {folder}: no judgments.jsonl (the --out of seedbench-r1 consistency)"
        )
    return path


def section(
    folders: Sequence[str | os.PathLike[str]], runs: Sequence[RunResult], *, n_boot: int, seed: int
) -> ConsistencySection:
    out = ConsistencySection()
    names = {str(r.results_file.resolve()): r.name for r in runs if r.results_file is not None}
    for folder in folders:
        path = _judgments(folder)
        data = read_judgments(path)
        h = data.header
        mine = [{**r, "run": names[r["results_file"]]} for r in data.records if r["results_file"] in names]
        others = len(data.records) - len(mine)
        if others:
            out.problems.append(f"{path}: {others} verdicts of runs not given to this report, left out")
        judged = {r["run"] for r in mine}
        out.problems += [f"{path}: no verdicts for run {n}" for n in names.values() if n not in judged]
        out.md += [
            f"## Consistency rate: judge `{h['judge']}` ({h['backend']})",
            "",
            f"Does the `<think>` reasoning support the chosen answer? Prompt {h['prompt_version']} (sha256 "
            f"`{h['prompt_sha256'][:16]}`), sampling `{json.dumps(h['sampling'])}`, from {path}. Rate = yes / parsed "
            "verdicts; not comparable with GRPO-CARE's published rate (another, unpublished judge set-up).",
            "",
        ]
        if not mine:
            out.md += ["_None of its verdicts belongs to a run of this report._", ""]
            continue
        out.md += rates.rows_md(rates.rate_rows(mine))
        body = rates.rows_csv(rates.rate_rows(mine), h)
        out.csv += body if not out.csv else body.split("\n", 1)[1]
        paired = rates.paired_rows(mine, n_boot=n_boot, seed=seed)
        if paired:
            out.md += [
                "Paired (same samples, both with a parsed verdict): B − A in the share judged consistent; "
                '"right" in the columns reads "judged consistent".',
                "",
                table.paired_md(paired),
                "",
            ]
            body = table.paired_csv(paired)
            out.paired_csv += body if not out.paired_csv else body.split("\n", 1)[1]
    return out
