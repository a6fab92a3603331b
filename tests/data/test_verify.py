"""verify: passes on the clean fixture, reports each planted fault (and exits non-zero)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from seedbench_r1.cli import main
from seedbench_r1.data.verify import verify_root

FIXTURE_SIZES = ["validation_L1=8", "validation_L2=6", "validation_L3=12"]


def _rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _write_rows(path: Path, rows: list[dict]) -> None:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


def test_clean_fixture_passes_without_release_sizes(
    fixture_root: Path, capsys: pytest.CaptureFixture
) -> None:
    assert (
        main(["verify", "--root", str(fixture_root), "--no-expect-sizes", "--decode", "--workers", "1"]) == 0
    )
    out = capsys.readouterr().out
    assert "OK" in out.splitlines()[-1]
    # the release-size differences are still shown, as notes
    assert "note: 8 rows, the full release has 2432" in out


def test_clean_fixture_with_its_own_sizes_passes(fixture_root: Path) -> None:
    assert (
        main(
            [
                "verify",
                "--root",
                str(fixture_root),
                "--no-expect-sizes",
                *sum((["--expect-size", s] for s in FIXTURE_SIZES), []),
            ]
        )
        == 0
    )


def test_release_sizes_are_asserted_by_default(fixture_root: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["verify", "--root", str(fixture_root)]) == 1
    out = capsys.readouterr().out
    assert "validation_L1: 8 rows, expected 2432" in out
    assert "L3 domain counts differ: Daily life 3 (expected 439)" in out


def test_planted_faults_are_each_reported(broken_root: Path, capsys: pytest.CaptureFixture) -> None:
    ann = broken_root / "annotations"
    l1 = _rows(ann / "validation_L1.jsonl")
    clip_row = next(r for r in l1 if r["task_progress_metadata"])
    # missing clip: a clip only this row uses
    (broken_root / "videos" / "EpicKitchens" / "ek_only.mp4").write_bytes(
        (broken_root / "videos" / clip_row["video_source"] / clip_row["video_basename"]).read_bytes()
    )
    clip_row["video_basename"] = "ek_only.mp4"
    (broken_root / "videos" / "EpicKitchens" / "ek_only.mp4").unlink()
    # bad row: gold letter out of range
    l1[1]["golden_choice_idx"] = "E"
    _write_rows(ann / "validation_L1.jsonl", l1)
    # missing image (L2)
    l2 = _rows(ann / "validation_L2.jsonl")
    (broken_root / "images" / l2[0]["video_source"] / l2[0]["current_observation_basename"]).unlink()
    # wrong count: a row dropped from L3
    l3 = _rows(ann / "validation_L3.jsonl")
    _write_rows(ann / "validation_L3.jsonl", l3[:-1])

    argv = ["verify", "--root", str(broken_root), "--no-expect-sizes"]
    argv += sum((["--expect-size", s] for s in FIXTURE_SIZES), [])
    assert main(argv) == 1
    out = capsys.readouterr().out
    assert "validation_L1: missing clip: videos/EpicKitchens/ek_only.mp4" in out
    assert f"validation_L2: missing image: images/Ego4D/{l2[0]['current_observation_basename']}" in out
    assert "validation_L1: bad row:" in out and "golden_choice_idx" in out
    assert "validation_L3: 11 rows, expected 12" in out
    assert out.strip().endswith("FAILED")

    report = verify_root(broken_root, expect_sizes=False, overrides={"validation_L3": 12})
    by = {s.split: s for s in report.splits}
    assert (len(by["validation_L1"].missing_videos), len(by["validation_L1"].bad_rows)) == (1, 1)
    assert len(by["validation_L2"].missing_images) == 1
    assert by["validation_L2"].missing_videos == []
    assert not report.ok


def test_undecodable_clip_fails_only_with_decode(broken_root: Path) -> None:
    # a truncated clip still "exists": only --decode can tell
    l1 = _rows(broken_root / "annotations" / "validation_L1.jsonl")
    row = next(r for r in l1 if r["task_progress_metadata"])
    clip = broken_root / "videos" / row["video_source"] / row["video_basename"]
    clip.write_bytes(clip.read_bytes()[:200])
    assert verify_root(broken_root, ["validation_L1"], expect_sizes=False).ok
    report = verify_root(broken_root, ["validation_L1"], expect_sizes=False, decode=True)
    assert not report.ok
    assert any(row["video_basename"] in u for u in report.splits[0].undecodable)


def test_missing_annotation_and_bad_override(tmp_path: Path, fixture_root: Path) -> None:
    assert not verify_root(tmp_path / "nowhere").ok
    report = verify_root(fixture_root, ["validation_L1", "no_such_split"], expect_sizes=False)
    assert any("no_such_split" in p for s in report.splits for p in s.problems)
    assert main(["verify", "--root", str(fixture_root), "--expect-size", "L1:8"]) == 2
