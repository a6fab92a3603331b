"""The checker: reads a doc, follows the shell glue, dispatches each line to its class's check."""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from .framework_checks import FrameworkChecks
from .parse import ELISION, HYDRA_MODULES, REPO, Block, Elision, Logical, ShellSyntaxError, doc_commands
from .project_checks import ProjectChecks
from .shell import Part, is_assignment, tokenize
from .support import HydraRecord, LineResult, State

# ------------------------------------------------------------------------------------------------- checker


class Checker(ProjectChecks, FrameworkChecks):
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
                    r.fail(
                        f"no class for `python -m {module}`: add a check to tests/helpers/doc_commands/checker.py"
                    )
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
