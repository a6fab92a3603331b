"""``seedbench-r1 curves`` on metrics written by verl 0.9.1's own ``Tracking`` (file and tensorboard backends)."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from seedbench_r1.cli import main
from seedbench_r1.report.curves import build_curves, read_log

STEPS = range(1, 7)


def _score(step: int) -> float:
    return 0.25 + 0.04 * step


def _length(step: int) -> float:
    return 180.0 - 7.5 * step


@pytest.fixture(scope="module")
def verl_logs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A short fake training run logged through verl's Tracking, the way ray_trainer logs it."""
    from verl.utils.tracking import Tracking

    base = tmp_path_factory.mktemp("verl_logs")
    with pytest.MonkeyPatch.context() as env:  # verl reads the logger paths from the environment
        env.setenv("VERL_FILE_LOGGER_PATH", str(base / "metrics.jsonl"))
        env.setenv("TENSORBOARD_DIR", str(base / "tb"))
        tracker = Tracking("seedbench_r1", "grpo_tiny", default_backend=["file", "tensorboard"])
        # val_before_train: validation metrics alone at step 0 (data_source per level, var "acc").
        tracker.log(
            {"val-core/seedbench_r1_l1/acc/mean@1": 0.25, "val-aux/seedbench_r1_l1/format/mean@1": 0.9}, 0
        )
        for step in STEPS:
            data = {
                "critic/score/mean": np.float32(_score(step)),  # numpy scalars, as verl's metrics are
                "critic/rewards/mean": _score(step) - 0.01,
                "response_length/mean": _length(step),
                "training/global_step": step,
            }
            if step % 3 == 0:
                data["val-core/seedbench_r1_l1/acc/mean@1"] = 0.25 + 0.05 * step
                data["val-core/seedbench_r1_l3/acc/mean@1"] = 0.2 + 0.05 * step
            tracker.log(data=data, step=step)
        tracker.finish()
    return {"jsonl": base / "metrics.jsonl", "tb": base / "tb"}


@pytest.mark.parametrize("kind", ["jsonl", "tb"])
def test_reads_what_verl_wrote(verl_logs: dict[str, Path], kind: str) -> None:
    log = read_log(str(verl_logs[kind]))
    assert log.kind == ("jsonl" if kind == "jsonl" else "tensorboard")
    assert log.accuracy_key() == "critic/score/mean"
    assert [s for s, _ in log.series["critic/score/mean"]] == list(STEPS)
    assert [v for _, v in log.series["critic/score/mean"]] == pytest.approx(
        [_score(s) for s in STEPS], abs=1e-6
    )
    assert [v for _, v in log.series["response_length/mean"]] == pytest.approx([_length(s) for s in STEPS])
    assert log.val_keys() == ["val-core/seedbench_r1_l1/acc/mean@1", "val-core/seedbench_r1_l3/acc/mean@1"]
    l1 = log.series["val-core/seedbench_r1_l1/acc/mean@1"]
    assert [s for s, _ in l1] == [0, 3, 6] and l1[-1][1] == pytest.approx(0.55)


def test_curves_png_and_csv(verl_logs: dict[str, Path], tmp_path: Path) -> None:
    files = build_curves([f"file={verl_logs['jsonl']}", f"tensorboard={verl_logs['tb']}"], tmp_path)
    assert files.problems == []
    with Image.open(files.png) as im:
        im.verify()
    assert files.png.stat().st_size > 10_000
    with open(files.csv, newline="") as fh:
        rows = list(csv.DictReader(fh))
    score = [r for r in rows if r["log"] == "file" and r["metric"] == "critic/score/mean"]
    assert [int(r["step"]) for r in score] == list(STEPS)
    assert all(math.isclose(float(r["value"]), _score(int(r["step"])), abs_tol=1e-6) for r in score)
    panels = {r["panel"] for r in rows}
    assert panels == {"accuracy reward", "response length", "validation accuracy"}
    assert len(rows) == 2 * (6 + 6 + 3 + 2)  # two logs x (score, length, L1 val at 0/3/6, L3 val at 3/6)


def test_curves_command_and_bad_input(
    verl_logs: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "not_metrics.jsonl"
    bad.write_text("step:1 - critic/score/mean:0.5\n")  # console-logger text, not the file logger's JSONL
    rc = main(["curves", str(verl_logs["jsonl"]), str(bad), "--out", str(tmp_path / "out")])
    assert rc == 0
    captured = capsys.readouterr()
    assert f"{bad}:1: not a verl file-logger line" in captured.err
    assert (tmp_path / "out" / "curves.png").stat().st_size > 0
    assert main(["curves", str(bad), "--out", str(tmp_path / "out2")]) == 1
    assert "no readable verl metrics log" in capsys.readouterr().err
    assert not (tmp_path / "out2" / "curves.png").exists()
