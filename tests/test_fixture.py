"""The miniature SEED-Bench-R1: real layout, decodable media of the intended shapes, realistic rows."""

from __future__ import annotations

import hashlib
import json
import re
from fractions import Fraction
from pathlib import Path

import av
import decord
import numpy as np
import pytest
from PIL import Image

from seedbench_r1 import load_split
from seedbench_r1.fixtures.seedbench import (
    CLIPS,
    ONE_FRAME_CLIP,
    QUESTION_TEMPLATE,
    band_colour,
    frame_index,
    make_fixture,
)
from seedbench_r1.protocol.frames import decode_clip, frame_count
from seedbench_r1.protocol.prompt import INSTRUCTION, render_question

FILES = (
    "validation_L1.jsonl",
    "validation_L2.jsonl",
    "validation_L3.jsonl",
    "training_6k.jsonl",
    "training_with_cot_6k.jsonl",
)
VALIDATION_FIELDS = (
    "sample_id",
    "video_source",
    "video_basename",
    "current_observation_basename",
    "video_id",
    "task_goal",
    "question",
    "choice_a",
    "choice_b",
    "choice_c",
    "choice_d",
    "golden_choice_idx",
    "answer",
    "task_progress_metadata",
)
UID_K = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}_\d+$")


def rows(root: Path, name: str) -> list[dict]:
    return [
        json.loads(line) for line in (root / "annotations" / name).read_text(encoding="utf-8").splitlines()
    ]


def test_layout_and_row_counts(fixture_root: Path) -> None:
    counts = {name: len(rows(fixture_root, name)) for name in FILES}
    assert counts == {
        "validation_L1.jsonl": 8,
        "validation_L2.jsonl": 6,
        "validation_L3.jsonl": 12,
        "training_6k.jsonl": 16,
        "training_with_cot_6k.jsonl": 6,
    }
    for clip in CLIPS:
        assert (fixture_root / clip.relpath).is_file(), clip.relpath
    # Atomic writes leave no temporary files behind.
    assert not [p for p in fixture_root.rglob(".*") if p.is_file()]


def test_every_split_loads_with_the_core_loader(fixture_root: Path) -> None:
    for name in FILES:
        data = load_split(fixture_root, name.removesuffix(".jsonl"))
        assert len(data.records) == len(rows(fixture_root, name)) and not data.errors


