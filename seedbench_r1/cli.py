"""The ``seedbench-r1`` console script.

Every module in :mod:`seedbench_r1.commands` that defines ``register(subparsers)`` contributes one or more
subcommands; ``register`` adds a parser and sets ``func`` (called with the parsed namespace, returning an exit
code). Keeping one module per command lets each face grow its own commands without editing this file.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from collections.abc import Sequence

from seedbench_r1 import commands


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="seedbench-r1",
        description="SEED-Bench-R1 for lmms-eval and verl: data, fixtures, evaluation and training glue.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{commands.__name__}.{info.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    # `eval` forwards everything after it to lmms-eval untouched, so argparse must not read those flags.
    if argv and argv[0] == "eval":
        args = parser.parse_args(argv[:1])
        args.passthrough = argv[1:]
    else:
        args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
