"""GRPO-CARE (arXiv 2506.16141) in verl 0.9.1's v1 trainer: a consistency bonus on the reward and an EMA
reference model, as the trainer mode ``seedbench_r1_care`` of the recipe ``seedbench_r1_grpo_care``.

verl's ``main_ppo`` builds the trainer inside its Ray TaskRunner by name, so the name must be registered in that
process: the recipe sets Ray's ``worker_process_setup_hook`` to :func:`register`, which every Ray worker of the
job runs at start (also on a multi-node cluster). This module stays import-light; the trainer, worker and their
verl imports load only there. docs/verl.md ("GRPO-CARE") has the method and the knobs.
"""

from __future__ import annotations

MODE = "seedbench_r1_care"


def register() -> None:
    """Ray's setup hook: registers the trainer mode :data:`MODE` in this process (idempotent)."""
    import verl_recipe.care.trainer  # noqa: F401  (the class decorator registers it)


__all__ = ["MODE", "register"]
