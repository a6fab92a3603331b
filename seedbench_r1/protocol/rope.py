"""The rotary (M-RoPE) positions of the protocol's inputs, in each model's original convention.

One function owns them so that evaluation and training can agree (docs/protocol.md, docs/workarounds.md):
- a vision block of grid (t, h, w) after spatial merging gets temporal index ``int(k * t_factor)`` for frame
  group k, height and width indices 0.., all offset by the position where the block starts;
- ``t_factor`` = ``second_per_grid_ts * tokens_per_second`` for a Qwen2.5-VL video, 1 for images and for
  Qwen2-VL (which has no temporal scaling);
- text after a block resumes at the block's largest position + 1.
transformers 5.9.0 instead truncates ``second_per_grid_ts`` to an int before scaling and resumes text at
``start + max(h, w)``; vLLM 0.24 follows the convention above (``Qwen2_5_VLForConditionalGeneration.
get_mrope_input_positions``), which is why the model class's transformers path uses this function.
"""

from __future__ import annotations

import itertools
import types
from typing import Any

TEXT, IMAGE, VIDEO = 0, 1, 2  # mm_token_type_ids as the Qwen-VL processors write them


def vision_positions(start: int, grid_thw: Any, spatial_merge_size: int, t_factor: float) -> Any:
    """(3, t*h*w) positions of one image or video block starting at ``start``."""
    import torch

    t = int(grid_thw[0])
    h = int(grid_thw[1]) // spatial_merge_size
    w = int(grid_thw[2]) // spatial_merge_size
    temporal = torch.arange(t, dtype=torch.int64)
    if t_factor != 1.0:
        temporal = (torch.arange(t, dtype=torch.float64) * t_factor).to(torch.int64)
    tt = temporal.repeat_interleave(h * w)
    hh = torch.arange(h, dtype=torch.int64).repeat_interleave(w).repeat(t)
    ww = torch.arange(w, dtype=torch.int64).repeat(h * t)
    return torch.stack([tt, hh, ww]) + start


def rope_index(
    input_ids: Any,
    mm_token_type_ids: Any,
    image_grid_thw: Any = None,
    video_grid_thw: Any = None,
    second_per_grid_ts: Any = None,
    attention_mask: Any = None,
    *,
    spatial_merge_size: int,
    tokens_per_second: float | None,
) -> tuple[Any, Any]:
    """``(position_ids (3, batch, seq), rope_deltas (batch, 1))`` for a left- or right-padded batch, with the
    signature of transformers' ``get_rope_index`` (grids and ``second_per_grid_ts`` in order of appearance)."""
    import torch

    grids = {
        IMAGE: iter(image_grid_thw if image_grid_thw is not None else []),
        VIDEO: iter(video_grid_thw if video_grid_thw is not None else []),
    }
    seconds = iter(second_per_grid_ts if second_per_grid_ts is not None else [])
    positions = torch.zeros(3, *input_ids.shape, dtype=torch.int64, device=input_ids.device)
    deltas = []
    for row in range(input_ids.shape[0]):
        types_ = mm_token_type_ids[row]
        keep = (
            attention_mask[row].bool()
            if attention_mask is not None
            else torch.ones_like(types_, dtype=torch.bool)
        )
        types_ = types_[keep].tolist()
        parts, current = [], 0
        for kind, group in itertools.groupby(types_):
            length = len(list(group))
            if kind == TEXT:
                parts.append(torch.arange(length, dtype=torch.int64).expand(3, -1) + current)
            else:
                grid = next(grids[kind])
                t_factor = 1.0
                if kind == VIDEO:
                    seconds_per_group = float(next(seconds, 1.0))
                    if tokens_per_second:
                        t_factor = seconds_per_group * float(tokens_per_second)
                block = vision_positions(current, grid, spatial_merge_size, t_factor)
                if block.shape[1] != length:
                    raise ValueError(f"{block.shape[1]} positions for a vision block of {length} tokens")
                parts.append(block)
            current = int(parts[-1].max()) + 1
        row_positions = torch.cat(parts, dim=1) if parts else torch.zeros(3, 0, dtype=torch.int64)
        positions[:, row, keep.to(positions.device)] = row_positions.to(positions.device)
        deltas.append(current - len(types_))
    return positions, torch.tensor(deltas, device=input_ids.device).unsqueeze(1)


