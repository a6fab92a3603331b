"""``seedbench-r1 tasks-path`` and ``seedbench-r1 eval`` (lmms-eval's real CLI, in process, dummy model).

lmms-eval's CLI builds a TaskManager that indexes its ~2,000 built-in task YAMLs (15-20 s on 2 cores); the
tests hand it ``include_defaults=False`` so only the project's folder is indexed. Everything else is the CLI
as users run it.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import pytest

from lmms_eval_tasks import tasks_path
from seedbench_r1.cli import main
from seedbench_r1.cli.evaluate import protect_task_names, split_include_path

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def fast_cli(monkeypatch: pytest.MonkeyPatch, fixture_root: Path) -> None:
    import lmms_eval.__main__ as lmms_main
    from lmms_eval.tasks import TaskManager

    monkeypatch.setattr(lmms_main, "TaskManager", functools.partial(TaskManager, include_defaults=False))
    monkeypatch.setenv("SEEDBENCH_R1_ROOT", str(fixture_root))


def test_tasks_path_prints_the_yaml_folder(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["tasks-path"]) == 0
    printed = Path(capsys.readouterr().out.strip())
    assert printed == tasks_path()
    assert {p.name for p in printed.glob("*/seedbench_r1*.yaml")} == {
        "seedbench_r1.yaml",
        "seedbench_r1_l1.yaml",
        "seedbench_r1_l2.yaml",
        "seedbench_r1_l3.yaml",
    }


def test_argument_rewrites(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert split_include_path(["--tasks", "x", "--include_path", "/a", "--include_path=/b"]) == (
        ["--tasks", "x"],
        ["/a", "/b"],
    )
    monkeypatch.chdir(tmp_path)
    assert protect_task_names(["--tasks", "seedbench_r1"]) == ["--tasks", "seedbench_r1"]
    (tmp_path / "seedbench_r1").mkdir()  # like the repository root, which has the seedbench_r1/ package
    assert protect_task_names(["--tasks", "seedbench_r1", "--limit", "2"]) == [
        "--tasks",
        "seedbench_r1,seedbench_r1",
        "--limit",
        "2",
    ]
    assert protect_task_names(["--tasks=seedbench_r1"]) == ["--tasks=seedbench_r1,seedbench_r1"]
    assert protect_task_names(["--tasks", "mme"]) == ["--tasks", "mme"]


def _results(out_dir: Path) -> dict[str, Any]:
    files = sorted(out_dir.rglob("*results*.json"))
    assert files, f"no results file under {out_dir}"
    return json.loads(files[-1].read_text(encoding="utf-8"))["results"]


def test_eval_runs_the_group_from_the_repository_root(
    fast_cli: None, fixture_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(REPO)  # has a seedbench_r1/ folder, which lmms-eval would take for a task folder
    out = tmp_path / "out"
    response = "<think>the pan is hot</think><answer>B</answer>"
    rc = main(
        ["eval", "--model", "dummy", "--model_args", f"response={response}", "--tasks", "seedbench_r1"]
        + ["--output_path", str(out), "--log_samples"]
    )
    assert rc == 0
    results = _results(out)
    assert set(results) == {"seedbench_r1", "seedbench_r1_l1", "seedbench_r1_l2", "seedbench_r1_l3"}
    # The CLI strips <think> by default (--reasoning_tags); the tasks turn that off, so the tagged
    # response is still well formatted when scored.
    for task in ("seedbench_r1_l1", "seedbench_r1_l2", "seedbench_r1_l3"):
        assert results[task]["format_rate,none"] == 1.0
    rows = [
        json.loads(line)
        for split in ("validation_L1", "validation_L2", "validation_L3")
        for line in (fixture_root / "annotations" / f"{split}.jsonl").read_text().splitlines()
        if line.strip()
    ]
    hits = sum(r["golden_choice_idx"] == "B" for r in rows)
    assert results["seedbench_r1"]["seedbench_r1_acc,none"] == pytest.approx(hits / len(rows))


def test_eval_exits_nonzero_when_lmms_eval_fails(
    fast_cli: None, capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    # Plain lmms-eval 0.7.3 prints this error and exits 0 below --verbosity DEBUG.
    assert main(["eval", "--model", "dummy", "--tasks", "seedbench_r1_nonexistent"]) == 1
    assert "Tasks not found: seedbench_r1_nonexistent" in capsys.readouterr().err
    monkeypatch.setenv("SEEDBENCH_R1_ROOT", str(tmp_path / "no_dataset_here"))
    assert main(["eval", "--model", "dummy", "--tasks", "seedbench_r1_l2"]) == 1
    err = capsys.readouterr().err
    assert "FileNotFoundError" in err and "no_dataset_here" in err


def test_eval_without_arguments_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval"]) == 2
    assert "usage: seedbench-r1 eval" in capsys.readouterr().err
