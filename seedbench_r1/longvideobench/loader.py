"""LongVideoBench validation (the paper's transfer benchmark, Table 3) read from a local root, and its rules.

The official R1 evaluation (TencentARC/SEED-Bench-R1 ``infer.py``, ``make_conversation_longvideobench``) shows
the clip and then the text built exactly as for SEED-Bench-R1: the question, one ``X. candidate`` line per
candidate (A to E), the same instruction; frames by the same rule; the same first-character scoring. So a
question here reuses the core: :func:`seedbench_r1.protocol.prompt.render_text`, :func:`seedbench_r1.protocol.frames.decode_clip`
and :func:`seedbench_r1.protocol.answer.score_response` with its candidates as options. Only the data differ: a JSON list
(``lvb_val.json``) and clips under ``videos/`` named by ``video_path`` (subtitles are not shown).

Layout (Hugging Face dataset ``longvideobench/LongVideoBench``, unpacked)::

    <root>/lvb_val.json                  # JSON list of questions
    <root>/videos/<video_path>           # the clips (videos.tar.part.* concatenated and untarred)
"""

from __future__ import annotations

import json
import os
import stat
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from seedbench_r1.protocol.constants import OPTION_LETTERS
from seedbench_r1.protocol.errors import AnnotationError
from seedbench_r1.protocol.names import LVB_DATA_SOURCE
from seedbench_r1.protocol.prompt import render_text
from seedbench_r1.protocol.root import media_name_problem, media_path, resolve_root

ROOT_ENV = "LONGVIDEOBENCH_ROOT"
DEFAULT_ROOT = Path("~/.cache/seedbench_r1/LongVideoBench")
ANNOTATION_FILE = "lvb_val.json"
VIDEO_FOLDER = "videos"
DATA_SOURCE = LVB_DATA_SOURCE

# duration_group -> the metric key suffix and the paper's column label (Table 3).
DURATION_GROUPS = {15: "(8,15]", 60: "(15,60]", 600: "(180,600]", 3600: "(900,3600]"}
# level -> the metric key suffix and the paper's column label.
LEVELS = {"L1-Perception": ("perception", "L1 Perception"), "L2-Relation": ("relation", "L2 Relation")}
# What the validation release holds (the counts Table 3's percentages imply; `verify --dataset longvideobench`).
EXPECTED_TOTAL = 1337
EXPECTED_GROUPS = {15: 189, 60: 172, 600: 412, 3600: 564}
EXPECTED_LEVELS = {"L1-Perception": 625, "L2-Relation": 712}
MAX_ANNOTATION_BYTES = 256 << 20  # lvb_val.json is about 2 MB


def resolve_lvb_root(explicit: str | os.PathLike[str] | None = None) -> Path:
    """An explicit root beats ``$LONGVIDEOBENCH_ROOT``, which beats :data:`DEFAULT_ROOT` (the core's rule)."""
    return resolve_root(explicit, env=ROOT_ENV, default=DEFAULT_ROOT)


@dataclass(frozen=True)
class LvbQuestion:
    """One validation question: what the model sees and how it is grouped in Table 3."""

    id: str
    video_id: str
    video_name: str  # the entry's video_path: a file name under videos/
    question: str
    candidates: tuple[str, ...]
    gold: str  # the letter of correct_choice
    duration_group: int
    duration: float
    category: str
    level: str  # "L1-Perception" / "L2-Relation"

    @property
    def video_relpath(self) -> str:
        return f"{VIDEO_FOLDER}/{self.video_name}"

    def video_path(self, root: str | os.PathLike[str]) -> Path:
        """The clip under ``root`` by the core's media path rule (stays inside ``videos/``)."""
        return media_path(Path(root) / VIDEO_FOLDER, self.video_name)

    def text(self) -> str:
        """The user text, byte for byte as the official R1 evaluation builds it."""
        return render_text(self.question, self.candidates)

    @property
    def duration_key(self) -> str:
        return str(self.duration_group)

    @property
    def level_key(self) -> str:
        return LEVELS[self.level][0]


def annotation_path(root: str | os.PathLike[str] | None = None) -> Path:
    return resolve_lvb_root(root) / ANNOTATION_FILE


