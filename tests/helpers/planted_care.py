"""Planted faults for tests/verl_face/test_train_care.py, registered as the trainer mode ``planted_care_faults``
by Ray's setup hook (``planted_care.register``, with this folder on the workers' PYTHONPATH): the EMA update is
skipped, and the bonus is added after GRPO's advantage (it reaches the dumped score, not the advantage)."""

from __future__ import annotations

from verl.trainer.ppo.v1.trainer_base import PPOTrainer, register_trainer

from verl_recipe.care.trainer import CareTrainer

MODE = "planted_care_faults"


@register_trainer(MODE)
class PlantedCareTrainer(CareTrainer):
    def _update_actor(self, batch, metrics):
        return PPOTrainer._update_actor(self, batch, metrics)

    def _compute_advantage(self, batch, metrics):
        batch = PPOTrainer._compute_advantage(self, batch, metrics)
        self._add_bonus(batch, metrics)
        self._keep_advantages(batch)
        return batch


def register() -> None:
    """The setup hook: importing this module registered the mode."""
