"""``verl-cpu-step``: the GRPO step's data path through verl's own dataset class, reward loop and estimator."""

from __future__ import annotations

from pathlib import Path

import pytest

from reward_fns.seedbench_r1 import compute_score
from verl_recipe.cpu_step import run_cpu_step
from verl_recipe.rl_parquet import prepare_rl


@pytest.fixture(scope="module")
def step(fixture_root: Path, tiny_qwen2_vl: Path, tmp_path_factory: pytest.TempPathFactory):
    parquet = tmp_path_factory.mktemp("cpu_step") / "training_6k.parquet"
    prepare_rl(fixture_root, "training_6k", parquet, progress=False)
    return run_cpu_step(parquet, tiny_qwen2_vl, prompts=3, n=2, max_new_tokens=8)


def test_groups_and_protocol_grids(step) -> None:
    assert step.group == [0, 0, 1, 1, 2, 2]
    assert set(step.data_sources) == {"seedbench_r1_train"}
    assert all(
        g is None or (g[1:] == [18, 18] and g[0] * 2 in (2, 4, 6, 8, 10, 12, 14, 16))
        for g in step.video_grids
    )
    assert all(g in "ABCD" for g in step.golds)


def test_scores_are_the_reward_functions_and_advantages_are_grpos(step) -> None:
    # verl's reward loop decoded the sampled tokens and called the recipe's reward: recompute it independently
    for text, gold, score, pred in zip(step.responses, step.golds, step.scores, step.preds, strict=True):
        expected = compute_score("seedbench_r1_train", text, gold, {})
        assert score == expected["score"] and pred == expected["pred"]
    for g in set(step.group):
        scores = [s for s, k in zip(step.scores, step.group, strict=True) if k == g]
        advs = [a for a, k in zip(step.advantages, step.group, strict=True) if k == g]
        if len(set(scores)) == 1:
            assert advs == [0.0] * len(advs)  # a group with one reward carries no signal
        else:
            assert sum(advs) == pytest.approx(0.0, abs=1e-5)
