"""The question text is byte-identical to the paper's template (docs/protocol.md)."""

import json
from pathlib import Path

import pytest

from seedbench_r1 import load_split, render_question
from seedbench_r1.protocol.schema import parse_validation_row

DATA = Path(__file__).parents[1] / "real_rows"

# Written by hand from the template: problem + " Output ... </answer>. " (note "\n " and the trailing space).
GOLDEN_L1 = (
    "Considering the progress shown in the video and my current observation shown in the image, what action "
    "should I take next in order to store cereal?\n"
    "A. put cereal box into cupboard\n"
    "B. take cereal bag\n"
    "C. open cupboard\n"
    "D. put cereal bag into cereal box\n"
    " Output the thinking process in <think> </think> and final answer in <answer> </answer> tags, i.e., "
    "<think> reasoning process here </think><answer> answer here </answer>. "
)


def _row(name: str) -> dict:
    return json.loads((DATA / name).read_text().splitlines()[0])


def test_raw_row_renders_golden_text():
    assert render_question(_row("real_rows_validation_L1.jsonl")) == GOLDEN_L1


def test_typed_record_renders_same_text():
    sample = parse_validation_row(_row("real_rows_validation_L1.jsonl"), "x.jsonl", 1, "validation_L1", "L1")
    assert render_question(sample) == GOLDEN_L1
    assert render_question(sample).endswith("</answer>. ")


def test_l3_row_text():
    text = render_question(_row("real_rows_validation_L3.jsonl"))
    assert text.startswith("Considering the progress")
    assert "\nA. attach stopwatch\nB. place oven tray\nC. operate oven\nD. set stopwatch\n Output the" in text


def test_training_row_without_options_is_refused():
    with pytest.raises(ValueError, match="sample 39.*choice_a"):
        render_question(_row("real_rows_training.jsonl"))


def test_loaded_split_renders_golden_text(tmp_path):
    (tmp_path / "annotations").mkdir()
    (tmp_path / "annotations" / "validation_L1.jsonl").write_text(
        (DATA / "real_rows_validation_L1.jsonl").read_text()
    )
    (sample,) = load_split(tmp_path, "validation_L1")
    assert render_question(sample) == GOLDEN_L1
