"""Typed records for every kind of SEED-Bench-R1 annotation row, and the validation that builds them.

Row kinds (docs/protocol.md, "The dataset"):
- validation rows (L1/L2: int ids; L3: string ids, ``domain``, ``scenario``): four choices and a gold letter;
- training rows: ``answer`` plus ``negative_answers``; options are built by :mod:`seedbench_r1.protocol.options`;
- chain-of-thought SFT rows: a pre-rendered chat ``prompt`` and a ``response``.
"""

from __future__ import annotations

import reprlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seedbench_r1.protocol.constants import DOMAINS, LETTERS, VIDEO_SOURCES
from seedbench_r1.protocol.errors import AnnotationError
from seedbench_r1.protocol.root import dataset_media_problem, media_name_problem, media_path

SampleId = int | str


@dataclass(frozen=True)
class ProgressStep:
    narration_text: str
    start_frame: int
    stop_frame: int


@dataclass(frozen=True)
class _MediaRow:
    split: str
    sample_id: SampleId
    video_source: str
    video_basename: str
    current_observation_basename: str
    question: str
    task_goal: str
    video_id: str
    task_progress: tuple[ProgressStep, ...]

    @property
    def has_video(self) -> bool:
        """The paper shows a progress clip only when the task has progress; otherwise only the image."""
        return len(self.task_progress) > 0

    @property
    def key(self) -> str:
        return f"{self.split}:{self.sample_id}"

    @property
    def video_relpath(self) -> str:
        return f"videos/{self.video_source}/{self.video_basename}"

    @property
    def image_relpath(self) -> str:
        return f"images/{self.video_source}/{self.current_observation_basename}"

    def video_path(self, root: str | Path) -> Path | None:
        return media_path(root, self.video_relpath) if self.has_video else None

    def image_path(self, root: str | Path) -> Path:
        return media_path(root, self.image_relpath)


@dataclass(frozen=True)
class Sample(_MediaRow):
    """A question with four options and a gold letter: a validation row, or a training row with options built."""

    choices: tuple[str, str, str, str] = ("", "", "", "")
    gold: str = "A"
    answer: str = ""
    domain: str = ""  # canonical L3 domain ("Daily life", ...); "" outside L3
    scenario: str = ""


@dataclass(frozen=True)
class TrainingSample(_MediaRow):
    """A training row: the right answer and at least three distinct wrong ones, no fixed options."""

    answer: str = ""
    negative_answers: tuple[str, ...] = ()

    def to_sample(self, seed: int = 0) -> Sample:
        """The four-option question under the project's seeded option rule (see :mod:`seedbench_r1.protocol.options`)."""
        from seedbench_r1.protocol.options import build_options

        choices, gold = build_options(self.sample_id, self.answer, self.negative_answers, seed)
        return Sample(
            split=self.split,
            sample_id=self.sample_id,
            video_source=self.video_source,
            video_basename=self.video_basename,
            current_observation_basename=self.current_observation_basename,
            question=self.question,
            task_goal=self.task_goal,
            video_id=self.video_id,
            task_progress=self.task_progress,
            choices=choices,
            gold=gold,
            answer=self.answer,
        )


@dataclass(frozen=True)
class CotSample:
    """An SFT row: chat messages whose content items name media relative to the root, and the CoT target."""

    split: str
    sample_id: SampleId
    messages: tuple[dict[str, Any], ...]
    response: str
    media: tuple[tuple[str, str], ...] = field(default=())  # ("video" | "image", relative path) in order

    @property
    def key(self) -> str:
        return f"{self.split}:{self.sample_id}"


Record = Sample | TrainingSample | CotSample


# --- validation ------------------------------------------------------------------------------------------


