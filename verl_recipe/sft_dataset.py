"""The SFT recipe's dataset class: verl's ``MultiTurnSFTDataset`` with the models' own rotary positions.

verl 0.9.1's SFT dataset computes Qwen-VL position ids with ``verl.models.transformers.qwen2_vl.get_rope_index``,
which fixes ``tokens_per_second`` at 2 for every model: a Qwen2-VL clip's 8 frame groups get temporal positions
0, 2, ..., 14 instead of 0..7 and the text after it starts later than under transformers or vLLM, so the SFT
baseline would be trained under other positions than it is evaluated under. This class recomputes the three
vision rows of ``position_ids`` with :func:`seedbench_r1.protocol.rope.rope_index`, the convention the model class's
transformers path and vLLM use (docs/protocol.md). Set by the recipe as ``data.custom_cls``.
"""

from __future__ import annotations

from typing import Any

from verl.utils.dataset.multiturn_sft_dataset import MultiTurnSFTDataset

from seedbench_r1.protocol import rope

# Qwen2.5-VL's vision config has tokens_per_second 2 in every released size; Qwen2-VL has no temporal scaling.
_TOKENS_PER_SECOND = {"Qwen2_5_VLProcessor": 2.0, "Qwen2VLProcessor": None}


class SeedBenchSFTDataset(MultiTurnSFTDataset):
    def __getitem__(self, item: int) -> dict[str, Any]:
        row = super().__getitem__(item)
        mm = row.get("multi_modal_inputs") or {}
        positions = row["position_ids"]
        if not mm or positions.dim() != 2 or positions.shape[0] != 4:
            return row  # text only, or not a Qwen-VL processor: nothing to fix
        kind = type(self.processor).__name__
        if kind not in _TOKENS_PER_SECOND:
            raise ValueError(
                f"{kind}: SeedBenchSFTDataset knows the positions of Qwen2-VL and Qwen2.5-VL only"
            )
        import torch

        ids = row["input_ids"]
        valid = (
            row["attention_mask"].bool()
            if "attention_mask" in row
            else torch.ones_like(ids, dtype=torch.bool)
        )
        types = rope.token_types(ids, self.processor.tokenizer)
        vision, _ = rope.rope_index(
            ids[valid][None],
            types[valid][None],
            mm.get("image_grid_thw"),
            mm.get("video_grid_thw"),
            mm.get("second_per_grid_ts"),
            spatial_merge_size=int(self.processor.image_processor.merge_size),
            tokens_per_second=_TOKENS_PER_SECOND[kind],
        )
        positions = positions.clone()
        positions[1:, valid] = vision[:, 0].to(positions.dtype)
        row["position_ids"] = positions
        return row
