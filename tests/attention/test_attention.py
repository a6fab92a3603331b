"""``seedbench-r1 attention`` on the tiny Qwen2-VL / Qwen2.5-VL and the miniature benchmark.

Every share and heat-map cell in the JSON is compared with what this file computes itself from
``output_attentions=True`` of its own eager forward pass over the same token ids, with its own token-kind
classification (video pads cut into chunks of 81, image pads, the question text's own tokens found in the
prompt, response positions) and its own spans (the tokenizer's character offsets of the tags). Nothing here is
derived from the code under test except the response token ids it records.
"""

from __future__ import annotations

import functools
import json
import random
import shutil
from pathlib import Path
from typing import Any

import pytest
import torch
from PIL import Image

from seedbench_r1.attention.shares import maps, shares, span_profile
from seedbench_r1.attention.spans import response_spans, tag_spans
from seedbench_r1.attention.tokens import SpecialIds, build_layout
from seedbench_r1.cli import main
from seedbench_r1.protocol.annotations import load_split
from seedbench_r1.protocol.qwen_inputs import processor_inputs, prompt_from_sample

SPLIT = "validation_L1"
LONG, IMAGE_ONLY, SHORT, TWO_FRAMES = "100", "135", "114", "121"  # 16 frames, no clip, 4 frames, 2 frames
GROUPS = {LONG: 8, IMAGE_ONLY: 0, SHORT: 2, TWO_FRAMES: 1}  # temporal groups = frames / 2
MERGED = 81  # 252 x 252 -> 18 x 18 patches -> 9 x 9 merged tokens per frame group and for the image
TOL = 1e-5


# ------------------------------------------------------------------------------- the independent reference


@functools.lru_cache(maxsize=2)
def _eager(model_dir: str) -> tuple[Any, Any]:
    """The checkpoint loaded by transformers itself, eager everywhere, with the model class's M-RoPE positions."""
    import transformers

    from seedbench_r1.protocol import rope

    config = transformers.AutoConfig.from_pretrained(model_dir)
    cls = {
        "qwen2_vl": transformers.Qwen2VLForConditionalGeneration,
        "qwen2_5_vl": transformers.Qwen2_5_VLForConditionalGeneration,
    }[config.model_type]
    model = cls.from_pretrained(model_dir, dtype=torch.float32, attn_implementation="eager").eval()
    rope.install(model)  # the positions the model class (and so the command) uses
    return model, transformers.AutoProcessor.from_pretrained(model_dir)


def _find(haystack: list[int], needle: list[int]) -> int:
    hits = [i for i in range(len(haystack) - len(needle) + 1) if haystack[i : i + len(needle)] == needle]
    assert len(hits) == 1, f"the question text's tokens occur {len(hits)} times in the prompt"
    return hits[0]


def reference(
    model_dir: Path, root: Path, sample_id: str, response_ids: list[int], layers: list[int]
) -> dict:
    """Head- and layer-mean attention of prompt + response and this test's own token kinds."""
    model, processor = _eager(str(model_dir))
    sample = next(s for s in load_split(root, SPLIT) if str(s.sample_id) == sample_id)
    prompt = prompt_from_sample(sample, root)
    inputs = processor_inputs(processor, [prompt])
    n_prompt = inputs["input_ids"].shape[1]
    response = torch.tensor([response_ids], dtype=torch.long)
    ids = torch.cat([inputs["input_ids"], response], dim=1)
    media = {k: v for k, v in inputs.items() if k not in ("input_ids", "attention_mask", "mm_token_type_ids")}
    with torch.no_grad():
        out = model(
            input_ids=ids,
            attention_mask=torch.ones_like(ids),
            mm_token_type_ids=torch.cat([inputs["mm_token_type_ids"], torch.zeros_like(response)], dim=1),
            output_attentions=True,
            **media,
        )
    attention = torch.stack([out.attentions[i][0] for i in layers]).double().mean(dim=(0, 1))  # (keys, keys)

    flat = ids[0].tolist()
    video = [i for i, t in enumerate(flat) if t == model.config.video_token_id]
    assert len(video) % MERGED == 0
    groups = [video[i : i + MERGED] for i in range(0, len(video), MERGED)]
    image = [i for i, t in enumerate(flat) if t == model.config.image_token_id]
    text_ids = processor.tokenizer(prompt.text, add_special_tokens=False)["input_ids"]
    start = _find(flat[:n_prompt], text_ids)
    prompt_text = list(range(start, start + len(text_ids)))
    taken = set(video) | set(image) | set(prompt_text)
    template = [i for i in range(n_prompt) if i not in taken]
    kinds = {"image": image, "prompt_text": prompt_text, "template": template}
    kinds["response"] = list(range(n_prompt, len(flat)))
    return {
        "attention": attention,
        "n_prompt": n_prompt,
        "groups": groups,
        "kinds": kinds,
        "text": prompt.text,
        "tokenizer": processor.tokenizer,
    }