@pytest.mark.parametrize("clip", CLIPS, ids=lambda c: c.name)
def test_clips_decode_with_intended_frames_fps_and_shape(fixture_root: Path, clip) -> None:
    path = str(fixture_root / clip.relpath)
    reader = decord.VideoReader(path)
    assert len(reader) == clip.frames
    assert reader.get_avg_fps() == pytest.approx(float(clip.fps), rel=1e-6)
    assert reader[0].shape == (clip.height, clip.width, 3)
    with av.open(path) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264" and stream.codec_context.pix_fmt == "yuv420p"
        assert Fraction(stream.average_rate) == clip.fps
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(stream)]
    assert len(frames) == clip.frames
    # Every decoded frame carries its own index: a dropped, duplicated or reordered frame breaks this.
    for i, frame in enumerate(frames):
        band = frame[2 : clip.height // 8 - 2, 4:-4].reshape(-1, 3).mean(axis=0)
        assert np.abs(band - np.array(band_colour(i))).max() < 10, (clip.name, i)
        assert frame_index(frame, clip.frames) == i
    if len(frames) > 1:
        assert not np.array_equal(frames[0], frames[1])


def test_clip_lengths_cover_the_frame_rule(fixture_root: Path) -> None:
    used = {(r["video_source"], r["video_basename"]) for name in FILES[:4] for r in rows(fixture_root, name)}
    by_path = {c.relpath: c for c in CLIPS}
    used_clips = [by_path[f"videos/{src}/{base}"] for src, base in used]
    counts = {frame_count(c.frames, float(c.fps)) for c in used_clips}
    assert counts >= {2, 4, 8, 16}  # 3-frame clip, short clips, mid clips, > 8 s clips
    assert any(c.seconds < 2 for c in used_clips) and any(c.seconds > 8 for c in used_clips)
    assert {float(c.fps) for c in used_clips} == {25.0, 30.0, 30000 / 1001}
    assert {(c.width, c.height) for c in used_clips} >= {(456, 256), (640, 360), (480, 270)}
    # The 1-frame clip exists for error tests but no row points at it.
    assert ONE_FRAME_CLIP not in {f"videos/{src}/{base}" for src, base in used}
    assert len(decord.VideoReader(str(fixture_root / ONE_FRAME_CLIP))) == 1


def test_observation_images_are_distinct_rgb_pngs(fixture_root: Path) -> None:
    referenced = set()
    for name in FILES[:4]:
        referenced |= {
            f"images/{r['video_source']}/{r['current_observation_basename']}"
            for r in rows(fixture_root, name)
        }
    for row in rows(fixture_root, FILES[4]):
        referenced |= {item["image"] for item in row["prompt"][0]["content"] if item["type"] == "image"}
    on_disk = {p.relative_to(fixture_root).as_posix() for p in (fixture_root / "images").rglob("*.png")}
    assert referenced == on_disk
    digests = set()
    for rel in sorted(on_disk):
        with Image.open(fixture_root / rel) as img:
            assert img.format == "PNG" and img.mode == "RGB"
            assert 256 <= img.width <= 640 and 256 <= img.height <= 360
            digests.add(hashlib.sha256(img.tobytes()).hexdigest())
    assert len(digests) == len(on_disk)


@pytest.mark.parametrize("name", FILES[:3])
def test_validation_rows_carry_every_field(fixture_root: Path, name: str) -> None:
    data = rows(fixture_root, name)
    for row in data:
        assert set(VALIDATION_FIELDS) <= row.keys(), row["sample_id"]
        gold = row["golden_choice_idx"]
        assert gold in "ABCD" and row["answer"] == row[f"choice_{gold.lower()}"]
        assert row["question"] == QUESTION_TEMPLATE.format(goal=row["task_goal"])
        assert len({row[f"choice_{x}"] for x in "abcd"}) == 4
        for seg in row["task_progress_metadata"]:
            assert set(seg) == {"narration_text", "start_frame", "stop_frame"}
            assert seg["start_frame"] <= seg["stop_frame"]
        assert (fixture_root / "videos" / row["video_source"] / row["video_basename"]).is_file()
    level = name[len("validation_") : -len(".jsonl")]
    ids = [r["sample_id"] for r in data]
    assert len(set(ids)) == len(ids)
    if level == "L3":
        assert all(isinstance(i, str) and UID_K.match(i) for i in ids)
        domains = [r["domain"] for r in data]
        assert {d: domains.count(d) for d in set(domains)} == {
            "Daily life": 3,
            "Hobbies": 3,
            "Recreation": 3,
            "Work": 3,
        }
        assert all(r["scenario"] and "task_start_frame" in r for r in data)
    else:
        assert all(type(i) is int for i in ids)
        assert {r["video_source"] for r in data} == {"EpicKitchens" if level == "L1" else "Ego4D"}
    if level in ("L1", "L3"):
        assert {r["golden_choice_idx"] for r in data} == set("ABCD")
        assert any(not r["task_progress_metadata"] for r in data)
    assert any("current_observation_frame" in r for r in data)


def test_training_rows_have_messy_negatives_and_no_options(fixture_root: Path) -> None:
    data = rows(fixture_root, "training_6k.jsonl")
    for row in data:
        assert not any(k.startswith("choice_") for k in row) and "golden_choice_idx" not in row
        assert row["answer"] and len(row["negative_answers"]) >= 3
    assert any(len(set(r["negative_answers"])) < len(r["negative_answers"]) for r in data)
    assert any(r["answer"] in r["negative_answers"] for r in data)
    assert any(not r["task_progress_metadata"] for r in data)
    assert {r["video_source"] for r in data} == {"EpicKitchens", "Ego4D"}


def test_cot_rows_carry_the_protocol_prompt(fixture_root: Path) -> None:
    data = rows(fixture_root, "training_with_cot_6k.jsonl")
    without_video = 0
    for row in data:
        assert isinstance(row["sample_id"], int)
        (message,) = row["prompt"]
        assert message["role"] == "user"
        kinds = [item["type"] for item in message["content"]]
        assert kinds in (["video", "image", "text"], ["image", "text"])
        without_video += kinds[0] == "image"
        for item in message["content"][:-1]:
            assert (fixture_root / item[item["type"]]).is_file()
        text = message["content"][-1]["text"]
        # Rebuild the row the text came from and render it with the core: byte-identical.
        lines = text.removesuffix(INSTRUCTION).split("\n")
        question, options = lines[0], lines[1:5]
        row_dict = {"question": question, **{f"choice_{o[0].lower()}": o[3:] for o in options}}
        assert text == render_question(row_dict)
        match = re.fullmatch(r"<think>.+</think><answer>([A-D])</answer>", row["response"], flags=re.S)
        assert match, row["response"]
        assert f"is to {row_dict['choice_' + match.group(1).lower()]}," in row["response"]
    assert without_video >= 1


def test_seed_determinism_and_cli(fixture_root: Path, tmp_path: Path) -> None:
    from seedbench_r1.cli import main

    assert main(["make-fixture", "--root", str(tmp_path / "same"), "--seed", "0"]) == 0
    for path in fixture_root.rglob("*"):
        if path.is_file():
            twin = tmp_path / "same" / path.relative_to(fixture_root)
            assert twin.read_bytes() == path.read_bytes(), path
    summary = make_fixture(tmp_path / "other", seed=1)
    assert summary["rows"]["validation_L3.jsonl"] == 12 and summary["images"] > 0
    changed = [
        n
        for n in FILES
        if (tmp_path / "other/annotations" / n).read_bytes()
        != (fixture_root / "annotations" / n).read_bytes()
    ]
    assert changed == list(FILES)


@pytest.mark.parametrize("clip", [c for c in CLIPS if c.frames >= 2], ids=lambda c: c.name)
def test_core_decoder_delivers_the_protocol_frames(fixture_root: Path, clip) -> None:
    """End to end through pixels: the frames the core decodes and resizes to 252 x 252 are the indexed ones."""
    decoded = decode_clip(fixture_root / clip.relpath)
    frames = decoded.as_numpy()
    assert frames.shape[1:] == (252, 252, 3)
    assert tuple(frame_index(f, clip.frames) for f in frames) == decoded.indices
