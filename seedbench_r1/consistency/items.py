"""What each logged sample gives the judge, and which samples are not sent to it.

A sample is judged when it has an answer (the run's own strict parse logged a letter), a complete
``<think>...</think>`` block before it and text inside that block. The others are counted, each in its own
column, in this order of precedence: ``no_answer``, ``no_think`` (no complete block), ``empty_think``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from seedbench_r1.consistency.prompt import judge_prompt, problem_of
from seedbench_r1.protocol.errors import UsageError
from seedbench_r1.report.lvb import LVB, LVB_TASK
from seedbench_r1.report.results import TASK_OF_LEVEL, RunResult, SampleOutcome, samples_path

JUDGED, NO_ANSWER, NO_THINK, EMPTY_THINK = "judged", "no_answer", "no_think", "empty_think"
STATUSES = (JUDGED, NO_ANSWER, NO_THINK, EMPTY_THINK)
_THINK = re.compile(r"<think>(.*?)</think>", re.DOTALL)


@dataclass(frozen=True)
class Item:
    run: str
    results_file: str  # resolved path: the run's identity in the judgments file
    outcome: SampleOutcome
    status: str
    prompt: str | None  # the judge's message; None unless status is "judged"

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.results_file, self.outcome.level, str(self.outcome.sample_id))


def reasoning_of(response: str) -> str | None:
    """The text of the first complete ``<think>`` block, or None when there is none."""
    match = _THINK.search(response)
    return match.group(1) if match else None


def samples_file(run: RunResult, level: str) -> Path:
    assert run.results_file is not None
    return samples_path(run.results_file, LVB_TASK if level == LVB else TASK_OF_LEVEL[level])


def _item(run: RunResult, outcome: SampleOutcome) -> Item:
    where = f"{samples_file(run, outcome.level)}: sample {outcome.sample_id!r}"
    if outcome.response is None:
        raise UsageError(f"{where}: no logged response (fields resps / filtered_resps)")
    reasoning = reasoning_of(outcome.response)
    prompt = None
    if outcome.pred is None:
        status = NO_ANSWER
    elif reasoning is None:
        status = NO_THINK
    elif not reasoning.strip():
        status = EMPTY_THINK
    else:
        if outcome.prompt is None:
            raise UsageError(f"{where}: no logged 'input' field (the question and options the model got)")
        status = JUDGED
        prompt = judge_prompt(problem_of(outcome.prompt), reasoning, outcome.pred)
    return Item(run.name, str(run.results_file.resolve()), outcome, status, prompt)  # type: ignore[union-attr]


def run_items(run: RunResult) -> list[Item]:
    """Every logged sample of ``run`` as an item; a run with nothing to judge is refused in one line."""
    outcomes = [o for level in sorted(run.samples) for o in run.samples[level]]
    if not outcomes:
        raise UsageError(
            f"{run.results_file}: no logged samples beside it (run lmms-eval with --log_samples); nothing to judge"
        )
    items = [_item(run, o) for o in outcomes]
    if not any(i.status == JUDGED for i in items):
        counts = {s: sum(i.status == s for i in items) for s in STATUSES[1:]}
        detail = ", ".join(f"{n} {s.replace('_', ' ')}" for s, n in counts.items() if n)
        raise UsageError(
            f"{run.results_file}: none of its {len(items)} logged samples has both an answer and <think> "
            f"reasoning ({detail}); nothing to judge"
        )
    return items