def expected_shares(ref: dict, rows: list[int]) -> dict:
    """Per query row: the mass on each kind; then the mean over the rows."""
    sub = ref["attention"][rows]
    share = {name: float(sub[:, pos].sum(dim=1).mean()) for name, pos in ref["kinds"].items()}
    share["frame_groups"] = [float(sub[:, g].sum(dim=1).mean()) for g in ref["groups"]]
    return share


def assert_shares(got: dict, want: dict) -> None:
    assert len(got["frame_groups"]) == len(want["frame_groups"])
    for a, b in zip(got["frame_groups"], want["frame_groups"], strict=True):
        assert a == pytest.approx(b, abs=TOL)
    for key in ("image", "prompt_text", "template", "response"):
        assert got[key] == pytest.approx(want[key], abs=TOL), key
    total = sum(got["frame_groups"]) + sum(got[k] for k in ("image", "prompt_text", "template", "response"))
    assert total == pytest.approx(1.0, abs=TOL)


def check_record(record: dict, ref: dict, sample_id: str) -> None:
    """The JSON against the reference: counts, every span's shares, the ``all`` span's maps."""
    n_response = len(record["response_token_ids"])
    assert record["n_tokens"]["response"] == n_response > 0
    assert record["n_tokens"]["frame_groups"] == GROUPS[sample_id] == len(ref["groups"])
    assert record["n_tokens"]["image"] == MERGED
    assert record["n_tokens"]["prompt_text"] == len(ref["kinds"]["prompt_text"])
    assert record["n_tokens"]["template"] == len(ref["kinds"]["template"])
    assert record["n_tokens"]["total"] == ref["n_prompt"] + n_response
    assert record["span_tokens"]["all"] == [0, n_response]
    for name, tokens in record["span_tokens"].items():
        if tokens is None:
            assert record["spans"][name] is None and record["maps"][name] is None
            continue
        rows = list(range(ref["n_prompt"] + tokens[0], ref["n_prompt"] + tokens[1]))
        assert_shares(record["spans"][name], expected_shares(ref, rows))
    rows = list(range(ref["n_prompt"], ref["n_prompt"] + n_response))
    mean = ref["attention"][rows].mean(dim=0)
    got = record["maps"]["all"]
    assert len(got["frame_groups"]) == len(ref["groups"])
    for cells, group in zip(got["frame_groups"], ref["groups"], strict=True):
        want = mean[group].reshape(9, 9)
        assert torch.allclose(torch.tensor(cells, dtype=torch.float64), want, atol=TOL)
    want_image = mean[ref["kinds"]["image"]].reshape(9, 9)
    assert torch.allclose(torch.tensor(got["image"], dtype=torch.float64), want_image, atol=TOL)


def offsets_span(tokenizer: Any, text: str, open_tag: str, close_tag: str) -> list[int] | None:
    """Token range of ``open_tag``...``close_tag`` (tags included) from the tokenizer's character offsets."""
    if open_tag not in text:
        return None
    lo = text.index(open_tag)
    hi = text.index(close_tag, lo) + len(close_tag)
    enc = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True, split_special_tokens=True)
    inside = [i for i, (s, e) in enumerate(enc["offset_mapping"]) if s < hi and e > lo]
    return [inside[0], inside[-1] + 1]


def run_cli(*args: str) -> int:
    return main(["attention", *map(str, args)])


def check_png(path: Path) -> None:
    with Image.open(path) as img:
        assert img.format == "PNG" and img.width > 500 and img.height > 200