class RowReader:
    """Field accessors that raise :class:`AnnotationError` naming file, line, sample id and field."""

    def __init__(self, row: Mapping[str, Any], path: str | Path, line: int | None) -> None:
        if not isinstance(row, Mapping):
            raise AnnotationError(path, line, None, f"a row must be a JSON object, got {type(row).__name__}")
        self.row = row
        self.path = path
        self.line = line
        sid = row.get("sample_id")
        self.sample_id = sid if isinstance(sid, (int, str)) and not isinstance(sid, bool) else None

    def fail(self, field_name: str | None, reason: str) -> AnnotationError:
        return AnnotationError(self.path, self.line, field_name, reason, sample_id=self.sample_id)

    def get(
        self, name: str, kind: type | tuple[type, ...], *, required: bool = True, default: Any = None
    ) -> Any:
        if name not in self.row or self.row[name] is None:
            if required:
                raise self.fail(name, "missing")
            return default
        value = self.row[name]
        # bool is an int subclass; a JSON true is never a valid id or frame number.
        if isinstance(value, bool) and bool not in (kind if isinstance(kind, tuple) else (kind,)):
            raise self.fail(name, f"expected {_kind_name(kind)}, got bool")
        if not isinstance(value, kind):
            raise self.fail(
                name, f"expected {_kind_name(kind)}, got {type(value).__name__} {short_repr(value)}"
            )
        return value

    def text(self, name: str, *, required: bool = True, allow_empty: bool = False) -> str:
        value = self.get(name, str, required=required, default="")
        if required and not allow_empty and not value.strip():
            raise self.fail(name, "empty")
        return value

    def sample_id_of(self, id_type: type | tuple[type, ...]) -> SampleId:
        return self.get("sample_id", id_type)

    def relative_name(self, name: str, *, required: bool = True) -> str:
        """A file name inside its source's media folder, under the core's media path rule."""
        value = self.text(name, required=required)
        if value:
            problem = media_name_problem(value)
            if problem is not None:
                raise self.fail(name, problem)
        return value

    def progress(self) -> tuple[ProgressStep, ...]:
        steps = self.get("task_progress_metadata", list)
        out = []
        for i, step in enumerate(steps):
            where = f"task_progress_metadata[{i}]"
            if not isinstance(step, Mapping):
                raise self.fail(where, f"expected an object, got {type(step).__name__}")
            try:
                text = step["narration_text"]
                start, stop = step["start_frame"], step["stop_frame"]
            except KeyError as exc:
                raise self.fail(f"{where}.{exc.args[0]}", "missing") from None
            if not isinstance(text, str):
                raise self.fail(f"{where}.narration_text", "expected str")
            for key, val in (("start_frame", start), ("stop_frame", stop)):
                if isinstance(val, bool) or not isinstance(val, int):
                    raise self.fail(f"{where}.{key}", f"expected int, got {short_repr(val)}")
            out.append(ProgressStep(text, start, stop))
        return tuple(out)


def short_repr(value: Any) -> str:
    """A value for an error message: bounded in length and depth, whatever the row holds."""
    return _REPR.repr(value)


_REPR = reprlib.Repr()
_REPR.maxstring = _REPR.maxother = 80
_REPR.maxlevel = 3


