"""``seedbench-r1 report`` on real lmms-eval output: the fixture, the project's tasks, lmms-eval's ``dummy`` model.

Expected counts are computed here straight from the fixture's annotation files (raw JSON lines), not through
the code under test.
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest
from PIL import Image

from seedbench_r1.cli import main
from seedbench_r1.report.paper import COLUMNS, PAPER_ROWS, check_printed
from seedbench_r1.report.results import load_runs
from seedbench_r1.report.stats import compare_paired, mcnemar, paired_bootstrap, wilson

DOMAIN_KEYS = {"Daily life": "daily_life", "Hobbies": "hobbies", "Recreation": "recreation", "Work": "work"}


def _expected(root: Path, letter: str) -> dict[str, tuple[int, int]]:
    """(correct, total) per report column for a model that always answers ``letter`` ("none": never)."""
    out: dict[str, tuple[int, int]] = {}
    for level in ("L1", "L2", "L3"):
        rows = [
            json.loads(x)
            for x in (root / "annotations" / f"validation_{level}.jsonl").read_text().splitlines()
        ]
        out[level] = (sum(r["golden_choice_idx"] == letter for r in rows), len(rows))
        if level == "L3":
            for name, key in DOMAIN_KEYS.items():
                dom = [r for r in rows if r["domain"].lower() == name.lower()]
                out[key] = (sum(r["golden_choice_idx"] == letter for r in dom), len(dom))
    return out


def test_real_run_counts_from_logged_samples(lmms_runs: dict[str, Path], fixture_root: Path) -> None:
    for letter, out in lmms_runs.items():
        runs, errors = load_runs([str(out)])
        assert errors == []
        (run,) = runs
        assert run.problems == []
        assert run.has_samples
        expected = _expected(fixture_root, letter)
        for col in COLUMNS:
            cell = run.cells[col.key]
            assert (cell.correct, cell.total) == expected[col.key], (letter, col.key)
            assert cell.pct == pytest.approx(100 * expected[col.key][0] / expected[col.key][1])
        # The dummy answers in the right format every time and always the same letter, or never answers.
        answered = letter != "none"
        for level in ("L1", "L2", "L3"):
            assert run.extras[level].format_rate == float(answered)
            assert run.extras[level].no_answer_rate == float(not answered)
            table = run.letter_table(level)
            assert sum(c[letter] for c in table.values()) == expected[level][1]
            assert {p for c in table.values() for p in c} == {letter}


def test_real_run_counts_from_results_only(
    lmms_runs: dict[str, Path], fixture_root: Path, tmp_path: Path
) -> None:
    """Without logged samples: levels from n-samples; domains only with a dataset root, else marked unknown."""
    run_dir = tmp_path / "no_samples"
    run_dir.mkdir()
    for f in lmms_runs["B"].glob("*_results.json"):
        shutil.copy(f, run_dir / f.name)
    expected = _expected(fixture_root, "B")
    (run,), _ = load_runs([str(run_dir)])
    assert not run.has_samples
    for col in COLUMNS:
        cell = run.cells[col.key]
        if col.domain:
            assert not cell.known and "counts unknown" in cell.note
        else:
            assert (cell.correct, cell.total) == expected[col.key]
    (run,), _ = load_runs([str(run_dir)], root=fixture_root)
    assert all((run.cells[c.key].correct, run.cells[c.key].total) == expected[c.key] for c in COLUMNS)


def test_report_command_end_to_end(lmms_runs: dict[str, Path], fixture_root: Path, tmp_path: Path) -> None:
    out = tmp_path / "rep"
    rc = main(
        [
            "report",
            f"B={lmms_runs['B']}",
            f"none={lmms_runs['none']}",
            "--paper",
            "--out",
            str(out),
            "--n-boot",
            "2000",
        ]
    )
    assert rc == 0
    md = (out / "report.md").read_text()
    eb, ed = _expected(fixture_root, "B"), _expected(fixture_root, "none")
    b1, n1 = eb["L1"]
    lo, hi = wilson(b1, n1)
    assert f"| B | {100 * b1 / n1:.2f} ({b1}/{n1}) [{100 * lo:.1f}, {100 * hi:.1f}]" in md
    assert "printed 32.30†" in md and "typo" in md
    assert f"| none | 0.00 (0/{n1}) | 100.00 ({n1}/{n1}) |" in md  # L1 format and no-answer shares
    assert f"| B | 100.00 ({n1}/{n1}) | 0.00 (0/{n1}) |" in md
    assert f"| L1 all | 0 (0.0%) | 0 (0.0%) | 0 (0.0%) | 0 (0.0%) | {n1} (100.0%) | {n1} |" in md
    assert "## Paired comparisons" in md and "## Predicted vs gold letters: none" in md

    with open(out / "table.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 5 * len(COLUMNS)  # two runs + three paper rows
    d_l3 = next(r for r in rows if r["row"] == "none" and r["column"] == "L3")
    assert (int(d_l3["correct"]), int(d_l3["total"])) == ed["L3"]
    vanilla_hobbies = next(
        r for r in rows if r["row"].startswith("paper Vanilla") and r["column"] == "L3 Hobbies"
    )
    assert (vanilla_hobbies["correct"], vanilla_hobbies["total"], vanilla_hobbies["printed"]) == (
        "95",
        "295",
        "32.30",
    )

    # Paired: none - B on the same samples; only B is ever right, on the gold-B samples.
    with open(out / "paired.csv", newline="") as fh:
        paired = {r["column"]: r for r in csv.DictReader(fh)}
    for col in COLUMNS:
        r = paired[col.label]
        n = eb[col.key][1]
        assert int(r["n"]) == n
        assert float(r["diff"]) == pytest.approx((ed[col.key][0] - eb[col.key][0]) / n)
        assert (int(r["b_only"]), int(r["a_only"])) == (ed[col.key][0], eb[col.key][0])
        assert float(r["ci_low"]) <= float(r["diff"]) <= float(r["ci_high"])

    png = out / "report.png"
    assert png.stat().st_size > 10_000
    with Image.open(png) as im:
        im.verify()
    with Image.open(png) as im:
        assert im.format == "PNG" and im.size[0] > 800
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # atomic writes left no temp files


def test_bad_input_is_reported_and_the_rest_renders(
    lmms_runs: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A folder that is no lmms-eval output, and a run missing L3 (written by lmms-eval's own tracker)."""
    from lmms_eval.loggers.evaluation_tracker import EvaluationTracker

    not_a_run = tmp_path / "just_a_folder"
    not_a_run.mkdir()
    (not_a_run / "notes.txt").write_text("hello")

    full = json.loads(next(lmms_runs["B"].glob("*_results.json")).read_text())
    results = json.loads(json.dumps(full))
    for key in ("results", "n-samples", "configs", "versions", "n-shot", "higher_is_better"):
        results.get(key, {}).pop("seedbench_r1_l3", None)
    partial = tmp_path / "partial"
    tracker = EvaluationTracker(output_path=str(partial))
    tracker.general_config_tracker.log_experiment_args("dummy", "pretrained=partial-model", None, None, False)
    # An older complete run of the same model sits beside the newer partial one: only the newest is read.
    old = EvaluationTracker(output_path=str(partial))
    old.general_config_tracker.log_experiment_args("dummy", "pretrained=partial-model", None, None, False)
    old.save_results_aggregated(results=full, samples=None, datetime_str="20251231_235959")
    tracker.save_results_aggregated(results=results, samples=None, datetime_str="20260101_000000")
    assert (partial / "partial-model" / "20260101_000000_results.json").is_file()

    out = tmp_path / "rep"
    argv = [
        "report",
        str(not_a_run),
        str(partial),
        str(lmms_runs["none"]),
        "--out",
        str(out),
        "--n-boot",
        "500",
    ]
    # A RUN that cannot be read: an error naming it, nothing written, unless --partial.
    assert main(argv) == 1
    assert f"{not_a_run}: not an lmms-eval output folder" in capsys.readouterr().err and not out.exists()
    rc = main([*argv, "--partial"])
    assert rc == 0
    err = capsys.readouterr().err
    assert f"{not_a_run}: not an lmms-eval output folder" in err
    assert "seedbench_r1_l3" in err and "level L3 missing" in err
    md = (out / "report.md").read_text()
    assert "## Problems" in md and "not an lmms-eval output folder" in md
    partial_row = next(line for line in md.splitlines() if line.startswith("| partial/partial-model |"))
    assert partial_row.count("n/a (missing: no seedbench_r1_l3 results)") == 5
    assert "| dummy_none |" in md
    assert (out / "report.png").stat().st_size > 0

    # Nothing readable at all: exit code 1, even with --partial, which still writes a report naming the problem.
    assert main(["report", str(not_a_run), "--out", str(tmp_path / "rep2"), "--partial"]) == 1
    assert "not an lmms-eval output folder" in (tmp_path / "rep2" / "report.md").read_text()