def _question(entry: Any, index: int, path: Path) -> LvbQuestion:
    sample_id = entry.get("id") if isinstance(entry, dict) else None
    who = sample_id if isinstance(sample_id, str) and sample_id else f"entry {index}"

    def bad(field: str, reason: str) -> AnnotationError:
        return AnnotationError(path, None, field, reason, sample_id=who)

    if not isinstance(entry, dict):
        raise bad("", f"entry {index} is a {type(entry).__name__}, not an object")
    for field in ("id", "video_id", "video_path", "question", "level", "question_category"):
        if not isinstance(entry.get(field), str) or not entry[field]:
            raise bad(field, "missing or not a non-empty string")
    problem = media_name_problem(entry["video_path"])
    if problem is not None:
        raise bad("video_path", problem)
    candidates = entry.get("candidates")
    if (
        not isinstance(candidates, list)
        or not 2 <= len(candidates) <= len(OPTION_LETTERS)
        or not all(isinstance(c, str) for c in candidates)
    ):
        raise bad("candidates", f"expected a list of 2 to {len(OPTION_LETTERS)} strings, got {candidates!r}")
    empty = [OPTION_LETTERS[k] for k, c in enumerate(candidates) if not c.strip()]
    if empty:
        raise bad(
            "candidates", f"candidate {', '.join(empty)} is empty: the model would be shown a blank option"
        )
    correct = entry.get("correct_choice")
    if isinstance(correct, bool) or not isinstance(correct, int) or not 0 <= correct < len(candidates):
        raise bad(
            "correct_choice", f"expected an index into the {len(candidates)} candidates, got {correct!r}"
        )
    group = entry.get("duration_group")
    if group not in DURATION_GROUPS or isinstance(group, bool):
        raise bad("duration_group", f"expected one of {sorted(DURATION_GROUPS)}, got {group!r}")
    if entry["level"] not in LEVELS:
        raise bad("level", f"expected one of {sorted(LEVELS)}, got {entry['level']!r}")
    duration = entry.get("duration")
    if isinstance(duration, bool) or not isinstance(duration, int | float) or not duration > 0:
        raise bad("duration", f"expected a positive number of seconds, got {duration!r}")
    return LvbQuestion(
        id=entry["id"],
        video_id=entry["video_id"],
        video_name=entry["video_path"],
        question=entry["question"],
        candidates=tuple(candidates),
        gold=OPTION_LETTERS[correct],
        duration_group=group,
        duration=float(duration),
        category=entry["question_category"],
        level=entry["level"],
    )


def repeated_candidates(questions: list[LvbQuestion]) -> list[str]:
    """Ids of the questions in which two candidates read the same (after stripping): such a question cannot
    be answered by text alone. Reported as a warning with a count, not refused: the gated release could not
    be checked for them here."""
    return [q.id for q in questions if len({c.strip() for c in q.candidates}) < len(q.candidates)]


def load_lvb(root: str | os.PathLike[str] | None = None) -> list[LvbQuestion]:
    """Every question of ``<root>/lvb_val.json``; a bad entry raises naming the file, its id and the field."""
    path = annotation_path(root)
    try:
        st = path.stat()
        if not stat.S_ISREG(st.st_mode):  # a FIFO or a device would block or never end
            raise AnnotationError(path, None, None, "not a regular file")
        if st.st_size > MAX_ANNOTATION_BYTES:
            raise AnnotationError(path, None, None, f"{st.st_size:,} bytes, over {MAX_ANNOTATION_BYTES:,}")
        entries = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise AnnotationError(
            path,
            None,
            None,
            f"no such file (set {ROOT_ENV}, or `seedbench-r1 download --dataset longvideobench`)",
        ) from None
    except RecursionError:
        raise AnnotationError(path, None, None, "not readable JSON: nested too deeply") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise AnnotationError(path, getattr(exc, "lineno", None), None, f"not readable JSON: {exc}") from None
    if not isinstance(entries, list):
        raise AnnotationError(
            path, None, None, f"expected a JSON list of questions, got {type(entries).__name__}"
        )
    if not entries:
        raise AnnotationError(path, None, None, "an empty list: no questions to evaluate")
    questions = [_question(entry, i, path) for i, entry in enumerate(entries)]
    seen: Counter[str] = Counter(q.id for q in questions)
    dup = next((i for i, n in seen.items() if n > 1), None)
    if dup is not None:
        raise AnnotationError(path, None, "id", f"appears {seen[dup]} times", sample_id=dup)
    return questions
