"""The project's lmms-eval model class (``seedbench_r1_qwen_vl``) on CPU with the tiny random checkpoints.

A forward hook on the real transformers model records what arrived; the expected tensors are computed here
from the core (``decode_clip`` / ``load_observation``) and the checkpoint's own processor. Requests are built
the way lmms-eval builds them (``Instance`` with ``(context, gen_kwargs, doc_to_visual, doc_id, task, split)``)
from the project's task functions, and once through lmms-eval's real evaluator.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch

from seedbench_r1 import decode_clip, load_observation, load_split, render_question
from seedbench_r1.protocol.errors import MediaError

TASK = "seedbench_r1_l1"
SPLIT = "test"
TASKS_DIR = Path(__file__).resolve().parents[2] / "lmms_eval_tasks"


@pytest.fixture(scope="module")
def l1_docs(fixture_root: Path) -> list[dict[str, Any]]:
    from lmms_eval_tasks.seedbench_r1_levels.utils import sample_to_doc

    return [sample_to_doc(s, fixture_root) for s in load_split(fixture_root, "validation_L1").records]


def _instances(docs: list[dict[str, Any]], gen_kwargs: dict[str, Any]) -> list[Any]:
    from lmms_eval.api.instance import Instance

    from lmms_eval_tasks.seedbench_r1_levels.utils import doc_to_text, doc_to_visual

    return [
        Instance(
            request_type="generate_until",
            arguments=(doc_to_text(doc), dict(gen_kwargs), doc_to_visual, i, TASK, SPLIT),
            idx=0,
            metadata={"task": TASK, "doc_id": i, "repeats": 1},
        )
        for i, doc in enumerate(docs)
    ]


def _model(path: Path, docs: list[dict[str, Any]], batch_size: int) -> Any:
    from lmms_eval_tasks.models.seedbench_r1_qwen_vl import SeedBenchR1QwenVL

    lm = SeedBenchR1QwenVL(pretrained=str(path), batch_size=batch_size, device="cpu")
    lm.task_dict = {TASK: {SPLIT: docs}}
    return lm


class Recorder:
    """Forward hook on the real model: the prefill call's visual inputs, ids and last-position logits."""

    def __init__(self, model: torch.nn.Module) -> None:
        self.calls: list[dict[str, Any]] = []
        self.handle = model.register_forward_hook(self._hook, with_kwargs=True)

    def _hook(self, module: Any, args: Any, kwargs: dict[str, Any], output: Any) -> None:
        if kwargs.get("pixel_values") is None and kwargs.get("pixel_values_videos") is None:
            return  # a decoding step, not the prefill
        keep = (
            "pixel_values",
            "image_grid_thw",
            "pixel_values_videos",
            "video_grid_thw",
            "second_per_grid_ts",
        )
        call = {k: (kwargs[k].detach().clone() if kwargs.get(k) is not None else None) for k in keep}
        call["input_ids"] = kwargs["input_ids"].detach().clone()
        call["attention_mask"] = kwargs["attention_mask"].detach().clone()
        call["last_logits"] = output.logits[:, -1].detach().float().clone()
        self.calls.append(call)

    def close(self) -> None:
        self.handle.remove()


def _token_id(lm: Any, token: str) -> int:
    return lm.processor.tokenizer.convert_tokens_to_ids(token)


