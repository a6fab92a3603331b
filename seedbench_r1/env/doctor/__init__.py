"""``seedbench-r1 doctor``: is this environment ready, before a run spends GPU time finding out?

Each check is a function ``check_*(ctx) -> Result`` that looks at the real environment (installed
distributions' metadata, imports, ``nvidia-smi``, the dataset root) and never raises: :func:`run_checks` turns
an unexpected exception into a ``problem`` naming the check. Heavy imports (torch, decord) happen inside the
checks that need them, and probes that can hang or crash (torchcodec's FFmpeg libraries, flash-attn's CUDA
extension, ``nvidia-smi``) run in subprocesses with a timeout.

Statuses: ``ok``; ``warning`` (works, but not the tested setup, or something optional is absent); ``problem``
(a run will fail: blocking, the command exits 1).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict

from seedbench_r1.env.doctor.base import OK, PROBLEM, WARNING, Context, Result, satisfies
from seedbench_r1.env.doctor.data import check_dataset, check_frame_cache
from seedbench_r1.env.doctor.gpu import (
    FLASH_ATTN_PIN,
    VLLM_PIN,
    check_compute_capability,
    check_driver,
    check_flash_attn,
    check_gpu,
    check_gpu_kernels,
    check_nvcc,
    check_torch_cuda,
    check_vllm,
    min_driver,
)
from seedbench_r1.env.doctor.software import (
    PINNED,
    REQUIRES_PYTHON,
    check_decord,
    check_filelock,
    check_frameworks,
    check_lock,
    check_python,
    check_video_reader,
)

CHECKS: list[tuple[str, Callable[[Context], Result]]] = [
    ("python", check_python),
    ("lock", check_lock),
    ("frameworks", check_frameworks),
    ("filelock", check_filelock),
    ("video-reader", check_video_reader),
    ("decord", check_decord),
    ("gpu", check_gpu),
    ("driver", check_driver),
    ("torch-cuda", check_torch_cuda),
    ("compute-cap", check_compute_capability),
    ("nvcc", check_nvcc),
    ("flash-attn", check_flash_attn),
    ("vllm", check_vllm),
    ("gpu-kernels", check_gpu_kernels),
    ("dataset", check_dataset),
    ("frame-cache", check_frame_cache),
]
CHECK_NAMES = [name for name, _ in CHECKS]


def run_check(name: str, check: Callable[[Context], Result], ctx: Context) -> Result:
    """One check, whatever happens inside it: a check that raises is a bug, reported as a problem."""
    try:
        return check(ctx)
    except Exception as exc:
        return Result(
            name,
            PROBLEM,
            f"bug in doctor: check {name} raised {type(exc).__name__}: {exc}",
            "report it with the output of `seedbench-r1 doctor --json`",
        )


def run_checks(ctx: Context | None = None) -> list[Result]:
    ctx = ctx or Context()
    return [run_check(name, check, ctx) for name, check in CHECKS]


def exit_code(results: list[Result]) -> int:
    return 1 if any(r.status == PROBLEM for r in results) else 0


def to_json(results: list[Result]) -> str:
    return json.dumps([asdict(r) for r in results], indent=1)


__all__ = [
    "CHECKS",
    "CHECK_NAMES",
    "FLASH_ATTN_PIN",
    "OK",
    "PINNED",
    "PROBLEM",
    "REQUIRES_PYTHON",
    "VLLM_PIN",
    "WARNING",
    "Context",
    "Result",
    "check_python",
    "exit_code",
    "min_driver",
    "run_check",
    "run_checks",
    "satisfies",
    "to_json",
]
