"""Write the sample browser: ``index.html`` beside the report's files, ``site/`` with the page and its data.

Layout under the report's ``--out``::

    index.html                  the page (charts: the report's PNGs beside it)
    site/app.js, site/style.css the page's code and look (static, from this package)
    site/data/meta.js           runs' headers, Tables 2 and 3 as the report computed them, problems
    site/data/index.js          one row per sample: level, domain/groups, search text, per run the outcome
    site/data/chunk_NNNN.js     CHUNK samples each: prompt, options, responses, verdicts, media (on demand)
    site/media/*.jpg            one contact sheet per clip, one image per observation, attention maps

The field lists of the rows are in ``meta.js`` (``index_fields``, ``run_fields``) and docs/browser.md.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seedbench_r1.browser import payload
from seedbench_r1.browser.media import MediaStore, Picture
from seedbench_r1.browser.questions import LEVEL_OF_SPLIT, Question, lvb_questions, seed_questions
from seedbench_r1.browser.runs import run_header
from seedbench_r1.browser.samples import Key, join_runs
from seedbench_r1.files import write_text
from seedbench_r1.protocol.errors import UsageError
from seedbench_r1.report.paper import Cell, Column
from seedbench_r1.report.results import RunResult, SampleOutcome
from seedbench_r1.report.table import Row, interval_pct

CHUNK = 100  # samples per chunk file: one opened sample loads about 100 x (prompt + responses)
GENERATOR = "seedbench-r1 report --html"
STATIC = Path(__file__).parent / "static"
INDEX_FIELDS = ["level", "id", "domain", "duration", "lvb_level", "text", "chunk", "gold", "runs"]
RUN_FIELDS = ["correct", "pred", "formatted", "words"]  # null for a run without the sample


@dataclass
class SiteFiles:
    index: Path
    samples: int = 0
    chunks: int = 0
    media_made: int = 0
    media_reused: int = 0
    missing_media: dict[str, str] = field(default_factory=dict)
    bytes_on_disk: int = 0
    problems: list[str] = field(default_factory=list)


def check_inputs(out: Path, attention: Sequence[str | os.PathLike[str]] = ()) -> None:
    """Before anything is written: refuse an ``index.html`` in ``out`` that this command did not write (it
    would be overwritten), and attention folders that hold no records."""
    for folder in attention:
        base = Path(folder)
        if not base.is_dir():
            raise UsageError(f"--attention {folder}: no such folder (the --out of seedbench-r1 attention)")
        if not any(base.glob("*/*.json")):
            raise UsageError(f"--attention {folder}: no <label>/<sample_id>.json records in it")
    index = out / "index.html"
    if index.exists():
        try:
            ours = f'content="{GENERATOR}"' in index.read_text(encoding="utf-8", errors="replace")[:2000]
        except OSError:
            ours = False
        if not ours:
            raise UsageError(
                f"{index} exists and was not written by {GENERATOR}; choose another --out or remove it"
            )


def build_site(
    out: Path,
    runs: Sequence[RunResult],
    tables: dict[str, tuple[tuple[Column, ...], list[Row]]],
    *,
    seed_root: Path,
    lvb_root: Path,
    consistency: Sequence[str | os.PathLike[str]] = (),
    attention: Sequence[str | os.PathLike[str]] = (),
    charts: Sequence[str] = (),
    problems: Sequence[str] = (),
    progress: Callable[[str], None] | None = None,
) -> SiteFiles:
    """The whole site for ``runs`` under ``out`` (``tables``: title -> the report's columns and rows)."""
    check_inputs(out, attention)
    joined = join_runs(runs)
    notes = list(joined.mismatches)
    levels = {k[0] for k in joined.keys}
    questions: dict[Key, Question] = {}
    if levels - {"LVB"}:
        found, why = seed_questions(seed_root, levels)
        questions |= found
        notes += why
    if "LVB" in levels:
        found, why = lvb_questions(lvb_root)
        questions |= found
        notes += why
    verdicts, judges, why = _verdicts(consistency, runs)
    notes += why
    maps, why = _attention(attention)
    notes += why
    media = MediaStore(out, progress)
    chunks: list[dict[str, Any]] = []
    rows = []
    for n, key in enumerate(joined.keys):
        if n % CHUNK == 0:
            chunks.append({})
            if progress and n and n % (10 * CHUNK) == 0:
                progress(f"samples: {n}/{len(joined.keys)}")
        have = [o.get(key) for o in joined.outcomes]
        q = questions.get(key)
        rows.append(_index_row(key, have, q, len(chunks) - 1))
        chunks[-1][f"{key[0]}/{key[1]}"] = _detail(key, have, q, media, verdicts, maps)
    unknown = sum(1 for key in joined.keys if key not in questions)
    if unknown:
        notes.append(
            f"{unknown} samples are not in the dataset under the given roots: logged prompt only, no media"
        )
    for n, chunk in enumerate(chunks):
        payload.write_chunk(out, n, chunk)
    missing = [f"{path}: {why}" for path, why in media.missing.items()]
    if media.missing:
        first = next(iter(media.missing.values()))
        notes.append(
            f"{len(media.missing)} media files missing or unreadable (placeholders shown); first: {first}"
        )
    meta = {
        "generator": GENERATOR,
        "runs": [run_header(r) for r in runs],
        "tables": {title: _table(cols, table_rows) for title, (cols, table_rows) in tables.items()},
        "charts": list(charts),
        "judges": judges,
        "attention": sorted({m["label"] for ms in maps.values() for m in ms}),
        "problems": list(problems),
        "notes": notes,
        "missing_media": missing[:200],
        "missing_media_count": len(missing),
        "index_fields": INDEX_FIELDS,
        "run_fields": RUN_FIELDS,
        "chunks": len(chunks),
    }
    payload.write_global(out, "meta", meta)
    payload.write_global(out, "index", rows)
    for name in ("app.js", "style.css", "icon.svg"):
        shutil.copyfile(STATIC / name, out / "site" / name)
    _prune_chunks(out, len(chunks))
    media.prune()
    index = write_text(out / "index.html", (STATIC / "index.html").read_text(encoding="utf-8"))
    size = sum(p.stat().st_size for p in [index, *(out / "site").rglob("*")] if p.is_file())
    return SiteFiles(
        index=index,
        samples=len(joined.keys),
        chunks=len(chunks),
        media_made=media.made,
        media_reused=media.reused,
        missing_media=media.missing,
        bytes_on_disk=size,
        problems=notes,
    )


def _prune_chunks(out: Path, count: int) -> None:
    """Chunk files of an earlier, larger build would never be loaded; remove them so the site is what it shows."""
    keep = {payload.chunk_name(n) for n in range(count)}
    for path in (out / payload.DATA_DIR).glob("chunk_*.js"):
        if path.name not in keep:
            path.unlink()


def _cell(cell: Cell) -> dict[str, Any]:
    ci = interval_pct(cell)
    return {
        "correct": cell.correct,
        "total": cell.total,
        "pct": None if cell.pct is None else round(cell.pct, 4),
        "lo": None if ci is None else round(ci[0], 4),
        "hi": None if ci is None else round(ci[1], 4),
        "note": cell.note,
        "printed": cell.printed,
    }


def column_filter(c: Column) -> dict[str, str]:
    """The sample-list filter that shows a column's samples (the page's URL parameters)."""
    found = {"level": c.level}
    if c.domain:
        found["domain"] = c.domain
    if c.group:
        found["dur" if c.group.isdigit() else "lvl"] = c.group
    return found


def _table(columns: tuple[Column, ...], rows: Sequence[Row]) -> dict[str, Any]:
    return {
        "columns": [{"key": c.key, "label": c.label, "filter": column_filter(c)} for c in columns],
        "rows": [
            {"label": r.label, "kind": r.kind, "cells": {c.key: _cell(r.cells[c.key]) for c in columns}}
            for r in rows
        ],
    }


def _index_row(key: Key, have: list[SampleOutcome | None], q: Question | None, chunk: int) -> list[Any]:
    first = next(o for o in have if o is not None)
    groups = first.groups + ("", "")
    text = " ".join([q.question, *q.options]) if q else (first.prompt or "")
    per_run = [
        None
        if o is None
        else [
            o.correct,
            o.pred or "",
            o.formatted,
            len(o.response.split()) if o.response is not None else None,
        ]
        for o in have
    ]
    gold = first.gold or (q.gold if q else "")
    return [key[0], key[1], first.domain, groups[0], groups[1], text, chunk, gold, per_run]


def _picture(p: Picture | None) -> dict[str, Any] | None:
    if p is None:
        return None
    return {"url": p.url, "missing": p.missing, "frames": p.frames, "indices": list(p.indices)}


def _detail(
    key: Key,
    have: list[SampleOutcome | None],
    q: Question | None,
    media: MediaStore,
    verdicts: dict[tuple[int, Key], list[dict[str, Any]]],
    maps: dict[Key, list[dict[str, Any]]],
) -> dict[str, Any]:
    prompts = [o.prompt for o in have if o is not None and o.prompt is not None]
    sheet = image = None
    if q is not None:
        sheet = media.sheet(q.root, q.video, q.cache_dir) if q.video else None
        image = media.image(q.root, q.image) if q.image else None
    else:
        sheet = Picture(None, "not in the dataset under the given root: no media")
    attention = []
    for m in maps.get(key, []):
        picture = media.copy(m["png"])
        attention.append({k: v for k, v in m.items() if k != "png"} | {"picture": _picture(picture)})
    return {
        "prompt": prompts[0] if prompts else None,
        "question": q.question if q else None,
        "options": list(q.options) if q else None,
        "sheet": _picture(sheet),
        "image": _picture(image),
        "runs": [
            None
            if o is None
            else {
                "response": o.response,
                # shown in the run's panel only when it is not the prompt shown with the question
                "prompt": o.prompt if o.prompt is not None and o.prompt != prompts[0] else None,
                "consistency": verdicts.get((i, key), []),
            }
            for i, o in enumerate(have)
        ],
        "attention": attention,
    }


def _verdicts(
    folders: Sequence[str | os.PathLike[str]], runs: Sequence[RunResult]
) -> tuple[dict[tuple[int, Key], list[dict[str, Any]]], list[str], list[str]]:
    """(run index, key) -> one verdict per judge; the judges' names; what could not be matched."""
    from seedbench_r1.consistency.journal import judgments_path, read_judgments

    index = {str(r.results_file.resolve()): i for i, r in enumerate(runs) if r.results_file is not None}
    found: dict[tuple[int, Key], list[dict[str, Any]]] = {}
    judges, notes = [], []
    for folder in folders:
        path = Path(folder)
        path = judgments_path(path) if path.is_dir() else path
        data = read_judgments(path)  # the report has read it already: errors were raised there
        judge = f"{data.header['judge']} ({data.header['backend']}, {data.header['prompt_version']})"
        judges.append(judge)
        others = 0
        for r in data.records:
            i = index.get(r["results_file"])
            if i is None:
                others += 1
                continue
            found.setdefault((i, (r["level"], str(r["sample_id"]))), []).append(
                {"judge": judge, "status": r["status"], "verdict": r["verdict"], "reply": r["reply"]}
            )
        if others:
            notes.append(f"{path}: {others} verdicts of runs not given here, not shown")
    return found, judges, notes


def _attention(
    folders: Sequence[str | os.PathLike[str]],
) -> tuple[dict[Key, list[dict[str, Any]]], list[str]]:
    """Key -> attention maps (``seedbench-r1 attention --out`` folders: ``<label>/<sample_id>.json`` + ``.png``)."""
    found: dict[Key, list[dict[str, Any]]] = {}
    notes = []
    for folder in folders:
        for path in sorted(Path(folder).glob("*/*.json")):
            try:
                record = json.loads(path.read_text(encoding="utf-8"))
                level = LEVEL_OF_SPLIT[record["split"]]
                key = (level, str(record["sample_id"]))
            except (OSError, ValueError, KeyError, TypeError) as exc:
                notes.append(f"{path}: not an attention record ({type(exc).__name__}: {exc}); not shown")
                continue
            png = path.with_suffix(".png")
            found.setdefault(key, []).append(
                {
                    "label": path.parent.name,
                    "model": str(record.get("model", "")),
                    "pred": record.get("pred"),
                    "gold": record.get("gold"),
                    "correct": record.get("correct"),
                    "png": png,
                }
            )
    return found, notes
