"""What a CUDA host needs before the GPU lock installs: the Python the lock was resolved for, a driver route
for torch's CUDA 13 build, and an nvcc that matches it for flash-attn's build.

Standard library only and runnable by path (``python seedbench_r1/env/gpu_host.py``): tools/install_gpu.sh
calls it with the user's interpreter before any venv exists, and ``seedbench-r1 doctor`` imports the same rules.
"""

from __future__ import annotations

import argparse
import ctypes
import itertools
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

LOCK_CUDA_MAJOR = 13  # the GPU lock's torch 2.11.0 and vLLM 0.24.0 wheels on PyPI are CUDA 13 builds
NATIVE_DRIVER = 580  # CUDA 13.0's GA driver branch (NVIDIA's toolkit / driver table)
CUDA12_DRIVER = 525  # CUDA 12.0's: below it even a CUDA 12 build needs forward compatibility
COMPAT_PACKAGE = "cuda-compat-13-0"
COMPAT_DIR = "/usr/local/cuda-13.0/compat"
# CUDA forward compatibility is for data-centre GPUs (and select NGC-ready RTX SKUs): these names are not.
CONSUMER_MARKERS = ("GeForce", "TITAN", "Quadro", "RTX")
GIB_PER_BUILD_JOB = 16  # flash-attn's README: MAX_JOBS=4 below 96 GB of RAM, i.e. ~16 GB per nvcc job


@dataclass(frozen=True)
class Route:
    kind: str  # no-gpu | native | compat-active | forward-compat | cuda12 | upgrade
    ready: bool  # the lock's torch can use the GPU as the host stands
    text: str


def lock_python(lock: Path) -> tuple[int, int] | None:
    """(3, 11) from the lock's header ("... for Linux x86_64, CPython 3.11."), None if it names none."""
    with open(lock, encoding="utf-8", errors="replace") as f:
        head = "".join(itertools.islice(f, 10))
    match = re.search(r"CPython (\d+)\.(\d+)", head)
    return (int(match.group(1)), int(match.group(2))) if match else None


def python_problem(have: tuple[int, int], want: tuple[int, int] | None, executable: str) -> str | None:
    if want is None or have == want:
        return None
    wanted = f"{want[0]}.{want[1]}"
    return (
        f"{executable} is Python {have[0]}.{have[1]}; the GPU lock was resolved for CPython {wanted} (its numpy "
        f"and pandas need >= 3.11): pass PYTHON=python{wanted} (from deadsnakes, `uv python install {wanted}` "
        "or conda)"
    )


def driver_branch(version: str) -> int | None:
    match = re.match(r"\s*(\d+)", version or "")
    return int(match.group(1)) if match else None


def libcuda_version() -> int | None:
    """The user-mode CUDA driver's API version (13000 = 13.0), as a CUDA program will see it: with the
    forward-compatibility package on the library path this is the package's, not the kernel driver's."""
    try:
        lib = ctypes.CDLL("libcuda.so.1")
        version = ctypes.c_int(0)
        if lib.cuDriverGetVersion(ctypes.byref(version)) != 0:
            return None
        return version.value
    except (OSError, AttributeError):
        return None


def is_consumer(gpu_name: str) -> bool:
    return any(marker.lower() in gpu_name.lower() for marker in CONSUMER_MARKERS)


def driver_route(driver: str | None, gpu_name: str | None, libcuda: int | None) -> Route:
    """Which way the lock's CUDA 13 torch can run on this host (see docs/gpu_hosts.md)."""
    if not driver:
        return Route("no-gpu", False, "nvidia-smi lists no NVIDIA GPU: this is no CUDA host")
    branch = driver_branch(driver) or 0
    if branch >= NATIVE_DRIVER:
        return Route(
            "native", True, f"driver {driver} (branch {branch} >= {NATIVE_DRIVER}) runs CUDA 13 natively"
        )
    if libcuda is not None and libcuda >= LOCK_CUDA_MAJOR * 1000:
        return Route(
            "compat-active",
            True,
            f"driver {driver} with CUDA forward compatibility active (libcuda reports "
            f"{libcuda // 1000}.{libcuda % 1000 // 10})",
        )
    need = f"driver {driver} (branch {branch}) is older than {NATIVE_DRIVER}, which the GPU lock's CUDA 13 torch needs"
    upgrade = f"update the driver to branch >= {NATIVE_DRIVER}"
    cuda12 = (
        "or build a CUDA 12 environment outside the lock (torch 2.11.0 from download.pytorch.org/whl/cu126 or "
        "cu128, vLLM 0.24.0's CUDA 12 wheel, flash-attn built with nvcc 12; untested here)"
    )
    if gpu_name and is_consumer(gpu_name):
        kind = "cuda12" if branch >= CUDA12_DRIVER else "upgrade"
        return Route(
            kind,
            False,
            f"{need}; {gpu_name} is not a data-centre GPU, so CUDA forward compatibility does not apply: "
            f"{upgrade}" + (f", {cuda12}" if kind == "cuda12" else ""),
        )
    return Route(
        "forward-compat",
        False,
        f"{need}: on a data-centre GPU install {COMPAT_PACKAGE} (apt/dnf, NVIDIA's CUDA repository) and "
        f"export LD_LIBRARY_PATH={COMPAT_DIR}:$LD_LIBRARY_PATH, if NVIDIA's forward-compatibility matrix lists "
        f"branch {branch}; proof it is active: `seedbench-r1 doctor` reports libcuda 13.x; else {upgrade}, {cuda12}",
    )


