"""reward_fns.seedbench_r1 through verl 0.9.1 itself: the config keys, the pkg:// loader, the naive reward
manager on a tokenized DataProto batch, the reward extra info, and GRPO advantages from those scores.

Nothing of verl is mocked: the config is composed from verl's own ppo_trainer.yaml with hydra, the reward
function is resolved by verl's loader, responses are tokenized with the tiny Qwen2-VL's tokenizer and decoded
back by verl's NaiveRewardManager inside verl's RewardLoopWorker.
"""

from __future__ import annotations

import math
import statistics
from pathlib import Path

import numpy as np
import pytest
import torch

from verl_recipe.cpu_step import rollout_batch

OPTIONS = [
    "put cereal box into cupboard",
    "take cereal bag",
    "open cupboard",
    "put cereal bag into cereal box",
]
FORMAT_WEIGHT = 0.5
GOLD = "B"

# (response, expected acc, expected format, expected pred) for group "mixed"; gold is B.
MIXED = [
    ("<think>the bag is out</think><answer>B</answer>", 1, 1, "B"),
    ("<think>the bag is out</think>\n<answer>(B) take cereal bag</answer>", 1, 1, "B"),
    ("<answer>B.</answer>", 1, 0, "B"),
    ("<think>hmm</think><answer>take cereal bag</answer>", 1, 1, "B"),
    ("<think>cupboard first</think><answer>C</answer>", 0, 1, "C"),
    ("<think>unsure</think><answer>A or B</answer>", 0, 1, ""),
    ("The answer is B", 0, 0, ""),
    ("<think>x</think><answer>B</answer> and also <answer>A</answer>", 0, 0, ""),
]
# Group "equal": eight different honest-but-wrong answers, all scored 0.5 (format only).
EQUAL = [
    ("<think>t</think><answer>A</answer>", 0, 1, "A"),
    ("<think>t</think><answer>C</answer>", 0, 1, "C"),
    ("<think>t</think><answer>D</answer>", 0, 1, "D"),
    ("<think>t</think><answer>(A)</answer>", 0, 1, "A"),
    ("<think>t</think><answer>open cupboard</answer>", 0, 1, "C"),
    ("<think>t</think><answer>E</answer>", 0, 1, ""),
    ("<think>t</think><answer></answer>", 0, 1, ""),
    ("<think>t</think><answer>A, B</answer>", 0, 1, ""),
]


@pytest.fixture(scope="module")
def verl_config(tiny_qwen2_vl: Path):
    from hydra import compose, initialize_config_module

    overrides = [
        "reward.custom_reward_function.path=pkg://reward_fns.seedbench_r1",
        f"+reward.custom_reward_function.reward_kwargs.format_weight={FORMAT_WEIGHT}",
        "+reward.custom_reward_function.reward_kwargs.mode=strict",
        f"actor_rollout_ref.model.path={tiny_qwen2_vl}",
    ]
    with initialize_config_module(config_module="verl.trainer.config", version_base=None):
        return compose("ppo_trainer", overrides=overrides)


@pytest.fixture(scope="module")
def scored(verl_config, tiny_qwen2_vl: Path):
    """Runs verl's RewardLoopWorker (naive manager) on a 16-row DataProto: groups 'mixed' and 'equal'."""
    from transformers import AutoTokenizer
    from verl.experimental.reward_loop.reward_loop import RewardLoopWorker

    tok = AutoTokenizer.from_pretrained(tiny_qwen2_vl)
    rows = MIXED + EQUAL
    prompt_ids = tok("What should I do next?", add_special_tokens=False)["input_ids"]
    resp_ids = [tok(r, add_special_tokens=False)["input_ids"] + [tok.eos_token_id] for r, *_ in rows]
    # Byte-level BPE round-trips; the reward then sees exactly the text the table states.
    assert [tok.decode(ids, skip_special_tokens=True) for ids in resp_ids] == [r for r, *_ in rows]

    pad = tok.pad_token_id
    assert pad is not None and pad != tok.eos_token_id  # trailing pad ids are padding: the eos must differ
    batch_rows = [
        {
            "data_source": "seedbench_r1",
            "reward_model": {"style": "rule", "ground_truth": GOLD},
            "extra_info": {"options": OPTIONS, "sample_id": i},
        }
        for i in range(len(rows))
    ]
    groups = ["mixed"] * len(MIXED) + ["equal"] * len(EQUAL)
    data = rollout_batch(batch_rows, [prompt_ids] * len(rows), resp_ids, groups, pad)
    worker = RewardLoopWorker(verl_config)
    outputs = worker.loop.run_until_complete(worker.compute_score_batch(data))
    return worker, data, outputs, [len(ids) for ids in resp_ids]


def test_legacy_top_level_key_is_ignored_by_the_09_loader(tiny_qwen2_vl: Path) -> None:
    """The pre-0.9 key composes without error but verl 0.9.1's loader never reads it: use reward.* keys."""
    from hydra import compose, initialize_config_module
    from verl.trainer.ppo.reward import get_custom_reward_fn

    with initialize_config_module(config_module="verl.trainer.config", version_base=None):
        legacy = compose(
            "ppo_trainer", overrides=["custom_reward_function.path=pkg://reward_fns.seedbench_r1"]
        )
    assert get_custom_reward_fn(legacy) is None


