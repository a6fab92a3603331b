"""The distillation run: teachers in order over one split (or one shard of it), batch by batch, resumable.

For teacher t the rows to sample are the shard's rows that no earlier teacher answered and whose media could be
read, in split order, cut into fixed batches of ``batch_size`` rows. Those lists depend only on the journal's
outcomes, so a resumed run cuts the same batches and skips the committed ones; with the HF backend (a generator
per row, the same batch composition) it produces exactly what a clean run produces.
"""

from __future__ import annotations

import math
import os
import re
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from seedbench_r1.distill.journal import (
    Journal,
    append_output,
    check_compatible,
    check_teachers,
    file_sha256,
    held,
    journal_path,
    stats_path,
    write_output,
)
from seedbench_r1.distill.journal_schema import FORMAT
from seedbench_r1.distill.rows import (
    WorkRow,
    cot_row,
    in_shard,
    is_accepted,
    judge,
    keep_index,
    load_rows,
    resolve_split,
    row_seed,
)
from seedbench_r1.distill.stats import RunStats, run_stats, write_stats
from seedbench_r1.distill.teachers import Completion, Teacher, default_batch_size, load_teacher
from seedbench_r1.distill.validate import validate_output
from seedbench_r1.protocol.checkpoint import checkpoint_problem, context_length
from seedbench_r1.protocol.errors import MediaError, UsageError

# A hub id as huggingface_hub accepts it: "name" or "org/name", no leading "." or "-".
_HUB_ID = re.compile(r"[A-Za-z0-9_][\w.-]*(/[A-Za-z0-9_][\w.-]*)?")


def teacher_problem(name: str) -> str | None:
    """Why ``name`` cannot be a teacher, checked before any model loads; None if it may be one."""
    path = Path(name).expanduser()
    if path.exists():
        return checkpoint_problem(path)
    if _HUB_ID.fullmatch(name):
        return None  # transformers resolves it (from the hub cache offline)
    return f"no folder {path}, and not a hub id (name or org/name)"


@dataclass
class DistillConfig:
    teachers: list[str]  # tried in this order; a row goes to the next one only when none of K was accepted
    split: str
    out: Path
    root: str | None = None
    samples: int = 8
    seed: int = 0  # the option rule's seed (as prepare-verl --seed) and the base of the sampling seeds
    backend: str = "hf"
    shard: tuple[int, int] | None = None
    batch_size: int | None = None  # rows per batch (default: teachers.default_batch_size)
    temperature: float = 1.0
    top_p: float = 1.0
    top_k: int = 0
    max_new_tokens: int = 1024
    repetition_penalty: float | None = None  # None: the checkpoint's own
    model_args: dict[str, Any] = field(default_factory=dict)  # passed to the model class
    engine_args: dict[str, Any] = field(default_factory=dict)  # vLLM only: more vllm.LLM arguments
    decode_workers: int = 4
    overwrite: bool = False
    on_error: Literal["raise", "skip"] = "raise"  # bad annotation rows
    progress: bool = True

    def gen_kwargs(self) -> dict[str, Any]:
        """The model class's gen_kwargs. top_k 0 / top_p 1 are explicit because the Instruct checkpoints'
        generation configs are near-greedy (top_k 1): K samples from them would all be the same."""
        kwargs: dict[str, Any] = {
            "do_sample": True,
            "temperature": self.temperature,
            "top_p": self.top_p,
            "top_k": self.top_k,
            "max_new_tokens": self.max_new_tokens,
        }
        if self.repetition_penalty is not None:
            kwargs["repetition_penalty"] = self.repetition_penalty
        return kwargs

    def check(self) -> None:
        if not self.teachers:
            raise UsageError("name at least one --teacher")
        # One folder named two ways (T and T/, a relative and an absolute path) is one teacher; a symlink
        # is another name the user chose on purpose (e.g. the same weights as a second pass), kept apart.
        same = [
            os.path.abspath(os.path.expanduser(n)) if Path(n).expanduser().exists() else n
            for n in self.teachers
        ]
        if len(set(same)) != len(same):
            raise UsageError(f"a teacher is named twice: {self.teachers}")
        for name in self.teachers:
            if problem := teacher_problem(name):
                raise UsageError(f"--teacher {name!r}: {problem}")
            context = context_length(name) if Path(name).expanduser().is_dir() else None
            if context is not None and self.max_new_tokens >= context:
                raise UsageError(
                    f"--max-new-tokens {self.max_new_tokens}: --teacher {name!r} has a context of {context} "
                    "tokens, which the prompt (about 1k tokens) and the response share"
                )
        # The Python API gets the CLI's checks too (its flags check these when parsed).
        if not 1 <= self.samples <= 256:
            raise UsageError(f"--samples must be 1 to 256, got {self.samples}")
        if not (math.isfinite(self.temperature) and self.temperature > 0):
            raise UsageError("--temperature must be > 0: rejection sampling needs samples that differ")
        if not (math.isfinite(self.top_p) and 0 < self.top_p <= 1):
            raise UsageError(f"--top-p must be in (0, 1], got {self.top_p}")
        if self.top_k < 0 or self.max_new_tokens < 1 or self.decode_workers < 1:
            raise UsageError("--top-k must be >= 0, --max-new-tokens and --decode-workers >= 1")
        memory = self.model_args.get("gpu_memory_utilization")
        if memory is not None and not (isinstance(memory, (int, float)) and 0 < memory <= 1):
            raise UsageError(f"--model-args gpu_memory_utilization={memory!r}: must be in (0, 1]")
        rp = self.repetition_penalty
        if rp is not None and not (math.isfinite(rp) and rp > 0):
            raise UsageError(f"--repetition-penalty must be > 0, got {rp}")
        if self.batch_size is not None and self.batch_size < 1:
            raise UsageError(f"--batch-size must be >= 1, got {self.batch_size}")
        if self.out.is_dir():
            raise UsageError(f"--out {self.out}: a folder; name a .jsonl file")
        for key in ("pretrained", "backend"):
            if key in self.model_args:
                raise UsageError(f"--model-args: {key} is set by --teacher / --backend")
        if self.engine_args and self.backend != "vllm":
            raise UsageError("--engine-args are vLLM engine arguments: add --backend vllm")


