"""The frame cache for LongVideoBench: ``extract-frames --dataset longvideobench`` and the ``longvideobench_r1``
task reading it through the project's model class.

The reference is always the decoded clip (``decode_clip`` on the plain path): a cached doc must give the model
the same frames (``torch.equal``), indices, fps and frame count, and the same processor inputs; an entry that is
not valid must be decoded instead, with one line naming it.
"""

from __future__ import annotations

import json
import os
import pickle
import shutil
import types
from pathlib import Path
from typing import Any

import pytest
import torch

from seedbench_r1.longvideobench.loader import load_lvb
from seedbench_r1.protocol.frame_cache import MANIFEST, CachedClipPath, read_manifest
from seedbench_r1.protocol.frames import decode_clip

TASK, SPLIT = "longvideobench_r1", "test"
# The fixture's clips and their protocol frame counts (lvb_fixture.CLIPS: capped, in between, raised to 4).
FRAMES = {"videos/lvbLong30fps.mp4": 16, "videos/lvbMid25fps.mp4": 12, "videos/lvbShort2997.mp4": 4}


def _extract(root: Path, *more: str) -> list[str]:
    """``extract-frames --dataset longvideobench`` argv (one worker, no progress bar)."""
    return ["extract-frames", "--dataset", "longvideobench", "--root", str(root), "--workers", "1", *more]


@pytest.fixture(scope="module")
def lvb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A LongVideoBench fixture root whose default cache (<root>/frames) the CLI has built."""
    from seedbench_r1.cli import main
    from seedbench_r1.longvideobench.fixture import make_lvb_fixture

    root = tmp_path_factory.mktemp("lvb_frames") / "LongVideoBench"
    make_lvb_fixture(root)
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("LONGVIDEOBENCH_FRAMES", raising=False)
        assert main(_extract(root, "--no-progress")) == 0
    return root


@pytest.fixture(autouse=True)
def _default_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LONGVIDEOBENCH_FRAMES", raising=False)


def _docs(root: Path) -> list[dict[str, Any]]:
    """The docs as lmms-eval holds them: through process_docs' Arrow round trip."""
    import datasets

    from lmms_eval_tasks.longvideobench_r1.utils import load_docs

    return [dict(row) for row in datasets.Dataset.from_list(load_docs(root))]


def _model_prompt(docs: list[dict[str, Any]], doc_id: int) -> Any:
    """The model class's own request -> VisionPrompt step (``_prompt``), without loading a model."""
    from lmms_eval_tasks.longvideobench_r1.utils import doc_to_text, doc_to_visual
    from lmms_eval_tasks.models.seedbench_r1_qwen_vl import SeedBenchR1QwenVL

    lm = types.SimpleNamespace(task_dict={TASK: {SPLIT: docs}})
    args = (doc_to_text(docs[doc_id]), {}, doc_to_visual, doc_id, TASK, SPLIT)
    return SeedBenchR1QwenVL._prompt(lm, args)


def _decoded_prompt(doc: dict[str, Any]) -> Any:
    from lmms_eval_tasks.longvideobench_r1.utils import doc_to_text
    from seedbench_r1.protocol.qwen_inputs import prompt_from_visuals

    return prompt_from_visuals([str(doc["video_path"])], doc_to_text(doc), name=f"{TASK}:ref")


def _assert_same_clip(got: Any, want: Any) -> None:
    assert got.frames.dtype == torch.uint8 and torch.equal(got.frames, want.frames)
    assert (got.indices, got.total_frames, got.video_fps, got.sample_fps) == (
        want.indices,
        want.total_frames,
        want.video_fps,
        want.sample_fps,
    )
    assert got.video_metadata() == want.video_metadata()


