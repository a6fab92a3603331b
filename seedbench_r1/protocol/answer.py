"""The one multiple-choice answer parser of the project, and the reward's ``format`` rule.

Both faces import this module: the lmms-eval tasks score with it and the verl reward function
(``reward_fns.seedbench_r1``) is thin glue over :func:`score_response`, so the evaluation metric and the
training reward cannot drift apart. Everything here is pure (no I/O, no global state beyond compiled
constants and a small cache of already-validated ``mode``/``format_weight`` values), thread-safe, never
raises on a model response (any ``str``; a non-``str`` is "no answer"), and runs in linear time: only
``str.find`` scans and anchored regexes without nested quantifiers.

Public API
----------
``parse_answer(response, options=None, *, mode="strict") -> str | None``
    The chosen letter ("A".."D"; up to "E" with five ``options``) or ``None`` for "no answer".
``is_well_formatted(response) -> bool``
    The reward's ``format`` rule.
``score_response(response, gold, options=None, *, mode="strict", format_weight=0.0) -> ScoreResult``
    ``{"score", "acc", "format", "no_answer", "pred"}``, the same keys for every response.
``normalize_gold(gold, n_options=4) -> str``
    The gold letter; raises ``ValueError`` on a malformed gold (a data error, not a model error).
``MODES``
    ``("strict", "eval", "paper")``.

Modes
-----
``strict`` (training, the default)
    Only ``<answer>...</answer>`` blocks outside ``<think>`` count. Every such block must name the same
    single choice; otherwise, or without any block, the response has no answer.
``eval``
    ``strict`` plus one conservative fallback used only when there is no complete answer block at all:
    the LAST non-empty line outside ``<think>`` is read when it is a bare choice (``B``, ``(B)``, ``B.``)
    or starts with an answer phrase (``Answer: B``, ``The answer is (B)``, ``Final answer: B. open
    drawer``). A letter is never fished out of free text.
``paper``
    The official SEED-Bench-R1 rule, exactly: the first ``<answer>(.*?)</answer>`` match anywhere (also
    inside ``<think>``), stripped, and its FIRST CHARACTER is the prediction (so ``(B)`` is no answer,
    ``b`` is no answer, ``A or B`` is ``A``). The official math-verify pre-check is left out.

Block rules (``strict`` and ``eval``)
-------------------------------------
A block's content, stripped of whitespace, markdown/quote wrappers (``* " ' ```) and a trailing ``.``/``!``:

1. a single letter of the valid range, either case: ``B``, ``b``;
2. an optional answer phrase (``The answer is``, ``Answer:``, ``Option``, ``The correct choice is``,
   ``Final answer:`` ...), then the letter as ``B``, ``(B)``, ``[B]``, ``B)``, ``B.`` or ``B:``, then
   optionally a tail. After a punctuation separator the tail is free text (``B. put the knife down``: the
   letter decides, even if the text is another option's). After a bare space the tail must be the exact text
   of an option (``B put the knife down``), so ``A knife ...`` is not read as A. A lower-case letter
   with a space-separated tail is never read (English article "a");
3. otherwise, when options are known, the exact text of exactly one option (case, spacing, wrappers and a
   trailing period aside), with or without an answer phrase (``The answer is open drawer``);
4. Hedges are no answer: a tail opening with ``or``/``and``/``vs``/``nor`` or ``, / & | + ;``, or holding
   another stand-alone capital A-D (``A or B``, ``A, C``, ``A (or B)``, ``A not B``); letters glued
   together (``ABCD``, ``A/B``); a letter outside the valid range (``E`` unless there are five options); an
   empty block; a block longer
   than ``MAX_ANSWER_CHARS``.

``<think>`` handling: text from ``<think>`` to the next ``</think>`` is reasoning; an unclosed
``<think>`` runs to the end; a ``</think>`` that comes before any ``<think>`` (a chat template that
prefilled the opening tag) makes everything before it reasoning. Already-stripped text (lmms-eval's
``--reasoning_tags``) therefore parses the same way.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any, TypedDict

from seedbench_r1.protocol.constants import LETTERS, OPTION_LETTERS

__all__ = [
    "ANSWER_CLOSE",
    "ANSWER_OPEN",
    "CHOICE_LETTERS",
    "MAX_ANSWER_CHARS",
    "MODES",
    "ScoreResult",
    "is_well_formatted",
    "normalize_gold",
    "parse_answer",
    "score_response",
]

# SEED-Bench-R1 always has four options, the range when ``options`` is not given; a shorter ``options``
# sequence narrows it, five options (LongVideoBench) widen it to E.
CHOICE_LETTERS = "".join(LETTERS)
ALL_LETTERS = "".join(OPTION_LETTERS)
MODES = ("strict", "eval", "paper")
# Nobody names one of four choices in more than this; it also bounds the per-block work.
MAX_ANSWER_CHARS = 512

_THINK_OPEN, _THINK_CLOSE = "<think>", "</think>"
# The answer block's tags (public: GRPO-CARE's answer span in verl_recipe/care reads the same block).
ANSWER_OPEN, ANSWER_CLOSE = "<answer>", "</answer>"
_ANS_OPEN, _ANS_CLOSE = ANSWER_OPEN, ANSWER_CLOSE
_WRAPPERS = " \t\r\n*\"'`"
_HEDGE_WORDS = frozenset({"or", "and", "vs", "vs.", "versus", "nor", "and/or", "either"})
_HEDGE_CHARS = frozenset(",/&|+;")

# Anchored, no nested quantifiers: each optional group is tried once, so matching is linear.
_ANSWER_PHRASE = re.compile(
    r"(?:(?:the|my)\s+)?(?:(?:final|correct|best|right)\s+)?(?:answer|option|choice)\b(?:\s+is\b)?\s*:?\s*"
    r"(?:(?:option|choice)\b\s*:?\s*)?",
    re.IGNORECASE,
)
# An answer phrase that the eval fallback accepts as the start of a final line ("Option B" alone is not).
_FALLBACK_PHRASE = re.compile(
    r"(?:(?:the|my)\s+)?(?:(?:final|correct|best|right)\s+)?answer\b(?:\s+is\b)?\s*:?\s*"
    r"(?:(?:option|choice)\b\s*:?\s*)?",
    re.IGNORECASE,
)
# The usual response shape, with no '<' inside the reasoning or the answer: [^<]* cannot backtrack into a tag.
_CANONICAL = re.compile(r"\s*<think>[^<]*</think>\s*<answer>([^<]*)</answer>\s*")
# The same shape from the first '<' after an opening "<think>" on: str.find skips the reasoning at memchr
# speed, the regex only checks the short tail (a test checks _canonical against _CANONICAL).
_CANONICAL_TAIL = re.compile(r"</think>\s*<answer>([^<]*)</answer>\s*")
# A stand-alone capital choice letter inside a tail ("... or B", "(C)").
_LONE_CAPITAL = re.compile(r"(?<![A-Za-z0-9])[A-D](?![A-Za-z0-9])")
_LONE_CAPITAL_FIVE = re.compile(r"(?<![A-Za-z0-9])[A-E](?![A-Za-z0-9])")  # five options: E is a choice too


class ScoreResult(TypedDict):
    """One scored response; the same keys for every response (verl and lmms-eval require that)."""

    score: float  # acc + format_weight * format
    acc: int  # 1 when pred == gold
    format: int  # 1 when is_well_formatted(response)
    no_answer: int  # 1 when the parser found no single choice
    pred: str  # the letter, or "" for no answer


@lru_cache(maxsize=8)
def _letter_map(n: int) -> dict[str, str]:
    """Maps both cases of the first ``n`` choice letters to the upper-case letter."""
    letters = ALL_LETTERS[:n]
    return {**{c: c for c in letters}, **{c.lower(): c for c in letters}}


_VALID_ALL = _letter_map(len(CHOICE_LETTERS))


def _norm_text(text: str) -> str:
    return " ".join(text.casefold().split()).strip(_WRAPPERS).rstrip(".!").strip()


@lru_cache(maxsize=4096)
def _option_map(options: tuple[str, ...]) -> dict[str, str | None]:
    """Normalised option text -> letter; a text shared by two options maps to None (ambiguous)."""
    out: dict[str, str | None] = {}
    for letter, text in zip(ALL_LETTERS, options, strict=False):
        key = _norm_text(text)
        if key:
            out[key] = None if key in out else letter
    return out


def _coerce_options(options: Any) -> tuple[str, ...] | None:
    """None, or 1-5 option strings in letter order (a numpy array from parquet works too)."""
    if options is None:
        return None
    if type(options) is tuple or type(options) is list:  # the common case, checked cheaply
        opts = tuple(options)
    else:
        opts = (
            tuple(options) if not isinstance(options, (str, bytes)) and hasattr(options, "__iter__") else ()
        )
    ok = 0 < len(opts) <= len(ALL_LETTERS)
    for opt in opts:  # a plain loop: this runs for every rollout
        if not isinstance(opt, str):
            ok = False
    if not ok:
        raise ValueError(f"options must be 1 to {len(ALL_LETTERS)} strings in letter order, got {options!r}")
    return opts


def _outside_think(text: str) -> str:
    """The text with every reasoning region removed (see the module docstring)."""
    first_close = text.find(_THINK_CLOSE)
    first_open = text.find(_THINK_OPEN)
    if first_close == -1 and first_open == -1:
        return text
    pos = 0
    if first_close != -1 and (first_open == -1 or first_close < first_open):
        pos = first_close + len(_THINK_CLOSE)
    parts: list[str] = []
    while True:
        start = text.find(_THINK_OPEN, pos)
        if start == -1:
            parts.append(text[pos:])
            break
        parts.append(text[pos:start])
        end = text.find(_THINK_CLOSE, start + len(_THINK_OPEN))
        if end == -1:  # unclosed reasoning swallows the rest
            break
        pos = end + len(_THINK_CLOSE)
    return "\n".join(parts)


def _letter_form(s: str, valid: dict[str, str], omap: dict[str, str | None] | None) -> str | None:
    """Reads ``B``, ``(B)``, ``B)``, ``B.``, ``B:``, ``B. text``; returns None for anything else."""
    n = len(s)
    opener = s[0] if n and s[0] in "([" else ""
    i = 1 if opener else 0
    if i >= n:
        return None
    ch = s[i]
    letter = valid.get(ch)
    if letter is None:
        return None
    i += 1
    punct = False
    if opener:
        closer = ")" if opener == "(" else "]"
        if i >= n or s[i] != closer:
            return None
        i += 1
        punct = True
    elif i < n and s[i] == ")":
        i += 1
        punct = True
    if i == n:
        return letter
    c = s[i]
    if c in ".:":
        punct = True
        i += 1
    elif not c.isspace():
        return None  # "ABCD", "Bread", "A/B", "A,C", "(A)(B)"
    tail = s[i:].strip()
    if not tail:
        return letter
    if omap and omap.get(_norm_text(tail)) is not None:
        return letter  # the tail is one option's exact text: the letter decides
    if not punct:
        return None  # bare space + free text: "A knife ...", "b put ..."
    first = tail.split(None, 1)[0].lower()
    lone = _LONE_CAPITAL_FIVE if len(valid) > 2 * len(CHOICE_LETTERS) else _LONE_CAPITAL
    if tail[0] in _HEDGE_CHARS or first in _HEDGE_WORDS or lone.search(tail):
        return None
    return letter


# The commonest stripped block contents of an honest answer, each read as its letter. Consulted before the
# general rules only with the full A-D range; a test asserts every entry equals what those rules return.
_EXACT_FORM_TEMPLATES = (
    "{L}.", "{l}.", "({L})", "({l})", "{L})", "{l})", "{L}:", "[{L}]", "**{L}**", "**{L}.**", "**({L})**",
    "Option {L}", "option {L}", "Option ({L})", "Option {L}.", "Choice {L}", "Answer: {L}", "Answer: ({L})",
    "The answer is {L}", "The answer is ({L})", "The answer is: {L}", "The correct answer is {L}",
    "Final answer: {L}",
)  # fmt: skip
_EXACT_FORMS = {t.format(L=c, l=c.lower()): c for t in _EXACT_FORM_TEMPLATES for c in CHOICE_LETTERS}


def _parse_content(content: str, valid: dict[str, str], options: Sequence[str] | None) -> str | None:
    """One answer block's content -> letter or None."""
    s = content.strip()
    if len(s) == 1:  # the fast path: "B"
        return valid.get(s)
    if valid is _VALID_ALL:
        hit = _EXACT_FORMS.get(s)
        if hit is not None:
            return hit
    return _parse_general(s, valid, options)


