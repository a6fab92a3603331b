"""Knobs and modes of the newer commands, checked before anything loads: a value out of range is argparse's
one line naming the flag (exit 2); an option that the chosen mode would ignore, a checkpoint of another
architecture, one id given as 5 and as "5", an empty or blank LongVideoBench candidate, a 0-byte clip: one
line each (exit 1), no traceback."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from seedbench_r1.cli import main


def _error_line(capsys: pytest.CaptureFixture[str], needles: tuple[str, ...]) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err
    (line,) = [ln for ln in err.splitlines() if ": error: " in ln]
    for needle in needles:
        assert needle in line, line
    return line


def parse_error(capsys: pytest.CaptureFixture[str], argv: list[str], *needles: str) -> str:
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    return _error_line(capsys, needles)


def one_error(capsys: pytest.CaptureFixture[str], argv: list[str], *needles: str) -> str:
    assert main(argv) == 1
    return _error_line(capsys, needles)


ATTENTION = ["attention", "--model", "m", "--split", "validation_L1", "--out", "o"]
KNOBS = [
    (ATTENTION + ["--max-new-tokens", "0"], "--max-new-tokens"),
    (ATTENTION + ["--n-boot", "0"], "--n-boot"),
    (ATTENTION + ["--limit", "-3"], "--limit"),
    (ATTENTION + ["--seed", "x"], "--seed"),
    (["parity", "--model", "m", "--vllm-memory", "0"], "--vllm-memory"),
    (["parity", "--model", "m", "--vllm-memory", "1.5"], "--vllm-memory"),
    (["parity", "--model", "m", "--vllm-memory", "nan"], "--vllm-memory"),
    (
        ["prepare-verl", "--split", "training_with_cot_6k", "--out", "o.parquet", "--max-length", "0"],
        "--max-length",
    ),
    (["extract-frames", "--workers", "-1"], "--workers"),
    (["report", "r", "--n-boot", "0"], "--n-boot"),
    (["verl-cpu-step", "p.parquet", "--model", "m", "-n", "0"], "argument -n"),
]


@pytest.mark.parametrize(("argv", "flag"), KNOBS, ids=[f"{a[0]} {f}" for a, f in KNOBS])
def test_a_knob_out_of_range_is_refused_when_parsed(argv: list[str], flag: str, capsys) -> None:
    parse_error(capsys, argv, flag)


def test_an_option_the_mode_ignores_is_refused(
    tiny_qwen2_vl: Path, fixture_root: Path, tmp_path, capsys
) -> None:
    base = [
        "attention",
        "--model",
        str(tiny_qwen2_vl),
        "--split",
        "validation_L1",
        "--root",
        str(fixture_root),
    ]
    base += ["--out", str(tmp_path / "a")]
    one_error(capsys, [*base, "--samples", "1", "--limit", "2"], "--limit", "--samples")
    one_error(
        capsys,
        [*base, "--samples", "1", "--response-from", str(tmp_path), "--max-new-tokens", "9"],
        "--max-new-tokens",
        "--response-from",
    )
    assert not (tmp_path / "a").exists()


@pytest.mark.parametrize(
    ("config", "needle"),
    [({"model_type": "qwen2"}, "a text-only model"), ({"hidden_size": 8}, "no model_type")],
)
def test_a_checkpoint_of_another_kind_is_named_before_it_loads(
    config: dict, needle: str, tiny_qwen2_vl: Path, fixture_root: Path, tmp_path: Path, capsys
) -> None:
    folder = tmp_path / "model"
    shutil.copytree(tiny_qwen2_vl, folder)
    (folder / "config.json").write_text(json.dumps(config))
    one_error(
        capsys, ["parity", "--model", str(folder), "--root", str(fixture_root)], f"--model {folder}", needle
    )
    attention = ["attention", "--model", str(folder), "--split", "validation_L1", "--samples", "1"]
    one_error(capsys, [*attention, "--root", str(fixture_root), "--out", str(tmp_path / "a")], needle)


def test_one_id_given_as_a_number_and_as_text_is_a_duplicate(
    broken_root: Path, tmp_path: Path, capsys
) -> None:
    path = broken_root / "annotations" / "training_6k.jsonl"
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    rows[0]["sample_id"], rows[3]["sample_id"] = 5, "5"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    argv = [
        "prepare-verl",
        "--root",
        str(broken_root),
        "--split",
        "training_6k",
        "--out",
        str(tmp_path / "t.parquet"),
    ]
    one_error(capsys, argv, f"{path}:4", "duplicate of line 1")


def test_verify_names_empty_clips_and_longvideobench_slips(
    broken_root: Path, lvb_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    clip = next((broken_root / "videos" / "EpicKitchens").glob("ek_long*.mp4"))
    clip.write_bytes(b"")  # a download cut short
    assert main(["verify", "--root", str(broken_root), "--no-expect-sizes"]) == 1
    assert clip.name in capsys.readouterr().out
    root = tmp_path / "LongVideoBench"
    shutil.copytree(lvb_root, root)
    entries = json.loads((root / "lvb_val.json").read_text())
    entries[0]["candidates"][2] = entries[0]["candidates"][1]  # one text twice: a warning with a count
    (root / "lvb_val.json").write_text(json.dumps(entries))
    assert main(["verify", "--dataset", "longvideobench", "--root", str(root), "--no-expect-sizes"]) == 0
    assert "1 question(s) list one candidate text twice: lvbLong30fps_0" in capsys.readouterr().out
    entries[0]["candidates"][2] = ""
    (root / "lvb_val.json").write_text(json.dumps(entries))
    one_error(
        capsys,
        ["verify", "--dataset", "longvideobench", "--root", str(root)],
        "lvbLong30fps_0",
        "candidate C is empty",
    )
