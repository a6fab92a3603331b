"""Hostile input to report, curves, verl-reward-check and verl-cpu-step: one line naming the file, exit 1, no
traceback, and nothing silently dropped (bad lines and non-finite values are counted and named)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from verl_recipe.adapter import prepare_rl
from verl_recipe.sft import prepare_sft

ENV = {**os.environ, "FORCE_QWENVL_VIDEO_READER": "decord"}
ENV.pop("SEEDBENCH_R1_DEBUG", None)


def run(*args: str | Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "seedbench_r1", *map(str, args)],
        capture_output=True,
        text=True,
        env=ENV,
        timeout=600,
    )


def error_line(proc: subprocess.CompletedProcess, *needles: str) -> str:
    assert proc.returncode == 1, (proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr, proc.stderr
    (line,) = [ln for ln in proc.stderr.splitlines() if ": error: " in ln]
    for needle in needles:
        assert needle in line, line
    return line


@pytest.fixture(scope="module")
def parquets(fixture_root: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("bad_input_parquet")
    prepare_rl(fixture_root, "validation_L1", out / "l1.parquet", progress=False)
    prepare_sft(fixture_root, "training_with_cot_6k", out / "sft.parquet", progress=False)
    (out / "not.parquet").write_text("just text")
    return {"rl": out / "l1.parquet", "sft": out / "sft.parquet", "text": out / "not.parquet"}


# ------------------------------------------------------------------------------------ verl-reward-check


def test_reward_check_refuses_what_is_not_an_rl_parquet(parquets: dict[str, Path], tmp_path: Path) -> None:
    error_line(run("verl-reward-check", tmp_path / "missing.parquet"), "missing.parquet", "no such parquet")
    error_line(run("verl-reward-check", parquets["text"]), str(parquets["text"]), "not a parquet file")
    error_line(run("verl-reward-check", parquets["sft"]), str(parquets["sft"]), "SFT parquet", "reward_model")
    error_line(
        run("verl-reward-check", parquets["rl"], "--recipe", "seedbench_r1_grpo_smok"), "no such recipe"
    )
    ok = run("verl-reward-check", parquets["rl"])
    assert ok.returncode == 0 and "seedbench_r1_l1: 8 rows" in ok.stdout


# ---------------------------------------------------------------------------------------- verl-cpu-step


def test_cpu_step_names_a_missing_model_folder_and_moved_media(
    fixture_root: Path, parquets: dict[str, Path], tiny_qwen2_vl: Path, tmp_path: Path
) -> None:
    missing = tmp_path / "no-model"
    error_line(run("verl-cpu-step", parquets["rl"], "--model", missing), str(missing), "no such folder")
    not_ckpt = tmp_path / "empty"
    not_ckpt.mkdir()
    error_line(run("verl-cpu-step", parquets["rl"], "--model", not_ckpt), "no config.json")
    # Media moved after prepare-verl wrote absolute paths: named with the row, not qwen-vl-utils' reader error.
    root = tmp_path / "root"
    shutil.copytree(fixture_root, root)
    moved = tmp_path / "moved.parquet"
    prepare_rl(root, "validation_L1", moved, progress=False)
    shutil.rmtree(root / "videos")
    shutil.rmtree(root / "images")
    line = error_line(
        run("verl-cpu-step", moved, "--model", tiny_qwen2_vl), str(moved), "row 0", "media file missing"
    )
    assert str(root) in line


# ------------------------------------------------------------------------------------------------ report


def _results(folder: Path, results: dict) -> Path:
    model = folder / "model"
    model.mkdir(parents=True)
    path = model / "20260101_000000_results.json"
    path.write_text(json.dumps({"results": results}))
    return path


def test_report_refuses_another_tasks_output(tmp_path: Path) -> None:
    run_dir = tmp_path / "mmmu_run"
    _results(run_dir, {"mmmu_val": {"acc,none": 0.5}})
    proc = run("report", run_dir, "--out", tmp_path / "rep")
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert "no SEED-Bench-R1 results in it (tasks: mmmu_val)" in proc.stderr


@pytest.mark.parametrize(
    "payload, reason",
    [
        (b'{"results": \xff\xfe}', "not UTF-8"),
        (b'{"results": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "nested too deeply"),
        (b'{"results": {"seedbench_r1_l1": {"acc": ' + b"7" * 5000 + b"}}}", "digits"),
    ],
    ids=["bad-utf8", "deep-json", "huge-int"],
)
def test_report_on_hostile_results_file(tmp_path: Path, payload: bytes, reason: str) -> None:
    path = _results(tmp_path / "run", {})
    path.write_bytes(payload)
    proc = run("report", tmp_path / "run", "--out", tmp_path / "rep")
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert str(path) in proc.stderr and reason in proc.stderr


def test_report_out_on_an_existing_file_is_one_line(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    _results(run_dir, {"seedbench_r1_l1": {"seedbench_r1_acc,none": 0.5}})
    blocker = tmp_path / "blocker"
    blocker.write_text("keep")
    error_line(run("report", run_dir, "--out", blocker), str(blocker))
    assert blocker.read_text() == "keep"


# ------------------------------------------------------------------------------------------------ curves


def test_curves_on_a_file_that_is_not_text(tmp_path: Path) -> None:
    log = tmp_path / "log.jsonl"
    log.write_bytes(b"\xff\xfe\x00garbage\n")
    line = error_line(run("curves", log, "--out", tmp_path / "c"), str(log), "not UTF-8")
    assert "no numeric metrics" in line


def test_curves_name_bad_lines_and_non_finite_values(tmp_path: Path) -> None:
    log = tmp_path / "log.jsonl"
    lines = [
        json.dumps({"step": 1, "data": {"critic/score/mean": 0.1, "response_length/mean": 50.0}}).encode(),
        b"\xff\xfe not text",
        b'{"step": 2, "data": {"x": ' + b"[" * 50_000 + b"]" * 50_000 + b"}}",
        json.dumps(
            {"step": 3, "data": {"critic/score/mean": float("nan"), "response_length/mean": 52.0}}
        ).encode(),
        json.dumps(
            {"step": 4, "data": {"critic/score/mean": float("inf"), "response_length/mean": 53.0}}
        ).encode(),
    ]
    log.write_bytes(b"\n".join(lines) + b"\n")
    proc = run("curves", log, "--out", tmp_path / "c")
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    assert f"{log}:2: not a verl file-logger line (not UTF-8 text)" in proc.stderr
    assert "2 unreadable lines in all" in proc.stderr
    assert "2 non-finite value(s) left out" in proc.stderr
    assert "critic/score/mean=nan at step 3 (line 4)" in proc.stderr
    assert "critic/score/mean=inf at step 4 (line 5)" in proc.stderr