def _no_decoding(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError(f"decoded {args[0]} although its cache entry is valid")

    monkeypatch.setattr("seedbench_r1.protocol.frames.decode_clip", refuse)


def test_extract_frames_caches_every_clip(lvb: Path, capsys: pytest.CaptureFixture) -> None:
    cache = lvb / "frames"
    entries = {str(p.parent.relative_to(cache)): p.parent for p in cache.rglob(MANIFEST)}
    assert set(entries) == set(FRAMES) == {q.video_relpath for q in load_lvb(lvb)}
    assert not (cache / "images").exists()  # LongVideoBench has no observation images
    for rel, entry in entries.items():
        manifest = read_manifest(entry, lvb / rel)
        assert manifest is not None and manifest["kind"] == "video" and manifest["source"] == rel
        assert len(manifest["frames"]) == len(manifest["indices"]) == FRAMES[rel]
        assert manifest["indices"] == list(decode_clip(lvb / rel).indices)
    # a rerun reuses them all
    from seedbench_r1.cli import main

    assert main(_extract(lvb, "--no-progress")) == 0
    assert "12 questions, 0 entries written, 3 already cached, 0 failed" in capsys.readouterr().out


def test_out_and_env_name_the_same_cache(lvb: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """--out writes elsewhere; LONGVIDEOBENCH_FRAMES is where both the CLI (no --out) and the task look."""
    from lmms_eval_tasks.longvideobench_r1.utils import FRAMES_KEY, doc_to_visual
    from seedbench_r1.cli import main

    out = tmp_path / "elsewhere"
    assert main(_extract(lvb, "--no-progress", "--out", str(out))) == 0
    assert {str(p.parent.relative_to(out)) for p in out.rglob(MANIFEST)} == set(FRAMES)
    monkeypatch.setenv("LONGVIDEOBENCH_FRAMES", str(out))
    docs = _docs(lvb)
    assert all(d[FRAMES_KEY].startswith(str(out)) for d in docs)
    assert all(isinstance(doc_to_visual(d)[0], CachedClipPath) for d in docs)
    monkeypatch.setenv("LONGVIDEOBENCH_FRAMES", str(tmp_path / "empty"))  # no cache there: plain paths
    assert all(type(doc_to_visual(d)[0]) is str for d in _docs(lvb))


def test_model_class_prompt_from_the_cache_equals_decoding(
    lvb: Path, tiny_qwen2_5_vl: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from transformers import AutoProcessor

    from lmms_eval_tasks.longvideobench_r1.utils import doc_to_visual
    from seedbench_r1.protocol.qwen_inputs import processor_inputs

    docs = _docs(lvb)
    assert len(docs) == 12
    want = [_decoded_prompt(d) for d in docs]  # the reference: every clip decoded
    for doc in docs:
        (visual,) = doc_to_visual(doc)
        # a stock lmms-eval model sees the plain path
        assert isinstance(visual, CachedClipPath) and isinstance(visual, str) and visual == doc["video_path"]
        assert os.fspath(visual) == doc["video_path"] and Path(visual) == Path(doc["video_path"])
        again = pickle.loads(pickle.dumps(visual))
        assert (type(again), again, again.entry) == (CachedClipPath, visual, visual.entry)

    _no_decoding(monkeypatch)  # from here on, a clip that is decoded fails the test
    got = [_model_prompt(docs, i) for i in range(len(docs))]
    for g, w in zip(got, want, strict=True):
        assert (g.image, w.image) == (None, None) and g.text == w.text and g.messages() == w.messages()
        _assert_same_clip(g.clip, w.clip)
    assert {g.clip.frames.shape[0] for g in got} == set(FRAMES.values())

    processor = AutoProcessor.from_pretrained(tiny_qwen2_5_vl)
    a, b = processor_inputs(processor, got), processor_inputs(processor, want)
    assert set(a) == set(b) and "second_per_grid_ts" in a
    for key in a:
        assert torch.equal(torch.as_tensor(a[key]), torch.as_tensor(b[key])), key


def _private_cache(lvb: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    copy = tmp_path / "frames"
    shutil.copytree(lvb / "frames", copy)  # copy2: times kept, so the copy's entries are valid as they are
    monkeypatch.setenv("LONGVIDEOBENCH_FRAMES", str(copy))
    return copy


@pytest.mark.parametrize("damage", ["stale-rule", "edited-frame", "unreadable-frame", "replaced-clip"])
def test_an_entry_that_is_not_valid_is_decoded(
    lvb: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture, damage: str
) -> None:
    """Fallback, not failure: decoding is what the cache reproduces, so the inputs stay the same; one line on
    stderr names the entry and why. The other clips still come from the cache."""
    root = lvb
    if damage == "replaced-clip":  # a private root whose clip is replaced by another (other size)
        root = tmp_path / "root"
        shutil.copytree(lvb, root)
        shutil.copy2(root / "videos/lvbMid25fps.mp4", root / "videos/lvbLong30fps.mp4")
    cache = _private_cache(root, tmp_path, monkeypatch)
    entry = cache / "videos/lvbLong30fps.mp4"
    frame = entry / "frame_03.png"
    if damage == "stale-rule":
        manifest = json.loads((entry / MANIFEST).read_text())
        manifest["rule"]["protocol_version"] = 0
        (entry / MANIFEST).write_text(json.dumps(manifest))
        why = "stale"
    elif damage == "edited-frame":  # in place, same size: its mtime moves, so its sha256 is checked
        data = bytearray(frame.read_bytes())
        data[200] ^= 0xFF
        frame.write_bytes(bytes(data))
        why = "corrupt"
    elif damage == "unreadable-frame":  # same size and mtime: passes the stat check, fails the read
        st = frame.stat()
        frame.write_bytes(b"\0" * st.st_size)
        os.utime(frame, ns=(st.st_atime_ns, st.st_mtime_ns))
        why = "truncated PNG"
    else:
        why = "source-changed"
    docs = _docs(root)
    capsys.readouterr()
    want = {d["id"]: _decoded_prompt(d) for d in docs}

    decoded: list[str] = []
    real = decode_clip

    def counting(path: Any, **kwargs: Any) -> Any:
        decoded.append(str(path))
        return real(path, **kwargs)

    monkeypatch.setattr("seedbench_r1.protocol.frames.decode_clip", counting)
    for i, doc in enumerate(docs):
        _assert_same_clip(_model_prompt(docs, i).clip, want[doc["id"]].clip)
    long_docs = [d for d in docs if d["video_path"].endswith("lvbLong30fps.mp4")]
    assert decoded == [d["video_path"] for d in long_docs]  # only the damaged clip, every time
    err = capsys.readouterr().err
    assert err.count(f"frame cache entry {entry} not used") == 1 and why in err  # once per entry


def test_load_docs_reports_the_cache(
    lvb: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:  # noqa: ANN001
    from lmms_eval_tasks.longvideobench_r1.utils import load_docs

    load_docs(lvb)
    assert f"frame cache {lvb / 'frames'}: 3 of 3 clips cached" in capsys.readouterr().err
    cache = _private_cache(lvb, tmp_path, monkeypatch)
    shutil.rmtree(cache / "videos/lvbShort2997.mp4")
    load_docs(lvb)
    assert "2 of 3 clips cached; the other 1 are decoded" in capsys.readouterr().err
    monkeypatch.setenv("LONGVIDEOBENCH_FRAMES", str(tmp_path / "none"))
    load_docs(lvb)
    assert "frame cache" not in capsys.readouterr().err  # no cache folder: nothing to say


def test_splits_are_refused_for_longvideobench(
    lvb: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    from seedbench_r1.cli import main
    from seedbench_r1.data.extract_frames import extract_frames

    out = tmp_path / "c"
    assert main(_extract(lvb, "--out", str(out), "--splits", "validation_L1")) == 2
    err = capsys.readouterr().err
    assert "--splits" in err and "longvideobench" in err and "drop --splits" in err
    assert not out.exists()
    with pytest.raises(ValueError, match="splits are SEED-Bench-R1 annotation files"):
        extract_frames(lvb, ["validation_L1"], out, dataset="longvideobench", progress=False)
    with pytest.raises(ValueError, match="unknown dataset"):
        extract_frames(lvb, None, out, dataset="lvb", progress=False)
    assert not out.exists()
