"""GRPO-CARE's EMA reference on two gloo ranks (FSDP2 on CPU): each rank updates its own shards and the gathered
model is the lerp of the whole models; the distance sums over ranks; a frozen step changes nothing; the
reference files restore it; shardings that differ are named (verl_recipe/care/shards.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

RUNNER = Path(__file__).parents[1] / "helpers" / "care_shards_run.py"


@pytest.fixture(scope="module")
def ranks(tmp_path_factory: pytest.TempPathFactory) -> list[dict]:
    out = tmp_path_factory.mktemp("care_shards")
    command = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        "--nproc_per_node=2",
        str(RUNNER),
    ]
    proc = subprocess.run(
        [*command, str(out)],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "CUDA_VISIBLE_DEVICES": "", "OMP_NUM_THREADS": "1"},
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    return [json.loads((out / f"rank_{r}.json").read_text()) for r in range(2)]


def test_each_rank_holds_half_and_the_gathered_reference_is_the_lerp(ranks: list[dict]) -> None:
    assert [r["world"] for r in ranks] == [2, 2]
    assert ranks[0]["local_shapes"][0] == [3, 7]  # the first weight (6 x 7) split in rows over two ranks
    for r in ranks:
        assert r["mismatches"] == []
        assert r["unsharded_after_forward"] is True  # the trap the update must avoid (shards.resharded)
        assert r["max_error"] <= 1e-7
        assert r["forward_error"] <= 1e-6  # the next forward sees the updated shards
        assert r["policy_moved"] is False


def test_the_distance_is_the_whole_models(ranks: list[dict]) -> None:
    for r in ranks:
        assert r["diff"] == pytest.approx(r["expected_diff"], rel=1e-5)
        assert r["total"] == pytest.approx(r["expected_total"], rel=1e-5)
        assert r["diff"] > 0


def test_a_frozen_step_changes_nothing_and_the_saved_reference_restores(ranks: list[dict]) -> None:
    for r in ranks:
        assert r["frozen_unchanged"] is True
        assert r["restored"] is True
        assert r["manifest"] == {"global_step": 3, "world_size": 2}


def test_a_reference_sharded_otherwise_is_named(ranks: list[dict]) -> None:
    lines = ranks[0]["unsharded_mismatches"]
    assert lines and all(": local shard " in line or "placements" in line for line in lines)


def test_a_missing_or_foreign_reference_is_one_line(tmp_path: Path) -> None:
    import torch

    from verl_recipe.care import shards

    module = torch.nn.Linear(3, 2)
    with pytest.raises(FileNotFoundError, match="no GRPO-CARE reference in this checkpoint"):
        shards.load_reference(module, tmp_path / "care_reference", 0, 1)
    shards.save_reference(module, tmp_path / "care_reference", 0, 1)
    with pytest.raises(ValueError, match="saved by 1 ranks, resuming on 2"):
        shards.load_reference(module, tmp_path / "care_reference", 0, 2)
    with pytest.raises(ValueError, match="other parameters than the reference"):
        shards.load_reference(torch.nn.Linear(3, 2, bias=False), tmp_path / "care_reference", 0, 1)
