"""``seedbench-r1 attention``: where the response's attention goes (the video's frame groups, the image, the text;
the paper's Section 5 attention maps), per sample as JSON + PNG, and with ``--summary`` over a split."""

from __future__ import annotations

import argparse

from seedbench_r1.cli.knobs import whole


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "attention",
        help="attention of the response tokens to the frames, the image and the text (docs/attention.md)",
        description="For each sample: the protocol's inputs through the lmms-eval model class, the model's own "
        "greedy response (the task's generation settings) or one logged by an lmms-eval run, then one "
        "teacher-forced forward pass whose attention weights are captured layer by layer (forward hooks) and "
        "reduced to the shares of the response's attention (all tokens, the <think> span, the <answer> "
        "span) on each temporal frame group, the image, the question text, the chat template and earlier "
        "response tokens, plus 9 x 9 heat maps per frame group and for the image. Writes "
        "<out>/<model>/<sample_id>.json and .png; an existing JSON for the same request is skipped. The "
        "language model runs EAGER attention for that pass because sdpa returns no weights (the model class "
        "generates with sdpa, so numerics differ slightly from an evaluation run).",
    )
    p.add_argument(
        "--model",
        action="append",
        required=True,
        metavar="[LABEL=]DIR",
        help="Qwen2-VL / Qwen2.5-VL checkpoint folder; repeat for several models (output folder: LABEL, "
        "default the folder's name)",
    )
    p.add_argument("--split", required=True, help="validation_L1, validation_L2 or validation_L3")
    p.add_argument(
        "--samples",
        default=None,
        metavar="ID[,ID...]",
        help="sample ids of the split (required unless --summary or --limit covers the split)",
    )
    p.add_argument(
        "--response-from",
        action="append",
        default=[],
        metavar="RUN",
        help="teacher-force the response an lmms-eval run logged (--log_samples; its --output_path, model "
        "folder or results file) instead of generating one; once for every model or once per --model. The "
        "text is re-tokenized: the JSON says whether that round-trips (retokenized_exact)",
    )
    p.add_argument(
        "--layers",
        default="all",
        metavar="SPEC",
        help="language-model layers averaged: all (default), 0-27, 10,12,14 or 0-3,20",
    )
    p.add_argument(
        "--root", default=None, help="dataset root (default: $SEEDBENCH_R1_ROOT or the cache path)"
    )
    p.add_argument(
        "--summary",
        action="store_true",
        help="every sample of the split (or --limit of them), then attention_summary_all.csv/.md/.png in --out",
    )
    p.add_argument(
        "--limit",
        type=whole(1),
        default=None,
        metavar="N",
        help="without --samples: N samples drawn with --seed",
    )
    p.add_argument(
        "--seed", type=whole(), default=0, help="seed of --limit's draw and the summary's bootstrap"
    )
    p.add_argument("--n-boot", type=whole(1), default=2000, help="summary bootstrap resamples (default 2000)")
    p.add_argument("--out", required=True, help="output folder (one subfolder per model)")
    p.add_argument("--overwrite", action="store_true", help="redo samples whose JSON exists")
    p.add_argument("--device", default=None, help="default: cuda when available, else cpu")
    p.add_argument("--dtype", default=None, help="default: bfloat16 on cuda, float32 on cpu")
    p.add_argument(
        "--max-new-tokens",
        type=whole(1),
        default=None,
        help="cap of a generated response (default: the task's generation_kwargs, 1024)",
    )
    p.set_defaults(func=_attention)


def _attention(args: argparse.Namespace) -> int:
    from pathlib import Path

    from seedbench_r1.attention.run import AttentionConfig, run_attention

    samples = [s.strip() for s in args.samples.split(",") if s.strip()] if args.samples else None
    result = run_attention(
        AttentionConfig(
            models=list(args.model),
            split=args.split,
            out=Path(args.out),
            samples=samples,
            response_from=list(args.response_from),
            layers=args.layers,
            root=args.root,
            limit=args.limit,
            seed=args.seed,
            summary=args.summary,
            n_boot=args.n_boot,
            overwrite=args.overwrite,
            device=args.device,
            dtype=args.dtype,
            max_new_tokens=args.max_new_tokens,
        )
    )
    for label, records in result.records.items():
        print(f"{label}: {len(records)} samples in {Path(args.out) / label}")
    print(f"written: {len(result.written)}, skipped (already there): {len(result.skipped)}")
    if result.summary is not None:
        print("\n".join(result.summary.lines))
        for name in ("csv", "markdown", "png"):
            print(f"{name}: {getattr(result.summary, name)}")
    return 0
