"""Loading and validating every kind of annotation row; bad rows name file, line, sample id and field."""

import json
from pathlib import Path

import pytest

from seedbench_r1 import AnnotationError, CotSample, Sample, TrainingSample, load_split
from seedbench_r1.protocol.annotations import split_info

DATA = Path(__file__).parents[1] / "real_rows"
L1_ROW = json.loads((DATA / "real_rows_validation_L1.jsonl").read_text())
L3_ROW = json.loads((DATA / "real_rows_validation_L3.jsonl").read_text())
TRAIN_ROW = json.loads((DATA / "real_rows_training.jsonl").read_text())
COT_ROW = {
    "sample_id": 7,
    "prompt": [
        {
            "role": "user",
            "content": [
                {"type": "video", "video": "videos/EpicKitchens/39.mp4"},
                {"type": "image", "image": "images/EpicKitchens/39.png"},
                {"type": "text", "text": "question text"},
            ],
        }
    ],
    "response": "<think>the onion is on the board</think><answer>B</answer>",
}


def write(root: Path, name: str, rows: list) -> Path:
    ann = root / "annotations"
    ann.mkdir(parents=True, exist_ok=True)
    path = ann / name
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows))
    return path


def test_every_row_kind_loads(tmp_path):
    l2 = dict(L1_ROW, sample_id=5, video_source="Ego4D")
    write(tmp_path, "validation_L1.jsonl", [L1_ROW])
    write(tmp_path, "validation_L2.jsonl", [l2])
    write(tmp_path, "validation_L3.jsonl", [L3_ROW])
    write(tmp_path, "training_6k.jsonl", [TRAIN_ROW])
    write(tmp_path, "training_with_cot_6k.jsonl", [COT_ROW])

    (s1,) = load_split(tmp_path, "validation_L1")
    assert isinstance(s1, Sample) and s1.sample_id == 115 and s1.gold == "A" and s1.domain == ""
    assert s1.choices[0] == "put cereal box into cupboard" and s1.has_video and len(s1.task_progress) == 5
    assert s1.video_path(tmp_path) == tmp_path / "videos/EpicKitchens/115.mp4"
    assert s1.image_path(tmp_path) == tmp_path / "images/EpicKitchens/115.png"

    (s2,) = load_split(tmp_path, "validation_L2")
    assert s2.sample_id == 5 and s2.video_source == "Ego4D"

    (s3,) = load_split(tmp_path, "validation_L3")
    assert s3.sample_id == "ca6e9ec9-46ac-4a02-8034-7c31157dc52c_2"
    assert (s3.domain, s3.scenario) == ("Hobbies", "baking")

    (t,) = load_split(tmp_path, "training_6k")
    assert isinstance(t, TrainingSample) and t.answer == "grab onion" and len(t.negative_answers) == 6

    (c,) = load_split(tmp_path, "training_with_cot_6k")
    assert isinstance(c, CotSample) and c.media == (
        ("video", "videos/EpicKitchens/39.mp4"),
        ("image", "images/EpicKitchens/39.png"),
    )

    # an unregistered file name (the full training set) is sniffed as training rows
    write(tmp_path, "training_50k_whatever.jsonl", [TRAIN_ROW])
    data = load_split(tmp_path, "training_50k_whatever.jsonl")
    assert data.info.kind == "training" and isinstance(data[0], TrainingSample)


def test_domain_compared_case_insensitively(tmp_path):
    write(tmp_path, "validation_L3.jsonl", [dict(L3_ROW, domain="daily LIFE")])
    assert load_split(tmp_path, "validation_L3")[0].domain == "Daily life"


def test_empty_progress_means_no_video(tmp_path):
    row = dict(L1_ROW, task_progress_metadata=[])
    row.pop("video_basename")
    write(tmp_path, "validation_L1.jsonl", [row])
    (s,) = load_split(tmp_path, "validation_L1")
    assert not s.has_video and s.video_path(tmp_path) is None


BAD_VALIDATION = [
    ("missing field", lambda r: r.pop("question"), "question", "missing"),
    ("wrong id type L1", lambda r: r.update(sample_id="115"), "sample_id", "expected int"),
    ("bool id", lambda r: r.update(sample_id=True), "sample_id", "bool"),
    ("bad letter", lambda r: r.update(golden_choice_idx="E"), "golden_choice_idx", "letter A-D"),
    ("index not letter", lambda r: r.update(golden_choice_idx=0), "golden_choice_idx", "expected str"),
    ("empty option", lambda r: r.update(choice_c="  "), "choice_c", "empty"),
    ("duplicate options", lambda r: r.update(choice_b=r["choice_a"]), "choice_a..choice_d", "distinct"),
    ("answer disagrees", lambda r: r.update(answer="take cereal bag"), "answer", "gold option A"),
    ("bad source", lambda r: r.update(video_source="YouTube"), "video_source", "EpicKitchens"),
    (
        "progress step",
        lambda r: r["task_progress_metadata"][1].pop("stop_frame"),
        "task_progress_metadata[1].stop_frame",
        "missing",
    ),
    ("escaping video", lambda r: r.update(video_basename="../../../etc/passwd"), "video_basename", "escapes"),
    (
        "escaping image",
        lambda r: r.update(current_observation_basename="../x/../../y.png"),
        "current_observation_basename",
        "escapes",
    ),
]


