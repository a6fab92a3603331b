"""``seedbench-r1 consistency`` against planted judges on localhost (real HTTP, the OpenAI client), on real
lmms-eval runs of the miniature benchmarks: rates, resume, refusals, hostile text, and the report's columns."""

from __future__ import annotations

import csv
import json
import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "helpers"))
from consistency_cli import cli, consistency, planted, records  # noqa: E402

from seedbench_r1.consistency.prompt import PROMPT_SHA256  # noqa: E402
from seedbench_r1.protocol.prompt import INSTRUCTION  # noqa: E402


def rates(out: Path) -> dict[tuple[str, str], dict[str, str]]:
    with open(out / "consistency.csv", newline="", encoding="utf-8") as fh:
        return {(r["run"], r["column"]): r for r in csv.DictReader(fh)}


@pytest.fixture(scope="module")
def yes_run(lmms_runs: dict, lvb_dummy_runs: dict, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """SEED-Bench-R1 (always B) and LongVideoBench (always E) judged by a judge that always says yes."""
    out = tmp_path_factory.mktemp("consistency") / "yes"
    runs = [f"seed={lmms_runs['B']}", f"lvb={lvb_dummy_runs['E']}"]
    rc, stdout, err, judge = planted("yes", runs, out)
    assert rc == 0, err
    return {"out": out, "runs": runs, "stdout": stdout, "judge": judge}


def test_a_judge_that_always_says_yes_gives_rate_one(yes_run: dict) -> None:
    out = yes_run["stdout"]
    recs = records(yes_run["out"])
    # "E" is no answer to a four-option LongVideoBench question: counted, not sent.
    judged = [r for r in recs if r["status"] == "judged"]
    assert all(r["status"] == "no_answer" and r["pred"] is None for r in recs if r not in judged)
    assert {r["run"] for r in recs if r not in judged} == {"lvb"}
    assert judged and all(r["verdict"] == "yes" for r in judged)
    assert all(r["prompt_sha256"] == PROMPT_SHA256 for r in recs)
    judge = yes_run["judge"]
    assert judge.requests == len(judged)
    # The judge got the question and options without the answer-format instruction, and the reasoning.
    assert all(INSTRUCTION.strip() not in p for p in judge.prompts)
    assert all("[Reasoning]\nalways B\n" in p or "[Reasoning]\nfive\n" in p for p in judge.prompts)
    table = rates(yes_run["out"])
    for level in ("L1", "L2", "L3", "L3 Work", "overall"):
        run = "lvb" if level == "overall" else "seed"
        row = table[(run, level)]
        assert float(row["rate_pct"]) == 100.0 and int(row["yes"]) == int(row["judged"]) > 0, row
        assert int(row["judged"]) + int(row["no_answer"]) == int(row["logged"]), row
    assert "seed L1: consistency 100.0%" in out and "lvb LongVideoBench overall: consistency 100.0%" in out
    # A second run with the same judge skips everything.
    rc, out, err, judge = planted("yes", yes_run["runs"], yes_run["out"])
    assert rc == 0 and judge.requests == 0 and f"{len(recs)} already in" in out, out


def test_a_judge_that_writes_garbage_parses_nothing_and_lists_every_sample(
    lmms_runs: dict, tmp_path: Path
) -> None:
    rc, out, err, judge = planted("garbage", lmms_runs["B"], tmp_path)
    assert rc == 0, err
    recs = records(tmp_path)
    assert all(r["verdict"] is None and r["reply"] == "maybe?!" for r in recs)
    assert f"{len(recs)} unparsable verdicts" in out
    md = (tmp_path / "consistency.md").read_text(encoding="utf-8")
    for r in recs:
        assert f"{r['level']} {r['sample_id']}: " in md
    assert md.count('"maybe?!"') == len(recs)
    assert all(row["rate_pct"] == "" and row["parsed"] == "0" for row in rates(tmp_path).values())


def test_resume_after_an_interrupt_equals_an_uninterrupted_run(yes_run: dict, tmp_path: Path) -> None:
    args = ("--batch-size", "4", "--concurrency", "1", "--retries", "0")
    rc, out, err, judge = planted("yes-then-fail", yes_run["runs"], tmp_path, *args, budget=10)
    assert rc == 1 and "HTTP 503" in err and "after 0 retries" in err, err
    done = records(
        tmp_path
    )  # the six LongVideoBench samples with no answer, and two batches of four verdicts
    assert (
        sum(r["status"] == "judged" for r in done) == 8 and sum(r["status"] == "no_answer" for r in done) == 6
    )
    with open(tmp_path / "judgments.jsonl", "ab") as fh:  # and a crash mid-write tore a line
        fh.write(b'{"kind": "sample", "run": "se')
    rc, out, err, judge = planted("yes", yes_run["runs"], tmp_path, *args)
    assert rc == 0, err
    whole = records(yes_run["out"])
    assert judge.requests == sum(r["status"] == "judged" for r in whole) - 8 and "14 already in" in out

    def key(r: dict) -> str:
        return json.dumps(r, sort_keys=True)

    assert sorted(map(key, records(tmp_path))) == sorted(map(key, whole))
    assert (tmp_path / "consistency.csv").read_text() == (yes_run["out"] / "consistency.csv").read_text()


def test_another_judge_or_sampling_refuses_to_mix_unless_overwrite(lmms_runs: dict, tmp_path: Path) -> None:
    assert planted("yes", lmms_runs["B"], tmp_path)[0] == 0
    with_other = consistency(
        lmms_runs["B"], "--judge", "other", "--backend", "openai", "--base-url", "http://127.0.0.1:9/v1",
        "--out", tmp_path,
    )  # fmt: skip
    assert with_other[0] == 1 and "judge='planted'" in with_other[2] and "--overwrite" in with_other[2]
    rc, out, err, _ = planted("yes", lmms_runs["B"], tmp_path, "--max-new-tokens", "8")
    assert rc == 1 and "sampling=" in err
    rc, out, err, _ = planted("garbage", lmms_runs["B"], tmp_path, "--max-new-tokens", "8", "--overwrite")
    assert rc == 0 and all(r["verdict"] is None for r in records(tmp_path))


def test_the_report_shows_the_rates_and_pairs_runs(lmms_runs: dict, tmp_path: Path) -> None:
    copy = shutil.copytree(lmms_runs["B"], tmp_path / "B2")
    runs = [f"A={lmms_runs['B']}", f"B={copy}"]
    assert planted("yes", runs, tmp_path / "judged")[0] == 0
    rc, out, err = cli("report", *runs, "--consistency", tmp_path / "judged", "--out", tmp_path / "rep",
                       "--n-boot", "200")  # fmt: skip
    assert rc == 0, err
    md = (tmp_path / "rep" / "report.md").read_text(encoding="utf-8")
    assert "## Consistency rate: judge `planted` (openai)" in md and PROMPT_SHA256[:16] in md
    assert (tmp_path / "rep" / "consistency.csv").read_text() == (
        tmp_path / "judged" / "consistency.csv"
    ).read_text()
    with open(tmp_path / "rep" / "consistency_paired.csv", newline="") as fh:
        paired = {r["column"]: r for r in csv.DictReader(fh)}
    assert int(paired["L1"]["n"]) == 8 and float(paired["L1"]["diff"]) == 0.0
    # A run the judgments do not cover is named, not silently shown empty.
    rc, out, err = cli("report", *runs, lmms_runs["none"], "--consistency", tmp_path / "judged",
                       "--out", tmp_path / "rep2", "--n-boot", "200")  # fmt: skip
    assert rc == 0 and "no verdicts for run dummy_none" in err
