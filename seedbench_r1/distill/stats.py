"""Per-teacher statistics and the row outcomes, computed from the journal alone (so a resumed or merged run
reports exactly what a clean run would; only the timing differs)."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from seedbench_r1.distill.journal import JournalData

LISTED = 20  # rows named on the terminal; the stats file lists all of them


@dataclass
class TeacherStats:
    teacher: int  # 1-based position in the run's order
    model: str
    rows: int = 0  # rows this teacher sampled for
    accepted: int = 0  # rows it answered (at least one accepted response)
    histogram: list[int] = field(default_factory=list)  # histogram[c]: rows with c accepted responses of K
    correct_but_malformed: int = 0  # responses with the right letter that broke the format rule
    samples: int = 0
    mean_tokens: float = 0.0  # over all its responses
    mean_tokens_kept: float = 0.0  # over the responses kept in the output
    seconds: float = 0.0  # generation time summed over batches (and over shards after a merge)

    @property
    def samples_per_second(self) -> float:
        return self.samples / self.seconds if self.seconds else 0.0


@dataclass
class RunStats:
    split: str
    rows: int  # rows in this run's shard
    samples: int  # K
    teachers: list[TeacherStats]
    kept: int
    unanswered: list[Any]  # sample ids no teacher answered
    errors: list[dict[str, Any]]  # {"sample_id", "reason"}: rows whose media could not be read
    pending: int  # rows not yet decided (an unfinished run)
    bad_annotation_rows: list[str] = field(default_factory=list)  # skipped with --skip-bad-rows

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        for teacher, stats in zip(out["teachers"], self.teachers, strict=True):
            teacher["samples_per_second"] = stats.samples_per_second
        return out

    def lines(self) -> list[str]:
        k = self.samples
        out = [f"distill-cot: {self.split}, {self.rows} rows, K={k}"]
        for t in self.teachers:
            share = f"{100 * t.accepted / t.rows:.1f}%" if t.rows else "-"
            hist = " ".join(f"{c}:{n}" for c, n in enumerate(t.histogram))
            out.append(
                f"  teacher {t.teacher} {t.model}: {t.rows} rows sampled, {t.accepted} accepted ({share}); rows by "
                f"accepted responses of {k}: {hist}; {t.correct_but_malformed} right but malformed responses; "
                f"mean response {t.mean_tokens:.1f} tokens (kept {t.mean_tokens_kept:.1f}); {t.samples} samples "
                f"in {t.seconds:.1f} s ({t.samples_per_second:.2f} samples/s)"
            )
        out.append(f"  kept: {self.kept} rows")
        if self.unanswered:
            named = ", ".join(map(str, self.unanswered[:LISTED]))
            more = f" and {len(self.unanswered) - LISTED} more" if len(self.unanswered) > LISTED else ""
            out.append(f"  unanswered by every teacher: {len(self.unanswered)} rows: {named}{more}")
        if self.errors:
            out.append(f"  bad media: {len(self.errors)} rows (skipped by every teacher):")
            out += [f"    {e['sample_id']}: {e['reason']}" for e in self.errors[:LISTED]]
            if len(self.errors) > LISTED:
                out.append(f"    ... and {len(self.errors) - LISTED} more")
        if self.bad_annotation_rows:
            out.append(f"  bad annotation rows skipped: {len(self.bad_annotation_rows)}:")
            out += [f"    {e}" for e in self.bad_annotation_rows[:LISTED]]
        if self.pending:
            out.append(f"  not finished: {self.pending} rows still to decide (run the same command again)")
        return out


def run_stats(data: JournalData, row_indices: list[int], names: list[str]) -> RunStats:
    """Statistics of the run over ``row_indices`` (its shard) with teachers ``names``, in order."""
    k = int(data.header["samples"])
    records = data.records()
    teachers = []
    decided: dict[int, tuple[str, Any, dict[str, Any]]] = {}  # index -> (outcome, sample id, record)
    for t, name in enumerate(names):
        stats = TeacherStats(t + 1, name, histogram=[0] * (k + 1))
        tokens = kept_tokens = kept = 0
        for rec in records.get(t, {}).values():
            if "error" in rec:
                decided[rec["i"]] = ("error", rec["id"], rec)
                continue
            n_ok = len(rec["ok"])
            stats.rows += 1
            stats.histogram[n_ok] += 1
            stats.samples += len(rec["tokens"])
            tokens += sum(rec["tokens"])
            stats.correct_but_malformed += sum(
                1
                for pred, fmt in zip(rec["preds"], rec["fmt"], strict=True)
                if pred == rec["gold"] and not fmt
            )
            if rec["keep"] is not None:
                stats.accepted += 1
                kept += 1
                kept_tokens += rec["tokens"][rec["keep"]]
                decided[rec["i"]] = ("accepted", rec["id"], rec)
            elif t == len(names) - 1:
                decided[rec["i"]] = ("unanswered", rec["id"], rec)
        stats.mean_tokens = tokens / stats.samples if stats.samples else 0.0
        stats.mean_tokens_kept = kept_tokens / kept if kept else 0.0
        stats.seconds = sum(b.get("seconds", 0.0) for b in data.batches if b["teacher"] == t)
        teachers.append(stats)
    wanted = set(row_indices)
    ordered = [decided[i] for i in sorted(decided) if i in wanted]
    return RunStats(
        split=data.header["split"],
        rows=len(row_indices),
        samples=k,
        teachers=teachers,
        kept=sum(1 for o in ordered if o[0] == "accepted"),
        unanswered=[sid for outcome, sid, _ in ordered if outcome == "unanswered"],
        errors=[
            {"sample_id": sid, "reason": rec["error"]} for outcome, sid, rec in ordered if outcome == "error"
        ],
        pending=len(row_indices) - len(ordered),
        bad_annotation_rows=list(data.header.get("bad_annotation_rows") or []),
    )


def write_stats(path: Path, stats: RunStats) -> None:
    """The statistics as JSON beside the output (atomically: a reader never sees half a file)."""
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    tmp.write_text(json.dumps(stats.to_json(), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)
