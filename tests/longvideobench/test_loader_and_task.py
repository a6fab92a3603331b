"""LongVideoBench under the SEED-Bench-R1 protocol (the paper's Table 3): the core's N-option prompt and parser,
the loader, and the ``longvideobench_r1`` lmms-eval task run by lmms-eval's own evaluator on the fixture.

Expected values are computed here from the fixture's ``lvb_val.json`` (raw JSON), not through the code under
test. SEED-Bench-R1's own prompt and score goldens live in test_prompt.py / test_answer_parser.py /
test_reward_verl.py and are unchanged by the five-option support.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import types
from pathlib import Path

import pytest
import yaml

from seedbench_r1.longvideobench.loader import load_lvb
from seedbench_r1.protocol.answer import parse_answer, score_response
from seedbench_r1.protocol.errors import AnnotationError
from seedbench_r1.protocol.prompt import INSTRUCTION, render_question, render_text

FIVE = ("a cup", "a key", "a pen", "a hat", "a box")
GROUPS = {15: "duration_15_acc", 60: "duration_60_acc", 600: "duration_600_acc", 3600: "duration_3600_acc"}
LEVELS = {"L1-Perception": "level_perception_acc", "L2-Relation": "level_relation_acc"}


def raw_rows(root: Path) -> list[dict]:
    return json.loads((root / "lvb_val.json").read_text())


# ------------------------------------------------------------------------------------------------ core


def test_five_candidates_render_as_the_official_text() -> None:
    expected = "Which?\nA. a cup\nB. a key\nC. a pen\nD. a hat\nE. a box\n" + INSTRUCTION
    assert render_text("Which?", FIVE) == expected
    assert render_text("Which?", FIVE[:4]) == "Which?\nA. a cup\nB. a key\nC. a pen\nD. a hat\n" + INSTRUCTION
    with pytest.raises(ValueError, match="SEED-Bench-R1 question has 4 options"):
        render_question(types.SimpleNamespace(question="q", choices=FIVE))


def test_e_is_a_choice_only_with_five_options() -> None:
    e = "<think>x</think><answer>E</answer>"
    assert parse_answer(e, FIVE) == "E"
    assert parse_answer(e) is None and parse_answer(e, FIVE[:4]) is None  # SEED-Bench-R1: E is no choice
    assert parse_answer("<answer>(E) a box</answer>", FIVE) == "E"
    assert parse_answer("<answer>a box</answer>", FIVE) == "E"  # the exact text of the fifth option
    assert parse_answer("<answer>B. or E</answer>", FIVE) is None  # a hedge naming E
    assert parse_answer("<answer>B. E is wrong</answer>") == "B"  # four options: E is text, as before
    assert parse_answer("<answer>B. E is wrong</answer>", FIVE) is None
    assert score_response(e, "E", FIVE)["acc"] == 1
    assert score_response("<think>x</think><answer>E. a box</answer>", "E", FIVE, mode="paper")["acc"] == 1


def test_the_reward_scores_five_option_rows() -> None:
    from reward_fns.seedbench_r1 import compute_score

    got = compute_score(
        "longvideobench_r1", "<think>x</think><answer>E</answer>", "E", {"options": list(FIVE)}
    )
    assert got["acc"] == 1 and got["pred"] == "E"
    got = compute_score(
        "seedbench_r1_l1", "<think>x</think><answer>E</answer>", "D", {"options": list(FIVE[:4])}
    )
    assert got["acc"] == 0 and got["no_answer"] == 1


# ---------------------------------------------------------------------------------------------- loader


def test_fixture_covers_the_cases(lvb_root: Path) -> None:
    questions = load_lvb(lvb_root)
    rows = raw_rows(lvb_root)
    assert len(questions) == len(rows) == 12
    assert {q.duration_group for q in questions} == set(GROUPS)
    assert {q.level for q in questions} == set(LEVELS)
    assert {len(q.candidates) for q in questions} == {4, 5}
    assert {q.gold for q in questions} == set("ABCDE")
    for q, row in zip(questions, rows, strict=True):
        assert (
            q.gold == "ABCDE"[row["correct_choice"]]
            and q.video_path(lvb_root) == lvb_root / "videos" / row["video_path"]
        )
    from seedbench_r1.protocol.frames import frame_count, probe_clip

    counts = {frame_count(*probe_clip(q.video_path(lvb_root))) for q in questions}
    assert counts == {16, 12, 4}  # capped, in between, raised to the minimum


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"candidates": ["only one"]}, "candidates"),
        ({"candidates": ["a", "b", "c", "d", "e", "f"]}, "candidates"),
        ({"correct_choice": 5}, "correct_choice"),  # row 3 has five candidates
        ({"correct_choice": True}, "correct_choice"),
        ({"duration_group": 30}, "duration_group"),
        ({"level": "L3-Reasoning"}, "level"),
        ({"video_path": "../secret.mp4"}, "video_path"),
        ({"video_path": "/etc/passwd"}, "video_path"),
        ({"question": ""}, "question"),
        ({"duration": -1}, "duration"),
    ],
)
def test_a_bad_entry_names_file_question_and_field(
    lvb_root: Path, tmp_path: Path, change: dict, field: str
) -> None:
    rows = raw_rows(lvb_root)
    rows[3] = {**rows[3], **change}
    (tmp_path / "lvb_val.json").write_text(json.dumps(rows))
    with pytest.raises(AnnotationError) as err:
        load_lvb(tmp_path)
    assert err.value.field == field and err.value.sample_id == rows[3]["id"]
    assert str(tmp_path / "lvb_val.json") in str(err.value)


def test_unreadable_and_duplicate_files_fail_plainly(lvb_root: Path, tmp_path: Path) -> None:
    with pytest.raises(AnnotationError, match="no such file"):
        load_lvb(tmp_path)
    (tmp_path / "lvb_val.json").write_text("{not json")
    with pytest.raises(AnnotationError, match="not readable JSON"):
        load_lvb(tmp_path)
    rows = raw_rows(lvb_root)
    (tmp_path / "lvb_val.json").write_text(json.dumps([*rows, rows[0]]))
    with pytest.raises(AnnotationError, match="appears 2 times"):
        load_lvb(tmp_path)


# ------------------------------------------------------------------------------------------- lmms-eval

ANSWERS = ("E", "B")  # the letters tests/conftest.py's lvb_dummy_runs answer


@pytest.fixture(scope="module")
def dummy_runs(lvb_dummy_runs: dict[str, Path]) -> dict[str, Path]:
    return lvb_dummy_runs


def expected_metrics(rows: list[dict], letter: str) -> dict[str, float]:
    """Every metric of a model that always answers ``letter`` (no answer where the row has fewer options)."""
    gold = ["ABCDE"[r["correct_choice"]] for r in rows]
    valid = [letter in "ABCDE"[: len(r["candidates"])] for r in rows]
    hit = [g == letter for g in gold]
    out = {
        "lvb_r1_acc": sum(hit) / len(rows),
        "format_rate": 1.0,
        "no_answer_rate": sum(not v for v in valid) / len(rows),
    }
    for group, metric in GROUPS.items():
        sel = [h for h, r in zip(hit, rows, strict=True) if r["duration_group"] == group]
        out[metric] = sum(sel) / len(sel)
    for level, metric in LEVELS.items():
        sel = [h for h, r in zip(hit, rows, strict=True) if r["level"] == level]
        out[metric] = sum(sel) / len(sel)
    return out


@pytest.mark.parametrize("letter", ANSWERS)
def test_every_metric_is_what_the_gold_implies(
    dummy_runs: dict[str, Path], lvb_root: Path, letter: str
) -> None:
    (results,) = dummy_runs[letter].rglob("*_results.json")
    got = json.loads(results.read_text())["results"]["longvideobench_r1"]
    for metric, value in expected_metrics(raw_rows(lvb_root), letter).items():
        assert got[f"{metric},none"] == pytest.approx(value), metric
    (samples,) = dummy_runs[letter].rglob("*_samples_longvideobench_r1.jsonl")
    logged = [json.loads(line)["lvb_r1_parsed"] for line in samples.read_text().splitlines()]
    rows = {r["id"]: r for r in raw_rows(lvb_root)}
    assert sorted(x["id"] for x in logged) == sorted(rows)
    for x in logged:
        row = rows[x["id"]]
        assert x["gold"] == "ABCDE"[row["correct_choice"]]
        assert x["duration_group"] == row["duration_group"] and x["level"] == row["level"]
        assert x["pred"] == (letter if letter in "ABCDE"[: len(row["candidates"])] else "")


def test_the_model_class_answers_every_question(lvb_root: Path, tiny_qwen2_vl: Path, tmp_path: Path) -> None:
    """The tiny model through the project's model class (HF backend): clip-only docs of 4 and 5 candidates;
    the logged predictions score as the metrics say."""
    env = {
        **os.environ,
        "LONGVIDEOBENCH_ROOT": str(lvb_root),
        "HF_HUB_OFFLINE": "1",
        "HF_DATASETS_OFFLINE": "1",
    }
    out = tmp_path / "tiny"
    proc = subprocess.run(
        [sys.executable, "-m", "seedbench_r1", "eval", "--model", "seedbench_r1_qwen_vl",
         "--model_args", f"pretrained={tiny_qwen2_vl},batch_size=4", "--tasks", "longvideobench_r1",
         "--gen_kwargs", "max_new_tokens=8", "--log_samples", "--output_path", str(out)],
        env=env, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]
    (samples,) = out.rglob("*_samples_longvideobench_r1.jsonl")
    lines = [json.loads(line) for line in samples.read_text().splitlines()]
    assert len(lines) == 12
    (results,) = out.rglob("*_results.json")
    got = json.loads(results.read_text())["results"]["longvideobench_r1"]
    hits = [x["lvb_r1_parsed"]["pred"] == x["lvb_r1_parsed"]["gold"] for x in lines]
    assert got["lvb_r1_acc,none"] == pytest.approx(sum(hits) / 12)


def test_process_results_every_key_for_every_doc(lvb_root: Path) -> None:
    """lmms-eval's per-category rule: every doc carries every metric key, and no metric name is a substring of
    another (lmms-eval matches metric names by substring)."""
    from lmms_eval_tasks import tasks_path
    from lmms_eval_tasks.longvideobench_r1.utils import LOG_KEY, load_docs, process_results

    text = (tasks_path() / "longvideobench_r1" / "longvideobench_r1.yaml").read_text()
    listed = [m["metric"] for m in yaml.load(text, Loader=_Loader)["metric_list"]]
    keys = {frozenset(process_results(d, ["no answer here"])) for d in load_docs(lvb_root)}
    assert keys == {frozenset({*listed, LOG_KEY})}
    assert set(listed) >= {"lvb_r1_acc", *GROUPS.values(), *LEVELS.values(), "format_rate", "no_answer_rate"}
    for name in listed:
        assert [n for n in listed if name in n] == [name]


class _Loader(yaml.SafeLoader):
    """Reads lmms-eval's ``!function`` tags as plain strings."""


_Loader.add_constructor("!function", lambda loader, node: loader.construct_scalar(node))