def install(model: Any) -> Any:
    """Make a loaded transformers Qwen2-VL / Qwen2.5-VL model compute positions with :func:`rope_index`.

    Binds :func:`get_rope_index` on the inner model instance (what both its forward and ``generate`` call).
    """
    inner = getattr(model, "model", model)
    inner.get_rope_index = types.MethodType(get_rope_index, inner)
    return model


GRID_KEYS = ("image_grid_thw", "video_grid_thw", "second_per_grid_ts")  # what positions depend on besides ids


def grid_kwargs(inputs: Any) -> dict[str, Any]:
    """The grid keys of processor outputs (or verl's multi-modal inputs), None where absent."""
    return {k: inputs.get(k) for k in GRID_KEYS}


def model_positions(model: Any, inputs: Any) -> Any:
    """(3, seq) positions of the first row of ``inputs`` (processor outputs) by the model's own
    ``get_rope_index``: the stock one, or :func:`get_rope_index` once :func:`install` has bound it."""
    positions, _ = model.model.get_rope_index(
        inputs["input_ids"],
        mm_token_type_ids=inputs["mm_token_type_ids"],
        attention_mask=inputs.get("attention_mask"),
        **grid_kwargs(inputs),
    )
    return positions[:, 0]


def token_types(input_ids: Any, tokenizer: Any) -> Any:
    """``mm_token_type_ids`` from the token ids, for paths that dropped the processor's (verl's SFT dataset)."""
    import torch

    kinds = torch.zeros_like(input_ids)
    kinds[input_ids == tokenizer.convert_tokens_to_ids("<|image_pad|>")] = IMAGE
    kinds[input_ids == tokenizer.convert_tokens_to_ids("<|video_pad|>")] = VIDEO
    return kinds


# --- verl's GRPO agent loop (verl_recipe/worker_hooks.py installs these in every worker) ----------------------


def get_rope_index(
    self: Any,
    input_ids: Any,
    mm_token_type_ids: Any = None,
    image_grid_thw: Any = None,
    video_grid_thw: Any = None,
    second_per_grid_ts: Any = None,
    attention_mask: Any = None,
    **_: Any,
) -> tuple[Any, Any]:
    """transformers' ``get_rope_index`` signature over :func:`rope_index`. ``self`` is the inner model (bound by
    :func:`install`) or, in verl, a Qwen2.5-VL processor (verl binds the model class's method to the processor,
    ``verl/utils/tokenizer/tokenizer.py``)."""
    config = getattr(self, "config", None)
    if config is not None:
        spatial = int(config.vision_config.spatial_merge_size)
        tokens_per_second = getattr(config.vision_config, "tokens_per_second", None)
    else:  # a processor: Qwen2.5-VL's vision config has tokens_per_second 2 in every released size
        spatial, tokens_per_second = int(self.image_processor.merge_size), 2.0
    return rope_index(
        input_ids,
        mm_token_type_ids,
        image_grid_thw,
        video_grid_thw,
        second_per_grid_ts,
        attention_mask,
        spatial_merge_size=spatial,
        tokens_per_second=tokens_per_second,
    )


def rope_index_kwargs(self: Any, multi_modal_inputs: dict[str, Any]) -> dict[str, Any]:
    """verl's agent loop asks the processor for extra RoPE inputs; it passes no ``second_per_grid_ts`` itself,
    so without this every Qwen2.5-VL clip would be placed as if one second passed per frame group."""
    seconds = multi_modal_inputs.get("second_per_grid_ts")
    return {} if seconds is None else {"second_per_grid_ts": seconds}


def verl_patches() -> list[tuple[Any, str, Any]]:
    """(class, attribute, value) for verl's workers: Qwen2.5-VL positions in the models' convention."""
    from transformers.models.qwen2_5_vl import Qwen2_5_VLModel, Qwen2_5_VLProcessor

    return [
        (Qwen2_5_VLModel, "get_rope_index", get_rope_index),
        (Qwen2_5_VLProcessor, "get_rope_index_kwargs", rope_index_kwargs),
    ]
