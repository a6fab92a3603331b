"""Shared by the tests that run verl's real ``main_ppo`` on CPU (test_train.py, test_train_care.py): the fixture's
parquet files, one launcher with the CPU overrides, and the GRPO-CARE run both files read (its Qwen2.5-VL
rollouts also stand for the recipes' agent loop in test_train.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

SPLITS = ("training_6k", "validation_L1", "validation_L2", "validation_L3")
RECIPES = Path(__file__).parents[2] / "verl_recipe"
CARE = "seedbench_r1_grpo_care"
CARE_DECAY = 0.5  # far from 1, so each step's EMA is visible


class MainPPO:
    """``python -m verl.trainer.main_ppo`` of a recipe with :mod:`verl_recipe.cpu_overrides` on the fixture."""

    def launch(
        self,
        recipe: str,
        model: Path,
        data: Path,
        out: Path,
        steps: int,
        *extra: str,
        test_freq: int | None = None,
    ) -> subprocess.CompletedProcess:
        """One run (its output also in ``out/stdout.txt``); validation at the last step unless ``test_freq``."""
        from verl_recipe.cpu_overrides import GRPO, env

        command = [
            sys.executable,
            "-m",
            "verl.trainer.main_ppo",
            f"--config-path={RECIPES}",
            f"--config-name={recipe}",
            *GRPO,
            f"actor_rollout_ref.model.path={model}",
            f"data.train_files=[{data / 'training_6k.parquet'}]",
            "data.val_files=[" + ",".join(str(data / f"{s}.parquet") for s in SPLITS[1:]) + "]",
            "data.max_response_length=48",
            "data.val_max_samples=8",
            f"trainer.total_training_steps={steps}",
            "trainer.val_before_train=false",
            f"trainer.test_freq={steps if test_freq is None else test_freq}",
            "trainer.logger=[console,file]",
            f"trainer.default_local_dir={out / 'ckpt'}",
            f"trainer.rollout_data_dir={out / 'rollouts'}",
            *extra,
        ]
        proc = subprocess.run(
            command,
            capture_output=True,
            text=True,
            env={**env(), "VERL_FILE_LOGGER_ROOT": str(out / "logs")},
            cwd=out,
            timeout=1800,
        )
        (out / "stdout.txt").write_text(proc.stdout + proc.stderr)
        return proc

    def run(
        self, recipe: str, model: Path, data: Path, out: Path, steps: int, *extra: str, **kw
    ) -> list[dict]:
        """A run that must succeed; the file logger's records."""
        proc = self.launch(recipe, model, data, out, steps, *extra, **kw)
        assert proc.returncode == 0, (proc.stdout + proc.stderr)[-6000:]
        (log,) = (out / "logs").rglob("*.jsonl")
        return [json.loads(line) for line in log.read_text().splitlines() if line.strip()]

    def care(
        self, model: Path, data: Path, out: Path, steps: int, *extra: str, prompts: int = 2, samples: int = 4
    ) -> dict:
        """A GRPO-CARE run sized for two CPU cores: ``prompts`` x ``samples`` per step, one optimizer step per
        trainer step (CARE's rule), an EMA step and a checkpoint every step, no validation. Its output folder
        and each step's logged metrics."""
        small = (
            "actor_rollout_ref.rollout.tensor_model_parallel_size=1",
            f"actor_rollout_ref.rollout.n={samples}",
            f"data.train_batch_size={prompts}",
            f"actor_rollout_ref.actor.ppo_mini_batch_size={prompts}",
            "care.update_every=1",
            "trainer.save_freq=1",
        )
        records = self.run(CARE, model, data, out, steps, *small, *extra, test_freq=-1)
        return {"out": out, "steps": {r["step"]: r["data"] for r in records}}


@pytest.fixture(scope="session")
def main_ppo() -> MainPPO:
    return MainPPO()


@pytest.fixture(scope="session")
def verl_data(fixture_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from verl_recipe.rl_parquet import prepare_rl

    out = tmp_path_factory.mktemp("verl_data")
    for split in SPLITS:
        prepare_rl(fixture_root, split, out / f"{split}.parquet", progress=False)
    return out


@pytest.fixture(scope="session")
def care_run(tiny_qwen2_5_vl_fit: Path, verl_data: Path, main_ppo: MainPPO, tmp_path_factory) -> dict:
    """Two GRPO-CARE steps of the tiny Qwen2.5-VL fit at ``care.decay=0.5``."""
    out = tmp_path_factory.mktemp("care")
    return main_ppo.care(tiny_qwen2_5_vl_fit, verl_data, out, 2, f"care.decay={CARE_DECAY}")


@pytest.fixture(scope="session")
def care_planted_run(tiny_qwen2_5_vl_fit: Path, verl_data: Path, main_ppo: MainPPO, tmp_path_factory) -> dict:
    """One GRPO-CARE step with planted faults, each caught by its own check: the trainer of
    tests/helpers/planted_care.py (EMA skipped, bonus after the advantage; test_train_care.py) and verl's stock
    ``single_turn_agent``, which drops the clips' metadata (test_train.py). 4 prompts x 8 samples, so a group
    where the late bonus changes an advantage is likely."""
    helpers = Path(__file__).parents[1] / "helpers"
    planted = (
        "trainer.v1.trainer_mode=planted_care_faults",
        "ray_kwargs.ray_init.runtime_env.worker_process_setup_hook=planted_care.register",
        f"+ray_kwargs.ray_init.runtime_env.env_vars.PYTHONPATH={helpers}",
        "actor_rollout_ref.rollout.agent.default_agent_loop=single_turn_agent",
        f"care.decay={CARE_DECAY}",
    )
    out = tmp_path_factory.mktemp("care_planted")
    return main_ppo.care(tiny_qwen2_5_vl_fit, verl_data, out, 1, *planted, prompts=4, samples=8)
