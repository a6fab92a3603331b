"""``seedbench-r1 report``'s completion-length section on real lmms-eval output (the dummy model's logs).

The expected lengths, bin edges, bin memberships, counts and Wilson bounds are computed here from the sample
logs this test reads itself (or from texts it wrote with a known number of words), with the test's own
quantile and Wilson formulas, never through the code under test.
"""

from __future__ import annotations

import csv
import json
import math
import shutil
from pathlib import Path

import pytest
from PIL import Image

from seedbench_r1.cli import main

LEVEL_TASKS = {"L1": "seedbench_r1_l1", "L2": "seedbench_r1_l2", "L3": "seedbench_r1_l3"}
Z = 1.959963984540054


def _wilson(k: int, n: int) -> tuple[float, float]:
    p = k / n
    centre = p + Z * Z / (2 * n)
    half = Z * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n))
    return (centre - half) / (1 + Z * Z / n), (centre + half) / (1 + Z * Z / n)


def _quantile(xs: list[int], q: float) -> float:
    """Linear interpolation between order statistics (the documented rule)."""
    s = sorted(xs)
    pos = q * (len(s) - 1)
    i = int(pos)
    return s[i] if i + 1 >= len(s) else s[i] + (pos - i) * (s[i + 1] - s[i])


def _edges(xs: list[int]) -> list[float]:
    edges = sorted({float(_quantile(xs, q)) for q in (0, 0.25, 0.5, 0.75, 1)})
    return edges if len(edges) > 1 else edges * 2


def _bin_of(x: int, edges: list[float]) -> int:
    """1-based: bin 1 is [e0, e1], bin i is (e(i-1), e(i)]."""
    return next(i for i in range(1, len(edges)) if x <= edges[i])


def _samples(run: Path, level: str) -> list[dict]:
    (path,) = run.glob(f"*_samples_{LEVEL_TASKS[level]}.jsonl")
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _raw_response(line: dict) -> str:
    value = line.get("resps", line["filtered_resps"])
    while isinstance(value, list):
        value = value[0]
    return value


def _csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def _check_bins(out: Path, expected: dict[tuple[str, str], list[tuple[int, int]]], unit: str) -> None:
    """length.csv against (run, level) -> [(length, correct)] computed by the test; edges pooled per level."""
    rows = _csv(out / "length.csv")
    for level in LEVEL_TASKS:
        pooled = [x for (_, lv), pairs in expected.items() if lv == level for x, _ in pairs]
        edges = _edges(pooled)
        for (run, lv), pairs in expected.items():
            if lv != level:
                continue
            got = [r for r in rows if (r["run"], r["level"]) == (run, level)]
            assert [int(r["bin"]) for r in got] == list(range(1, len(edges)))
            for r in got:
                i = int(r["bin"])
                assert r["unit"] == unit
                assert float(r["low"]) == pytest.approx(edges[i - 1], abs=1e-4)
                assert float(r["high"]) == pytest.approx(edges[i], abs=1e-4)
                members = [ok for x, ok in pairs if _bin_of(x, edges) == i]
                assert (int(r["correct"]), int(r["total"])) == (sum(members), len(members)), (run, level, i)
                if members:
                    lo, hi = _wilson(sum(members), len(members))
                    assert float(r["pct"]) == pytest.approx(100 * sum(members) / len(members), abs=1e-4)
                    assert float(r["wilson95_low"]) == pytest.approx(100 * lo, abs=1e-3)
                    assert float(r["wilson95_high"]) == pytest.approx(100 * hi, abs=1e-3)
                else:
                    assert r["pct"] == r["wilson95_low"] == ""


def _check_dist(out: Path, expected: dict[tuple[str, str], list[tuple[int, int]]]) -> None:
    rows = {(r["run"], r["level"]): r for r in _csv(out / "length_dist.csv")}
    assert set(rows) == set(expected)
    for key, pairs in expected.items():
        xs = [x for x, _ in pairs]
        r = rows[key]
        assert int(r["n"]) == len(xs)
        assert float(r["mean"]) == pytest.approx(sum(xs) / len(xs), abs=1e-4)
        assert float(r["median"]) == pytest.approx(_quantile(xs, 0.5), abs=1e-4)
        assert float(r["p10"]) == pytest.approx(_quantile(xs, 0.1), abs=1e-4)
        assert float(r["p90"]) == pytest.approx(_quantile(xs, 0.9), abs=1e-4)
        assert (int(r["min"]), int(r["max"])) == (min(xs), max(xs))


def _check_png(path: Path) -> None:
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with Image.open(path) as im:
        im.verify()
    with Image.open(path) as im:
        assert im.format == "PNG" and im.size[0] > 500


# ------------------------------------------------------------------------------------------- real logs


