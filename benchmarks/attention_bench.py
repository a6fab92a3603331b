"""Cost of ``seedbench-r1 attention``: time and peak memory.

Tiny model, the whole command (CPU; what docs/attention.md quotes)::

    .venv/bin/python benchmarks/attention_bench.py

builds the miniature dataset and the tiny random Qwen2-VL in a temp folder and runs the command in a child
process on two 16-frame samples (greedy responses of ``--new-tokens`` tokens, attention pass, PNG, JSON), twice
(generated, then ``--overwrite``); prints wall time, the command's per-sample seconds and the child's peak RSS;
then times the attention pass alone in this process, as below.

Qwen2-VL-7B architecture, the attention pass (GPU)::

    .venv/bin/python benchmarks/attention_bench.py --arch qwen2-vl-7b --device cuda

builds a RANDOMLY initialised model with Qwen2-VL-7B-Instruct's config (written below, no download) in bf16
with sdpa, the protocol's inputs for the 16-frame sample (the tiny checkpoint's processor has the 7B's vision
settings; the config's special-token ids are those of its tokenizer, all inside the 152064-row vocabulary),
a response of ``--response-tokens`` random text tokens, then times the command's attention pass
(:func:`seedbench_r1.attention.capture.response_attention`: eager language model, per-layer hooks) against a
plain sdpa forward and an ``output_attentions=True`` forward of the same tokens, with peak GPU memory of each.
``--small`` shrinks the widths and depths (same code path) so that it runs on the CPU as a smoke check::

    .venv/bin/python benchmarks/attention_bench.py --arch qwen2-vl-7b --small --device cpu
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

LONG_SAMPLE = "100"  # validation_L1 of the miniature dataset: the 16-frame clip and the image
SECOND_LONG = "128"  # the same clip again: its time is the steady state (the first pays for warm-up)
# Qwen2-VL-7B-Instruct's config.json (architecture only; the weights are random).
QWEN2_VL_7B: dict[str, Any] = {
    "hidden_size": 3584,
    "intermediate_size": 18944,
    "num_hidden_layers": 28,
    "num_attention_heads": 28,
    "num_key_value_heads": 4,
    "hidden_act": "silu",
    "max_position_embeddings": 32768,
    "rms_norm_eps": 1e-6,
    "rope_theta": 1000000.0,
    "vocab_size": 152064,
    "rope_scaling": {"type": "mrope", "mrope_section": [16, 24, 24]},
    "use_sliding_window": False,
    "sliding_window": 32768,
    "tie_word_embeddings": False,
    "vision_config": {
        "depth": 32,
        "embed_dim": 1280,
        "hidden_size": 3584,
        "hidden_act": "quick_gelu",
        "mlp_ratio": 4,
        "num_heads": 16,
        "in_channels": 3,
        "patch_size": 14,
        "spatial_merge_size": 2,
        "temporal_patch_size": 2,
    },
}
# --small: the same architecture shrunk (head_dim 64, so the M-RoPE sections halve) for a CPU smoke run.
SMALL = {
    "hidden_size": 256,
    "intermediate_size": 512,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "rope_scaling": {"type": "mrope", "mrope_section": [8, 12, 12]},
    "vision_config": {"depth": 2, "embed_dim": 64, "hidden_size": 256, "num_heads": 2},
}


def _gib(n_bytes: float) -> str:
    return f"{n_bytes / 2**30:.2f} GiB"


# ------------------------------------------------------------------------------------ the tiny command


def tiny_command(new_tokens: int) -> int:
    from seedbench_r1.fixtures.seedbench import make_fixture
    from seedbench_r1.fixtures.tiny_model import build_tiny_qwen2_vl

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "root"
        make_fixture(root)
        model = build_tiny_qwen2_vl(Path(tmp) / "tiny-qwen2-vl")
        argv = [sys.executable, "-m", "seedbench_r1", "attention", "--model", str(model)]
        argv += ["--split", "validation_L1", "--samples", f"{LONG_SAMPLE},{SECOND_LONG}", "--root", str(root)]
        argv += ["--max-new-tokens", str(new_tokens), "--device", "cpu", "--out", str(Path(tmp) / "out")]
        for label, extra in (("first run", []), ("rerun, --overwrite", ["--overwrite"])):
            start = time.perf_counter()
            proc = subprocess.run(argv + extra, capture_output=True, text=True)
            wall = time.perf_counter() - start
            if proc.returncode != 0:
                print(proc.stdout + proc.stderr)
                return proc.returncode
            # ru_maxrss of the children that have ended: KiB on Linux (the largest child so far)
            rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
            lines = [x.strip() for x in proc.stderr.splitlines() if "] sample " in x]  # the progress lines
            seconds = [m.group(1) for x in lines if (m := re.search(r"\(([\d.]+) s\)$", x))]
            print(f"{label}: wall {wall:.1f} s (process start, imports, model load included), per sample "
                  f"{' / '.join(seconds)} s (the first pays for warm-up), peak RSS {_gib(rss)}")  # fmt: skip
            for x in lines:
                print(f"  {x}")
    return 0


# ------------------------------------------------------------------------------------ the 7B attention pass


def build_random(processor: Any, device: str, small: bool) -> Any:
    """Qwen2-VL-7B-Instruct's architecture (or its --small shrink), random bf16 weights, sdpa."""
    import torch
    import transformers

    tok = processor.tokenizer
    cfg = {**QWEN2_VL_7B, **({k: v for k, v in SMALL.items() if k != "vision_config"} if small else {})}
    vision = {**QWEN2_VL_7B["vision_config"], **(SMALL["vision_config"] if small else {})}
    cfg.pop("vision_config")
    pad = tok.convert_tokens_to_ids("<|endoftext|>")
    config = transformers.Qwen2VLConfig(
        vision_config=vision,
        **cfg,
        bos_token_id=pad,
        eos_token_id=tok.convert_tokens_to_ids("<|im_end|>"),
        pad_token_id=pad,
        image_token_id=tok.convert_tokens_to_ids("<|image_pad|>"),
        video_token_id=tok.convert_tokens_to_ids("<|video_pad|>"),
        vision_start_token_id=tok.convert_tokens_to_ids("<|vision_start|>"),
        vision_end_token_id=tok.convert_tokens_to_ids("<|vision_end|>"),
    )
    torch.manual_seed(0)
    dtype = torch.bfloat16 if device.startswith("cuda") else torch.float32
    with torch.device(device):
        model = transformers.Qwen2VLForConditionalGeneration._from_config(
            config, dtype=dtype, attn_implementation="sdpa"
        )
    return model.eval()