@pytest.mark.parametrize("kind", ["tiny_qwen2_vl", "tiny_qwen2_5_vl"])
def test_pixels_grids_and_order_are_the_cores(
    kind: str, request: pytest.FixtureRequest, l1_docs: list[dict[str, Any]]
) -> None:
    path = request.getfixturevalue(kind)
    long_doc = next(d for d in l1_docs if d["video_path"].endswith("ek_long_25fps.mp4"))
    no_video = next(d for d in l1_docs if not d["has_video"])
    docs = [long_doc, no_video]
    lm = _model(path, docs, batch_size=1)
    rec = Recorder(lm.model)
    try:
        out = lm.generate_until(_instances(docs, {"max_new_tokens": 2, "until": []}))
    finally:
        rec.close()
    assert len(out) == 2 and all(isinstance(o, str) for o in out)
    # batch_size=1 and longest text first; identify the calls by whether a video arrived.
    with_video = [c for c in rec.calls if c["pixel_values_videos"] is not None]
    without = [c for c in rec.calls if c["pixel_values_videos"] is None]
    assert len(with_video) == 1 and len(without) == 1

    clip = decode_clip(long_doc["video_path"])
    assert clip.total_frames >= 16 * clip.video_fps / 2  # >= 8 s: the protocol's 16 frames
    proc = lm.processor
    exp_video = proc.video_processor(videos=[clip.frames], do_sample_frames=False, return_tensors="pt")
    exp_image = proc.image_processor(images=[load_observation(long_doc["image_path"])], return_tensors="pt")
    call = with_video[0]
    assert call["video_grid_thw"].tolist() == [[8, 18, 18]]
    assert call["image_grid_thw"].tolist() == [[1, 18, 18]]
    assert torch.equal(call["pixel_values_videos"], exp_video["pixel_values_videos"])
    assert torch.equal(call["pixel_values"], exp_image["pixel_values"])
    # Independent of the processor: the first patch is the core's first frame, normalised, not resampled.
    mean = torch.tensor(proc.video_processor.image_mean).view(3, 1, 1)
    std = torch.tensor(proc.video_processor.image_std).view(3, 1, 1)
    frame0 = (clip.frames[0].float() / 255 - mean) / std
    patch0 = call["pixel_values_videos"][0].view(3, 2, 14, 14)
    torch.testing.assert_close(patch0[:, 0], frame0[:, :14, :14], rtol=0, atol=1e-5)
    torch.testing.assert_close(patch0[:, 1], ((clip.frames[1].float() / 255 - mean) / std)[:, :14, :14])

    # Tokens: 648 video + 81 image placeholders, the video before the image, then the core's text.
    ids = call["input_ids"][0]
    vid, img = _token_id(lm, "<|video_pad|>"), _token_id(lm, "<|image_pad|>")
    assert int((ids == vid).sum()) == 648 and int((ids == img).sum()) == 81
    assert (ids == vid).nonzero().max() < (ids == img).nonzero().min()
    text = proc.tokenizer.decode(ids)
    assert render_question(load_split_row(l1_docs, long_doc)) in text
    assert text.endswith("<|im_start|>assistant\n")

    if kind == "tiny_qwen2_5_vl":  # temporal positions from the sampled fps, as verl passes it
        assert call["second_per_grid_ts"] is not None
        torch.testing.assert_close(
            call["second_per_grid_ts"].float(), torch.tensor([2 / clip.sample_fps]), rtol=1e-6, atol=1e-6
        )
    else:
        assert call["second_per_grid_ts"] is None

    # Empty task progress: only the image.
    call = without[0]
    assert call["video_grid_thw"] is None
    assert call["image_grid_thw"].tolist() == [[1, 18, 18]]
    exp_image = proc.image_processor(images=[load_observation(no_video["image_path"])], return_tensors="pt")
    assert torch.equal(call["pixel_values"], exp_image["pixel_values"])
    ids = call["input_ids"][0]
    assert int((ids == vid).sum()) == 0 and int((ids == img).sum()) == 81


def load_split_row(docs: list[dict[str, Any]], doc: dict[str, Any]) -> dict[str, Any]:
    """The doc itself carries question and choice_a..d: render_question reads it directly."""
    assert doc in docs
    return doc


def _by_prompt(calls: list[dict[str, Any]]) -> dict[tuple[int, ...], torch.Tensor]:
    """Map each row's unpadded input ids to its last-position logits."""
    rows: dict[tuple[int, ...], torch.Tensor] = {}
    for call in calls:
        for ids, mask, logits in zip(
            call["input_ids"], call["attention_mask"], call["last_logits"], strict=True
        ):
            rows[tuple(ids[mask.bool()].tolist())] = logits
    return rows


