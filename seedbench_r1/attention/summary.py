"""The number behind "RL teaches the model to query visual inputs": per run, how much of a response span's
attention goes to the clip and the image, and over how many of the clip's temporal groups it spreads, split by
correct and wrong answers, with seeded bootstrap intervals.

Input: per run, the per-sample records ``seedbench-r1 attention`` writes; ``record["spans"][span]`` holds the
span's shares ``{"frame_groups": [...], "image", "prompt_text", "template", "response"}`` (summing to 1) or
null for an empty span (no ``<think>`` tag): such records are counted and left out.

Metrics per run and subset (all / correct / wrong answers), each a mean over samples:

- visual share: ``sum(frame_groups) + image``; video share ``sum(frame_groups)``; image share ``image``.
- effective frame groups: ``exp(H)`` with ``H`` the Shannon entropy (natural log, ``0 log 0 = 0``) of the
  frame-group shares renormalised to sum 1; 1 means one group gets all the video attention, ``G`` (the number
  of groups) means all get the same. Also as a fraction of ``G`` (per sample, then averaged). Samples without a
  clip (``frame_groups == []``) or with no attention on it at all are left out of this metric and counted.

Intervals: 95 % percentile bootstrap of the mean; ``n_boot`` resamples of the subset's samples drawn with
replacement from a fresh ``numpy.random.default_rng(seed)`` per interval (so an interval depends only on its
own values, the seed and ``n_boot``). A subset with no sample shows "n/a (0 samples)", never 0.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from seedbench_r1.files import write_text, write_with
from seedbench_r1.protocol.errors import SeedBenchError, UsageError
from seedbench_r1.report.table import md_table

SPANS = ("all", "think", "answer")
SUBSETS = ("all", "correct", "wrong")
SCALAR_KINDS = ("image", "prompt_text", "template", "response")
NA = "n/a (0 samples)"
# Shares are softmax rows averaged over heads and layers, so they sum to 1 up to rounding (bf16 weights round
# each value to ~0.4 %); a larger gap means the record holds something else.
SUM_TOLERANCE = 0.02


class AttentionSummaryError(SeedBenchError, ValueError):
    """A record that cannot be summarised: names the run, the sample id and the field, on one line."""

    def __init__(self, run: str, sample_id: object, index: int, field: str, reason: str) -> None:
        self.run, self.sample_id, self.index, self.field, self.reason = run, sample_id, index, field, reason
        sid = "?" if sample_id is None else repr(sample_id)
        super().__init__(f"run {run!r}, sample {sid} (record {index + 1}), field {field!r}: {reason}")


@dataclass(frozen=True)
class Shares:
    frame_groups: tuple[float, ...]
    image: float

    @property
    def video(self) -> float:
        return float(sum(self.frame_groups))

    @property
    def visual(self) -> float:
        return self.video + self.image


@dataclass(frozen=True)
class Estimate:
    mean: float
    low: float
    high: float


@dataclass(frozen=True)
class SubsetSummary:
    run: str
    subset: str  # "all", "correct" or "wrong"
    n: int  # samples with a non-empty span
    null_span: int  # records of this subset whose span is null (left out)
    visual: Estimate | None
    video: float | None
    image: float | None
    spread_n: int  # samples in the frame-spread metric
    no_clip: int  # left out of it: frame_groups == []
    zero_video: int  # left out of it: a clip with no attention on it
    eff_groups: Estimate | None
    eff_fraction: Estimate | None
    groups: tuple[int, ...]  # distinct numbers of frame groups among the spread samples


@dataclass(frozen=True)
class SummaryFiles:
    csv: Path
    markdown: Path
    png: Path
    lines: list[str]
    rows: list[SubsetSummary]


# ----------------------------------------------------------------------------------------------- metrics


def bootstrap_mean(values: Sequence[float], *, n_boot: int = 2000, seed: int = 0) -> Estimate | None:
    """Mean and 95 % percentile bootstrap interval (resampling the values with replacement); None if empty."""
    x = np.asarray(values, dtype=float)
    if x.size == 0:
        return None
    idx = np.random.default_rng(seed).integers(0, x.size, size=(n_boot, x.size))
    lo, hi = np.percentile(x[idx].mean(axis=1), [2.5, 97.5])
    return Estimate(float(x.mean()), float(lo), float(hi))


def effective_groups(frame_groups: Sequence[float]) -> float | None:
    """``exp`` of the Shannon entropy of the renormalised shares; None without a clip or video mass."""
    total = float(sum(frame_groups))
    if not frame_groups or total <= 0:
        return None
    p = np.asarray(frame_groups, dtype=float) / total
    p = p[p > 0]  # 0 log 0 = 0
    return float(np.exp(-np.sum(p * np.log(p))))


# ----------------------------------------------------------------------------------------------- input


def _number(run: str, sid: object, index: int, field: str, value: object) -> float:
    # bool is an int subclass but never a share; NaN / inf would poison every mean silently.
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise AttentionSummaryError(run, sid, index, field, f"not a number: {_short(value)}")
    share = float(value) if isinstance(value, float) or abs(value) < 2**63 else math.inf
    if not math.isfinite(share) or share < 0:
        raise AttentionSummaryError(run, sid, index, field, f"not a finite share >= 0: {_short(value)}")
    return share


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def parse_record(run: str, index: int, record: object, span: str) -> tuple[object, bool, Shares | None]:
    """``(sample_id, correct, shares or None for a null span)``; raises AttentionSummaryError."""
    if not isinstance(record, dict):
        raise AttentionSummaryError(run, None, index, "<record>", f"not a JSON object: {_short(record)}")
    sid = record.get("sample_id")
    if sid is None:
        raise AttentionSummaryError(run, None, index, "sample_id", "missing")
    correct = record.get("correct")
    if not isinstance(correct, bool):
        reason = "missing" if "correct" not in record else f"not true/false: {_short(correct)}"
        raise AttentionSummaryError(run, sid, index, "correct", reason)
    spans = record.get("spans")
    if not isinstance(spans, dict):
        reason = "missing" if "spans" not in record else f"not an object: {_short(spans)}"
        raise AttentionSummaryError(run, sid, index, "spans", reason)
    field = f"spans.{span}"
    if span not in spans:
        raise AttentionSummaryError(run, sid, index, field, "missing (null marks an empty span)")
    s = spans[span]
    if s is None:
        return sid, correct, None
    if not isinstance(s, dict):
        raise AttentionSummaryError(run, sid, index, field, f"not an object or null: {_short(s)}")
    for key in ("frame_groups", *SCALAR_KINDS):
        if key not in s:
            raise AttentionSummaryError(run, sid, index, f"{field}.{key}", "missing")
    if not isinstance(s["frame_groups"], list):
        raise AttentionSummaryError(
            run, sid, index, f"{field}.frame_groups", f"not a list: {_short(s['frame_groups'])}"
        )
    groups = tuple(
        _number(run, sid, index, f"{field}.frame_groups[{i}]", v) for i, v in enumerate(s["frame_groups"])
    )
    scalars = {k: _number(run, sid, index, f"{field}.{k}", s[k]) for k in SCALAR_KINDS}
    total = sum(groups) + sum(scalars.values())
    if abs(total - 1.0) > SUM_TOLERANCE:
        raise AttentionSummaryError(
            run, sid, index, field, f"shares sum to {total:.4f}, not 1 (tolerance {SUM_TOLERANCE})"
        )
    return sid, correct, Shares(groups, scalars["image"])


# ----------------------------------------------------------------------------------------------- summary


def _subset(
    run: str, subset: str, shares: list[Shares], null_span: int, *, n_boot: int, seed: int
) -> SubsetSummary:
    spread = [(effective_groups(s.frame_groups), len(s.frame_groups)) for s in shares]
    kept = [(e, g) for e, g in spread if e is not None]
    no_clip = sum(1 for s in shares if not s.frame_groups)
    return SubsetSummary(
        run=run,
        subset=subset,
        n=len(shares),
        null_span=null_span,
        visual=bootstrap_mean([s.visual for s in shares], n_boot=n_boot, seed=seed),
        video=float(np.mean([s.video for s in shares])) if shares else None,
        image=float(np.mean([s.image for s in shares])) if shares else None,
        spread_n=len(kept),
        no_clip=no_clip,
        zero_video=len(shares) - len(kept) - no_clip,
        eff_groups=bootstrap_mean([e for e, _ in kept], n_boot=n_boot, seed=seed),
        eff_fraction=bootstrap_mean([e / g for e, g in kept], n_boot=n_boot, seed=seed),
        groups=tuple(sorted({g for _, g in kept})),
    )


def summarize(
    records: dict[str, list[dict]], *, span: str = "all", seed: int = 0, n_boot: int = 2000
) -> list[SubsetSummary]:
    """Rows in run order (the dict's), each run's subsets in the order all, correct, wrong."""
    if span not in SPANS:
        raise UsageError(f"span must be one of {', '.join(SPANS)}, got {span!r}")
    if n_boot < 1:
        raise UsageError(f"--n-boot must be at least 1, got {n_boot}")
    if not records:
        raise UsageError("the attention summary needs at least one run")
    rows: list[SubsetSummary] = []
    for run, recs in records.items():
        kept: dict[str, list[Shares]] = {k: [] for k in SUBSETS}
        nulls = dict.fromkeys(SUBSETS, 0)
        seen: set[str] = set()
        for i, rec in enumerate(recs):
            sid, correct, shares = parse_record(run, i, rec, span)
            if repr(sid) in seen:  # one sample twice would weigh twice in every mean
                raise AttentionSummaryError(run, sid, i, "sample_id", "appears twice in this run")
            seen.add(repr(sid))
            for subset in ("all", "correct" if correct else "wrong"):
                if shares is None:
                    nulls[subset] += 1
                else:
                    kept[subset].append(shares)
        rows += [_subset(run, k, kept[k], nulls[k], n_boot=n_boot, seed=seed) for k in SUBSETS]
    return rows


# ----------------------------------------------------------------------------------------------- output

CSV_HEADER = [
    "run", "subset", "span", "n", "null_span", "visual_mean", "visual_ci_low", "visual_ci_high",
    "video_mean", "image_mean", "spread_n", "spread_no_clip", "spread_zero_video", "eff_groups_mean",
    "eff_groups_ci_low", "eff_groups_ci_high", "eff_fraction_mean", "eff_fraction_ci_low",
    "eff_fraction_ci_high", "groups", "n_boot", "seed", "note",
]  # fmt: skip


def _f(x: float | None) -> str:
    return "" if x is None else f"{x:.6f}"


def _est(e: Estimate | None) -> list[str]:
    return ["", "", ""] if e is None else [_f(e.mean), _f(e.low), _f(e.high)]


def summary_csv(rows: Sequence[SubsetSummary], *, span: str, n_boot: int, seed: int) -> str:
    """Shares as fractions in [0, 1]; an empty cell is blank with its reason in ``note``."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_HEADER)
    for r in rows:
        notes = []
        if r.n == 0:
            notes.append(f"shares {NA}")
        elif r.spread_n == 0:
            notes.append(f"frame spread {NA}")
        w.writerow(
            [r.run, r.subset, span, r.n, r.null_span, *_est(r.visual), _f(r.video), _f(r.image),
             r.spread_n, r.no_clip, r.zero_video, *_est(r.eff_groups), *_est(r.eff_fraction),
             "/".join(map(str, r.groups)), n_boot, seed, "; ".join(notes)]
        )  # fmt: skip
    return buf.getvalue()


def _pct(x: float | None) -> str:
    return NA if x is None else f"{100 * x:.1f}%"


def _pct_ci(e: Estimate | None) -> str:
    return NA if e is None else f"{100 * e.mean:.1f}% [{100 * e.low:.1f}, {100 * e.high:.1f}]"


def _num_ci(e: Estimate | None) -> str:
    return NA if e is None else f"{e.mean:.2f} [{e.low:.2f}, {e.high:.2f}]"


def _left_out(r: SubsetSummary) -> str:
    parts = [f"{r.no_clip} no clip"] if r.no_clip else []
    parts += [f"{r.zero_video} zero video share"] if r.zero_video else []
    return f"{r.spread_n}" + (f" ({', '.join(parts)} left out)" if parts else "")


TABLE_HEADER = [
    "run", "subset", "n", "visual share [95% CI]", "video", "image",
    "eff. frame groups [95% CI]", "of groups [95% CI]", "spread n",
]  # fmt: skip


def _table_body(rows: Sequence[SubsetSummary]) -> list[list[str]]:
    return [
        [r.run, r.subset, str(r.n), _pct_ci(r.visual), _pct(r.video), _pct(r.image),
         _num_ci(r.eff_groups), _pct_ci(r.eff_fraction), _left_out(r)]
        for r in rows
    ]  # fmt: skip


def _notes(rows: Sequence[SubsetSummary], span: str) -> list[str]:
    notes = []
    for r in rows:
        if r.subset == "all" and r.null_span:
            by = {x.subset: x.null_span for x in rows if x.run == r.run}
            notes.append(
                f"{r.run}: {r.null_span} record(s) with an empty `{span}` span left out "
                f"({by['correct']} correct, {by['wrong']} wrong)"
            )
    return notes


def summary_lines(rows: Sequence[SubsetSummary], *, span: str, n_boot: int, seed: int) -> list[str]:
    """The table as printed to a terminal: aligned columns, then the left-out records."""
    body = _table_body(rows)
    widths = [max(len(h), *(len(b[i]) for b in body)) for i, h in enumerate(TABLE_HEADER)]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    lines = [f"attention summary, span {span!r} (bootstrap: {n_boot} resamples, seed {seed})"]
    lines += [fmt.format(*TABLE_HEADER).rstrip(), "  ".join("-" * w for w in widths)]
    lines += [fmt.format(*b).rstrip() for b in body]
    return lines + _notes(rows, span)


def summary_markdown(
    rows: Sequence[SubsetSummary], *, span: str, n_boot: int, seed: int, png_name: str
) -> str:
    parts = [
        f"# Attention summary: response span `{span}`",
        "",
        "Per run and subset (all / correct / wrong answers), means over samples of the span's attention "
        "shares. *visual* = video + image. *eff. frame groups* = exp(Shannon entropy) of the frame-group "
        "shares renormalised to sum 1 (1: one group gets all the video attention; G: all groups alike), "
        "also as a fraction of the number of groups G; samples without a clip or with no attention on it "
        "are left out of it (*spread n* says how many).",
        "",
        f"Intervals: 95% percentile bootstrap of the mean, {n_boot} resamples of the samples with "
        f"replacement, `numpy.random.default_rng({seed})` fresh per interval. "
        f"An empty subset shows \u201c{NA}\u201d.",
        "",
        md_table(TABLE_HEADER, _table_body(rows)),
        "",
    ]
    notes = _notes(rows, span)
    if notes:
        parts += ["Left out:", "", *(f"- {n}" for n in notes), ""]
    parts += [f"![visual share and frame spread]({png_name})", ""]
    return "\n".join(parts)


def summary_chart(rows: Sequence[SubsetSummary], path: Path, *, span: str) -> Path:
    """Two panels (visual share, effective frame groups): a bar group per run, a bar per subset."""
    import matplotlib

    matplotlib.use("Agg")  # files only; no display on CI or GPU hosts
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    runs = list(dict.fromkeys(r.run for r in rows))
    cells = {(r.run, r.subset): r for r in rows}
    width = 0.8 / len(SUBSETS)
    x = np.arange(len(runs))
    fig, axes = plt.subplots(1, 2, figsize=(max(9.0, 2.4 * len(runs) + 3), 4.8), dpi=110)
    panels = [
        (axes[0], lambda r: r.visual, 100.0, "visual share (%)"),
        (axes[1], lambda r: r.eff_groups, 1.0, "effective frame groups"),
    ]
    colors = {"all": "0.6", "correct": "tab:green", "wrong": "tab:red"}
    for ax, get, scale, label in panels:
        drawn = False
        for j, subset in enumerate(SUBSETS):
            xs, hs, lo, hi = [], [], [], []
            for i, run in enumerate(runs):
                xpos = x[i] - 0.4 + width * (j + 0.5)
                est = get(cells[(run, subset)])
                if est is None:  # a gap is labelled, never drawn as 0
                    ax.text(xpos, 0, "n/a", rotation=90, ha="center", va="bottom", fontsize=7)
                    continue
                drawn = True
                xs.append(xpos)
                hs.append(scale * est.mean)
                lo.append(scale * (est.mean - est.low))
                hi.append(scale * (est.high - est.mean))
            ax.bar(xs, hs, width, color=colors[subset], edgecolor="black", linewidth=0.4)
            ax.errorbar(xs, hs, yerr=[lo, hi], fmt="none", ecolor="black", capsize=2, linewidth=0.8)
        ax.set_xticks(x, runs, fontsize=9)
        ax.set_xlim(-0.5, len(runs) - 0.5)  # fixed, so n/a labels in an empty panel stay inside it
        ax.set_ylabel(label)
        ax.set_ylim(0, None if drawn else 1)
        ax.grid(axis="y", alpha=0.3)
    groups = {g for r in rows for g in r.groups}
    if len(groups) == 1:  # the ceiling of the effective count, when every clip has the same G
        g = groups.pop()
        axes[1].axhline(g, color="grey", linestyle=":", linewidth=1)
        axes[1].annotate(f"all {g} groups alike", xy=(0.01, g), xycoords=("axes fraction", "data"),
                         xytext=(0, 2), textcoords="offset points", fontsize=7, color="grey")  # fmt: skip
        axes[1].set_ylim(0, g * 1.1)
    # Patches, not the bars: a subset with no bar at all would get a default colour in the legend.
    handles = [Patch(facecolor=colors[k], edgecolor="black", linewidth=0.4, label=k) for k in SUBSETS]
    axes[0].legend(handles=handles, fontsize=8, frameon=False)
    fig.suptitle(f"Attention of the `{span}` response span (95% bootstrap intervals)", fontsize=11)
    fig.tight_layout()
    try:
        return write_with(path, lambda tmp: fig.savefig(tmp, format="png"))
    finally:
        plt.close(fig)


def summarize_runs(
    records: dict[str, list[dict]],
    out_dir: Path,
    *,
    seed: int = 0,
    n_boot: int = 2000,
    span: str = "all",
) -> SummaryFiles:
    """Write ``attention_summary_<span>.{csv,md,png}`` into ``out_dir`` (atomically) for runs side by side."""
    rows = summarize(records, span=span, seed=seed, n_boot=n_boot)
    out_dir = Path(out_dir)
    stem = f"attention_summary_{span}"
    png = summary_chart(rows, out_dir / f"{stem}.png", span=span)
    csv_path = write_text(out_dir / f"{stem}.csv", summary_csv(rows, span=span, n_boot=n_boot, seed=seed))
    md = summary_markdown(rows, span=span, n_boot=n_boot, seed=seed, png_name=png.name)
    md_path = write_text(out_dir / f"{stem}.md", md)
    lines = summary_lines(rows, span=span, n_boot=n_boot, seed=seed)
    return SummaryFiles(csv=csv_path, markdown=md_path, png=png, lines=lines, rows=rows)