def test_verl_loader_resolves_pkg_path_and_passes_reward_kwargs(verl_config) -> None:
    from verl.trainer.ppo.reward import get_custom_reward_fn

    import reward_fns.seedbench_r1 as mod

    fn = get_custom_reward_fn(verl_config)
    assert fn is not None and fn.args[0] is mod.compute_score
    # The reward_kwargs reach compute_score: format_weight 0.5 shows in the score.
    good = fn(data_source="seedbench_r1", solution_str="<think>t</think><answer>B</answer>", ground_truth="B")
    assert good == {"score": 1.5, "acc": 1, "format": 1, "no_answer": 0, "pred": "B"}


def test_compute_score_rejects_misspelt_kwargs_and_bad_gold() -> None:
    from reward_fns.seedbench_r1 import compute_score

    with pytest.raises(TypeError, match="format_wieght"):
        compute_score("seedbench_r1", "<answer>B</answer>", "B", format_wieght=1.0)
    with pytest.raises(ValueError, match=r"'Z'.*sample_id=7"):
        compute_score("seedbench_r1", "<answer>B</answer>", "Z", {"sample_id": 7})
    with pytest.raises(ValueError, match="mode"):
        compute_score("seedbench_r1", "<answer>B</answer>", "B", mode="lenient")
    # verl's router kwargs are accepted and ignored.
    assert compute_score("s", "<answer>B</answer>", "B", reward_router_address=None)["acc"] == 1


def test_naive_manager_scores_and_extra_info(scored) -> None:
    worker, _, outputs, _ = scored
    from verl.experimental.reward_loop.reward_manager.naive import NaiveRewardManager

    assert type(worker.reward_manager) is NaiveRewardManager
    for (resp, acc, fmt, pred), out in zip(MIXED + EQUAL, outputs, strict=True):
        info = out["reward_extra_info"]
        assert set(info) == {"score", "acc", "format", "no_answer", "pred"}, resp
        assert (info["acc"], info["format"], info["pred"], info["no_answer"]) == (
            acc,
            fmt,
            pred,
            int(not pred),
        )
        assert out["reward_score"] == acc + FORMAT_WEIGHT * fmt


def test_extra_info_survives_verl_batch_assembly(scored) -> None:
    """verl stacks each extra key with np.array (RewardLoopManager / agent loop); a str `pred` is fine there:
    its validation metrics skip string keys for means and use `pred` for majority voting."""
    from verl import DataProto
    from verl.trainer.ppo.metric_utils import process_validation_metrics
    from verl.trainer.ppo.reward import extract_reward

    worker, data, outputs, _ = scored
    infos = [o["reward_extra_info"] for o in outputs]
    keys = list(infos[0])
    rm = worker.reward_manager.assemble_rm_scores(data, [o["reward_score"] for o in outputs])
    from tensordict import TensorDict

    batch = DataProto(
        batch=TensorDict({"rm_scores": rm}, batch_size=len(data)),
        non_tensor_batch={k: np.array([info[k] for info in infos]) for k in keys},
        meta_info={"reward_extra_keys": keys},
    )
    reward_tensor, extra = extract_reward(batch)
    assert set(extra) == {"score", "acc", "format", "no_answer", "pred"}
    assert extra["pred"].tolist() == [p for *_, p in MIXED + EQUAL]
    assert reward_tensor.sum(-1).tolist() == [a + FORMAT_WEIGHT * f for _, a, f, _ in MIXED + EQUAL]

    metrics = process_validation_metrics(
        ["seedbench_r1"] * len(data),
        list(data.non_tensor_batch["uid"]),
        {k: v.tolist() for k, v in extra.items()},
    )
    by_var = metrics["seedbench_r1"]
    assert "pred" not in by_var  # strings are skipped, not averaged
    assert by_var["acc"]["mean@8"] == pytest.approx((4 / 8 + 0) / 2)
    assert "maj@8/mean" in by_var["acc"]  # pred drives majority voting


def _hand_grpo(scores: list[float]) -> list[float]:
    mean = sum(scores) / len(scores)
    std = statistics.stdev(scores)  # torch.std is the unbiased (n - 1) estimator
    return [(s - mean) / (std + 1e-6) for s in scores]


def test_grpo_advantages_from_these_scores(scored) -> None:
    from verl.trainer.ppo.core_algos import compute_grpo_outcome_advantage

    worker, data, outputs, lengths = scored
    rm = worker.reward_manager.assemble_rm_scores(data, [o["reward_score"] for o in outputs])
    p_len = data.batch["prompts"].shape[1]
    mask = data.batch["attention_mask"][:, p_len:]
    adv, _ = compute_grpo_outcome_advantage(rm, mask, data.non_tensor_batch["uid"])

    mixed_scores = [a + FORMAT_WEIGHT * f for _, a, f, _ in MIXED]
    assert mixed_scores == [1.5, 1.5, 1.0, 1.5, 0.5, 0.5, 0.0, 0.0]
    # By hand: mean 6.5 / 8 = 0.8125; squared deviations sum to 2.96875, / 7 -> sample std 0.651235;
    # so a correct well-formatted answer gets 0.6875 / 0.651235 = +1.05568, a formatless wrong one -1.24763.
    expected = _hand_grpo(mixed_scores) + [0.0] * len(EQUAL)
    assert math.isclose(expected[0], 1.05568, abs_tol=1e-5)
    assert math.isclose(expected[-1 - len(EQUAL)], -1.24763, abs_tol=1e-5)
    for i, (want, n_tok) in enumerate(zip(expected, lengths, strict=True)):
        row = adv[i]
        assert torch.allclose(row[:n_tok], torch.full((n_tok,), want), atol=1e-5), i
        assert torch.all(row[n_tok:] == 0), i  # padding carries no advantage
    assert torch.all(adv[len(MIXED) :] == 0)  # all-equal group: every advantage is exactly zero
