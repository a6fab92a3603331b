"""The answer span of a sampled response, located from its token ids, and its likelihood.

The span is the tokens of the LAST complete ``<answer>...</answer>`` block (the last opening tag with a closing
tag after it, up to the first such closing tag) that carry at least one character
strictly between the two tags. Byte-level BPE merges characters across a tag (the fixture's tokenizer writes
``<answer>A`` as ``<``, ``answer``, ``>A``): such a token carries answer text, so it belongs to the span, while a
token made only of tag characters never does. A block that is not closed (a truncated response) is no block;
without a complete block there is no span. GRPO-CARE finds the block by searching back from EOS for the token
holding "answer"; character positions make the same choice without assuming how the tags tokenize.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from seedbench_r1.protocol.answer import ANSWER_CLOSE, ANSWER_OPEN


def answer_span(token_ids: Sequence[int], decode: Callable[[Sequence[int]], str]) -> range:
    """Indices into ``token_ids`` of the last complete answer block's content (empty when there is none).

    ``decode`` turns ids into text (a tokenizer's ``decode`` without skipping special tokens). Token ``j``
    starts where the decoded suffix ``token_ids[j:]`` starts; the block sits at the end of a response, so only
    the suffixes up to it are decoded.
    """
    ids = list(token_ids)
    text = decode(ids)
    inside = _last_block(text)
    if inside is None:
        return range(0)
    if inside[0] == inside[1]:
        return range(0)
    last = first = None
    end = len(text)
    for j in range(len(ids) - 1, -1, -1):
        # A suffix cut inside a multi-byte character decodes to replacement characters: clamp to stay monotone.
        begin = min(end, max(0, len(text) - len(decode(ids[j:]))))
        if begin < inside[1] and end > inside[0]:
            last = j if last is None else last
            first = j
        if begin <= inside[0]:
            break
        end = begin
    return range(0) if last is None else range(first, last + 1)


def _last_block(text: str) -> tuple[int, int] | None:
    """Character bounds of the last complete block's content: the last ``<answer>`` followed by a
    ``</answer>``, up to the first one after it (``<answer>C</answer>A</answer>`` is ``C``)."""
    end = len(text)
    while (start := text.rfind(ANSWER_OPEN, 0, end)) >= 0:
        close = text.find(ANSWER_CLOSE, start + len(ANSWER_OPEN))
        if close >= 0:
            return start + len(ANSWER_OPEN), close
        end = start  # an unclosed block (a truncated response): the one before it, if any
    return None


def span_likelihood(logprobs: Sequence[float], cap: float) -> float:
    """exp(mean log-prob) over the span, capped at ``cap``; no span counts as 1 before the cap, as in GRPO-CARE
    (harmless: without a complete answer block a response is never correct, so never eligible)."""
    p = math.exp(math.fsum(logprobs) / len(logprobs)) if len(logprobs) else 1.0
    return min(p, cap)
