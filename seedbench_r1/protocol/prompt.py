"""The question text the model sees, byte for byte as the paper's evaluation and training code built it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from seedbench_r1.protocol.constants import LETTERS, OPTION_LETTERS

# Note the leading space (the template is "{problem} Output ...") and the trailing space after "</answer>.".
INSTRUCTION = (
    " Output the thinking process in <think> </think> and final answer in <answer> </answer> tags, i.e., "
    "<think> reasoning process here </think><answer> answer here </answer>. "
)


def render_problem(question: str, choices: Sequence[str]) -> str:
    """question, then one "X. option" line per letter, each followed by a newline.

    SEED-Bench-R1 has four options; LongVideoBench 4 or 5, rendered the same way (its official R1 evaluation
    builds the text exactly so), so 2 to 5 options are accepted."""
    if not 2 <= len(choices) <= len(OPTION_LETTERS):
        raise ValueError(f"expected 2 to {len(OPTION_LETTERS)} options, got {len(choices)}")
    lines = [f"{letter}. {text}" for letter, text in zip(OPTION_LETTERS, choices, strict=False)]
    return question + "\n" + "\n".join(lines) + "\n"


def render_text(question: str, choices: Sequence[str]) -> str:
    """The full user text of a question with its options: problem + instruction (+ its trailing space)."""
    return render_problem(question, choices) + INSTRUCTION


def render_question(row: Any) -> str:
    """The full user text: problem + instruction + trailing space.

    ``row`` is a :class:`~seedbench_r1.protocol.schema.Sample` or a raw annotation dict with ``question`` and
    ``choice_a`` .. ``choice_d``. A training row has no options yet: build them first
    (``TrainingSample.to_sample(seed)``).
    """
    if isinstance(row, Mapping):
        missing = [k for k in ("question", *(f"choice_{x.lower()}" for x in LETTERS)) if k not in row]
        if missing:
            raise ValueError(
                f"sample {row.get('sample_id')!r}: cannot render a question without {', '.join(missing)}"
                " (training rows need their options built first: TrainingSample.to_sample(seed))"
            )
        question = row["question"]
        choices = [row[f"choice_{x.lower()}"] for x in LETTERS]
    else:
        question, choices = row.question, row.choices
    if len(choices) != len(LETTERS):
        raise ValueError(f"a SEED-Bench-R1 question has {len(LETTERS)} options, got {len(choices)}")
    return render_text(question, choices)
