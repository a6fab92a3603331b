"""Every shell command in the fenced bash blocks of README.md and docs/*.md, classified and checked with the
real tools (no mocks). Loaded by path from tests/test_doc_commands.py (tests/ is no package).

A documented command line falls into exactly one class; a line in none is a failure, so a new kind of command
cannot slip into the docs unchecked:

1. ``seedbench-r1 SUBCOMMAND ...``: parsed by the project's own parser (``seedbench_r1.cli.build_parser``);
   ``eval`` hands everything after it to lmms-eval 0.7.3's own argument parser. The cheap ones (make-fixture,
   make-tiny-model, tasks-path, recipe-path, and verify / prepare-verl on a root the doc made with
   make-fixture) are run.
2. hydra launch lines (``python -m verl.trainer.main_ppo``, ``torchrun ... -m verl.trainer.sft_trainer``, the
   same after ``ray job submit ... --``): the recipe they name is composed with exactly their overrides and
   resolved, in-process with hydra's compose API (what ``--cfg job --resolve`` prints; a test compares the two).
3. ``pip install``: real pip flags, this project's extras, every other requirement pinned in a lock file.
4. ``make TARGET``: ``make -n TARGET`` succeeds.
5. ``.venv/bin/python benchmarks/X.py`` / ``.venv/bin/pytest FILES``: the files exist, the flags are in ``--help``.
6. other CLIs: lmms-eval (its parser), ``python -m verl.model_merger`` (its parser), ``ray start`` /
   ``ray job submit`` (ray's click commands), ``bash SCRIPT`` (exists, ``bash -n``).
7. shell glue (``export``, ``cd``, ``for ...; do`` / ``done``, assignments): every block goes through ``bash -n``
   and the glue's effect (variables, working folder) is followed when the later lines are checked.

Placeholders (``<a small Qwen2-VL folder>``, ``<head-ip>``), absolute example paths (``/data/...``) and unset
variables become temp paths under the checker's work folder; ``...`` is an elision (dropped, or a dummy value
where a flag needs one); ``[--flag value]`` is an optional part and is checked too. In a comment, text after
``: `` that starts with a command word (``# or: NPROC=8 bash ...``) is a documented command as well.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DOC_FILES: tuple[Path, ...] = (REPO / "README.md", *sorted((REPO / "docs").glob("*.md")))
SHELL_LANGS = frozenset({"bash", "sh", "shell", "console"})
CLASS_NAMES = {
    1: "seedbench-r1",
    2: "hydra launch",
    3: "pip install",
    4: "make",
    5: "repo script / pytest",
    6: "other CLI",
    7: "shell glue",
}
# First words that make a comment's `...: <command>` tail a documented command, and that start a command line.
COMMAND_WORDS = frozenset(
    {
        "seedbench-r1",
        "python",
        "python3",
        ".venv/bin/python",
        "torchrun",
        "ray",
        "pip",
        "pip3",
        "make",
        "pytest",
        ".venv/bin/pytest",
        "lmms-eval",
        "bash",
        "sh",
        "export",
        "cd",
    }
)
HYDRA_MODULES = ("verl.trainer.main_ppo", "verl.trainer.sft_trainer")
# A launch line that elides its config (`python -m verl.trainer.main_ppo ... key=value`) means this recipe.
ELIDED_RECIPE = {"verl.trainer.main_ppo": "seedbench_r1_grpo", "verl.trainer.sft_trainer": "seedbench_r1_sft"}
ELIDED_VALUE = "ELIDED"  # stands for `...` where a flag needs a value
RUN_TIMEOUT_S = 300


class Elision:
    """A bare ``...`` word."""

    def __repr__(self) -> str:
        return "..."


ELISION = Elision()


class ShellSyntaxError(ValueError):
    pass


# ------------------------------------------------------------------------------------------------- doc parsing


@dataclass
class Block:
    fence_line: int
    lang: str
    lines: list[tuple[int, str]]  # (doc line number, text)


@dataclass
class Logical:
    """One command as the shell reads it: continuations joined, comment stripped, placeholders marked."""

    line: int  # doc line it starts on (the test id)
    end: int  # doc line it ends on
    text: str  # with placeholders replaced by __PH<n>__
    placeholders: list[str]
    origin: str  # "line", or "comment" for a `...: <command>` tail of a comment


_FENCE = re.compile(r"^( {0,3})(`{3,}|~{3,})\s*([^\s`]*)")


def read_blocks(path: Path) -> list[Block]:
    """The fenced code blocks of a Markdown file whose language is a shell."""
    blocks: list[Block] = []
    lines = path.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        m = _FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        indent, fence, lang = len(m.group(1)), m.group(2), m.group(3).lower()
        body: list[tuple[int, str]] = []
        j = i + 1
        while j < len(lines):
            stripped = lines[j].strip()
            if stripped.startswith(fence[0] * len(fence)) and set(stripped) == {fence[0]}:
                break
            text = lines[j]
            body.append((j + 1, text[indent:] if text[:indent].strip() == "" else text))
            j += 1
        if lang in SHELL_LANGS:
            blocks.append(Block(i + 1, lang, body))
        i = j + 1
    return blocks


_PLACEHOLDER = re.compile(r"<([A-Za-z][^<>\"'`$]*)>")


def _mark_placeholders(text: str, placeholders: list[str]) -> str:
    """Replace ``<name>`` at ``text``'s start by ``__PH<n>__`` (the caller has checked it is unquoted)."""
    m = _PLACEHOLDER.match(text)
    assert m is not None
    placeholders.append(m.group(1))
    return f"__PH{len(placeholders) - 1}__"


