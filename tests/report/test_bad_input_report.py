"""``report`` over runs whose files cannot be read (LongVideoBench and SEED-Bench-R1): exit 1 naming the file and
the line or value, nothing written; ``--partial`` writes the report from what could be read and says at its top
what is missing. ``curves`` refuses one label for two logs."""

from __future__ import annotations

import json
import math
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from seedbench_r1.cli import main


def _copy(run: Path, tmp_path: Path) -> Path:
    dest = tmp_path / run.name
    shutil.copytree(run, dest)
    return dest


def _only(run: Path, pattern: str) -> Path:
    (path,) = run.glob(f"**/{pattern}")
    return path


def _set_result(task: str, key: str, value: object) -> Callable[[Path], str]:
    def damage(run: Path) -> str:
        path = _only(run, "*_results.json")
        data = json.loads(path.read_text())
        data["results"][task][key] = value
        path.write_text(json.dumps(data))  # json writes NaN as NaN, as lmms-eval's writer does
        return f"results.{task}.{key}"

    return damage


def _samples(run: Path, task: str) -> tuple[Path, list[str]]:
    path = _only(run, f"*_samples_{task}.jsonl")
    return path, path.read_text().splitlines()


def _garbage_line(task: str) -> Callable[[Path], str]:
    def damage(run: Path) -> str:
        path, lines = _samples(run, task)
        lines[1] = "{not json"
        path.write_text("\n".join(lines) + "\n")
        return f"{path}:2:"

    return damage


def _duplicate_line(task: str) -> Callable[[Path], str]:
    def damage(run: Path) -> str:
        path, lines = _samples(run, task)
        path.write_text("\n".join([*lines, lines[0]]) + "\n")
        return f"{path}:{len(lines) + 1}: sample"

    return damage


def _unknown_line(run: Path) -> str:
    path, lines = _samples(run, "longvideobench_r1")
    line = json.loads(lines[2])
    del line["lvb_r1_parsed"]
    lines[2] = json.dumps(line)
    path.write_text("\n".join(lines) + "\n")
    return f"{path}:3: no lvb_r1_parsed record"


def _no_lines(run: Path) -> str:
    path, _ = _samples(run, "longvideobench_r1")
    path.write_text("")
    return f"{path}: no sample lines"


LVB = {
    "NaN accuracy": _set_result("longvideobench_r1", "lvb_r1_acc,none", math.nan),
    "text accuracy": _set_result("longvideobench_r1", "lvb_r1_acc,none", "high"),
    "garbage sample line": _garbage_line("longvideobench_r1"),
    "duplicated sample line": _duplicate_line("longvideobench_r1"),
    "unknown sample line": _unknown_line,
    "no sample lines": _no_lines,
}


@pytest.mark.parametrize("case", list(LVB))
def test_a_longvideobench_run_that_cannot_be_read_is_an_error_unless_partial(
    case: str, lvb_dummy_runs: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = _copy(lvb_dummy_runs["B"], tmp_path)
    needle = LVB[case](run)
    out = tmp_path / "report"
    assert main(["report", str(run), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    (line,) = [ln for ln in err.splitlines() if ln.startswith("seedbench-r1 report: error: ")]
    assert needle in line and "--partial" in line, line
    assert not out.exists()  # nothing was written
    assert main(["report", str(run), "--out", str(out), "--partial"]) == 0
    page = (out / "report.md").read_text()
    assert "Partial report" in page and needle in page


@pytest.mark.parametrize("case", ["garbage", "duplicate", "text format rate"])
def test_a_seedbench_run_that_cannot_be_read_is_an_error(
    case: str, lmms_runs: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = _copy(lmms_runs["B"], tmp_path)
    damage = {
        "garbage": _garbage_line("seedbench_r1_l2"),
        "duplicate": _duplicate_line("seedbench_r1_l1"),
        "text format rate": _set_result("seedbench_r1_l3", "format_rate,none", "n/a"),
    }[case]
    needle = damage(run)
    assert main(["report", str(run), "--out", str(tmp_path / "report")]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and needle in err, err


def test_curves_refuse_one_label_for_two_logs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    logs = []
    for name in ("a", "b"):
        path = tmp_path / f"{name}.jsonl"
        path.write_text(json.dumps({"step": 1, "data": {"critic/score/mean": 0.5}}) + "\n")
        logs.append(f"same={path}")
    assert main(["curves", *logs, "--out", str(tmp_path / "curves")]) == 1
    err = capsys.readouterr().err
    assert "label 'same' names two logs" in err and "Traceback" not in err
