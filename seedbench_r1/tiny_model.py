"""Tiny randomly initialised Qwen2-VL / Qwen2.5-VL checkpoints, built offline for tests and the demo.

The weights are random and tiny (text hidden 64, 2 layers; vision depth 2), but everything a framework reads
around them mirrors the real checkpoints, because that is where evaluation and training silently diverge:

- a byte-level BPE tokenizer (Qwen2's pre-tokenizer regex) trained on synthetic text that covers the fixture's
  vocabulary and the prompt template, plus Qwen2-VL's special tokens, in Qwen's order after the BPE vocabulary;
- a Jinja chat template with the semantics of Qwen2-VL's (default system prompt, ``<|vision_start|>``
  ``<|image_pad|>``/``<|video_pad|>`` ``<|vision_end|>`` per visual, ``add_generation_prompt``), stored like
  the real repositories store it: ``chat_template.json`` for the processor and in ``tokenizer_config.json``;
- the processor configuration of Qwen2-VL-7B-Instruct / Qwen2.5-VL-7B-Instruct: ONE legacy
  ``preprocessor_config.json`` (``min_pixels`` 3136, ``max_pixels`` 12845056, patch 14, merge 2, temporal
  patch 2, CLIP mean/std) and NO ``video_preprocessor_config.json``. transformers then builds the video
  processor from that same file, so it takes the 3136 minimum: 252 x 252 frames are not upscaled (the video
  processor's class default minimum, 128 * 28 * 28 pixels, would turn them into 336 x 336);
- a greedy ``generation_config.json`` stopping at ``<|im_end|>`` / ``<|endoftext|>``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

# Qwen2-VL's special tokens in the real tokenizer's order (ids follow the BPE vocabulary).
QWEN2_VL_SPECIAL_TOKENS = (
    "<|endoftext|>",
    "<|im_start|>",
    "<|im_end|>",
    "<|object_ref_start|>",
    "<|object_ref_end|>",
    "<|box_start|>",
    "<|box_end|>",
    "<|quad_start|>",
    "<|quad_end|>",
    "<|vision_start|>",
    "<|vision_end|>",
    "<|vision_pad|>",
    "<|image_pad|>",
    "<|video_pad|>",
)
# Qwen2.5-VL appends tool-call and fill-in-the-middle tokens.
QWEN2_5_VL_EXTRA_TOKENS = (
    "<tool_call>",
    "</tool_call>",
    "<|fim_prefix|>",
    "<|fim_middle|>",
    "<|fim_suffix|>",
    "<|fim_pad|>",
    "<|repo_name|>",
    "<|file_sep|>",
)

# Written for this project with the semantics of Qwen2-VL-Instruct's template: a default system message when
# the conversation does not start with one, one vision block per image / video item (optionally numbered with
# add_vision_id), text items verbatim, and the assistant header for add_generation_prompt. No whitespace
# control: every character of the output is spelled out in these literals.
CHAT_TEMPLATE = (
    "{% set image_count = namespace(value=0) %}"
    "{% set video_count = namespace(value=0) %}"
    "{% for message in messages %}"
    "{% if loop.first and message['role'] != 'system' %}"
    "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n"
    "{% endif %}"
    "<|im_start|>{{ message['role'] }}\n"
    "{% if message['content'] is string %}"
    "{{ message['content'] }}"
    "{% else %}"
    "{% for item in message['content'] %}"
    "{% if item['type'] == 'image' or 'image' in item or 'image_url' in item %}"
    "{% set image_count.value = image_count.value + 1 %}"
    "{% if add_vision_id %}Picture {{ image_count.value }}: {% endif %}"
    "<|vision_start|><|image_pad|><|vision_end|>"
    "{% elif item['type'] == 'video' or 'video' in item %}"
    "{% set video_count.value = video_count.value + 1 %}"
    "{% if add_vision_id %}Video {{ video_count.value }}: {% endif %}"
    "<|vision_start|><|video_pad|><|vision_end|>"
    "{% elif 'text' in item %}"
    "{{ item['text'] }}"
    "{% endif %}"
    "{% endfor %}"
    "{% endif %}"
    "<|im_end|>\n"
    "{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)

# The real checkpoints' image settings (preprocessor_config.json of Qwen2-VL-7B-Instruct and
# Qwen2.5-VL-7B-Instruct): the pixel bounds are the architectural range, 4 to 16384 visual tokens.
_PREPROCESSOR_BASE: dict[str, Any] = {
    "min_pixels": 3136,
    "max_pixels": 12845056,
    "patch_size": 14,
    "temporal_patch_size": 2,
    "merge_size": 2,
    "image_mean": [0.48145466, 0.4578275, 0.40821073],
    "image_std": [0.26862954, 0.26130258, 0.27577711],
    "image_processor_type": "Qwen2VLImageProcessor",
}

_TEXT = dict(
    # head_dim 32: vLLM's CPU attention rejects head_dim 16, and one shape should run on every path.
    hidden_size=128,
    intermediate_size=256,
    num_hidden_layers=2,
    num_attention_heads=4,  # head_dim 32 -> mrope_section must sum to 16
    num_key_value_heads=2,
    max_position_embeddings=4096,
    rms_norm_eps=1e-6,
    rope_theta=1000000.0,
)
_MROPE_SECTION = [4, 6, 6]  # temporal, height, width; the real [16, 24, 24] scaled to head_dim 32


def _corpus() -> list[str]:
    """Synthetic training text: the fixture's vocabulary, the prompt template, CoT-style answers."""
    from seedbench_r1 import fixture
    from seedbench_r1.prompt import INSTRUCTION

    lines = [
        fixture.QUESTION_TEMPLATE.format(goal="do the task"),
        INSTRUCTION,
        "You are a helpful assistant.",
    ]
    for task in fixture._KITCHEN_TASKS + fixture._L3_TASKS:
        lines.append(fixture.QUESTION_TEMPLATE.format(goal=task.goal))
        lines.extend((task.answer, *task.progress, *task.distractors, task.domain, task.scenario))
        for letter in "ABCD":
            lines.append(f"{letter}. {task.answer}")
            lines.append(
                f"<think>I have done {', '.join(task.progress)}. Next I should {task.answer}.</think>"
                f"<answer>{letter}</answer>"
            )
    lines.append("0123456789 .,;:!?'\"()[]{}<>/_-+=*&%$#@ \n\t")
    return lines