def _parse_general(s: str, valid: dict[str, str], options: Sequence[str] | None) -> str | None:
    """The block rules for stripped content ``s`` (see the module docstring)."""
    if not s or len(s) > MAX_ANSWER_CHARS:
        return None
    s = s.strip(_WRAPPERS).rstrip(".!").strip(_WRAPPERS)
    if not s:
        return None
    if len(s) == 1:
        return valid.get(s)
    m = _ANSWER_PHRASE.match(s)
    rest = s[m.end() :].strip(_WRAPPERS) if m and m.end() else s
    if not rest:
        return None  # "Answer:" and nothing else
    # A letter form first, without the option texts (cheap, and the letter decides anyway) ...
    letter = _letter_form(rest, valid, None)
    if letter is not None or not options:
        return letter
    # ... then the exact text of one option, or a letter followed by a space and an option's exact text.
    omap = _option_map(tuple(options))
    hit = omap.get(_norm_text(s))
    if hit is None and rest is not s:
        hit = omap.get(_norm_text(rest))
    return hit if hit is not None else _letter_form(rest, valid, omap)


def _answer_blocks_letter(
    text: str, valid: dict[str, str], options: tuple[str, ...] | None
) -> tuple[bool, str | None]:
    """(found any complete block, the letter all blocks agree on or None)."""
    pos = 0
    found = False
    letter: str | None = None
    seen: set[str] = set()
    while True:
        i = text.find(_ANS_OPEN, pos)
        if i == -1:
            break
        j = text.find(_ANS_CLOSE, i + len(_ANS_OPEN))
        if j == -1:  # no later block can close either
            break
        content = text[i + len(_ANS_OPEN) : j]
        pos = j + len(_ANS_CLOSE)
        if content in seen:  # 100k copies of one block cost one parse
            continue
        seen.add(content)
        got = _parse_content(content, valid, options)
        if got is None or (found and got != letter):
            return True, None  # an empty, invalid or disagreeing block voids the answer
        found, letter = True, got
    return found, letter


