"""Hostile input to report, curves, verl-reward-check and verl-cpu-step: one line naming the file, exit 1, no
traceback, and nothing silently dropped (bad lines and non-finite values are counted and named)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from verl_recipe.rl_parquet import prepare_rl
from verl_recipe.sft_parquet import prepare_sft

ENV = {**os.environ, "FORCE_QWENVL_VIDEO_READER": "decord"}
ENV.pop("SEEDBENCH_R1_DEBUG", None)


def run(*args: str | Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "seedbench_r1", *map(str, args)],
        capture_output=True,
        text=True,
        env=ENV,
        timeout=900,
    )


def error_line(proc: subprocess.CompletedProcess, *needles: str) -> str:
    assert proc.returncode == 1, (proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr, proc.stderr
    (line,) = [ln for ln in proc.stderr.splitlines() if ": error: " in ln]
    for needle in needles:
        assert needle in line, line
    return line


@pytest.fixture(scope="module")
def parquets(fixture_root: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("bad_input_parquet")
    prepare_rl(fixture_root, "validation_L1", out / "l1.parquet", progress=False)
    prepare_sft(fixture_root, "training_with_cot_6k", out / "sft.parquet", progress=False)
    (out / "not.parquet").write_text("just text")
    return {"rl": out / "l1.parquet", "sft": out / "sft.parquet", "text": out / "not.parquet"}


# ------------------------------------------------------------------------------------ verl-reward-check


def test_reward_check_refuses_what_is_not_an_rl_parquet(parquets: dict[str, Path], tmp_path: Path) -> None:
    error_line(run("verl-reward-check", tmp_path / "missing.parquet"), "missing.parquet", "no such parquet")
    error_line(run("verl-reward-check", parquets["text"]), str(parquets["text"]), "not a parquet file")
    error_line(run("verl-reward-check", parquets["sft"]), str(parquets["sft"]), "SFT parquet", "reward_model")
    error_line(
        run("verl-reward-check", parquets["rl"], "--recipe", "seedbench_r1_grpo_smok"), "no such recipe"
    )
    ok = run("verl-reward-check", parquets["rl"])
    assert ok.returncode == 0 and "seedbench_r1_l1: 8 rows" in ok.stdout


# ---------------------------------------------------------------------------------------- verl-cpu-step


def test_cpu_step_names_a_missing_model_folder_and_moved_media(
    fixture_root: Path, parquets: dict[str, Path], tiny_qwen2_vl: Path, tmp_path: Path
) -> None:
    missing = tmp_path / "no-model"
    error_line(run("verl-cpu-step", parquets["rl"], "--model", missing), str(missing), "no such folder")
    not_ckpt = tmp_path / "empty"
    not_ckpt.mkdir()
    error_line(run("verl-cpu-step", parquets["rl"], "--model", not_ckpt), "no config.json")
    # Media moved after prepare-verl wrote absolute paths: named with the row, not qwen-vl-utils' reader error.
    root = tmp_path / "root"
    shutil.copytree(fixture_root, root)
    moved = tmp_path / "moved.parquet"
    prepare_rl(root, "validation_L1", moved, progress=False)
    shutil.rmtree(root / "videos")
    shutil.rmtree(root / "images")
    line = error_line(
        run("verl-cpu-step", moved, "--model", tiny_qwen2_vl), str(moved), "row 0", "media file missing"
    )
    assert str(root) in line


# ------------------------------------------------------------------------------------------------ report


def _results(folder: Path, results: dict) -> Path:
    model = folder / "model"
    model.mkdir(parents=True)
    path = model / "20260101_000000_results.json"
    path.write_text(json.dumps({"results": results}))
    return path


def test_report_refuses_another_tasks_output(tmp_path: Path) -> None:
    run_dir = tmp_path / "mmmu_run"
    _results(run_dir, {"mmmu_val": {"acc,none": 0.5}})
    proc = run("report", run_dir, "--out", tmp_path / "rep")
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert "no SEED-Bench-R1 results in it (tasks: mmmu_val)" in proc.stderr


@pytest.mark.parametrize(
    "payload, reason",
    [
        (b'{"results": \xff\xfe}', "not UTF-8"),
        (b'{"results": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "nested too deeply"),
        (b'{"results": {"seedbench_r1_l1": {"acc": ' + b"7" * 5000 + b"}}}", "digits"),
    ],
    ids=["bad-utf8", "deep-json", "huge-int"],
)
def test_report_on_hostile_results_file(tmp_path: Path, payload: bytes, reason: str) -> None:
    path = _results(tmp_path / "run", {})
    path.write_bytes(payload)
    proc = run("report", tmp_path / "run", "--out", tmp_path / "rep")
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert str(path) in proc.stderr and reason in proc.stderr


def test_report_out_on_an_existing_file_is_one_line(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    _results(run_dir, {"seedbench_r1_l1": {"seedbench_r1_acc,none": 0.5}})
    blocker = tmp_path / "blocker"
    blocker.write_text("keep")
    error_line(run("report", run_dir, "--out", blocker), str(blocker))
    assert blocker.read_text() == "keep"


# ------------------------------------------------------------------------------------------------ curves


def test_curves_on_a_file_that_is_not_text(tmp_path: Path) -> None:
    log = tmp_path / "log.jsonl"
    log.write_bytes(b"\xff\xfe\x00garbage\n")
    line = error_line(run("curves", log, "--out", tmp_path / "c"), str(log), "not UTF-8")
    assert "no numeric metrics" in line


def test_curves_name_bad_lines_and_non_finite_values(tmp_path: Path) -> None:
    log = tmp_path / "log.jsonl"
    lines = [
        json.dumps({"step": 1, "data": {"critic/score/mean": 0.1, "response_length/mean": 50.0}}).encode(),
        b"\xff\xfe not text",
        b'{"step": 2, "data": {"x": ' + b"[" * 50_000 + b"]" * 50_000 + b"}}",
        json.dumps(
            {"step": 3, "data": {"critic/score/mean": float("nan"), "response_length/mean": 52.0}}
        ).encode(),
        json.dumps(
            {"step": 4, "data": {"critic/score/mean": float("inf"), "response_length/mean": 53.0}}
        ).encode(),
    ]
    log.write_bytes(b"\n".join(lines) + b"\n")
    proc = run("curves", log, "--out", tmp_path / "c")
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    assert f"{log}:2: not a verl file-logger line (not UTF-8 text)" in proc.stderr
    assert "2 unreadable lines in all" in proc.stderr
    assert "2 non-finite value(s) left out" in proc.stderr
    assert "critic/score/mean=nan at step 3 (line 4)" in proc.stderr
    assert "critic/score/mean=inf at step 4 (line 5)" in proc.stderr


# ------------------------------------------------------------------ prepare-verl --processor (SFT lengths)
# Every SFT row's token length counted as verl's SFT trainer builds it, so a row over the recipe's
# data.max_length (truncation: error, which would stop the run mid-epoch) is found first and named.

COT = "training_with_cot_6k"


def prepare(root: Path, out: Path, *extra: str | Path) -> subprocess.CompletedProcess:
    args = ["prepare-verl", "--root", root, "--split", COT, "--out", out, "--no-progress", *extra]
    return run(*args)


@pytest.fixture(scope="module")
def long_root(fixture_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture with one CoT response (line 4) made ~1,500 tokens long."""
    root = tmp_path_factory.mktemp("long_cot") / "root"
    shutil.copytree(fixture_root, root, symlinks=True)
    path = root / "annotations" / f"{COT}.jsonl"
    lines = path.read_text().splitlines()
    row = json.loads(lines[3])
    row["response"] = "<think>" + " then the next step" * 400 + "</think><answer>A</answer>"
    lines[3] = json.dumps(row)
    path.write_text("\n".join(lines) + "\n")
    return root


