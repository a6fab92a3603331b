"""``seedbench-r1 prepare-verl``: the rows, their fixed schema, paths, counts and errors (no verl needed)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from seedbench_r1.cli import main
from seedbench_r1.protocol.annotations import load_split
from seedbench_r1.protocol.constants import image_spec, video_spec
from seedbench_r1.protocol.prompt import render_question

RL_SPLITS = ("validation_L1", "validation_L2", "validation_L3", "training_6k")
RL_KEYS = {"data_source", "prompt", "videos", "images", "ability", "reward_model", "extra_info"}
EXTRA_KEYS = {"index", "sample_id", "split", "level", "options", "answer", "domain", "scenario", "has_video"}


@pytest.fixture(scope="module")
def prepared(fixture_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("prepared")
    for split in (*RL_SPLITS, "training_with_cot_6k"):
        assert (
            main(
                [
                    "prepare-verl",
                    "--root",
                    str(fixture_root),
                    "--split",
                    split,
                    "--out",
                    str(out / f"{split}.parquet"),
                    "--no-progress",
                ]
            )
            == 0
        )
    return out


def _rows(path: Path) -> list[dict]:
    return pq.read_table(path).to_pylist()


@pytest.mark.parametrize("split", RL_SPLITS)
def test_rl_rows(prepared: Path, fixture_root: Path, split: str) -> None:
    rows = _rows(prepared / f"{split}.parquet")
    data = load_split(fixture_root, split)
    assert len(rows) == len(data)
    level = data.info.level or ""
    for i, (row, record) in enumerate(zip(rows, data, strict=True)):
        sample = record.to_sample(0) if split == "training_6k" else record
        assert set(row) == RL_KEYS and set(row["extra_info"]) == EXTRA_KEYS
        # same non-null keys in every row, down to the nested dicts
        assert all(v is not None for v in row["extra_info"].values())
        assert row["data_source"] == data.info.data_source
        assert row["reward_model"] == {"style": "rule", "ground_truth": sample.gold}
        extra = row["extra_info"]
        assert extra["sample_id"] == str(sample.sample_id) and isinstance(extra["sample_id"], str)
        assert extra["index"] == i and extra["split"] == split and extra["level"] == level
        assert extra["options"] == list(sample.choices) and extra["domain"] == sample.domain
        assert extra["options"][ord(sample.gold) - ord("A")] == sample.answer
        # prompt: <video> only with progress, then <image>, then the core's text, byte for byte
        expected = ("<video>" if sample.has_video else "") + "<image>" + render_question(sample)
        assert row["prompt"] == [{"role": "user", "content": expected}]
        assert row["images"] == [{"image": str(sample.image_path(fixture_root)), **image_spec()}]
        if sample.has_video:
            assert row["videos"] == [{"video": str(sample.video_path(fixture_root)), **video_spec()}]
        else:
            assert row["videos"] == []
        for entry in row["videos"] + row["images"]:
            path = Path(entry.get("video") or entry["image"])
            assert path.is_absolute() and path.is_file()
    if split == "validation_L3":
        assert {r["extra_info"]["domain"] for r in rows} <= {"Daily life", "Hobbies", "Recreation", "Work"}
    else:
        assert {r["extra_info"]["domain"] for r in rows} == {""}


def test_training_options_are_seeded_and_spread(fixture_root: Path, tmp_path: Path) -> None:
    from verl_recipe.rl_parquet import prepare_rl

    a = prepare_rl(fixture_root, "training_6k", tmp_path / "a.parquet", seed=0, progress=False)
    b = prepare_rl(fixture_root, "training_6k", tmp_path / "b.parquet", seed=0, progress=False)
    c = prepare_rl(fixture_root, "training_6k", tmp_path / "c.parquet", seed=1, progress=False)
    assert _rows(tmp_path / "a.parquet") == _rows(tmp_path / "b.parquet")
    assert _rows(tmp_path / "a.parquet") != _rows(tmp_path / "c.parquet")
    assert sum(a.gold_letters.values()) == a.written and set(a.gold_letters) <= set("ABCD")
    assert a.gold_letters == b.gold_letters and c.written == a.written
    assert "gold letters: A" in "\n".join(a.lines())


def test_schemas_are_fixed_so_levels_concatenate(prepared: Path) -> None:
    import pyarrow as pa

    schemas = [pq.read_schema(prepared / f"{s}.parquet") for s in RL_SPLITS]
    assert all(s.equals(schemas[0]) for s in schemas)
    pa.concat_tables(
        [pq.read_table(prepared / f"{s}.parquet") for s in RL_SPLITS]
    )  # what verl's loader needs


def test_sft_rows(prepared: Path, fixture_root: Path) -> None:
    rows = _rows(prepared / "training_with_cot_6k.parquet")
    cot = load_split(fixture_root, "training_with_cot_6k").records
    assert len(rows) == len(cot)
    for row, c in zip(rows, cot, strict=True):
        assert set(row) == {"messages", "videos", "images", "extra_info"}
        user, assistant = row["messages"]
        assert assistant == {"role": "assistant", "content": c.response}
        kinds = [k for k, _ in c.media]
        assert user["content"].startswith("".join(f"<{k}>" for k in kinds))
        assert len(row["videos"]) == kinds.count("video") and len(row["images"]) == kinds.count("image")
        assert [v["video"] for v in row["videos"]] == [
            str(fixture_root / p) for k, p in c.media if k == "video"
        ]


def test_media_root_rewrites_paths_for_another_machine(fixture_root: Path, tmp_path: Path) -> None:
    out = tmp_path / "l1.parquet"

    def prepare(media_root: str) -> int:
        argv = ["prepare-verl", "--root", str(fixture_root), "--split", "validation_L1", "--out", str(out)]
        return main([*argv, "--media-root", media_root, "--no-progress"])

    assert prepare("/cluster/seedbench") == 0
    rows = _rows(out)
    paths = [e["image"] for r in rows for e in r["images"]] + [e["video"] for r in rows for e in r["videos"]]
    assert paths and all(p.startswith("/cluster/seedbench/") for p in paths)
    assert prepare("relative/dir") == 1


def _break_row(root: Path, split: str, line: int, **changes: object) -> None:
    path = root / "annotations" / f"{split}.jsonl"
    lines = path.read_text(encoding="utf-8").splitlines()
    row = json.loads(lines[line - 1])
    row.update(changes)
    lines[line - 1] = json.dumps(row)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_bad_row_is_a_clear_error_or_a_counted_skip(
    broken_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _break_row(broken_root, "validation_L1", 2, golden_choice_idx="E")
    _break_row(broken_root, "validation_L1", 3, question="Look at <image> twice")
    out = tmp_path / "l1.parquet"
    args = [
        "prepare-verl",
        "--root",
        str(broken_root),
        "--split",
        "validation_L1",
        "--out",
        str(out),
        "--no-progress",
    ]
    assert main(args) == 1
    err = capsys.readouterr().err
    assert "validation_L1.jsonl:2" in err and "golden_choice_idx" in err
    assert not out.exists() and not list(tmp_path.glob(".*tmp"))  # nothing half-written

    assert main([*args, "--skip-bad-rows"]) == 0
    printed = capsys.readouterr().out
    total = len((broken_root / "annotations" / "validation_L1.jsonl").read_text().splitlines())
    assert len(_rows(out)) == total - 2
    assert "skipped 2 rows" in printed and "golden_choice_idx" in printed and "question" in printed


def test_check_media_reports_missing_files(broken_root: Path, tmp_path: Path) -> None:
    from verl_recipe.rl_parquet import prepare_rl

    sample = load_split(broken_root, "validation_L1").records[0]
    sample.image_path(broken_root).unlink()
    out = tmp_path / "l1.parquet"
    report = prepare_rl(broken_root, "validation_L1", out, check_media=True, on_error="skip", progress=False)
    assert sum(report.skipped.values()) >= 1 and any("missing" in r for r in report.skipped)
    with pytest.raises(Exception, match="media file missing"):
        prepare_rl(broken_root, "validation_L1", out, check_media=True, progress=False)
    # without the check no file is touched, as the rows only name paths
    assert prepare_rl(broken_root, "validation_L1", out, progress=False).written == report.written + 1


def test_recipe_path_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["recipe-path"]) == 0
    folder = Path(capsys.readouterr().out.strip())
    assert (folder / "seedbench_r1_grpo.yaml").is_file() and (folder / "seedbench_r1_sft.yaml").is_file()


def test_gold_letter_counts_printed(
    prepared: Path, fixture_root: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert (
        main(
            [
                "prepare-verl",
                "--root",
                str(fixture_root),
                "--split",
                "training_6k",
                "--out",
                str(tmp_path / "t.parquet"),
                "--no-progress",
            ]
        )
        == 0
    )
    printed = capsys.readouterr().out
    counts = Counter(r["reward_model"]["ground_truth"] for r in _rows(tmp_path / "t.parquet"))
    assert f"gold letters: A {counts['A']}, B {counts['B']}, C {counts['C']}, D {counts['D']}" in printed


def test_media_root_with_a_frame_cache_outside_the_root(
    fixture_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A cache outside the root is not under --media-root: refused in one line naming --frame-cache-root,
    and remapped by it."""
    from seedbench_r1.data.extract_frames import extract_frames

    cache = tmp_path / "cache"
    extract_frames(fixture_root, ["validation_L1"], cache, workers=1, progress=False)
    out = tmp_path / "l1.parquet"
    argv = ["prepare-verl", "--root", str(fixture_root), "--split", "validation_L1", "--out", str(out)]
    argv += ["--media-root", "/cluster/seedbench", "--frame-cache", str(cache), "--no-progress"]
    capsys.readouterr()
    assert main(argv) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert "is outside --root" in err[0] and "--frame-cache-root" in err[0], (
        err
    )  # one line, then the debug hint
    assert not out.exists()
    assert main([*argv, "--frame-cache-root", "/cluster/frames"]) == 0
    rows = _rows(out)
    frames = [p for r in rows for e in r["videos"] for p in e["video"]] + [
        e["image"] for r in rows for e in r["images"]
    ]
    assert frames and all(p.startswith("/cluster/frames/") for p in frames), frames[:3]
    assert main([*argv[:-1], "--frame-cache-root", "relative", "--overwrite", "--no-progress"]) == 1