def _fallback_letter(text: str, valid: dict[str, str], options: tuple[str, ...] | None) -> str | None:
    """eval mode only: the last non-empty line, if it is a bare choice or an 'Answer: X' line."""
    body = text.rstrip()
    if not body:
        return None
    line = body[body.rfind("\n") + 1 :].strip().strip(_WRAPPERS)
    if not line or len(line) > MAX_ANSWER_CHARS or "<" in line:
        return None
    m = _FALLBACK_PHRASE.match(line)
    if m and m.end():
        return _parse_content(line[m.end() :], valid, options)
    # Without an answer phrase only a bare choice counts: "B", "(B)", "[B]", "B)", "B:" and nothing more.
    bare = line.rstrip(".!").strip(_WRAPPERS)
    if not 1 <= len(bare) <= 3:
        return None
    core = bare[1:-1] if bare[0] in "([" else bare.rstrip(":)")
    letter = valid.get(core) if len(core) == 1 else None
    if letter is None or bare not in (core, f"({core})", f"[{core}]", f"{core})", f"{core}:"):
        return None
    return letter


def _paper_letter(text: str, valid: dict[str, str]) -> str | None:
    """The official rule: first character of the first <answer> block; case-sensitive like the original."""
    i = text.find(_ANS_OPEN)
    if i == -1:
        return None
    j = text.find(_ANS_CLOSE, i + len(_ANS_OPEN))
    if j == -1:
        return None
    return _paper_content(text[i + len(_ANS_OPEN) : j], valid)