# ------------------------------------------------------------------------------- 1. generated responses


@pytest.fixture(scope="module")
def generated(
    fixture_root: Path, tiny_qwen2_vl: Path, tiny_qwen2_5_vl: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    """One command for both models: all layers of the tiny Qwen2-VL (two), layer 1 of the tiny Qwen2.5-VL."""
    out = tmp_path_factory.mktemp("attention_generated")
    ids = ",".join([LONG, IMAGE_ONLY, SHORT, TWO_FRAMES])
    common = ["--split", SPLIT, "--samples", ids, "--root", fixture_root, "--max-new-tokens", 10]
    assert run_cli("--model", tiny_qwen2_vl, *common, "--out", out) == 0
    assert run_cli("--model", tiny_qwen2_5_vl, *common, "--layers", "1", "--out", out) == 0
    return {"out": out, "layers": {tiny_qwen2_vl.name: [0, 1], tiny_qwen2_5_vl.name: [1]}}


@pytest.mark.parametrize("which", ["tiny_qwen2_vl", "tiny_qwen2_5_vl"])
@pytest.mark.parametrize("sample_id", [LONG, IMAGE_ONLY, SHORT, TWO_FRAMES])
def test_generated_shares_match_an_independent_eager_forward(
    which: str, sample_id: str, generated: dict[str, Any], fixture_root: Path, request: pytest.FixtureRequest
) -> None:
    model_dir: Path = request.getfixturevalue(which)
    folder = generated["out"] / model_dir.name
    record = json.loads((folder / f"{sample_id}.json").read_text())
    check_png(folder / f"{sample_id}.png")
    layers = generated["layers"][model_dir.name]
    assert record["layers"] == layers
    assert record["response_source"] == "generated" and record["retokenized_exact"] is None
    assert str(record["sample_id"]) == sample_id and record["split"] == SPLIT
    assert record["model"] == model_dir.name
    assert record["gen_kwargs"]["max_new_tokens"] == 10 and record["gen_kwargs"]["do_sample"] is False
    ref = reference(model_dir, fixture_root, sample_id, record["response_token_ids"], layers)
    assert record["response"] == ref["tokenizer"].decode(
        record["response_token_ids"], skip_special_tokens=True, clean_up_tokenization_spaces=False
    )
    check_record(record, ref, sample_id)
    # a random model writes no tags: both spans are empty and said so
    if "<think>" not in record["response"]:
        assert record["spans"]["think"] is None
        assert any("empty think span" in n for n in record["notes"])
    gold = next(s.gold for s in load_split(fixture_root, SPLIT) if str(s.sample_id) == sample_id)
    assert record["gold"] == gold
    assert record["correct"] == (record["pred"] == gold)


def test_generated_response_is_the_model_class_greedy_output(
    generated: dict[str, Any], fixture_root: Path, tiny_qwen2_vl: Path
) -> None:
    """The recorded tokens are what the lmms-eval model class generates with the task's settings."""
    from lmms_eval_tasks.models.seedbench_r1_qwen_vl import SeedBenchR1QwenVL

    lm = SeedBenchR1QwenVL(pretrained=str(tiny_qwen2_vl), device="cpu", dtype="float32")
    sample = next(s for s in load_split(fixture_root, SPLIT) if str(s.sample_id) == LONG)
    gen = {"max_new_tokens": 10, "temperature": 0, "do_sample": False, "num_beams": 1, "until": []}
    (text,) = lm.generate_prompts([prompt_from_sample(sample, fixture_root)], gen)
    record = json.loads((generated["out"] / tiny_qwen2_vl.name / f"{LONG}.json").read_text())
    assert record["response"] == text


def test_rerun_skips_existing_records_and_refuses_other_requests(
    generated: dict[str, Any],
    fixture_root: Path,
    tiny_qwen2_vl: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "out"
    shutil.copytree(generated["out"], out)  # the module's outputs stay as they are
    folder = out / tiny_qwen2_vl.name
    path = folder / f"{LONG}.json"
    before = path.read_bytes()
    (folder / f"{SHORT}.png").unlink()
    ids = f"{LONG},{SHORT}"
    args = ["--model", tiny_qwen2_vl, "--split", SPLIT, "--samples", ids, "--root", fixture_root]
    assert run_cli(*args, "--max-new-tokens", 10, "--out", out) == 0
    err = capsys.readouterr().err
    assert f"sample {LONG} (1/2): skipped, {path} exists (--overwrite redoes it)" in err
    assert f"sample {SHORT} (2/2): {folder / SHORT}.json exists; redrew its missing PNG" in err
    assert "loading" not in err  # nothing to compute: the model is never loaded
    check_png(folder / f"{SHORT}.png")
    assert path.read_bytes() == before
    # another request: refused before any work, naming the file and the field
    assert run_cli(*args, "--max-new-tokens", 10, "--layers", "0", "--out", out) == 1
    err = capsys.readouterr().err
    assert f"{path}: field 'layers' is [0, 1], this run asks for [0]" in err and "--overwrite" in err
    assert "loading" not in err
    assert run_cli(*args, "--max-new-tokens", 11, "--out", out) == 1
    assert "field 'gen_kwargs'" in capsys.readouterr().err
    assert path.read_bytes() == before
    # --overwrite redoes it (greedy on the same inputs: the same record)
    path.write_text("{}")
    assert run_cli(*args, "--max-new-tokens", 10, "--out", out) == 1
    assert f"{path}: exists but lacks field 'sample_id'; pass --overwrite" in capsys.readouterr().err
    assert run_cli(*args, "--max-new-tokens", 10, "--layers", "all", "--out", out, "--overwrite") == 0
    assert "skipped" not in capsys.readouterr().err
    assert json.loads(path.read_bytes()) == json.loads(before)


# ------------------------------------------------------------------------------- 2. synthetic mapping


def _synthetic_ids() -> tuple[list[int], int, SpecialIds]:
    """system/template tokens, a clip of 8 groups, the image, the question, the assistant header, 5 responses."""
    sp = SpecialIds(video=901, image=902, vision_end=903, im_end=904)
    start = [1, 2, 904, 3, 4]  # system turn, <|im_end|>, user header
    video = [900, *[sp.video] * (8 * MERGED), sp.vision_end]
    image = [900, *[sp.image] * MERGED, sp.vision_end]
    question = [11, 12, 13, 14]
    end = [sp.im_end, 5, 6]
    prompt = start + video + image + question + end
    return prompt + [21, 22, 23, 24, 25], len(prompt), sp


def test_layout_partitions_every_position_exactly_once() -> None:
    ids, n_prompt, sp = _synthetic_ids()
    layout = build_layout(ids, n_prompt, sp, video_grid=(8, 18, 18), image_grid=(1, 18, 18))
    positions = [p for kind in layout.kinds().values() for p in kind]
    assert sorted(positions) == list(range(len(ids)))
    assert len(layout.frame_groups) == 8 and layout.group_grid == (9, 9) and layout.image_grid == (9, 9)
    assert [ids[p] for p in layout.prompt_text] == [11, 12, 13, 14]
    assert all(ids[p] == sp.video for g in layout.frame_groups for p in g)
    assert [ids[p] for p in layout.response] == [21, 22, 23, 24, 25]
    assert [ids[p] for p in layout.template] == [1, 2, 904, 3, 4, 900, 903, 900, 903, 904, 5, 6]


def _rows_with_mass_on(n_rows: int, length: int, positions: list[int]) -> torch.Tensor:
    rows = torch.zeros(n_rows, length)
    rows[:, positions] = 1.0 / len(positions)
    return rows


def test_mass_on_one_frame_group_lights_that_group_only() -> None:
    ids, n_prompt, sp = _synthetic_ids()
    layout = build_layout(ids, n_prompt, sp, video_grid=(8, 18, 18), image_grid=(1, 18, 18))
    group3 = [p for p, t in enumerate(ids) if t == sp.video][3 * MERGED : 4 * MERGED]
    profile = span_profile(_rows_with_mass_on(5, len(ids), group3), range(0, 5))
    got = shares(profile, layout)
    assert got["frame_groups"] == pytest.approx([0, 0, 0, 1, 0, 0, 0, 0])
    assert (got["image"], got["prompt_text"], got["template"], got["response"]) == (0, 0, 0, 0)
    heat = maps(profile, layout)
    for g, cells in enumerate(heat["frame_groups"]):
        assert torch.tensor(cells).sum() == pytest.approx(1.0 if g == 3 else 0.0)
        if g == 3:
            assert torch.allclose(torch.tensor(cells), torch.full((9, 9), 1 / MERGED))
    assert torch.tensor(heat["image"]).abs().sum() == 0


def test_mass_on_one_image_cell_lights_that_cell_only() -> None:
    ids, n_prompt, sp = _synthetic_ids()
    layout = build_layout(ids, n_prompt, sp, video_grid=(8, 18, 18), image_grid=(1, 18, 18))
    image = [p for p, t in enumerate(ids) if t == sp.image]
    cell = image[9 * 2 + 7]  # row 2, column 7 in raster order
    profile = span_profile(_rows_with_mass_on(3, len(ids), [cell]), range(0, 3))
    got = shares(profile, layout)
    assert got["image"] == 1.0 and got["frame_groups"] == [0.0] * 8
    heat = maps(profile, layout)["image"]
    assert heat[2][7] == 1.0
    assert sum(map(sum, heat)) == 1.0
    # two rows split between the image and group 0: a span's share is the mean over its rows
    rows = torch.zeros(2, len(ids))
    rows[0, image] = 1 / MERGED
    rows[1, [p for p, t in enumerate(ids) if t == sp.video][:MERGED]] = 1 / MERGED
    mixed = shares(span_profile(rows, range(0, 2)), layout)
    assert mixed["image"] == pytest.approx(0.5) and mixed["frame_groups"][0] == pytest.approx(0.5)
    assert shares(span_profile(rows, None), layout) is None


def test_layout_without_clip_and_bad_grids() -> None:
    sp = SpecialIds(video=901, image=902, vision_end=903, im_end=904)
    ids = [1, 900, *[sp.image] * 4, sp.vision_end, 7, 8, sp.im_end, 5, 30]
    layout = build_layout(ids, len(ids) - 1, sp, video_grid=None, image_grid=(1, 4, 4))
    assert layout.frame_groups == () and layout.image_grid == (2, 2)
    assert list(layout.prompt_text) == [7, 8] and list(layout.response) == [len(ids) - 1]
    with pytest.raises(ValueError, match="4 image tokens in the prompt, the grid 1x6x6 needs 9"):
        build_layout(ids, len(ids) - 1, sp, video_grid=None, image_grid=(1, 6, 6))


def test_tag_spans_follow_the_parser_reading_of_think() -> None:
    text = b"<think>a <answer>X</answer></think> <answer>B</answer>"
    got = tag_spans(text)
    assert got["think"] == (0, text.index(b"</think>") + 8)
    assert got["answer"] == (text.index(b" <answer>B") + 1, len(text))  # the one inside <think> is skipped
    assert tag_spans(b"prefilled</think><answer>C")["think"] == (0, 17)
    assert tag_spans(b"prefilled</think><answer>C")["answer"] == (17, 26)  # unclosed: to the end
    assert tag_spans(b"<think>never closed")["think"] == (0, 19)
    assert tag_spans(b"no tags") == {"think": None, "answer": None}


def test_spans_map_bytes_to_tokens_like_the_tokenizer_offsets(tiny_qwen2_vl: Path) -> None:
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tiny_qwen2_vl)
    text = "<think>café — naïve</think> <answer>B</answer>"
    ids = tok(text, add_special_tokens=False)["input_ids"]
    assert tok.decode(ids) == text
    spans = response_spans(tok, ids)
    assert [spans["think"].start, spans["think"].stop] == offsets_span(tok, text, "<think>", "</think>")
    assert [spans["answer"].start, spans["answer"].stop] == offsets_span(tok, text, "<answer>", "</answer>")
    assert spans["all"] == range(len(ids))
    # a special token (dropped from the decoded text) belongs where it stands: inside the span around it
    im_end = tok.convert_tokens_to_ids("<|im_end|>")
    shifted = response_spans(tok, [*ids[:3], im_end, *ids[3:]])
    assert shifted["think"] == range(spans["think"].start, spans["think"].stop + 1)
    assert shifted["answer"] == range(spans["answer"].start + 1, spans["answer"].stop + 1)


# ------------------------------------------------------------------------------- 3. logged responses


LOGGED = {
    LONG: "<think>The cereal is in the bag, so the box goes in the cupboard.</think> <answer>B</answer>",
    IMAGE_ONLY: "cafe\u0301 <answer>A</answer>",  # NFC turns e + combining accent into é: no round trip
    SHORT: "<think>open it</think><answer>C</answer>",
}
EMPTY = TWO_FRAMES  # logged with an empty response: no query row at all


def write_lmms_run(folder: Path, root: Path) -> Path:
    """An lmms-eval 0.7.3 output folder as its EvaluationTracker writes it (results + --log_samples lines)."""
    model_dir = folder / "tiny__model"
    model_dir.mkdir(parents=True)
    date = "20260101_120000"
    samples = list(load_split(root, SPLIT))
    lines = []
    for doc_id, s in enumerate(samples):
        text = {**LOGGED, EMPTY: ""}.get(str(s.sample_id), "<answer>D</answer>")
        line = {
            "doc_id": doc_id,
            "target": s.gold,
            # the raw response: kept as "resps" ([text]) when it differs from the filtered one, else dropped
            **({"resps": [text]} if doc_id % 2 else {}),
            "filtered_resps": text,
            "seedbench_r1_acc": 0,
            "format_rate": 0,
            "no_answer_rate": 0,
            "seedbench_r1_parsed": {"sample_id": s.sample_id, "split": SPLIT, "pred": "", "gold": s.gold},
            "input": "...",
        }
        lines.append(json.dumps(line, ensure_ascii=False))
    (model_dir / f"{date}_samples_seedbench_r1_l1.jsonl").write_text("\n".join(lines) + "\n")
    results = {"results": {"seedbench_r1_l1": {"seedbench_r1_acc,none": 0.0}}, "n-samples": {}}
    (model_dir / f"{date}_results.json").write_text(json.dumps(results))
    return folder


def test_response_from_a_logged_run_is_teacher_forced(
    fixture_root: Path, tiny_qwen2_5_vl: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = write_lmms_run(tmp_path / "run", fixture_root)
    out = tmp_path / "out"
    ids = ",".join([*LOGGED, EMPTY])
    args = ["--model", f"grpo={tiny_qwen2_5_vl}", "--split", SPLIT, "--samples", ids, "--root", fixture_root]
    assert run_cli(*args, "--response-from", run, "--out", out) == 0
    err = capsys.readouterr().err
    assert f"note: sample {IMAGE_ONLY}: the logged response does not survive re-tokenization" in err
    assert f"note: sample {LONG}" not in err
    golds = {str(s.sample_id): s.gold for s in load_split(fixture_root, SPLIT)}
    for sample_id, text in LOGGED.items():
        record = json.loads((out / "grpo" / f"{sample_id}.json").read_text())
        check_png(out / "grpo" / f"{sample_id}.png")
        assert record["model"] == "grpo" and record["response_source"] == "logged"
        assert record["response"] == text
        assert record["response_from"].endswith("20260101_120000_samples_seedbench_r1_l1.jsonl")
        assert record["gen_kwargs"] is None
        ref = reference(tiny_qwen2_5_vl, fixture_root, sample_id, record["response_token_ids"], [0, 1])
        tok = ref["tokenizer"]
        encoded = tok(text, add_special_tokens=False, split_special_tokens=True)["input_ids"]
        assert record["response_token_ids"] == encoded
        round_trip = tok.decode(encoded, skip_special_tokens=True, clean_up_tokenization_spaces=False) == text
        assert record["retokenized_exact"] is round_trip is (sample_id != IMAGE_ONLY)
        if round_trip:
            assert record["span_tokens"]["think"] == offsets_span(tok, text, "<think>", "</think>")
            assert record["span_tokens"]["answer"] == offsets_span(tok, text, "<answer>", "</answer>")
        else:
            assert record["span_tokens"]["think"] is None and record["spans"]["think"] is None
            assert any("re-tokenization" in n for n in record["notes"])
        assert record["span_tokens"]["answer"] is not None
        check_record(record, ref, sample_id)
        pred = {LONG: "B", IMAGE_ONLY: "A", SHORT: "C"}[sample_id]
        assert record["pred"] == pred and record["correct"] == (pred == golds[sample_id])
    empty = json.loads((out / "grpo" / f"{EMPTY}.json").read_text())
    check_png(out / "grpo" / f"{EMPTY}.png")
    assert empty["response"] == "" and empty["response_token_ids"] == [] and empty["retokenized_exact"]
    assert empty["n_tokens"]["response"] == 0 and empty["n_tokens"]["frame_groups"] == GROUPS[EMPTY]
    assert empty["spans"] == {"all": None, "think": None, "answer": None}
    assert empty["maps"] == {"all": None, "think": None, "answer": None}
    assert "empty all span: its shares and maps are null" in empty["notes"]
    assert empty["pred"] is None and empty["correct"] is False


# ------------------------------------------------------------------------------- 4. errors, --summary


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--samples", "999"], "seedbench-r1 attention: error: --samples: no sample '999' in validation_L1"),
        (
            ["--samples", LONG, "--layers", "1-x"],
            "error: --layers '1-x': '1-x' is not a layer index or range",
        ),
        (["--samples", LONG, "--layers", "0,5"], "error: --layers: layer 5 is out of range for"),
        (["--samples", LONG, "--layers", "3-1"], "error: --layers '3-1': range '3-1' runs backwards"),
        ([], "error: name the samples (--samples ID[,ID...])"),
        (["--samples", LONG, "--response-from", "/nonexistent/run"], "error: /nonexistent/run: no such file"),
        (["--samples", LONG, "--split", "training_6k"], "error: --split 'training_6k': choose one of"),
    ],
)
def test_error_lines(
    extra: list[str],
    message: str,
    fixture_root: Path,
    tiny_qwen2_vl: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = ["--model", tiny_qwen2_vl, "--split", SPLIT, "--root", fixture_root, "--out", tmp_path / "o"]
    assert run_cli(*args, *extra) == 1
    err = capsys.readouterr().err
    assert message in err, err
    assert len(err.strip().splitlines()) == 2  # the error line and the --debug hint
    assert "Traceback" not in err
    assert not (tmp_path / "o").exists()


def test_layer_out_of_range_names_the_model(
    fixture_root: Path, tiny_qwen2_vl: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["--model", tiny_qwen2_vl, "--split", SPLIT, "--samples", LONG, "--root", fixture_root]
    assert run_cli(*args, "--layers", "2", "--out", tmp_path) == 1
    assert f"layer 2 is out of range for {tiny_qwen2_vl}, which has 2 language-model layers (0-1)" in (
        capsys.readouterr().err
    )


def test_summary_over_a_seeded_subset_for_two_models(
    fixture_root: Path,
    tiny_qwen2_vl: Path,
    tiny_qwen2_5_vl: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """--summary with --limit/--seed: the same seeded ids for both models, then the summary's files and
    table lines (seedbench_r1.attention.summary.summarize_runs)."""
    out = tmp_path / "summary"
    models = ["--model", f"base={tiny_qwen2_vl}", "--model", f"grpo={tiny_qwen2_5_vl}"]
    common = ["--split", SPLIT, "--root", fixture_root, "--max-new-tokens", 4, "--n-boot", 200]
    assert run_cli(*models, *common, "--summary", "--limit", 3, "--seed", 7, "--out", out) == 0
    printed = capsys.readouterr().out
    ids = sorted(str(s.sample_id) for s in load_split(fixture_root, SPLIT))
    chosen = set(random.Random(7).sample(ids, 3))
    for label in ("base", "grpo"):
        assert {p.stem for p in (out / label).glob("*.json")} == chosen
        assert {p.stem for p in (out / label).glob("*.png")} == chosen
    paths = {
        line.split(":", 1)[0]: Path(line.split(":", 1)[1].strip())
        for line in printed.splitlines()
        if line.startswith(("csv:", "markdown:", "png:"))
    }
    assert set(paths) == {"csv", "markdown", "png"}
    assert all(p.is_file() and p.parent == out for p in paths.values())
    csv_text = paths["csv"].read_text()
    assert "base" in csv_text and "grpo" in csv_text
    # the table lines: one row per model and subset, both models side by side
    rows = [line.split() for line in printed.splitlines() if line.startswith(("base ", "grpo "))]
    assert {(row[0], row[1]) for row in rows} >= {("base", "all"), ("grpo", "all")}