def _build_tokenizer(out: Path, extra_specials: tuple[str, ...]) -> Any:
    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import AddedToken
    from transformers.models.qwen2.tokenization_qwen2 import PRETOKENIZE_REGEX, Qwen2Tokenizer

    # Train a byte-level BPE with Qwen2's own pre-tokenization so token boundaries behave like the real one.
    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(PRETOKENIZE_REGEX), behavior="isolated"),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
        ]
    )
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=800, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False
    )
    bpe.train_from_iterator(_corpus() * 3, trainer=trainer)
    state = json.loads(bpe.to_str())["model"]
    # transformers 5 builds the BPE from (left, right) tuples; tokenizers may store merges as "a b" strings.
    merges = [tuple(m.split(" ", 1)) if isinstance(m, str) else tuple(m) for m in state["merges"]]

    # Special tokens get the ids right after the BPE vocabulary, in Qwen's order (<|endoftext|> first).
    specials = QWEN2_VL_SPECIAL_TOKENS + extra_specials
    vocab = dict(state["vocab"])
    vocab.update({t: len(state["vocab"]) + i for i, t in enumerate(specials)})
    tok = Qwen2Tokenizer(
        vocab=vocab,
        merges=merges,
        unk_token=None,
        bos_token=None,
        eos_token="<|im_end|>",  # the Instruct checkpoints end a turn with <|im_end|>
        pad_token="<|endoftext|>",
        model_max_length=32768,
        clean_up_tokenization_spaces=False,
    )
    tok.add_tokens([AddedToken(t, special=True, normalized=False) for t in specials], special_tokens=True)
    tok.save_pretrained(out)
    # Like the real repositories, the tokenizer carries the chat template inside tokenizer_config.json
    # (transformers 5 would otherwise write a separate chat_template.jinja).
    cfg_path = out / "tokenizer_config.json"
    cfg = json.loads(cfg_path.read_text(encoding="utf-8"))
    cfg["chat_template"] = CHAT_TEMPLATE
    _write_json(cfg_path, cfg)
    return tok


