"""A miniature LongVideoBench validation set in the real layout, for tests and the demo (``make-fixture
--dataset longvideobench``).

``lvb_val.json`` (the real fields) and real H.264 clips under ``videos/``. ``duration_group`` is metadata, so
short clips stand for every group; the clips cover the frame rule's three cases (capped at 16 frames, in
between, raised to the minimum of 4). Rows have 4 and 5 candidates, both levels, every duration group, and
gold letters A to E.
"""

from __future__ import annotations

import json
import random
from fractions import Fraction
from pathlib import Path
from typing import Any

from seedbench_r1.fixtures.marker import MADE_BY, MARKER, MARKER_FORMAT, check_target
from seedbench_r1.fixtures.media import ClipSpec, write_clip, write_text

DATASET = "longvideobench"
CLIPS: tuple[ClipSpec, ...] = (
    ClipSpec("", "lvbLong30fps.mp4", 480, 270, Fraction(30), 330),  # 11 s -> 22 at 2 fps, capped at 16
    ClipSpec("", "lvbMid25fps.mp4", 456, 256, Fraction(25), 150),  # 6 s -> 12 frames
    ClipSpec("", "lvbShort2997.mp4", 456, 256, Fraction(30000, 1001), 40),  # 1.3 s -> 2.7, raised to 4
)
_QUESTIONS = (
    ("What is the person holding when the red sign first appears?", "S2E", "L1-Perception"),
    ("Which object is on the table at the start of the video?", "S2O", "L1-Perception"),
    ("What happens right after the door opens?", "TOS", "L2-Relation"),
    ("What colour is the jacket of the speaker?", "S2A", "L1-Perception"),
    ("Where does the cyclist go after passing the bridge?", "E3E", "L2-Relation"),
    ("Which event comes first?", "SOS", "L2-Relation"),
)
_CANDIDATES = (
    "a cup of coffee",
    "a blue umbrella",
    "a folded newspaper",
    "a set of keys",
    "nothing at all",
    "a camera",
    "a green bottle",
)
_GROUPS = (15, 60, 600, 3600)
# 4 candidates on even rows, 5 on odd rows; gold letters spread over A-E (E only where there are five).
_GOLD = (0, 4, 1, 3, 2, 4, 3, 1, 0, 4, 2, 3)


def _rows(seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    rows = []
    for i, gold in enumerate(_GOLD):
        question, category, level = _QUESTIONS[i % len(_QUESTIONS)]
        n = 5 if i % 2 else 4
        candidates = rng.sample(_CANDIDATES, n)
        clip = CLIPS[i % len(CLIPS)]
        group = _GROUPS[i % len(_GROUPS)]
        video_id = clip.name.removesuffix(".mp4")
        rows.append(
            {
                "video_id": video_id,
                "question": f"{question}",
                "question_wo_referring_query": question,
                "candidates": candidates,
                "correct_choice": gold,
                "position": [i, i + 1],
                "topic_category": "NP-News-Programs",
                "question_category": category,
                "level": level,
                "id": f"{video_id}_{i}",
                "video_path": clip.name,
                "subtitle_path": f"{video_id}_en.json",
                "duration_group": group,
                "starting_timestamp_for_subtitles": 0,
                "duration": round(group * 0.8, 2),
                "view_count": 1000 + i,
            }
        )
    return rows


def make_lvb_fixture(root: str | Path, *, seed: int = 0, force: bool = False) -> dict[str, Any]:
    """Write the miniature LongVideoBench under ``root`` (the same target rules as the SEED-Bench-R1 fixture)."""
    root = Path(root)
    check_target(root, force=force)
    rows = _rows(seed)
    written = sorted(["lvb_val.json"] + [f"videos/{c.name}" for c in CLIPS])
    marker = {
        "made_by": MADE_BY,
        "format": MARKER_FORMAT,
        "seed": seed,
        "dataset": DATASET,
        "files": written,
    }
    write_text(root / MARKER, json.dumps(marker, indent=1) + "\n")
    write_text(root / "lvb_val.json", json.dumps(rows, indent=1) + "\n")
    for clip_no, spec in enumerate(CLIPS):
        write_clip(root / "videos" / spec.name, spec, clip_no)
    return {
        "root": str(root),
        "seed": seed,
        "rows": {"lvb_val.json": len(rows)},
        "clips": {f"videos/{c.name}": {"frames": c.frames, "fps": float(c.fps)} for c in CLIPS},
    }
