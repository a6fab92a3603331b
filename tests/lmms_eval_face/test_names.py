"""The task YAMLs name exactly the tasks and metrics of ``seedbench_r1.protocol.names`` (YAML cannot import
it), read as lmms-eval loads them; each planted misnaming is caught."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from lmms_eval_tasks import tasks_path
from seedbench_r1.longvideobench.loader import DURATION_GROUPS
from seedbench_r1.longvideobench.loader import LEVELS as LVB_LEVELS
from seedbench_r1.protocol import names


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
