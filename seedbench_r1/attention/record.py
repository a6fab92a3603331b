"""One sample's analysis as the ``<sample_id>.json`` record (schema: docs/attention.md), and the check that lets
a rerun skip a record already written for the same request."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from seedbench_r1.attention.shares import maps, shares, span_profile
from seedbench_r1.attention.spans import SPAN_NAMES
from seedbench_r1.attention.tokens import TokenLayout
from seedbench_r1.files import JSON_ERRORS
from seedbench_r1.protocol.errors import UsageError

REQUIRED_KEYS = (
    "sample_id",
    "split",
    "model",
    "layers",
    "response",
    "response_source",
    "retokenized_exact",
    "pred",
    "gold",
    "correct",
    "n_tokens",
    "spans",
    "maps",
)
# What must match for an existing record to stand for this run's request (else: --overwrite or another --out).
REQUEST_KEYS = ("split", "model", "layers", "response_source", "response_from", "gen_kwargs")


def build_record(
    *,
    rows: Any,
    layout: TokenLayout,
    spans: dict[str, range | None],
    request: dict[str, Any],
    sample_id: Any,
    response: str,
    response_ids: list[int],
    retokenized_exact: bool | None,
    scored: dict[str, Any],
    gold: str,
    extra: dict[str, Any],
) -> dict[str, Any]:
    """The record: ``request`` holds REQUEST_KEYS; ``extra`` (grids, frames, settings) is stored as given."""
    profiles = {name: span_profile(rows, spans[name]) for name in SPAN_NAMES}
    counts = layout.counts()
    counts |= {name: len(spans[name] or ()) for name in ("think", "answer")}
    notes = [f"empty {name} span: its shares and maps are null" for name in SPAN_NAMES if spans[name] is None]
    if retokenized_exact is False:
        notes.append("the logged text does not survive re-tokenization (decode(encode(text)) != text)")
    return {
        "sample_id": sample_id,
        "split": request["split"],
        "model": request["model"],
        "layers": request["layers"],
        "response": response,
        "response_source": request["response_source"],
        "retokenized_exact": retokenized_exact,
        "pred": scored["pred"] or None,  # the parser's "" is no answer
        "gold": gold,
        "correct": bool(scored["acc"]),
        "n_tokens": counts,
        "spans": {name: shares(profiles[name], layout) for name in SPAN_NAMES},
        "maps": {name: maps(profiles[name], layout) for name in SPAN_NAMES},
        "span_tokens": {name: [s.start, s.stop] if s is not None else None for name, s in spans.items()},
        "response_from": request["response_from"],
        "gen_kwargs": request["gen_kwargs"],
        "response_token_ids": response_ids,
        "notes": notes,
        **extra,
    }


def check_record(path: Path, sample_id: Any, request: dict[str, Any]) -> dict[str, Any]:
    """The record at ``path`` when it is complete and was made for ``request``; else one error naming it."""
    try:
        record = json.loads(path.read_bytes().decode("utf-8"))
    except (OSError, *JSON_ERRORS) as exc:
        raise UsageError(
            f"{path}: exists but is not a readable record ({exc}); pass --overwrite to redo it"
        ) from None
    if not isinstance(record, dict):
        raise UsageError(
            f"{path}: exists but is not a record (not a JSON object); pass --overwrite to redo it"
        )
    missing = [k for k in REQUIRED_KEYS if k not in record]
    if missing:
        raise UsageError(f"{path}: exists but lacks field {missing[0]!r}; pass --overwrite to redo it")
    if str(record["sample_id"]) != str(sample_id):
        raise UsageError(f"{path}: holds sample {record['sample_id']!r}, not {sample_id!r}")
    for key in REQUEST_KEYS:
        if record.get(key) != request[key]:
            raise UsageError(
                f"{path}: field {key!r} is {record.get(key)!r}, this run asks for {request[key]!r}; pass "
                "--overwrite to redo it, or another --out"
            )
    return record
