"""Imported in every verl worker by the GRPO recipes (``actor_rollout_ref.model.external_lib``), before the
worker builds its processor: Qwen2.5-VL clips get the positions evaluation gives them, in training and rollout.

Rollout: importing this registers the recipes' agent loop (:mod:`verl_recipe.agent_loop`, selected by
``actor_rollout_ref.rollout.agent.default_agent_loop``), which gives vLLM each clip's metadata.

verl 0.9.1's agent loop computes the training forward's position ids with the transformers model class's
``get_rope_index`` bound to the processor and passes no ``second_per_grid_ts`` (so 1 s per frame group), while
transformers 5.9.0 truncates it anyway; see :mod:`seedbench_r1.protocol.rope`. Importing this module replaces both
(class attributes, so the binding verl makes afterwards picks them up). Qwen2-VL needs nothing: its positions
already agree. Importing it anywhere else changes transformers' Qwen2.5-VL class for that process.
"""

from __future__ import annotations

import verl_recipe.agent_loop  # noqa: F401  (registers the seedbench_r1_agent agent loop)
from seedbench_r1.protocol.rope import verl_patches

for _cls, _name, _value in verl_patches():
    setattr(_cls, _name, _value)