def _paper_content(content: str, valid: dict[str, str]) -> str | None:
    stripped = content.strip()
    if not stripped:
        return None
    ch = stripped[0]
    return ch if ch in valid and ch.isupper() else None


def _canonical(response: str) -> re.Match[str] | None:
    """``_CANONICAL.fullmatch(response)``, faster for the usual response that starts with ``<think>``."""
    if response.startswith(_THINK_OPEN):
        # [^<]* cannot pass a '<', so the reasoning must end at the first '<' after the tag.
        end = response.find("<", len(_THINK_OPEN))
        return None if end == -1 else _CANONICAL_TAIL.fullmatch(response, end)
    return _CANONICAL.fullmatch(response)  # leading whitespace, or not the shape at all


def _valid_for(opts: Sequence[str] | None) -> dict[str, str]:
    return _VALID_ALL if opts is None or len(opts) == len(CHOICE_LETTERS) else _letter_map(len(opts))


def _read(
    response: str, valid: dict[str, str], opts: Sequence[str] | None, mode: str
) -> tuple[str | None, bool | None]:
    """(letter or None, format if already known else None) for a ``str`` response and a checked mode."""
    # Fast path for the usual shape (no '<' inside the reasoning or the answer). It gives exactly what
    # the general path gives: one think region, one answer block, and a well-formatted response.
    canon = _canonical(response)
    if canon is not None:
        content = canon[1]
        if mode == "paper":
            return _paper_content(content, valid), True
        return _parse_content(content, valid, opts), True
    return _read_general(response, valid, opts, mode), None