def _write_json(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    tmp.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def _build(out_dir: str | Path, kind: str) -> Path:
    import torch
    import transformers

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    qwen25 = kind == "qwen2_5_vl"
    tok = _build_tokenizer(out, QWEN2_5_VL_EXTRA_TOKENS if qwen25 else ())
    ids = {t: tok.convert_tokens_to_ids(t) for t in QWEN2_VL_SPECIAL_TOKENS}
    vocab_size = -(-len(tok) // 64) * 64  # padded like the real embeddings (152064 for 151657 tokens)

    common: dict[str, Any] = dict(
        **_TEXT,
        vocab_size=vocab_size,
        rope_scaling={"type": "mrope", "mrope_section": _MROPE_SECTION},
        bos_token_id=ids["<|endoftext|>"],
        eos_token_id=ids["<|im_end|>"],
        pad_token_id=ids["<|endoftext|>"],
        image_token_id=ids["<|image_pad|>"],
        video_token_id=ids["<|video_pad|>"],
        vision_start_token_id=ids["<|vision_start|>"],
        vision_end_token_id=ids["<|vision_end|>"],
        tie_word_embeddings=False,
    )
    if qwen25:
        vision = dict(
            depth=2,
            hidden_size=32,
            intermediate_size=64,
            num_heads=2,
            out_hidden_size=_TEXT["hidden_size"],
            patch_size=14,
            spatial_merge_size=2,
            temporal_patch_size=2,
            window_size=112,
            fullatt_block_indexes=[1],
            tokens_per_second=2,
        )
        config = transformers.Qwen2_5_VLConfig(vision_config=vision, **common)
        model_cls = transformers.Qwen2_5_VLForConditionalGeneration
    else:
        vision = dict(
            depth=2,
            embed_dim=32,
            hidden_size=_TEXT["hidden_size"],
            mlp_ratio=2,
            num_heads=2,
            patch_size=14,
            spatial_merge_size=2,
            temporal_patch_size=2,
        )
        config = transformers.Qwen2VLConfig(vision_config=vision, **common)
        model_cls = transformers.Qwen2VLForConditionalGeneration

    torch.manual_seed(0)  # the same random weights on every build
    model = model_cls(config).to(torch.float32).eval()
    model.generation_config = transformers.GenerationConfig(
        bos_token_id=ids["<|endoftext|>"],
        eos_token_id=[ids["<|im_end|>"], ids["<|endoftext|>"]],
        pad_token_id=ids["<|endoftext|>"],
        do_sample=False,  # greedy by default; callers ask for sampling explicitly
    )
    model.save_pretrained(out)

    # The real repositories' processor layout: one legacy preprocessor_config.json, no video config, the
    # chat template in chat_template.json (processor) and tokenizer_config.json (tokenizer).
    processor_class = "Qwen2_5_VLProcessor" if qwen25 else "Qwen2VLProcessor"
    _write_json(out / "preprocessor_config.json", {**_PREPROCESSOR_BASE, "processor_class": processor_class})
    _write_json(out / "chat_template.json", {"chat_template": CHAT_TEMPLATE})
    for stray in ("video_preprocessor_config.json", "processor_config.json", "chat_template.jinja"):
        (out / stray).unlink(missing_ok=True)
    return out


def build_tiny_qwen2_vl(out_dir: str | Path) -> Path:
    """Save a tiny random Qwen2-VL (Qwen2-VL-7B-Instruct's processor settings) to ``out_dir``; return it."""
    return _build(out_dir, "qwen2_vl")


def build_tiny_qwen2_5_vl(out_dir: str | Path) -> Path:
    """Save a tiny random Qwen2.5-VL (Qwen2.5-VL-7B-Instruct's processor settings) to ``out_dir``."""
    return _build(out_dir, "qwen2_5_vl")


BUILDERS = {"qwen2_vl": build_tiny_qwen2_vl, "qwen2_5_vl": build_tiny_qwen2_5_vl}