def test_unreadable_sample_lines_are_counted_not_hidden(lmms_runs: dict[str, Path], tmp_path: Path) -> None:
    run_dir = tmp_path / "damaged"
    shutil.copytree(lmms_runs["B"], run_dir)
    samples = next(run_dir.glob("*_samples_seedbench_r1_l2.jsonl"))
    lines = samples.read_text().splitlines()
    samples.write_text("\n".join([*lines[:-1], "{not json"]) + "\n")
    (run,), _ = load_runs([str(run_dir)])
    assert run.cells["L2"].total == len(lines) - 1
    assert run.unreadable == [
        f"{samples}:6: Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"
    ]
    # The results file still counts 6 docs: the mismatch is reported, not papered over.
    assert any("logged samples give" in p for p in run.problems)
    assert any("5 samples logged but n-samples effective = 6" in p for p in run.problems)


# --------------------------------------------------------------------------------------------- paper


def test_paper_rows_reproduce_printed_percentages_except_the_typo() -> None:
    checks = check_printed()
    assert len(checks) == 21
    mismatched = [(c.row, c.column) for c in checks if not c.matches]
    assert mismatched == [("Vanilla", "hobbies")]
    typo = next(c for c in checks if not c.matches)
    assert typo.printed == 32.30 and typo.from_counts == 32.20 and "typo" in typo.typo_note
    # 32.30 is k/295 for no k: the flag is not an artefact of the chosen count.
    assert all(round(100 * k / 295, 2) != 32.30 for k in range(296))
    for name, cells in PAPER_ROWS.items():
        # Domain counts add up to the L3 count, and totals are the split sizes.
        assert sum(cells[k].correct for k in DOMAIN_KEYS.values()) == cells["L3"].correct, name
        assert [cells[c.key].total for c in COLUMNS] == [2432, 923, 439, 295, 183, 404, 1321]


