"""The ``seedbench-r1`` console script: :func:`main` here, one module per command group beside it.

Every module of this package that defines ``register(subparsers)`` contributes one or more subcommands;
``register`` adds a parser and sets ``func`` (called with the parsed namespace, returning an exit code), so a
new command needs no edit of this file. A command module imports heavy dependencies (torch, lmms-eval, verl)
inside its handler, not at module level, so that ``seedbench-r1 --help`` stays fast and works with any subset
of the extras installed.
"""

from __future__ import annotations

import argparse
import errno
import importlib
import os
import pkgutil
import re
import sys
import traceback
from collections.abc import Sequence

from seedbench_r1.protocol.errors import SeedBenchError, project_error

DEBUG_ENV = "SEEDBENCH_R1_DEBUG"
# What to do about the OS errors a user can fix, beyond the OS's own words.
_OS_HINTS = {
    errno.ENOSPC: "free some space or write elsewhere",
    errno.EACCES: "check the permissions, or write elsewhere",
    errno.EROFS: "the file system is read-only: write elsewhere",
    errno.EISDIR: "name a file, not a folder",
    errno.ENOTDIR: "a part of the path is a file, not a folder",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="seedbench-r1",
        description="SEED-Bench-R1 for lmms-eval and verl: data, fixtures, evaluation and training glue.",
    )
    parser.add_argument(
        "--debug",
        action="store_true",
        help=f"show the traceback of anticipated errors too (or set {DEBUG_ENV}=1)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(sub)
    return parser


def attach_dash_values(argv: Sequence[str]) -> list[str]:
    """``--flag -1/2`` -> ``--flag=-1/2``: argparse reads a value that starts with ``-`` and is not a plain
    negative number as another option ("expected one argument"); attached, the flag's own check names what is
    wrong with it. No option of the project starts with a dash and a digit."""
    out: list[str] = []
    for token in argv:
        if out and out[-1].startswith("--") and "=" not in out[-1] and re.match(r"^-\d", token):
            out[-1] = f"{out[-1]}={token}"
        else:
            out.append(token)
    return out


def describe(exc: BaseException) -> str:
    """One line for an anticipated error: the project's own errors name file, line, sample and field; an
    OSError names its path(s), the OS's reason and what to do."""
    if isinstance(exc, OSError) and not isinstance(exc, SeedBenchError):
        paths = " -> ".join(str(p) for p in (exc.filename, exc.filename2) if p is not None)
        reason = exc.strerror or str(exc)
        hint = _OS_HINTS.get(exc.errno or 0)
        return "; ".join(part for part in (f"{paths}: {reason}" if paths else reason, hint) if part)
    return " ".join(str(exc).splitlines()) or type(exc).__name__


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    debug = os.environ.get(DEBUG_ENV, "") not in ("", "0")
    if argv[:1] == ["--debug"]:
        debug = True
        argv = argv[1:]
    # `eval` forwards everything after it to lmms-eval untouched, so argparse must not read those flags.
    if argv and argv[0] == "eval":
        args = parser.parse_args(argv[:1])
        args.passthrough = argv[1:]
    else:
        args = parser.parse_args(attach_dash_values(argv))
    name = f"seedbench-r1 {args.command}"
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    # Anticipated failures (bad input, paths, the OS refusing a read or write): one line, exit 1.
    except (SeedBenchError, OSError) as exc:
        if debug:
            traceback.print_exc()
        print(f"{name}: error: {describe(exc)}", file=sys.stderr)
        if not debug:
            print(f"  (set {DEBUG_ENV}=1 or pass --debug for the traceback)", file=sys.stderr)
        return 1
    # Anything else is a bug in this project, not in the user's input: keep the traceback. A framework may wrap
    # a project error (lmms-eval retries its dataset build and raises tenacity's RetryError): that is still
    # the user's input, reported as such.
    except Exception as exc:
        inner = project_error(exc)
        if inner is not None:
            if debug:
                traceback.print_exc()
            print(f"{name}: error: {describe(inner)}", file=sys.stderr)
            return 1
        traceback.print_exc()
        print(
            f"{name}: internal error: this is a bug in seedbench-r1, not a problem with your input; "
            "please report it with the traceback above",
            file=sys.stderr,
        )
        return 70


if __name__ == "__main__":
    raise SystemExit(main())
