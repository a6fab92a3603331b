"""Benchmark: GRPO-CARE's per-step costs in verl (verl_recipe/care/).

Prints, from a CARE run's file-logger JSONL (``--log``, e.g. the one ``make test-train`` writes), each step's
``timing_s/care_bonus`` (span location, bonus, write-back) and ``timing_s/care_ema`` (the EMA step and the
policy-reference distance) beside the reference forward (``timing_s/ref``) and the whole step; then times one
EMA step (``torch.lerp_`` plus the distance, verl_recipe/care/shards.py) over a float32 shard of
``--params`` parameters split into ``--tensors`` tensors, by default a 7B model over 8 ranks (the rank's share
of Qwen2.5-VL-7B, 8.29e9 / 8 parameters: 2 x 4.1 GB of float32 in memory).

    .venv/bin/python benchmarks/care_bench.py --log /tmp/care/logs/seedbench_r1/grpo_care_qwen2_5_vl_7b.jsonl
    .venv/bin/python benchmarks/care_bench.py --params 2e8     # a smaller shard on a small machine
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import torch

from verl_recipe.care.shards import ema_step

QWEN2_5_VL_7B_PARAMS = 8.29e9  # Qwen2.5-VL-7B-Instruct, vision tower included


def logged(log: Path) -> None:
    rows = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    keys = ("timing_s/care_bonus", "timing_s/care_ema", "timing_s/ref", "timing_s/step")
    print(f"{log}: {len(rows)} steps")
    print("step  " + "  ".join(f"{k.split('/')[1]:>10}" for k in keys) + "  bonus+ema share of step")
    for row in rows:
        data = row["data"]
        if "timing_s/care_bonus" not in data:
            continue
        values = [data.get(k, float("nan")) for k in keys]
        share = (values[0] + values[1]) / values[3]
        print(f"{row['step']:>4}  " + "  ".join(f"{v:10.4f}" for v in values) + f"  {share:.2%}")


class Shard(torch.nn.Module):
    """One rank's parameters as ``tensors`` flat float32 tensors."""

    def __init__(self, params: int, tensors: int, seed: int) -> None:
        super().__init__()
        gen = torch.Generator().manual_seed(seed)
        size = params // tensors
        self.chunks = torch.nn.ParameterList(
            torch.nn.Parameter(torch.rand(size, generator=gen), requires_grad=False) for _ in range(tensors)
        )


def lerp_cost(params: int, tensors: int, repeat: int) -> None:
    print(f"\none EMA step over {params:.3g} float32 parameters in {tensors} tensors "
          f"({2 * params * 4 / 1e9:.1f} GB for reference + policy), {torch.get_num_threads()} threads, "
          f"{os.cpu_count()} cores")  # fmt: skip
    reference, policy = Shard(params, tensors, 0), Shard(params, tensors, 1)
    start = time.perf_counter()
    with torch.no_grad():
        for ref, pol in zip(reference.chunks, policy.chunks, strict=True):
            ref.lerp_(pol, 0.005)
    print(f"  {'lerp only':32s} {time.perf_counter() - start:.3f} s  (the update itself, no distance)")
    for weight, name in ((0.005, "lerp + distance (decay 0.995)"), (0.0, "distance only (frozen)")):
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            ema_step(reference, policy, weight)
            times.append(time.perf_counter() - start)
        best = min(times)
        print(f"  {name:32s} best {best:.3f} s of {repeat}  ({params / best / 1e9:.2f} G params/s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--log", type=Path, help="a CARE run's file-logger JSONL")
    parser.add_argument(
        "--params", type=float, default=QWEN2_5_VL_7B_PARAMS / 8, help="parameters in the shard"
    )
    parser.add_argument("--tensors", type=int, default=64, help="tensors the shard is split into")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if args.log:
        logged(args.log)
    lerp_cost(int(args.params), args.tensors, args.repeat)


if __name__ == "__main__":
    main()
