"""The knob tables of docs/verl.md against the composed recipes and the official runs, and the LR schedule as
verl's own FSDP engine builds it.

The official values below are transcribed from the sources the tables name (TencentARC/SEED-Bench-R1 at
12e8fcc, TencentARC/GRPO-CARE at b0628fc, transformers 4.51.3 / TRL 0.14-0.16 defaults; docs/verl.md). The
table must state them, each recipe must hold what the table says it holds, and a row marked ``yes`` must be
equal; a row that differs must say why.
"""

from __future__ import annotations

import math
import re
import types
from pathlib import Path

import pytest
import yaml
from omegaconf import DictConfig, OmegaConf

DOC = Path(__file__).parents[2] / "docs" / "verl.md"

OFFICIAL = {
    "seedbench_r1_grpo": {
        "prompts per optimizer step": 8,
        "prompts per policy update": 8,
        "updates per rollout batch": 1,
        "policy-ratio clip": "none",
        "group size G": 8,
        "completion tokens": 256,
        "prompt tokens": 8192,
        "learning rate": 1e-6,
        "LR schedule": "linear",
        "warmup": 0.0,
        "weight decay": 0.0,
        "gradient clipping": 1.0,
        "Adam betas": [0.9, 0.999],
        "KL coefficient": 0.1,
        "KL in the loss, per token": True,
        "KL estimator": "k3",
        "advantage scaled by group std": True,
        "advantage epsilon": 1e-4,
        "loss aggregation": "seq-mean-token-mean",
        "entropy bonus": 0,
        "temperature": 1.0,
        "top_p": 1.0,
        "top_k": 50,
        "format reward weight": 0.0,
        "epochs": 1,
        "GPUs per node": 8,
        "gradient checkpointing": True,
        "precision": "bfloat16",
        "seed": 42,
    },
    "seedbench_r1_grpo_qwen2_5_vl": {
        "prompts per optimizer step": 4,
        "prompts per policy update": 4,
        "updates per rollout batch": 1,
        "group size G": 8,
        "completion tokens": 768,
        "prompt tokens": 16384,
        "learning rate": 1e-6,
        "LR schedule": "cosine",
        "warmup": 0.0,
        "weight decay": 0.01,
        "gradient clipping": 5.0,
        "KL coefficient": 0.0,
        "KL in the loss": False,
        "advantage epsilon": 1e-4,
        "loss aggregation": "seq-mean-token-mean",
        "temperature": 1.0,
        "top_p": 0.95,
        "top_k": 50,
        "format reward weight": 1.0,
        "epochs": 1,
        "GPUs per node": 4,
        "gradient checkpointing": True,
        "precision": "bfloat16",
        "consistency bonus": True,
    },
    "seedbench_r1_grpo_care": {
        "EMA decay": 0.995,
        "EMA every, optimizer steps": 10,
        "bonus coefficient": 0.5,
        "likelihood cap": 0.95,
        "consistency margin": 0.0,
        "eligible above accuracy": 0.1,
        "reference kept at KL 0": True,
        "KL coefficient": 0.0,
        "reference precision": "bfloat16",
        "answer span": "tokens after the last <answer> up to EOS - 3",
        "advantage epsilon": 1e-4,
    },
}


def _cell_value(cell: str) -> object:
    """The first back-quoted value of a cell, read as YAML (``8``, ``1.0e-6``, ``linear``, ``[0.9, 0.999]``)."""
    match = re.search(r"`([^`]*)`", cell)
    assert match, f"no `value` in table cell {cell!r}"
    return yaml.safe_load(match.group(1))


def knob_table(recipe: str) -> list[dict[str, str]]:
    """The rows of the docs' table marked ``<!-- knob-table: recipe -->``."""
    lines = DOC.read_text().splitlines()
    start = lines.index(f"<!-- knob-table: {recipe} -->") + 1
    header = [c.strip() for c in lines[start].strip("|").split("|")]
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        assert len(cells) == len(header), f"docs/verl.md: a {recipe} row has {len(cells)} cells: {line}"
        rows.append(dict(zip(header, cells, strict=True)))
    return rows


def _same(a: object, b: object) -> bool:
    if isinstance(a, float | int) and isinstance(b, float | int) and not isinstance(a, bool):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=0.0)
    return a == b


def _compose(recipe: str) -> DictConfig:
    from hydra import compose, initialize_config_dir

    from verl_recipe import recipe_dir

    with initialize_config_dir(config_dir=str(recipe_dir()), version_base=None):
        return compose(config_name=recipe)


def check_table(recipe: str, cfg: DictConfig) -> None:
    held_all = OmegaConf.to_container(cfg, resolve=True)
    rows = knob_table(recipe)
    assert [r["knob"] for r in rows] == list(OFFICIAL[recipe])  # every knob, no other, in this order
    for row in rows:
        knob, official, recipe_value = row["knob"], _cell_value(row["official"]), _cell_value(row["recipe"])
        assert _same(official, OFFICIAL[recipe][knob]), f"{recipe} / {knob}: the table says {official}"
        assert row["source"], f"{recipe} / {knob}: no source"
        if row["recipe key"] != "none":
            held = held_all
            for part in str(_cell_value(row["recipe key"])).split("."):
                held = held[part]
            assert _same(held, recipe_value), (
                f"{recipe} / {knob}: the recipe holds {held}, the table {recipe_value}"
            )
        verdict = row["same"]
        if verdict.startswith("yes"):
            assert _same(official, recipe_value), (
                f"{recipe} / {knob}: marked yes, {official} vs {recipe_value}"
            )
        else:
            assert re.match(r"(no|equivalent): \S", verdict), f"{recipe} / {knob}: say why it differs"
            assert not _same(official, recipe_value), f"{recipe} / {knob}: equal values marked {verdict!r}"


