"""seedbench_r1.attention.summary: every CSV number against values computed here, n/a cells, one-line errors,
the chart. Expected values use plain Python (math, statistics), not the module's numpy paths."""

from __future__ import annotations

import copy
import csv
import math
import random
import statistics

import numpy as np
import pytest
from PIL import Image

from seedbench_r1.attention.summary import (
    NA,
    AttentionSummaryError,
    effective_groups,
    summarize_runs,
)
from seedbench_r1.protocol.errors import SeedBenchError, UsageError

N_BOOT = 300  # small: the tests reproduce the bootstrap exactly, the count does not matter


def span(frame_groups: list[float], image: float, prompt: float = 0.1, template: float = 0.05) -> dict:
    """Shares summing to 1: the response gets what the other kinds leave."""
    rest = 1.0 - sum(frame_groups) - image - prompt - template
    assert rest >= 0
    return {
        "frame_groups": frame_groups,
        "image": image,
        "prompt_text": prompt,
        "template": template,
        "response": rest,
    }


def record(sid: str, correct: bool, all_span: dict, think: dict | None = None) -> dict:
    think = copy.deepcopy(all_span) if think is None else think
    return {
        "sample_id": sid,
        "split": "validation_L1",
        "model": "m",
        "layers": [0, 1],
        "response": "<think>...</think><answer>B</answer>",
        "pred": "B" if correct else "C",
        "gold": "B",
        "correct": correct,
        "spans": {"all": all_span, "think": think, "answer": copy.deepcopy(all_span)},
    }


def random_clip_span(rng: random.Random, video: float, groups: int = 8) -> dict:
    weights = [rng.random() ** 3 for _ in range(groups)]  # uneven, so the effective count is not G
    return span([video * w / sum(weights) for w in weights], image=rng.uniform(0.01, 0.1))


def make_runs() -> dict[str, list[dict]]:
    rng = random.Random(7)
    base = [record(f"b{i}", i % 3 != 0, random_clip_span(rng, rng.uniform(0.1, 0.3))) for i in range(9)]
    base.append(record("b-image", False, span([], image=0.4)))  # image-only sample: no clip
    base.append(record("b-nothink", True, random_clip_span(rng, 0.2), think=None))
    base[-1]["spans"]["think"] = None  # no <think> tag
    grpo = [record(f"g{i}", True, random_clip_span(rng, rng.uniform(0.3, 0.6))) for i in range(7)]
    sft = [record(f"s{i}", i % 2 == 0, random_clip_span(rng, rng.uniform(0.1, 0.4))) for i in range(6)]
    sft.append(record("s-blind", False, span([0.0] * 8, image=0.2)))  # a clip that gets no attention
    return {"base": base, "grpo": grpo, "sft": sft}


# ------------------------------------------------------------------------------------- independent maths


def entropy_count(groups: list[float]) -> float:
    total = sum(groups)
    return math.exp(-sum(g / total * math.log(g / total) for g in groups if g > 0))


def boot_interval(values: list[float], seed: int, n_boot: int) -> tuple[float, float]:
    """The documented procedure: indices from a fresh default_rng(seed), a mean per resample, percentiles."""
    idx = np.random.default_rng(seed).integers(0, len(values), size=(n_boot, len(values)))
    means = [sum(values[int(j)] for j in row) / len(values) for row in idx]
    cuts = statistics.quantiles(means, n=40, method="inclusive")  # 2.5 %, 5 %, ..., 97.5 %
    return cuts[0], cuts[-1]


def expected_rows(runs: dict[str, list[dict]], which: str, seed: int, n_boot: int) -> dict:
    out = {}
    for run, recs in runs.items():
        for subset in ("all", "correct", "wrong"):
            chosen = [r for r in recs if subset == "all" or r["correct"] == (subset == "correct")]
            spans = [r["spans"][which] for r in chosen if r["spans"][which] is not None]
            visual = [sum(s["frame_groups"]) + s["image"] for s in spans]
            clips = [s["frame_groups"] for s in spans if s["frame_groups"] and sum(s["frame_groups"]) > 0]
            eff = [entropy_count(g) for g in clips]
            out[(run, subset)] = {
                "n": len(spans),
                "null_span": len(chosen) - len(spans),
                "visual": visual,
                "video": [sum(s["frame_groups"]) for s in spans],
                "image": [s["image"] for s in spans],
                "eff": eff,
                "frac": [e / len(g) for e, g in zip(eff, clips, strict=True)],
                "no_clip": sum(1 for s in spans if not s["frame_groups"]),
                "zero_video": sum(1 for s in spans if s["frame_groups"] and sum(s["frame_groups"]) == 0),
            }
    return out


def read_csv(path) -> dict:
    with open(path, newline="", encoding="utf-8") as fh:
        return {(r["run"], r["subset"]): r for r in csv.DictReader(fh)}