@dataclass
class DistillReport:
    out: Path
    stats: RunStats
    rows_written: int
    resumed_rows: int  # rows whose outcome came from the journal of an earlier run
    torn_bytes: int


TeacherFactory = Callable[[str], Teacher]
BatchHook = Callable[[int, int], None]  # (teacher index, batches committed by this process so far)


def distill(
    cfg: DistillConfig,
    *,
    teacher_factory: TeacherFactory | None = None,
    on_batch: BatchHook | None = None,
) -> DistillReport:
    """Run (or resume) a distillation; returns after the output is validated and the statistics written."""
    from seedbench_r1.protocol.root import resolve_root

    cfg.check()
    root = resolve_root(cfg.root)
    split = resolve_split(root, cfg.split)
    data, all_rows = load_rows(root, split, cfg.seed, on_error=cfg.on_error)
    rows = [r for r in all_rows if in_shard(r.index, cfg.shard)]
    header = {
        "kind": "header",
        "format": FORMAT,
        "split": data.info.name,
        "split_path": str(data.path),
        "split_sha256": file_sha256(data.path),
        "split_rows": len(all_rows),
        "bad_annotation_rows": [str(e) for e in data.errors],  # only with on_error="skip"
        "samples": cfg.samples,
        "seed": cfg.seed,
        "gen": cfg.gen_kwargs(),
        "backend": cfg.backend,
        "shard": list(cfg.shard) if cfg.shard else None,
    }
    journal, resumed = _open(cfg, header)
    try:
        check_teachers(journal.path, journal.data.teacher_names(), cfg.teachers)
        resumed_rows = sum(len(b["rows"]) for b in journal.data.batches)
        device = str(cfg.model_args.get("device") or _default_device())
        batch_size = cfg.batch_size or default_batch_size(cfg.backend, cfg.samples, device)
        factory = teacher_factory or (
            lambda name: load_teacher(name, cfg.backend, cfg.gen_kwargs(), cfg.model_args, cfg.engine_args)
        )
        committed = 0
        for t, name in enumerate(cfg.teachers):
            todo = _todo(journal, rows, t)
            done = journal.data.records().get(t, {})
            batches = [todo[s : s + batch_size] for s in range(0, len(todo), batch_size)]
            batches = [[r for r in b if r.index not in done] for b in batches]
            batches = [b for b in batches if b]
            if not batches:
                continue
            teacher = factory(name)
            try:
                committed = _run_teacher(cfg, root, journal, teacher, t, todo, batches, committed, on_batch)
            finally:
                teacher.close()
        indices = [r.index for r in rows]
        stats = run_stats(journal.data, indices, cfg.teachers)
        written = validate_output(cfg.out, journal.data)
        write_stats(stats_path(cfg.out), stats)
        return DistillReport(cfg.out, stats, written, resumed_rows if resumed else 0, journal.data.torn_bytes)
    finally:
        journal.close()


def _default_device() -> str:
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def _open(cfg: DistillConfig, header: dict[str, Any]) -> tuple[Journal, bool]:
    """(the journal, whether it existed): a new run, or a resume whose output is rebuilt from the journal."""
    path = journal_path(cfg.out)
    if cfg.overwrite:
        # Only while no run writes this output: its journal's lock is taken before anything is replaced, and
        # the new journal (locked) replaces the old one atomically.
        cfg.out.parent.mkdir(parents=True, exist_ok=True)
        with held(path):
            journal = Journal.create(path, header)
        try:
            write_output(cfg.out, [])
            stats_path(cfg.out).unlink(missing_ok=True)
        except BaseException:
            journal.close()
            raise
        return journal, False
    if path.exists():
        journal = Journal.resume(path)
        try:
            check_compatible(path, journal.data.header, header)
            write_output(cfg.out, journal.data.kept_rows())  # drops a half-appended batch, if any
        except BaseException:
            journal.close()
            raise
        return journal, True
    if cfg.out.exists():
        raise UsageError(
            f"--out {cfg.out} exists without the journal {path.name} of a distill-cot run: choose another "
            "--out, or pass --overwrite to replace it"
        )
    cfg.out.parent.mkdir(parents=True, exist_ok=True)
    journal = Journal.create(path, header)
    write_output(cfg.out, [])
    return journal, False


