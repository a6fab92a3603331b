"""lmms-eval hooks for the SEED-Bench-R1 tasks: docs, visuals, prompt text, scoring and aggregations.

Thin glue over :mod:`seedbench_r1`: rows come from ``load_split`` (so a bad row raises the core's
``AnnotationError``), the text from ``render_question``, the image from ``load_observation`` and every score from
``seedbench_r1.protocol.answer.score_response`` in ``eval`` mode, the same parser the verl reward uses.

lmms-eval imports this file by path (``!function utils.x`` in the YAML), so it must stay importable on its own.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from seedbench_r1 import load_observation, load_split, render_question, resolve_root
from seedbench_r1.protocol.answer import score_response
from seedbench_r1.protocol.constants import LETTERS, domain_key
from seedbench_r1.protocol.errors import MediaError
from seedbench_r1.protocol.names import ACC_METRIC, DOMAIN_METRICS, FORMAT_METRIC, LOG_KEY, NO_ANSWER_METRIC
from seedbench_r1.protocol.root import media_file_problem
from seedbench_r1.protocol.schema import Sample

# The parser mode of the metric: strict tag rule plus a conservative last-line fallback (see answer.py).
PARSER_MODE = "eval"
CHOICE_FIELDS = tuple(f"choice_{x.lower()}" for x in LETTERS)


# --- docs ------------------------------------------------------------------------------------------------


def sample_to_doc(sample: Sample, root: Path) -> dict[str, Any]:
    """The flat doc lmms-eval stores (HF ``datasets`` column types: one type per column within a level)."""
    video = sample.video_path(root)
    return {
        "sample_id": sample.sample_id,  # int in L1/L2, str in L3, as in the annotation file
        "split": sample.split,
        "key": sample.key,
        "question": sample.question,
        **dict(zip(CHOICE_FIELDS, sample.choices, strict=True)),
        "gold": sample.gold,
        "answer": sample.answer,
        "domain": sample.domain,
        "scenario": sample.scenario,
        "has_video": sample.has_video,
        "video_path": str(video) if video is not None else "",
        "image_path": str(sample.image_path(root)),
    }


def load_docs(split: str, root: str | os.PathLike[str] | None = None) -> list[dict[str, Any]]:
    """All docs of one level, media checked up front so a missing file fails before any generation."""
    root_path = resolve_root(root)
    data = load_split(root_path, split)
    docs = [sample_to_doc(s, root_path) for s in data if isinstance(s, Sample)]
    if len(docs) != len(data):
        raise ValueError(
            f"{data.path}: expected validation rows only, got {len(data) - len(docs)} other rows"
        )
    missing = [
        f"sample {d['key']}: {kind} {problem}: {d[field]}"
        for d in docs
        for kind, field in (("video", "video_path"), ("image", "image_path"))
        if d[field] and (problem := media_file_problem(d[field]))
    ]
    if missing:
        shown = "\n  ".join(missing[:10])
        more = f"\n  ... and {len(missing) - 10} more" if len(missing) > 10 else ""
        raise MediaError(
            f"{len(missing)} media file(s) of {split} missing under dataset root {root_path} "
            f"(set SEEDBENCH_R1_ROOT or see `seedbench-r1 --help`):\n  {shown}{more}"
        )
    return docs


def _process_docs(split: str) -> Callable[[Any], Any]:
    def process_docs(dataset: Any) -> Any:
        # lmms-eval must load *some* dataset first (a one-file placeholder, see the YAML); the real docs
        # replace it here, read by the core from the dataset root, with no hub access.
        import datasets

        del dataset
        return datasets.Dataset.from_list(load_docs(split))

    process_docs.__name__ = f"process_docs_{split}"
    return process_docs


process_docs_l1 = _process_docs("validation_L1")
process_docs_l2 = _process_docs("validation_L2")
process_docs_l3 = _process_docs("validation_L3")


# --- what the model sees -------------------------------------------------------------------------------


def doc_to_visual(doc: dict[str, Any]) -> list[Any]:
    """The protocol order: progress clip (path string, only when there is progress), then the observation
    image as a 252 x 252 PIL image (stock ``qwen2_vl`` drops image path strings; a PIL image reaches every
    backend). The project's model class re-derives the clip's frames with the core from the path."""
    visuals: list[Any] = []
    if doc["video_path"]:
        if problem := media_file_problem(doc["video_path"]):
            raise MediaError(f"sample {doc['key']}: video {problem}: {doc['video_path']}")
        visuals.append(doc["video_path"])
    try:
        visuals.append(load_observation(doc["image_path"]))
    except MediaError as exc:
        raise MediaError(f"sample {doc['key']}: {exc}") from exc
    return visuals


def doc_to_text(doc: dict[str, Any], lmms_eval_specific_kwargs: dict[str, Any] | None = None) -> str:
    """Exactly the core's question text. Pre/post prompts are deliberately not applied: they would change it."""
    del lmms_eval_specific_kwargs
    return render_question(doc)


def doc_to_target(doc: dict[str, Any]) -> str:
    return doc["gold"]


# --- scoring -------------------------------------------------------------------------------------------


def _options(doc: dict[str, Any]) -> tuple[str, ...]:
    return tuple(doc[f] for f in CHOICE_FIELDS)


def process_results(doc: dict[str, Any], results: Sequence[str]) -> dict[str, Any]:
    """Every metric key for every doc (lmms-eval's per-category rule); pure, so safe in its thread pool."""
    response = results[0] if results else ""
    scored = score_response(response, doc["gold"], _options(doc), mode=PARSER_MODE)
    out: dict[str, Any] = {
        ACC_METRIC: scored["acc"],
        FORMAT_METRIC: scored["format"],
        NO_ANSWER_METRIC: scored["no_answer"],
        LOG_KEY: {
            "sample_id": doc["sample_id"],
            "split": doc["split"],
            "pred": scored["pred"],
            "gold": doc["gold"],
            "domain": doc["domain"],
        },
    }
    if doc["domain"]:  # L3: all four domain keys on every doc; each aggregation keeps its own domain
        item = {"domain": domain_key(doc["domain"]), "acc": scored["acc"]}
        for metric in DOMAIN_METRICS.values():
            out[metric] = item
    return out


def _domain_mean(key: str, items: Sequence[dict[str, Any]]) -> float:
    accs = [it["acc"] for it in items if it["domain"] == key]
    # NaN, not 0, when a run (e.g. --limit) has no sample of the domain: 0 would read as a real score.
    return sum(accs) / len(accs) if accs else math.nan


def aggregate_daily_life(items: Sequence[dict[str, Any]]) -> float:
    return _domain_mean("daily_life", items)


def aggregate_hobbies(items: Sequence[dict[str, Any]]) -> float:
    return _domain_mean("hobbies", items)


def aggregate_recreation(items: Sequence[dict[str, Any]]) -> float:
    return _domain_mean("recreation", items)


def aggregate_work(items: Sequence[dict[str, Any]]) -> float:
    return _domain_mean("work", items)
