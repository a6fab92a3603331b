"""Checks of the frameworks' commands: hydra launch lines (``main_ppo``, ``torchrun ... sft_trainer``),
lmms-eval, verl's model merger, ``ray``, ``bash SCRIPT``."""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import re
import subprocess
from pathlib import Path

from .parse import ELIDED_RECIPE, ELIDED_VALUE, ELISION, HYDRA_MODULES, Logical
from .support import (
    HydraRecord,
    LineResult,
    State,
    argparse_error,
    fill_elisions,
    inexact_flags,
    option_table,
    patched_argv,
    patched_environ,
    tail,
    with_argv,
)


class FrameworkChecks:
    """Mixed into :class:`~.checker.Checker`: the frameworks' commands."""

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
            r.fail(
                f"no class for torchrun of {ns.training_script!r}: add a check to tests/helpers/doc_commands/framework_checks.py"
            )

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
        err = argparse_error(lambda: with_argv(["verl.model_merger", *tokens], parse_args))
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
        if len(words) == 2 and words[0] == "-c" and isinstance(words[1], str):
            # `bash -c 'CMD'` (a Ray job's entrypoint): CMD checked as one command of its own shell
            inner = Logical(0, 0, words[1], [], "bash -c")
            self._check_logical(inner, dataclasses.replace(state, env=dict(state.env)), r)
            return
        if not words or words[0].startswith("-"):
            r.fail("bash: only `bash SCRIPT [ARGS]` is checked")
            return
        script = state.cwd / words[0]
        if not script.is_file():
            r.fail(f"bash: no such script {words[0]}")
            return
        proc = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True)
        if proc.returncode != 0:
            r.fail(f"bash -n {words[0]}: {tail(proc.stderr)}")