def _read_general(response: str, valid: dict[str, str], opts: Sequence[str] | None, mode: str) -> str | None:
    """The letter of any response, by the full rules of ``mode``."""
    if mode == "paper":
        return _paper_letter(response, valid)
    text = _outside_think(response)
    found, letter = _answer_blocks_letter(text, valid, opts)
    if found:
        return letter
    if mode == "eval":
        return _fallback_letter(text, valid, opts)
    return None


def _check_mode(mode: str) -> None:
    if mode not in MODES:
        raise ValueError(f"unknown answer-parser mode {mode!r}; expected one of {MODES}")


def parse_answer(response: Any, options: Sequence[str] | None = None, *, mode: str = "strict") -> str | None:
    """The letter a response chooses, or None for no answer. Never raises on ``response``.

    ``options`` are the option texts in letter order (enables exact-text answers; ignored by ``paper``);
    malformed ``options`` are a programming error and raise ``ValueError``.
    ``mode`` is one of ``MODES``; an unknown mode is a programming error and raises ``ValueError``.
    """
    _check_mode(mode)
    opts = _coerce_options(options)
    if not isinstance(response, str):
        return None
    return _read(response, _valid_for(opts), opts, mode)[0]


def is_well_formatted(response: Any) -> bool:
    """The ``format`` rule: the whole response, surrounding whitespace aside, is exactly one
    ``<think>...</think>`` followed (whitespace aside) by exactly one ``<answer>...</answer>``.

    Stricter than the official start-anchored regex, which also passed trailing text.
    """
    if not isinstance(response, str):
        return False
    return _canonical(response) is not None or _well_formatted_general(response)


def _well_formatted_general(response: str) -> bool:
    """The ``format`` rule by tag counts (any shape, '<' inside the text included)."""
    s = response.strip()
    if not (s.startswith(_THINK_OPEN) and s.endswith(_ANS_CLOSE)):
        return False
    for tag in (_THINK_OPEN, _THINK_CLOSE, _ANS_OPEN, _ANS_CLOSE):
        if s.count(tag) != 1:
            return False
    think_end = s.find(_THINK_CLOSE)
    ans_start = s.find(_ANS_OPEN)
    return think_end < ans_start and not s[think_end + len(_THINK_CLOSE) : ans_start].strip()