def split_block(block: Block) -> tuple[list[Logical], str]:
    """The block's logical commands, and its text with placeholders made shell words (for ``bash -n``)."""
    commands: list[Logical] = []
    sanitized: list[str] = []
    buf = ""
    start = 0
    placeholders: list[str] = []
    quote: str | None = None
    for lineno, raw in block.lines:
        text = raw
        if block.lang == "console":
            if not buf and not text.startswith("$ "):
                sanitized.append("")
                continue  # output, not a command
            if not buf:
                text = text[2:]
        if not buf:
            start = lineno
            placeholders = []
        out: list[str] = []
        comment: str | None = None
        continued = False
        i = 0
        while i < len(text):
            c = text[i]
            if quote == "'":
                out.append(c)
                quote = None if c == "'" else quote
            elif c == "\\":
                if i == len(text) - 1:
                    continued = True
                    break
                out.append(text[i : i + 2])
                i += 2
                continue
            elif quote == '"':
                out.append(c)
                quote = None if c == '"' else quote
            elif c in "'\"":
                quote = c
                out.append(c)
            elif c == "#" and (not (buf + "".join(out)).strip() or (buf + "".join(out))[-1] in " \t;"):
                comment = text[i + 1 :].strip()
                break
            elif c == "<" and _PLACEHOLDER.match(text, i):
                m = _PLACEHOLDER.match(text, i)
                assert m is not None
                out.append(_mark_placeholders(text[i : m.end()], placeholders))
                i = m.end()
                continue
            else:
                out.append(c)
            i += 1
        line_text = "".join(out)
        sanitized.append(
            line_text + (" \\" if continued else "") + (f" #{comment}" if comment is not None else "")
        )
        if comment is not None:
            tail = comment_command(comment)
            if tail is not None:
                sub = Block(block.fence_line, "bash", [(lineno, tail)])
                tail_commands, _ = split_block(sub)
                for cmd in tail_commands:
                    cmd.origin = "comment"
                commands.extend(tail_commands)
        if continued or quote is not None:
            buf += line_text + (" " if continued else "\n")
            continue
        buf += line_text
        if buf.strip():
            commands.append(Logical(start, lineno, buf.strip(), placeholders, "line"))
        buf = ""
    if buf.strip():
        commands.append(Logical(start, block.lines[-1][0], buf.strip(), placeholders, "line"))
    commands.sort(key=lambda c: (c.line, c.origin != "line"))
    return commands, "\n".join(sanitized) + "\n"


_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")


def head_word(text: str) -> str | None:
    """The command word of a line: its first word after ``NAME=value`` prefixes."""
    for word in text.split():
        if not _ASSIGNMENT.match(word):
            return word
    return None


def comment_command(comment: str) -> str | None:
    """``# or: NPROC=8 bash run.sh`` -> ``NPROC=8 bash run.sh``: the tail after ``: `` when it starts with a
    command word."""
    for m in re.finditer(r":\s+", comment):
        tail = comment[m.end() :].strip()
        if head_word(tail) in COMMAND_WORDS:
            return tail
    return None


def doc_commands(path: Path) -> list[tuple[Block, list[Logical], str]]:
    return [(block, *split_block(block)) for block in read_blocks(path)]


def command_lines(path: Path) -> list[int]:
    """The doc lines that hold a command (the test ids), in order, without duplicates."""
    return sorted({cmd.line for _, commands, _ in doc_commands(path) for cmd in commands})


# ---------------------------------------------------------------------------------------------- shell words

Part = tuple[
    str, str
]  # (kind, value): lit | dq | sq (text), var (name, quoted: qvar), cmd / qcmd (inner text)


def _dollar(text: str, i: int, quoted: bool) -> tuple[Part | None, int]:
    """Parse ``$NAME`` / ``${NAME}`` / ``$(...)`` at ``text[i] == '$'``."""
    if text.startswith("$(", i):
        depth, j, q = 0, i + 1, None
        while j < len(text):
            c = text[j]
            if q:
                q = None if c == q else q
            elif c in "'\"":
                q = c
            elif c == "(":
                depth += 1
            elif c == ")":
                depth -= 1
                if depth == 0:
                    return ("qcmd" if quoted else "cmd", text[i + 2 : j]), j + 1
            j += 1
        raise ShellSyntaxError("unterminated $(")
    m = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*)").match(text, i + 1)
    if m:
        return ("qvar" if quoted else "var", m.group(1) or m.group(2)), m.end()
    if i + 1 < len(text) and text[i + 1] == "{":
        raise ShellSyntaxError(f"parameter expansion not handled by this test: {text[i:]}")
    return None, i + 1


def tokenize(text: str) -> list[list[Part]]:
    """Shell words of one command (quotes, ``$VAR``, ``$(...)``; operators become ``("op", c)`` words)."""
    words: list[list[Part]] = []
    cur: list[Part] = []

    def add(kind: str, value: str) -> None:
        if cur and cur[-1][0] == kind and kind in ("lit", "dq"):
            cur[-1] = (kind, cur[-1][1] + value)
        else:
            cur.append((kind, value))

    i = 0
    while i < len(text):
        c = text[i]
        if c in " \t\n":
            if cur:
                words.append(cur)
                cur = []
            i += 1
        elif c == "'":
            j = text.find("'", i + 1)
            if j < 0:
                raise ShellSyntaxError("unterminated single quote")
            cur.append(("sq", text[i + 1 : j]))
            i = j + 1
        elif c == '"':
            i += 1
            cur.append(("dq", ""))
            while True:
                if i >= len(text):
                    raise ShellSyntaxError("unterminated double quote")
                c = text[i]
                if c == '"':
                    i += 1
                    break
                if c == "\\" and i + 1 < len(text) and text[i + 1] in '"\\$`':
                    add("dq", text[i + 1])
                    i += 2
                elif c == "$":
                    part, i = _dollar(text, i, quoted=True)
                    if part is None:
                        add("dq", "$")
                    else:
                        cur.append(part)
                elif c == "`":
                    raise ShellSyntaxError("backquote substitution not handled by this test")
                else:
                    add("dq", c)
                    i += 1
        elif c == "\\":
            add("lit", text[i + 1 : i + 2])
            i += 2
        elif c == "$":
            part, i = _dollar(text, i, quoted=False)
            if part is None:
                add("lit", "$")
            else:
                cur.append(part)
        elif c in ";|&<>()`":
            if cur:
                words.append(cur)
                cur = []
            words.append([("op", c)])
            i += 1
        else:
            add("lit", c)
            i += 1
    if cur:
        words.append(cur)
    return words


def is_assignment(word: list[Part]) -> bool:
    return bool(word) and word[0][0] == "lit" and bool(_ASSIGNMENT.match(word[0][1]))


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


def _tail(text: str, n: int = 6) -> str:
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    return " | ".join(lines[-n:])


# ------------------------------------------------------------------------------------------------- checker


