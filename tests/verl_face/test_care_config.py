"""The GRPO-CARE recipe composes into what its trainer needs, and a bad knob or setting is one line each, all at
once, before anything starts (verl_recipe/care/knobs.py)."""

from __future__ import annotations

import pytest
from omegaconf import DictConfig

from verl_recipe.care import MODE
from verl_recipe.care.knobs import CareConfigError, CareKnobs, check_config, read_knobs

RECIPE = "seedbench_r1_grpo_care"


def compose(overrides: list[str] | None = None) -> DictConfig:
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir

    from verl_recipe import recipe_dir

    with initialize_config_dir(config_dir=str(recipe_dir()), version_base=None):
        return hydra_compose(config_name=RECIPE, overrides=overrides or [])


def test_the_recipe_is_cares_method_on_cares_training_values() -> None:
    cfg = compose()
    assert check_config(cfg) == CareKnobs()  # GRPO-CARE's values are the defaults
    assert cfg.trainer.v1.trainer_mode == MODE
    assert cfg.ray_kwargs.ray_init.runtime_env.worker_process_setup_hook == "verl_recipe.care.register"
    actor = cfg.actor_rollout_ref.actor
    assert actor.use_kl_loss is True and actor.kl_loss_coef == 0.0
    assert actor.strategy == cfg.actor_rollout_ref.ref.strategy == "fsdp2"
    assert cfg.actor_rollout_ref.ref.fsdp_config.model_dtype == "fp32"
    assert cfg.actor_rollout_ref.model.path == "Qwen/Qwen2.5-VL-7B-Instruct"
    assert cfg.reward.custom_reward_function.reward_kwargs.format_weight == 1.0


def test_the_documented_variants_are_one_override_each() -> None:
    assert check_config(compose(["care.margin=0.01"])).margin == 0.01
    frozen = check_config(compose(["care.decay=1.0"]))
    assert frozen.frozen and frozen.decay == 1.0


def test_every_bad_knob_is_one_line_and_all_are_named_at_once() -> None:
    bad = [
        "care.decay=1.5",
        "care.update_every=0",
        "care.bonus_coef=-1",
        "care.confidence_cap=0",
        "care.margin=nan",
    ]
    with pytest.raises(CareConfigError) as raised:
        check_config(compose([*bad, "+care.decya=0.9"]))
    lines = str(raised.value).splitlines()[1:]
    assert [line.split(":")[0].strip() for line in lines] == [
        "care.decya",
        "care.decay",
        "care.bonus_coef",
        "care.margin",
        "care.confidence_cap",
        "care.update_every",
    ]
    assert "care.decay: must be a number in [0, 1], got 1.5" in lines[1]


def test_verl_settings_care_cannot_run_under_are_named() -> None:
    overrides = [
        "actor_rollout_ref.actor.kl_loss_coef=0.1",
        "actor_rollout_ref.ref.strategy=fsdp",
        "data.train_batch_size=8",
        "algorithm.use_kl_in_reward=true",
    ]
    with pytest.raises(CareConfigError) as raised:
        check_config(compose(overrides))
    text = str(raised.value)
    for key in (
        "kl_loss_coef: must be 0",
        "ref.strategy: must be fsdp2",
        "ppo_mini_batch_size",
        "use_kl_in_reward",
    ):
        assert key in text
    with pytest.raises(CareConfigError, match="use_kl_loss: must be true"):
        check_config(compose(["actor_rollout_ref.actor.use_kl_loss=false"]))


def test_knobs_read_from_a_plain_mapping() -> None:
    knobs, problems = read_knobs({"decay": 1, "update_every": 3})
    assert problems == [] and knobs.decay == 1.0 and knobs.update_every == 3 and knobs.frozen
    assert read_knobs({"update_every": 2.0})[1] == ["care.update_every: must be a whole number >= 1, got 2.0"]
    assert read_knobs({"decay": True})[1][0].startswith("care.decay: must be a number")


def test_the_setup_hook_registers_the_trainer_mode() -> None:
    from verl.trainer.ppo.v1 import PPOTrainerSync, get_trainer_cls

    from verl_recipe.care import register

    register()
    register()  # idempotent: Ray may run the hook in a process that imported it already
    trainer = get_trainer_cls(MODE)
    assert issubclass(trainer, PPOTrainerSync)
