"""Responses logged by an lmms-eval run (``--log_samples``), for ``seedbench-r1 attention --response-from``.

The run is found the way ``seedbench-r1 report`` finds it (:func:`seedbench_r1.report.results.find_results_files`:
the output path, one model folder or one results file; the newest results per model folder), and the level's
``<date>_samples_<task>.jsonl`` beside it is read. lmms-eval 0.7.3 writes the raw response as ``resps`` (a
string, or a one-item list) and drops it when it equals ``filtered_resps``; the project's tasks filter nothing
(``reasoning_tags: none``), so either is the model's text as the model class returned it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from seedbench_r1.files import json_lines
from seedbench_r1.protocol.annotations import SPLITS
from seedbench_r1.report.results import (
    LOG_KEY,
    TASK_OF_LEVEL,
    RunError,
    find_results_files,
    response_text,
    samples_path,
)


@dataclass(frozen=True)
class LoggedResponses:
    path: Path  # the samples file
    texts: dict[str, str]  # str(sample_id) -> response


def read_logged(run: str | Path, split: str) -> LoggedResponses:
    """Every logged response of ``split`` in the lmms-eval run ``run`` (a bad line: one error naming it)."""
    run = Path(run)
    files = find_results_files(run)  # RunError: not an lmms-eval output folder
    if len(files) > 1:
        folders = ", ".join(str(f.parent) for f in files)
        raise RunError(f"{run}: holds {len(files)} model folders ({folders}); pass the one to read")
    results = files[0]
    task = TASK_OF_LEVEL[SPLITS[split].level or ""]
    samples = samples_path(results, task)
    if not samples.is_file():
        raise RunError(
            f"{results}: no logged samples of {task} beside it ({samples.name}); run lmms-eval with "
            f"--log_samples and --tasks {task} (or seedbench_r1)"
        )
    texts: dict[str, str] = {}
    for lineno, line, reason in json_lines(samples, "lmms-eval samples file"):
        where = f"{samples}:{lineno}"
        if reason is not None:
            raise RunError(f"{where}: unreadable sample line ({reason})")
        record = line.get(LOG_KEY) if isinstance(line, dict) else None
        if not isinstance(record, dict) or record.get("sample_id") is None:
            raise RunError(f"{where}: field {LOG_KEY!r}: no sample_id (not a log of the project's tasks?)")
        sample_id = str(record["sample_id"])
        text = response_text(line)
        if text is None:
            raise RunError(f"{where}: sample {sample_id}: field 'resps'/'filtered_resps': no response text")
        if sample_id in texts:
            raise RunError(f"{where}: sample {sample_id}: logged twice")
        texts[sample_id] = text
    return LoggedResponses(samples.resolve(), texts)  # absolute: a rerun from elsewhere matches it
