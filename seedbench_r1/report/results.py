"""Reading lmms-eval 0.7.3 ``--output_path`` folders into per-run Table-2 cells.

lmms-eval's ``EvaluationTracker`` writes, under ``--output_path``, one folder per model (named after the
sanitised ``pretrained=``/``model=`` value of ``--model_args``; the output path itself when there is none,
as with the ``dummy`` model) holding ``<date>_results.json`` and, with ``--log_samples``,
``<date>_samples_<task>.jsonl`` with the same ``<date>``. A RUN argument may be that output path, one model
folder, or one results file; the newest results file per model folder is read.

Counts per cell (decided here, documented in docs/report.md):
- with logged samples: correct = sum of the per-sample ``seedbench_r1_acc`` values, total = samples logged
  (per domain: the samples whose logged domain is that domain); the results file's accuracy is cross-checked;
- without: level totals are lmms-eval's ``n-samples`` (effective) and correct = accuracy x total (checked to
  be a whole number); domain totals come from the L3 annotation file when a dataset root is given and the run
  covered the whole split, else the domain cells are marked unknown (accuracy shown, no counts).

LongVideoBench (``longvideobench_r1``, Table 3; columns in :mod:`seedbench_r1.report.lvb`) the same way: with
logged samples each column counts the samples whose ``lvb_r1_parsed`` record carries its duration group /
level; without, overall from ``n-samples``, and the group / level totals are the release's sizes when the run
covered all 1,337 questions (else unknown). A run may hold SEED-Bench-R1, LongVideoBench, or both.
"""

from __future__ import annotations

import json
import math
import os
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seedbench_r1.files import JSON_ERRORS, json_lines
from seedbench_r1.longvideobench.loader import DURATION_GROUPS, EXPECTED_TOTAL
from seedbench_r1.longvideobench.loader import LEVELS as LVB_LEVELS
from seedbench_r1.protocol.constants import LETTERS, OPTION_LETTERS, canonical_domain
from seedbench_r1.protocol.errors import SeedBenchError
from seedbench_r1.protocol.names import (
    ACC_METRIC,
    DOMAIN_METRICS,
    FORMAT_METRIC,
    GROUP_NAME,
    LEVEL_TASKS,
    LOG_KEY,
    LVB_ACC_METRIC,
    NO_ANSWER_METRIC,
)
from seedbench_r1.report.lvb import LOG_KEY as LVB_LOG_KEY
from seedbench_r1.report.lvb import LVB, LVB_COLUMNS, LVB_METRIC, LVB_TASK, OVERALL
from seedbench_r1.report.paper import COLUMNS, LEVELS, Cell, Column

# The tasks' names (seedbench_r1.protocol.names); LOG_KEY's record is read first, before the metric payloads.
TASK_OF_LEVEL = LEVEL_TASKS
GROUP_TASK = GROUP_NAME
DOMAIN_METRIC = DOMAIN_METRICS

# Field names looked up in a logged sample line and inside its per-metric payloads (the values
# process_results returned, which lmms-eval merges into the line). First match wins.
SAMPLE_ID_FIELDS = ("sample_id",)
PRED_FIELDS = ("pred", "parsed", "prediction", "pred_letter", "parsed_letter")
GOLD_FIELDS = ("gold", "gold_letter", "golden_choice_idx")
DOMAIN_FIELDS = ("domain",)
VALUE_FIELDS = ("score", "correct", "acc", "value")
# The model's response: lmms-eval logs ``resps`` (raw) only when it differs from ``filtered_resps`` (after
# filters and reasoning-tag stripping), so the raw text is ``resps`` when present, else ``filtered_resps``.
RESPONSE_FIELDS = ("resps", "filtered_resps")
RESULTS_SUFFIX = "_results.json"
SAMPLES_MARK = "_samples_"


def samples_path(results_file: Path, task: str) -> Path:
    """The ``--log_samples`` file of ``task`` beside a results file (the same ``<date>`` prefix)."""
    date_id = results_file.name[: -len(RESULTS_SUFFIX)]
    return results_file.parent / f"{date_id}{SAMPLES_MARK}{task}.jsonl"


