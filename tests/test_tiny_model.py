"""The tiny random checkpoints load like the real ones and see 252 x 252 visuals as the real ones do."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
import transformers
from PIL import Image

from seedbench_r1.fixtures.seedbench import QUESTION_TEMPLATE
from seedbench_r1.fixtures.tiny_model import CHAT_TEMPLATE

KINDS = {
    "qwen2_vl": ("tiny_qwen2_vl", "Qwen2VLProcessor", transformers.Qwen2VLForConditionalGeneration),
    "qwen2_5_vl": ("tiny_qwen2_5_vl", "Qwen2_5_VLProcessor", transformers.Qwen2_5_VLForConditionalGeneration),
}
TEXT = QUESTION_TEMPLATE.format(goal="store cereal") + "\nA. open cupboard\nB. take cereal bag\n"
MESSAGES = [
    {
        "role": "user",
        "content": [
            {"type": "video", "video": "videos/EpicKitchens/a.mp4"},
            {"type": "image", "image": "images/EpicKitchens/a.png"},
            {"type": "text", "text": TEXT},
        ],
    }
]
RENDERED = (
    "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n"
    "<|vision_start|><|video_pad|><|vision_end|><|vision_start|><|image_pad|><|vision_end|>"
    f"{TEXT}<|im_end|>\n<|im_start|>assistant\n"
)


@pytest.fixture(scope="module", params=sorted(KINDS))
def tiny(request: pytest.FixtureRequest) -> tuple[str, Path]:
    kind = request.param
    return kind, request.getfixturevalue(KINDS[kind][0])


@pytest.fixture(scope="module")
def processor(tiny):
    return transformers.AutoProcessor.from_pretrained(tiny[1])


@pytest.fixture(scope="module")
def model(tiny):
    return KINDS[tiny[0]][2].from_pretrained(tiny[1]).eval()


def visuals(frames: int = 16) -> tuple[np.ndarray, Image.Image]:
    rng = np.random.default_rng(0)
    video = rng.integers(0, 256, size=(frames, 252, 252, 3), dtype=np.uint8)
    image = Image.fromarray(rng.integers(0, 256, size=(252, 252, 3), dtype=np.uint8), "RGB")
    return video, image


def test_folder_mirrors_the_real_checkpoint_layout(tiny) -> None:
    kind, path = tiny
    files = {p.name for p in path.iterdir()}
    assert {"config.json", "generation_config.json", "model.safetensors", "tokenizer.json"} <= files
    assert {"preprocessor_config.json", "tokenizer_config.json", "chat_template.json"} <= files
    # Like Qwen2-VL-7B-Instruct / Qwen2.5-VL-7B-Instruct: no separate video processor config.
    assert "video_preprocessor_config.json" not in files
    pre = json.loads((path / "preprocessor_config.json").read_text())
    assert (pre["min_pixels"], pre["max_pixels"]) == (3136, 12845056)
    assert (pre["patch_size"], pre["merge_size"], pre["temporal_patch_size"]) == (14, 2, 2)
    assert pre["image_processor_type"] == "Qwen2VLImageProcessor"
    assert pre["processor_class"] == KINDS[kind][1]
    assert sum(p.stat().st_size for p in path.iterdir()) < 4_000_000


def test_auto_processor_takes_the_real_pixel_bounds(tiny, processor) -> None:
    assert type(processor).__name__ == KINDS[tiny[0]][1]
    assert type(processor.image_processor).__name__ == "Qwen2VLImageProcessor"
    assert type(processor.video_processor).__name__ == "Qwen2VLVideoProcessor"
    for sub in (processor.image_processor, processor.video_processor):
        assert (sub.size["shortest_edge"], sub.size["longest_edge"]) == (3136, 12845056)


def test_252_visuals_give_the_protocol_grids(processor) -> None:
    video, image = visuals(16)
    text = processor.apply_chat_template(MESSAGES, tokenize=False, add_generation_prompt=True)
    out = processor(text=[text], images=[image], videos=[video], return_tensors="pt")
    assert out["video_grid_thw"].tolist() == [[8, 18, 18]]
    assert out["image_grid_thw"].tolist() == [[1, 18, 18]]
    ids = out["input_ids"][0]
    tok = processor.tokenizer
    assert int((ids == tok.convert_tokens_to_ids("<|video_pad|>")).sum()) == 8 * 18 * 18 // 4
    assert int((ids == tok.convert_tokens_to_ids("<|image_pad|>")).sum()) == 18 * 18 // 4


def test_class_default_video_bounds_would_upscale(processor) -> None:
    """Negative control: with the video processor's class-default minimum (128*28*28 pixels) the same frames
    are upscaled to 336 x 336, which is what the legacy single-file layout must avoid."""
    video, _ = visuals(16)
    upscaling = transformers.Qwen2VLVideoProcessor(
        size={"shortest_edge": 128 * 28 * 28, "longest_edge": 768 * 28 * 28}
    )
    assert upscaling(videos=[video], return_tensors="pt")["video_grid_thw"].tolist() == [[8, 24, 24]]


def test_chat_template_matches_qwen2_vl_semantics(processor) -> None:
    assert processor.apply_chat_template(MESSAGES, tokenize=False, add_generation_prompt=True) == RENDERED
    tok = transformers.AutoTokenizer.from_pretrained(processor.tokenizer.name_or_path)
    assert tok.chat_template == CHAT_TEMPLATE
    with_system = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "hi"}]
    assert tok.apply_chat_template(with_system, tokenize=False) == (
        "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n"
    )
    reply = [
        {"role": "user", "content": [{"type": "image"}, {"type": "text", "text": "q"}]},
        {"role": "assistant", "content": "<answer>A</answer>"},
    ]
    assert tok.apply_chat_template(reply, tokenize=False).endswith(
        "<|im_start|>user\n<|vision_start|><|image_pad|><|vision_end|>q<|im_end|>\n"
        "<|im_start|>assistant\n<answer>A</answer><|im_end|>\n"
    )


def test_tokenizer_is_lossless_and_specials_are_single_tokens(processor) -> None:
    tok = processor.tokenizer
    assert tok.decode(tok(RENDERED)["input_ids"]) == RENDERED
    ids = [tok.convert_tokens_to_ids(t) for t in ("<|endoftext|>", "<|im_start|>", "<|im_end|>")]
    assert ids == sorted(ids) and len(set(ids)) == 3 and tok.unk_token_id not in ids
    assert tok("<|im_end|>")["input_ids"] == [ids[2]]
    assert tok.pad_token == "<|endoftext|>" and tok.eos_token == "<|im_end|>"
    # The fixture's words are in the vocabulary, so prompts stay short.
    assert len(tok(TEXT)["input_ids"]) < len(TEXT) // 2


def test_config_shapes(model, processor) -> None:
    text = model.config.text_config
    head_dim = text.hidden_size // text.num_attention_heads
    assert (text.hidden_size, text.num_hidden_layers, model.config.vision_config.depth) == (128, 2, 2)
    assert head_dim == 32  # vLLM's CPU attention rejects head_dim 16: one shape runs on every path
    assert sum(text.rope_parameters["mrope_section"]) == head_dim // 2
    tok = processor.tokenizer
    assert model.config.image_token_id == tok.convert_tokens_to_ids("<|image_pad|>")
    assert model.config.video_token_id == tok.convert_tokens_to_ids("<|video_pad|>")
    assert text.vocab_size >= len(tok)
    gen = model.generation_config
    assert gen.do_sample is False and gen.pad_token_id == tok.pad_token_id
    assert set(gen.eos_token_id) == {
        tok.convert_tokens_to_ids("<|im_end|>"),
        tok.convert_tokens_to_ids("<|endoftext|>"),
    }


def test_generate_runs_on_cpu_with_video_image_and_text(model, processor) -> None:
    video, image = visuals(16)
    text = processor.apply_chat_template(MESSAGES, tokenize=False, add_generation_prompt=True)
    inputs = processor(text=[text], images=[image], videos=[video], return_tensors="pt")
    with torch.no_grad():
        first = model.generate(**inputs, max_new_tokens=8)
        second = model.generate(**inputs, max_new_tokens=8)
    prompt_len = inputs["input_ids"].shape[1]
    assert first.shape[0] == 1 and prompt_len < first.shape[1] <= prompt_len + 8
    assert torch.equal(first, second)  # greedy by default
    assert isinstance(processor.batch_decode(first[:, prompt_len:], skip_special_tokens=True)[0], str)


def test_cli_rebuild_is_deterministic(tiny, tmp_path: Path) -> None:
    from seedbench_r1.cli import main

    kind, path = tiny
    assert main(["make-tiny-model", "--out", str(tmp_path / kind), "--kind", kind]) == 0
    for name in ("model.safetensors", "tokenizer.json", "preprocessor_config.json", "config.json"):
        assert (tmp_path / kind / name).read_bytes() == (path / name).read_bytes(), name
