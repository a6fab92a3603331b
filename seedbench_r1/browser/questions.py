"""What each sample asked: question, options and media paths, from the dataset the runs were evaluated on.

Keyed like the report's samples, ``(level, str(sample_id))``: ``L1``/``L2``/``L3`` from the validation
annotations under the SEED-Bench-R1 root, ``LVB`` from ``lvb_val.json`` under the LongVideoBench root. A root
that cannot be read is not an error for the browser: the samples then show the logged prompt and no media,
and the reason is returned once per root.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from seedbench_r1.protocol.errors import SeedBenchError

SPLIT_OF_LEVEL = {"L1": "validation_L1", "L2": "validation_L2", "L3": "validation_L3"}
LEVEL_OF_SPLIT = {split: level for level, split in SPLIT_OF_LEVEL.items()}


@dataclass(frozen=True)
class Question:
    question: str
    options: tuple[str, ...]  # A-D (SEED-Bench-R1) or A-E (LongVideoBench)
    gold: str
    root: Path  # the dataset root its media paths are relative to
    video: str | None  # relative path of the clip ("videos/...")
    image: str | None  # relative path of the observation image (SEED-Bench-R1 only)
    cache_dir: Path | None = None  # the frame cache to look in (None: the root's default)


def seed_questions(
    root: str | os.PathLike[str], levels: set[str]
) -> tuple[dict[tuple[str, str], Question], list[str]]:
    """The validation questions of ``levels`` under the SEED-Bench-R1 ``root``, and why any level is absent."""
    from seedbench_r1.protocol.annotations import load_split

    found: dict[tuple[str, str], Question] = {}
    problems = []
    for level in sorted(levels & set(SPLIT_OF_LEVEL)):
        try:
            rows = load_split(root, SPLIT_OF_LEVEL[level])
        except (OSError, ValueError, SeedBenchError) as exc:  # AnnotationError is a ValueError
            problems.append(f"{level}: no questions or media from the dataset ({exc})")
            continue
        for s in rows:
            found[(level, str(s.sample_id))] = Question(
                question=s.question,
                options=tuple(s.choices),
                gold=s.gold,
                root=Path(root),
                video=s.video_relpath if s.has_video else None,
                image=s.image_relpath,
            )
    return found, problems


def lvb_questions(root: str | os.PathLike[str]) -> tuple[dict[tuple[str, str], Question], list[str]]:
    """LongVideoBench's validation questions under ``root`` (its clips' frame cache: ``lvb_cache_dir``)."""
    from seedbench_r1.longvideobench.loader import load_lvb
    from seedbench_r1.protocol.frame_cache import lvb_cache_dir

    try:
        questions = load_lvb(root)
    except (OSError, ValueError, SeedBenchError) as exc:
        return {}, [f"LongVideoBench: no questions or media from the dataset ({exc})"]
    cache = lvb_cache_dir(root)
    return {
        ("LVB", str(q.id)): Question(
            q.question, tuple(q.candidates), q.gold, Path(root), q.video_relpath, None, cache
        )
        for q in questions
    }, []