def check_mean_ci(row: dict, prefix: str, values: list[float], seed: int, n_boot: int) -> None:
    mean = sum(values) / len(values)
    lo, hi = boot_interval(values, seed, n_boot)
    assert float(row[f"{prefix}_mean"]) == pytest.approx(mean, abs=1e-6)
    assert float(row[f"{prefix}_ci_low"]) == pytest.approx(lo, abs=1e-6)
    assert float(row[f"{prefix}_ci_high"]) == pytest.approx(hi, abs=1e-6)


# ------------------------------------------------------------------------------------- tests


def test_effective_groups_known_values():
    assert effective_groups([0.1] * 8) == pytest.approx(8.0)
    assert effective_groups([0.0, 0.3, 0.0, 0.0]) == pytest.approx(1.0)
    assert effective_groups([0.2, 0.2, 0.0, 0.0]) == pytest.approx(2.0)
    assert effective_groups([]) is None and effective_groups([0.0, 0.0]) is None


@pytest.mark.parametrize(("which", "seed"), [("all", 0), ("think", 3)])
def test_every_csv_number(tmp_path, which, seed):
    runs = make_runs()
    files = summarize_runs(runs, tmp_path, seed=seed, n_boot=N_BOOT, span=which)
    assert files.csv == tmp_path / f"attention_summary_{which}.csv"
    got = read_csv(files.csv)
    want = expected_rows(runs, which, seed, N_BOOT)
    assert list(got) == list(want)  # run order as given, subsets all / correct / wrong
    for key, w in want.items():
        row = got[key]
        assert (row["span"], int(row["n_boot"]), int(row["seed"])) == (which, N_BOOT, seed)
        assert int(row["n"]) == w["n"] and int(row["null_span"]) == w["null_span"], key
        assert int(row["spread_n"]) == len(w["eff"])
        assert (int(row["spread_no_clip"]), int(row["spread_zero_video"])) == (w["no_clip"], w["zero_video"])
        if w["n"] == 0:
            assert row["visual_mean"] == row["video_mean"] == row["eff_groups_mean"] == ""
            assert NA in row["note"]
            continue
        check_mean_ci(row, "visual", w["visual"], seed, N_BOOT)
        assert float(row["video_mean"]) == pytest.approx(statistics.fmean(w["video"]), abs=1e-6)
        assert float(row["image_mean"]) == pytest.approx(statistics.fmean(w["image"]), abs=1e-6)
        check_mean_ci(row, "eff_groups", w["eff"], seed, N_BOOT)
        check_mean_ci(row, "eff_fraction", w["frac"], seed, N_BOOT)
        assert row["groups"] == "8"


def test_special_samples_and_na(tmp_path):
    runs = make_runs()
    files = summarize_runs(runs, tmp_path, n_boot=N_BOOT)
    got = read_csv(files.csv)
    # The image-only sample counts in the shares but not in the frame spread.
    assert got[("base", "wrong")]["spread_no_clip"] == "1"
    assert int(got[("base", "wrong")]["n"]) == int(got[("base", "wrong")]["spread_n"]) + 1
    assert got[("sft", "wrong")]["spread_zero_video"] == "1"
    # GRPO has no wrong answer: blank numbers with the reason, and "n/a (0 samples)" where people read.
    assert got[("grpo", "wrong")]["n"] == "0" and got[("grpo", "wrong")]["note"] == f"shares {NA}"
    grpo_wrong = next(line for line in files.lines if line.startswith("grpo") and " wrong " in line)
    assert grpo_wrong.count(NA) >= 3 and " 0 " in grpo_wrong
    md = files.markdown.read_text(encoding="utf-8")
    md_row = next(line for line in md.splitlines() if line.startswith("| grpo | wrong |"))
    assert md_row.count(NA) == 5  # visual, video, image, effective count, its fraction: n/a, never 0
    assert "0.0%" not in md_row
    assert "1 no clip" in md and "1 zero video share" in md
    assert files.png.name in md


def test_run_without_clips_has_no_frame_spread(tmp_path):
    runs = {"img": [record("i0", True, span([], 0.3)), record("i1", True, span([], 0.5))]}
    row = read_csv(summarize_runs(runs, tmp_path, n_boot=N_BOOT).csv)[("img", "correct")]
    assert (row["n"], row["spread_n"], row["spread_no_clip"]) == ("2", "0", "2")
    assert float(row["visual_mean"]) == pytest.approx(0.4, abs=1e-6) and row["eff_groups_mean"] == ""
    assert row["note"] == f"frame spread {NA}"