@pytest.mark.parametrize("kind", ["tiny_qwen2_vl", "tiny_qwen2_5_vl"])
def test_batched_generation_equals_batch_one(
    kind: str, request: pytest.FixtureRequest, l1_docs: list[dict[str, Any]]
) -> None:
    path = request.getfixturevalue(kind)
    # 16, 8, 4 and 2 frames and a row without video, mixed in one left-padded batch.
    docs = l1_docs[:4] + [d for d in l1_docs if not d["has_video"]]
    assert len({d["has_video"] for d in docs}) == 2
    gen = {"max_new_tokens": 6, "until": []}
    runs = {}
    for batch_size in (len(docs), 1):
        lm = _model(path, docs, batch_size=batch_size)
        rec = Recorder(lm.model)
        try:
            texts = lm.generate_until(_instances(docs, gen))
        finally:
            rec.close()
        assert len(rec.calls) == (1 if batch_size > 1 else len(docs))
        runs[batch_size] = (texts, _by_prompt(rec.calls))
    (batched, logits_b), (single, logits_1) = runs[len(docs)], runs[1]
    assert logits_b.keys() == logits_1.keys() and len(logits_b) == len(docs)
    for key in logits_b:
        torch.testing.assert_close(logits_b[key], logits_1[key], rtol=1e-4, atol=1e-4)
    # Results come back in request order and match batch 1 (fp32 on CPU: no near-tie flips observed).
    assert batched == single
    assert any(t for t in batched)


def test_until_cuts_and_unknown_gen_kwargs_are_refused(
    tiny_qwen2_vl: Path, l1_docs: list[dict[str, Any]]
) -> None:
    docs = l1_docs[:1]
    lm = _model(tiny_qwen2_vl, docs, batch_size=1)
    full = lm.generate_until(_instances(docs, {"max_new_tokens": 8, "until": []}))[0]
    assert len(full) > 2
    stop = full[2:4]
    cut = lm.generate_until(_instances(docs, {"max_new_tokens": 8, "until": [stop]}))[0]
    assert cut == full[: full.index(stop)]
    with pytest.raises(ValueError, match="unsupported gen_kwargs"):
        lm.generate_until(_instances(docs, {"max_new_tokens": 8, "image_aspect_ratio": "pad"}))


def test_greedy_and_sampling_configs(tiny_qwen2_vl: Path, l1_docs: list[dict[str, Any]]) -> None:
    lm = _model(tiny_qwen2_vl, l1_docs[:1], batch_size=1)
    greedy = lm.generation_config({"max_new_tokens": 1024, "temperature": 0, "do_sample": False})
    assert greedy.do_sample is False and greedy.max_new_tokens == 1024
    paper = lm.generation_config({"temperature": 1, "do_sample": True, "max_new_tokens": 256})
    assert paper.do_sample is True and paper.temperature == 1.0 and paper.max_new_tokens == 256
    tuned = lm.generation_config({"temperature": "0.7", "top_p": "0.9", "top_k": "20", "min_new_tokens": 3})
    assert (tuned.temperature, tuned.top_p, tuned.top_k, tuned.min_new_tokens) == (0.7, 0.9, 20, 3)
    assert isinstance(tuned.top_k, int) and tuned.do_sample is True
    assert lm.generation_config({}).max_new_tokens == 1024  # the class default when the task sets none


def test_missing_video_names_sample_and_path(broken_root: Path) -> None:
    from lmms_eval_tasks.seedbench_r1_levels.utils import sample_to_doc

    sample = next(s for s in load_split(broken_root, "validation_L1").records if s.has_video)
    doc = sample_to_doc(sample, broken_root)
    Path(doc["video_path"]).unlink()
    doc["video_path"] = str(doc["video_path"])
    from seedbench_r1.protocol.qwen_inputs import prompt_from_visuals

    with pytest.raises(MediaError, match=rf"{sample.key}.*video not found: .*{sample.video_basename}"):
        prompt_from_visuals([doc["video_path"], load_observation(doc["image_path"])], "q", name=sample.key)


