"""Checks on what the CPU commands are handed (an RL parquet, a model folder) before verl or transformers see
them, so that a wrong path is one line naming it instead of a framework's traceback or the hub's repo-id error."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from seedbench_r1.protocol.checkpoint import checkpoint_problem
from seedbench_r1.protocol.errors import MediaError, UsageError

# The columns prepare-verl writes for RL rows and the reward / dataset read.
RL_COLUMNS = ("prompt", "data_source", "reward_model", "extra_info", "videos", "images")


def read_rl_parquet(path: str | os.PathLike[str], columns: list[str] | None = None) -> Any:
    """The pyarrow table of an RL parquet written by ``prepare-verl``; a missing file, a file that is not
    parquet, or an SFT parquet (no reward columns) is a :class:`UsageError` naming the file."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    p = Path(path)
    if not p.is_file():
        raise UsageError(f"{p}: no such parquet file" + (" (a folder)" if p.is_dir() else ""))
    try:
        schema = pq.read_schema(p)
    except (pa.ArrowException, OSError) as exc:
        raise UsageError(f"{p}: not a parquet file ({' '.join(str(exc).split())})") from None
    missing = [c for c in RL_COLUMNS if c not in schema.names]
    if missing:
        kind = (
            "an SFT parquet (messages), which has no reward" if "messages" in schema.names else "not RL rows"
        )
        raise UsageError(
            f"{p}: {kind}; missing column(s) {', '.join(missing)}: pass an RL parquet from "
            "`seedbench-r1 prepare-verl` (training_6k or a validation level)"
        )
    return pq.read_table(p, columns=columns)


def check_model_dir(path: str | os.PathLike[str]) -> Path:
    """A local checkpoint folder with a ``config.json`` (the CPU commands never fetch from a hub)."""
    p = Path(path)
    if not p.is_dir():
        raise UsageError(
            f"--model {path}: no such folder (a local checkpoint folder is needed; nothing is downloaded. "
            "`seedbench-r1 make-tiny-model --out DIR` builds a tiny one)"
        )
    if problem := checkpoint_problem(p):
        raise UsageError(f"--model {path}: {problem}")
    return p


def check_row_media(parquet: str | os.PathLike[str], index: int, row: dict[str, Any]) -> None:
    """Every video, frame and image a row points at exists, else :class:`MediaError` naming the parquet, the
    row and the path (media moved after ``prepare-verl`` wrote absolute paths)."""
    from verl_recipe.rl_parquet import media_exists

    try:
        media_exists(row)
    except MediaError as exc:
        raise MediaError(
            f"{parquet}: row {index}: {exc} (moved since prepare-verl wrote it? run prepare-verl again with "
            "the current --root / --frame-cache)"
        ) from None