def test_null_think_span_counted_and_reported(tmp_path):
    files = summarize_runs(make_runs(), tmp_path, n_boot=N_BOOT, span="think")
    got = read_csv(files.csv)
    assert (got[("base", "all")]["null_span"], got[("base", "correct")]["null_span"]) == ("1", "1")
    assert got[("base", "wrong")]["null_span"] == "0"
    note = "base: 1 record(s) with an empty `think` span left out (1 correct, 0 wrong)"
    assert note in files.markdown.read_text(encoding="utf-8")
    assert note in files.lines
    # With span "all" nothing is left out.
    assert (
        "left out (" not in summarize_runs(make_runs(), tmp_path / "all", n_boot=N_BOOT).markdown.read_text()
    )


def test_seeded_deterministic_and_intervals_contain_mean(tmp_path):
    runs = make_runs()
    a = summarize_runs(runs, tmp_path / "a", seed=1, n_boot=N_BOOT).csv.read_text()
    b = summarize_runs(runs, tmp_path / "b", seed=1, n_boot=N_BOOT).csv.read_text()
    c = summarize_runs(runs, tmp_path / "c", seed=2, n_boot=N_BOOT).csv.read_text()
    assert a == b and a != c
    for row in read_csv(tmp_path / "a" / "attention_summary_all.csv").values():
        if row["n"] != "0":
            assert float(row["visual_ci_low"]) <= float(row["visual_mean"]) <= float(row["visual_ci_high"])
            assert float(row["visual_ci_low"]) < float(row["visual_ci_high"])


def test_outputs_are_complete_files(tmp_path):
    files = summarize_runs(make_runs(), tmp_path, n_boot=N_BOOT)
    assert sorted(p.name for p in tmp_path.iterdir()) == [  # no temp file left behind
        "attention_summary_all.csv",
        "attention_summary_all.md",
        "attention_summary_all.png",
    ]
    assert files.png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with Image.open(files.png) as im:
        im.verify()
    with Image.open(files.png) as im:
        assert im.format == "PNG" and im.width > 300 and im.height > 200
    # The terminal table: a title, a header, a rule, one line per run and subset.
    assert len(files.lines) == 3 + 9
    assert files.lines[1].split()[:3] == ["run", "subset", "n"]


def _first(runs: dict, run: str) -> dict:
    return runs[run][0]


@pytest.mark.parametrize(
    ("mutate", "field", "reason"),
    [
        (lambda r: r.pop("spans"), "spans", "missing"),
        (lambda r: r["spans"].pop("all"), "spans.all", "missing"),
        (lambda r: r["spans"]["all"].pop("image"), "spans.all.image", "missing"),
        (lambda r: r["spans"]["all"].update(image="0.1"), "spans.all.image", "not a number"),
        (lambda r: r["spans"]["all"].update(template=True), "spans.all.template", "not a number"),
        (lambda r: r["spans"]["all"]["frame_groups"].__setitem__(2, None), "spans.all.frame_groups[2]", "not a number"),
        (lambda r: r["spans"]["all"].update(frame_groups="0.5"), "spans.all.frame_groups", "not a list"),
        (lambda r: r["spans"]["all"].update(prompt_text=float("nan")), "spans.all.prompt_text", "finite"),
        (lambda r: r["spans"]["all"].update(response=-0.5), "spans.all.response", "finite"),
        (lambda r: r["spans"]["all"].update(response=0.9), "spans.all", "sum to"),
        (lambda r: r.pop("correct"), "correct", "missing"),
        (lambda r: r.update(correct="yes"), "correct", "true/false"),
    ],
)  # fmt: skip
def test_bad_record_names_run_sample_and_field(tmp_path, mutate, field, reason):
    runs = make_runs()
    mutate(_first(runs, "grpo"))
    with pytest.raises(AttentionSummaryError) as info:
        summarize_runs(runs, tmp_path, n_boot=N_BOOT)
    msg = str(info.value)
    assert isinstance(info.value, SeedBenchError)
    assert "\n" not in msg
    assert msg.startswith(f"run 'grpo', sample 'g0' (record 1), field '{field}': ")
    assert reason in msg
    assert not tmp_path.exists() or not any(tmp_path.iterdir())  # nothing written from bad input


def test_duplicate_and_unnamed_samples(tmp_path):
    runs = make_runs()
    runs["sft"].append(copy.deepcopy(runs["sft"][0]))
    with pytest.raises(
        AttentionSummaryError, match=r"run 'sft', sample 's0' \(record 8\), field 'sample_id'"
    ):
        summarize_runs(runs, tmp_path, n_boot=N_BOOT)
    runs = make_runs()
    del runs["base"][3]["sample_id"]
    with pytest.raises(AttentionSummaryError, match=r"run 'base', sample \? \(record 4\), field 'sample_id'"):
        summarize_runs(runs, tmp_path, n_boot=N_BOOT)


def test_bad_arguments(tmp_path):
    with pytest.raises(UsageError):
        summarize_runs(make_runs(), tmp_path, span="reasoning")
    with pytest.raises(UsageError):
        summarize_runs({}, tmp_path)
    with pytest.raises(UsageError):
        summarize_runs(make_runs(), tmp_path, n_boot=0)