def normalize_gold(gold: Any, n_options: int = len(CHOICE_LETTERS)) -> str:
    """The gold letter from ``"B"``, ``"b"``, ``"B."`` or the official ``"<answer>B.</answer>"``.

    A malformed gold is a data error, so this raises ``ValueError`` naming the value.
    """
    if isinstance(gold, str):
        s = gold.strip()
        if s.startswith(_ANS_OPEN) and s.endswith(_ANS_CLOSE):
            s = s[len(_ANS_OPEN) : -len(_ANS_CLOSE)].strip()
        if s.endswith("."):
            s = s[:-1].rstrip()
        letter = _letter_map(n_options).get(s)
        if letter is not None:
            return letter
    raise ValueError(
        f"ground truth {gold!r} is not a choice letter in {ALL_LETTERS[:n_options]!r} "
        "(expected e.g. 'B', 'B.' or '<answer>B.</answer>')"
    )


# Validating the same reward_kwargs for every rollout costs more than parsing a short answer, so the checks
# run once per distinct (mode, format_weight): _SETTINGS maps (mode, type(weight), weight) to the four scores
# ``acc + weight * format`` for acc, format in {0, 1}, computed by the very expression the rule states.
# Only exact str and float/int values are stored (immutable, honest equality), so a hit always stands for
# values the full checks accepted. _LAST (one tuple, replaced atomically) short-cuts the usual case where
# verl passes the very same objects every call.
_Scores = tuple[tuple[float, float], tuple[float, float]]
_SETTINGS: dict[tuple[Any, Any, Any], _Scores] = {}
_SETTINGS_MAX = 64
_LAST: tuple[Any, Any, _Scores] = (object(), object(), ((0.0, 0.0), (0.0, 0.0)))


def _checked_scores(mode: Any, format_weight: Any) -> _Scores:
    """The full checks of ``mode`` and ``format_weight`` (raising ``ValueError``); caches what passes."""
    global _LAST
    wtype = type(format_weight)
    cacheable = type(mode) is str and (wtype is float or wtype is int)
    key = (mode, wtype, format_weight)
    if cacheable and key in _SETTINGS:
        scores = _SETTINGS[key]
    else:
        weight = float(format_weight)
        if not math.isfinite(weight):
            raise ValueError(f"format_weight must be a finite number, got {format_weight!r}")
        _check_mode(mode)
        scores = ((0 + weight * False, 0 + weight * True), (1 + weight * False, 1 + weight * True))
        if not cacheable:
            return scores
        if len(_SETTINGS) < _SETTINGS_MAX:
            _SETTINGS[key] = scores
    _LAST = (mode, format_weight, scores)
    return scores


def score_response(
    response: Any,
    gold: Any,
    options: Sequence[str] | None = None,
    *,
    mode: str = "strict",
    format_weight: float = 0.0,
) -> ScoreResult:
    """Scores one response: ``score = acc + format_weight * format``. Shared by the reward and the metric."""
    last = _LAST
    scores = last[2] if last[0] is mode and last[1] is format_weight else _checked_scores(mode, format_weight)
    # Four plain strings in a list or tuple (the usual extra_info) need no copy; anything else is checked.
    opts: Sequence[str] | None = None
    if options is not None:
        if (type(options) is list or type(options) is tuple) and len(options) == 4:
            o0, o1, o2, o3 = options
            if type(o0) is str and type(o1) is str and type(o2) is str and type(o3) is str:
                opts = options
        if opts is None:
            opts = _coerce_options(options)
    n = len(opts) if opts else len(CHOICE_LETTERS)
    gold_letter = (_VALID_ALL.get(gold) if n == len(CHOICE_LETTERS) and type(gold) is str else None) or (
        normalize_gold(gold, n)
    )
    if type(response) is not str and not isinstance(response, str):
        return {"score": scores[0][False], "acc": 0, "format": 0, "no_answer": 1, "pred": ""}
    pred, fmt = _read(response, _valid_for(opts), opts, mode)
    if fmt is None:  # any other shape: the format rule by tag counts
        fmt = _well_formatted_general(response)
    if pred is None:
        return {"score": scores[0][fmt], "acc": 0, "format": 1 if fmt else 0, "no_answer": 1, "pred": ""}
    acc = 1 if pred == gold_letter else 0
    return {"score": scores[acc][fmt], "acc": acc, "format": 1 if fmt else 0, "no_answer": 0, "pred": pred}