class _Meter:
    """Seconds and peak memory of a block (CUDA: max allocated; CPU: the process's peak RSS so far)."""

    def __init__(self, device: str) -> None:
        self.cuda = device.startswith("cuda")

    def __enter__(self) -> _Meter:
        import torch

        if self.cuda:
            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats()
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        import torch

        if self.cuda:
            torch.cuda.synchronize()
            self.peak = float(torch.cuda.max_memory_allocated())
        else:
            self.peak = float(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
        self.seconds = time.perf_counter() - self.start

    def memory(self, weights: int) -> str:
        if self.cuda:
            return f"peak {_gib(self.peak)} ({_gib(self.peak - weights)} above the weights)"
        return f"process peak RSS so far {_gib(self.peak)}"  # CPU: not per block, a smoke check only


def arch_pass(arch: str, device: str, small: bool, response_tokens: int, repeat: int, compare: bool) -> int:
    """The attention pass alone (and, with ``compare``, a plain sdpa and an output_attentions forward)."""
    import torch
    from transformers import AutoProcessor

    from lmms_eval_tasks.models.seedbench_r1_qwen_vl import SeedBenchR1QwenVL
    from seedbench_r1 import load_split
    from seedbench_r1.attention.capture import media_inputs, response_attention
    from seedbench_r1.attention.shares import shares, span_profile
    from seedbench_r1.attention.tokens import SpecialIds, build_layout
    from seedbench_r1.fixtures.seedbench import make_fixture
    from seedbench_r1.fixtures.tiny_model import build_tiny_qwen2_vl
    from seedbench_r1.protocol.qwen_inputs import prompt_from_sample

    if device.startswith("cuda") and not torch.cuda.is_available():
        print("no CUDA device here: add --small --device cpu for the CPU smoke check")
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "root"
        make_fixture(root)
        tiny = build_tiny_qwen2_vl(Path(tmp) / "tiny")
        processor = AutoProcessor.from_pretrained(tiny)
        start = time.perf_counter()
        if arch == "tiny":
            from transformers import Qwen2VLForConditionalGeneration

            model = Qwen2VLForConditionalGeneration.from_pretrained(tiny, attn_implementation="sdpa").to(
                device
            )
            what = "tiny random Qwen2-VL"
        else:
            model = build_random(processor, device, small)
            what = f"random Qwen2-VL-7B architecture{' (--small)' if small else ''}"
        built = time.perf_counter() - start
        # the model class around it: its inputs on its device, its M-RoPE positions (rope.install)
        lm = SeedBenchR1QwenVL(model=model, processor=processor, device=device, batch_size=1)
        sample = next(s for s in load_split(root, "validation_L1") if str(s.sample_id) == LONG_SAMPLE)
        inputs = lm.batch_inputs([prompt_from_sample(sample, root)])
    n_prompt = int(inputs["input_ids"].shape[1])
    weights = sum(p.numel() * p.element_size() for p in model.parameters())
    generator = torch.Generator().manual_seed(0)
    special = min(processor.tokenizer.all_special_ids)  # ordinary text tokens lie below the special ones
    response = torch.randint(0, special, (response_tokens,), generator=generator).tolist()
    layers = list(range(model.config.text_config.num_hidden_layers))
    cfg = model.config.text_config
    print(f"model: {what} on {device}, "
          f"{cfg.num_hidden_layers} layers x {cfg.num_attention_heads} heads, weights {_gib(weights)} "
          f"({model.dtype}), built in {built:.1f} s")  # fmt: skip
    print(f"tokens: prompt {n_prompt} (video grid {inputs['video_grid_thw'][0].tolist()}, image grid "
          f"{inputs['image_grid_thw'][0].tolist()}) + response {response_tokens} = {n_prompt + response_tokens}")  # fmt: skip

    ids = torch.cat([inputs["input_ids"], torch.tensor([response], device=device)], dim=1)
    types = torch.cat([inputs["mm_token_type_ids"], torch.zeros_like(ids[:, n_prompt:])], dim=1)
    media = media_inputs(inputs)

    def plain(**extra: Any) -> None:
        with torch.inference_mode():
            model(input_ids=ids, attention_mask=torch.ones_like(ids), mm_token_type_ids=types, use_cache=False,
                  logits_to_keep=1, **media, **extra)  # fmt: skip

    rows = None
    for i in range(repeat):
        with _Meter(device) as m:
            rows = response_attention(model, inputs, response, layers)
        print(f"attention pass {i + 1}/{repeat} (eager LM, hooks on {len(layers)} layers): {m.seconds:.2f} s, "
              f"{m.memory(weights)}")  # fmt: skip
    if compare:
        with _Meter(device) as m:
            plain()
        print(f"plain sdpa forward, same tokens: {m.seconds:.2f} s, {m.memory(weights)}")
        model.set_attn_implementation({"text_config": "eager"})
        try:
            with _Meter(device) as m:
                plain(output_attentions=True)
            print(f"output_attentions=True (every layer kept), same tokens: {m.seconds:.2f} s, "
                  f"{m.memory(weights)}")  # fmt: skip
        except torch.OutOfMemoryError:
            print("output_attentions=True (every layer kept): out of memory")
        finally:
            model.set_attn_implementation({"text_config": "sdpa"})
    assert rows is not None
    layout = build_layout(
        ids[0].tolist(),
        n_prompt,
        SpecialIds.from_model(model.config, processor.tokenizer),
        video_grid=inputs["video_grid_thw"][0].tolist(),
        image_grid=inputs["image_grid_thw"][0].tolist(),
    )
    s = shares(span_profile(rows, range(0, response_tokens)), layout)
    assert s is not None
    total = sum(s["frame_groups"]) + s["image"] + s["prompt_text"] + s["template"] + s["response"]
    print(f"check: shares of all response tokens sum to {total:.6f}; video {sum(s['frame_groups']):.3f}, "
          f"image {s['image']:.3f}, response {s['response']:.3f}")  # fmt: skip
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--arch",
        choices=("tiny", "qwen2-vl-7b"),
        default="tiny",
        help="tiny: the whole command on the tiny model, then its attention pass alone (CPU); qwen2-vl-7b: "
        "the attention pass on a random model with Qwen2-VL-7B's architecture",
    )
    parser.add_argument("--device", default="cpu", help="qwen2-vl-7b: cuda or cpu (default cpu)")
    parser.add_argument("--small", action="store_true", help="qwen2-vl-7b: shrunk widths/depths (CPU smoke)")
    parser.add_argument(
        "--new-tokens", type=int, default=64, help="tiny: greedy response length cap (default 64)"
    )
    parser.add_argument(
        "--response-tokens", type=int, default=1024, help="qwen2-vl-7b: response tokens (default 1024)"
    )
    parser.add_argument("--repeat", type=int, default=2, help="attention passes timed (default 2)")
    parser.add_argument(
        "--no-compare", action="store_true", help="skip the plain sdpa / output_attentions forwards"
    )
    args = parser.parse_args(argv)
    compare = not args.no_compare
    if args.arch == "tiny":
        print("== the whole command (child process)")
        status = tiny_command(args.new_tokens)
        print(f"== the attention pass alone, {args.new_tokens} response tokens (this process)")
        return status or arch_pass("tiny", "cpu", False, args.new_tokens, args.repeat, compare)
    return arch_pass(args.arch, args.device, args.small, args.response_tokens, args.repeat, compare)


if __name__ == "__main__":
    raise SystemExit(main())