class RunError(SeedBenchError):
    """A RUN argument that cannot be read at all (not an lmms-eval output folder, unreadable JSON)."""


@dataclass(frozen=True)
class SampleOutcome:
    level: str
    sample_id: Any  # the dataset's sample_id when logged, else lmms-eval's doc_id
    correct: int
    pred: str | None  # None: no answer
    gold: str | None
    domain: str  # canonical L3 domain, "" elsewhere
    formatted: int | None
    no_answer: int | None
    groups: tuple[str, ...] = ()  # LongVideoBench: (duration group, level key), e.g. ("15", "perception")
    response: str | None = None  # what the model generated (before filters); None: not in the log
    prompt: str | None = None  # the text the model got (lmms-eval's logged ``input``); None: not in the log

    @property
    def key(self) -> tuple[str, str]:
        return (self.level, str(self.sample_id))


def in_column(o: SampleOutcome, c: Column) -> bool:
    """Does the sample count in the column (its level; its L3 domain or LongVideoBench group if any)?"""
    return (
        o.level == c.level and (not c.domain or o.domain == c.domain) and (not c.group or c.group in o.groups)
    )


@dataclass
class LevelExtras:
    """Format compliance and no-answer shares of one level (fractions), and how they were obtained."""

    format_rate: float | None = None
    no_answer_rate: float | None = None
    n: int | None = None
    from_samples: bool = False


@dataclass
class RunResult:
    name: str
    results_file: Path | None
    cells: dict[str, Cell] = field(default_factory=dict)
    extras: dict[str, LevelExtras] = field(default_factory=dict)
    samples: dict[str, list[SampleOutcome]] = field(default_factory=dict)  # level -> outcomes
    problems: list[str] = field(
        default_factory=list
    )  # gaps: what the run did not log (a --limit, no samples)
    # Input that could not be read (FILE:LINE: why): a report built despite it is partial (``--partial``).
    unreadable: list[str] = field(default_factory=list)

    @property
    def has_samples(self) -> bool:
        return any(self.samples.values())

    def covers(self, columns: tuple[Column, ...]) -> bool:
        """Did the run have results for this table (Table 2: ``COLUMNS``, Table 3: ``LVB_COLUMNS``)?"""
        return any(c.key in self.cells for c in columns)

    def sampled(self, columns: tuple[Column, ...]) -> bool:
        """Did the run log samples for this table's levels?"""
        return any(self.samples.get(level) for level in {c.level for c in columns})

    def outcomes_by_key(self) -> dict[tuple[str, str], SampleOutcome]:
        return {o.key: o for outs in self.samples.values() for o in outs}

    def letter_table(self, level: str) -> dict[str, Counter[str]]:
        """gold letter -> Counter of predicted letters ("none" for no answer), from logged samples."""
        table: dict[str, Counter[str]] = {}
        for o in self.samples.get(level, []):
            table.setdefault(o.gold or "?", Counter())[o.pred or "none"] += 1
        return table


# ----------------------------------------------------------------------------------------------- discovery


def _split_label(arg: str) -> tuple[str | None, Path]:
    """``LABEL=PATH`` names a run; a plain PATH is named after its folder."""
    if "=" in arg and not Path(arg).exists():
        label, _, path = arg.partition("=")
        return label, Path(path)
    return None, Path(arg)


def find_results_files(path: Path) -> list[Path]:
    """The newest ``*_results.json`` per model folder under an lmms-eval output path (or the file itself)."""
    if path.is_file():
        if not path.name.endswith(RESULTS_SUFFIX):
            raise RunError(
                f"{path}: not an lmms-eval results file (expected a name ending in {RESULTS_SUFFIX})"
            )
        return [path]
    if not path.is_dir():
        raise RunError(f"{path}: no such file or folder")
    candidates = list(path.glob(f"*{RESULTS_SUFFIX}")) + list(path.glob(f"*/*{RESULTS_SUFFIX}"))
    if not candidates:
        raise RunError(
            f"{path}: not an lmms-eval output folder (no *{RESULTS_SUFFIX} in it or its model subfolders; "
            "pass the folder given to lmms-eval --output_path)"
        )
    newest: dict[Path, Path] = {}
    for f in candidates:
        # <date>_results.json with date %Y%m%d_%H%M%S (':' replaced by '-'): the name sorts by time.
        if f.parent not in newest or f.name > newest[f.parent].name:
            newest[f.parent] = f
    return [newest[d] for d in sorted(newest)]


