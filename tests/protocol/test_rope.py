"""seedbench_r1.protocol.rope: the models' own M-RoPE convention, against transformers 5.9.0's positions."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from seedbench_r1.protocol import rope
from seedbench_r1.protocol.annotations import load_split
from seedbench_r1.protocol.qwen_inputs import processor_inputs, prompt_from_sample


@pytest.mark.parametrize("kind", ["qwen2_vl", "qwen2_5_vl"])
def test_positions_follow_the_reference_convention(kind: str, fixture_root: Path, request) -> None:
    from transformers import AutoModelForImageTextToText, AutoProcessor

    path = request.getfixturevalue(f"tiny_{kind}")
    processor = AutoProcessor.from_pretrained(path)
    model = AutoModelForImageTextToText.from_pretrained(path, dtype=torch.float32).eval()
    tps = getattr(model.config.vision_config, "tokens_per_second", None)
    checked = 0
    for sample in load_split(fixture_root, "validation_L3"):
        prompt = prompt_from_sample(sample, fixture_root)
        if prompt.clip is None:
            continue
        inputs = processor_inputs(processor, [prompt])
        stock = rope.model_positions(model, inputs)
        rope.install(model)
        ours = rope.model_positions(model, inputs)
        del model.model.get_rope_index  # back to the class's method for the next sample
        video = (inputs["mm_token_type_ids"][0] == rope.VIDEO).nonzero().flatten()
        t, h, w = inputs["video_grid_thw"][0].tolist()
        group = (h // 2) * (w // 2)
        start = int(ours[0, video[0]])
        temporal = ours[0, video[::group]] - start
        if tps:
            factor = float(inputs["second_per_grid_ts"][0]) * tps
            assert temporal.tolist() == [int(k * factor) for k in range(t)]
        else:
            assert temporal.tolist() == list(range(t))
        after = int(video[-1]) + 1
        assert int(ours[:, after].min()) == int(ours[:, video].max()) + 1  # text resumes at max + 1
        if kind == "qwen2_vl":
            assert torch.equal(ours, stock)  # transformers agrees for Qwen2-VL (no temporal scaling)
        elif float(inputs["second_per_grid_ts"][0]) != int(inputs["second_per_grid_ts"][0]):
            assert not torch.equal(ours, stock)  # its int() truncation moves Qwen2.5-VL's frames
        checked += 1
    assert checked >= 3
