"""``seedbench-r1 verl-cpu-step``: one GRPO step's data path on CPU (see :mod:`verl_recipe.cpu_step`)."""

from __future__ import annotations

import argparse
from collections import Counter

from seedbench_r1.cli.knobs import whole


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "verl-cpu-step",
        help="one GRPO step's data path on CPU through verl (dataset, processing, reward loop, advantages)",
        description="Load RL parquet with the recipe's dataset class, process prompts as verl's agent loop "
        "does, sample N responses per prompt with a small HF model (vLLM's job on GPU hosts), score them with "
        "verl's reward loop and compute verl's GRPO advantages. A wiring check: nothing is trained.",
    )
    p.add_argument("parquet", help="RL parquet written by prepare-verl")
    p.add_argument("--model", required=True, help="a (small) Qwen2-VL / Qwen2.5-VL checkpoint folder")
    p.add_argument("--recipe", default="seedbench_r1_grpo_smoke", help="recipe (--config-name) to compose")
    p.add_argument("--prompts", type=whole(1), default=4, help="prompts to take from the parquet")
    p.add_argument("-n", type=whole(1), default=4, help="responses per prompt (GRPO group size)")
    p.add_argument("--max-new-tokens", type=whole(1), default=32)
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from verl_recipe.cpu_step import run_cpu_step

    result = run_cpu_step(
        args.parquet,
        args.model,
        recipe=args.recipe,
        prompts=args.prompts,
        n=args.n,
        max_new_tokens=args.max_new_tokens,
    )
    print(f"{'prompt':>6}  {'data_source':<20} {'tokens':>6} {'video grid':<12} gold  pred  score  advantage")
    for i in range(len(result.scores)):
        grid = "x".join(map(str, result.video_grids[i])) if result.video_grids[i] else "-"
        print(
            f"{result.group[i]:>6}  {result.data_sources[i]:<20} {result.prompt_tokens[i]:>6} {grid:<12} "
            f"{result.golds[i]:<5} {result.preds[i] or '-':<5} {result.scores[i]:.2f}  {result.advantages[i]:+.3f}"
        )
    preds = Counter(p or "none" for p in result.preds)
    print(f"{len(result.scores)} responses scored by verl's reward loop; predictions: {dict(preds)}")
    return 0
