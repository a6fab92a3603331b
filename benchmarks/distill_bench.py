"""Benchmark: ``distill-cot`` throughput (samples per second) with the HF and vLLM backends.

Runs the real pipeline (``seedbench_r1.distill.distill``: clip decoding, the model class, per-row seeds,
judging, journal) on the miniature dataset's 16 training rows with K samples each. Without ``--model`` the
teacher is the tiny random Qwen2-VL (built offline in seconds): it never writes the end-of-turn token, so every
response is exactly ``--max-new-tokens`` long and the two backends generate the same number of tokens.

    .venv/bin/python benchmarks/distill_bench.py                       # both backends, K=8, 64 new tokens
    .venv/bin/python benchmarks/distill_bench.py --backend hf --samples 4 --max-new-tokens 32

samples/s counts generation time only (the journal's per-batch seconds); the wall time adds model loading and
the decoding of the first batch's clips (later batches are decoded while the previous one generates).
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from pathlib import Path

os.environ.setdefault("FORCE_QWENVL_VIDEO_READER", "decord")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("VLLM_ENABLE_V1_MULTIPROCESSING", "0")


def run(backend: str, model: str, root: Path, work: Path, args: argparse.Namespace) -> dict:
    import torch

    from seedbench_r1.distill import DistillConfig, distill

    cpu = not torch.cuda.is_available()
    model_args: dict = {"device": "cpu"} if cpu and backend == "hf" else {}
    if backend == "vllm" and cpu:
        # On CPU vLLM reads gpu_memory_utilization as the share of host memory for the KV cache.
        model_args = {"max_model_len": 4096, "gpu_memory_utilization": 0.1, "enforce_eager": True}
    if backend == "vllm":
        model_args["skip_mm_profiling"] = True
    cfg = DistillConfig(
        teachers=[model],
        split="training_6k",
        out=work / f"{backend}.jsonl",
        root=str(root),
        samples=args.samples,
        backend=backend,
        batch_size=args.batch_size,
        max_new_tokens=args.max_new_tokens,
        model_args=model_args,
        overwrite=True,
        progress=False,
    )
    start = time.perf_counter()
    report = distill(cfg)
    wall = time.perf_counter() - start
    (teacher,) = report.stats.teachers
    return {
        "backend": backend,
        "rows": teacher.rows,
        "samples": teacher.samples,
        "tokens": teacher.mean_tokens,
        "seconds": teacher.seconds,
        "sps": teacher.samples_per_second,
        "wall": wall,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=("hf", "vllm", "both"), default="both")
    parser.add_argument("--samples", type=int, default=8, help="K, responses per row (default 8)")
    parser.add_argument("--max-new-tokens", type=int, default=64, help="per response (default 64)")
    parser.add_argument("--batch-size", type=int, default=None, help="rows per batch (default: the run's)")
    parser.add_argument("--model", default=None, help="teacher checkpoint (default: a tiny random Qwen2-VL)")
    args = parser.parse_args()

    from seedbench_r1.fixtures.seedbench import make_fixture
    from seedbench_r1.fixtures.tiny_model import build_tiny_qwen2_vl

    with tempfile.TemporaryDirectory(prefix="distill_bench_") as tmp:
        work = Path(tmp)
        root = work / "root"
        make_fixture(root)
        model = args.model or str(build_tiny_qwen2_vl(work / "tiny"))
        backends = ("hf", "vllm") if args.backend == "both" else (args.backend,)
        results = [run(b, model, root, work, args) for b in backends]
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs; teacher {args.model or 'tiny random Qwen2-VL'}"
    )
    for r in results:
        print(
            f"{r['backend']:>4}: {r['rows']} rows x K={args.samples} = {r['samples']} samples, "
            f"{r['tokens']:.0f} new tokens each: generation {r['seconds']:.1f} s -> {r['sps']:.1f} samples/s "
            f"({r['sps'] * r['tokens']:.0f} tokens/s); wall with loading {r['wall']:.1f} s"
        )


if __name__ == "__main__":
    main()