def test_lengths_in_words_from_real_lmms_eval_logs(lmms_runs: dict[str, Path], tmp_path: Path) -> None:
    """The dummy model's two fixed responses: every B response has 2 words, every no-answer response 6."""
    out = tmp_path / "rep"
    assert main(["report", f"B={lmms_runs['B']}", f"none={lmms_runs['none']}", "--out", str(out)]) == 0
    expected = {}
    for label, run in (("B", lmms_runs["B"]), ("none", lmms_runs["none"])):
        for level in LEVEL_TASKS:
            lines = _samples(run, level)
            # lmms-eval logged the raw text in filtered_resps only (no filter changed it).
            assert all("resps" not in line for line in lines)
            expected[(label, level)] = [(len(_raw_response(x).split()), x["seedbench_r1_acc"]) for x in lines]
    assert {x for pairs in expected.values() for x, _ in pairs} == {2, 6}
    _check_dist(out, expected)
    _check_bins(out, expected, "words")
    # Half the pooled lengths are 2 and half 6: the edges are 2, 4, 6, and each run fills one bin.
    rows = _csv(out / "length.csv")
    assert {(r["run"], r["low"], r["high"]) for r in rows if int(r["total"])} == {
        ("B", "2", "4"),
        ("none", "4", "6"),
    }
    md = (out / "report.md").read_text()
    assert "## Completion length and accuracy" in md
    assert "Length unit for every run: words (whitespace split)." in md
    assert "L1 (words): 2, 4, 6" in md
    assert "| L1 | 2 | (4, 6] words | B | n/a (no sample in this bin) |" in md
    _check_png(out / "length.png")


