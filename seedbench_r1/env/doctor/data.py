"""Checks of the data: the dataset root (``verify`` without decoding) and the frame cache."""

from __future__ import annotations

import json
import os
from pathlib import Path

from seedbench_r1.env.doctor.base import OK, PROBLEM, WARNING, Context, Result, listed


def check_dataset(ctx: Context) -> Result:
    from seedbench_r1.data.verify import verify_root
    from seedbench_r1.protocol.annotations import SPLITS, VALIDATION_SPLITS
    from seedbench_r1.protocol.root import annotation_dir, resolve_root

    root = resolve_root(ctx.root)
    download = f"seedbench-r1 download --root {root} --parts validation"
    if root.exists() and not root.is_dir():
        return Result(
            "dataset", PROBLEM, f"dataset root {root} is a file, not a folder", "name the dataset folder"
        )
    if not root.is_dir():
        return Result("dataset", WARNING, f"dataset root {root} does not exist", download)
    # Sizes as notes, not failures: a root that is valid but smaller than the release (the fixture, a partial
    # copy) is then ok here, and its size differences come back in each split's notes. No decoding: quick.
    report = verify_root(root, expect_sizes=False)
    problems = list(report.problems)
    # With sizes off, verify no longer asks for the validation files; an eval run needs every one of them.
    adir = annotation_dir(root)
    for name in VALIDATION_SPLITS:
        path = adir / SPLITS[name].filename
        if not path.is_file():
            problems.append(f"missing {path}")
    for s in report.splits:
        problems += [f"{s.split}: {p}" for p in s.problems]
        problems += [f"{s.split}: bad row {r}" for r in s.bad_rows[:1]]
        problems += [f"{s.split}: missing clip {v}" for v in s.missing_videos[:1]]
        problems += [f"{s.split}: missing image {i}" for i in s.missing_images[:1]]
    rows = sum(s.rows for s in report.splits)
    summary = (
        f"{root}: {len(report.splits)} split(s) ({', '.join(s.split for s in report.splits)}), {rows} rows, "
        f"{sum(s.videos for s in report.splits)} clips, {sum(s.images for s in report.splits)} images"
    )
    if problems:
        bad = sum(len(s.bad_rows) for s in report.splits)
        media = sum(s.missing_media for s in report.splits)
        return Result(
            "dataset",
            PROBLEM,
            f"{summary}; {bad} bad rows, {media} missing media; {listed(problems, sep='; ')}",
            f"`seedbench-r1 verify --root {root}` for the full list; {download} (add the parts you use) "
            "re-fetches missing files",
        )
    notes = [f"{s.split} {n.replace(' (size check off)', '')}" for s in report.splits for n in s.notes]
    if notes:
        return Result(
            "dataset",
            WARNING,
            f"{summary}, all present; sizes differ from the release: {listed(notes, sep='; ')}",
            f"fine for the fixture or a partial copy; for the release: {download}",
        )
    return Result("dataset", OK, f"{summary}, all present, release sizes")


def check_frame_cache(ctx: Context) -> Result:
    from seedbench_r1.protocol.frame_cache import MANIFEST, RULE, default_cache_dir
    from seedbench_r1.protocol.root import resolve_root

    root = resolve_root(ctx.root)
    cache = default_cache_dir(root)
    if not cache.is_dir():
        return Result("frame-cache", OK, "none (optional: seedbench-r1 extract-frames)")
    counts = {"video": 0, "image": 0}
    sampled: list[Path] = []
    for top in ("videos", "images"):
        for dirpath, dirnames, filenames in os.walk(cache / top):
            if MANIFEST in filenames:
                counts[top[:-1]] += 1
                dirnames[:] = []  # an entry holds files only
                if counts[top[:-1]] <= 25:  # reading every manifest of a 50k-clip cache is not quick
                    sampled.append(Path(dirpath) / MANIFEST)
            else:  # hidden temp / old folders of an interrupted run are not entries
                dirnames[:] = [d for d in dirnames if not d.startswith(".")]
    formats: set[str] = set()
    stale = 0
    for path in sampled:
        try:
            rule = json.loads(path.read_text(encoding="utf-8")).get("rule")
        except (OSError, ValueError, AttributeError):
            rule = None
        formats.add(str(rule.get("cache_format")) if isinstance(rule, dict) else "unreadable")
        stale += rule != RULE
    found = f"{counts['video']} clips, {counts['image']} images cached in {cache}"
    fmt = ", ".join(f"format {k}" for k in sorted(formats))
    if stale:
        return Result(
            "frame-cache",
            WARNING,
            f"{found} ({fmt}); {stale} of {len(sampled)} sampled entries were made under another rule or "
            f"format (current: format {RULE['cache_format']}, protocol {RULE['protocol_version']}) and will be "
            "rebuilt",
            f"seedbench-r1 extract-frames --root {root}",
        )
    if not sampled:
        return Result(
            "frame-cache", OK, f"{cache} exists but holds no entries (optional: seedbench-r1 extract-frames)"
        )
    return Result(
        "frame-cache",
        OK,
        f"{found} (format {RULE['cache_format']}, current rule; {len(sampled)} manifests checked)",
    )
