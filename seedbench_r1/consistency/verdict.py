"""Reading a judge's reply strictly: ``yes`` or ``no`` and nothing else counts; anything else is unparsable.

The judge's own reasoning is dropped first: every complete ``<think>...</think>`` block, and everything up to
a closing ``</think>`` without an opening one (chat templates that open the block in the prompt). Then, after
surrounding whitespace, the reply must be the single word yes or no in any case, with at most one final
full stop. "Yes, because ..." or "The answer is no" are unparsable: counted and listed, never guessed.
"""

from __future__ import annotations

import re

_THINK_BLOCK = re.compile(r"<think>.*?</think>", re.DOTALL)
_VERDICT = re.compile(r"(yes|no)\.?", re.IGNORECASE)
THINK_CLOSE = "</think>"


def strip_judge_think(text: str) -> str:
    text = _THINK_BLOCK.sub("", text)
    if THINK_CLOSE in text:
        text = text.rsplit(THINK_CLOSE, 1)[1]
    return text.strip()


def parse_verdict(text: str) -> str | None:
    """``"yes"``, ``"no"``, or None (unparsable)."""
    match = _VERDICT.fullmatch(strip_judge_think(text))
    return match.group(1).lower() if match else None