class Checker:
    """Checks docs; caches parsers, compositions, ``--help`` texts and runs across calls (a planted copy of a
    doc only re-checks what changed)."""

    def __init__(self, workdir: Path, fixture_root: Path | None = None) -> None:
        self.workdir = Path(workdir).resolve()
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.fixture_root = Path(fixture_root) if fixture_root is not None else None
        # Runs start from this (worker threads must not see os.environ while a compose patches it).
        self.base_env = dict(os.environ)
        self.pool = ThreadPoolExecutor(max_workers=2)
        self._memo: dict[tuple, object] = {}
        self.hydra_records: list[HydraRecord] = []
        self.on_hydra: Callable[[HydraRecord], None] | None = None

    def close(self) -> None:
        self.pool.shutdown(wait=True)

    # --------------------------------------------------------------------------------------- public API

    def check_doc(self, path: Path | str) -> list[str]:
        """Failures as ``file:line: what``."""
        return [f"{r.doc}:{r.line}: {f}" for r in self.analyse(path) for f in r.failures]

    def analyse(self, path: Path | str, wait: bool = True) -> list[LineResult]:
        """One result per command line. With ``wait=False`` runs may still be in flight: pass the results to
        :meth:`wait` (so that several docs' runs overlap)."""
        path = Path(path).resolve()
        doc = str(path.relative_to(REPO)) if path.is_relative_to(REPO) else str(path)
        results: dict[int, LineResult] = {}
        state = State()
        for block, commands, sanitized in doc_commands(path):
            state.cwd = REPO  # each block is typed from the repository root
            self._check_block(doc, block, commands, state, results)
            self._bash_n(block, commands, sanitized, results, doc)
        out = [results[k] for k in sorted(results)]
        return self.wait(out) if wait else out

    @staticmethod
    def wait(results: list[LineResult]) -> list[LineResult]:
        for r in results:
            for fut in r.pending:
                failure = fut.result()
                if failure:
                    r.fail(failure)
            r.pending.clear()
        return results

    # --------------------------------------------------------------------------------------- blocks

    def _result(self, results: dict[int, LineResult], doc: str, cmd: Logical) -> LineResult:
        if cmd.line not in results:
            results[cmd.line] = LineResult(doc, cmd.line, cmd.text)
        return results[cmd.line]

    def _check_block(
        self, doc: str, block: Block, commands: list[Logical], state: State, results: dict[int, LineResult]
    ) -> None:
        loop: tuple[str, list[str], LineResult] | None = None
        body: list[Logical] = []
        for cmd in commands:
            r = self._result(results, doc, cmd)
            m = re.match(r"^for\s+([A-Za-z_]\w*)\s+in\s+(.*?)\s*;\s*do$", cmd.text)
            if loop is not None and cmd.text != "done":
                body.append(cmd)
                continue
            if m:
                r.cls = 7
                try:
                    values = [self._expand_word(w, cmd, state, r) for w in tokenize(m.group(2))]
                except ShellSyntaxError as exc:
                    r.fail(f"shell: {exc}")
                    values = []
                loop = (m.group(1), [v for v in values if isinstance(v, str)], r)
                continue
            if cmd.text == "done":
                r.cls = 7
                if loop is None:
                    r.fail("`done` without `for`")
                    continue
                var, values, _ = loop
                for value in values or [""]:
                    state.env[var] = value
                    for inner in body:
                        self._check_logical(inner, state, self._result(results, doc, inner))
                state.env.pop(var, None)
                loop, body = None, []
                continue
            self._check_logical(cmd, state, r)
        if loop is not None:
            loop[2].fail("`for` without `done` in its block")

    def _bash_n(
        self,
        block: Block,
        commands: list[Logical],
        sanitized: str,
        results: dict[int, LineResult],
        doc: str,
    ) -> None:
        """``bash -n`` on the whole block (placeholders made words); errors go to the command they are in."""
        proc = subprocess.run(["bash", "-n"], input=sanitized, capture_output=True, text=True)
        if proc.returncode == 0:
            return
        for err in proc.stderr.strip().splitlines() or [f"exit {proc.returncode}"]:
            m = re.search(r"line (\d+)", err)
            doc_line = block.lines[int(m.group(1)) - 1][0] if m and int(m.group(1)) <= len(block.lines) else 0
            owner = next((c for c in commands if c.line <= doc_line <= c.end and c.origin == "line"), None)
            owner = owner or (commands[0] if commands else None)
            if owner is None:
                results[block.fence_line] = LineResult(doc, block.fence_line, "(block)")
                results[block.fence_line].fail(f"bash -n: {err}")
            else:
                self._result(results, doc, owner).fail(f"bash -n: {err}")

    # --------------------------------------------------------------------------------------- expansion

    def _map_paths(self, text: str, at_start: bool) -> str:
        """Absolute example paths (``/data/...``, ``/tmp/...``) -> the same path under the work folder."""

        def repl(m: re.Match) -> str:
            path = m.group(2)
            if path.startswith((str(REPO), str(self.workdir))) or path == "/":
                return m.group(0)
            return m.group(1) + str(self.workdir / "abs") + path

        pattern = r"(^|[=,])(/[^\s,:]*)" if at_start else r"([=,])(/[^\s,:]*)"
        return re.sub(pattern, repl, text)

    def _placeholder(self, name: str) -> str:
        if re.search(r"\bip\b|host|address", name, re.I):
            return "127.0.0.1"
        if re.fullmatch(r"[A-Z]|\d+", name):
            return "1"
        slug = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("_") or "x"
        return str(self.workdir / "placeholder" / slug)

    def _var(self, name: str, state: State, extra: dict[str, str]) -> str:
        if name in extra:
            return extra[name]
        if name in state.env:
            return state.env[name]
        if name == "PWD":
            return str(state.cwd)
        return str(self.workdir / "env" / name)  # unset in the doc: a temp path, never the tester's own value

    def _expand_word(
        self, word: list[Part], cmd: Logical, state: State, r: LineResult, extra: dict[str, str] | None = None
    ) -> str | Elision:
        extra = extra or {}
        if word == [("lit", "...")]:
            return ELISION
        out = []
        for n, (kind, value) in enumerate(word):
            if kind == "op":
                raise ShellSyntaxError(f"shell operator {value!r} not handled by this test")
            if kind in ("lit", "dq"):
                text = self._map_paths(value, at_start=(n == 0))
                text = re.sub(
                    r"__PH(\d+)__", lambda m: self._placeholder(cmd.placeholders[int(m.group(1))]), text
                )
                out.append(text)
            elif kind == "sq":
                out.append(value)
            elif kind in ("var", "qvar"):
                out.append(self._var(value, state, extra))
            else:  # cmd / qcmd
                out.append(self._substitute(value, cmd, state, r))
        return "".join(out)

    def _expand(self, words: list[list[Part]], cmd: Logical, state: State, r: LineResult, extra=None) -> list:
        """Expanded words; ``[--flag value]`` optional parts lose their brackets (and are checked)."""
        out: list = []
        for word in words:
            value = self._expand_word(word, cmd, state, r, extra)
            if isinstance(value, str) and word[0][0] == "lit" and value.startswith("["):
                value = value[1:]  # opens an optional part: `[--seed 0]`, `[--tiny]`
            if isinstance(value, str) and word[-1][0] == "lit" and value.endswith("]") and "[" not in value:
                value = value[:-1]  # closes it (a hydra list value `key=[a,b]` keeps its brackets)
            if value == "":
                continue
            out.append(value)
        return out

    def _substitute(self, inner: str, cmd: Logical, state: State, r: LineResult) -> str:
        """``$(seedbench-r1 recipe-path)`` / ``$(seedbench-r1 tasks-path)``: checked and run for real."""
        words = self._expand(tokenize(inner), cmd, state, r)
        if words[:1] == ["seedbench-r1"] and len(words) == 2 and words[1] in ("recipe-path", "tasks-path"):
            self._check_seedbench(words[1:], {}, state, r)
            out, failure = self._run_memo(("seedbench-r1", words[1]), cwd=REPO)
            if failure:
                r.fail(f"$({inner}): {failure}")
                return str(self.workdir / "subst")
            return out.strip()
        r.fail(f"command substitution $({inner}) is not one this test can check")
        return str(self.workdir / "subst")

    # --------------------------------------------------------------------------------------- dispatch

    def _check_logical(self, cmd: Logical, state: State, r: LineResult) -> None:
        try:
            words = tokenize(cmd.text)
            prefix: dict[str, str] = {}
            while words and is_assignment(words[0]):
                name, _, _ = words[0][0][1].partition("=")
                first = [("lit", words[0][0][1][len(name) + 1 :]), *words[0][1:]]
                prefix[name] = str(self._expand_word(first, cmd, state, r, prefix))
                words = words[1:]
            if not words:  # NAME=value: a shell variable
                self._set_class(r, 7)
                state.env.update(prefix)
                return
            head = self._expand_word(words[0], cmd, state, r, prefix)
            if head == "export":
                self._set_class(r, 7)
                for word in words[1:]:
                    if is_assignment(word):
                        name = word[0][1].split("=", 1)[0]
                        first = [("lit", word[0][1][len(name) + 1 :]), *word[1:]]
                        state.env[name] = str(self._expand_word(first, cmd, state, r))
                    elif not re.fullmatch(r"[A-Za-z_]\w*", str(self._expand_word(word, cmd, state, r))):
                        r.fail(f"export: not a variable name: {word}")
                return
            if head == "cd":
                self._set_class(r, 7)
                args = self._expand(words[1:], cmd, state, r, prefix)
                if len(args) != 1 or not isinstance(args[0], str):
                    r.fail("cd needs exactly one folder")
                    return
                target = (state.cwd / args[0]).resolve()
                if not target.is_dir() and not target.is_relative_to(self.workdir):
                    r.fail(f"cd: no such folder {target}")
                state.cwd = target
                return
            argv = self._expand(words, cmd, state, r, prefix)
        except ShellSyntaxError as exc:
            self._set_class(r, None)
            r.fail(f"shell: {exc}")
            return
        env = {**state.env, **prefix}
        self._dispatch(argv, env, state, r)

    def _set_class(self, r: LineResult, cls: int | None) -> None:
        if r.cls is None:
            r.cls = cls

    def _dispatch(
        self, argv: list, env: dict[str, str], state: State, r: LineResult, count: bool = True
    ) -> None:
        head = argv[0] if argv else None
        rest = argv[1:]
        mark = (lambda c: self._set_class(r, c)) if count else (lambda c: None)
        if head == "seedbench-r1":
            mark(1)
            self._check_seedbench(rest, env, state, r)
        elif head in ("python", "python3", ".venv/bin/python") or (
            isinstance(head, str) and head.endswith("/python")
        ):
            if rest[:1] == ["-m"] and len(rest) > 1:
                module, margs = rest[1], rest[2:]
                if module in HYDRA_MODULES:
                    mark(2)
                    self._check_hydra(module, margs, env, r)
                elif module == "verl.model_merger":
                    mark(6)
                    self._check_model_merger(margs, r)
                elif module == "seedbench_r1":
                    mark(1)
                    self._check_seedbench(margs, env, state, r)
                elif module == "pip":
                    mark(3)
                    self._check_pip(margs, state, r)
                elif module == "pytest":
                    mark(5)
                    self._check_pytest(margs, state, r)
                else:
                    mark(None)
                    r.fail(f"no class for `python -m {module}`: add a check to tests/doc_commands.py")
            elif rest and isinstance(rest[0], str) and rest[0].endswith(".py"):
                mark(5)
                self._check_script(rest[0], rest[1:], state, r)
            else:
                mark(None)
                r.fail(f"no class for `{' '.join(map(str, argv))}`")
        elif head == "torchrun":
            self._check_torchrun(rest, env, r, mark)
        elif head in ("pip", "pip3"):
            mark(3)
            self._check_pip(rest, state, r)
        elif head == "make":
            mark(4)
            self._check_make(rest, state, r)
        elif head in ("pytest", ".venv/bin/pytest"):
            mark(5)
            self._check_pytest(rest, state, r)
        elif head == "lmms-eval":
            mark(6)
            self._check_lmms(rest, r, wrapper=False)
        elif head == "ray":
            mark(6)
            self._check_ray(rest, env, state, r)
        elif head in ("bash", "sh"):
            mark(6)
            self._check_bash_script(rest, state, r)
        else:
            mark(None)
            r.fail(f"no class for command `{head}`: a documented command this test does not check")

    # --------------------------------------------------------------------------------------- class 1

    def _seedbench_parser(self) -> argparse.ArgumentParser:
        key = ("parser", "seedbench-r1")
        if key not in self._memo:
            from seedbench_r1.cli import build_parser

            self._memo[key] = build_parser()
        return self._memo[key]  # type: ignore[return-value]

    def _check_seedbench(self, args: list, env: dict[str, str], state: State, r: LineResult) -> None:
        parser = self._seedbench_parser()
        subs = parser._subparsers._group_actions[0].choices  # type: ignore[union-attr]
        words = [a for a in args if a is not ELISION]
        if words[:1] == ["eval"]:
            err = argparse_error(lambda: parser.parse_args(["eval"]))
            if err:
                r.fail(f"seedbench-r1 eval: {err}")
            self._check_lmms(args[args.index("eval") + 1 :], r, wrapper=True)
            return
        sub = subs.get(words[0]) if words else None
        options = option_table(sub) if sub is not None else {}
        tokens = fill_elisions(args, options)
        err = argparse_error(lambda: parser.parse_args(tokens))
        if err:
            r.fail(f"seedbench-r1: {err}")
            return
        ns = parser.parse_args(tokens)
        for bad in inexact_flags(tokens[1:], options, f"seedbench-r1 {tokens[0]}"):
            r.fail(bad)
        self._check_seedbench_values(ns, r)
        self._maybe_run_seedbench(tokens, ns, env, state, r)

    def _check_seedbench_values(self, ns: argparse.Namespace, r: LineResult) -> None:
        """Values the parser takes as plain strings but the command rejects later."""
        from seedbench_r1.protocol.annotations import SPLITS
        from verl_recipe import RECIPES

        def split_ok(name: str) -> bool:
            return name in SPLITS or name.endswith((".jsonl", ".json")) or "/" in name or name == ELIDED_VALUE

        if ns.command == "download":
            from seedbench_r1.data.download import parse_parts

            try:
                parse_parts(ns.parts)
            except ValueError as exc:
                r.fail(f"seedbench-r1 download --parts: {exc}")
        for name in list(getattr(ns, "splits", None) or []) + [getattr(ns, "split", None) or "training_6k"]:
            if not split_ok(name):
                r.fail(f"seedbench-r1 {ns.command}: unknown split {name!r} (known: {', '.join(SPLITS)})")
        for item in getattr(ns, "expect_size", None) or []:
            m = re.fullmatch(r"(\w+)=(\d+)", item)
            if not m or not split_ok(m.group(1)):
                r.fail(f"seedbench-r1 verify --expect-size {item!r}: not SPLIT=ROWS with a known split")
        recipe = getattr(ns, "recipe", None)
        if recipe is not None and recipe not in RECIPES:
            r.fail(f"seedbench-r1 {ns.command} --recipe {recipe!r}: no such recipe ({', '.join(RECIPES)})")

    def _maybe_run_seedbench(
        self, tokens: list[str], ns: argparse.Namespace, env: dict[str, str], state: State, r: LineResult
    ) -> None:
        """Run what is cheap and can run as written: fixtures, paths, and verify / prepare-verl on a root the
        doc itself made with make-fixture (the session fixture stands in for it when given)."""
        command = ns.command
        if command in ("tasks-path", "recipe-path"):
            out, failure = self._run_memo(("seedbench-r1", command), cwd=REPO)
            if failure:
                r.fail(failure)
            elif not Path(out.strip()).is_dir():
                r.fail(f"seedbench-r1 {command} printed {out.strip()!r}, not a folder")
            return
        if command == "make-fixture":
            state.fixtures[str(Path(ns.root).resolve())] = self._submit_run(tokens, env, r)
            return
        if command == "make-tiny-model":
            self._submit_run(tokens, env, r)
            return
        if command not in ("verify", "prepare-verl"):
            return  # parse-only: hub downloads, 7B evaluations, /data paths
        root = ns.root or env.get("SEEDBENCH_R1_ROOT")
        made = state.fixtures.get(str(Path(root).resolve())) if root else None
        if made is None:
            return  # a real dataset path: the release's checks cannot pass on the fixture as written
        run_env = dict(env)
        if self.fixture_root is not None:
            if ns.root:
                tokens = [str(self.fixture_root) if t == ns.root else t for t in tokens]
                tokens = [f"--root={self.fixture_root}" if t == f"--root={ns.root}" else t for t in tokens]
            else:
                run_env["SEEDBENCH_R1_ROOT"] = str(self.fixture_root)
            self._submit_run(tokens, run_env, r)
        else:
            self._submit_run(tokens, run_env, r, after=made)

    def _seedbench_exe(self) -> str | None:
        local = Path(sys.executable).with_name("seedbench-r1")
        return str(local) if local.exists() else shutil.which("seedbench-r1")

    def _submit_run(self, tokens: list[str], env: dict[str, str], r: LineResult, after: Future | None = None):
        exe = self._seedbench_exe()
        run_dir = self.workdir / "run"
        run_dir.mkdir(exist_ok=True)
        key = ("run", tuple(tokens), tuple(sorted(env.items())))

        def job() -> str | None:
            if after is not None:
                after.result()
            if exe is None:
                return "seedbench-r1 is not on PATH"
            proc = subprocess.run(
                [exe, *tokens],
                cwd=run_dir,
                env={**self.base_env, **env},
                capture_output=True,
                text=True,
                timeout=RUN_TIMEOUT_S,
            )
            if proc.returncode != 0:
                return f"seedbench-r1 {' '.join(tokens)} exited {proc.returncode}: {_tail(proc.stdout + proc.stderr)}"
            return None

        if key not in self._memo:
            self._memo[key] = self.pool.submit(job)
        fut: Future = self._memo[key]  # type: ignore[assignment]
        r.pending.append(fut)
        return fut

    def _run_memo(self, argv: tuple[str, ...], cwd: Path) -> tuple[str, str | None]:
        """(stdout, failure) of a seedbench-r1 command that writes nothing, run once."""
        key = ("out", argv)
        if key not in self._memo:
            exe = self._seedbench_exe()
            if exe is None:
                self._memo[key] = ("", "seedbench-r1 is not on PATH")
            else:
                proc = subprocess.run([exe, *argv[1:]], cwd=cwd, capture_output=True, text=True, timeout=120)
                failure = None if proc.returncode == 0 else f"exited {proc.returncode}: {_tail(proc.stderr)}"
                self._memo[key] = (proc.stdout, failure)
        return self._memo[key]  # type: ignore[return-value]

    # --------------------------------------------------------------------------------------- class 2

    def _check_torchrun(self, args: list, env: dict[str, str], r: LineResult, mark) -> None:
        from torch.distributed.run import get_args_parser

        parser = get_args_parser()
        parser.prog = "torchrun"
        tokens = [a for a in args if a is not ELISION]
        err = argparse_error(lambda: parser.parse_args(tokens))
        if err:
            mark(2)
            r.fail(f"torchrun: {err}")
            return
        ns = parser.parse_args(tokens)
        if ns.module and ns.training_script in HYDRA_MODULES:
            mark(2)
            own = tokens[: len(tokens) - len(ns.training_script_args) - 1]
            for bad in inexact_flags(own, option_table(parser), "torchrun"):
                r.fail(bad)
            self._check_hydra(ns.training_script, list(ns.training_script_args), env, r)
        else:
            mark(None)
            r.fail(f"no class for torchrun of {ns.training_script!r}: add a check to tests/doc_commands.py")

    def _recipe_env_names(self) -> list[str]:
        key = ("recipe-env",)
        if key not in self._memo:
            from verl_recipe import recipe_dir

            names = set()
            for yaml_file in recipe_dir().glob("*.yaml"):
                names.update(re.findall(r"oc\.env:([A-Za-z_]\w*)", yaml_file.read_text(encoding="utf-8")))
            self._memo[key] = sorted(names - {"HOME"})
        return self._memo[key]  # type: ignore[return-value]

    def _module_config(self, module: str) -> tuple[Path, str]:
        """(folder of the module file, the config name of its ``@hydra.main``)."""
        key = ("hydra-main", module)
        if key not in self._memo:
            spec = importlib.util.find_spec(module)
            assert spec is not None and spec.origin is not None, module
            source = Path(spec.origin).read_text(encoding="utf-8")
            m = re.search(r"@hydra\.main\(([^)]*)\)", source)
            assert m is not None, f"{module} has no @hydra.main"
            path = re.search(r"config_path=\"([^\"]+)\"", m.group(1))
            name = re.search(r"config_name=\"([^\"]+)\"", m.group(1))
            assert path and name, m.group(0)
            self._memo[key] = (Path(spec.origin).parent, path.group(1), name.group(1))
        folder, config_path, config_name = self._memo[key]  # type: ignore[misc]
        return folder, f"{config_path}/{config_name}"

    def _compose(self, config_dir: Path, name: str, overrides: list[str], env: dict[str, str]):
        """(failure or None, resolved YAML) of hydra's compose + resolve; memoised."""
        key = ("compose", str(config_dir), name, tuple(overrides), tuple(sorted(env.items())))
        if key not in self._memo:
            from hydra import compose, initialize_config_dir
            from omegaconf import OmegaConf

            try:
                with (
                    patched_environ(env),
                    initialize_config_dir(config_dir=str(config_dir), version_base=None),
                ):
                    cfg = compose(config_name=name, overrides=list(overrides))
                    missing = sorted(OmegaConf.missing_keys(cfg))
                    resolved = OmegaConf.to_yaml(cfg, resolve=True)
                failure = f"mandatory values left open: {', '.join(missing)}" if missing else None
                self._memo[key] = (failure, resolved, cfg)
            except Exception as exc:  # hydra / omegaconf errors are the finding
                first = " ".join(str(exc).split("\n")[:2])
                self._memo[key] = (f"{type(exc).__name__}: {first}", "", None)
        return self._memo[key]

    def _check_hydra(self, module: str, args: list, env: dict[str, str], r: LineResult) -> None:
        from verl_recipe import recipe_dir

        config_path = config_name = None
        overrides: list[str] = []
        elided = False
        it = iter(args)
        for tok in it:
            if tok is ELISION:
                elided = True
                continue
            m = re.fullmatch(r"(--config-path|-cp|--config-name|-cn)(?:=(.*))?", tok)
            if m:
                value = m.group(2) if m.group(2) is not None else next(it, None)
                if value is None or value is ELISION:
                    r.fail(f"{module}: {m.group(1)} without a value")
                    return
                if m.group(1) in ("--config-path", "-cp"):
                    config_path = value
                else:
                    config_name = value
            elif tok.startswith("-"):
                r.fail(
                    f"{module}: {tok} is not a hydra option this test checks (--config-path, --config-name)"
                )
            else:
                overrides.append(tok)
        if config_name is None:
            if not elided:
                r.fail(f"{module}: names no recipe (--config-name)")
                return
            config_name = ELIDED_RECIPE[module]
        if config_path is None:
            if not elided:
                r.fail(f"{module}: no --config-path: hydra would look in verl's own config folder")
                return
            config_path = str(recipe_dir())
        module_dir, base = self._module_config(module)
        config_dir = Path(config_path)
        if not config_dir.is_absolute():  # hydra: relative to the file that declares @hydra.main
            config_dir = (module_dir / config_dir).resolve()
        if not config_dir.is_dir():
            r.fail(f"{module}: --config-path {config_dir} is no folder")
            return
        # What the configs read (oc.env): the doc's value where it sets one, else a temp path.
        compose_env = {
            name: env.get(name, str(self.workdir / "env" / name)) for name in self._recipe_env_names()
        }
        failure, resolved, cfg = self._compose(config_dir, config_name, overrides, compose_env)
        if failure:
            r.fail(
                f"{module} --config-name={config_name} {' '.join(overrides)}: {failure}".replace("  ", " ")
            )
        if cfg is None:
            return
        base_dir, base_name = base.split("/", 1)
        base_failure, _, base_cfg = self._compose(
            (module_dir / base_dir).resolve(), base_name, [], compose_env
        )
        if base_cfg is not None:
            lacking = sorted(set(base_cfg.keys()) - set(cfg.keys()))
            if lacking:
                r.fail(f"{module}: {config_name} is no {base_name} config (lacks {', '.join(lacking)})")
        record = HydraRecord(module, str(config_dir), config_name, overrides, compose_env, resolved)
        self.hydra_records.append(record)
        if self.on_hydra is not None:
            self.on_hydra(record)

    # --------------------------------------------------------------------------------------- class 3

    def _pip_flags(self) -> dict[str, bool]:
        """pip install's options -> whether they take a value, from ``pip install --help``."""
        key = ("pip-flags",)
        if key not in self._memo:
            proc = subprocess.run(
                [sys.executable, "-m", "pip", "install", "--help"],
                capture_output=True,
                text=True,
                timeout=120,
            )
            flags: dict[str, bool] = {}
            for line in proc.stdout.splitlines():
                m = re.match(r"^  (-\w, )?(--[\w-]+)( <[^>]+>)?", line)
                if m:
                    for name in filter(None, (m.group(1) and m.group(1)[:2], m.group(2))):
                        flags[name] = bool(m.group(3))
            assert "--requirement" in flags and "--editable" in flags, proc.stdout[:500]
            self._memo[key] = flags
        return self._memo[key]  # type: ignore[return-value]

    def _pyproject(self) -> dict:
        return read_pyproject(REPO / "pyproject.toml")

    def _locks(self, r: LineResult) -> dict[str, dict[str, str]]:
        from seedbench_r1.env.locks import LOCKS, read_lock

        locks = {}
        for label, path in LOCKS.items():
            if not path.is_file():
                r.fail(f"pip: lock file {path.relative_to(REPO)} does not exist")
                continue
            try:
                locks[label] = read_lock(path)
            except ValueError as exc:
                r.fail(f"pip: {exc}")
        return locks

    def _check_project_extras(self, extras: set[str], r: LineResult, what: str) -> None:
        defined = self._pyproject()["project"].get("optional-dependencies", {})
        for extra in sorted(extras):
            if extra not in defined:
                r.fail(f"pip: {what}: extra [{extra}] is not in pyproject.toml ({', '.join(defined)})")

    def _check_pip(self, args: list, state: State, r: LineResult) -> None:
        from packaging.requirements import InvalidRequirement, Requirement
        from packaging.utils import canonicalize_name

        words = [a for a in args if a is not ELISION]
        if words[:1] != ["install"]:
            r.fail(f"pip {words[:1]}: only `pip install` is checked")
            return
        flags = self._pip_flags()
        project = self._pyproject()["project"]["name"]
        it = iter(words[1:])
        for tok in it:
            if tok.startswith("-"):
                name, eq, inline = tok.partition("=")
                if name not in flags:
                    r.fail(f"pip install: {name} is not a pip install option")
                    continue
                if not flags[name]:
                    continue
                value = inline if eq else next(it, None)
                if value is None:
                    r.fail(f"pip install: {name} needs a value")
                elif name in ("-r", "--requirement", "-c", "--constraint"):
                    path = state.cwd / value
                    if not path.is_file():
                        r.fail(f"pip install {name}: no such file {value}")
                    elif path.resolve().parent == (REPO / "seedbench_r1" / "locks"):
                        from seedbench_r1.env.locks import read_lock

                        try:
                            read_lock(path)
                        except ValueError as exc:
                            r.fail(f"pip install {name}: {exc}")
                elif name in ("-e", "--editable"):
                    self._check_local_project(value, state, r)
                continue
            if tok.startswith((".", "/")) or os.sep in tok.split("[", 1)[0]:
                self._check_local_project(tok, state, r)
                continue
            try:
                req = Requirement(tok)
            except InvalidRequirement as exc:
                r.fail(f"pip install: {tok!r} is no requirement: {exc}")
                continue
            name = canonicalize_name(req.name)
            if name == canonicalize_name(project):
                self._check_project_extras(set(req.extras), r, tok)
                continue
            locks = self._locks(r)
            pinned = {label: lock[name] for label, lock in locks.items() if name in lock}
            if not pinned:
                r.fail(f"pip install: {req.name} is pinned in no lock ({', '.join(locks)})")
            elif not any(req.specifier.contains(v, prereleases=True) for v in pinned.values()):
                r.fail(f"pip install: {tok}: the locks pin {pinned}")
            if req.extras:
                from importlib import metadata

                try:
                    provided = {
                        canonicalize_name(e)
                        for e in metadata.metadata(req.name).get_all("Provides-Extra") or []
                    }
                except metadata.PackageNotFoundError:
                    continue
                for extra in sorted(req.extras):
                    if canonicalize_name(extra) not in provided:
                        r.fail(
                            f"pip install: {req.name} has no extra [{extra}] (installed: {sorted(provided)})"
                        )

    def _check_local_project(self, value: str, state: State, r: LineResult) -> None:
        m = re.fullmatch(r"(.*?)(?:\[([^\]]*)\])?", value)
        assert m is not None
        path = (state.cwd / m.group(1)).resolve()
        if path != REPO:
            r.fail(f"pip install: {value!r} is not this project's folder ({path})")
            return
        extras = {e.strip() for e in (m.group(2) or "").split(",") if e.strip()}
        self._check_project_extras(extras, r, value)

    # --------------------------------------------------------------------------------------- class 4

    def _check_make(self, args: list, state: State, r: LineResult) -> None:
        targets = [a for a in args if a is not ELISION and not _ASSIGNMENT.match(a)]
        for tok in targets:
            if tok.startswith("-"):
                r.fail(f"make: flag {tok} is not checked by this test")
                continue
            key = ("make", str(state.cwd), tok)
            if key not in self._memo:
                proc = subprocess.run(
                    ["make", "-n", tok], cwd=state.cwd, capture_output=True, text=True, timeout=60
                )
                self._memo[key] = None if proc.returncode == 0 else _tail(proc.stderr or proc.stdout)
            if self._memo[key]:
                r.fail(f"make -n {tok}: {self._memo[key]}")
        if not targets:
            r.fail("make without a target")

    # --------------------------------------------------------------------------------------- class 5

    def _help(self, argv: list[str], cwd: Path) -> tuple[str, int]:
        key = ("help", tuple(argv), str(cwd))
        if key not in self._memo:
            proc = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=120)
            self._memo[key] = (proc.stdout + proc.stderr, proc.returncode)
        return self._memo[key]  # type: ignore[return-value]

    def _check_script(self, script: str, args: list, state: State, r: LineResult) -> None:
        path = state.cwd / script
        if not path.is_file():
            r.fail(f"{script}: no such file")
            return
        text, rc = self._help([sys.executable, str(path), "--help"], REPO)
        if rc != 0:
            r.fail(f"{script} --help exited {rc}: {_tail(text)}")
            return
        known = help_options(text)
        for tok in args:
            if isinstance(tok, str) and tok.startswith("-") and tok.split("=", 1)[0] not in known:
                r.fail(f"{script}: {tok.split('=', 1)[0]} is not in its --help ({', '.join(sorted(known))})")

    def _check_pytest(self, args: list, state: State, r: LineResult) -> None:
        # --noconftest: tests/conftest.py adds no option, and importing it (transformers) costs ~8 s here.
        text, rc = self._help([sys.executable, "-m", "pytest", "--noconftest", "--help"], REPO)
        known = help_options(text) if rc == 0 else set()
        if rc != 0:
            r.fail(f"pytest --help exited {rc}: {_tail(text)}")
        for tok in args:
            if tok is ELISION:
                continue
            if tok.startswith("-"):
                if rc == 0 and tok.split("=", 1)[0] not in known:
                    r.fail(f"pytest: {tok} is not a pytest option")
            elif not (state.cwd / tok.split("::", 1)[0]).exists():
                r.fail(f"pytest: no such test file {tok}")

    # --------------------------------------------------------------------------------------- class 6

    def _lmms_parser(self) -> argparse.ArgumentParser:
        key = ("parser", "lmms-eval")
        if key not in self._memo:
            import lmms_eval.__main__ as lmms_main

            with patched_argv(["lmms-eval"]):
                parser, _ = lmms_main.parse_eval_args()
            self._memo[key] = parser
        return self._memo[key]  # type: ignore[return-value]

    def _check_lmms(self, args: list, r: LineResult, wrapper: bool) -> None:
        """lmms-eval 0.7.3's own parser; then the model, its model_args keys and the tasks."""
        what = "seedbench-r1 eval" if wrapper else "lmms-eval"
        words = [a for a in args if a is not ELISION]
        if not wrapper and words[:1] == ["eval"]:
            args = args[args.index("eval") + 1 :]
        elif not wrapper and words and not words[0].startswith("-"):
            r.fail(f"lmms-eval {words[0]}: only the evaluation form (`lmms-eval --model ...`) is checked")
            return
        parser = self._lmms_parser()
        options = option_table(parser)
        tokens = fill_elisions(args, options)
        err = argparse_error(lambda: parser.parse_args(tokens))
        if err:
            r.fail(f"{what} (lmms-eval's parser): {err}")
            return
        ns = parser.parse_args(tokens)
        for bad in inexact_flags(tokens, options, what):
            r.fail(bad)
        from lmms_eval.models import get_model, list_available_models
        from lmms_eval.utils import simple_parse_args_string

        from lmms_eval_tasks import tasks_path
        from seedbench_r1.protocol.names import ALL_TASKS

        def given(flag: str) -> bool:
            return any(t == flag or t.startswith(flag + "=") for t in tokens)

        if given("--model") and ns.model != ELIDED_VALUE:
            if ns.model not in list_available_models(include_aliases=True):
                r.fail(f"{what}: --model {ns.model!r} is not a registered lmms-eval model")
            elif ns.model_args and ELIDED_VALUE not in ns.model_args:
                import inspect

                params = inspect.signature(get_model(ns.model).__init__).parameters
                named = {n for n, p in params.items() if p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)}
                for k in simple_parse_args_string(ns.model_args):
                    if k not in named:
                        r.fail(f"{what}: --model_args key {k!r} is no argument of {ns.model}")
        for task in (ns.tasks or "").split(",") if given("--tasks") else []:
            if task and task != ELIDED_VALUE and task not in ALL_TASKS:
                r.fail(f"{what}: --tasks {task!r} is not a task of this project")
        if not wrapper and ns.tasks:
            include = ns.include_path
            if not include or Path(include).resolve() != tasks_path():
                r.fail(f"lmms-eval: --include_path {include!r} does not hold the project's tasks")

    def _check_model_merger(self, args: list, r: LineResult) -> None:
        from verl.model_merger.base_model_merger import parse_args

        tokens = [a for a in args if a is not ELISION]
        err = argparse_error(lambda: _with_argv(["verl.model_merger", *tokens], parse_args))
        if err:
            r.fail(f"python -m verl.model_merger: {err}")

    def _check_ray(self, args: list, env: dict[str, str], state: State, r: LineResult) -> None:
        import click
        import ray.scripts.scripts as ray_cli

        words = [a for a in args if a is not ELISION]
        command: click.Command = ray_cli.cli
        path = ["ray"]
        while isinstance(command, click.Group) and words and words[0] in command.commands:
            command = command.commands[words[0]]
            path.append(words.pop(0))
        if path[1:] not in (["start"], ["job", "submit"]):
            r.fail(f"{' '.join(path)}: only `ray start` and `ray job submit` are checked")
            return
        try:
            ctx = command.make_context(" ".join(path), list(words))
        except click.exceptions.ClickException as exc:
            r.fail(f"{' '.join(path)}: {exc.format_message()}")
            return
        if path[1:] == ["job", "submit"]:
            entry = list(ctx.params.get("entrypoint") or ())
            if not entry:
                r.fail("ray job submit: no entrypoint after --")
            else:
                self._dispatch(entry, env, state, r, count=False)

    def _check_bash_script(self, args: list, state: State, r: LineResult) -> None:
        words = [a for a in args if a is not ELISION]
        if not words or words[0].startswith("-"):
            r.fail("bash: only `bash SCRIPT [ARGS]` is checked")
            return
        script = state.cwd / words[0]
        if not script.is_file():
            r.fail(f"bash: no such script {words[0]}")
            return
        proc = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True)
        if proc.returncode != 0:
            r.fail(f"bash -n {words[0]}: {_tail(proc.stderr)}")


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