def load_runs(
    args: list[str], root: str | os.PathLike[str] | None = None
) -> tuple[list[RunResult], list[str]]:
    """Every readable run among ``args`` and one message per argument that could not be read."""
    runs: list[RunResult] = []
    errors: list[str] = []
    for arg in args:
        label, path = _split_label(arg)
        try:
            files = find_results_files(path)
        except RunError as exc:
            errors.append(str(exc))
            continue
        for f in files:
            if label:
                name = label
            elif path.is_file():
                name = f.parent.name
            else:
                name = path.name if f.parent == path else f"{path.name}/{f.parent.name}"
            if label and len(files) > 1:
                name = f"{label}/{f.parent.name}"
            try:
                runs.append(read_run(f, name=name, root=root))
            except RunError as exc:
                errors.append(str(exc))
    return runs, errors


# ----------------------------------------------------------------------------------------------- reading


def read_run(results_file: Path, *, name: str, root: str | os.PathLike[str] | None = None) -> RunResult:
    try:
        data = json.loads(results_file.read_bytes().decode("utf-8"))
    except UnicodeDecodeError:
        raise RunError(f"{results_file}: unreadable lmms-eval results file (not UTF-8 text)") from None
    except RecursionError:
        raise RunError(
            f"{results_file}: unreadable lmms-eval results file (JSON nested too deeply)"
        ) from None
    except (OSError, *JSON_ERRORS) as exc:
        raise RunError(f"{results_file}: unreadable lmms-eval results file ({exc})") from None
    if not isinstance(data, dict) or not isinstance(data.get("results"), dict):
        raise RunError(f"{results_file}: no 'results' mapping; not an lmms-eval results file")
    ours = [*TASK_OF_LEVEL.values(), GROUP_TASK]
    has_seed = any(task in data["results"] for task in ours)
    if not has_seed and LVB_TASK not in data["results"]:
        others = ", ".join(sorted(map(str, data["results"]))[:5]) or "none"
        raise RunError(
            f"{results_file}: no SEED-Bench-R1 results in it (tasks: {others}); expected {', '.join(ours)} "
            f"(or {LVB_TASK})"
        )
    run = RunResult(name=name, results_file=results_file)
    results: dict[str, dict[str, Any]] = data["results"]
    n_samples: dict[str, dict[str, int]] = data.get("n-samples", {}) or {}

    for level in LEVELS if has_seed else ():
        task = TASK_OF_LEVEL[level]
        samples_file = samples_path(results_file, task)
        if samples_file.exists():
            run.samples[level] = read_samples(samples_file, level, run.unreadable)
        _check_values(run, task, results.get(task))
        _fill_level(run, level, results.get(task), n_samples.get(task), root)
    if LVB_TASK in results:
        samples_file = samples_path(results_file, LVB_TASK)
        if samples_file.exists():
            run.samples[LVB] = read_samples(samples_file, LVB, run.unreadable)
        _check_values(run, LVB_TASK, results[LVB_TASK])
        _fill_lvb(run, results[LVB_TASK], n_samples.get(LVB_TASK))
    return run


ALWAYS_DEFINED = (ACC_METRIC, FORMAT_METRIC, NO_ANSWER_METRIC, LVB_ACC_METRIC)
READ_METRICS = frozenset((*ALWAYS_DEFINED, *DOMAIN_METRICS.values(), *LVB_METRIC.values()))


