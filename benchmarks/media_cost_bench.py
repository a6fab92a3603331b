"""Rollout-side media CPU time per GRPO training step: 8 prompts x 8 rollouts (the paper recipe's step).

verl's agent loop prepares each rollout's media itself (decode + resize of the clip, the image), before the HF
processor; this measures that part, through the functions the recipe's agent loop calls, four ways:

  (A) clip rows, every rollout decodes its clip: verl's stock ``RLHFDataset._process_multi_modal_info``
      (qwen-vl-utils, decord) 64 times;
  (B) frame-cache rows, every rollout reads its cached frames: ``SeedBenchRLHFDataset._decode_media`` 64 times;
  (C) frame-cache rows as the recipe runs them: ``SeedBenchRLHFDataset._process_multi_modal_info``, which reads
      each prompt's media once and hands its 8 rollouts copies (``MediaMemo``);
  (D) clip rows as the recipe runs them (decoded once per prompt).

CPU time of this process (``time.process_time``, 1 torch thread), summed over the step's 64 calls; the 8 clips
are generated (456 x 256, 30 fps, 30-120 s, libx264). Targets: (A)/(B) >= 20, (A)/(C) >= 100.
Run: ``.venv/bin/python benchmarks/media_cost_bench.py [--steps 3]``.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from frames_bench import build_cache, make_bench_root, recipe_messages

PROMPTS, ROLLOUTS = 8, 8


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=3, help="steps measured per way (median reported)")
    args = parser.parse_args()

    import torch

    torch.set_num_threads(1)
    import qwen_vl_utils.vision_process as vp
    from omegaconf import OmegaConf
    from verl.utils.dataset.rl_dataset import RLHFDataset

    from verl_recipe.dataset import MEMO_PROMPTS, MediaMemo, SeedBenchRLHFDataset

    vp.get_video_reader_backend = lambda: "decord"  # the recipe's reader (FORCE_QWENVL_VIDEO_READER)
    config = OmegaConf.create({})

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        samples = make_bench_root(root, PROMPTS)
        cache = build_cache(root, samples)
        clip_rows = list(recipe_messages(root, samples, None).values())
        cache_rows = list(recipe_messages(root, samples, cache).values())

        def per_rollout(read, rows) -> None:  # noqa: ANN001
            for messages in rows:
                for _ in range(ROLLOUTS):
                    images, videos, _ = read(messages, 14, config)
                    assert videos[0][0].shape[0] == 16 and images

        def with_memo(rows) -> None:  # noqa: ANN001
            SeedBenchRLHFDataset.media_memo = MediaMemo(MEMO_PROMPTS)  # a new step's prompts: nothing cached
            per_rollout(SeedBenchRLHFDataset._process_multi_modal_info, rows)
            assert SeedBenchRLHFDataset.media_memo.computed == PROMPTS

        ways = {
            "A clip rows, per rollout (verl stock)": lambda: per_rollout(
                RLHFDataset._process_multi_modal_info, clip_rows
            ),
            "B cache rows, per rollout": lambda: per_rollout(SeedBenchRLHFDataset._decode_media, cache_rows),
            "C cache rows, per prompt (recipe)": lambda: with_memo(cache_rows),
            "D clip rows, per prompt (recipe)": lambda: with_memo(clip_rows),
        }
        for fn in ways.values():  # warm-up: library loading is not per-step cost
            fn()
        times: dict[str, list[float]] = {name: [] for name in ways}
        for _ in range(args.steps):
            for name, fn in ways.items():
                t = time.process_time()
                fn()
                times[name].append(time.process_time() - t)
        med = {name: statistics.median(v) for name, v in times.items()}
        a = med["A clip rows, per rollout (verl stock)"]
        print(
            f"media CPU time per step ({PROMPTS} prompts x {ROLLOUTS} rollouts), median of {args.steps} steps:"
        )
        for name, m in med.items():
            print(f"  {name:40s} {m * 1000:9.1f} ms   (A)/this = {a / m:7.1f}x")
        b, c = med["B cache rows, per rollout"], med["C cache rows, per prompt (recipe)"]
        print(f"target (A)/(B) >= 20x: {'met' if a / b >= 20 else 'NOT met'} ({a / b:.1f}x)")
        print(f"target (A)/(C) >= 100x: {'met' if a / c >= 100 else 'NOT met'} ({a / c:.1f}x)")


if __name__ == "__main__":
    main()
