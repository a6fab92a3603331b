"""``seedbench-r1 prepare-verl`` (annotation file -> verl parquet) and ``seedbench-r1 recipe-path``."""

from __future__ import annotations

import argparse
import sys

from seedbench_r1.cli.knobs import whole


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "prepare-verl",
        help="write verl 0.9.1 parquet (RL rows, or SFT rows for the CoT file) from an annotation file",
        description="Convert one SEED-Bench-R1 annotation file to verl parquet. The CoT file "
        "(training_with_cot_6k) gives SFT rows for verl.trainer.sft_trainer; every other split gives RL rows "
        "for verl.trainer.main_ppo (training rows get their four options by the seeded rule). No clip is "
        "opened: the frame rule and the 252 x 252 size travel in each row for qwen-vl-utils.",
    )
    p.add_argument(
        "--root", default=None, help="dataset root (default: $SEEDBENCH_R1_ROOT or the cache path)"
    )
    p.add_argument(
        "--split",
        required=True,
        help="validation_L1 / _L2 / _L3, training_6k, training_with_cot_6k, or another annotation file name "
        "(e.g. the full training file) under <root>/annotations, or a path to one",
    )
    p.add_argument(
        "--out",
        required=True,
        help="output .parquet (written atomically; an existing file is kept unless --overwrite)",
    )
    p.add_argument(
        "--overwrite",
        action="store_true",
        help="replace an existing --out (and its <out>.skipped.json)",
    )
    p.add_argument(
        "--seed", type=whole(), default=0, help="seed of the option rule for training rows (default 0)"
    )
    p.add_argument(
        "--media-root",
        default=None,
        help="absolute dataset root as the TRAINING machines see it (default: --root); media paths in the "
        "parquet are absolute and start with it",
    )
    p.add_argument(
        "--frame-cache",
        default=None,
        help="a frame cache folder (e.g. <root>/frames): clips become lists of cached 252x252 PNG frames; "
        "every clip and image must be cached",
    )
    p.add_argument(
        "--frame-cache-root",
        default=None,
        help="absolute path of --frame-cache as the TRAINING machines see it (needed with --media-root when the "
        "cache is outside --root; a cache under --root follows --media-root)",
    )
    p.add_argument(
        "--skip-bad-rows",
        action="store_true",
        help="skip bad rows instead of stopping at the first one: counted by reason, the first 20 printed "
        "with file:line, sample id and reason, all of them listed in <out>.skipped.json",
    )
    p.add_argument(
        "--check-media", action="store_true", help="fail (or skip) rows whose media files are missing"
    )
    p.add_argument(
        "--processor",
        default=None,
        help="CoT file only: the model you will fine-tune (folder or hub id); every SFT row's token length is "
        "counted with verl's SFT dataset and this processor, and a row over --max-length stops the "
        "conversion naming it (or, with --skip-bad-rows, is left out and listed)",
    )
    p.add_argument(
        "--max-length",
        type=whole(1),
        default=None,
        help="token limit for --processor (default: the SFT recipe's data.max_length, 2048)",
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=_prepare)

    p = subparsers.add_parser(
        "verl-reward-check",
        help="score verl parquet rows through the reward a recipe names, loaded by verl's own loader",
        description="Compose a recipe, resolve its reward with verl's get_custom_reward_fn (as main_ppo "
        "does), score one fixed response against every row of the given parquet files, and print the mean "
        "score and accuracy per data_source. A wiring check for the reward path, no model involved.",
    )
    p.add_argument("parquet", nargs="+", help="RL parquet files written by prepare-verl")
    p.add_argument("--recipe", default="seedbench_r1_grpo", help="recipe (--config-name) whose reward to use")
    p.add_argument(
        "--response",
        default="<think>the next step</think><answer>B</answer>",
        help="the response to score for every row (default: a well-formed answer 'B')",
    )
    p.set_defaults(func=_reward_check)

    p = subparsers.add_parser(
        "recipe-path",
        help="print the folder of the verl hydra recipes (for --config-path)",
        description="Print the absolute folder holding seedbench_r1_grpo*.yaml, seedbench_r1_sft.yaml and "
        "the run scripts.",
    )
    p.set_defaults(func=_recipe_path)


def _prepare(args: argparse.Namespace) -> int:
    """Errors go to the CLI's one error path (one line naming file, line, sample id and field, exit 1)."""
    from seedbench_r1.protocol.errors import AnnotationError, UsageError
    from verl_recipe.rl_parquet import is_sft_split, prepare_rl
    from verl_recipe.sft_parquet import prepare_sft

    on_error = "skip" if args.skip_bad_rows else "raise"
    common = dict(
        media_root=args.media_root,
        frame_cache=args.frame_cache,
        frame_cache_root=args.frame_cache_root,
        on_error=on_error,
        check_media=args.check_media,
        progress=not args.no_progress,
        overwrite=args.overwrite,
    )
    try:
        if is_sft_split(args.root, args.split):
            report = prepare_sft(
                args.root,
                args.split,
                args.out,
                processor=args.processor,
                max_length=args.max_length,
                **common,
            )
        elif args.processor is not None or args.max_length is not None:
            raise UsageError(
                f"--processor / --max-length check SFT rows (the CoT file); {args.split} gives RL rows, whose "
                "prompts are bounded by construction"
            )
        else:
            report = prepare_rl(args.root, args.split, args.out, seed=args.seed, **common)
    except AnnotationError as exc:
        if on_error == "skip":
            raise
        hint = f"{exc.reason} (--skip-bad-rows skips bad rows and lists them; nothing was written)"
        raise AnnotationError(exc.path, exc.line, exc.field, hint, sample_id=exc.sample_id) from exc
    print("\n".join(report.lines()))
    return 0


def _reward_check(args: argparse.Namespace) -> int:
    from collections import defaultdict

    from verl.trainer.ppo.reward import get_custom_reward_fn

    from verl_recipe.cpu_step import compose_named_recipe
    from verl_recipe.preflight import read_rl_parquet

    tables = [
        (path, read_rl_parquet(path, ["data_source", "reward_model", "extra_info"])) for path in args.parquet
    ]
    cfg = compose_named_recipe(args.recipe)
    score = get_custom_reward_fn(cfg)
    if score is None:
        print(f"verl-reward-check: {args.recipe} names no custom reward function", file=sys.stderr)
        return 1
    print(
        f"reward: {cfg.reward.custom_reward_function.path}:{cfg.reward.custom_reward_function.name} "
        f"with {dict(cfg.reward.custom_reward_function.get('reward_kwargs', {}))}"
    )
    results: dict[str, list[dict]] = defaultdict(list)
    for _path, table in tables:
        for row in table.to_pylist():
            results[row["data_source"]].append(
                score(
                    data_source=row["data_source"],
                    solution_str=args.response,
                    ground_truth=row["reward_model"]["ground_truth"],
                    extra_info=row["extra_info"],
                )
            )
    for source, scores in sorted(results.items()):
        mean = sum(s["score"] for s in scores) / len(scores)
        acc = sum(s["acc"] for s in scores) / len(scores)
        print(f"  {source}: {len(scores)} rows, mean score {mean:.3f}, accuracy {acc:.3f}")
    return 0


def _recipe_path(args: argparse.Namespace) -> int:
    from verl_recipe import recipe_dir

    print(recipe_dir())
    return 0
