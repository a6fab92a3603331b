"""SEED-Bench-R1 for verl 0.9.1: the parquet writers (RL and SFT rows), hydra recipes and run scripts.

Thin glue over :mod:`seedbench_r1`: the prompt, options, frame rule and sizes all come from the core. The hydra
YAMLs and ``run_*.sh`` scripts live beside this file; :func:`recipe_dir` gives their folder for
``--config-path``.
"""

from __future__ import annotations

from pathlib import Path

RECIPES = (
    "seedbench_r1_grpo",
    "seedbench_r1_grpo_care",
    "seedbench_r1_grpo_qwen2_5_vl",
    "seedbench_r1_grpo_smoke",
    "seedbench_r1_sft",
)


def recipe_dir() -> Path:
    """The folder holding the hydra recipes (absolute; pass it as ``--config-path``)."""
    return Path(__file__).resolve().parent


__all__ = ["RECIPES", "recipe_dir"]