def _check_values(run: RunResult, task: str, task_results: Any) -> None:
    """Every metric value of a task the report reads is a finite number (lmms-eval writes NaN only for a
    domain or group with no sample, which the report shows as a gap); text or Inf is unreadable input."""
    if task_results is None:
        return
    if not isinstance(task_results, dict):
        run.unreadable.append(f"{run.results_file}: results.{task} is not an object")
        return
    for key, value in task_results.items():
        metric, _, _ = str(key).partition(",")
        if metric not in READ_METRICS:  # stderr entries, the per-sample records' aggregate, the alias
            continue
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        # NaN is lmms-eval's value for a group (domain, duration) without samples: a gap, not garbage. An
        # overall rate is defined whenever the task ran.
        if not number or math.isinf(value) or (math.isnan(value) and metric in ALWAYS_DEFINED):
            run.unreadable.append(f"{run.results_file}: results.{task}.{key} = {value!r} is not a number")


def _metric(task_results: dict[str, Any] | None, metric: str) -> float | None:
    """``metric,<filter>`` from one task's results (``none`` filter first), skipping stderr entries."""
    if not task_results:
        return None
    keys = [k for k in task_results if k.split(",")[0] == metric]
    keys.sort(key=lambda k: (k != f"{metric},none", k))
    for k in keys:
        value = task_results[k]
        if isinstance(value, (int, float)) and not (isinstance(value, float) and math.isnan(value)):
            return float(value)
    return None


def _count_from_rate(rate: float, total: int) -> tuple[int, str]:
    k = round(rate * total)
    note = "" if abs(rate * total - k) < 1e-6 else f"accuracy x n = {rate * total:.4f} is not whole; rounded"
    return k, note


def _mark_missing(run: RunResult, cols: Sequence[Any], why: str, what: str) -> None:
    """A problem line for the run and a "missing" cell in each column ``why`` leaves empty."""
    run.problems.append(f"{run.name}: {why} in {run.results_file} ({what})")
    for c in cols:
        run.cells[c.key] = Cell(None, None, f"missing: {why}")


def _fill_level(
    run: RunResult,
    level: str,
    task_results: dict[str, Any] | None,
    n_info: dict[str, int] | None,
    root: str | os.PathLike[str] | None,
) -> None:
    task = TASK_OF_LEVEL[level]
    cols = [c for c in COLUMNS if c.level == level]
    outcomes = run.samples.get(level)
    acc = _metric(task_results, ACC_METRIC)
    if task_results is None or acc is None:
        why = f"no {task} results" if task_results is None else f"{task} has no {ACC_METRIC}"
        _mark_missing(run, cols, why, f"level {level} missing")
        return

    extras = LevelExtras(_metric(task_results, FORMAT_METRIC), _metric(task_results, NO_ANSWER_METRIC))
    effective = (n_info or {}).get("effective")
    original = (n_info or {}).get("original")
    if outcomes:
        total = len(outcomes)
        correct = sum(o.correct for o in outcomes)
        note = ""
        if abs(correct / total - acc) > 1e-6:
            note = f"logged samples give {correct}/{total}, results file says {acc:.4f}"
            run.problems.append(f"{run.name} {level}: {note}")
        if effective is not None and effective != total:
            run.problems.append(
                f"{run.name} {level}: {total} samples logged but n-samples effective = {effective}"
            )
        run.cells[level] = Cell(correct, total, note)
        extras = _sample_extras(outcomes, extras)
        if level == "L3":
            for c in cols:
                if c.domain:
                    group = [o for o in outcomes if o.domain == c.domain]
                    run.cells[c.key] = (
                        Cell(sum(o.correct for o in group), len(group))
                        if group
                        else Cell(None, None, f"no logged sample with domain {c.domain!r}")
                    )
    else:
        if effective is None:
            run.problems.append(f"{run.name} {level}: no n-samples for {task}; counts unknown")
            run.cells[level] = Cell(None, None, f"accuracy {100 * acc:.2f}, n unknown")
        else:
            k, note = _count_from_rate(acc, effective)
            if original is not None and effective < original:
                note = (note + "; " if note else "") + f"--limit: {effective} of {original} docs"
            run.cells[level] = Cell(k, effective, note)
        extras.n = effective
        if level == "L3":
            _fill_domains_from_dataset(run, task_results, effective, original, root)
    run.extras[level] = extras