@pytest.mark.parametrize("recipe", sorted(OFFICIAL))
def test_knob_table_states_the_official_values_and_the_recipes(recipe: str) -> None:
    check_table(recipe, _compose(recipe))


def test_the_care_recipe_holds_the_qwen2_5_vl_tables_training_values() -> None:
    """The CARE recipe shares the Qwen2.5-VL body: that table's rows hold on it, the KL rows aside (CARE keeps a
    reference through a KL loss of coefficient 0), and its bonus row is CARE's own table."""
    from verl_recipe.care.bonus import ACCURACY_FLOOR

    care = OmegaConf.to_container(_compose("seedbench_r1_grpo_care"), resolve=True)
    kl_rows = ("actor_rollout_ref.actor.use_kl_loss", "actor_rollout_ref.actor.kl_loss_coef")
    for row in knob_table("seedbench_r1_grpo_qwen2_5_vl"):
        key = str(_cell_value(row["recipe key"])) if row["recipe key"] != "none" else None
        if key is None or key in kl_rows:
            continue
        held = care
        for part in key.split("."):
            held = held[part]
        assert _same(held, _cell_value(row["recipe"])), f"seedbench_r1_grpo_care / {row['knob']}: {held}"
    (floor,) = [r for r in knob_table("seedbench_r1_grpo_care") if r["knob"] == "eligible above accuracy"]
    assert _cell_value(floor["recipe"]) == ACCURACY_FLOOR


def test_a_drifted_recipe_fails_the_table_check() -> None:
    """The check can fail: the paper recipe with the old 32-prompt step no longer matches its table."""
    cfg = _compose("seedbench_r1_grpo")
    cfg.data.train_batch_size = 32
    with pytest.raises(AssertionError, match="prompts per optimizer step: the recipe holds 32"):
        check_table("seedbench_r1_grpo", cfg)


# ------------------------------------------------------------------------------------ the LR schedule


def _lrs(recipe: str, total: int) -> list[float]:
    """The LR of each optimizer step 0..total-1 from verl 0.9.1's FSDP engine scheduler for the recipe's optim
    config (converted by verl as its workers do, so the recipe's ``_target_`` class is the one built)."""
    import torch
    from verl.utils.config import omega_conf_to_dataclass
    from verl.workers.engine.fsdp.transformer_impl import FSDPEngine

    optim = _compose(recipe).actor_rollout_ref.actor.optim
    optim.total_training_steps = total  # what verl's trainer sets from the data and epochs
    config = omega_conf_to_dataclass(optim)
    param = torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.AdamW([param], lr=config.lr)
    scheduler = FSDPEngine._build_lr_scheduler(
        types.SimpleNamespace(optimizer_config=config, rank=1), optimizer
    )
    lrs = []
    for _ in range(total):
        lrs.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    return lrs


def test_paper_recipe_lr_falls_linearly_to_zero() -> None:
    total = 6000 // 8  # 750 steps: the 6k rows at the official step
    lrs = _lrs("seedbench_r1_grpo", total)
    assert lrs[0] == pytest.approx(1e-6, rel=1e-12)
    assert lrs[total // 2] == pytest.approx(5e-7, rel=1e-12)
    assert lrs[total - 1] == pytest.approx(1e-6 / total, rel=1e-9)
    assert all(a > b for a, b in zip(lrs, lrs[1:], strict=False))


def test_qwen2_5_vl_recipe_lr_is_verls_cosine() -> None:
    total = 6000 // 4
    lrs = _lrs("seedbench_r1_grpo_qwen2_5_vl", total)
    assert lrs[0] == pytest.approx(1e-6, rel=1e-12)
    assert lrs[total // 2] == pytest.approx(5e-7, rel=1e-9)
    assert lrs[total - 1] == pytest.approx(
        1e-6 * 0.5 * (1 + math.cos(math.pi * (total - 1) / total)), rel=1e-6
    )


def test_verls_stock_config_refuses_linear_and_the_recipe_class_accepts_it() -> None:
    from verl.utils.config import omega_conf_to_dataclass

    optim = _compose("seedbench_r1_grpo").actor_rollout_ref.actor.optim
    stock = OmegaConf.merge(optim, {"_target_": "verl.workers.config.FSDPOptimizerConfig"})
    from hydra.errors import InstantiationException

    with pytest.raises(InstantiationException, match="FSDPOptimizerConfig"):
        omega_conf_to_dataclass(stock)
    assert type(omega_conf_to_dataclass(optim)).__name__ == "LinearLROptimizerConfig"


def test_linear_schedule_needs_the_run_length() -> None:
    import torch
    from verl.utils.config import omega_conf_to_dataclass

    from verl_recipe.lr_schedule import linear_schedule

    config = omega_conf_to_dataclass(_compose("seedbench_r1_grpo").actor_rollout_ref.actor.optim)
    with pytest.raises(ValueError, match="total_training_steps is -1"):
        linear_schedule(torch.optim.AdamW([torch.nn.Parameter(torch.zeros(1))], lr=1e-6), config)


def test_linear_factor_with_warmup_is_transformers_rule() -> None:
    """With a warmup, the factor rises from 0 and then falls to 0, as transformers' linear schedule does."""
    from verl_recipe.lr_schedule import linear_factor

    assert [linear_factor(s, 2, 6) for s in range(7)] == [0.0, 0.5, 1.0, 0.75, 0.5, 0.25, 0.0]
