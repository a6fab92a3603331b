"""lmms-eval hooks for ``longvideobench_r1``: LongVideoBench validation under the SEED-Bench-R1 protocol.

Thin glue over :mod:`seedbench_r1.longvideobench.loader` (questions read from ``$LONGVIDEOBENCH_ROOT``), the core's
prompt text and the core's parser with the candidates as options (4 or 5: A-E), as the official R1 evaluation
scores it. The model sees the clip (a path; the project's model class decodes it with the core's frame rule)
and the text; no subtitles, no image. Every doc carries every metric key; each per-group aggregation keeps its
own group (lmms-eval's per-category rule).

Frame cache: when ``seedbench-r1 extract-frames --dataset longvideobench`` has cached a clip (cache folder
``$LONGVIDEOBENCH_FRAMES``, else ``<root>/frames``), :func:`doc_to_visual` gives the clip as a
:class:`~seedbench_r1.protocol.frame_cache.CachedClipPath`: still the clip's path (a ``str``) for any model, which the
project's model class reads from the cache (the same frames and metadata as decoding; an entry that is not
valid is decoded instead). Stock lmms-eval models see only the path and decode the clip themselves.

lmms-eval imports this file by path (``!function utils.x`` in the YAML), so it must stay importable alone.
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Sequence
from typing import Any

from seedbench_r1.longvideobench.loader import (
    DURATION_GROUPS,
    LEVELS,
    LvbQuestion,
    load_lvb,
    repeated_candidates,
    resolve_lvb_root,
)
from seedbench_r1.protocol.answer import score_response
from seedbench_r1.protocol.errors import MediaError
from seedbench_r1.protocol.frame_cache import MANIFEST, CachedClipPath, check_entry, entry_dir, lvb_cache_dir
from seedbench_r1.protocol.names import FORMAT_METRIC, NO_ANSWER_METRIC, lvb_duration_metric, lvb_level_metric
from seedbench_r1.protocol.names import LVB_ACC_METRIC as ACC_METRIC
from seedbench_r1.protocol.names import LVB_LOG_KEY as LOG_KEY
from seedbench_r1.protocol.prompt import render_text
from seedbench_r1.protocol.root import media_file_problem

PARSER_MODE = "eval"  # as the SEED-Bench-R1 tasks
DURATION_METRICS = {group: lvb_duration_metric(group) for group in DURATION_GROUPS}
LEVEL_METRICS = {key: lvb_level_metric(key) for key, _label in LEVELS.values()}
FRAMES_KEY = "frames_entry"  # the clip's frame cache entry folder (it may not exist)


def question_to_doc(
    question: LvbQuestion, root: str | os.PathLike[str], cache_dir: str | os.PathLike[str] | None = None
) -> dict[str, Any]:
    cache = lvb_cache_dir(root) if cache_dir is None else cache_dir
    return {
        "id": question.id,
        "video_id": question.video_id,
        "video_path": str(question.video_path(root)),
        FRAMES_KEY: str(entry_dir(cache, question.video_relpath)),
        "question": question.question,
        "candidates": list(question.candidates),
        "gold": question.gold,
        "duration_group": question.duration_group,
        "level": question.level,
        "category": question.category,
    }


def load_docs(root: str | os.PathLike[str] | None = None) -> list[dict[str, Any]]:
    """Every validation question, clips checked up front so a missing file fails before any generation."""
    root_path = resolve_lvb_root(root)
    questions = load_lvb(root_path)
    docs = [question_to_doc(q, root_path) for q in questions]
    missing = [
        f"{d['id']}: {problem}: {d['video_path']}"
        for d in docs
        if (problem := media_file_problem(d["video_path"]))
    ]
    if missing:
        more = f"\n  ... and {len(missing) - 10} more" if len(missing) > 10 else ""
        raise MediaError(
            f"{len(missing)} clip(s) missing under LongVideoBench root {root_path} (set LONGVIDEOBENCH_ROOT; "
            f"`seedbench-r1 verify --dataset longvideobench` lists them):\n  "
            + "\n  ".join(missing[:10])
            + more
        )
    repeated = repeated_candidates(questions)
    if repeated:
        print(
            f"longvideobench_r1: note: {len(repeated)} question(s) list one candidate text twice "
            f"(first: {repeated[0]}); they are evaluated as given",
            file=sys.stderr,
        )
    _report_cache(docs, lvb_cache_dir(root_path))
    return docs


def _report_cache(docs: Sequence[dict[str, Any]], cache: os.PathLike[str]) -> None:
    """One line on stderr: how many clips the frame cache holds (only when the cache folder exists)."""
    if not os.path.isdir(cache):
        return
    clips = {d[FRAMES_KEY]: d["video_path"] for d in docs}
    valid = sum(check_entry(entry, source).ok for entry, source in clips.items())
    rest = f"; the other {len(clips) - valid} are decoded" if valid < len(clips) else ""
    print(
        f"longvideobench_r1: frame cache {cache}: {valid} of {len(clips)} clips cached{rest}", file=sys.stderr
    )


def process_docs(dataset: Any) -> Any:
    import datasets

    del dataset  # the placeholder lmms-eval had to load; the docs come from the local root
    return datasets.Dataset.from_list(load_docs())


def doc_to_visual(doc: dict[str, Any]) -> list[str]:
    """``[clip path]``; a :class:`~seedbench_r1.protocol.frame_cache.CachedClipPath` (still that path) when the clip
    has a cache entry, which the project's model class reads (and checks) instead of decoding the clip."""
    if not os.path.isfile(doc["video_path"]):
        raise MediaError(f"question {doc['id']}: video not found: {doc['video_path']}")
    entry = doc.get(FRAMES_KEY) or ""
    if entry and os.path.isfile(os.path.join(entry, MANIFEST)):
        return [CachedClipPath(doc["video_path"], entry)]
    return [doc["video_path"]]


