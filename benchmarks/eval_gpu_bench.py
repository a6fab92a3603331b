"""Throughput of the project's lmms-eval model class: seconds per sample at batch 1 and at the default batch.

GPU (the issue's target: >= 60x the batch-1 rate on one H100 at 256 new tokens)::

    .venv/bin/python benchmarks/eval_gpu_bench.py

builds a RANDOMLY initialised model with Qwen2-VL-7B-Instruct's exact architecture (config values below, no
download) in bf16 with sdpa on the GPU, and a processor with Qwen2-VL-7B-Instruct's vision settings whose
tokenizer is the tiny offline one (so the 7B config's special-token ids are remapped to that tokenizer's ids,
all inside the 152064-row embedding). Requests are protocol-shaped: the miniature dataset's 16-frame clip
(16 frames at 252 x 252) plus one 252 x 252 image and the core's question text, fed to
``SeedBenchR1QwenVL.generate_until`` as lmms-eval would (clip decoding included), 256 new tokens forced
(``min_new_tokens``). Prints seconds per sample at batch 1 and at the batch size, and their ratio.

CPU check (tiny random model, a few samples)::

    .venv/bin/python benchmarks/eval_gpu_bench.py --tiny
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

# Qwen2-VL-7B-Instruct's config.json (architecture only; weights are random).
QWEN2_VL_7B_TEXT: dict[str, Any] = dict(
    hidden_size=3584,
    intermediate_size=18944,
    num_hidden_layers=28,
    num_attention_heads=28,
    num_key_value_heads=4,
    hidden_act="silu",
    max_position_embeddings=32768,
    rms_norm_eps=1e-6,
    rope_theta=1000000.0,
    vocab_size=152064,
    rope_scaling={"type": "mrope", "mrope_section": [16, 24, 24]},
    use_sliding_window=False,
    sliding_window=32768,
    tie_word_embeddings=False,
)
QWEN2_VL_7B_VISION: dict[str, Any] = dict(
    depth=32,
    embed_dim=1280,
    hidden_size=3584,
    hidden_act="quick_gelu",
    mlp_ratio=4,
    num_heads=16,
    in_channels=3,
    patch_size=14,
    spatial_merge_size=2,
    temporal_patch_size=2,
)


def build_7b_random(processor: Any, device: str, layers: int | None) -> Any:
    """Qwen2-VL-7B-Instruct's architecture, random bf16 weights, token ids valid for ``processor``."""
    import torch
    import transformers

    tok = processor.tokenizer
    ids = {t: tok.convert_tokens_to_ids(t) for t in ("<|endoftext|>", "<|im_end|>")}
    text = dict(QWEN2_VL_7B_TEXT)
    vision = dict(QWEN2_VL_7B_VISION)
    if layers is not None:  # smoke runs only: fewer blocks, same widths
        text["num_hidden_layers"], vision["depth"] = layers, layers
    config = transformers.Qwen2VLConfig(
        vision_config=vision,
        **text,
        bos_token_id=ids["<|endoftext|>"],
        eos_token_id=ids["<|im_end|>"],
        pad_token_id=ids["<|endoftext|>"],
        image_token_id=tok.convert_tokens_to_ids("<|image_pad|>"),
        video_token_id=tok.convert_tokens_to_ids("<|video_pad|>"),
        vision_start_token_id=tok.convert_tokens_to_ids("<|vision_start|>"),
        vision_end_token_id=tok.convert_tokens_to_ids("<|vision_end|>"),
    )
    torch.manual_seed(0)
    with torch.device(device):
        model = transformers.Qwen2VLForConditionalGeneration._from_config(
            config, dtype=torch.bfloat16, attn_implementation="sdpa"
        )
    model.generation_config = transformers.GenerationConfig(
        eos_token_id=[ids["<|im_end|>"], ids["<|endoftext|>"]], pad_token_id=ids["<|endoftext|>"]
    )
    return model.eval()


def protocol_docs(root: Path, n: int) -> list[dict[str, Any]]:
    """``n`` docs of the miniature dataset whose clip gives the protocol's maximum, 16 frames."""
    from lmms_eval_tasks.seedbench_r1_levels.utils import sample_to_doc
    from seedbench_r1 import load_split

    docs = [sample_to_doc(s, root) for s in load_split(root, "validation_L1").records]
    long = [d for d in docs if d["video_path"].endswith("ek_long_25fps.mp4")]
    return [long[i % len(long)] for i in range(n)]