def test_model_args_and_cli_batch_size(tiny_qwen2_vl: Path) -> None:
    from lmms_eval_tasks.models.seedbench_r1_qwen_vl import SeedBenchR1QwenVL

    # lmms-eval always passes its own --batch_size beside model_args; model_args must win, not clash.
    lm = SeedBenchR1QwenVL.create_from_arg_string(
        f"pretrained={tiny_qwen2_vl},batch_size=3,device=cpu", {"batch_size": "1", "device": None}
    )
    assert lm.batch_size == 3 and lm.device == "cpu" and lm.model.dtype == torch.float32
    lm = SeedBenchR1QwenVL.create_from_arg_string(f"pretrained={tiny_qwen2_vl}", {"batch_size": "auto"})
    assert lm.batch_size == 8  # CPU default
    with pytest.raises(TypeError, match="unknown model_args"):
        SeedBenchR1QwenVL(pretrained=str(tiny_qwen2_vl), use_flash_attention_2=True)


def test_model_name_resolves_through_entry_point() -> None:
    from importlib.metadata import entry_points

    from lmms_eval.models import get_model

    # lmms-eval calls a callable payload with no arguments and wants a ModelManifest back.
    (ep,) = [e for e in entry_points(group="lmms_eval.models") if e.name == "seedbench_r1_qwen_vl"]
    assert ep.value == "lmms_eval_tasks.models.seedbench_r1_qwen_vl:manifest", (
        f"pyproject's lmms_eval.models entry point must name lmms_eval_tasks.models.seedbench_r1_qwen_vl:manifest, is {ep.value}"
        " (then reinstall: pip install -e .)"
    )

    from lmms_eval_tasks.models.seedbench_r1_qwen_vl import SeedBenchR1QwenVL

    assert get_model("seedbench_r1_qwen_vl") is SeedBenchR1QwenVL


def test_lmms_eval_evaluator_end_to_end(
    tiny_qwen2_vl: Path, fixture_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lmms_eval.evaluator import simple_evaluate
    from lmms_eval.tasks import TaskManager

    from lmms_eval_tasks.models.seedbench_r1_qwen_vl import SeedBenchR1QwenVL

    monkeypatch.setenv("SEEDBENCH_R1_ROOT", str(fixture_root))
    grids: list[list[list[int]] | None] = []
    real_batch_inputs = SeedBenchR1QwenVL.batch_inputs

    def spy(self: Any, prompts: Any) -> Any:  # records what the real method built, changes nothing
        inputs = real_batch_inputs(self, prompts)
        grid = inputs.get("video_grid_thw")
        grids.append(grid.tolist() if grid is not None else None)
        return inputs

    monkeypatch.setattr(SeedBenchR1QwenVL, "batch_inputs", spy)
    results = simple_evaluate(
        model="seedbench_r1_qwen_vl",
        model_args=f"pretrained={tiny_qwen2_vl},device=cpu,batch_size=4",
        tasks=[TASK],
        gen_kwargs="max_new_tokens=4",
        task_manager=TaskManager(include_path=str(TASKS_DIR)),
        log_samples=True,
    )
    n = len(load_split(fixture_root, "validation_L1").records)
    assert results is not None
    assert results["n-samples"][TASK]["effective"] == n
    assert 0.0 <= results["results"][TASK]["seedbench_r1_acc,none"] <= 1.0
    assert len(results["samples"][TASK]) == n
    # Two batches of 4; 7 of the 8 fixture rows have progress (16, 8, 4 and 2 frames -> t = 8, 4, 2, 1).
    assert len(grids) == 2
    flat = sorted(g for batch in grids if batch for g in batch)
    with_video = [s for s in load_split(fixture_root, "validation_L1").records if s.has_video]
    assert len(flat) == len(with_video)
    assert {g[0] for g in flat} == {8, 4, 2, 1} and all(g[1:] == [18, 18] for g in flat)