def doc_to_text(doc: dict[str, Any], lmms_eval_specific_kwargs: dict[str, Any] | None = None) -> str:
    """The core's text for the question and its candidates; pre/post prompts would change it, so none."""
    del lmms_eval_specific_kwargs
    return render_text(doc["question"], doc["candidates"])


def doc_to_target(doc: dict[str, Any]) -> str:
    return doc["gold"]


def process_results(doc: dict[str, Any], results: Sequence[str]) -> dict[str, Any]:
    response = results[0] if results else ""
    scored = score_response(response, doc["gold"], tuple(doc["candidates"]), mode=PARSER_MODE)
    level = LEVELS[doc["level"]][0]
    out: dict[str, Any] = {
        ACC_METRIC: scored["acc"],
        FORMAT_METRIC: scored["format"],
        NO_ANSWER_METRIC: scored["no_answer"],
        LOG_KEY: {
            "id": doc["id"],
            "pred": scored["pred"],
            "gold": doc["gold"],
            "duration_group": doc["duration_group"],
            "level": doc["level"],
        },
    }
    item = {"duration_group": doc["duration_group"], "level": level, "acc": scored["acc"]}
    for metric in (*DURATION_METRICS.values(), *LEVEL_METRICS.values()):
        out[metric] = item
    return out


def _mean(items: Sequence[dict[str, Any]], field: str, value: Any) -> float:
    accs = [it["acc"] for it in items if it[field] == value]
    return sum(accs) / len(accs) if accs else math.nan  # NaN, not 0, for a group a run (--limit) lacks


def aggregate_duration_15(items: Sequence[dict[str, Any]]) -> float:
    return _mean(items, "duration_group", 15)


def aggregate_duration_60(items: Sequence[dict[str, Any]]) -> float:
    return _mean(items, "duration_group", 60)


def aggregate_duration_600(items: Sequence[dict[str, Any]]) -> float:
    return _mean(items, "duration_group", 600)


def aggregate_duration_3600(items: Sequence[dict[str, Any]]) -> float:
    return _mean(items, "duration_group", 3600)


def aggregate_level_perception(items: Sequence[dict[str, Any]]) -> float:
    return _mean(items, "level", "perception")


def aggregate_level_relation(items: Sequence[dict[str, Any]]) -> float:
    return _mean(items, "level", "relation")
