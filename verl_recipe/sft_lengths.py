"""Token length of each SFT row as verl's SFT trainer will see it, counted before training.

The SFT recipe has ``truncation: error``: one row longer than ``data.max_length`` stops the run mid-epoch. This
counts every row with the recipe's own dataset class and data settings (verl's ``create_sft_dataset``, the
model's tokenizer and processor, the clip decoded by qwen-vl-utils with the protocol's reader), so the count is
the sequence length the trainer builds, not an estimate. Only the limit is lifted while counting.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

SFT_RECIPE = "seedbench_r1_sft"
_NO_LIMIT = 1 << 30


def recipe_max_length() -> int:
    """``data.max_length`` of the SFT recipe (the limit rows are checked against by default)."""
    from omegaconf import OmegaConf

    from verl_recipe import recipe_dir

    return int(OmegaConf.load(Path(recipe_dir()) / f"{SFT_RECIPE}.yaml").data.max_length)


def _data_config() -> Any:
    from verl_recipe.cpu_step import compose_named_recipe

    data = compose_named_recipe(SFT_RECIPE).data
    data.max_length = _NO_LIMIT
    data.truncation = "right"  # never reached at this limit; "error" is what training uses
    return data


def token_lengths(
    rows: list[dict[str, Any]], schema: pa.Schema, processor: str, *, progress: bool = True
) -> Iterator[int]:
    """The trainer's sequence length of each row, in order (rows as :func:`verl_recipe.sft_parquet.sft_row` builds)."""
    os.environ.setdefault("FORCE_QWENVL_VIDEO_READER", "decord")  # the recipe's reader (set before import)
    from tqdm import tqdm
    from verl.trainer.sft_trainer import create_sft_dataset
    from verl.utils import hf_processor, hf_tokenizer

    tokenizer = hf_tokenizer(processor)
    proc = hf_processor(processor)
    with tempfile.TemporaryDirectory(prefix="seedbench_r1_sft_lengths.") as tmp:
        path = str(Path(tmp) / "rows.parquet")
        pq.write_table(pa.Table.from_pylist(rows, schema=schema), path)
        dataset = create_sft_dataset([path], _data_config(), tokenizer, proc)
        for i in tqdm(
            range(len(dataset)), desc="count SFT tokens", unit="row", disable=not progress, leave=False
        ):
            yield int(dataset[i]["input_ids"].shape[-1])
