"""Check a dataset root: annotation rows, split sizes and L3 domain counts, media presence, optionally decoding.

Size policy: by default the split sizes and L3 domain counts of docs/protocol.md are asserted (a real download must
match them; a miniature fixture fails them, loudly). ``expect_sizes=False`` turns those checks into notes, for
the fixture or a deliberately partial copy; ``overrides`` (split -> rows) asserts other row counts, e.g. the
fixture's own.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seedbench_r1.protocol.annotations import EXPECTED_L3_DOMAINS, SPLITS, VALIDATION_SPLITS, load_split
from seedbench_r1.protocol.root import annotation_dir, media_file_problem, media_path

SHOW = 5  # examples listed per problem kind
SHOW_BAD_ROWS = 20  # bad rows listed (file:line: sample: field: reason)


@dataclass
class SplitReport:
    split: str
    path: Path | None
    rows: int = 0
    bad_rows: list[str] = field(default_factory=list)
    missing_videos: list[str] = field(default_factory=list)
    missing_images: list[str] = field(default_factory=list)
    undecodable: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # size / domain / file-level problems
    notes: list[str] = field(default_factory=list)  # mismatches that were not asserted
    expected: int | None = None  # the row count asserted, if any
    videos: int = 0  # distinct clips referenced
    images: int = 0  # distinct images referenced

    @property
    def missing_media(self) -> int:
        return len(self.missing_videos) + len(self.missing_images)

    @property
    def ok(self) -> bool:
        return not (self.bad_rows or self.missing_media or self.undecodable or self.problems)


@dataclass
class VerifyReport:
    root: Path
    splits: list[SplitReport]
    problems: list[str] = field(default_factory=list)  # root-level problems

    @property
    def ok(self) -> bool:
        return not self.problems and all(s.ok for s in self.splits)

    def table(self) -> str:
        head = ("split", "rows", "expected", "bad rows", "missing clips", "missing images", "undecodable", "")
        lines = [head]
        for s in self.splits:
            lines.append(
                (
                    s.split,
                    str(s.rows),
                    str(s.expected) if s.expected is not None else "-",
                    str(len(s.bad_rows)),
                    str(len(s.missing_videos)),
                    str(len(s.missing_images)),
                    str(len(s.undecodable)),
                    "ok" if s.ok else "FAIL",
                )
            )
        widths = [max(len(r[i]) for r in lines) for i in range(len(head))]
        return "\n".join(
            "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in lines
        )

    def details(self) -> str:
        out: list[str] = [f"problem: {p}" for p in self.problems]
        for s in self.splits:
            for label, items in (
                ("bad row", s.bad_rows),
                ("missing clip", s.missing_videos),
                ("missing image", s.missing_images),
                ("undecodable", s.undecodable),
            ):
                limit = SHOW_BAD_ROWS if label == "bad row" else SHOW
                for item in items[:limit]:
                    out.append(f"{s.split}: {label}: {item}")
                if len(items) > limit:
                    out.append(f"{s.split}: ... and {len(items) - limit} more {label}s")
            out.extend(f"{s.split}: {p}" for p in s.problems)
            out.extend(f"{s.split}: note: {n}" for n in s.notes)
        return "\n".join(out)


def discover_splits(root: str | os.PathLike[str]) -> list[str]:
    """Registered splits whose file exists, then any other ``*.jsonl`` in ``annotations/`` (e.g. the 50k set)."""
    adir = annotation_dir(Path(root))
    known = {info.filename for info in SPLITS.values()}
    found = [name for name, info in SPLITS.items() if (adir / info.filename).is_file()]
    if adir.is_dir():
        found += sorted(p.name for p in adir.glob("*.jsonl") if p.name not in known)
    return found


def _media_of(record: Any) -> list[tuple[str, str]]:
    from seedbench_r1.data.extract_frames import media_of

    return media_of(record)


def verify_split(
    root: Path,
    split: str,
    *,
    expect_sizes: bool,
    expected_rows: int | None,
    exists: dict[str, bool],
) -> tuple[SplitReport, dict[str, str]]:
    """One split's report and the distinct media it references (relpath -> kind)."""
    try:
        data = load_split(root, split, on_error="skip")
    except FileNotFoundError as exc:
        report = SplitReport(split, None)
        report.problems.append(str(exc))
        return report, {}
    report = SplitReport(data.info.name, data.path, rows=len(data), bad_rows=[str(e) for e in data.errors])
    media: dict[str, str] = {}
    missing: dict[str, list[str]] = {"video": [], "image": []}
    for record in data:
        for kind, rel in _media_of(record):
            if rel not in media:
                media[rel] = kind
                if rel not in exists:
                    exists[rel] = media_file_problem(media_path(root, rel)) is None
                if not exists[rel]:
                    missing[kind].append(rel)
    report.missing_videos, report.missing_images = missing["video"], missing["image"]
    report.videos = sum(1 for k in media.values() if k == "video")
    report.images = len(media) - report.videos

    # Sizes count every row of the file, good or bad: a bad row is reported once, as a bad row.
    total = report.rows + len(report.bad_rows)
    info = data.info
    protocol_rows = info.expected_rows if info.name in SPLITS else None
    wanted = expected_rows if expected_rows is not None else (protocol_rows if expect_sizes else None)
    report.expected = wanted
    if total == 0 and wanted != 0:
        report.problems.append(f"{data.path} holds no rows")
    elif wanted is not None and total != wanted:
        report.problems.append(f"{total} rows, expected {wanted}")
    elif wanted is None and protocol_rows is not None and total != protocol_rows:
        report.notes.append(f"{total} rows, the full release has {protocol_rows} (size check off)")
    if info.level == "L3" and info.name in SPLITS:
        counts = Counter(r.domain for r in data if hasattr(r, "domain"))
        diffs = [
            f"{d} {counts.get(d, 0)} (expected {n})"
            for d, n in EXPECTED_L3_DOMAINS.items()
            if counts.get(d, 0) != n
        ]
        if diffs and expect_sizes and expected_rows is None:
            report.problems.append("L3 domain counts differ: " + ", ".join(diffs))
        elif diffs:
            report.notes.append("L3 domain counts differ from the full release: " + ", ".join(diffs))
    return report, media


