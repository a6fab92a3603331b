"""``seedbench-r1 consistency``: does each logged response's reasoning support its answer? (docs/analysis.md)"""

from __future__ import annotations

import argparse
import os

from seedbench_r1.cli.knobs import key_values, number, whole


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "consistency",
        help="the consistency rate: a judge model says whether each logged response's <think> supports its "
        "answer (docs/analysis.md)",
        description="For every logged sample of lmms-eval runs (SEED-Bench-R1 or LongVideoBench), a judge "
        "reads the question, the options, the <think> text and the chosen letter and answers yes or no "
        "(the project's versioned prompt, parsed strictly). Writes DIR/judgments.jsonl (resumable: run the "
        "same command again), DIR/consistency.csv and DIR/consistency.md; `seedbench-r1 report "
        "--consistency DIR` shows the rates beside accuracy.",
    )
    p.add_argument("runs", nargs="+", metavar="RUN", help="lmms-eval --output_path folder, [LABEL=]PATH")
    p.add_argument(
        "--judge",
        required=True,
        metavar="MODEL",
        help="hf / vllm: a checkpoint folder or hub id (Qwen2-VL / Qwen2.5-VL, text only); openai: the model "
        "name the server serves",
    )
    p.add_argument("--backend", choices=("hf", "vllm", "openai"), default="hf", help="default hf")
    p.add_argument("--out", required=True, metavar="DIR", help="output folder")
    p.add_argument(
        "--base-url", default=None, help="openai: the server's base URL, e.g. http://localhost:8000/v1"
    )
    p.add_argument(
        "--api-key-env",
        default="OPENAI_API_KEY",
        help="openai: the environment variable holding the key (default OPENAI_API_KEY; unset: 'EMPTY', "
        "what vllm serve accepts without --api-key)",
    )
    p.add_argument(
        "--concurrency", type=whole(1, 1024), default=8, help="openai: requests in flight (default 8)"
    )
    p.add_argument(
        "--timeout",
        type=number(0, low_open=True),
        default=120.0,
        help="openai: seconds per request before it is retried (default 120)",
    )
    p.add_argument("--retries", type=whole(0, 20), default=3, help="openai: retries per request (default 3)")
    p.add_argument(
        "--temperature", type=number(0), default=0.0, help="judge sampling temperature (default 0: greedy)"
    )
    p.add_argument(
        "--top-p",
        type=number(0, 1, low_open=True),
        default=1.0,
        help="nucleus sampling when --temperature > 0 (default 1.0)",
    )
    p.add_argument(
        "--max-new-tokens",
        type=whole(1),
        default=16,
        help="judge reply length (default 16: a verdict; raise it for a judge that thinks first)",
    )
    p.add_argument(
        "--batch-size",
        type=whole(1),
        default=None,
        help="samples per committed batch (default: hf / vllm the model class's batch; openai 4 x concurrency)",
    )
    p.add_argument(
        "--model-args",
        default="",
        help="hf / vllm: more model class arguments, key=value,... (e.g. device=cpu or "
        "tensor_parallel_size=8,max_model_len=8192; docs/model_class.md)",
    )
    p.add_argument(
        "--overwrite",
        action="store_true",
        help="start DIR/judgments.jsonl over (needed to change the judge, backend, prompt or sampling)",
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=_consistency)


def _consistency(args: argparse.Namespace) -> int:
    from pathlib import Path

    from seedbench_r1.consistency.judges import Sampling
    from seedbench_r1.consistency.run import ConsistencyConfig, consistency
    from seedbench_r1.protocol.errors import UsageError

    model_args = key_values("--model-args", args.model_args)
    if model_args and args.backend == "openai":
        raise UsageError("--model-args is for --backend hf or vllm; a server has its own")
    cfg = ConsistencyConfig(
        runs=list(args.runs),
        judge=args.judge,
        out=Path(args.out),
        backend=args.backend,
        sampling=Sampling(args.temperature, args.top_p, args.max_new_tokens),
        model_args=model_args,
        base_url=args.base_url,
        api_key=os.environ.get(args.api_key_env) or "EMPTY",
        concurrency=args.concurrency,
        timeout=args.timeout,
        retries=args.retries,
        batch_size=args.batch_size,
        overwrite=args.overwrite,
        progress=not args.no_progress,
    )
    result = consistency(cfg)
    for line in result.lines:
        print(line)
    rate = f"{result.judged_now / result.seconds:.2f} samples/s" if result.judged_now else "nothing new"
    print(
        f"judged {result.judged_now} now ({rate}), {result.resumed} already in {cfg.out / 'judgments.jsonl'}; "
        f"{len(result.unparsable)} unparsable verdicts"
    )
    for line in result.unparsable[:10]:
        print(f"  unparsable: {line}")
    if len(result.unparsable) > 10:
        print(f"  ... {len(result.unparsable) - 10} more in {result.files[1]}")
    print(f"rates:  {result.files[0]}")
    print(f"report: {result.files[1]}")
    return 0