def test_fixture_rows_fit_the_recipe_and_the_count_is_the_trainers(
    fixture_root: Path, tiny_qwen2_vl: Path, tmp_path: Path
) -> None:
    from verl.trainer.sft_trainer import create_sft_dataset
    from verl.utils import hf_processor, hf_tokenizer

    from verl_recipe.cpu_step import compose_named_recipe
    from verl_recipe.sft_lengths import recipe_max_length

    out = tmp_path / "sft.parquet"
    proc = prepare(fixture_root, out, "--processor", tiny_qwen2_vl)
    assert proc.returncode == 0, proc.stderr[-3000:]
    (note,) = [ln for ln in proc.stdout.splitlines() if "token lengths checked" in ln]
    longest = int(note.split("longest ")[1].split(",")[0])
    assert f"limit {recipe_max_length()}" in note and recipe_max_length() == 2048
    assert 700 < longest <= 2048  # a clip (648 tokens at most), an image (81) and a CoT answer
    # The count is the trainer's: the recipe's dataset with truncation "error" takes the longest row at a
    # limit equal to the count and refuses it one token below.
    data = compose_named_recipe("seedbench_r1_sft").data
    tokenizer, processor = hf_tokenizer(str(tiny_qwen2_vl)), hf_processor(str(tiny_qwen2_vl))
    data.max_length = longest
    dataset = create_sft_dataset([str(out)], data, tokenizer, processor)
    lengths = [dataset[i]["input_ids"].shape[-1] for i in range(len(dataset))]
    assert max(lengths) == longest
    data.max_length = longest - 1
    dataset = create_sft_dataset([str(out)], data, tokenizer, processor)
    with pytest.raises(ValueError, match="is larger than"):
        dataset[lengths.index(longest)]


