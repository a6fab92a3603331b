"""The consistency rate: does a logged response's ``<think>`` reasoning support the answer it chose?

A judge model (the project's model class, HF or vLLM, or any OpenAI-compatible server) reads each sample's
question, options, reasoning and chosen letter and answers yes or no (:mod:`.prompt`, :mod:`.verdict`).
:mod:`.run` walks lmms-eval runs into a resumable JSONL of verdicts; :mod:`.rates` turns it into rates with
Wilson intervals per run, level and column; ``seedbench-r1 report --consistency DIR`` shows them.
"""

from seedbench_r1.consistency.prompt import PROMPT_SHA256, PROMPT_VERSION, judge_prompt
from seedbench_r1.consistency.verdict import parse_verdict

__all__ = ["PROMPT_SHA256", "PROMPT_VERSION", "judge_prompt", "parse_verdict"]
