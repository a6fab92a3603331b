"""``seedbench-r1 tasks-path`` and ``seedbench-r1 eval``: the lmms-eval face of the project.

``eval`` runs lmms-eval's own CLI in this process with the project's task folder added as ``--include_path``
and every other argument untouched. It differs from plain ``lmms-eval`` in one respect: lmms-eval 0.7.3 catches
any error of a run (e.g. "Tasks not found", a missing video), prints it and still exits 0 unless
``--verbosity DEBUG``; here such a run exits 1, so scripts and CI see the failure.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Iterator, Sequence

from seedbench_r1.protocol.errors import project_error


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "tasks-path",
        help="print the folder to pass to lmms-eval as --include_path",
        description='Print the lmms-eval task folder: lmms-eval --include_path "$(seedbench-r1 tasks-path)" '
        "--tasks seedbench_r1 ...",
    )
    p.set_defaults(func=_tasks_path)

    p = subparsers.add_parser(
        "eval",
        help="run lmms-eval with the SEED-Bench-R1 tasks included (all further arguments go to lmms-eval)",
        description="Run lmms-eval's CLI with --include_path set to the project's tasks; every argument after "
        "`eval` is passed to lmms-eval unchanged (see `seedbench-r1 eval --help`). Exits 1 when lmms-eval "
        "reports an error, which plain lmms-eval 0.7.3 turns into exit 0 below --verbosity DEBUG.",
        add_help=False,
    )
    p.set_defaults(func=_eval)


def _tasks_path(args: argparse.Namespace) -> int:
    from lmms_eval_tasks import tasks_path

    print(tasks_path())
    return 0


def split_include_path(argv: Sequence[str]) -> tuple[list[str], list[str]]:
    """(arguments without ``--include_path``, the include paths the user gave)."""
    rest: list[str] = []
    paths: list[str] = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--include_path":
            if i + 1 >= len(argv):
                raise ValueError("--include_path needs a value")
            paths.append(argv[i + 1])
            i += 2
            continue
        if arg.startswith("--include_path="):
            paths.append(arg.split("=", 1)[1])
        else:
            rest.append(arg)
        i += 1
    return rest, paths


def _eval(args: argparse.Namespace) -> int:
    from lmms_eval_tasks import tasks_path

    passthrough = list(getattr(args, "passthrough", []))
    if not passthrough:
        print(
            "usage: seedbench-r1 eval --model MODEL --model_args ARGS --tasks seedbench_r1 [lmms-eval options]\n"
            "(`seedbench-r1 eval --help` lists lmms-eval's options)",
            file=sys.stderr,
        )
        return 2
    try:
        rest, user_paths = split_include_path(passthrough)
    except ValueError as exc:
        print(f"seedbench-r1 eval: {exc}", file=sys.stderr)
        return 2
    ours = str(tasks_path())
    include = [ours, *[p for p in user_paths if p != ours]]
    return run_lmms_eval(protect_task_names(rest), include)


def protect_task_names(argv: Sequence[str]) -> list[str]:
    """Keep ``--tasks seedbench_r1`` a task name when a folder of that name is in the working directory.

    lmms-eval 0.7.3 reads a ``--tasks`` value that is an existing directory as a folder of YAMLs, and the
    project's checkout has a ``seedbench_r1/`` package folder (and ``lmms_eval_tasks/`` a ``longvideobench_r1/`` task folder): run from the repository root, the group silently
    becomes zero tasks. ``X,X`` is no directory and lmms-eval de-duplicates it back to the task ``X``.
    """
    from seedbench_r1.protocol.names import ALL_TASKS

    out = list(argv)
    for i, arg in enumerate(out):
        value_at = i + 1 if arg == "--tasks" else (i if arg.startswith("--tasks=") else None)
        if value_at is None or value_at >= len(out):
            continue
        value = out[value_at].split("=", 1)[1] if value_at == i else out[value_at]
        if value in ALL_TASKS and os.path.isdir(value):
            fixed = f"{value},{value}"
            out[value_at] = f"--tasks={fixed}" if value_at == i else fixed
    return out


def root_cause(exc: BaseException) -> str:
    """The innermost error: lmms-eval retries dataset loading and reports only tenacity's ``RetryError``."""
    while exc.__cause__ is not None:
        exc = exc.__cause__
    return f"{type(exc).__name__}: {exc}"


@contextlib.contextmanager
def project_errors_not_retried() -> Iterator[None]:
    """lmms-eval 0.7.3 builds a task's dataset under tenacity's retry (``ConfigurableTask.download``: 5 attempts,
    2 s apart) whatever fails; the tasks' ``process_docs`` run inside it, so a bad dataset root cost 8 s before
    its error. The project's own errors are not transient: for the block they are not retried (anything else
    still is). Remove when lmms-eval retries only network errors."""
    from lmms_eval.api.task import ConfigurableTask
    from tenacity import retry_if_exception

    retrying = ConfigurableTask.download.retry
    saved = retrying.retry
    retrying.retry = retry_if_exception(lambda exc: project_error(exc) is None)
    try:
        yield
    finally:
        retrying.retry = saved


def run_lmms_eval(argv: Sequence[str], include_path: list[str]) -> int:
    """lmms-eval's ``cli_evaluate`` on ``argv`` plus ``include_path``; 1 when any evaluation in it failed.

    A failure whose cause is the project's own error (a bad dataset root, a missing clip) is the user's input:
    it is raised as that error, so the CLI reports it in its one line, and lmms-eval's handler (a traceback,
    then a re-raise under ``--verbosity DEBUG``) never sees it. Anything else is lmms-eval's to report."""
    import lmms_eval.__main__ as lmms_main

    failures: list[BaseException] = []
    original = lmms_main.cli_evaluate_single

    def observed(single_args: argparse.Namespace):  # noqa: ANN202 - returns whatever lmms-eval returns
        try:
            return original(single_args)
        except Exception as exc:
            failures.append(exc)
            if project_error(exc) is not None:
                return None, None  # what lmms-eval records for a failed evaluation; reported below
            raise  # lmms-eval handles it exactly as it would (prints it, or re-raises under DEBUG)

    saved_argv = sys.argv
    # A single --include_path string is what lmms-eval's parser takes; TaskManager also takes a list, which
    # cli_evaluate lets us set as an override of the parsed namespace.
    sys.argv = ["lmms-eval", *argv, "--include_path", include_path[0]]
    lmms_main.cli_evaluate_single = observed
    try:
        overrides = argparse.Namespace(include_path=include_path) if len(include_path) > 1 else None
        with project_errors_not_retried():
            lmms_main.cli_evaluate(overrides)
    except SystemExit as exc:  # --help, --tasks list, or lmms-eval's own exits
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    finally:
        lmms_main.cli_evaluate_single = original
        sys.argv = saved_argv
    if failures:
        inner = project_error(failures[0])
        if inner is not None:
            raise inner
        print(f"seedbench-r1 eval: lmms-eval failed: {root_cause(failures[0])}", file=sys.stderr)
        return 1
    return 0
