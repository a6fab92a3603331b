"""Checks of the project's own commands: ``seedbench-r1``, ``pip install``, ``make``, benchmark scripts and
``pytest`` lines."""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import Future
from pathlib import Path

from .parse import ASSIGNMENT, ELIDED_VALUE, ELISION, REPO, RUN_TIMEOUT_S
from .support import (
    LineResult,
    State,
    argparse_error,
    fill_elisions,
    help_options,
    inexact_flags,
    option_table,
    read_pyproject,
    tail,
)


class ProjectChecks:
    """Mixed into :class:`~.checker.Checker`: the project's commands."""

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
                return f"seedbench-r1 {' '.join(tokens)} exited {proc.returncode}: {tail(proc.stdout + proc.stderr)}"
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
                failure = None if proc.returncode == 0 else f"exited {proc.returncode}: {tail(proc.stderr)}"
                self._memo[key] = (proc.stdout, failure)
        return self._memo[key]  # type: ignore[return-value]

    # --------------------------------------------------------------------------------------- class 2

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
        targets = [a for a in args if a is not ELISION and not ASSIGNMENT.match(a)]
        for tok in targets:
            if tok.startswith("-"):
                r.fail(f"make: flag {tok} is not checked by this test")
                continue
            key = ("make", str(state.cwd), tok)
            if key not in self._memo:
                proc = subprocess.run(
                    ["make", "-n", tok], cwd=state.cwd, capture_output=True, text=True, timeout=60
                )
                self._memo[key] = None if proc.returncode == 0 else tail(proc.stderr or proc.stdout)
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
            r.fail(f"{script} --help exited {rc}: {tail(text)}")
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
            r.fail(f"pytest --help exited {rc}: {tail(text)}")
        for tok in args:
            if tok is ELISION:
                continue
            if tok.startswith("-"):
                if rc == 0 and tok.split("=", 1)[0] not in known:
                    r.fail(f"pytest: {tok} is not a pytest option")
            elif not (state.cwd / tok.split("::", 1)[0]).exists():
                r.fail(f"pytest: no such test file {tok}")

    # --------------------------------------------------------------------------------------- class 6
