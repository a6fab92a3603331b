"""For the consistency tests: the command run in this process, against planted judges; edited copies of runs."""

from __future__ import annotations

import contextlib
import io
import json
import shutil
from collections.abc import Callable
from pathlib import Path

from planted_judge import PlantedJudge

from seedbench_r1.cli import main


def cli(*args: str | Path) -> tuple[int, str, str]:
    """``seedbench-r1 ARGS`` in this process: (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = main([str(a) for a in args])
    return rc, out.getvalue(), err.getvalue()


def consistency(*args: str | Path) -> tuple[int, str, str]:
    return cli("consistency", *args, "--no-progress")


def planted(mode: str, run: str | Path | list[str], out: Path, *more: str, budget: int = 0) -> tuple:
    """The command against a planted judge of ``mode``: (exit code, stdout, stderr, the judge)."""
    runs = run if isinstance(run, list) else [run]
    with PlantedJudge(mode, budget) as judge:
        rc, so, se = consistency(
            *runs, "--judge", "planted", "--backend", "openai", "--base-url", judge.url, "--out", out, *more
        )
    return rc, so, se, judge


def records(out: Path) -> list[dict]:
    lines = (out / "judgments.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines[1:]]


def edited_run(run: Path, dest: Path, edit: Callable[[str], str]) -> Path:
    """A copy of an lmms-eval output folder whose logged responses are ``edit(response)``."""
    shutil.copytree(run, dest)
    for path in dest.rglob("*_samples_*.jsonl"):
        lines = []
        for raw in path.read_text(encoding="utf-8").splitlines():
            line = json.loads(raw)
            line["filtered_resps"] = edit(line["filtered_resps"])
            lines.append(json.dumps(line))
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return dest