def _decode_check(item: tuple[str, str, str]) -> tuple[str, str]:
    """(relpath, "" or the reason it cannot be used). Runs in worker processes."""
    kind, rel, path = item
    try:
        if kind == "video":
            from seedbench_r1.protocol.frames import decode_clip

            clip = decode_clip(path, sample=rel)
            if clip.frames.shape[0] < 2:
                return rel, f"decoded only {clip.frames.shape[0]} frames"
        else:
            from seedbench_r1.protocol.frames import load_observation

            load_observation(path)
        return rel, ""
    except Exception as exc:  # the reason is the report
        return rel, f"{type(exc).__name__}: {exc}"


def _decode_all(items: list[tuple[str, str, str]], workers: int) -> dict[str, str]:
    from tqdm import tqdm

    bar = tqdm(total=len(items), desc="decode", unit="file", disable=not items)
    results: dict[str, str] = {}
    try:
        if workers <= 1:
            for item in items:
                rel, reason = _decode_check(item)
                results[rel] = reason
                bar.update(1)
        else:
            import multiprocessing as mp
            from concurrent.futures import ProcessPoolExecutor

            from seedbench_r1.env.workers import die_with_parent

            # Workers die with this process (PR_SET_PDEATHSIG): a SIGKILLed verify leaves none behind.
            ctx = mp.get_context("spawn")
            with ProcessPoolExecutor(
                workers, mp_context=ctx, initializer=die_with_parent, initargs=(os.getpid(),)
            ) as pool:
                for rel, reason in pool.map(_decode_check, items, chunksize=8):
                    results[rel] = reason
                    bar.update(1)
    finally:
        bar.close()
    return results


def verify_root(
    root: str | os.PathLike[str],
    splits: Sequence[str] | None = None,
    *,
    decode: bool = False,
    expect_sizes: bool = True,
    overrides: Mapping[str, int] | None = None,
    workers: int = 1,
) -> VerifyReport:
    """Verify ``splits`` (default: every annotation file found) under ``root``."""
    root = Path(root)
    overrides = dict(overrides or {})
    report = VerifyReport(root, [])
    if not root.is_dir():
        report.problems.append(f"dataset root {root} does not exist")
        return report
    chosen = list(splits) if splits else discover_splits(root)
    if not chosen:
        report.problems.append(f"no annotation files under {annotation_dir(root)}")
        return report
    if splits is None:
        # The three levels are the benchmark: without --splits each one is expected, size check or not.
        absent = [s for s in VALIDATION_SPLITS if s not in chosen]
        if absent:
            adir = annotation_dir(root)
            files = ", ".join(str(adir / SPLITS[s].filename) for s in absent)
            report.problems.append(
                f"validation level file(s) missing: {files} (pass --splits to verify only some splits)"
            )
    unknown = set(overrides) - set(chosen)
    if unknown:
        report.problems.append(f"--expect-size names splits not verified: {', '.join(sorted(unknown))}")
    exists: dict[str, bool] = {}
    per_split_media: list[dict[str, str]] = []
    for split in chosen:
        split_report, media = verify_split(
            root, split, expect_sizes=expect_sizes, expected_rows=overrides.get(split), exists=exists
        )
        report.splits.append(split_report)
        per_split_media.append(media)
    if decode:
        todo: dict[str, str] = {}
        for media in per_split_media:
            for rel, kind in media.items():
                if exists.get(rel):
                    todo.setdefault(rel, kind)
        items = [(kind, rel, str(media_path(root, rel))) for rel, kind in sorted(todo.items())]
        reasons = _decode_all(items, workers)
        for split_report, media in zip(report.splits, per_split_media, strict=True):
            split_report.undecodable = [f"{rel}: {reasons[rel]}" for rel in media if reasons.get(rel)]
    return report


def parse_overrides(values: Sequence[str]) -> dict[str, int]:
    """``["validation_L1=8", ...]`` -> {"validation_L1": 8}; a bad item raises ValueError naming it."""
    out: dict[str, int] = {}
    for value in values:
        m = re.fullmatch(r"\s*([^=\s]+)\s*=\s*(\d+)\s*", value)
        if not m:
            raise ValueError(f"--expect-size wants SPLIT=ROWS, got {value!r}")
        out[m.group(1)] = int(m.group(2))
    return out


__all__ = ["SplitReport", "VerifyReport", "discover_splits", "parse_overrides", "verify_root"]