def run(lm: Any, docs: list[dict[str, Any]], batch_size: int, new_tokens: int) -> float:
    """Seconds per sample for ``docs`` through ``generate_until`` at ``batch_size``."""
    import torch
    from lmms_eval.api.instance import Instance

    from lmms_eval_tasks.seedbench_r1_levels.utils import doc_to_text, doc_to_visual

    lm.batch_size_per_gpu = batch_size
    lm.task_dict = {"bench": {"test": docs}}
    gen = {"max_new_tokens": new_tokens, "min_new_tokens": new_tokens, "until": []}
    requests = [
        Instance(
            "generate_until",
            (doc_to_text(d), dict(gen), doc_to_visual, i, "bench", "test"),
            idx=0,
            metadata={"task": "bench", "doc_id": i, "repeats": 1},
        )
        for i, d in enumerate(docs)
    ]
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    start = time.perf_counter()
    lm.generate_until(requests)
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    return (time.perf_counter() - start) / len(docs)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--tiny", action="store_true", help="tiny random model on CPU (a check, not a measure)"
    )
    parser.add_argument("--batch-size", type=int, default=None, help="default: the model class's default")
    parser.add_argument(
        "--samples", type=int, default=None, help="samples at the batch size (default 2 batches)"
    )
    parser.add_argument(
        "--batch1-samples", type=int, default=None, help="samples at batch 1 (default 4; tiny 4)"
    )
    parser.add_argument(
        "--new-tokens", type=int, default=None, help="forced new tokens (default 256; tiny 16)"
    )
    parser.add_argument("--layers", type=int, default=None, help="smoke only: fewer text/vision blocks")
    parser.add_argument("--device", default=None, help="default cuda (cpu with --tiny)")
    args = parser.parse_args(argv)

    import torch
    from transformers import AutoProcessor

    from lmms_eval_tasks.models.seedbench_r1_qwen_vl import SeedBenchR1QwenVL, default_batch_size
    from lmms_eval_tasks.seedbench_r1_levels.utils import doc_to_text, doc_to_visual
    from seedbench_r1.fixtures.seedbench import make_fixture
    from seedbench_r1.fixtures.tiny_model import build_tiny_qwen2_vl
    from seedbench_r1.protocol.qwen_inputs import prompt_from_visuals

    device = args.device or ("cpu" if args.tiny else "cuda")
    if device.startswith("cuda") and not torch.cuda.is_available():
        print("no CUDA device here: run with --tiny for the CPU check")
        return 2
    new_tokens = args.new_tokens or (16 if args.tiny else 256)
    batch = args.batch_size or (4 if args.tiny else default_batch_size(device))
    n_batched = args.samples or 2 * batch
    n_single = args.batch1_samples or 4

    with tempfile.TemporaryDirectory() as tmp:
        tiny = build_tiny_qwen2_vl(Path(tmp) / "tiny")
        root = Path(tmp) / "root"
        make_fixture(root)
        if args.tiny:
            lm = SeedBenchR1QwenVL(pretrained=str(tiny), device=device, batch_size=batch)
            what = "tiny random Qwen2-VL (fp32)"
        else:
            processor = AutoProcessor.from_pretrained(tiny)  # Qwen2-VL-7B-Instruct's vision settings
            model = build_7b_random(processor, device, args.layers)
            lm = SeedBenchR1QwenVL(model=model, processor=processor, device=device, batch_size=batch)
            what = "random Qwen2-VL-7B architecture (bf16, sdpa)"
        docs = protocol_docs(root, max(n_batched, n_single))
        sample_inputs = lm.batch_inputs([prompt_from_visuals(doc_to_visual(docs[0]), doc_to_text(docs[0]))])
        n_prompt = int(sample_inputs["input_ids"].shape[1])
        grids = (sample_inputs["video_grid_thw"].tolist(), sample_inputs["image_grid_thw"].tolist())

        run(lm, docs[: min(2, batch)], min(2, batch), 2)  # warm-up (kernels, allocator)
        if device.startswith("cuda"):
            torch.cuda.reset_peak_memory_stats()
        single = run(lm, docs[:n_single], 1, new_tokens)
        batched = run(lm, docs[:n_batched], batch, new_tokens)
        peak = torch.cuda.max_memory_allocated() / 2**30 if device.startswith("cuda") else float("nan")

    name = torch.cuda.get_device_name() if device.startswith("cuda") else "CPU"
    print(f"model: {what} on {name}")
    print(
        f"prompt: {n_prompt} tokens (video grid {grids[0]}, image grid {grids[1]}), {new_tokens} new tokens"
    )
    print(f"batch 1:  {single:.4f} s/sample over {n_single} samples")
    print(f"batch {batch}: {batched:.4f} s/sample over {n_batched} samples")
    print(
        f"speed-up: {single / batched:.1f}x" + (f"   peak GPU memory {peak:.1f} GiB" if peak == peak else "")
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
