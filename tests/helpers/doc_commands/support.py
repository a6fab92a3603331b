"""What the checks share: per-line results and state, hydra records, patched environments, argparse helpers."""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import re
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path

from .parse import ELIDED_VALUE, ELISION, REPO

# ------------------------------------------------------------------------------------------------- results


@dataclass
class LineResult:
    doc: str
    line: int
    text: str
    cls: int | None = None
    failures: list[str] = field(default_factory=list)
    pending: list[Future] = field(default_factory=list)  # runs in flight; each gives a failure or None

    def fail(self, what: str) -> None:
        if what not in self.failures:
            self.failures.append(what)


@dataclass
class State:
    """The shell a doc's reader types into: variables persist through the doc, the folder per block."""

    env: dict[str, str] = field(default_factory=dict)
    cwd: Path = REPO
    fixtures: dict[str, Future] = field(default_factory=dict)  # roots made by a make-fixture line


@dataclass
class HydraRecord:
    """One composed launch line, for comparing with the literal ``--cfg job --resolve``."""

    module: str
    config_dir: str
    config_name: str
    overrides: list[str]
    env: dict[str, str]
    resolved_yaml: str


@contextlib.contextmanager
def patched_environ(values: dict[str, str]) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@contextlib.contextmanager
def patched_argv(argv: list[str]) -> Iterator[None]:
    saved = sys.argv
    sys.argv = argv
    try:
        yield
    finally:
        sys.argv = saved


def argparse_error(parse: Callable[[], object]) -> str | None:
    """None when ``parse()`` succeeds, else argparse's error line."""
    err = io.StringIO()
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            parse()
    except SystemExit as exc:
        lines = [ln for ln in err.getvalue().strip().splitlines() if ln.strip()]
        return lines[-1] if lines else f"exit {exc.code}"
    return None


def option_table(parser: argparse.ArgumentParser) -> dict[str, argparse.Action]:
    return dict(parser._option_string_actions)


def fill_elisions(args: list, options: dict[str, argparse.Action]) -> list[str]:
    """``...`` after a flag that needs a value stands for that value; anywhere else it is dropped."""
    out: list[str] = []
    for tok in args:
        if tok is ELISION:
            action = options.get(out[-1]) if out else None
            if action is not None and action.nargs != 0:
                out.append(ELIDED_VALUE)
            continue
        out.append(tok)
    return out


def inexact_flags(args: list[str], options: dict[str, argparse.Action], what: str) -> list[str]:
    """Flags argparse accepts only as abbreviations (or that slipped through as values): a doc must spell
    them out."""
    bad = []
    for tok in args:
        if tok == "--":
            break
        if tok.startswith("--") and len(tok) > 2 and tok.split("=", 1)[0] not in options:
            bad.append(f"{what}: {tok.split('=', 1)[0]} is not an option spelt out (argparse abbreviation?)")
    return bad


def help_options(text: str) -> set[str]:
    """Option strings listed in a ``--help`` text (argparse / pytest / pip layout)."""
    found: set[str] = set()
    for line in text.splitlines():
        m = re.match(r"^\s{1,6}(-[^\s].*?)(?:\s{2,}|$)", line)
        if m:
            found.update(re.findall(r"(?<![\w-])(--?[A-Za-z0-9][\w-]*)", m.group(1)))
        for usage in re.findall(r"\[(--?[A-Za-z][\w-]*)", line) if line.lstrip().startswith("usage") else []:
            found.add(usage)
    return found


def tail(text: str, n: int = 6) -> str:
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    return " | ".join(lines[-n:])


def read_pyproject(path: Path) -> dict:
    """pyproject.toml as a dict (tomllib is 3.11+; on 3.10 tomli if installed, else the two tables we read)."""
    text = path.read_text(encoding="utf-8")
    try:
        import tomllib  # type: ignore[import-not-found]
    except ImportError:
        try:
            import tomli as tomllib  # type: ignore[import-not-found,no-redef]
        except ImportError:
            tomllib = None  # type: ignore[assignment]
    if tomllib is not None:
        return tomllib.loads(text)
    section, name, extras = "", "", {}
    for line in text.splitlines():
        if re.match(r"^\[.*\]\s*$", line):
            section = line.strip()
        elif section == "[project]" and (m := re.match(r'^name\s*=\s*"([^"]+)"', line)):
            name = m.group(1)
        elif section == "[project.optional-dependencies]" and (
            m := re.match(r"^([A-Za-z0-9_.-]+)\s*=", line)
        ):
            extras[m.group(1)] = []
    return {"project": {"name": name, "optional-dependencies": extras}}


def with_argv(argv: list[str], fn: Callable[[], object]) -> object:
    with patched_argv(argv):
        return fn()
