"""``seedbench-r1 doctor``: check the environment (versions, known traps, GPU and driver, data) before a run."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "doctor",
        help="check Python, installed versions vs the lock, known traps, GPU / driver, the dataset root",
        description="One line per check: ok, warning or problem, what was found and, for warnings and "
        "problems, what to do. Exits 1 if any check is a problem (a run would fail), else 0.",
    )
    p.add_argument("--root", default=None, help="dataset root (default: $SEEDBENCH_R1_ROOT or the cache)")
    p.add_argument(
        "--lock",
        default=None,
        metavar="cpu|gpu|PATH",
        help="lock to compare installed versions with (default: gpu on a GPU host, else cpu)",
    )
    p.add_argument("--json", action="store_true", help="print a JSON list of {check, status, detail, fix}")
    p.set_defaults(func=_doctor)


def _doctor(args: argparse.Namespace) -> int:
    from seedbench_r1.env.doctor import Context, exit_code, run_checks, to_json

    results = run_checks(Context(root=args.root, lock=args.lock))
    if args.json:
        print(to_json(results))
    else:
        for result in results:
            print(result.line())
    return exit_code(results)
