"""The rows a distillation run works on, and the run's pure rules: shards, per-row seeds, acceptance, the
rule that keeps one accepted response per row, and the output row in the release's CoT schema.

Everything here depends only on (seed, sample_id) and the row's content, never on row order, batch or process,
so a resumed, sharded or re-run distillation makes the same decisions.
"""

from __future__ import annotations

import hashlib
import os
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from seedbench_r1.protocol.answer import ScoreResult, score_response
from seedbench_r1.protocol.content import prompt_content
from seedbench_r1.protocol.errors import UsageError
from seedbench_r1.protocol.schema import Sample, TrainingSample

# The full training set's file name is not published: `--split training_full` finds it the way `download`
# names it (see download.full_training_files).
FULL_TRAINING_ALIAS = "training_full"


@dataclass(frozen=True)
class WorkRow:
    """One training row with its four options built by the RL parquet writer's seeded rule."""

    index: int  # position among the split's loaded records (shards and resume key rows by it)
    sample: Sample

    @property
    def sample_id(self) -> int | str:
        return self.sample.sample_id


def resolve_split(root: Path, split: str) -> str:
    """``training_full`` -> the full training file under ``<root>/annotations``; anything else unchanged."""
    if split != FULL_TRAINING_ALIAS:
        return split
    from seedbench_r1.data.download import full_training_files
    from seedbench_r1.protocol.annotations import annotation_dir, split_info

    folder = annotation_dir(root)
    names = [p.name for p in sorted(folder.glob("*")) if p.is_file()]
    hits = [n for n in full_training_files(names) if split_info(n, folder / n).kind == "training"]
    if len(hits) != 1:
        found = ", ".join(hits) if hits else "none"
        raise UsageError(
            f"--split training_full: expected exactly one full training file in {folder} (a .jsonl/.json "
            f"with 'train' in its name besides the 6k files), found {found}; pass --split <file name>"
        )
    return hits[0]


def load_rows(
    root: Path, split: str, seed: int, *, on_error: Literal["raise", "skip"] = "raise"
) -> tuple[Any, list[WorkRow]]:
    """(the loaded split, its rows as four-option questions under ``seed``). Training rows only: the teacher
    must never see a gold it could copy, and validation rows are not training data."""
    from seedbench_r1.protocol.annotations import load_split

    data = load_split(root, split, on_error=on_error)
    if not data.records:
        skipped = f" ({len(data.errors)} bad rows skipped)" if data.errors else ""
        raise UsageError(f"{data.path}: no training rows to sample{skipped}")
    if data.info.kind != "training":
        raise UsageError(
            f"{split} holds {data.info.kind} rows: distill-cot needs training rows (training_6k or the full "
            "training file)"
        )
    rows = []
    for index, record in enumerate(data.records):
        assert isinstance(record, TrainingSample)
        rows.append(WorkRow(index, record.to_sample(seed)))
    return data, rows


def parse_shard(text: str) -> tuple[int, int]:
    """``"3/8"`` -> (3, 8): shard 3 of 8, counted from 0 (as SLURM array ids and GPU indices are)."""
    try:
        i_text, n_text = text.split("/")
        i, n = int(i_text), int(n_text)
    except ValueError:
        raise UsageError(f"--shard must look like i/N (e.g. 0/8), got {text!r}") from None
    if n < 1 or not 0 <= i < n:
        raise UsageError(f"--shard {text}: need N >= 1 and 0 <= i < N (shards count from 0)")
    return i, n


def in_shard(index: int, shard: tuple[int, int] | None) -> bool:
    """Row ``index`` belongs to shard (i, N) when index mod N == i: every shard gets the same mix of rows."""
    return shard is None or index % shard[1] == shard[0]


def _digest_int(*parts: object) -> int:
    text = "/".join(str(p) for p in ("seedbench-r1/distill", *parts))
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")


def row_seed(seed: int, teacher: int, sample_id: int | str) -> int:
    """The sampling seed of one row for the ``teacher``-th teacher (63 bits: torch and vLLM take it as is)."""
    return _digest_int("sample", seed, teacher, sample_id) >> 1


def keep_index(seed: int, sample_id: int | str, accepted: Sequence[int]) -> int:
    """THE selection rule: among a row's accepted responses (indices into its K samples, in sample order),
    keep one drawn uniformly by a generator private to (seed, sample_id). Uniform rather than the shortest or
    the first: the kept chains of thought keep the teacher's own length and style distribution."""
    if not accepted:
        raise ValueError(f"sample {sample_id!r}: no accepted response to keep")
    rng = random.Random(_digest_int("keep", seed, sample_id))
    return accepted[rng.randrange(len(accepted))]


def judge(response: str, sample: Sample) -> ScoreResult:
    """The project's strict parser on one response, against the row's seeded gold and options."""
    return score_response(response, sample.gold, sample.choices, mode="strict")


def is_accepted(score: ScoreResult) -> bool:
    """Acceptance: the strict parser reads the gold letter AND the response is well formatted."""
    return score["acc"] == 1 and score["format"] == 1


def cot_prompt(sample: Sample, root: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """The pre-rendered chat prompt of the release's CoT file: the core's content (clip only with progress,
    the image, the question text with the seeded options), media paths relative to the dataset root."""
    base = Path(root)
    content: list[dict[str, Any]] = []
    for item in prompt_content(sample, base):
        if item.kind == "text":
            content.append({"type": "text", "text": item.value})
        else:
            content.append({"type": item.kind, item.kind: item.path.relative_to(base).as_posix()})
    return [{"role": "user", "content": content}]


def cot_row(sample: Sample, root: str | os.PathLike[str], response: str) -> dict[str, Any]:
    """One output row in the schema of ``training_with_cot_6k.jsonl``."""
    return {"sample_id": sample.sample_id, "prompt": cot_prompt(sample, root), "response": response}
