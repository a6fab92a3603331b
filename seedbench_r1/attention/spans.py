"""The response's ``all``, ``<think>`` and ``<answer>`` spans as ranges of response tokens.

Spans are found by the tags' positions in the response's bytes, and each token's bytes come from the
tokenizer's own byte-level alphabet, so the mapping is exact even where one character is split over tokens
(Qwen2-VL and Qwen2.5-VL use byte-level BPE). Rules (docs/attention.md), the tags included in their span:

- ``think``: from the first ``<think>`` to the end of the next ``</think>``; an unclosed ``<think>`` runs to
  the end; a ``</think>`` before any ``<think>`` (a template that prefilled the opening tag) makes everything
  up to it the think span (the answer parser's reading of ``<think>``, seedbench_r1/protocol/answer.py);
- ``answer``: the first ``<answer>`` outside the think span to the end of the next ``</answer>`` (or to the
  end when it is not closed);
- a token belongs to a span when its bytes overlap the span's bytes (a token holding ``>`` plus the next
  tag's ``<`` counts in both); a special token that decodes to nothing belongs where it stands.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

THINK_OPEN, THINK_CLOSE = b"<think>", b"</think>"
ANSWER_OPEN, ANSWER_CLOSE = b"<answer>", b"</answer>"
SPAN_NAMES = ("all", "think", "answer")


@lru_cache(maxsize=1)
def _byte_of_char() -> dict[str, int]:
    from transformers.convert_slow_tokenizer import bytes_to_unicode

    return {char: byte for byte, char in bytes_to_unicode().items()}


def token_bytes(tokenizer: Any, ids: Sequence[int]) -> list[bytes]:
    """Each token's bytes in ``tokenizer.decode(ids, skip_special_tokens=True)`` (b"" for a dropped special
    token); checked against that decode, so a tokenizer that is not byte-level BPE fails loudly."""
    table = _byte_of_char()
    added = tokenizer.added_tokens_decoder
    pieces: list[bytes] = []
    for token_id, token in zip(ids, tokenizer.convert_ids_to_tokens(list(ids)), strict=True):
        # an added token is stored as its text, not in the byte alphabet; an id past the tokenizer's
        # vocabulary (a model's embedding rows can outnumber it) has no token and decodes to nothing
        if int(token_id) in added or token is None:
            pieces.append(tokenizer.decode([int(token_id)], skip_special_tokens=True).encode("utf-8"))
        elif all(c in table for c in token):
            pieces.append(bytes(table[c] for c in token))
        else:
            raise RuntimeError(f"token {token!r} is not in the byte-level alphabet (not byte-level BPE?)")
    decoded = tokenizer.decode(list(ids), skip_special_tokens=True, clean_up_tokenization_spaces=False)
    if b"".join(pieces).decode("utf-8", errors="replace") != decoded:
        raise RuntimeError(
            "the response tokens' bytes do not add up to their decoded text (not byte-level BPE?)"
        )
    return pieces


def tag_spans(text: bytes) -> dict[str, tuple[int, int] | None]:
    """Byte ranges [start, end) of the think and answer spans of ``text`` (None: no such span)."""
    think: tuple[int, int] | None = None
    opened = text.find(THINK_OPEN)
    closed = text.find(THINK_CLOSE)
    if closed != -1 and (opened == -1 or closed < opened):
        think = (0, closed + len(THINK_CLOSE))
    elif opened != -1:
        closing = text.find(THINK_CLOSE, opened + len(THINK_OPEN))
        think = (opened, len(text) if closing == -1 else closing + len(THINK_CLOSE))

    answer: tuple[int, int] | None = None
    start = 0
    while True:
        found = text.find(ANSWER_OPEN, start)
        if found == -1:
            break
        if think is not None and think[0] <= found < think[1]:
            start = think[1]  # an <answer> inside the reasoning is not the answer
            continue
        closing = text.find(ANSWER_CLOSE, found + len(ANSWER_OPEN))
        answer = (found, len(text) if closing == -1 else closing + len(ANSWER_CLOSE))
        break
    return {"think": think, "answer": answer}


def _tokens_in(offsets: list[tuple[int, int]], span: tuple[int, int] | None) -> range | None:
    if span is None:
        return None
    lo, hi = span
    inside = [i for i, (s, e) in enumerate(offsets) if (s < hi and e > lo) or (s == e and lo <= s < hi)]
    return range(inside[0], inside[-1] + 1) if inside else None


def response_spans(tokenizer: Any, ids: Sequence[int]) -> dict[str, range | None]:
    """``{"all", "think", "answer"}`` -> response-token index ranges (None for an empty span)."""
    pieces = token_bytes(tokenizer, ids)
    offsets, at = [], 0
    for piece in pieces:
        offsets.append((at, at + len(piece)))
        at += len(piece)
    tags = tag_spans(b"".join(pieces))
    return {
        "all": range(len(ids)) if len(ids) else None,
        "think": _tokens_in(offsets, tags["think"]),
        "answer": _tokens_in(offsets, tags["answer"]),
    }
