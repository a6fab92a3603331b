"""Training curves from verl 0.9.1's local metric logs (``seedbench-r1 curves``).

verl's ``Tracking`` (verl/utils/tracking.py) has three backends that write local files:
- ``file`` (``FileLogger``): one JSON object per ``log`` call, ``{"step": N, "data": {metric: value}}``, to
  ``$VERL_FILE_LOGGER_PATH`` or ``$VERL_FILE_LOGGER_ROOT/<project>/<experiment>.jsonl`` (root default ``.``).
  Lossless, line-oriented, no extra dependency: the primary format read here.
- ``tensorboard``: event files under ``$TENSORBOARD_DIR`` (default ``tensorboard_log/<project>/<experiment>``);
  read with tensorboard's own ``EventAccumulator`` when the ``tensorboard`` package is installed.
- ``console``: ``step:N - key:value - ...`` lines mixed with everything else a run prints; not parsed (lossy
  formatting, no guarantee a line is not interleaved with another process's output).

Series (metric names as verl's ``compute_data_metrics`` / ``_val_metrics_update`` write them):
- accuracy reward: ``critic/score/mean`` (the sequence score before any KL-in-reward penalty; with the
  project's reward at ``format_weight=0`` it is the accuracy), else ``critic/rewards/mean``;
- mean response length: ``response_length/mean`` (tokens);
- validation per level: ``val-core/<data_source>/<var>/mean@<n>`` (data sources ``seedbench_r1_l1`` ...; var
  ``acc`` when the reward returns it, else ``reward``).
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from seedbench_r1.files import json_lines, write_text, write_with
from seedbench_r1.protocol.errors import SeedBenchError

ACC_KEYS = ("critic/score/mean", "critic/rewards/mean")
LENGTH_KEY = "response_length/mean"
VAL_RE = re.compile(r"^val-core/(?P<source>[^/]+)/(?P<var>[^/]+)/(?P<stat>mean@\d+)$")

Series = dict[str, list[tuple[int, float]]]  # metric -> sorted (step, value)


class CurvesError(SeedBenchError):
    """A LOG argument that cannot be read as verl metrics."""


@dataclass
class MetricLog:
    label: str
    path: Path
    kind: str  # "jsonl" or "tensorboard"
    series: Series
    problems: list[str] = field(default_factory=list)

    def accuracy_key(self) -> str | None:
        return next((k for k in ACC_KEYS if self.series.get(k)), None)

    def val_keys(self) -> list[str]:
        return sorted(k for k in self.series if VAL_RE.match(k))


def _is_number(v: object) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(float(v))


def read_jsonl(path: Path, label: str | None = None) -> MetricLog:
    """verl's ``file`` logger output. Later lines win for a metric logged twice at one step. Unreadable lines
    and non-finite values (NaN / Inf: a diverged run) are left out of the curves and listed in ``problems``."""
    by_step: dict[str, dict[int, float]] = {}
    problems: list[str] = []
    bad = 0
    non_finite: list[str] = []
    for lineno, obj, reason in json_lines(path, "verl metrics log"):
        if reason is None:
            if (
                not isinstance(obj, dict)
                or not isinstance(obj.get("step"), int)
                or not isinstance(obj.get("data"), dict)
            ):
                reason = 'expected {"step": int, "data": {...}}'
        if reason is not None:
            bad += 1
            if bad == 1:
                problems.append(f"{path}:{lineno}: not a verl file-logger line ({reason})")
            continue
        step = obj["step"]
        for k, v in obj["data"].items():
            if _is_number(v):  # strings / lists (e.g. logged tables) are not curves
                by_step.setdefault(k, {})[step] = float(v)
            elif isinstance(v, float):
                non_finite.append(f"{k}={v} at step {step} (line {lineno})")
    if bad > 1:
        problems.append(f"{path}: {bad} unreadable lines in all, left out")
    if non_finite:
        shown = "; ".join(non_finite[:5]) + (
            f"; ... and {len(non_finite) - 5} more" if len(non_finite) > 5 else ""
        )
        problems.append(f"{path}: {len(non_finite)} non-finite value(s) left out of the curves: {shown}")
    if not by_step:
        raise CurvesError(
            f"{path}: no numeric metrics found; expected verl's file logger JSONL "
            '({"step": N, "data": {...}} per line)' + "".join(f"; {p}" for p in problems)
        )
    return MetricLog(label or path.stem, path, "jsonl", _sorted(by_step), problems)


def read_tensorboard(path: Path, label: str | None = None) -> MetricLog:
    """Scalars from TensorBoard event files (a folder holding ``events.out.tfevents.*``)."""
    try:
        from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    except ImportError:
        raise CurvesError(
            f"{path}: TensorBoard event files need the 'tensorboard' package; or log with verl's 'file' "
            "logger (trainer.logger=['console','file'])"
        ) from None
    acc = EventAccumulator(str(path), size_guidance={"scalars": 0})
    acc.Reload()
    by_step: dict[str, dict[int, float]] = {}
    for tag in acc.Tags().get("scalars", []):
        for ev in acc.Scalars(tag):
            by_step.setdefault(tag, {})[int(ev.step)] = float(ev.value)
    if not by_step:
        raise CurvesError(f"{path}: no scalars in the TensorBoard event files")
    return MetricLog(label or path.name, path, "tensorboard", _sorted(by_step))


def _sorted(by_step: dict[str, dict[int, float]]) -> Series:
    return {k: sorted(v.items()) for k, v in by_step.items()}


def read_log(arg: str) -> MetricLog:
    """A LOG argument: ``[LABEL=]PATH`` to a file-logger JSONL, or a folder of them or of event files."""
    label: str | None = None
    path = Path(arg)
    if "=" in arg and not path.exists():
        label, _, rest = arg.partition("=")
        path = Path(rest)
    if path.is_file():
        if path.name.startswith("events.out.tfevents"):
            return read_tensorboard(path.parent, label)
        return read_jsonl(path, label)
    if path.is_dir():
        if any(path.glob("events.out.tfevents*")):
            return read_tensorboard(path, label or path.name)
        jsonls = sorted(path.glob("*.jsonl"))
        if len(jsonls) == 1:
            return read_jsonl(jsonls[0], label)
        raise CurvesError(
            f"{path}: expected one verl file-logger *.jsonl or TensorBoard event files, found "
            f"{len(jsonls)} jsonl files; name the file"
        )
    raise CurvesError(f"{path}: no such file or folder")


# ----------------------------------------------------------------------------------------------- outputs


def series_csv(logs: Sequence[MetricLog]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["log", "panel", "metric", "step", "value"])
    for log in logs:
        for panel, key in _panels(log):
            for step, value in log.series[key]:
                w.writerow([log.label, panel, key, step, repr(value)])
    return buf.getvalue()


def _panels(log: MetricLog) -> list[tuple[str, str]]:
    out = []
    if (k := log.accuracy_key()) is not None:
        out.append(("accuracy reward", k))
    if log.series.get(LENGTH_KEY):
        out.append(("response length", LENGTH_KEY))
    out += [("validation accuracy", k) for k in log.val_keys()]
    return out


def plot_curves(logs: Sequence[MetricLog], path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    has_val = any(log.val_keys() for log in logs)
    n = 3 if has_val else 2
    fig, axes = plt.subplots(1, n, figsize=(5.2 * n, 4.2), dpi=120)
    cmap = plt.get_cmap("tab10")
    for i, log in enumerate(logs):
        color = cmap(i % 10)
        key = log.accuracy_key()
        if key:
            steps, values = zip(*log.series[key], strict=True)
            axes[0].plot(steps, values, color=color, marker=".", label=f"{log.label} ({key})")
        if log.series.get(LENGTH_KEY):
            steps, values = zip(*log.series[LENGTH_KEY], strict=True)
            axes[1].plot(steps, values, color=color, marker=".", label=log.label)
        if has_val:
            for j, vk in enumerate(log.val_keys()):
                m = VAL_RE.match(vk)
                assert m is not None
                steps, values = zip(*log.series[vk], strict=True)
                style = ("-", "--", ":", "-.")[j % 4]
                axes[2].plot(steps, values, color=color, linestyle=style, marker="o",
                             label=f"{log.label}: {m['source']} {m['var']} {m['stat']}")  # fmt: skip
    titles = [
        "accuracy reward (mean score)",
        "mean response length (tokens)",
        "validation accuracy per level",
    ]
    for ax, title in zip(axes, titles, strict=False):
        ax.set_title(title, fontsize=11)
        ax.set_xlabel("training step")
        ax.grid(alpha=0.3)
        if ax.has_data():
            ax.legend(fontsize=7, frameon=False)
        else:
            ax.text(0.5, 0.5, "not in the logs", ha="center", va="center", transform=ax.transAxes)
    axes[0].set_ylabel("reward")
    axes[1].set_ylabel("tokens")
    fig.tight_layout()
    try:
        return write_with(path, lambda tmp: fig.savefig(tmp, format="png"))
    finally:
        plt.close(fig)


@dataclass
class CurvesFiles:
    png: Path
    csv: Path
    logs: list[MetricLog]
    problems: list[str]


def build_curves(log_args: Sequence[str], out_dir: str | Path) -> CurvesFiles:
    """Read every LOG, write ``curves.png`` and ``curves.csv``; raises CurvesError when none is readable."""
    out = Path(out_dir)
    logs: list[MetricLog] = []
    problems: list[str] = []
    for arg in log_args:
        try:
            log = read_log(arg)
        except (CurvesError, OSError) as exc:
            problems.append(str(exc))
            continue
        if not _panels(log):
            problems.append(
                f"{log.path}: none of {', '.join(ACC_KEYS)}, {LENGTH_KEY} or val-core/*/mean@N in it "
                f"({len(log.series)} other metrics)"
            )
        problems += log.problems
        logs.append(log)
    if not logs:
        raise CurvesError("no readable verl metrics log:\n  " + "\n  ".join(problems))
    seen: dict[str, Path] = {}
    for log in logs:
        if log.label in seen:
            raise CurvesError(
                f"label {log.label!r} names two logs ({seen[log.label]} and {log.path}): the chart could not tell "
                "them apart; give each its own LABEL=LOG"
            )
        seen[log.label] = log.path
    png = plot_curves(logs, out / "curves.png")
    csv_path = write_text(out / "curves.csv", series_csv(logs))
    return CurvesFiles(png, csv_path, logs, problems)