def find_nvcc(env: dict[str, str]) -> tuple[str | None, str]:
    """nvcc where torch's extension builder looks: CUDA_HOME / CUDA_PATH, then PATH, then /usr/local/cuda."""
    home = env.get("CUDA_HOME") or env.get("CUDA_PATH")
    if home:
        return os.path.join(home, "bin", "nvcc"), "CUDA_HOME" if env.get("CUDA_HOME") else "CUDA_PATH"
    found = shutil.which("nvcc", path=env.get("PATH", ""))
    if found:
        return found, "PATH"
    if os.path.exists("/usr/local/cuda"):
        return "/usr/local/cuda/bin/nvcc", "/usr/local/cuda"
    return None, ""


def nvcc_release(nvcc: str) -> str | None:
    """ "13.0" from ``nvcc --version`` ("Cuda compilation tools, release 13.0, V13.0.88"); None if it fails."""
    try:
        out = subprocess.run(
            [nvcc, "--version"], capture_output=True, text=True, timeout=30, check=False
        ).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    match = re.search(r"release (\d+\.\d+)", out)
    return match.group(1) if match else None


def nvcc_problem(env: dict[str, str], torch_cuda: str) -> tuple[str | None, str]:
    """(problem or None, what was found) for building flash-attn against a torch built for ``torch_cuda``."""
    nvcc, how = find_nvcc(env)
    if nvcc is None:
        return (
            "no nvcc (looked at CUDA_HOME, CUDA_PATH, PATH, /usr/local/cuda): install the CUDA "
            f"{torch_cuda.split('.')[0]} toolkit and set CUDA_HOME, or pass FLASH_ATTN_WHEEL=<prebuilt wheel>",
            "",
        )
    release = nvcc_release(nvcc)
    if release is None:
        return f"{nvcc} (from {how}) does not run or prints no release", nvcc
    found = f"nvcc {release} at {nvcc} (from {how})"
    if release.split(".")[0] != torch_cuda.split(".")[0]:
        return (
            f"{found}, but torch is built for CUDA {torch_cuda}: flash-attn's extension needs the same CUDA "
            f"major; point CUDA_HOME at a CUDA {torch_cuda.split('.')[0]} toolkit",
            found,
        )
    return None, found


def default_max_jobs(cores: int, mem_gib: float) -> int:
    return max(1, min(cores, int(mem_gib // GIB_PER_BUILD_JOB)))


def host_memory_gib() -> float:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError, AttributeError):
        return float(GIB_PER_BUILD_JOB)


def first_gpu(timeout: float = 15.0) -> tuple[str | None, str | None]:
    """(name, driver version) of GPU 0 as nvidia-smi lists it; (None, None) without a working nvidia-smi."""
    smi = shutil.which("nvidia-smi")
    if smi is None:
        return None, None
    cmd = [smi, "--query-gpu=name,driver_version", "--format=csv,noheader"]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None, None
    rows = [r for r in proc.stdout.splitlines() if r.strip()] if proc.returncode == 0 else []
    if not rows:
        return None, None
    name, _, driver = rows[0].rpartition(",")
    return (name.strip() or None), (driver.strip() or None)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lock", required=True, type=Path, help="the GPU lock (seedbench_r1/locks/gpu.txt)")
    parser.add_argument("--nvcc-for", metavar="CUDA", help="check nvcc against a torch built for this CUDA")
    parser.add_argument(
        "--report", action="store_true", help="print the route; exit 0 unless Python is wrong"
    )
    parser.add_argument("--max-jobs", action="store_true", help="print the default MAX_JOBS for this host")
    args = parser.parse_args(argv)
    cores, memory = os.cpu_count() or 1, host_memory_gib()
    jobs = default_max_jobs(cores, memory)
    if args.max_jobs:
        print(jobs)
        return 0
    problem = python_problem(sys.version_info[:2], lock_python(args.lock), sys.executable)
    if problem:
        print(f"install_gpu.sh: {problem}", file=sys.stderr)
        return 1
    print(f"python: {sys.version.split()[0]} ({sys.executable}) matches the lock")
    if args.nvcc_for:
        nvcc, found = nvcc_problem(dict(os.environ), args.nvcc_for)
        if nvcc:
            print(f"install_gpu.sh: {nvcc}", file=sys.stderr)
            return 1
        print(f"nvcc: {found}; MAX_JOBS={os.environ.get('MAX_JOBS', '?')}")
        return 0
    name, driver = first_gpu()
    route = driver_route(driver, name, libcuda_version())
    print(f"driver route ({route.kind}): {route.text}")
    problem, found = nvcc_problem(dict(os.environ), f"{LOCK_CUDA_MAJOR}.0")
    print(f"nvcc for flash-attn's build: {problem or found}")
    print(f"flash-attn build: MAX_JOBS defaults to {jobs} ({cores} cores, {memory:.0f} GiB)")
    if route.ready or args.report:
        return 0
    print(
        f"install_gpu.sh: {route.text} (SKIP_DRIVER_CHECK=1 to install anyway)",
        file=sys.stderr,
    )
    return 1


if __name__ == "__main__":
    sys.exit(main())