def _with_argv(argv: list[str], fn: Callable[[], object]) -> object:
    with patched_argv(argv):
        return fn()


def check_doc(
    path: Path | str, workdir: Path | str | None = None, fixture_root: Path | None = None
) -> list[str]:
    """Failures of every command in one doc, ``file:line: what``. Without ``workdir`` a temp folder is used and
    removed."""
    with contextlib.ExitStack() as stack:
        if workdir is None:
            workdir = stack.enter_context(tempfile.TemporaryDirectory(prefix="doc_commands_"))
        checker = Checker(Path(workdir), fixture_root)
        stack.callback(checker.close)
        return checker.check_doc(path)


if __name__ == "__main__":  # a report for humans: every documented command, its class and its failures
    from collections import Counter

    counts: Counter = Counter()
    failed = 0
    with tempfile.TemporaryDirectory(prefix="doc_commands_") as tmp:
        checker = Checker(Path(tmp))
        try:
            batches = [checker.analyse(doc, wait=False) for doc in DOC_FILES]
            for results in batches:
                for r in checker.wait(results):
                    counts[r.cls] += 1
                    failed += bool(r.failures)
                    print(f"{r.doc}:{r.line} [{r.cls}: {CLASS_NAMES.get(r.cls, 'no class')}] {r.text}")
                    for f in r.failures:
                        print(f"    FAIL {f}")
        finally:
            checker.close()
    print(", ".join(f"{CLASS_NAMES.get(c, 'no class')}: {n}" for c, n in sorted(counts.items(), key=str)))
    print(f"{sum(counts.values())} command lines, {failed} failing")
    sys.exit(1 if failed else 0)