def _sample_extras(outcomes: list[SampleOutcome], fallback: LevelExtras) -> LevelExtras:
    """Format and no-answer shares from logged samples (the results file's values where none were logged)."""
    fmt = [o.formatted for o in outcomes if o.formatted is not None]
    noans = [o.no_answer for o in outcomes if o.no_answer is not None]
    return LevelExtras(
        sum(fmt) / len(fmt) if fmt else fallback.format_rate,
        sum(noans) / len(noans) if noans else fallback.no_answer_rate,
        len(outcomes),
        from_samples=bool(fmt or noans),
    )


def _fill_lvb(run: RunResult, task_results: Any, n_info: dict[str, int] | None) -> None:
    """Table-3 cells of a run with ``longvideobench_r1`` results (see the module docstring for the rules)."""
    what = f"{run.name} LongVideoBench"
    acc = _metric(task_results if isinstance(task_results, dict) else None, LVB_METRIC[OVERALL])
    if acc is None:
        why = f"{LVB_TASK} has no {LVB_METRIC[OVERALL]}"
        _mark_missing(run, LVB_COLUMNS, why, "Table 3 missing")
        return
    extras = LevelExtras(_metric(task_results, FORMAT_METRIC), _metric(task_results, NO_ANSWER_METRIC))
    effective = (n_info or {}).get("effective")
    original = (n_info or {}).get("original")
    outcomes = run.samples.get(LVB)
    if outcomes:
        for c in LVB_COLUMNS:
            group = [o.correct for o in outcomes if in_column(o, c)]
            run.cells[c.key] = (
                Cell(sum(group), len(group)) if group else Cell(None, None, "no logged sample in this group")
            )
        correct, total = sum(o.correct for o in outcomes), len(outcomes)
        if abs(correct / total - acc) > 1e-6:
            note = f"logged samples give {correct}/{total}, results file says {acc:.4f}"
            run.cells[OVERALL] = Cell(correct, total, note)
            run.problems.append(f"{what}: {note}")
        if effective is not None and effective != total:
            run.problems.append(f"{what}: {total} samples logged but n-samples effective = {effective}")
        run.extras[LVB] = _sample_extras(outcomes, extras)
        return
    whole = effective is not None and effective == original == EXPECTED_TOTAL
    for c in LVB_COLUMNS:
        rate = _metric(task_results, LVB_METRIC[c.key])
        total = effective if c.key == OVERALL else (c.expected_total if whole else None)
        if rate is None:
            run.cells[c.key] = Cell(None, None, f"missing: no {LVB_METRIC[c.key]} in results")
        elif total is None:
            why = (
                "n unknown"
                if c.key == OVERALL
                else f"counts unknown: no logged samples and not all {EXPECTED_TOTAL} questions"
            )
            run.cells[c.key] = Cell(None, None, f"accuracy {100 * rate:.2f}; {why}")
        else:
            k, note = _count_from_rate(rate, total)
            if c.key == OVERALL and original is not None and total < original:
                note = (note + "; " if note else "") + f"--limit: {total} of {original} docs"
            elif c.key != OVERALL:
                note = (note + "; " if note else "") + "total from the release's sizes"
            run.cells[c.key] = Cell(k, total, note)
    if effective is None:
        run.problems.append(f"{what}: no n-samples for {LVB_TASK}; counts unknown")
    extras.n = effective
    run.extras[LVB] = extras