def test_longvideobench_responses_are_measured(lvb_dummy_runs: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "rep"
    assert main(["report", f"E={lvb_dummy_runs['E']}", "--out", str(out)]) == 0
    (path,) = lvb_dummy_runs["E"].glob("*_samples_longvideobench_r1.jsonl")
    lines = [json.loads(x) for x in path.read_text().splitlines() if x.strip()]
    words = [len(_raw_response(x).split()) for x in lines]
    (row,) = _csv(out / "length_dist.csv")
    assert (row["run"], row["level"], int(row["n"])) == ("E", "LVB", len(lines))
    assert (int(row["min"]), int(row["max"])) == (min(words), max(words))
    (b,) = _csv(out / "length.csv")  # one length only: one bin
    assert (int(b["correct"]), int(b["total"])) == (sum(x["lvb_r1_acc"] for x in lines), len(lines))


# ---------------------------------------------------------------------------------------- varied texts


def _varied_copy(src: Path, dest: Path, salt: int, as_list: bool) -> dict[str, list[tuple[str, int, int]]]:
    """Copy a real run, giving each sample a response of a known number of words (odd whitespace included);
    lmms-eval's ``resps`` holds it (raw) and ``filtered_resps`` something shorter, as after a filter.
    Returns level -> [(text, words, correct)]."""
    shutil.copytree(src, dest)
    texts: dict[str, list[tuple[str, int, int]]] = {}
    for level, task in LEVEL_TASKS.items():
        (path,) = dest.glob(f"*_samples_{task}.jsonl")
        lines = [json.loads(x) for x in path.read_text().splitlines() if x.strip()]
        texts[level] = []
        for line in lines:
            n = 1 + (line["doc_id"] * 7 + salt) % 13
            words = [f"step{j}" for j in range(n - 1)]
            text = (
                "<think>" + "  ".join(words) + "\n</think><answer>B</answer>"
                if words
                else "<answer>B</answer>"
            )
            line["resps"] = [text] if as_list else text
            line["filtered_resps"] = "B"
            texts[level].append((text, n, line["seedbench_r1_acc"]))
        path.write_text("".join(json.dumps(x) + "\n" for x in lines))
    return texts


@pytest.fixture
def varied(lmms_runs: dict[str, Path], tmp_path: Path) -> dict[str, tuple[Path, dict]]:
    return {
        "B": (tmp_path / "vB", _varied_copy(lmms_runs["B"], tmp_path / "vB", 0, as_list=True)),
        "none": (tmp_path / "vN", _varied_copy(lmms_runs["none"], tmp_path / "vN", 5, as_list=False)),
    }


def test_varied_lengths_bins_counts_and_wilson_in_words(
    varied: dict[str, tuple[Path, dict]], lmms_runs: dict[str, Path], tmp_path: Path
) -> None:
    # A third run has results but no logged samples, a fourth logged samples without any response text.
    results_only = tmp_path / "results_only"
    results_only.mkdir()
    for f in lmms_runs["B"].glob("*_results.json"):
        shutil.copy(f, results_only / f.name)
    no_text = tmp_path / "no_text"
    shutil.copytree(lmms_runs["B"], no_text)
    for path in no_text.glob("*_samples_*.jsonl"):
        lines = [json.loads(x) for x in path.read_text().splitlines() if x.strip()]
        path.write_text(
            "".join(json.dumps({k: v for k, v in x.items() if k != "filtered_resps"}) + "\n" for x in lines)
        )
    out = tmp_path / "rep"
    runs = [f"{label}={path}" for label, (path, _) in varied.items()]
    assert main(["report", *runs, f"bare={results_only}", f"notext={no_text}", "--out", str(out)]) == 0
    expected = {
        (label, level): [(n, ok) for _, n, ok in items]
        for label, (_, texts) in varied.items()
        for level, items in texts.items()
    }
    _check_dist(out, expected)
    _check_bins(out, expected, "words")
    assert all(int(r["no_response"]) == 0 for r in _csv(out / "length_dist.csv"))
    md = (out / "report.md").read_text()
    assert "- bare: no logged samples (lmms-eval --log_samples)" in md
    assert "- notext: the logged samples hold no response text" in md
    # The Markdown cell of one bin matches the test's own count and interval.
    (label, level), pairs = next(iter(expected.items()))
    edges = _edges([x for (_, lv), p in expected.items() if lv == level for x, _ in p])
    members = [ok for x, ok in pairs if _bin_of(x, edges) == 1]
    lo, hi = _wilson(sum(members), len(members))
    cell = f"{100 * sum(members) / len(members):.2f} ({sum(members)}/{len(members)}) [{100 * lo:.1f}, {100 * hi:.1f}]"
    assert f"| {level} | 1 | [{edges[0]:g}, {edges[1]:g}] words | {label} | {cell} |" in md
    _check_png(out / "length.png")


def test_lengths_in_tokens_of_the_tiny_tokenizer(
    varied: dict[str, tuple[Path, dict]], tiny_qwen2_vl: Path, tmp_path: Path
) -> None:
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(tiny_qwen2_vl / "tokenizer.json"))
    out = tmp_path / "rep"
    runs = [f"{label}={path}" for label, (path, _) in varied.items()]
    assert main(["report", *runs, "--tokenizer", str(tiny_qwen2_vl), "--out", str(out)]) == 0
    expected = {
        (label, level): [(len(tok.encode(text, add_special_tokens=False).ids), ok) for text, _, ok in items]
        for label, (_, texts) in varied.items()
        for level, items in texts.items()
    }
    # Token counts differ from word counts here, so the check below is not passed by words.
    assert any(x != n for (label, level), pairs in expected.items() for (x, _), (_, n, _) in
               zip(pairs, varied[label][1][level], strict=True))  # fmt: skip
    _check_dist(out, expected)
    _check_bins(out, expected, "tokens")
    assert {r["tokenizer"] for r in _csv(out / "length_dist.csv")} == {str(tiny_qwen2_vl)}
    assert f"Length unit for every run: tokens ({tiny_qwen2_vl})." in (out / "report.md").read_text()

    # Per-run tokenizer: B in tokens, none in words; each unit gets its own edges.
    out2 = tmp_path / "rep2"
    assert main(["report", *runs, "--tokenizer", f"B={tiny_qwen2_vl}", "--out", str(out2)]) == 0
    units = {r["run"]: r["unit"] for r in _csv(out2 / "length_dist.csv")}
    assert units == {"B": "tokens", "none": "words"}
    rows = _csv(out2 / "length.csv")
    b_l1 = [(float(r["low"]), float(r["high"])) for r in rows if (r["run"], r["level"]) == ("B", "L1")]
    tokens_l1 = [x for x, _ in expected[("B", "L1")]]
    edges = _edges(tokens_l1)
    assert b_l1 == [pytest.approx((edges[i], edges[i + 1]), abs=1e-4) for i in range(len(edges) - 1)]


def test_bad_tokenizer_is_one_line_and_nothing_is_written(
    varied: dict[str, tuple[Path, dict]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    runs = [f"{label}={path}" for label, (path, _) in varied.items()]
    empty = tmp_path / "empty_dir"
    empty.mkdir()
    for value, message in (
        (str(tmp_path / "missing"), "no such folder"),
        (str(empty), "cannot load a tokenizer from it"),
        (f"nolabel={empty}", "no run is labelled 'nolabel'"),
    ):
        out = tmp_path / "rep"
        assert main(["report", *runs, "--tokenizer", value, "--out", str(out)]) == 1
        err = capsys.readouterr().err
        assert message in err and "Traceback" not in err
        assert not out.exists()


def test_no_responses_no_length_section(lmms_runs: dict[str, Path], tmp_path: Path) -> None:
    results_only = tmp_path / "results_only"
    results_only.mkdir()
    for f in lmms_runs["B"].glob("*_results.json"):
        shutil.copy(f, results_only / f.name)
    out = tmp_path / "rep"
    assert main(["report", str(results_only), "--out", str(out)]) == 0
    assert "Completion length" not in (out / "report.md").read_text()
    assert not (out / "length.csv").exists() and not (out / "length.png").exists()
