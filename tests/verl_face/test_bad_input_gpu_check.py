"""The GPU check's verdict on a run that went wrong or files that are not what they say: a non-finite metric is a
FAIL naming the step; a memory log the verdict was given is read or is one error line; ``--dry-run`` leaves
nothing behind."""

from __future__ import annotations

import importlib.util
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from verl_recipe import recipe_dir
from verl_recipe.gpu_check import main

_spec = importlib.util.spec_from_file_location(
    "gpu_check_cases", Path(__file__).with_name("test_gpu_check.py")
)
cases = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(cases)  # its healthy step and log writer: one description of a sound run


@pytest.mark.parametrize(
    ("metric", "value"),
    [
        ("training/rollout_probs_diff_mean", math.nan),
        ("training/rollout_actor_probs_pearson_corr", math.nan),
        ("training/rollout_probs_diff_mean", math.inf),
        ("response_length/max", -math.inf),
    ],
)
def test_a_non_finite_metric_fails_naming_the_step(
    metric: str, value: float, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    steps = [cases.healthy_step(s) for s in (1, 2, 3)]
    steps[1]["data"][metric] = value  # one diverged step among sound ones
    rc = main(["verdict", "--log", str(cases.write_log(tmp_path / "log.jsonl", steps))])
    lines = capsys.readouterr().out.splitlines()
    assert rc == 1
    (failed,) = [ln for ln in lines if ln.startswith("FAIL ") and "metrics log" in ln]
    assert metric in failed and "at step 2" in failed, failed


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (b"1700000000\t60.5\t70.1\nthis is not a sample\n", ":2:"),
        (b"1700000000\tsixty\t70.1\n", ":1:"),
        (b"1700000000\t60.5\n", ":1:"),
        (b"\xff\xfe garbage", "not UTF-8"),
        (None, "no such memory log"),
    ],
)
def test_a_memory_log_is_read_or_is_an_error(
    content: bytes | None, needle: str, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    log = cases.write_log(tmp_path / "log.jsonl", [cases.healthy_step(s) for s in (1, 2, 3)])
    memory = tmp_path / "memory.tsv"
    if content is not None:
        memory.write_bytes(content)
    assert main(["verdict", "--log", str(log), "--memory", str(memory)]) == 1
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith("gpu_check: error: ") and str(memory) in err[0], err
    assert needle in err[0], err


def test_a_memory_log_that_is_a_fifo_is_never_opened(tmp_path: Path) -> None:
    log = cases.write_log(tmp_path / "log.jsonl", [cases.healthy_step(s) for s in (1, 2, 3)])
    fifo = tmp_path / "memory.tsv"
    os.mkfifo(fifo)
    proc = subprocess.run(
        [sys.executable, "-m", "verl_recipe.gpu_check", "verdict", "--log", str(log), "--memory", str(fifo)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 1 and "a FIFO" in proc.stderr and "Traceback" not in proc.stderr, proc.stderr


def test_dry_run_creates_nothing(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    env = {**os.environ, "SEEDBENCH_R1_VERL_DATA": str(data), "PYTHON": sys.executable}
    proc = subprocess.run(
        ["bash", str(Path(recipe_dir()) / "run_gpu_check.sh"), "--dry-run"],
        capture_output=True, text=True, env=env, cwd=run_dir, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert list(run_dir.iterdir()) == [] and list(data.iterdir()) == []
