"""What lmms-eval 0.7.3's stock backends send the model for the SEED-Bench-R1 tasks (tiny Qwen2-VL, CPU).

These tests record facts for the per-backend table in docs/lmms_eval.md: a wrapper on the processor call
records what the backend handed the processor, and a forward pre-hook on the real transformers model records
the grids that reached it. Expected frame counts come from the core's frame rule on each clip.

Environment notes (this machine and CI): torchcodec is installed but cannot load FFmpeg, so
qwen-vl-utils is pointed at decord (FORCE_QWENVL_VIDEO_READER) and transformers' path loader at PyAV. Both
only pick the decoder; which frames are read is the backends' own rule.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from lmms_eval_tasks import tasks_path
from seedbench_r1.protocol.frames import frame_count, probe_clip

# One row per case: mid clip (8 frames under the protocol), long clip (16), a 3-frame clip (2), no progress.
ROW_IDS = (107, 100, 121, 135)


@pytest.fixture(scope="module")
def small_root(fixture_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("backend_root") / "root"
    shutil.copytree(fixture_root, root)
    path = root / "annotations" / "validation_L1.jsonl"
    rows = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]
    # The mid clip first: the huggingface backend stops after its first doc and decodes every frame of it.
    keep = sorted((r for r in rows if r["sample_id"] in ROW_IDS), key=lambda r: ROW_IDS.index(r["sample_id"]))
    assert len(keep) == len(ROW_IDS)
    path.write_text("".join(json.dumps(r) + "\n" for r in keep), encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def cases(small_root: Path) -> dict[int, dict[str, Any]]:
    """Per row: its question text (to recognise it in the processor's text) and the protocol's frame count."""
    from lmms_eval_tasks.seedbench_r1_levels.utils import load_docs

    out = {}
    for doc in load_docs("validation_L1", small_root):
        frames = frame_count(*probe_clip(doc["video_path"])) if doc["video_path"] else 0
        out[doc["sample_id"]] = {
            "question": doc["question"],
            "choice_a": doc["choice_a"],
            "video_path": doc["video_path"],
            "frames": frames,
        }
    assert sorted(c["frames"] for c in out.values()) == [0, 2, 8, 16]
    return out


class RecordingProcessor:
    """Delegates to the real processor; records each call's media and the grids it produced."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self.calls: list[dict[str, Any]] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        out = self._inner(*args, **kwargs)
        grid = out.get("video_grid_thw")
        self.calls.append(
            {
                "text": "\n".join(kwargs.get("text") or []),
                "videos": list(kwargs.get("videos") or []),
                "images": list(kwargs.get("images") or []),
                "video_grid": [tuple(g) for g in grid.tolist()] if grid is not None else [],
                "image_grid": [tuple(g) for g in out["image_grid_thw"].tolist()],
            }
        )
        return out


def record_model_inputs(model: Any) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []

    def hook(_module: Any, _args: Any, kwargs: dict[str, Any]) -> None:
        if kwargs.get("pixel_values") is None and kwargs.get("pixel_values_videos") is None:
            return  # later decoding steps carry no pixels
        seen.append(
            {
                k: [tuple(g) for g in kwargs[k].tolist()] if kwargs.get(k) is not None else []
                for k in ("image_grid_thw", "video_grid_thw")
            }
        )

    model.register_forward_pre_hook(hook, with_kwargs=True)
    return seen


def case_of(call: dict[str, Any], cases: dict[int, dict[str, Any]]) -> int:
    hits = [
        sid for sid, c in cases.items() if c["question"] in call["text"] and c["choice_a"] in call["text"]
    ]
    assert len(hits) == 1, hits
    return hits[0]


def evaluate(lm: Any, root: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    from lmms_eval.evaluator import simple_evaluate
    from lmms_eval.tasks import TaskManager

    monkeypatch.setenv("SEEDBENCH_R1_ROOT", str(root))
    tm = TaskManager(include_path=str(tasks_path()), include_defaults=False)
    return simple_evaluate(
        model=lm, tasks=["seedbench_r1_l1"], task_manager=tm, gen_kwargs="max_new_tokens=2"
    )


def clip_calls(
    lm: Any, root: Path, cases: dict[int, dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> list[tuple[dict[str, Any], dict[str, Any], dict[str, Any]]]:
    """Runs ``lm`` over the rows through lmms-eval, recording what reaches its processor and its model; checks
    that every row ran and that the observation image arrived as the task's 252 x 252 PIL image (18 x 18
    patches), and that rows without a clip sent none. Returns (case, processor call, model inputs) of the rows
    with a clip."""
    recorder = RecordingProcessor(lm.processor)
    monkeypatch.setattr(lm, "processor", recorder)
    seen = record_model_inputs(lm.model)
    out = evaluate(lm, root, monkeypatch)
    assert out["n-samples"]["seedbench_r1_l1"]["effective"] == len(ROW_IDS)
    assert len(recorder.calls) == len(ROW_IDS) == len(seen)
    with_clip = []
    for call, model_saw in zip(recorder.calls, seen, strict=True):
        case = cases[case_of(call, cases)]
        assert [im.size for im in call["images"]] == [(252, 252)]
        assert call["image_grid"] == [(1, 18, 18)] == model_saw["image_grid_thw"]
        if case["frames"] == 0:
            assert call["videos"] == [] and model_saw["video_grid_thw"] == []
        else:
            with_clip.append((case, call, model_saw))
    assert with_clip, "no row with a clip reached the backend"
    return with_clip


def test_qwen2_vl_closest_model_args(
    tiny_qwen2_vl: Path, small_root: Path, cases: dict[int, dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    import qwen_vl_utils.vision_process as vp
    from lmms_eval.models.simple.qwen2_vl import Qwen2_VL

    monkeypatch.setattr(vp, "FORCE_QWENVL_VIDEO_READER", "decord")
    # max_num_frames=16 is the protocol's cap; device args because its device_map defaults to cuda.
    lm = Qwen2_VL(pretrained=str(tiny_qwen2_vl), device="cpu", device_map="cpu", max_num_frames=16)
    for case, call, model_saw in clip_calls(lm, small_root, cases, monkeypatch):
        # the clip: as many frames as the protocol on these clips, but the 456 x 256 aspect is kept
        # (252 x 448 -> 18 x 32 patches) where the protocol squares it to 252 x 252 (18 x 18).
        (video,) = call["videos"]
        assert tuple(video.shape[1:]) == (3, 252, 448)
        assert video.shape[0] == case["frames"]
        assert call["video_grid"] == [(case["frames"] // 2, 18, 32)] == model_saw["video_grid_thw"]


def test_huggingface_backend_with_qwen2_vl(
    tiny_qwen2_vl: Path, small_root: Path, cases: dict[int, dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    import transformers.video_processing_utils as vpu
    from lmms_eval.models.chat.huggingface import Huggingface
    from transformers.video_utils import load_video

    def fetch_with_pyav(self: Any, video: Any, sample_indices_fn: Any = None) -> Any:
        if isinstance(video, list):
            return list(zip(*[fetch_with_pyav(self, v, sample_indices_fn) for v in video], strict=True))
        return load_video(video, backend="pyav", sample_indices_fn=sample_indices_fn)

    monkeypatch.setattr(vpu.BaseVideoProcessor, "fetch_videos", fetch_with_pyav)
    lm = Huggingface(pretrained=str(tiny_qwen2_vl), device="cpu", device_map="cpu")
    # Fact: the backend picks AutoModel for Qwen2-VL (its type check compares a model-type string with config
    # classes), which has no language-model head and no generate().
    assert type(lm.model).__name__ == "Qwen2VLModel"
    recorder = RecordingProcessor(lm.processor)
    monkeypatch.setattr(lm, "processor", recorder)

    with pytest.raises(AttributeError, match="generate"):
        evaluate(lm, small_root, monkeypatch)

    # What it sent before failing: the raw clip path (decoded whole by the processor) and the PIL image.
    (call,) = recorder.calls
    sid = case_of(call, cases)
    assert [im.size for im in call["images"]] == [(252, 252)]
    assert call["image_grid"] == [(1, 18, 18)]
    if cases[sid]["frames"]:
        (video,) = call["videos"]
        assert isinstance(video, str) and video.endswith(".mp4")
        total, _fps = probe_clip(video)
        # every frame of the clip, aspect kept: no 2 fps sampling, no 16-frame cap
        assert call["video_grid"] == [(total // 2, 18, 32)]


def test_qwen2_5_vl_closest_model_args(
    tiny_qwen2_5_vl: Path, small_root: Path, cases: dict[int, dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    import qwen_vl_utils.vision_process as vp
    from lmms_eval.models.chat.qwen2_5_vl import Qwen2_5_VL

    monkeypatch.setattr(vp, "FORCE_QWENVL_VIDEO_READER", "decord")
    # min_pixels 3136 keeps the 252 x 252 image from being upscaled (default 200704); max_pixels 112896 keeps
    # the 456 x 256 frames at 252 rows; max_num_frames 16 is the protocol's cap.
    lm = Qwen2_5_VL(
        pretrained=str(tiny_qwen2_5_vl),
        device="cpu",
        device_map="cpu",
        min_pixels=3136,
        max_pixels=112896,
        max_num_frames=16,
    )
    for case, call, model_saw in clip_calls(lm, small_root, cases, monkeypatch):
        (video,) = call["videos"]
        total, _fps = probe_clip(case["video_path"])
        # uniform min(16, total) frames (even), whatever the clip's duration: the 4 s clip gets 16, not 8
        expected = max(2, min(16, total) // 2 * 2)
        assert tuple(video.shape) == (expected, 3, 252, 448)
        assert call["video_grid"] == [(expected // 2, 18, 32)] == model_saw["video_grid_thw"]
