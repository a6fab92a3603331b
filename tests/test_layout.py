"""The layout's two promises: the protocol imports nothing of the faces, the tooling or the frameworks; and the
task YAMLs name exactly the tasks and metrics of ``seedbench_r1.protocol.names``. Each check is also run on a
planted violation, so it cannot pass whatever the code does."""

from __future__ import annotations

import ast
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from lmms_eval_tasks import tasks_path
from seedbench_r1.longvideobench.loader import DURATION_GROUPS
from seedbench_r1.longvideobench.loader import LEVELS as LVB_LEVELS
from seedbench_r1.protocol import names

ROOT = Path(__file__).resolve().parents[1]
PROTOCOL_DIR = ROOT / "seedbench_r1" / "protocol"
# The protocol's modules: its package, plus LongVideoBench's loader (the same rules on another benchmark).
PROTOCOL_MODULES = sorted(
    f"seedbench_r1.protocol.{p.stem}" if p.stem != "__init__" else "seedbench_r1.protocol"
    for p in PROTOCOL_DIR.glob("*.py")
) + ["seedbench_r1.longvideobench.loader"]
# What a protocol module may import of the project: the protocol itself, and the package roots above it.
ALLOWED_OWN = ("seedbench_r1.protocol", "seedbench_r1.longvideobench.loader")
ALLOWED_ROOTS = ("seedbench_r1", "seedbench_r1.longvideobench")
FORBIDDEN = ("lmms_eval_tasks", "verl_recipe", "reward_fns", "lmms_eval", "verl", "vllm")


def _module_file(name: str) -> Path:
    parts = name.split(".")
    path = ROOT.joinpath(*parts)
    return path / "__init__.py" if path.is_dir() else path.with_suffix(".py")


def _forbidden(name: str) -> bool:
    top = name.split(".")[0]
    if top in FORBIDDEN:
        return True
    if top == "seedbench_r1" and name not in ALLOWED_ROOTS:
        return not any(name == own or name.startswith(own + ".") for own in ALLOWED_OWN)
    return False


def static_violations(files: dict[str, Path]) -> list[str]:
    """Every import statement (top level or inside a function) of each file that reaches outside."""
    out = []
    for module, path in files.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                base = node.module
                targets = [base] if base != "seedbench_r1" else [f"{base}.{a.name}" for a in node.names]
            else:
                continue
            out += [f"{module}:{node.lineno} imports {t}" for t in targets if _forbidden(t)]
    return out


