"""Completion length and accuracy (the paper's Section 5.2) from the responses lmms-eval logged.

A response's length is its number of tokens under the run's tokenizer (``--tokenizer [LABEL=]PATH``; no
special tokens added) or, without one, its number of words (whitespace split). Per run and level: the length
distribution (n, mean, median, p10, p90, min, max) and the accuracy per length bin with counts and Wilson 95%
intervals.

Bins are shared by every run of a report so that their rows compare: per level and unit (tokens / words), the
edges are the 0, 25, 50, 75 and 100% quantiles (numpy's linear interpolation) of all runs' lengths pooled.
Equal edges merge (many equal lengths can leave fewer than four bins). Bin 1 is ``[e0, e1]``, bin i > 1 is
``(e(i-1), e(i)]``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from seedbench_r1.files import write_with
from seedbench_r1.protocol.errors import SeedBenchError
from seedbench_r1.report.lvb import LVB
from seedbench_r1.report.paper import LEVELS, Cell
from seedbench_r1.report.results import RunResult
from seedbench_r1.report.stats import wilson
from seedbench_r1.report.table import format_cell, md_table

QUANTILES = (0.0, 0.25, 0.5, 0.75, 1.0)  # bin edges: quartiles of the pooled lengths
LEVEL_ORDER = (*LEVELS, LVB)
WORDS = "words"
TOKENS = "tokens"
DIST_STATS = ("mean", "median", "p10", "p90", "min", "max")

LengthFn = Callable[[list[str]], list[int]]


class LengthError(SeedBenchError):
    """A ``--tokenizer`` value that cannot be used (no such run label, a tokenizer that does not load)."""


@dataclass(frozen=True)
class Unit:
    kind: str  # TOKENS or WORDS
    source: str  # the tokenizer path, or "whitespace split"

    @property
    def label(self) -> str:
        return f"{self.kind} ({self.source})"


@dataclass(frozen=True)
class Dist:
    run: str
    level: str
    unit: Unit
    lengths: tuple[int, ...]
    missing: int  # samples logged without a response text

    def stat(self, name: str) -> float:
        x = np.asarray(self.lengths, dtype=float)
        funcs = {"mean": np.mean, "median": np.median, "min": np.min, "max": np.max}
        if name in funcs:
            return float(funcs[name](x))
        return float(np.percentile(x, int(name[1:])))  # "p10", "p90"


@dataclass(frozen=True)
class BinCount:
    run: str
    level: str
    unit: Unit
    index: int  # 1-based
    low: float
    high: float
    correct: int
    total: int

    @property
    def range_text(self) -> str:
        return f"{'[' if self.index == 1 else '('}{self.low:g}, {self.high:g}]"

    @property
    def cell(self) -> Cell:
        return Cell(self.correct, self.total, "" if self.total else "no sample in this bin")


@dataclass
class LengthReport:
    dists: list[Dist] = field(default_factory=list)
    bins: list[BinCount] = field(default_factory=list)
    edges: dict[tuple[str, str], list[float]] = field(default_factory=dict)  # (level, unit kind) -> edges
    units: dict[str, Unit] = field(default_factory=dict)  # run -> unit, runs with lengths only
    without: list[str] = field(default_factory=list)  # one line per run that has no lengths

    @property
    def has_data(self) -> bool:
        return bool(self.dists)


# ----------------------------------------------------------------------------------------------- units


def word_counts(texts: list[str]) -> list[int]:
    return [len(t.split()) for t in texts]


def load_token_counter(path: str) -> LengthFn:
    """Token counts under the tokenizer saved at ``path`` (a checkpoint folder; local files only)."""
    if not Path(path).is_dir():
        raise LengthError(
            f"--tokenizer {path}: no such folder (expected a checkpoint folder with tokenizer files)"
        )
    try:
        from transformers import AutoTokenizer

        tok = AutoTokenizer.from_pretrained(path, local_files_only=True)
    except Exception as exc:  # ImportError, OSError, ValueError, ...: any of them means "cannot use it"
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise LengthError(f"--tokenizer {path}: cannot load a tokenizer from it ({first})") from None

    def count(texts: list[str]) -> list[int]:
        return [len(ids) for ids in tok(texts, add_special_tokens=False)["input_ids"]] if texts else []

    return count


def _matches(label: str, run: str) -> bool:
    # A LABEL=PATH run holding several model folders is named "LABEL/<folder>" (results.load_runs).
    return run == label or run.startswith(label + "/")


def resolve_units(
    tokenizer_args: Sequence[str], run_names: Sequence[str]
) -> dict[str, tuple[Unit, LengthFn]]:
    """Each run's unit and counter: its own ``LABEL=PATH`` tokenizer, else the plain ``PATH`` one, else words.

    Raises LengthError for a label that names no run, two plain PATHs, or a tokenizer that does not load.
    """
    default: str | None = None
    by_label: dict[str, str] = {}
    for arg in tokenizer_args:
        if "=" in arg and not Path(arg).exists():
            label, _, path = arg.partition("=")
            if not any(_matches(label, n) for n in run_names):
                names = ", ".join(run_names) or "none"
                raise LengthError(f"--tokenizer {arg}: no run is labelled {label!r} (runs: {names})")
            by_label[label] = path
        elif default is not None:
            raise LengthError("--tokenizer: give at most one PATH for all runs (per run: LABEL=PATH)")
        else:
            default = arg
    loaded: dict[str, LengthFn] = {}
    out: dict[str, tuple[Unit, LengthFn]] = {}
    for name in run_names:
        path = next((p for lab, p in by_label.items() if _matches(lab, name)), default)
        if path is None:
            out[name] = (Unit(WORDS, "whitespace split"), word_counts)
        else:
            if path not in loaded:
                loaded[path] = load_token_counter(path)
            out[name] = (Unit(TOKENS, path), loaded[path])
    return out


# ----------------------------------------------------------------------------------------------- analysis


def bin_edges(lengths: Sequence[int]) -> list[float]:
    """The documented rule: quartile edges of the pooled lengths, equal edges merged (at least one bin)."""
    edges = sorted({float(q) for q in np.quantile(np.asarray(lengths, dtype=float), QUANTILES)})
    return edges if len(edges) > 1 else edges * 2


def bin_index(length: float, edges: Sequence[float]) -> int:
    """0-based bin of ``length``: the number of inner edges strictly below it."""
    return int(np.searchsorted(np.asarray(edges[1:-1]), length, side="left"))


def analyse(runs: Sequence[RunResult], tokenizer_args: Sequence[str] = ()) -> LengthReport:
    """Lengths, their distribution and accuracy per length bin for every run and level with responses."""
    units = resolve_units(tokenizer_args, [r.name for r in runs])
    report = LengthReport()
    outcomes: dict[tuple[str, str], list[int]] = {}  # (run, level) -> correct per measured sample
    for run in runs:
        unit, count = units[run.name]
        if not run.has_samples:
            report.without.append(f"{run.name}: no logged samples (lmms-eval --log_samples)")
            continue
        for level in [lv for lv in LEVEL_ORDER if run.samples.get(lv)]:
            measured = [o for o in run.samples[level] if o.response is not None]
            if not measured:
                continue
            lengths = count([o.response for o in measured])  # type: ignore[misc]
            missing = len(run.samples[level]) - len(measured)
            report.dists.append(Dist(run.name, level, unit, tuple(lengths), missing))
            outcomes[(run.name, level)] = [o.correct for o in measured]
            report.units[run.name] = unit
        if run.name not in report.units:
            report.without.append(f"{run.name}: the logged samples hold no response text")
    # Level-major order: the runs' rows for one level (and its shared bins) sit together.
    report.dists.sort(key=lambda d: LEVEL_ORDER.index(d.level))
    pooled: dict[tuple[str, str], list[int]] = {}
    for d in report.dists:
        pooled.setdefault((d.level, d.unit.kind), []).extend(d.lengths)
    report.edges = {key: bin_edges(lengths) for key, lengths in pooled.items()}
    for d in report.dists:
        edges = report.edges[(d.level, d.unit.kind)]
        correct = [0] * (len(edges) - 1)
        total = [0] * (len(edges) - 1)
        for length, ok in zip(d.lengths, outcomes[(d.run, d.level)], strict=True):
            i = bin_index(length, edges)
            correct[i] += ok
            total[i] += 1
        report.bins += [
            BinCount(d.run, d.level, d.unit, i + 1, edges[i], edges[i + 1], correct[i], total[i])
            for i in range(len(edges) - 1)
        ]
    return report


# ----------------------------------------------------------------------------------------------- outputs


def _fmt(d: Dist, stat: str, digits: int) -> str:
    value = d.stat(stat)
    return str(int(value)) if stat in ("min", "max") else f"{value:.{digits}f}"  # lengths are whole


def dist_csv(report: LengthReport) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["run", "level", "unit", "tokenizer", "n", *DIST_STATS, "no_response"])
    for d in report.dists:
        tokenizer = d.unit.source if d.unit.kind == TOKENS else ""
        stats = [_fmt(d, s, 4) for s in DIST_STATS]
        w.writerow([d.run, d.level, d.unit.kind, tokenizer, len(d.lengths), *stats, d.missing])
    return buf.getvalue()


def bins_csv(report: LengthReport) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["run", "level", "unit", "bin", "low", "high", "range", "correct", "total", "pct",
                "wilson95_low", "wilson95_high"])  # fmt: skip
    for b in report.bins:
        row = [b.run, b.level, b.unit.kind, b.index, f"{b.low:g}", f"{b.high:g}", b.range_text]
        row += [b.correct, b.total]
        if b.total:
            lo, hi = wilson(b.correct, b.total)
            row += [f"{100 * b.correct / b.total:.4f}", f"{100 * lo:.4f}", f"{100 * hi:.4f}"]
        else:
            row += ["", "", ""]  # an empty bin has no accuracy
        w.writerow(row)
    return buf.getvalue()


def section_md(report: LengthReport, png_name: str = "length.png") -> list[str]:
    md = [
        "## Completion length and accuracy",
        "",
        "Does a longer response go with a higher accuracy? (The paper's Section 5.2: not before RL.) Length of "
        "the response the model generated: tokens of the run's tokenizer (no special tokens) when `--tokenizer` "
        "gives one, else words (whitespace split).",
        "",
    ]
    kinds = {u.label for u in report.units.values()}
    if len(kinds) == 1:
        md += [f"Length unit for every run: {kinds.pop()}.", ""]
    else:
        per_run = "; ".join(f"{r}: {u.label}" for r, u in report.units.items())
        md += [f"Length unit per run: {per_run}.", ""]
    edges = "; ".join(
        f"{level} ({kind}): " + ", ".join(f"{e:g}" for e in report.edges[(level, kind)])
        for level in LEVEL_ORDER
        for kind in (TOKENS, WORDS)
        if (level, kind) in report.edges
    )
    md += [
        "Bins, shared by all runs: per level and unit, the 0/25/50/75/100% quantiles of every run's lengths "
        f"pooled (equal edges merged); bin 1 is [e0, e1], later bins (lower, upper]. Edges: {edges}.",
        "",
        "### Length distribution",
        "",
    ]
    rows = [
        [d.level, d.run, d.unit.kind, str(len(d.lengths)), *(_fmt(d, s, 1) for s in DIST_STATS)]
        for d in report.dists
    ]
    md += [md_table(["level", "run", "unit", "n", *DIST_STATS], rows), ""]
    if any(d.missing for d in report.dists):
        gaps = "; ".join(f"{d.run} {d.level}: {d.missing}" for d in report.dists if d.missing)
        md += [f"Samples logged without response text (left out): {gaps}.", ""]
    md += [
        "### Accuracy by length bin",
        "",
        "Accuracy (%) as `pct (correct/total) [95% Wilson interval]`.",
        "",
    ]
    # Sorted by level, unit and bin (stable: runs keep their order), so the runs of one bin sit together.
    by_bin = sorted(report.bins, key=lambda b: (LEVEL_ORDER.index(b.level), b.unit.kind, b.index))
    rows = [
        [b.level, str(b.index), f"{b.range_text} {b.unit.kind}", b.run, format_cell(b.cell)] for b in by_bin
    ]
    md += [md_table(["level", "bin", "length", "run", "accuracy"], rows), ""]
    if report.without:
        md += ["Runs without lengths:", ""] + [f"- {line}" for line in report.without] + [""]
    return md + [f"![accuracy by completion length]({png_name})", ""]


def length_chart(report: LengthReport, path: Path) -> Path:
    """Top row: length distribution per run (box: quartiles and median, whiskers: the lengths within p10..p90,
    white dot: mean); bottom row: accuracy per length bin with Wilson error bars and counts, runs as series.
    One column per (level, unit)."""
    import matplotlib

    matplotlib.use("Agg")  # files only; no display on CI or GPU hosts
    import matplotlib.pyplot as plt

    panels = [(lv, k) for lv in LEVEL_ORDER for k in (TOKENS, WORDS) if (lv, k) in report.edges]
    runs = list(dict.fromkeys(d.run for d in report.dists))
    colour = {r: plt.get_cmap("tab10")(i % 10) for i, r in enumerate(runs)}
    fig, axes = plt.subplots(2, len(panels), figsize=(4.5 * len(panels) + 1, 7.5), dpi=120, squeeze=False)
    for j, (level, kind) in enumerate(panels):
        top, bottom = axes[0][j], axes[1][j]
        dists = [d for d in report.dists if (d.level, d.unit.kind) == (level, kind)]
        box = top.boxplot(
            [d.lengths for d in dists],
            whis=(10, 90),
            showfliers=False,
            showmeans=True,
            patch_artist=True,
            medianprops={"color": "black"},
            meanprops={
                "marker": "o",
                "markersize": 4,
                "markerfacecolor": "white",
                "markeredgecolor": "black",
            },
        )
        for patch, d in zip(box["boxes"], dists, strict=True):
            patch.set_facecolor(colour[d.run])
            patch.set_alpha(0.6)
        top.set_xticks(range(1, len(dists) + 1), [d.run for d in dists], rotation=20, fontsize=8)
        top.set_title(f"{level}: response length ({kind})", fontsize=10)
        top.grid(axis="y", alpha=0.3)
        width = 0.6 / len(dists)
        for i, d in enumerate(dists):
            bins = [
                b for b in report.bins if (b.run, b.level, b.unit.kind) == (d.run, level, kind) and b.total
            ]
            xs = [b.index - 0.3 + width * (i + 0.5) for b in bins]
            acc = [100 * b.correct / b.total for b in bins]
            ci = [wilson(b.correct, b.total) for b in bins]
            err = [[a - 100 * lo for a, (lo, _) in zip(acc, ci, strict=True)],
                   [100 * hi - a for a, (_, hi) in zip(acc, ci, strict=True)]]  # fmt: skip
            bottom.errorbar(
                xs, acc, yerr=err, fmt="o-", color=colour[d.run], capsize=3, label=d.run, markersize=4
            )
            for x, a, b in zip(xs, acc, bins, strict=True):
                bottom.annotate(f"{b.correct}/{b.total}", (x, a), xytext=(3, 3), textcoords="offset points",
                                fontsize=6, color=colour[d.run])  # fmt: skip
        ticks = [
            b.range_text for b in report.bins if (b.run, b.level, b.unit.kind) == (dists[0].run, level, kind)
        ]
        bottom.set_xticks(range(1, len(ticks) + 1), ticks, fontsize=8)
        bottom.set_xlabel(f"length bin ({kind})", fontsize=9)
        bottom.set_ylim(0, 108)  # room for a count label above 100%
        bottom.set_title(f"{level}: accuracy by length (95% Wilson)", fontsize=10)
        bottom.grid(axis="y", alpha=0.3)
        if j == 0:
            bottom.set_ylabel("accuracy (%)", fontsize=10)
            top.set_ylabel(kind, fontsize=10)
        bottom.legend(fontsize=7, loc="best", frameon=False)
    fig.tight_layout()
    try:
        return write_with(path, lambda tmp: fig.savefig(tmp, format="png"))
    finally:
        plt.close(fig)