def _todo(journal: Journal, rows: Sequence[WorkRow], teacher: int) -> list[WorkRow]:
    """The rows teacher ``teacher`` must sample: those every earlier teacher tried and did not answer."""
    records = journal.data.records()
    out = []
    for row in rows:
        earlier = [records.get(t, {}).get(row.index) for t in range(teacher)]
        if any(rec is None for rec in earlier):
            raise RuntimeError(f"teacher {teacher + 1} started before row {row.sample_id!r} was decided")
        if all("error" not in rec and rec["keep"] is None for rec in earlier):  # type: ignore[operator]
            out.append(row)
    return out


PromptOrError = Any  # a VisionPrompt, or the reason (str) its media could not be read


def _prompt(row: WorkRow, root: Path) -> PromptOrError:
    from seedbench_r1.protocol.qwen_inputs import prompt_from_sample

    try:
        return prompt_from_sample(row.sample, root)
    except MediaError as exc:
        text = str(exc)
        return text if row.sample.key in text else f"sample {row.sample.key}: {text}"


def _run_teacher(
    cfg: DistillConfig,
    root: Path,
    journal: Journal,
    teacher: Teacher,
    t: int,
    todo: Sequence[WorkRow],
    batches: Sequence[Sequence[WorkRow]],
    committed: int,
    on_batch: BatchHook | None,
) -> int:
    """Sample, judge and commit each batch (the next batch's clips are decoded while this one generates);
    returns the number of batches this process has committed."""
    from tqdm import tqdm

    records = journal.data.records().get(t, {})
    done = len(records)
    accepted = sum(1 for r in records.values() if r.get("keep") is not None)
    bar = tqdm(
        total=len(todo),
        initial=done,
        desc=f"teacher {t + 1}/{len(cfg.teachers)}",
        unit="row",
        disable=not cfg.progress,
        file=sys.stderr,
        dynamic_ncols=True,
    )
    with bar, ThreadPoolExecutor(1) as ahead, ThreadPoolExecutor(max(1, cfg.decode_workers)) as pool:

        def prepare(batch: Sequence[WorkRow]) -> list[PromptOrError]:
            return list(pool.map(lambda row: _prompt(row, root), batch))

        pending: Future | None = ahead.submit(prepare, batches[0])
        for n, batch in enumerate(batches):
            prompts = pending.result()  # type: ignore[union-attr]
            pending = ahead.submit(prepare, batches[n + 1]) if n + 1 < len(batches) else None
            start = time.perf_counter()
            recs = _sample_batch(cfg, root, teacher, t, batch, prompts)
            seconds = time.perf_counter() - start
            journal.commit(
                {"kind": "batch", "teacher": t, "model": teacher.name, "seconds": seconds, "rows": recs}
            )
            append_output(cfg.out, [rec["row"] for rec in recs if rec.get("keep") is not None])
            done += len(batch)
            accepted += sum(1 for rec in recs if rec.get("keep") is not None)
            bar.set_postfix_str(f"accepted {accepted}/{done} ({100 * accepted / done:.0f}%)", refresh=False)
            bar.update(len(batch))
            committed += 1
            if on_batch is not None:
                on_batch(t, committed)
    return committed


def _sample_batch(
    cfg: DistillConfig,
    root: Path,
    teacher: Teacher,
    t: int,
    batch: Sequence[WorkRow],
    prompts: Sequence[PromptOrError],
) -> list[dict[str, Any]]:
    """The journal records of one batch: K samples per readable row, judged; one accepted response kept."""
    ok = [(row, p) for row, p in zip(batch, prompts, strict=True) if not isinstance(p, str)]
    completions: list[list[Completion]] = []
    if ok:
        seeds = [row_seed(cfg.seed, t, row.sample_id) for row, _ in ok]
        completions = teacher.generate([p for _, p in ok], seeds, cfg.samples)
    by_index = {row.index: c for (row, _), c in zip(ok, completions, strict=True)}
    recs = []
    for row, prompt in zip(batch, prompts, strict=True):
        if isinstance(prompt, str):
            recs.append({"i": row.index, "id": row.sample_id, "error": prompt})
            continue
        samples = by_index[row.index]
        scores = [judge(c.text, row.sample) for c in samples]
        good = [j for j, s in enumerate(scores) if is_accepted(s)]
        keep = keep_index(cfg.seed, row.sample_id, good) if good else None
        rec: dict[str, Any] = {
            "i": row.index,
            "id": row.sample_id,
            "gold": row.sample.gold,
            "options": list(row.sample.choices),
            "preds": [s["pred"] for s in scores],
            "fmt": [s["format"] for s in scores],
            "tokens": [c.tokens for c in samples],
            "ok": good,
            "keep": keep,
        }
        if keep is not None:
            rec["row"] = cot_row(row.sample, root, samples[keep].text)
        recs.append(rec)
    return recs