# --------------------------------------------------------------------------------------------- stats


def test_wilson_contains_estimate_shrinks_and_matches_scipy() -> None:
    from scipy.stats import binomtest

    widths = []
    for n in (10, 100, 1000, 10000):
        k = 3 * n // 10
        lo, hi = wilson(k, n)
        assert lo <= k / n <= hi
        ref = binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
        assert (lo, hi) == pytest.approx((ref.low, ref.high), abs=1e-9)
        widths.append(hi - lo)
    assert widths == sorted(widths, reverse=True) and widths[-1] < widths[0] / 10
    assert wilson(0, 7)[0] == 0.0 and wilson(7, 7)[1] == 1.0
    with pytest.raises(ValueError):
        wilson(3, 0)
    with pytest.raises(ValueError):
        wilson(5, 4)


def test_paired_bootstrap_and_mcnemar() -> None:
    a = [1] * 30 + [0] * 70
    b = [1] * 30 + [1] * 12 + [0] * 58  # B right on 12 more samples, never worse
    diff, lo, hi = paired_bootstrap(a, b, n_boot=4000, seed=1)
    assert diff == pytest.approx(0.12)
    assert 0 < lo < diff < hi
    assert paired_bootstrap(a, b, n_boot=4000, seed=1) == (diff, lo, hi)  # seeded: reproducible
    # The multinomial shortcut is the pair bootstrap: compare with resampling index vectors directly.
    import numpy as np

    rng = np.random.default_rng(7)
    d = np.asarray(b) - np.asarray(a)
    naive = d[rng.integers(0, len(d), size=(4000, len(d)))].mean(axis=1)
    assert (lo, hi) == pytest.approx(tuple(np.percentile(naive, [2.5, 97.5])), abs=0.015)
    b_only, a_only, p_exact, stat, p_chi2 = mcnemar(a, b)
    assert (b_only, a_only) == (12, 0)
    assert p_exact == pytest.approx(2 * 0.5**12)
    assert stat == pytest.approx((12 - 1) ** 2 / 12) and 0 < p_chi2 < 0.01
    same = compare_paired(a, a, n_boot=100)
    assert (same.diff, same.ci_low, same.ci_high, same.mcnemar_exact_p) == (0.0, 0.0, 0.0, 1.0)
    with pytest.raises(ValueError, match="one length"):
        compare_paired([1, 0], [1])
