"""The SEED-Bench-R1 lmms-eval tasks, run by lmms-eval 0.7.3's own evaluator on the miniature dataset.

Expected numbers are computed here from the raw annotation files (``json``, not the core's loader), so a bug
shared by the tasks and the core cannot hide. lmms-eval's built-in ``dummy`` model answers every question with
one fixed response.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from lmms_eval_tasks import tasks_path
from seedbench_r1 import render_question
from seedbench_r1.protocol.names import GROUP_NAME, TASK_NAMES

SPLIT_OF = dict(zip(TASK_NAMES, ("validation_L1", "validation_L2", "validation_L3"), strict=True))
DOMAIN_METRIC = {
    "daily life": "domain_daily_life_acc",
    "hobbies": "domain_hobbies_acc",
    "recreation": "domain_recreation_acc",
    "work": "domain_work_acc",
}
LETTERS_UNDER_TEST = ("A", "C")


def raw_rows(root: Path, split: str) -> list[dict[str, Any]]:
    lines = (root / "annotations" / f"{split}.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def tagged(letter: str) -> str:
    return f"<think>the video shows the progress so far</think><answer>{letter}</answer>"


@pytest.fixture(scope="module")
def task_manager() -> Any:
    from lmms_eval.tasks import TaskManager

    # Only the project's folder: indexing lmms-eval's few thousand built-in YAMLs would cost many seconds.
    return TaskManager(include_path=str(tasks_path()), include_defaults=False)


def evaluate(task_manager: Any, root: Path, tasks: list[str], **kwargs: Any) -> dict[str, Any]:
    from lmms_eval.evaluator import simple_evaluate

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SEEDBENCH_R1_ROOT", str(root))
        return simple_evaluate(tasks=tasks, task_manager=task_manager, log_samples=True, **kwargs)


@pytest.fixture(scope="module")
def dummy_runs(task_manager: Any, fixture_root: Path) -> dict[str, dict[str, Any]]:
    """The group (all three levels) once per letter, answered by lmms-eval's dummy model."""
    return {
        letter: evaluate(
            task_manager,
            fixture_root,
            [GROUP_NAME],
            model="dummy",
            model_args=f"response={tagged(letter)}",
        )
        for letter in LETTERS_UNDER_TEST
    }


@pytest.mark.parametrize("letter", LETTERS_UNDER_TEST)
def test_accuracy_per_level_and_domain_matches_gold_letters(
    dummy_runs: dict[str, dict[str, Any]], fixture_root: Path, letter: str
) -> None:
    out = dummy_runs[letter]
    results = out["results"]
    hits_total = rows_total = 0
    for task, split in SPLIT_OF.items():
        rows = raw_rows(fixture_root, split)
        hits = sum(row["golden_choice_idx"] == letter for row in rows)
        hits_total += hits
        rows_total += len(rows)
        assert out["n-samples"][task]["effective"] == len(rows)
        assert len(out["samples"][task]) == len(rows)
        assert results[task]["seedbench_r1_acc,none"] == pytest.approx(hits / len(rows))
        assert isinstance(results[task]["seedbench_r1_acc_stderr,none"], float)
        assert results[task]["format_rate,none"] == 1.0
        assert results[task]["no_answer_rate,none"] == 0.0
    assert results[GROUP_NAME]["seedbench_r1_acc,none"] == pytest.approx(hits_total / rows_total)

    by_domain: dict[str, list[bool]] = defaultdict(list)
    for row in raw_rows(fixture_root, "validation_L3"):
        by_domain[row["domain"].strip().lower()].append(row["golden_choice_idx"] == letter)
    assert set(by_domain) == set(DOMAIN_METRIC)
    for domain, hits_list in by_domain.items():
        got = results["seedbench_r1_l3"][f"{DOMAIN_METRIC[domain]},none"]
        assert got == pytest.approx(sum(hits_list) / len(hits_list)), domain
    # Only L3 has domains.
    assert not any(k.startswith("domain_") for k in results["seedbench_r1_l1"])


def test_two_letters_give_different_scores(dummy_runs: dict[str, dict[str, Any]]) -> None:
    # Guards against a metric that ignores the response (the fixture's gold letters are spread).
    first, second = (
        dummy_runs[x]["results"][GROUP_NAME]["seedbench_r1_acc,none"] for x in LETTERS_UNDER_TEST
    )
    assert first != second


def test_logged_samples_show_parsed_gold_domain_and_ids(
    dummy_runs: dict[str, dict[str, Any]], fixture_root: Path
) -> None:
    out = dummy_runs["C"]
    for task, split in SPLIT_OF.items():
        rows = {row["sample_id"]: row for row in raw_rows(fixture_root, split)}
        logged = out["samples"][task]
        for sample in logged:
            sid = sample["doc"]["sample_id"]
            row = rows[sid]
            # ids keep their type through HF datasets: int in L1/L2, str in L3
            assert type(sid) is type(row["sample_id"])
            assert sample["seedbench_r1_parsed"] == {
                "sample_id": row["sample_id"],
                "split": split,
                "pred": "C",
                "gold": row["golden_choice_idx"],
                "domain": row.get("domain", ""),
            }
            assert sample["target"] == row["golden_choice_idx"]
            assert sample["seedbench_r1_acc"] == int(row["golden_choice_idx"] == "C")
        assert {s["doc"]["sample_id"] for s in logged} == set(rows)


