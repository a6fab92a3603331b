"""A run's header on the front page: what lmms-eval recorded about the model, its settings and when it ran."""

from __future__ import annotations

import json
from typing import Any

from seedbench_r1.report.results import RunResult

_OURS = ("seedbench_r1", "seedbench_r1_l1", "seedbench_r1_l2", "seedbench_r1_l3", "longvideobench_r1")


def run_header(run: RunResult) -> dict[str, Any]:
    """Model, model_args, generation settings per task, date, task versions, lmms-eval version and commit."""
    data: dict[str, Any] = {}
    if run.results_file is not None:
        try:
            data = json.loads(run.results_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):  # the report has read it already; a race is shown as "unknown"
            data = {}
    config = data.get("config") if isinstance(data.get("config"), dict) else {}
    configs = data.get("configs") if isinstance(data.get("configs"), dict) else {}
    versions = data.get("versions") if isinstance(data.get("versions"), dict) else {}
    generation = {
        task: cfg.get("generation_kwargs")
        for task, cfg in configs.items()
        if task in _OURS and isinstance(cfg, dict) and cfg.get("generation_kwargs")
    }
    return {
        "name": run.name,
        "results_file": str(run.results_file) if run.results_file else "",
        "model": str(config.get("model", "")),
        "model_args": str(config.get("model_args", "")),
        "cli_gen_kwargs": str(config.get("gen_kwargs", "") or ""),
        "generation": generation,
        "date": str(data.get("date", "")),
        "versions": {t: v for t, v in versions.items() if t in _OURS},
        "lmms_eval_version": str(data.get("lmms_eval_version", "")),
        "git_hash": str(data.get("git_hash", "")),
        "seconds": data.get("total_evaluation_time_seconds"),
        "samples": sum(len(v) for v in run.samples.values()),
    }