def _fill_domains_from_dataset(
    run: RunResult,
    task_results: dict[str, Any],
    effective: int | None,
    original: int | None,
    root: str | os.PathLike[str] | None,
) -> None:
    totals: Counter[str] | None = None
    why = "no logged samples and no dataset root (--root) for per-domain totals"
    if root is not None:
        if effective is None or original is None or effective != original:
            why = "no logged samples and the run did not cover the whole L3 split"
        else:
            try:
                from seedbench_r1.protocol.annotations import load_split

                data = load_split(root, "validation_L3")
                totals = Counter(getattr(r, "domain", "") for r in data)
                if sum(totals.values()) != effective:
                    why = f"dataset L3 has {sum(totals.values())} rows, the run {effective}"
                    totals = None
            except (OSError, ValueError) as exc:  # FileNotFoundError, AnnotationError (a ValueError)
                why = f"cannot read L3 annotations under {root}: {exc}"
    for c in COLUMNS:
        if not c.domain:
            continue
        acc = _metric(task_results, DOMAIN_METRIC[c.key])
        if acc is None:
            run.cells[c.key] = Cell(None, None, f"missing: no {DOMAIN_METRIC[c.key]} in results")
        elif totals is None:
            run.cells[c.key] = Cell(None, None, f"accuracy {100 * acc:.2f}; counts unknown: {why}")
        else:
            k, note = _count_from_rate(acc, totals[c.domain])
            run.cells[c.key] = Cell(
                k, totals[c.domain], (note + "; " if note else "") + "total from annotations"
            )


# ----------------------------------------------------------------------------------------------- samples


def _payloads(line: dict[str, Any]) -> list[dict[str, Any]]:
    """The line itself, then the dict-valued entries (per-metric payloads) in a fixed order."""
    out = [line]
    preferred = [LOG_KEY, ACC_METRIC, FORMAT_METRIC, NO_ANSWER_METRIC, *DOMAIN_METRIC.values()]
    for key in preferred + sorted(k for k in line if k not in preferred):
        value = line.get(key)
        if isinstance(value, dict) and key != "doc":
            out.append(value)
    if isinstance(line.get("doc"), dict):  # present when samples come straight from simple_evaluate
        out.append(line["doc"])
    return out


def _find(payloads: list[dict[str, Any]], names: tuple[str, ...]) -> Any:
    for p in payloads:
        for n in names:
            if p.get(n) is not None:
                return p[n]
    return None


def _value(entry: Any) -> float | None:
    """A per-sample metric value: a number, or a payload dict holding one under a known name."""
    if isinstance(entry, bool):
        return float(entry)
    if isinstance(entry, (int, float)):
        return float(entry)
    if isinstance(entry, dict):
        for n in VALUE_FIELDS:
            v = entry.get(n)
            if isinstance(v, (int, float)):
                return float(v)
    return None


def _letter(value: Any, letters: tuple[str, ...] = LETTERS) -> str | None:
    if isinstance(value, str) and value.strip().upper() in letters:
        return value.strip().upper()
    return None


def response_text(line: dict[str, Any]) -> str | None:
    """The first response logged for the sample (lmms-eval nests one list level per request and repeat)."""
    for name in RESPONSE_FIELDS:
        value = line.get(name)
        while isinstance(value, list) and value:
            value = value[0]
        if isinstance(value, str):
            return value
    return None


def read_samples(path: Path, level: str, unreadable: list[str]) -> list[SampleOutcome]:
    """Outcomes from one ``<date>_samples_<task>.jsonl``. A line that cannot be read, a sample logged twice
    and a file with no sample line are reported in ``unreadable`` (``FILE:LINE: why``, then a count), never
    dropped silently; only the lines that read are counted."""
    outcomes: list[SampleOutcome] = []
    bad: list[str] = []
    first_line: dict[str, int] = {}
    try:
        lines = list(json_lines(path, "lmms-eval samples file"))
    except SeedBenchError as exc:  # not a regular file, or over the bound
        unreadable.append(str(exc))
        return outcomes
    for lineno, line, reason in lines:
        if reason is None:
            try:
                outcome = _lvb_outcome(line) if level == LVB else _outcome(line, level)
                key = str(outcome.sample_id)
                if key in first_line:
                    raise ValueError(
                        f"sample {outcome.sample_id!r} logged twice (first at line {first_line[key]})"
                    )
                first_line[key] = lineno
                outcomes.append(outcome)
                continue
            except (ValueError, TypeError) as exc:
                reason = str(exc)
        bad.append(f"{path}:{lineno}: {reason}")
    if bad:
        more = f" (and {len(bad) - 1} more unreadable line(s))" if len(bad) > 1 else ""
        unreadable.append(bad[0] + more)
    if not lines:
        unreadable.append(f"{path}: no sample lines (an lmms-eval --log_samples file holds one per doc)")
    return outcomes