def _kind_name(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(k.__name__ for k in kinds)


def _media_fields(r: RowReader, split: str, id_type: type | tuple[type, ...]) -> dict[str, Any]:
    source = r.text("video_source")
    if source not in VIDEO_SOURCES:
        raise r.fail("video_source", f"{short_repr(source)} is not one of {', '.join(VIDEO_SOURCES)}")
    progress = r.progress()
    return {
        "split": split,
        "sample_id": r.sample_id_of(id_type),
        "video_source": source,
        # A row without progress has no clip to show; its basename may be absent.
        "video_basename": r.relative_name("video_basename", required=bool(progress)),
        "current_observation_basename": r.relative_name("current_observation_basename"),
        "question": r.text("question"),
        "task_goal": r.text("task_goal", required=False),
        "video_id": str(r.get("video_id", (str, int), required=False, default="")),
        "task_progress": progress,
    }


def parse_validation_row(
    row: Mapping[str, Any], path: str | Path, line: int | None, split: str, level: str | None
) -> Sample:
    """A validation row of level ``level`` ("L1", "L2", "L3" or None when the file's level is unknown)."""
    r = RowReader(row, path, line)
    id_type: type | tuple[type, ...] = {"L1": int, "L2": int, "L3": str}.get(level or "", (int, str))
    fields = _media_fields(r, split, id_type)
    choices = tuple(r.text(f"choice_{x.lower()}") for x in LETTERS)
    if len({c.strip().lower() for c in choices}) < 4:
        raise r.fail(
            "choice_a..choice_d", f"options must be four distinct texts, got {short_repr(list(choices))}"
        )
    gold = r.text("golden_choice_idx")
    if gold not in LETTERS:
        raise r.fail("golden_choice_idx", f"expected a letter A-D, got {short_repr(gold)}")
    answer = r.text("answer", required=False)
    if answer and answer.strip() != choices[LETTERS.index(gold)].strip():
        raise r.fail(
            "answer",
            f"{short_repr(answer)} is not the text of gold option {gold} "
            f"({short_repr(choices[LETTERS.index(gold)])})",
        )
    domain = scenario = ""
    if level == "L3" or "domain" in row:
        raw = r.text("domain")
        if raw.strip().lower() not in DOMAINS:
            known = ", ".join(v[0] for v in DOMAINS.values())
            raise r.fail("domain", f"{short_repr(raw)} is not one of {known}")
        domain = DOMAINS[raw.strip().lower()][0]
        scenario = r.text("scenario", required=level == "L3")
    return Sample(
        **fields,
        choices=choices,
        gold=gold,
        answer=answer or choices[LETTERS.index(gold)],
        domain=domain,
        scenario=scenario,
    )


def parse_training_row(
    row: Mapping[str, Any], path: str | Path, line: int | None, split: str
) -> TrainingSample:
    r = RowReader(row, path, line)
    fields = _media_fields(r, split, (int, str))
    answer = r.text("answer")
    negatives = r.get("negative_answers", list)
    for i, neg in enumerate(negatives):
        if not isinstance(neg, str):
            raise r.fail(f"negative_answers[{i}]", f"expected str, got {type(neg).__name__}")
    from seedbench_r1.protocol.options import distinct_negatives

    if len(distinct_negatives(answer, negatives)) < 3:
        raise r.fail(
            "negative_answers",
            f"needs at least 3 distinct wrong answers besides {short_repr(answer)}, got {short_repr(negatives)}",
        )
    return TrainingSample(**fields, answer=answer, negative_answers=tuple(negatives))


def parse_cot_row(row: Mapping[str, Any], path: str | Path, line: int, split: str) -> CotSample:
    r = RowReader(row, path, line)
    # CoT rows need not carry an id; the line number is stable for a given file.
    sample_id = r.get("sample_id", (int, str), required=False, default=f"line{line}")
    prompt = r.get("prompt", list)
    if not prompt:
        raise r.fail("prompt", "empty message list")
    media: list[tuple[str, str]] = []
    for i, message in enumerate(prompt):
        where = f"prompt[{i}]"
        if not isinstance(message, Mapping) or not isinstance(message.get("role"), str):
            raise r.fail(f"{where}.role", "each message needs a string role")
        content = message.get("content")
        if isinstance(content, str):
            continue
        if not isinstance(content, list) or not content:
            raise r.fail(f"{where}.content", "expected a string or a non-empty list of items")
        for j, item in enumerate(content):
            iwhere = f"{where}.content[{j}]"
            kind = item.get("type") if isinstance(item, Mapping) else None
            if kind not in ("text", "image", "video"):
                raise r.fail(f"{iwhere}.type", f"expected text, image or video, got {short_repr(kind)}")
            value = item.get(kind)
            if not isinstance(value, str) or not value:
                raise r.fail(f"{iwhere}.{kind}", "missing or not a string")
            if kind != "text":
                problem = dataset_media_problem(value, kind)
                if problem is not None:
                    raise r.fail(f"{iwhere}.{kind}", problem)
                media.append((kind, value))
    response = r.text("response")
    return CotSample(
        split=split, sample_id=sample_id, messages=tuple(prompt), response=response, media=tuple(media)
    )
