"""``backend=vllm`` under ``accelerate launch`` with two processes (real accelerate, two CPU ranks on gloo): the model
class refuses in one line naming what works, on every rank, before any engine starts; ``backend=hf`` under the
same launch gets one replica per rank."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

BUILD = """
import sys
from lmms_eval_tasks.models.seedbench_r1_qwen_vl import SeedBenchR1QwenVL
try:
    model = SeedBenchR1QwenVL(pretrained=sys.argv[1], backend=sys.argv[2], device="cpu")
except ValueError as exc:
    print(f"REFUSED {exc}", flush=True)
    # exit 0: torchrun stops the other rank as soon as one fails, which would hide whether it refused too
    sys.exit(0)
print(f"RANK {model.rank} OF {model.world_size}", flush=True)
"""


def launch(tmp_path: Path, model: Path, backend: str) -> subprocess.CompletedProcess[str]:
    accelerate = shutil.which("accelerate", path=os.path.dirname(sys.executable))
    if accelerate is None:
        pytest.skip("accelerate's launcher is not installed")
    script = tmp_path / "build.py"
    script.write_text(BUILD)
    argv = [
        accelerate,
        "launch",
        "--multi_gpu",
        "--num_processes",
        "2",
        "--num_machines",
        "1",
        "--mixed_precision",
        "no",
        "--dynamo_backend",
        "no",
        str(script),
        str(model),
        backend,
    ]
    # --multi_gpu with ACCELERATE_USE_CPU: torchrun ranks on gloo (plain --cpu starts a single process)
    env = {**os.environ, "ACCELERATE_USE_CPU": "true", "ACCELERATE_CONFIG_FILE": str(tmp_path / "none.yaml")}
    return subprocess.run(argv, capture_output=True, text=True, timeout=600, env=env, check=False)


def test_vllm_backend_refused_under_accelerate(tmp_path: Path, tiny_qwen2_vl: Path) -> None:
    proc = launch(tmp_path, tiny_qwen2_vl, "vllm")
    assert proc.returncode == 0, proc.stdout + proc.stderr[-3000:]
    refused = [ln for ln in proc.stdout.splitlines() if ln.startswith("REFUSED")]
    assert len(refused) == 2, proc.stdout + proc.stderr[-3000:]  # each rank, before any engine
    assert not [ln for ln in proc.stdout.splitlines() if ln.startswith("RANK")]
    assert "backend=vllm under accelerate launch (2 processes)" in refused[0]
    assert "tensor_parallel_size" in refused[0] and "backend=hf" in refused[0]


def test_hf_backend_gets_one_replica_per_rank(tmp_path: Path, tiny_qwen2_vl: Path) -> None:
    proc = launch(tmp_path, tiny_qwen2_vl, "hf")
    assert proc.returncode == 0, proc.stdout + proc.stderr[-3000:]
    ranks = sorted(ln for ln in proc.stdout.splitlines() if ln.startswith("RANK"))
    assert ranks == ["RANK 0 OF 2", "RANK 1 OF 2"], proc.stdout
