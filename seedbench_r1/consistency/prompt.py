"""The judge prompt, versioned: its SHA-256 goes into every output line, so rates from two prompts never mix.

The judge sees the question and options exactly as the evaluated model got them (the logged ``input`` without
the protocol's answer-format instruction), the model's reasoning and its chosen option. It is not shown the
video, the image or the gold answer: it judges support, not correctness. Editing the template changes the
hash; bump :data:`PROMPT_VERSION` with it (a test keeps the two together).
"""

from __future__ import annotations

import hashlib
import re

from seedbench_r1.protocol.prompt import INSTRUCTION

PROMPT_VERSION = "consistency-v1"
TEMPLATE = """You are checking one answer of a model to a multiple-choice question about a video.
You are given the question with its options, the model's reasoning, and the option the model chose.
You do not see the video. Do not judge whether the chosen option is correct.
Judge only this: taken as true, does the reasoning lead to the chosen option rather than to another option?
Answer no if the reasoning argues for a different option, contradicts the chosen one, or says nothing that
singles it out.

[Question and options]
{problem}
[End of question and options]

[Reasoning]
{reasoning}
[End of reasoning]

[Chosen option]
{choice}

Does the reasoning support the chosen option? Reply with exactly one word: yes or no."""
PROMPT_SHA256 = hashlib.sha256(f"{PROMPT_VERSION}\n{TEMPLATE}".encode()).hexdigest()

_OPTION_LINE = re.compile(r"^([A-E])\. (.*)$", re.MULTILINE)


def problem_of(logged_input: str) -> str:
    """The question and its option lines from lmms-eval's logged ``input`` (the protocol's instruction cut)."""
    text = logged_input[: -len(INSTRUCTION)] if logged_input.endswith(INSTRUCTION) else logged_input
    return text.strip()


def option_text(problem: str, letter: str) -> str | None:
    """The text of option ``letter`` in a rendered problem ("X. text" lines), or None if it has none."""
    for found, text in _OPTION_LINE.findall(problem):
        if found == letter:
            return text.strip()
    return None


def judge_prompt(problem: str, reasoning: str, letter: str) -> str:
    """The judge's user message for one sample."""
    text = option_text(problem, letter)
    choice = f"{letter}. {text}" if text is not None else letter
    return TEMPLATE.format(problem=problem, reasoning=reasoning.strip(), choice=choice)
