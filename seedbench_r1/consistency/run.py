"""``seedbench-r1 consistency``: judge every logged sample of lmms-eval runs, resumably, then summarise."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seedbench_r1.consistency.items import JUDGED, Item, run_items
from seedbench_r1.consistency.journal import FORMAT, JudgmentsFile, judgments_path, record_key
from seedbench_r1.consistency.judges import Judge, ModelJudge, OpenAIJudge, Sampling, check_model_folder
from seedbench_r1.consistency.prompt import PROMPT_SHA256, PROMPT_VERSION
from seedbench_r1.consistency.rates import rate_rows, unparsable_lines, write_summary
from seedbench_r1.consistency.verdict import parse_verdict
from seedbench_r1.protocol.errors import UsageError
from seedbench_r1.report.lvb import LVB
from seedbench_r1.report.results import load_runs


@dataclass
class ConsistencyConfig:
    runs: list[str]
    judge: str
    out: Path
    backend: str = "hf"
    sampling: Sampling = field(default_factory=Sampling)
    model_args: dict[str, Any] = field(default_factory=dict)
    base_url: str | None = None
    api_key: str = "EMPTY"
    concurrency: int = 8
    timeout: float = 120.0
    retries: int = 3
    batch_size: int | None = None
    overwrite: bool = False
    progress: bool = True


@dataclass
class ConsistencyResult:
    lines: list[str]  # one summary line per run and level
    judged_now: int
    resumed: int
    seconds: float  # spent judging (the judge's load not included)
    files: tuple[Path, Path]
    unparsable: list[str]


def header_of(cfg: ConsistencyConfig) -> dict[str, Any]:
    return {
        "kind": "header",
        "format": FORMAT,
        "judge": cfg.judge,
        "backend": cfg.backend,
        "prompt_version": PROMPT_VERSION,
        "prompt_sha256": PROMPT_SHA256,
        "sampling": cfg.sampling.record(),
    }


def collect(run_args: list[str]) -> list[Item]:
    """Every logged sample of every RUN; any input that cannot be read is refused before a judge loads."""
    runs, errors = load_runs(run_args)
    unreadable = errors + [u for r in runs for u in r.unreadable]
    if unreadable:
        more = f" (and {len(unreadable) - 1} more)" if len(unreadable) > 1 else ""
        raise UsageError(f"{unreadable[0]}{more}; nothing was judged")
    names = [r.name for r in runs]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise UsageError(f"two runs are named {twice[0]!r}: give them labels, LABEL=PATH")
    return [item for run in runs for item in run_items(run)]


def check_judge(cfg: ConsistencyConfig) -> None:
    """What can be refused about the judge before anything is written or loaded."""
    if cfg.backend == "openai" and not cfg.base_url:
        raise UsageError("--backend openai needs --base-url (e.g. http://localhost:8000/v1)")
    if cfg.backend != "openai" and cfg.base_url:
        raise UsageError(f"--base-url is for --backend openai, not {cfg.backend}")
    if cfg.backend != "openai":
        check_model_folder(cfg.judge)


def load_judge(cfg: ConsistencyConfig) -> Judge:
    if cfg.backend == "openai":
        return OpenAIJudge(
            cfg.judge,
            cfg.sampling,
            base_url=cfg.base_url,
            api_key=cfg.api_key,
            concurrency=cfg.concurrency,
            timeout=cfg.timeout,
            retries=cfg.retries,
        )
    return ModelJudge(cfg.judge, cfg.backend, cfg.sampling, cfg.model_args)


def _record(item: Item, reply: str | None) -> dict[str, Any]:
    o = item.outcome
    return {
        "kind": "sample",
        "run": item.run,
        "results_file": item.results_file,
        "level": o.level,
        "sample_id": o.sample_id,
        "domain": o.domain,
        "groups": list(o.groups),
        "correct": o.correct,
        "pred": o.pred,
        "gold": o.gold,
        "status": item.status,
        "verdict": parse_verdict(reply) if reply is not None else None,
        "reply": reply,
        "prompt_sha256": PROMPT_SHA256,
    }


def consistency(cfg: ConsistencyConfig) -> ConsistencyResult:
    items = collect(cfg.runs)
    check_judge(cfg)
    header = header_of(cfg)
    seconds = 0.0
    store = JudgmentsFile.open(judgments_path(cfg.out), header, overwrite=cfg.overwrite)
    judged_now = 0
    try:
        done = {record_key(r) for r in store.data.records}
        resumed = sum(i.key in done for i in items)
        todo = [i for i in items if i.key not in done]
        store.commit([_record(i, None) for i in todo if i.status != JUDGED])  # counted, never sent
        pending = [i for i in todo if i.status == JUDGED]
        if pending:
            judge = load_judge(cfg)
            start = time.perf_counter()
            try:
                judged_now = _judge_all(store, judge, pending, cfg)
                seconds = time.perf_counter() - start
            finally:
                judge.close()
        keys = {i.key for i in items}
        records = [r for r in store.data.records if record_key(r) in keys]
    finally:
        store.close()
    files = write_summary(cfg.out, records, header)
    return ConsistencyResult(
        _summary_lines(records), judged_now, resumed, seconds, files,
        unparsable_lines(records),
    )  # fmt: skip


def _judge_all(store: JudgmentsFile, judge: Judge, pending: list[Item], cfg: ConsistencyConfig) -> int:
    from tqdm import tqdm

    size = cfg.batch_size or judge.batch_size
    bar = tqdm(total=len(pending), desc="judging", disable=not cfg.progress, file=sys.stderr)
    done = 0
    try:
        for at in range(0, len(pending), size):
            batch = pending[at : at + size]
            replies = judge.replies([i.prompt or "" for i in batch])
            store.commit([_record(i, reply) for i, reply in zip(batch, replies, strict=True)])
            done += len(batch)
            bar.update(len(batch))
    finally:
        bar.close()
    return done


def _summary_lines(records: list[dict[str, Any]]) -> list[str]:
    """One line per run and level (domains and LongVideoBench groups are in the CSV)."""
    lines = []
    for row in rate_rows(records):
        if row.column.key != row.column.level and row.column.key != "lvb":
            continue
        c = row.counts
        rate = row.rate
        label = f"LongVideoBench {row.column.label}" if row.column.level == LVB else row.column.label
        head = f"{row.run} {label}: "
        if rate.known:
            from seedbench_r1.report.table import interval_pct

            lo, hi = interval_pct(rate)  # type: ignore[misc]
            head += f"consistency {rate.pct:.1f}% [{lo:.1f}, {hi:.1f}] ({rate.correct}/{rate.total} yes)"
        else:
            head += "consistency n/a (no parsed verdict)"
        split = [
            f"{name} {cell.pct:.1f}% of {cell.total}" if cell.known else f"{name} n/a"
            for name, cell in (("answer right", row.correct), ("answer wrong", row.wrong))
        ]
        lines.append(
            f"{head}; {', '.join(split)}; {c['logged']} logged, {c['judged']} judged, {c['unparsable']} "
            f"unparsable, {c['no_answer']} no answer, {c['no_think']} no think, {c['empty_think']} empty think"
        )
    return lines
