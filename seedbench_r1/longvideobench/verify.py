"""``verify --dataset longvideobench``: LongVideoBench validation on disk, checked before any run.

:func:`seedbench_r1.longvideobench.loader.load_lvb` reads ``lvb_val.json`` (a bad entry raises its one-line
``AnnotationError``), then the release's counts are asserted (1,337 questions, the duration groups and levels
Table 3 implies; ``expect_counts=False`` prints them as notes, for the miniature fixture) and every clip must be
under ``videos/`` (optionally decoded).
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from seedbench_r1.longvideobench.loader import (
    ANNOTATION_FILE,
    EXPECTED_GROUPS,
    EXPECTED_LEVELS,
    EXPECTED_TOTAL,
    VIDEO_FOLDER,
    load_lvb,
    repeated_candidates,
)
from seedbench_r1.protocol.root import media_file_problem

SHOW_MISSING = 10  # missing clips named before "... and N more"


@dataclass
class Check:
    name: str
    status: str  # "ok", "FAIL", "warn" (reported, not failed) or "off" (reported, not asserted)
    summary: str
    details: list[str] = field(default_factory=list)


@dataclass
class LvbReport:
    root: Path
    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(c.status != "FAIL" for c in self.checks)

    def lines(self) -> list[str]:
        width = max(len(c.name) for c in self.checks)
        out = [f"{c.name.ljust(width)}  {c.status.ljust(4)}  {c.summary}" for c in self.checks]
        out += [f"{c.name}: {d}" for c in self.checks for d in c.details]
        return out


def _count_check(name: str, found: Mapping, expected: Mapping, expect: bool) -> Check:
    """Counts by key against the release's; off: the same, reported as a note."""
    diffs = [f"{k}: {found.get(k, 0)} (expected {n})" for k, n in expected.items() if found.get(k, 0) != n]
    if not diffs:
        return Check(name, "ok", ", ".join(f"{k}: {n}" for k, n in expected.items()) + " (as the release)")
    if expect:
        return Check(name, "FAIL", ", ".join(diffs))
    notes = [
        f"{k}: {found.get(k, 0)} (the release has {n})" for k, n in expected.items() if found.get(k, 0) != n
    ]
    return Check(name, "off", ", ".join(notes) + "; count check off")


def verify_lvb(
    root: str | os.PathLike[str],
    *,
    expect_counts: bool = True,
    check_videos: bool = True,
    decode: bool = False,
    workers: int = 1,
) -> LvbReport:
    """Counts and clips of ``<root>/lvb_val.json``; a bad file or entry raises the loader's AnnotationError."""
    root = Path(root)
    questions = load_lvb(root)
    report = LvbReport(root)
    clips = sorted({q.video_name for q in questions})
    report.checks.append(
        Check("annotation", "ok", f"{root / ANNOTATION_FILE}: {len(questions)} questions, {len(clips)} clips")
    )
    repeated = repeated_candidates(questions)
    if repeated:
        shown = ", ".join(repeated[:SHOW_MISSING]) + (" ..." if len(repeated) > SHOW_MISSING else "")
        report.checks.append(
            Check("candidates", "warn", f"{len(repeated)} question(s) list one candidate text twice: {shown}")
        )
    report.checks.append(
        _count_check("questions", {"total": len(questions)}, {"total": EXPECTED_TOTAL}, expect_counts)
    )
    report.checks.append(
        _count_check(
            "duration groups", Counter(q.duration_group for q in questions), EXPECTED_GROUPS, expect_counts
        )
    )
    report.checks.append(
        _count_check("levels", Counter(q.level for q in questions), EXPECTED_LEVELS, expect_counts)
    )
    if not check_videos:
        report.checks.append(Check("videos", "off", "not checked (metadata only)"))
        return report
    folder = root / VIDEO_FOLDER
    missing = [name for name in clips if media_file_problem(folder / name) is not None]  # 0 bytes is missing
    if missing:
        shown = [f"missing: {VIDEO_FOLDER}/{m}" for m in missing[:SHOW_MISSING]]
        if len(missing) > SHOW_MISSING:
            shown.append(f"... and {len(missing) - SHOW_MISSING} more")
        report.checks.append(
            Check("videos", "FAIL", f"{len(missing)} of {len(clips)} clips missing under {folder}", shown)
        )
    else:
        report.checks.append(Check("videos", "ok", f"all {len(clips)} clips present under {folder}"))
    if decode:
        from seedbench_r1.data.verify import _decode_all

        absent = set(missing)
        present = [c for c in clips if c not in absent]
        items = [("video", f"{VIDEO_FOLDER}/{c}", str(folder / c)) for c in present]
        reasons = {rel: why for rel, why in _decode_all(items, workers).items() if why}
        details = [f"{rel}: {why}" for rel, why in sorted(reasons.items())]
        status = "FAIL" if reasons else "ok"
        report.checks.append(
            Check("decode", status, f"{len(present) - len(reasons)} of {len(present)} clips decode", details)
        )
    return report


__all__ = ["Check", "LvbReport", "verify_lvb"]
