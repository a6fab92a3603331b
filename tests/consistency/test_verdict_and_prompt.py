"""The strict verdict rule and the versioned judge prompt."""

from __future__ import annotations

import pytest

from seedbench_r1.consistency.items import reasoning_of
from seedbench_r1.consistency.prompt import (
    PROMPT_SHA256,
    PROMPT_VERSION,
    judge_prompt,
    option_text,
    problem_of,
)
from seedbench_r1.consistency.verdict import parse_verdict
from seedbench_r1.protocol.prompt import render_text

# Editing the template changes its hash: record the new one under a new version.
KNOWN_PROMPTS = {"consistency-v1": "53499d80c9427a9ae2b7"}


@pytest.mark.parametrize(
    ("reply", "verdict"),
    [
        ("yes", "yes"),
        ("No", "no"),
        ("  YES.\n", "yes"),
        ("<think>The reasoning names B.</think>\nyes", "yes"),
        ("<think>a</think><think>b</think> no.", "no"),
        ("It argues for A, not B.</think>No", "no"),  # the template opened the judge's block
        ("yes, because it says so", None),
        ("The answer is no", None),
        ("yes no", None),
        ("Yes!", None),
        ("y", None),
        ("", None),
        ("<think>yes</think>", None),  # the verdict only inside the judge's reasoning
        ("<think>unclosed yes", None),
    ],
)
def test_only_a_bare_yes_or_no_counts(reply: str, verdict: str | None) -> None:
    assert parse_verdict(reply) == verdict


def test_the_prompt_hash_belongs_to_its_version() -> None:
    assert PROMPT_SHA256.startswith(KNOWN_PROMPTS[PROMPT_VERSION]), (
        "the judge prompt changed: bump PROMPT_VERSION and record its hash here"
    )


def test_the_judge_sees_question_options_reasoning_and_choice_not_the_instruction() -> None:
    logged = render_text("What comes next?", ["rinse sink", "scrub sink", "put brush down", "open cabinet"])
    problem = problem_of(logged)
    assert problem == "What comes next?\nA. rinse sink\nB. scrub sink\nC. put brush down\nD. open cabinet"
    assert option_text(problem, "B") == "scrub sink" and option_text(problem, "E") is None
    prompt = judge_prompt(problem, "  The sink is soapy.\n", "B")
    assert problem in prompt and "The sink is soapy." in prompt
    assert "[Chosen option]\nB. scrub sink\n" in prompt
    assert "<think>" not in prompt and "<answer>" not in prompt


@pytest.mark.parametrize(
    ("response", "reasoning"),
    [
        ("<think>a</think><answer>B</answer>", "a"),
        ("<think></think><answer>B</answer>", ""),
        ("<answer>B</answer>", None),
        ("<think>unclosed <answer>B</answer>", None),
        ("<think>one</think><think>two</think><answer>B</answer>", "one"),
    ],
)
def test_reasoning_is_the_first_complete_think_block(response: str, reasoning: str | None) -> None:
    assert reasoning_of(response) == reasoning


def test_the_docs_write_the_prompt_out_in_full() -> None:
    from pathlib import Path

    from seedbench_r1.consistency.prompt import TEMPLATE

    doc = (Path(__file__).parents[2] / "docs" / "analysis.md").read_text(encoding="utf-8")
    marker = f"<!-- judge-prompt: {PROMPT_VERSION} -->\n```text\n"
    assert marker in doc, "docs/analysis.md lacks the current judge prompt"
    shown = doc.split(marker, 1)[1].split("\n```", 1)[0]
    assert shown == TEMPLATE