def test_an_over_long_row_is_named_and_nothing_written(
    long_root: Path, tiny_qwen2_vl: Path, tmp_path: Path
) -> None:
    out = tmp_path / "sft.parquet"
    line = error_line(
        prepare(long_root, out, "--processor", tiny_qwen2_vl),
        f"{COT}.jsonl:4:",
        "field 'messages'",
        "over data.max_length 2048",
    )
    sample_id = json.loads((long_root / "annotations" / f"{COT}.jsonl").read_text().splitlines()[3])[
        "sample_id"
    ]
    assert f"sample '{sample_id}'" in line
    assert not out.exists()


def test_skip_bad_rows_leaves_the_long_row_out_and_lists_it(
    long_root: Path, tiny_qwen2_vl: Path, tmp_path: Path
) -> None:
    import pyarrow.parquet as pq

    out = tmp_path / "sft.parquet"
    proc = prepare(long_root, out, "--processor", tiny_qwen2_vl, "--skip-bad-rows")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "1 x over max_length" in proc.stdout
    assert pq.read_table(out).num_rows == 5
    skipped = json.loads(out.with_name(out.name + ".skipped.json").read_text())
    (row,) = skipped["rows"]
    assert row["line"] == 4 and row["field"] == "messages" and "over data.max_length 2048" in row["reason"]


def test_a_lower_limit_and_unchecked_conversions_say_so(
    fixture_root: Path, tiny_qwen2_vl: Path, tmp_path: Path
) -> None:
    error_line(
        prepare(fixture_root, tmp_path / "a.parquet", "--processor", tiny_qwen2_vl, "--max-length", "300"),
        "over data.max_length 300",
    )
    unchecked = prepare(fixture_root, tmp_path / "b.parquet")
    assert unchecked.returncode == 0 and "token lengths not checked" in unchecked.stdout
    rl = run(
        "prepare-verl",
        "--root",
        fixture_root,
        "--split",
        "validation_L1",
        "--out",
        tmp_path / "c.parquet",
        "--processor",
        tiny_qwen2_vl,
    )
    error_line(rl, "--processor / --max-length check SFT rows")
