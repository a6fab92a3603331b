"""The CUDA host's route (seedbench_r1/env/gpu_host.py) as install_gpu.sh and doctor --json print it, against
faked ``nvidia-smi`` and ``nvcc`` for drivers 535, 570 and 580, a consumer card and no GPU.

The fakes are shell scripts on PATH / CUDA_HOME that print what the real tools print; the real script and the
real doctor run in subprocesses. This CPU machine has no libcuda, so forward compatibility is never "active".
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from seedbench_r1.env import gpu_host

REPO = Path(__file__).resolve().parents[2]
LOCK = REPO / "seedbench_r1" / "locks" / "gpu.txt"
HOSTS = {  # case -> (nvidia-smi name, driver, compute capability) or None for no GPU
    "h100-535": ("NVIDIA H100 80GB HBM3", "535.183.01", "9.0"),
    "a100-570": ("NVIDIA A100-SXM4-80GB", "570.133.20", "8.0"),
    "h200-580": ("NVIDIA H200", "580.95.05", "9.0"),
    "rtx4090-535": ("NVIDIA GeForce RTX 4090", "535.54.03", "8.9"),
    "v100-570": ("Tesla V100-SXM2-32GB", "570.133.20", "7.0"),
    "no-gpu": None,
}
ROUTES = {
    "h100-535": "forward-compat",
    "a100-570": "forward-compat",
    "h200-580": "native",
    "rtx4090-535": "cuda12",
    "v100-570": "forward-compat",
    "no-gpu": "no-gpu",
}


def fake_host(where: Path, case: str, nvcc_release: str | None) -> dict[str, str]:
    """PATH with a fake nvidia-smi (answering the doctor's and the script's queries) and CUDA_HOME with a fake
    nvcc; the real PATH follows for bash and the tools the scripts use."""
    bin_dir = where / "bin"
    bin_dir.mkdir(parents=True)
    host = HOSTS[case]
    if host is not None:
        name, driver, cap = host
        smi = bin_dir / "nvidia-smi"
        smi.write_text(
            "#!/bin/sh\n"
            'case "$*" in\n'
            f"  *compute_cap*) echo '{cap}' ;;\n"
            f"  *memory.total*) echo '{name}, 81559, {driver}' ;;\n"
            f"  *) echo '{name}, {driver}' ;;\n"
            "esac\n"
        )
        smi.chmod(0o755)
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(bin_dir), env.get("PATH", "")])
    env["CUDA_HOME"] = str(where / "cuda")
    if nvcc_release is not None:
        nvcc = where / "cuda" / "bin" / "nvcc"
        nvcc.parent.mkdir(parents=True)
        nvcc.write_text(
            "#!/bin/sh\necho 'nvcc: NVIDIA (R) Cuda compiler driver'\n"
            f"echo 'Cuda compilation tools, release {nvcc_release}, V{nvcc_release}.88'\n"
        )
        nvcc.chmod(0o755)
    env["FORCE_QWENVL_VIDEO_READER"] = "decord"
    return env


def run(argv: list[str], env: dict[str, str], timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv, capture_output=True, text=True, env=env, cwd=REPO, timeout=timeout, check=False
    )


def report(env: dict[str, str], *extra: str) -> subprocess.CompletedProcess[str]:
    """The host step of install_gpu.sh, exactly as the script calls it."""
    return run([sys.executable, "seedbench_r1/env/gpu_host.py", "--lock", str(LOCK), *extra], env)


@pytest.mark.parametrize("case", list(HOSTS))
def test_route_per_driver(tmp_path: Path, case: str) -> None:
    env = fake_host(tmp_path, case, "13.0")
    proc = report(env, "--report")  # what --dry-run prints: a report, exit 0
    assert proc.returncode == 0, proc.stderr
    assert f"driver route ({ROUTES[case]})" in proc.stdout
    assert "nvcc 13.0 at" in proc.stdout and "(from CUDA_HOME)" in proc.stdout
    assert "MAX_JOBS defaults to" in proc.stdout
    strict = report(env)  # what a real install does before creating the venv
    if ROUTES[case] == "native":
        assert strict.returncode == 0, strict.stderr
        return
    assert strict.returncode == 1
    refusal = strict.stderr.strip().splitlines()
    assert len(refusal) == 1 and refusal[0].startswith("install_gpu.sh: "), strict.stderr
    assert "SKIP_DRIVER_CHECK=1" in refusal[0]
    if ROUTES[case] == "forward-compat":
        assert gpu_host.COMPAT_PACKAGE in refusal[0] and gpu_host.COMPAT_DIR in refusal[0]
        assert f"branch {HOSTS[case][1].split('.')[0]}" in refusal[0]
    if ROUTES[case] == "cuda12":
        assert "not a data-centre GPU" in refusal[0] and gpu_host.COMPAT_PACKAGE not in refusal[0]
        assert "download.pytorch.org/whl/cu12" in refusal[0]


@pytest.mark.parametrize(
    ("release", "expect"),
    [("13.0", None), ("12.4", "nvcc 12.4 at"), (None, "does not run or prints no release")],
)
def test_nvcc_must_match_torch_cuda_major(tmp_path: Path, release: str | None, expect: str | None) -> None:
    env = fake_host(tmp_path, "h200-580", release)
    proc = report(env, "--nvcc-for", "13.0")
    if expect is None:
        assert proc.returncode == 0, proc.stderr
        assert "nvcc: nvcc 13.0 at" in proc.stdout
        return
    assert proc.returncode == 1
    assert expect in proc.stderr
    if release:
        assert "torch is built for CUDA 13.0" in proc.stderr and "CUDA_HOME" in proc.stderr


def test_nvcc_found_where_torch_looks(tmp_path: Path) -> None:
    """CUDA_HOME first, then PATH (its parent folder is the toolkit), like torch.utils.cpp_extension."""
    env = fake_host(tmp_path, "h200-580", "13.0")
    nvcc = str(tmp_path / "cuda" / "bin" / "nvcc")
    assert gpu_host.find_nvcc({"CUDA_HOME": str(tmp_path / "cuda")}) == (nvcc, "CUDA_HOME")
    assert gpu_host.find_nvcc({"CUDA_PATH": str(tmp_path / "cuda")}) == (nvcc, "CUDA_PATH")
    assert gpu_host.find_nvcc({"PATH": str(tmp_path / "cuda" / "bin")}) == (nvcc, "PATH")
    assert env["CUDA_HOME"] == str(tmp_path / "cuda")


def test_wrong_python_is_named_first(tmp_path: Path) -> None:
    lock = tmp_path / "gpu.txt"
    lock.write_text("# resolved for Linux x86_64, CPython 3.10.\nnumpy==2.3.0\n")
    env = fake_host(tmp_path, "h200-580", "13.0")
    proc = run([sys.executable, "seedbench_r1/env/gpu_host.py", "--lock", str(lock), "--report"], env)
    assert proc.returncode == 1
    assert proc.stdout == ""  # nothing about drivers before the interpreter is right
    assert f"Python {sys.version_info[0]}.{sys.version_info[1]}" in proc.stderr
    assert "resolved for CPython 3.10" in proc.stderr and "PYTHON=python3.10" in proc.stderr
    assert gpu_host.lock_python(LOCK) == (3, 11)  # the real lock's header names its interpreter


def test_max_jobs_from_cores_and_memory() -> None:
    assert gpu_host.default_max_jobs(64, 2000) == 64  # cores bound a big node
    assert gpu_host.default_max_jobs(64, 90) == 5  # memory bounds it below 96 GB
    assert gpu_host.default_max_jobs(8, 8) == 1  # never zero


def test_install_dry_run_reports_the_route(tmp_path: Path) -> None:
    """The real install_gpu.sh --dry-run on a faked H100 with driver 535: the route, nvcc, then resolution."""
    env = fake_host(tmp_path, "h100-535", "12.4")
    env["PYTHON"] = sys.executable
    proc = run(["bash", "tools/install_gpu.sh", "--dry-run"], env, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    assert "driver route (forward-compat): driver 535.183.01 (branch 535) is older than 580" in out
    assert "nvcc 12.4 at" in out and "torch is built for CUDA 13.0" in out
    assert "dry run ok:" in out
    assert out.index("python:") < out.index("driver route") < out.index("dry run ok:")


@pytest.mark.parametrize("case", list(HOSTS))
def test_doctor_json_per_driver(tmp_path: Path, case: str) -> None:
    env = fake_host(tmp_path, case, "12.4")
    proc = run([sys.executable, "-m", "seedbench_r1", "doctor", "--json", "--lock", "gpu"], env)
    results = {r["check"]: r for r in json.loads(proc.stdout)}  # no crash: valid JSON, every check present
    assert not [r for r in results.values() if "bug in doctor" in r["detail"]], proc.stdout
    driver, cap, nvcc = results["driver"], results["compute-cap"], results["nvcc"]
    if HOSTS[case] is None:
        assert driver["status"] == "ok" and "no NVIDIA GPU" in driver["detail"]
        assert nvcc["detail"].startswith("not a GPU host")
        return
    name, version, capability = HOSTS[case]
    if ROUTES[case] == "native":
        assert driver["status"] == "ok", driver
    else:  # this venv's torch is a CUDA 13 build: too old a driver is a problem, the fix is the route
        assert driver["status"] == "problem", driver
        assert f"driver {version} is too old" in driver["detail"]
        assert ("not a data-centre GPU" in driver["fix"]) == (ROUTES[case] == "cuda12")
        assert (gpu_host.COMPAT_PACKAGE in driver["fix"]) == (ROUTES[case] == "forward-compat")
        assert proc.returncode == 1
    assert capability in cap["detail"]
    assert cap["status"] == ("warning" if float(capability) < 8 else "ok"), cap
    if cap["status"] == "warning":
        assert "attn_implementation=sdpa" in cap["fix"]
    assert nvcc["status"] == "warning" and "nvcc 12.4 at" in nvcc["detail"], nvcc
    assert results["gpu-kernels"]["status"] == "ok"  # no CUDA device behind the fake: not probed


def test_runs_without_site_packages(tmp_path: Path) -> None:
    """install_gpu.sh runs it with the user's bare interpreter, before any venv: the standard library only."""
    env = fake_host(tmp_path, "a100-570", "13.0")
    proc = run([sys.executable, "-S", "seedbench_r1/env/gpu_host.py", "--lock", str(LOCK), "--report"], env)
    assert proc.returncode == 0, proc.stderr
    assert "driver route (forward-compat)" in proc.stdout
