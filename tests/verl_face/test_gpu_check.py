"""``verl_recipe/run_gpu_check.sh``: its verdict logic on synthetic verl file-logger JSONL (passing and failing
runs) and on real lmms-eval output, and its ``--dry-run``, whose training command verl's hydra composes."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from verl_recipe import recipe_dir
from verl_recipe.gpu_check import main

LEVELS = ("seedbench_r1_l1", "seedbench_r1_l2", "seedbench_r1_l3")


def healthy_step(step: int) -> dict:
    """What a sound bf16 smoke step logs (figures in the range of verl's rollout-mismatch reports)."""
    data = {
        "training/rollout_probs_diff_valid": 1,
        "training/rollout_probs_diff_mean": 1.5e-3,
        "training/rollout_probs_diff_max": 0.2,
        "training/rollout_actor_probs_pearson_corr": 0.997,
        "prompt_length/max": 1034.0,
        "prompt_length/min": 246.0,
        "prompt_length/clip_ratio": 0.0,
        "response_length/max": 256.0,
        "actor/perf/max_memory_reserved_gb": 31.5,
        "actor/perf/cpu_memory_used_gb": 58.0,
    }
    if step == 3:
        data.update({f"val-core/{level}/acc/mean@1": 0.3 for level in LEVELS})
    return {"step": step, "data": data}


def write_log(path: Path, steps: list[dict]) -> Path:
    path.write_text("".join(json.dumps(s) + "\n" for s in steps))
    return path


def verdict_lines(capsys: pytest.CaptureFixture, *args: str | Path) -> tuple[int, list[str]]:
    rc = main(["verdict", *map(str, args)])
    return rc, capsys.readouterr().out.splitlines()


def test_a_healthy_run_passes_every_check(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    log = write_log(tmp_path / "log.jsonl", [healthy_step(s) for s in (1, 2, 3)])
    memory = tmp_path / "memory.tsv"
    memory.write_text("1700000000\t60.5\t70.1\n1700000002\t88.25\t101.5\n")
    rc, lines = verdict_lines(capsys, "--log", log, "--memory", memory)
    assert rc == 0, lines
    assert [ln.split()[0] for ln in lines[:-1]] == ["PASS", "PASS", "PASS", "INFO", "PASS"]
    assert "worst diff_mean 1.50e-03" in lines[0] and "longest prompt 1034" in lines[1]
    assert "machine host 88.2 GB" in lines[3] and "machine GPU 101.5 GB" in lines[3]
    assert "actor GPU reserved 31.5 GB" in lines[3]
    assert lines[-1] == "all checks passed"


FAULTS = {
    # what every step logs instead, the check that must fail, words of its line
    "rollout far from the actor": (
        {"training/rollout_probs_diff_mean": 0.04},
        "rollout vs actor",
        "step 1: diff 4.00e-02",
    ),
    "uncorrelated rollout": (
        {"training/rollout_actor_probs_pearson_corr": 0.6},
        "rollout vs actor",
        "corr 0.6",
    ),
    "no clip reached the model": (
        {"prompt_length/max": 330.0},
        "sequence lengths",
        "no prompt held a full clip",
    ),
    "a prompt hit the cap": (
        {"prompt_length/clip_ratio": 0.25},
        "sequence lengths",
        "max_prompt_length 2048",
    ),
    "an over-long response": ({"response_length/max": 300.0}, "sequence lengths", "exceeds"),
}


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_each_fault_fails_its_check_and_only_it(
    fault: str, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    change, check, words = FAULTS[fault]
    steps = [healthy_step(s) for s in (1, 2, 3)]
    for step in steps:
        step["data"].update(change)
    rc, lines = verdict_lines(capsys, "--log", write_log(tmp_path / "log.jsonl", steps))
    assert rc == 1
    failed = [ln for ln in lines if ln.startswith("FAIL ")]
    assert len(failed) == 1 and check in failed[0] and words in failed[0], lines
    assert lines[-1].startswith("FAILED: ")


def test_missing_metrics_fail_with_what_to_do(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    steps = [healthy_step(s) for s in (1, 2, 3)]
    for step in steps:
        step["data"] = {k: v for k, v in step["data"].items() if not k.startswith("training/rollout")}
    del steps[2]["data"]["val-core/seedbench_r1_l3/acc/mean@1"]
    rc, lines = verdict_lines(capsys, "--log", write_log(tmp_path / "log.jsonl", steps))
    assert rc == 1
    assert any("calculate_log_probs=true" in ln for ln in lines if ln.startswith("FAIL "))
    assert any("val-core/seedbench_r1_l3" in ln for ln in lines if ln.startswith("FAIL "))


def test_unreadable_log_is_one_error_line(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["verdict", "--log", str(tmp_path / "absent.jsonl")]) == 1
    bad = tmp_path / "bad.jsonl"
    bad.write_text("not json\n")
    assert main(["verdict", "--log", str(bad)]) == 1
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 2 and all(line.startswith("gpu_check: error: ") for line in err)


def test_backend_comparison_on_real_lmms_eval_runs(
    lmms_runs: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    """Two real lmms-eval outputs: the same answers pass; a backend that answers differently fails."""
    log = write_log(tmp_path / "log.jsonl", [healthy_step(s) for s in (1, 2, 3)])
    rc, lines = verdict_lines(
        capsys, "--log", log, "--eval-hf", lmms_runs["B"], "--eval-vllm", lmms_runs["B"]
    )
    assert rc == 0 and "same answer on 100%" in lines[4], lines
    rc, lines = verdict_lines(
        capsys, "--log", log, "--eval-hf", lmms_runs["B"], "--eval-vllm", lmms_runs["none"]
    )
    assert rc == 1 and lines[4].startswith("FAIL") and "same answer on 0%" in lines[4], lines


def test_dry_run_prints_a_training_command_verl_composes(tmp_path: Path) -> None:
    """``--dry-run`` runs nothing; its smoke-run line, given to verl's main_ppo with ``--cfg job --resolve``,
    composes to the check's settings with absolute paths."""
    data = tmp_path / "data"
    data.mkdir()
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    env = {**os.environ, "SEEDBENCH_R1_VERL_DATA": str(data), "PYTHON": sys.executable}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    proc = subprocess.run(
        ["bash", str(Path(recipe_dir()) / "run_gpu_check.sh"), "--dry-run", "data.val_batch_size=16"],
        capture_output=True, text=True, env=env, cwd=run_dir, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    commands = [shlex.split(line[2:]) for line in proc.stdout.splitlines() if line.startswith("+ ")]
    assert [c[2] for c in commands] == [
        "verl.trainer.main_ppo",
        "seedbench_r1",
        "seedbench_r1",
        "verl_recipe.gpu_check",
    ]
    assert not (run_dir / "gpu_check").exists()  # nothing ran
    assert {c[c.index("--model_args") + 1].split("backend=")[1] for c in commands[1:3]} == {"hf", "vllm"}
    composed = subprocess.run(
        [*commands[0], "--cfg", "job", "--resolve"],
        capture_output=True, text=True, env={k: v for k, v in env.items() if k != "SEEDBENCH_R1_VERL_DATA"},
        cwd=run_dir, timeout=300,
    )  # fmt: skip
    assert composed.returncode == 0, composed.stderr[-3000:]
    import yaml

    cfg = yaml.safe_load(composed.stdout)
    assert cfg["actor_rollout_ref"]["rollout"]["calculate_log_probs"] is True
    assert cfg["trainer"]["total_training_steps"] == 3 and cfg["data"]["val_max_samples"] == 32
    assert cfg["data"]["val_batch_size"] == 16  # the user's override reaches the run
    assert cfg["trainer"]["default_local_dir"] == str(run_dir / "gpu_check" / "checkpoints")
    assert cfg["data"]["train_files"] == [str(data / "training_6k.parquet")]
    env_vars = cfg["ray_kwargs"]["ray_init"]["runtime_env"]["env_vars"]
    assert env_vars["VERL_FILE_LOGGER_ROOT"] == str(run_dir / "gpu_check" / "logs")
    verdict = commands[3]
    assert verdict[verdict.index("--log") + 1] == str(
        run_dir / "gpu_check" / "logs" / "seedbench_r1" / "gpu_check.jsonl"
    )


def test_dry_run_verdict_follows_the_users_lengths_and_model(tmp_path: Path) -> None:
    """Overrides of the smoke run's lengths and model reach the verdict's limits and the eval commands."""
    env = {**os.environ, "SEEDBENCH_R1_VERL_DATA": str(tmp_path), "PYTHON": sys.executable}
    env.pop("GPU_CHECK_MODEL", None)
    overrides = [
        "data.max_response_length=512",
        "actor_rollout_ref.rollout.max_model_len=2560",
        "actor_rollout_ref.model.path=/models/sft hf",
    ]
    proc = subprocess.run(
        ["bash", str(Path(recipe_dir()) / "run_gpu_check.sh"), "--dry-run", *overrides],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    commands = [shlex.split(line[2:]) for line in proc.stdout.splitlines() if line.startswith("+ ")]
    verdict = commands[3]
    assert verdict[verdict.index("--max-response-length") + 1] == "512"
    assert verdict[verdict.index("--max-prompt-length") + 1] == "2048"
    for command in commands[1:3]:
        assert command[command.index("--model_args") + 1].startswith("pretrained=/models/sft hf,backend=")