def runtime_violations(modules: list[str], extra_path: str | None = None) -> list[str]:
    """The forbidden modules present after importing ``modules`` in a fresh interpreter."""
    code = (
        "import importlib, json, sys\n"
        + (f"sys.path.insert(0, {extra_path!r})\n" if extra_path else "")
        + f"for m in {modules!r}:\n    importlib.import_module(m)\n"
        + "print(json.dumps(sorted(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    return [m for m in json.loads(out.stdout.splitlines()[-1]) if _forbidden(m)]


def test_protocol_modules_import_nothing_outside_the_protocol() -> None:
    assert len(PROTOCOL_MODULES) >= 15
    assert static_violations({m: _module_file(m) for m in PROTOCOL_MODULES}) == []
    assert runtime_violations(PROTOCOL_MODULES) == []


def test_a_planted_import_is_caught(tmp_path: Path) -> None:
    planted = tmp_path / "planted_protocol_module.py"
    planted.write_text(
        "from seedbench_r1.protocol import answer\n"
        "import verl_recipe\n"
        "def later():\n    from seedbench_r1.report import results\n"
    )
    found = static_violations({"planted_protocol_module": planted})
    assert [f.split(" imports ")[1] for f in found] == ["verl_recipe", "seedbench_r1.report"]
    assert "verl_recipe" in runtime_violations(["planted_protocol_module"], str(tmp_path))


# --- names: the task YAMLs against seedbench_r1.protocol.names -----------------------------------------


def expected_metrics() -> dict[str, set[str]]:
    shared = {names.FORMAT_METRIC, names.NO_ANSWER_METRIC}
    level = {names.ACC_METRIC, *shared}
    lvb = {
        names.LVB_ACC_METRIC,
        *shared,
        *(names.lvb_duration_metric(g) for g in DURATION_GROUPS),
        *(names.lvb_level_metric(key) for key, _label in LVB_LEVELS.values()),
    }
    return {
        names.LEVEL_TASKS["L1"]: level,
        names.LEVEL_TASKS["L2"]: level,
        names.LEVEL_TASKS["L3"]: level | set(names.DOMAIN_METRICS.values()),
        names.LVB_TASK: lvb,
        names.GROUP_NAME: level,  # the group's aggregate metrics
    }


def yaml_name_problems(folder: Path) -> list[str]:
    """Each task and group YAML under ``folder`` as lmms-eval loads it (includes resolved), checked against
    the names module: the set of tasks, the group's members, each task's metric list."""
    from lmms_eval.utils import load_yaml_config

    problems: list[str] = []
    found: dict[str, dict] = {}
    for path in sorted(folder.rglob("*.yaml")):
        config = load_yaml_config(str(path), mode="simple")
        name = config["group"] if "group" in config else config.get("task")
        if name is None:
            continue  # a template
        found[name] = config
        problems += [
            f"{path}: {name} uses {t!r}, not a name of the project"
            for t in [name]
            if t not in names.ALL_TASKS
        ]
        placeholder = (config.get("dataset_kwargs") or {}).get("data_files", {}).get("test")
        resolved = Path(placeholder).resolve() if isinstance(placeholder, str) else None
        if "group" not in config and resolved != (folder / "docs_placeholder.md").resolve():
            problems.append(f"{path}: placeholder docs resolve to {placeholder!r}")
    if set(found) != set(names.ALL_TASKS):
        problems.append(f"tasks found {sorted(found)}, names module {sorted(names.ALL_TASKS)}")
    group = found.get(names.GROUP_NAME, {})
    if group.get("task") != list(names.TASK_NAMES):
        problems.append(
            f"group {names.GROUP_NAME} lists {group.get('task')}, names module {names.TASK_NAMES}"
        )
    for name, want in expected_metrics().items():
        config = found.get(name, {})
        key = "aggregate_metric_list" if name == names.GROUP_NAME else "metric_list"
        listed = [m["metric"] for m in config.get(key, [])]
        if set(listed) != want or len(listed) != len(want):
            problems.append(f"{name}: {key} {sorted(listed)}, names module {sorted(want)}")
        problems += [f"{name}: metric {m} is inside {o}" for m in listed for o in listed if m != o and m in o]
    return problems


def test_task_yamls_use_the_names_module() -> None:
    assert yaml_name_problems(tasks_path()) == []


@pytest.mark.parametrize(
    ("rel", "old", "new", "expect"),
    [
        (
            "seedbench_r1_levels/seedbench_r1_l3.yaml",
            "domain_work_acc",
            "domain_office_acc",
            "seedbench_r1_l3",
        ),
        ("longvideobench_r1/longvideobench_r1.yaml", "task: longvideobench_r1", "task: lvb_r1", "lvb_r1"),
        ("seedbench_r1_levels/seedbench_r1.yaml", "  - seedbench_r1_l3\n", "", "group seedbench_r1"),
        ("_r1_protocol.yaml", "test: docs_placeholder.md", "test: docs/placeholder.md", "placeholder"),
    ],
)
def test_a_planted_name_is_caught(tmp_path: Path, rel: str, old: str, new: str, expect: str) -> None:
    copy = tmp_path / "tasks"
    shutil.copytree(tasks_path(), copy, ignore=shutil.ignore_patterns("__pycache__"))
    target = copy / rel
    text = target.read_text()
    assert old in text
    target.write_text(text.replace(old, new))
    problems = yaml_name_problems(copy)
    assert problems and any(expect in p for p in problems), problems