def _outcome(line: dict[str, Any], level: str) -> SampleOutcome:
    if not isinstance(line, dict):
        raise TypeError("sample line is not a JSON object")
    payloads = _payloads(line)
    correct = _value(line.get(ACC_METRIC))
    pred = _letter(_find(payloads, PRED_FIELDS))
    gold = _letter(_find(payloads, GOLD_FIELDS)) or _letter(line.get("target"))
    if correct is None:
        raise ValueError(f"no per-sample {ACC_METRIC} value")
    if correct not in (0.0, 1.0):
        raise ValueError(f"{ACC_METRIC} = {correct} is not 0/1")
    sample_id = _find(payloads, SAMPLE_ID_FIELDS)
    if sample_id is None:
        sample_id = f"doc{line.get('doc_id')}"
    domain = ""
    raw_domain = _find(payloads, DOMAIN_FIELDS)
    if level == "L3":
        if not isinstance(raw_domain, str):
            raise ValueError(f"L3 sample {sample_id!r} has no logged domain")
        try:
            # "Daily life" (the record) or "daily_life" (a metric payload's key form)
            domain = canonical_domain(raw_domain.replace("_", " "))
        except KeyError:
            raise ValueError(f"L3 sample {sample_id!r}: unknown domain {raw_domain!r}") from None
    fmt = _value(line.get(FORMAT_METRIC))
    noans = _value(line.get(NO_ANSWER_METRIC))
    return SampleOutcome(
        level=level,
        sample_id=sample_id,
        correct=int(correct),
        pred=pred,
        gold=gold,
        domain=domain,
        formatted=None if fmt is None else int(fmt),
        no_answer=None if noans is None else int(noans),
        response=response_text(line),
        prompt=line.get("input") if isinstance(line.get("input"), str) else None,
    )


def _lvb_outcome(line: dict[str, Any]) -> SampleOutcome:
    """One LongVideoBench sample line: ``lvb_r1_acc`` (0/1) and the ``lvb_r1_parsed`` record (id, pred, gold,
    duration_group, level; pred "" = no answer)."""
    if not isinstance(line, dict):
        raise TypeError("sample line is not a JSON object")
    record = line.get(LVB_LOG_KEY)
    if not isinstance(record, dict):
        raise ValueError(f"no {LVB_LOG_KEY} record")
    correct = _value(line.get(LVB_METRIC[OVERALL]))
    if correct not in (0.0, 1.0):
        raise ValueError(f"{LVB_METRIC[OVERALL]} = {correct} is not 0/1")
    sample_id = record.get("id")
    if sample_id is None:
        sample_id = f"doc{line.get('doc_id')}"
    group, level = record.get("duration_group"), record.get("level")
    if isinstance(group, bool) or group not in DURATION_GROUPS:
        raise ValueError(
            f"sample {sample_id!r}: duration_group {group!r} is not one of {sorted(DURATION_GROUPS)}"
        )
    if level not in LVB_LEVELS:
        raise ValueError(f"sample {sample_id!r}: level {level!r} is not one of {sorted(LVB_LEVELS)}")
    fmt = _value(line.get(FORMAT_METRIC))
    noans = _value(line.get(NO_ANSWER_METRIC))
    return SampleOutcome(
        level=LVB,
        sample_id=sample_id,
        correct=int(correct),  # type: ignore[arg-type]
        pred=_letter(record.get("pred"), OPTION_LETTERS),
        gold=_letter(record.get("gold"), OPTION_LETTERS) or _letter(line.get("target"), OPTION_LETTERS),
        domain="",
        formatted=None if fmt is None else int(fmt),
        no_answer=None if noans is None else int(noans),
        groups=(str(group), LVB_LEVELS[level][0]),
        response=response_text(line),
        prompt=line.get("input") if isinstance(line.get("input"), str) else None,
    )
