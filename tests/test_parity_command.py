"""``seedbench-r1 parity`` on the fixture: every path the project uses gives the models' own positions, and the
stock paths it replaces are shown off by the amounts the docs quote."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

# (path, least max |delta position| of the stock path) per model, as measured on the fixture.
STOCK_OFF = {
    "qwen2_vl": {"verl SFT (stock)": 1},
    "qwen2_5_vl": {"verl GRPO agent loop (stock)": 1, "transformers 5.9 stock": 1},
}


@pytest.mark.parametrize("kind", ["qwen2_vl", "qwen2_5_vl"])
def test_parity_positions(kind: str, fixture_root: Path, request: pytest.FixtureRequest) -> None:
    model = request.getfixturevalue(f"tiny_{kind}")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "seedbench_r1",
            "parity",
            "--model",
            str(model),
            "--root",
            str(fixture_root),
            "--json",
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "FORCE_QWENVL_VIDEO_READER": "decord"},
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = {r["path"]: r for r in json.loads(proc.stdout[proc.stdout.index("[") :])}
    for path in ("eval (model class)", "verl GRPO agent loop (recipe hooks)", "verl SFT (recipe class)"):
        assert results[path]["ok"] and results[path]["max_delta"] == 0 and results[path]["rows"] > 0
    for path, least in STOCK_OFF[kind].items():
        print(f"{kind}: {path} off by up to {results[path]['max_delta']}")
        assert results[path]["max_delta"] >= least
    clip = results["eval (model class)"]["first_clip"]
    assert clip["temporal"][0] == 0 and clip["text_after_video"] == max(clip["temporal"][-1], 8) + 1
