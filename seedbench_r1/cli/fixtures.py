"""``seedbench-r1 make-fixture`` and ``seedbench-r1 make-tiny-model``: offline stand-ins for data and model."""

from __future__ import annotations

import argparse
import json
import time

from seedbench_r1.cli.knobs import whole


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "make-fixture",
        help="write a miniature SEED-Bench-R1 (real layout, real mp4/png) for tests and the demo",
        description="Write a miniature SEED-Bench-R1 under --root: all five annotation files, H.264 clips "
        "and PNG observation images in the real layout. --root must be a new or empty folder, or (with "
        "--force) a fixture made earlier, recognised by its marker file .seedbench_r1/fixture.json. Any other "
        "non-empty folder is refused before anything is written, even with --force: it may be a real "
        "dataset.",
    )
    p.add_argument("--root", required=True, help="folder to write: new or empty (created if missing)")
    p.add_argument(
        "--dataset",
        choices=("seedbench_r1", "longvideobench"),
        default="seedbench_r1",
        help="which benchmark: SEED-Bench-R1 (default) or LongVideoBench validation (lvb_val.json + videos/, "
        "12 questions with 4 and 5 candidates, both levels, every duration group)",
    )
    p.add_argument("--seed", type=whole(), default=0, help="seed for ids, option order and gold letters")
    p.add_argument(
        "--force",
        action="store_true",
        help="replace the fixture already in --root (only a folder with make-fixture's marker; other files "
        "there, such as a frame cache, are left alone)",
    )
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
    from seedbench_r1.fixtures.seedbench import make_fixture

    start = time.perf_counter()
    if args.dataset == "longvideobench":
        from seedbench_r1.longvideobench.fixture import make_lvb_fixture

        summary = make_lvb_fixture(args.root, seed=args.seed, force=args.force)
        print(f"wrote miniature LongVideoBench to {summary['root']} in {time.perf_counter() - start:.1f}s")
        print(f"  lvb_val.json: {summary['rows']['lvb_val.json']} questions, clips: {len(summary['clips'])}")
        print(f"  export LONGVIDEOBENCH_ROOT={summary['root']}")
        return 0
    # A target that is not new, empty or (--force) a fixture raises UsageError before anything is written.
    summary = make_fixture(args.root, seed=args.seed, force=args.force)
    rows = ", ".join(f"{name} {n}" for name, n in summary["rows"].items())
    verb = "replaced the fixture in" if summary["replaced"] else "wrote miniature SEED-Bench-R1 to"
    print(f"{verb} {summary['root']} in {time.perf_counter() - start:.1f}s")
    print(f"  annotations: {rows}")
    print(f"  clips: {len(summary['clips'])}, images: {summary['images']}")
    print(json.dumps(summary["clips"], indent=2))
    return 0


def _make_tiny_model(args: argparse.Namespace) -> int:
    from seedbench_r1.fixtures.tiny_model import BUILDERS

    start = time.perf_counter()
    out = BUILDERS[args.kind](args.out)
    size = sum(f.stat().st_size for f in out.iterdir() if f.is_file())
    print(f"wrote tiny {args.kind} to {out} ({size / 1e6:.2f} MB) in {time.perf_counter() - start:.1f}s")
    return 0