def test_logged_prompt_is_the_core_text(dummy_runs: dict[str, dict[str, Any]], fixture_root: Path) -> None:
    from seedbench_r1 import load_split

    samples = {s.sample_id: s for s in load_split(fixture_root, "validation_L3")}
    for sample in dummy_runs["A"]["samples"]["seedbench_r1_l3"]:
        row = samples[sample["doc"]["sample_id"]]
        prompt = sample["arguments"][0]
        assert prompt == render_question(row)
    # One hand-checked prompt, built here from the raw row (docs/protocol.md): newlines and trailing space.
    raw = raw_rows(fixture_root, "validation_L1")[0]
    logged = next(
        s for s in dummy_runs["A"]["samples"]["seedbench_r1_l1"] if s["doc"]["sample_id"] == raw["sample_id"]
    )
    expected = (
        f"{raw['question']}\nA. {raw['choice_a']}\nB. {raw['choice_b']}\nC. {raw['choice_c']}\nD. {raw['choice_d']}\n"
        " Output the thinking process in <think> </think> and final answer in <answer> </answer> tags, i.e., "
        "<think> reasoning process here </think><answer> answer here </answer>. "
    )
    assert logged["arguments"][0] == expected
    gen_kwargs = logged["arguments"][1]
    assert gen_kwargs["until"] == [] and gen_kwargs["max_new_tokens"] >= 1024
    assert gen_kwargs["temperature"] == 0 and gen_kwargs["do_sample"] is False


def test_untagged_answers_count_for_accuracy_but_not_format(task_manager: Any, fixture_root: Path) -> None:
    out = evaluate(
        task_manager, fixture_root, ["seedbench_r1_l1"], model="dummy", model_args="response=The answer is B"
    )
    rows = raw_rows(fixture_root, "validation_L1")
    res = out["results"]["seedbench_r1_l1"]
    assert res["seedbench_r1_acc,none"] == pytest.approx(
        sum(r["golden_choice_idx"] == "B" for r in rows) / len(rows)
    )
    assert res["format_rate,none"] == 0.0
    assert res["no_answer_rate,none"] == 0.0


def test_missing_video_fails_naming_sample_and_path(task_manager: Any, broken_root: Path) -> None:
    from seedbench_r1.protocol.errors import MediaError

    rows = raw_rows(broken_root, "validation_L1")
    with_video = next(r for r in rows if r["task_progress_metadata"])
    clip = broken_root / "videos" / with_video["video_source"] / with_video["video_basename"]
    clip.unlink()
    with pytest.raises(Exception) as info:  # noqa: B017 - lmms-eval wraps it in tenacity's RetryError
        evaluate(task_manager, broken_root, ["seedbench_r1_l1"], model="dummy", model_args="response=A")
    chain = []
    exc: BaseException | None = info.value
    while exc is not None:
        chain.append(exc)
        exc = exc.__cause__
    media = [e for e in chain if isinstance(e, MediaError)]
    assert media, f"no MediaError in {chain!r}"
    message = str(media[0])
    assert f"validation_L1:{with_video['sample_id']}" in message
    assert str(clip) in message
    # Rows of the same clip without task progress show no video, so they are not reported.
    for row in rows:
        if row["video_basename"] == with_video["video_basename"] and not row["task_progress_metadata"]:
            assert f"validation_L1:{row['sample_id']}:" not in message


def test_doc_to_visual_order_and_missing_video(fixture_root: Path, tmp_path: Path) -> None:
    from PIL import Image

    from lmms_eval_tasks.seedbench_r1_levels.utils import doc_to_visual, load_docs
    from seedbench_r1.protocol.errors import MediaError

    docs = load_docs("validation_L1", fixture_root)
    with_video = next(d for d in docs if d["has_video"])
    visuals = doc_to_visual(with_video)
    assert visuals[0] == with_video["video_path"] and visuals[0].endswith(".mp4")
    assert isinstance(visuals[1], Image.Image) and visuals[1].size == (252, 252)
    image_only = next(d for d in docs if not d["has_video"])
    only = doc_to_visual(image_only)
    assert len(only) == 1 and isinstance(only[0], Image.Image)

    gone = dict(with_video, video_path=str(tmp_path / "gone.mp4"))
    with pytest.raises(MediaError, match=rf"sample {with_video['key']}: video not found: .*gone\.mp4"):
        doc_to_visual(gone)


def test_bad_row_raises_the_core_error(broken_root: Path) -> None:
    from lmms_eval_tasks.seedbench_r1_levels.utils import load_docs
    from seedbench_r1.protocol.errors import AnnotationError

    path = broken_root / "annotations" / "validation_L2.jsonl"
    lines = path.read_text(encoding="utf-8").splitlines()
    row = json.loads(lines[1])
    row["golden_choice_idx"] = "E"
    lines[1] = json.dumps(row)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(AnnotationError, match=r"validation_L2\.jsonl:2.*golden_choice_idx"):
        load_docs("validation_L2", broken_root)


def test_process_results_every_key_for_every_doc(fixture_root: Path) -> None:
    from lmms_eval_tasks.seedbench_r1_levels.utils import load_docs, process_results

    for split, extra in (("validation_L1", set()), ("validation_L3", set(DOMAIN_METRIC.values()))):
        keys = {frozenset(process_results(d, ["no answer here"])) for d in load_docs(split, fixture_root)}
        assert keys == {
            frozenset({"seedbench_r1_acc", "format_rate", "no_answer_rate", "seedbench_r1_parsed", *extra})
        }
    # The group matches metric names by substring: the overall name must be inside no other metric name.
    names = {"seedbench_r1_acc", "format_rate", "no_answer_rate", *DOMAIN_METRIC.values()}
    for name in ("seedbench_r1_acc", "format_rate", "no_answer_rate"):
        assert [n for n in names if name in n] == [name]
