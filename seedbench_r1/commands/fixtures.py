"""``seedbench-r1 make-fixture`` and ``seedbench-r1 make-tiny-model``: offline stand-ins for data and model."""

from __future__ import annotations

import argparse
import json
import time


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "make-fixture",
        help="write a miniature SEED-Bench-R1 (real layout, real mp4/png) for tests and the demo",
        description="Write a miniature SEED-Bench-R1 under --root: all five annotation files, H.264 clips "
        "and PNG observation images in the real layout. Existing fixture files are replaced.",
    )
    p.add_argument("--root", required=True, help="dataset root to write (created if missing)")
    p.add_argument("--seed", type=int, default=0, help="seed for ids, option order and gold letters")
    p.set_defaults(func=_make_fixture)

    p = subparsers.add_parser(
        "make-tiny-model",
        help="save a tiny random Qwen2-VL / Qwen2.5-VL checkpoint with the real processor settings",
        description="Save a tiny randomly initialised checkpoint (tokenizer, chat template, image/video "
        "processor settings of the real 7B-Instruct checkpoint) loadable with AutoProcessor.",
    )
    p.add_argument("--out", required=True, help="output folder (created if missing)")
    p.add_argument("--kind", choices=("qwen2_vl", "qwen2_5_vl"), default="qwen2_vl")
    p.set_defaults(func=_make_tiny_model)


def _make_fixture(args: argparse.Namespace) -> int:
    from seedbench_r1.fixture import make_fixture

    start = time.perf_counter()
    summary = make_fixture(args.root, seed=args.seed)
    rows = ", ".join(f"{name} {n}" for name, n in summary["rows"].items())
    print(f"wrote miniature SEED-Bench-R1 to {summary['root']} in {time.perf_counter() - start:.1f}s")
    print(f"  annotations: {rows}")
    print(f"  clips: {len(summary['clips'])}, images: {summary['images']}")
    print(json.dumps(summary["clips"], indent=2))
    return 0


def _make_tiny_model(args: argparse.Namespace) -> int:
    from seedbench_r1.tiny_model import BUILDERS

    start = time.perf_counter()
    out = BUILDERS[args.kind](args.out)
    size = sum(f.stat().st_size for f in out.iterdir() if f.is_file())
    print(f"wrote tiny {args.kind} to {out} ({size / 1e6:.2f} MB) in {time.perf_counter() - start:.1f}s")
    return 0
