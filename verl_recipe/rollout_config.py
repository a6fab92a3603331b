"""The GRPO recipes' rollout config: verl's, refusing a ``max_model_len`` that would cut responses silently.

vLLM generates at most ``max_model_len - prompt`` tokens, and verl's vLLM server caps a request there without
a message (``vllm_async_server.py``, ``max_possible_tokens``). The recipes state ``max_model_len`` as a number
(OmegaConf has no arithmetic and verl registers no resolver), so a user who raises
``data.max_response_length`` would get responses truncated at the old budget. The recipe names this class as
``actor_rollout_ref.rollout._target_``; every process that builds the rollout config (the agent-loop manager
and the rollout workers, before the first rollout) then refuses the mismatch in one line naming both keys.
Remove when verl derives ``max_model_len`` from the data lengths or refuses the mismatch itself.
"""

from __future__ import annotations

from dataclasses import dataclass

from verl.workers.config import RolloutConfig


def length_problem(max_model_len: int | None, prompt_length: int, response_length: int) -> str | None:
    """Why the rollout's context cannot hold a full prompt and a full response, or None."""
    budget = prompt_length + response_length
    if max_model_len is None or max_model_len >= budget:
        return None
    return (
        f"actor_rollout_ref.rollout.max_model_len {max_model_len} < data.max_prompt_length {prompt_length} + "
        f"data.max_response_length {response_length} = {budget}: vLLM would cut responses at "
        f"{max_model_len} - prompt tokens without a message; set actor_rollout_ref.rollout.max_model_len={budget}"
    )


@dataclass
class CheckedRolloutConfig(RolloutConfig):
    """verl's rollout config, plus the length check above."""

    def __post_init__(self) -> None:
        super().__post_init__()
        problem = length_problem(self.max_model_len, self.prompt_length, self.response_length)
        if problem is not None:
            raise ValueError(problem)
