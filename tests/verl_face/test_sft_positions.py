"""The SFT recipe's dataset class gives the training forward the positions the evaluation uses.

verl 0.9.1's stock ``MultiTurnSFTDataset`` uses ``tokens_per_second`` 2 for every Qwen-VL model; the recipe's
``SeedBenchSFTDataset`` recomputes the vision rows with ``seedbench_r1.protocol.rope``, which the model class's
transformers path binds into the model (and which vLLM follows: tests/lmms_eval_face/test_vllm_backend.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from seedbench_r1.protocol import rope
from verl_recipe.sft_parquet import prepare_sft


@pytest.fixture(scope="module")
def cot_parquet(fixture_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sft_positions") / "cot.parquet"
    prepare_sft(fixture_root, "training_with_cot_6k", out, progress=False)
    return out


def _datasets(parquet: Path, processor, pad_mode: str):  # noqa: ANN001
    from omegaconf import OmegaConf
    from verl.utils.dataset.multiturn_sft_dataset import MultiTurnSFTDataset

    from verl_recipe.sft_dataset import SeedBenchSFTDataset

    cfg = OmegaConf.create({"max_length": 4096, "truncation": "error", "pad_mode": pad_mode})
    return (
        MultiTurnSFTDataset(str(parquet), processor.tokenizer, cfg, processor=processor),
        SeedBenchSFTDataset(str(parquet), processor.tokenizer, cfg, processor=processor),
    )


def _eval_positions(model, processor, row) -> torch.Tensor:  # noqa: ANN001
    """What the evaluation's transformers forward uses for the same tokens and grids."""
    ids = row["input_ids"]
    valid = (
        row["attention_mask"].bool() if "attention_mask" in row else torch.ones_like(ids, dtype=torch.bool)
    )
    types = rope.token_types(ids, processor.tokenizer)
    kw = rope.grid_kwargs(row["multi_modal_inputs"])
    pos, _ = model.model.get_rope_index(ids[valid][None], mm_token_type_ids=types[valid][None], **kw)
    return pos[:, 0], valid


@pytest.mark.parametrize("kind", ["qwen2_vl", "qwen2_5_vl"])
@pytest.mark.parametrize("pad_mode", ["no_padding", "right"])
def test_sft_positions_equal_the_evaluation_positions(
    kind: str, pad_mode: str, cot_parquet: Path, request
) -> None:
    from transformers import AutoModelForImageTextToText, AutoProcessor

    path = request.getfixturevalue(f"tiny_{kind}")
    processor = AutoProcessor.from_pretrained(path)
    model = rope.install(AutoModelForImageTextToText.from_pretrained(path, dtype=torch.float32).eval())
    stock, ours = _datasets(cot_parquet, processor, pad_mode)
    worst_stock, videos = 0, 0
    for i in range(len(ours)):
        mine, theirs = ours[i], stock[i]
        assert torch.equal(mine["input_ids"], theirs["input_ids"])
        reference, valid = _eval_positions(model, processor, mine)
        assert torch.equal(mine["position_ids"][1:, valid], reference), f"row {i}"
        assert torch.equal(mine["position_ids"][0], theirs["position_ids"][0])  # the text row is untouched
        if "video_grid_thw" in mine["multi_modal_inputs"]:
            videos += 1
            delta = (theirs["position_ids"][1:, valid] - reference).abs().max().item()
            worst_stock = max(worst_stock, delta)
    assert videos >= 2
    print(
        f"{kind} ({pad_mode}): verl's stock SFT positions differ by up to {worst_stock} from the evaluation's"
    )
    if kind == "qwen2_vl":
        # The planted regression (verl's stock dataset) is caught: its tokens_per_second 2 spreads the frame
        # groups of a model that has no temporal scaling (0, 2, ..., 14 instead of 0..7).
        assert worst_stock >= 1
    else:
        # For Qwen2.5-VL verl's function scales by seconds per group x 2 without truncation: the reference.
        assert worst_stock == 0


def test_sft_recipe_names_the_class_and_verl_builds_it(cot_parquet: Path, tiny_qwen2_vl: Path) -> None:
    from hydra import compose, initialize_config_dir
    from transformers import AutoProcessor
    from verl.trainer.sft_trainer import create_sft_dataset

    from verl_recipe import recipe_dir
    from verl_recipe.sft_dataset import SeedBenchSFTDataset

    with initialize_config_dir(config_dir=str(recipe_dir()), version_base=None):
        cfg = compose(config_name="seedbench_r1_sft")
    processor = AutoProcessor.from_pretrained(tiny_qwen2_vl)
    dataset = create_sft_dataset([str(cot_parquet)], cfg.data, processor.tokenizer, processor)
    assert type(dataset) is SeedBenchSFTDataset and len(dataset) > 0