@pytest.mark.parametrize("name, mutate, field, reason", BAD_VALIDATION, ids=[b[0] for b in BAD_VALIDATION])
def test_bad_validation_row_names_file_line_field(tmp_path, name, mutate, field, reason):
    bad = json.loads(json.dumps(L1_ROW))
    bad["sample_id"] = 116
    mutate(bad)
    path = write(tmp_path, "validation_L1.jsonl", [L1_ROW, bad])
    with pytest.raises(AnnotationError) as info:
        load_split(tmp_path, "validation_L1")
    err = info.value
    assert (err.path, err.line, err.field) == (str(path), 2, field)
    assert reason in str(err) and f"{path}:2" in str(err) and f"field {field!r}" in str(err)


def test_l3_requires_string_id_and_known_domain(tmp_path):
    write(tmp_path, "validation_L3.jsonl", [dict(L3_ROW, sample_id=3)])
    with pytest.raises(AnnotationError, match="field 'sample_id': expected str"):
        load_split(tmp_path, "validation_L3")
    write(tmp_path, "validation_L3.jsonl", [dict(L3_ROW, domain="Sports")])
    with pytest.raises(AnnotationError, match="field 'domain': 'Sports' is not one of"):
        load_split(tmp_path, "validation_L3")


def test_malformed_json_line(tmp_path):
    path = write(tmp_path, "validation_L1.jsonl", [L1_ROW, '{"sample_id": 3, "question": '])
    with pytest.raises(AnnotationError, match=rf"{path}:2: malformed JSON"):
        load_split(tmp_path, "validation_L1")


def test_non_object_row(tmp_path):
    write(tmp_path, "validation_L1.jsonl", ["[1, 2]"])
    with pytest.raises(AnnotationError, match="must be a JSON object"):
        load_split(tmp_path, "validation_L1")


def test_duplicate_sample_id(tmp_path):
    write(tmp_path, "validation_L1.jsonl", [L1_ROW, L1_ROW])
    with pytest.raises(AnnotationError, match="sample 115: field 'sample_id': duplicate of line 1"):
        load_split(tmp_path, "validation_L1")


def test_bad_training_rows(tmp_path):
    few = dict(TRAIN_ROW, negative_answers=["open drawer", "Open  drawer", "grab onion", "grab knife"])
    write(tmp_path, "training_6k.jsonl", [few])
    with pytest.raises(AnnotationError, match="field 'negative_answers': needs at least 3 distinct"):
        load_split(tmp_path, "training_6k")
    write(tmp_path, "training_6k.jsonl", [dict(TRAIN_ROW, negative_answers=["a", "b", 3])])
    with pytest.raises(AnnotationError, match=r"field 'negative_answers\[2\]': expected str"):
        load_split(tmp_path, "training_6k")
    write(tmp_path, "training_6k.jsonl", [{k: v for k, v in TRAIN_ROW.items() if k != "answer"}])
    with pytest.raises(AnnotationError, match="field 'answer': missing"):
        load_split(tmp_path, "training_6k")


def test_bad_cot_rows(tmp_path):
    bad_media = json.loads(json.dumps(COT_ROW))
    bad_media["prompt"][0]["content"][0]["video"] = "../outside.mp4"
    write(tmp_path, "training_with_cot_6k.jsonl", [bad_media])
    with pytest.raises(AnnotationError, match=r"prompt\[0\].content\[0\].video.*escapes"):
        load_split(tmp_path, "training_with_cot_6k")
    bad_type = json.loads(json.dumps(COT_ROW))
    bad_type["prompt"][0]["content"][2]["type"] = "audio"
    write(tmp_path, "training_with_cot_6k.jsonl", [bad_type])
    with pytest.raises(AnnotationError, match=r"content\[2\].type"):
        load_split(tmp_path, "training_with_cot_6k")
    write(tmp_path, "training_with_cot_6k.jsonl", [dict(COT_ROW, response="")])
    with pytest.raises(AnnotationError, match="field 'response': empty"):
        load_split(tmp_path, "training_with_cot_6k")


def test_skip_mode_counts_and_keeps_errors(tmp_path):
    bad = dict(L1_ROW, sample_id=200, golden_choice_idx="Z")
    write(tmp_path, "validation_L1.jsonl", [L1_ROW, bad, "not json", dict(L1_ROW, sample_id=201)])
    data = load_split(tmp_path, "validation_L1", on_error="skip")
    assert [s.sample_id for s in data] == [115, 201]
    assert [(e.line, e.field) for e in data.errors] == [(2, "golden_choice_idx"), (3, None)]
    assert "2 rows" in data.summary() and "2 bad rows skipped" in data.summary()


def test_missing_file_names_path(tmp_path):
    with pytest.raises(FileNotFoundError, match="validation_L2.jsonl"):
        load_split(tmp_path, "validation_L2")


def test_split_registry():
    assert split_info("validation_L3").data_source == "seedbench_r1_l3"
    assert split_info("validation_L1.jsonl").name == "validation_L1"
    assert split_info("validation_L1").expected_rows == 2432
