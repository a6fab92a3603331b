"""``seedbench-r1 report``'s Table 3 (LongVideoBench, transfer) on real lmms-eval output: the LongVideoBench
fixture, the ``longvideobench_r1`` task, lmms-eval's ``dummy`` model answering E, then B.

Expected counts are computed here straight from the fixture's ``lvb_val.json`` (raw JSON), and the column
labels and the paper's numbers are restated from the paper (docs/protocol.md), not read from the code.
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest
from PIL import Image

from seedbench_r1.cli import main
from seedbench_r1.report.lvb import LVB_PAPER_ROWS
from seedbench_r1.report.paper import check_printed
from seedbench_r1.report.results import load_runs
from seedbench_r1.report.stats import wilson

GROUP_LABEL = {15: "(8,15]", 60: "(15,60]", 600: "(180,600]", 3600: "(900,3600]"}
LEVEL_LABEL = {"L1-Perception": "L1 Perception", "L2-Relation": "L2 Relation"}
LABELS = [*GROUP_LABEL.values(), *LEVEL_LABEL.values(), "overall"]
ANSWERS = ("E", "B")  # the letters tests/conftest.py's lvb_dummy_runs answer
# Table 3 as printed, and the counts: groups as given by the paper's sizes, levels round(pct x total / 100).
PRINTED = {
    "Vanilla": (42.33, 44.77, 33.98, 25.35, 34.24, 31.74, 32.90),
    "SFT": (44.97, 54.65, 36.65, 36.35, 44.80, 35.81, 40.00),
    "GRPO": (54.50, 53.49, 42.48, 37.23, 48.48, 38.90, 43.40),
}
GROUP_COUNTS = {"Vanilla": (80, 77, 140, 143), "SFT": (85, 94, 151, 205), "GRPO": (103, 92, 175, 210)}
TOTALS = (189, 172, 412, 564, 625, 712, 1337)


@pytest.fixture(scope="module")
def lvb_runs(lvb_dummy_runs: dict[str, Path]) -> dict[str, Path]:
    return lvb_dummy_runs


def raw_rows(root: Path) -> list[dict]:
    return json.loads((root / "lvb_val.json").read_text())


def hits(rows: list[dict], letter: str) -> dict[str, bool]:
    """Question id -> right? for a model always answering ``letter`` (E is no choice with four candidates)."""
    return {r["id"]: "ABCDE"[r["correct_choice"]] == letter for r in rows}


def members(rows: list[dict]) -> dict[str, list[str]]:
    """Column label -> the question ids it counts."""
    out: dict[str, list[str]] = {label: [] for label in LABELS}
    for r in rows:
        for label in (GROUP_LABEL[r["duration_group"]], LEVEL_LABEL[r["level"]], "overall"):
            out[label].append(r["id"])
    return out


def expected(rows: list[dict], letter: str) -> dict[str, tuple[int, int]]:
    hit = hits(rows, letter)
    return {label: (sum(hit[i] for i in ids), len(ids)) for label, ids in members(rows).items()}


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


# ------------------------------------------------------------------------------------------- real runs


def test_counts_from_logged_samples(lvb_runs: dict[str, Path], lvb_root: Path) -> None:
    from seedbench_r1.report.lvb import LVB, LVB_COLUMNS

    rows = raw_rows(lvb_root)
    for letter, out in lvb_runs.items():
        (run,), errors = load_runs([str(out)])
        assert errors == [] and run.problems == []
        assert [c.label for c in LVB_COLUMNS] == LABELS
        exp = expected(rows, letter)
        for col in LVB_COLUMNS:
            assert (run.cells[col.key].correct, run.cells[col.key].total) == exp[col.label], (
                letter,
                col.label,
            )
        # No Table-2 cells: the run only has LongVideoBench results.
        assert not any(k in run.cells for k in ("L1", "L2", "L3"))
        four = sum(len(r["candidates"]) == 4 for r in rows)
        assert run.extras[LVB].format_rate == 1.0
        assert run.extras[LVB].no_answer_rate == (four / len(rows) if letter == "E" else 0.0)
        table = run.letter_table(LVB)
        answered = sum(c[letter] for c in table.values())
        assert answered == (len(rows) - four if letter == "E" else len(rows))


def test_report_renders_table3(lvb_runs: dict[str, Path], lvb_root: Path, tmp_path: Path) -> None:
    out = tmp_path / "rep"
    argv = ["report", f"E={lvb_runs['E']}", f"B={lvb_runs['B']}", "--paper", "--out", str(out)]
    assert main([*argv, "--n-boot", "2000"]) == 0
    md = (out / "report.md").read_text()
    rows = raw_rows(lvb_root)
    exp = {letter: expected(rows, letter) for letter in ANSWERS}
    assert "## Table 3: LongVideoBench (transfer)" in md
    assert "| run | (8,15] | (15,60] | (180,600] | (900,3600] | L1 Perception | L2 Relation | overall |" in md
    k, n = exp["E"]["overall"]
    lo, hi = wilson(k, n)
    assert "| E | " in md and f"{100 * k / n:.2f} ({k}/{n}) [{100 * lo:.1f}, {100 * hi:.1f}] |" in md
    # Table 2 holds no run row (no SEED-Bench-R1 results), only the paper's rows.
    assert "## Paper rows\n" in md and "### Paper rows (Table 3)" in md
    assert len(read_csv(out / "table.csv")) == 3 * 7
    for flag in ("printed 32.90†", "printed 40.00†", "printed 43.40†"):
        assert flag in md
    assert "18 of 21 printed percentages" in md and "E − paper GRPO" in md

    table3 = read_csv(out / "table3.csv")
    assert len(table3) == 5 * len(LABELS)  # two runs + three paper rows
    for letter in ANSWERS:
        got = {r["column"]: (int(r["correct"]), int(r["total"])) for r in table3 if r["row"] == letter}
        assert got == exp[letter]
    for name in PRINTED:
        got = [r for r in table3 if r["row"] == f"paper {name} (Qwen2-VL-7B)"]
        assert [r["column"] for r in got] == LABELS
        assert [int(r["total"]) for r in got] == list(TOTALS)
        assert [int(r["correct"]) for r in got[:4]] == list(GROUP_COUNTS[name])
        assert [float(r["printed"]) for r in got] == list(PRINTED[name])
        assert "for no k" in got[-1]["note"] and all(r["note"] == "" for r in got[:-1])

    # Paired: B - E on the same 12 questions, per column, from the raw JSON.
    paired = {r["column"]: r for r in read_csv(out / "table3_paired.csv")}
    assert set(paired) == set(LABELS)
    he, hb = hits(rows, "E"), hits(rows, "B")
    for label, ids in members(rows).items():
        r = paired[label]
        assert (r["a"], r["b"]) == ("E", "B") and int(r["n"]) == len(ids)
        b_only = sum(hb[i] and not he[i] for i in ids)
        a_only = sum(he[i] and not hb[i] for i in ids)
        assert (int(r["b_only"]), int(r["a_only"])) == (b_only, a_only)
        assert float(r["diff"]) == pytest.approx((b_only - a_only) / len(ids))
        assert float(r["ci_low"]) <= float(r["diff"]) <= float(r["ci_high"])
        assert 0 <= float(r["mcnemar_exact_p"]) <= 1
    assert "### Paired comparisons (Table 3, same questions)" in md

    with Image.open(out / "table3.png") as im:
        assert im.format == "PNG" and im.size[0] > 800
    assert "![LongVideoBench accuracy per column](table3.png)" in md
    assert not [p for p in out.iterdir() if p.name.startswith(".")]


def test_wilson_intervals_are_sane(lvb_runs: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "rep"
    assert main(["report", str(lvb_runs["E"]), str(lvb_runs["B"]), "--paper", "--out", str(out)]) == 0
    widths: dict[str, float] = {}
    for r in read_csv(out / "table3.csv"):
        k, n = int(r["correct"]), int(r["total"])
        lo, hi, pct = float(r["wilson95_low"]), float(r["wilson95_high"]), float(r["pct"])
        assert 0 <= lo <= pct <= hi <= 100
        assert (lo, hi) == pytest.approx(tuple(100 * x for x in wilson(k, n)), abs=1e-3)
        assert (lo == 0) == (k == 0) and (hi == 100) == (k == n)
        widths[f"{r['row']}/{r['column']}"] = hi - lo
    # 1,337 questions pin the paper's overall far tighter than the fixture's 12 pin a run's.
    assert widths["paper GRPO (Qwen2-VL-7B)/overall"] < widths["dummy_E/overall"] / 4


def test_results_only_runs(lvb_runs: dict[str, Path], lvb_root: Path, tmp_path: Path) -> None:
    """Without logged samples: overall from n-samples; groups and levels only for the whole 1,337-question set
    (totals then the release's sizes), else marked unknown."""
    from seedbench_r1.report.lvb import LVB_COLUMNS

    (results,) = lvb_runs["B"].glob("*_results.json")
    small = tmp_path / "small"
    small.mkdir()
    shutil.copy(results, small / results.name)
    (run,), _ = load_runs([str(small)])
    exp = expected(raw_rows(lvb_root), "B")
    by_label = {c.label: run.cells[c.key] for c in LVB_COLUMNS}
    assert (by_label["overall"].correct, by_label["overall"].total) == exp["overall"]
    assert all(
        not by_label[label].known and "counts unknown" in by_label[label].note for label in LABELS[:-1]
    )

    data = json.loads(results.read_text())
    task = data["results"]["longvideobench_r1"]
    metrics = [*(f"duration_{g}_acc" for g in GROUP_LABEL), "level_perception_acc", "level_relation_acc"]
    grpo = [*GROUP_COUNTS["GRPO"], 303, 277]
    for metric, k, n in zip(metrics, grpo, TOTALS[:-1], strict=True):
        task[f"{metric},none"] = k / n
    task["lvb_r1_acc,none"] = 580 / 1337
    data["n-samples"]["longvideobench_r1"] = {"original": 1337, "effective": 1337}
    full = tmp_path / "full"
    full.mkdir()
    (full / results.name).write_text(json.dumps(data))
    (run,), _ = load_runs([str(full)])
    assert [(run.cells[c.key].correct, run.cells[c.key].total) for c in LVB_COLUMNS] == [
        *zip([*grpo, 580], TOTALS, strict=True)
    ]
    assert run.problems == []


def test_bad_sample_lines_and_missing_metric_are_reported(lvb_runs: dict[str, Path], tmp_path: Path) -> None:
    run_dir = tmp_path / "damaged"
    shutil.copytree(lvb_runs["E"], run_dir)
    samples = next(run_dir.glob("*_samples_longvideobench_r1.jsonl"))
    lines = samples.read_text().splitlines()
    bad = json.loads(lines[0])
    bad["lvb_r1_parsed"]["duration_group"] = 30
    samples.write_text("\n".join([json.dumps(bad), *lines[1:-1], "{not json"]) + "\n")
    (run,), _ = load_runs([str(run_dir)])
    assert run.cells["lvb"].total == len(lines) - 2
    (first,) = run.unreadable
    assert first.startswith(f"{samples}:1: ") and "duration_group 30" in first
    assert first.endswith("(and 1 more unreadable line(s))")
    assert any("10 samples logged but n-samples effective = 12" in p for p in run.problems)

    results = next(run_dir.glob("*_results.json"))
    data = json.loads(results.read_text())
    del data["results"]["longvideobench_r1"]["lvb_r1_acc,none"]
    results.write_text(json.dumps(data))
    (run,), _ = load_runs([str(run_dir)])
    assert any("Table 3 missing" in p for p in run.problems)
    assert run.cells["lvb"].note == "missing: longvideobench_r1 has no lvb_r1_acc"


# ------------------------------------------------------------------------------------ SEED-Bench-R1 only


def test_seed_bench_only_runs_have_no_table3(
    lmms_runs: dict[str, Path], lvb_runs: dict[str, Path], tmp_path: Path
) -> None:
    out = tmp_path / "seed_only"
    assert main(["report", str(lmms_runs["B"]), str(lmms_runs["none"]), "--paper", "--out", str(out)]) == 0
    md = (out / "report.md").read_text()
    assert "LongVideoBench" not in md and "Table 3" not in md
    assert not list(out.glob("table3*"))

    # Mixed: each table lists only the runs with its results.
    out = tmp_path / "mixed"
    assert main(["report", f"S={lmms_runs['B']}", f"L={lvb_runs['B']}", "--out", str(out)]) == 0
    md = (out / "report.md").read_text()
    table2, table3 = md.split("## Table 3: LongVideoBench (transfer)")
    assert "\n| S | " in table2 and "\n| L | " not in table2
    assert "\n| L | " in table3 and "\n| S | " not in table3
    assert {r["row"] for r in read_csv(out / "table.csv")} == {"S"}
    assert {r["row"] for r in read_csv(out / "table3.csv")} == {"L"}


# --------------------------------------------------------------------------------------------- paper


def test_paper_rows_counts_and_flags() -> None:
    checks = check_printed(LVB_PAPER_ROWS)
    assert len(checks) == 21
    assert [(c.row, c.column) for c in checks if not c.matches] == [
        ("Vanilla", "lvb"),
        ("SFT", "lvb"),
        ("GRPO", "lvb"),
    ]
    assert {(c.row, c.printed, c.from_counts) for c in checks if not c.matches} == {
        ("Vanilla", 32.90, 32.91),
        ("SFT", 40.00, 40.01),
        ("GRPO", 43.40, 43.38),
    }
    for name, printed in PRINTED.items():
        cells = list(LVB_PAPER_ROWS[name].values())
        assert [c.total for c in cells] == list(TOTALS)
        assert [c.printed for c in cells] == list(printed)
        levels = [round(p * n / 100) for p, n in zip(printed[4:6], TOTALS[4:6], strict=True)]
        assert [round(100 * k / n, 2) for k, n in zip(levels, TOTALS[4:6], strict=True)] == list(printed[4:6])
        assert [c.correct for c in cells] == [*GROUP_COUNTS[name], *levels, sum(GROUP_COUNTS[name])]
        assert sum(levels) == sum(GROUP_COUNTS[name])
        # The printed overall is k/1337 for no k: the flag is no artefact of the chosen count.
        assert all(round(100 * k / 1337, 2) != printed[-1] for k in range(1338))
        assert "for no k" in cells[-1].note
