"""extract-frames: cached pixels equal qwen-vl-utils' own decoding; resumable, atomic; Ray gives the same files.

That a verl row built from the cache gives the same processor inputs as one built from the clip (through the
recipe's dataset class, which reads the cache with ``load_cached_clip``) is tested in tests/verl_face/test_dataset.py
(``test_frame_cache_rows_give_the_same_inputs``).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from seedbench_r1 import SPLITS, load_split
from seedbench_r1.data.extract_frames import extract_frames
from seedbench_r1.protocol.constants import image_spec, video_spec
from seedbench_r1.protocol.errors import MediaError
from seedbench_r1.protocol.frame_cache import (
    CACHE_FORMAT,
    MANIFEST,
    cached_frame_paths,
    cached_image_for,
    cached_image_path,
    cached_video,
    cached_video_for,
    load_cached_clip,
    read_manifest,
)

ALL = list(SPLITS)


@pytest.fixture(scope="session")
def cache(fixture_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("frames_cache")
    summary = extract_frames(fixture_root, ALL, out, workers=1, progress=False)
    assert summary.ok, summary.failures
    assert summary.built > 0 and summary.cached == 0
    return out


@pytest.fixture
def qwen_decord(monkeypatch: pytest.MonkeyPatch):  # noqa: ANN201
    """qwen-vl-utils with decord as its reader (torchcodec is installed here but cannot load its FFmpeg
    libraries, and the torchvision fallback calls io.read_video, gone in torchvision 0.29)."""
    import qwen_vl_utils.vision_process as vp

    monkeypatch.setattr(vp, "get_video_reader_backend", lambda: "decord")
    return vp


def _png_stack(paths: list[Path]) -> torch.Tensor:
    return torch.stack([torch.from_numpy(np.array(Image.open(p))).permute(2, 0, 1) for p in paths]).float()


def _tree(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != MANIFEST
    }


def _videos_and_images(root: Path) -> tuple[set[str], set[str]]:
    videos, images = set(), set()
    for split in ALL:
        for r in load_split(root, split):
            media = getattr(r, "media", None)
            if media is None:
                media = ([("video", r.video_relpath)] if r.has_video else []) + [("image", r.image_relpath)]
            for kind, rel in media:
                (videos if kind == "video" else images).add(rel)
    return videos, images


def test_cached_pixels_equal_qwen_vl_utils_fetch_video(fixture_root: Path, cache: Path, qwen_decord) -> None:  # noqa: ANN001
    videos, images = _videos_and_images(fixture_root)
    assert len(videos) >= 6
    for rel in sorted(videos):
        ref, meta = qwen_decord.fetch_video(
            {"video": str(fixture_root / rel), **video_spec()}, return_video_metadata=True
        )
        assert meta["video_backend"] == "decord"  # no silent fallback to another reader
        cached = cached_video_for(fixture_root, rel, cache)
        assert cached is not None, rel
        assert torch.equal(_png_stack(cached.frames), ref), rel
        # the core's reader (what the recipe's verl dataset class calls) gives the same frames and metadata
        clip = load_cached_clip(cached)
        assert clip.frames.dtype == torch.uint8 and torch.equal(clip.frames.float(), ref), rel
        assert list(clip.indices) == list(meta["frames_indices"]), rel
        assert (clip.video_fps, clip.total_frames) == (meta["fps"], meta["total_num_frames"]), rel
    for rel in sorted(images):
        ref = np.array(qwen_decord.fetch_image({"image": str(fixture_root / rel), **image_spec()}))
        path = cached_image_for(fixture_root, rel, cache)
        assert path is not None and np.array_equal(np.array(Image.open(path)), ref), rel


def test_lookup_by_sample(fixture_root: Path, cache: Path) -> None:
    rows = list(load_split(fixture_root, "validation_L1"))
    with_video = next(r for r in rows if r.has_video)
    without = next(r for r in rows if not r.has_video)
    frames = cached_frame_paths(fixture_root, with_video, cache)
    assert frames and all(p.suffix == ".png" and p.is_file() for p in frames)
    assert cached_frame_paths(fixture_root, without, cache) is None
    assert cached_image_path(fixture_root, without, cache).is_file()
    assert cached_video(fixture_root, without, cache) is None
    # nothing cached in another folder
    assert cached_frame_paths(fixture_root, with_video, cache / "elsewhere") is None
    # the manifest carries what Qwen2.5-VL's time encoding needs
    manifest = json.loads((frames[0].parent / MANIFEST).read_text())
    assert manifest["rule"]["protocol_version"] >= 1 and manifest["sample_fps"] > 0
    assert len(manifest["indices"]) == len(frames) == len(manifest["frames"])
    assert manifest["files"] == manifest["frames"]  # PNGs only
    assert manifest["rule"]["cache_format"] == CACHE_FORMAT


def test_older_cache_format_is_rebuilt(fixture_root: Path, cache: Path, tmp_path: Path) -> None:
    """A format-1 entry (which also listed a lossless mp4) is stale: rebuilt as PNGs only, the mp4 gone. An
    unlisted stray file in a current entry does not affect its validity."""
    rel = "videos/Ego4D/ego_long_30fps.mp4"
    out = tmp_path / "cache"
    shutil.copytree(cache / rel, out / rel)
    old = out / rel
    (old / "lossless.mp4").write_bytes(b"\0" * 64)
    manifest = json.loads((old / MANIFEST).read_text())
    manifest["rule"]["cache_format"] = 1
    manifest["files"].append("lossless.mp4")
    manifest["file_bytes"].append(64)
    (old / MANIFEST).write_text(json.dumps(manifest))
    assert read_manifest(old) is None and cached_video_for(fixture_root, rel, out) is None
    summary = extract_frames(fixture_root, ["validation_L2"], out, workers=1, progress=False)  # uses rel
    assert summary.ok and summary.cached == 0
    assert not (old / "lossless.mp4").exists() and _tree(old) == _tree(cache / rel)
    (old / "notes.txt").write_text("stray")
    assert cached_video_for(fixture_root, rel, out) is not None


def test_core_reader_names_a_bad_frame(fixture_root: Path, cache: Path, tmp_path: Path) -> None:
    rel = "videos/Ego4D/ego_long_30fps.mp4"
    shutil.copytree(cache / rel, tmp_path / rel)
    cached = cached_video_for(fixture_root, rel, tmp_path)
    assert cached is not None
    cached.frames[3].write_bytes(cached.frames[3].read_bytes()[:100])  # corrupt after the lookup
    with pytest.raises(MediaError, match="frame_03.png"):
        load_cached_clip(cached)


def test_rerun_is_a_no_op(fixture_root: Path, cache: Path) -> None:
    before = {p: p.stat().st_mtime_ns for p in cache.rglob("*") if p.is_file()}
    summary = extract_frames(fixture_root, ALL, cache, workers=1, progress=False)
    assert (summary.built, len(summary.failures)) == (0, 0) and summary.cached == len(
        [p for p in cache.rglob(MANIFEST)]
    )
    assert {p: p.stat().st_mtime_ns for p in cache.rglob("*") if p.is_file()} == before


def test_interrupted_run_completes_without_duplicates(
    fixture_root: Path, cache: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    out = tmp_path / "cache"
    cmd = [sys.executable, "-m", "seedbench_r1", "extract-frames", "--root", str(fixture_root)]
    cmd += ["--splits", *ALL, "--out", str(out), "--workers", "1", "--no-progress"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and len(list(out.rglob(MANIFEST))) < 3 and proc.poll() is None:
            time.sleep(0.05)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    done_before = len(list(out.rglob(MANIFEST)))
    assert 3 <= done_before < len(list(cache.rglob(MANIFEST))), "the run was not interrupted part-way"

    # Plant the other ways an entry can be half-done: files without a manifest, a truncated frame, a stale rule.
    entries = sorted(p.parent for p in out.rglob(MANIFEST))
    video_entry = next(e for e in entries if (e / "frame_00.png").exists())
    (video_entry / "frame_00.png").write_bytes((video_entry / "frame_00.png").read_bytes()[:100])
    stale = next(e for e in entries if e != video_entry)
    manifest = json.loads((stale / MANIFEST).read_text())
    manifest["rule"]["protocol_version"] = 0
    (stale / MANIFEST).write_text(json.dumps(manifest))
    orphan = out / "videos" / "Ego4D" / "ego_mid_2997fps.mp4"
    shutil.rmtree(orphan, ignore_errors=True)
    orphan.mkdir(parents=True)
    (orphan / "frame_00.png").write_bytes(b"half")
    assert read_manifest(video_entry) is None and read_manifest(stale) is None

    # the rerun, in this process (the same CLI entry point, without a second interpreter start-up)
    from seedbench_r1.cli import main

    assert main(cmd[3:]) == 0
    out_text = capsys.readouterr().out
    assert "0 failed" in out_text
    # complete, identical to an uninterrupted run, nothing extra (no temp folders, no duplicate frames)
    assert _tree(out) == _tree(cache)
    assert not [p for p in out.rglob("*") if ".tmp-" in p.name or ".old-" in p.name]


def test_failures_are_summarised(broken_root: Path, tmp_path: Path) -> None:
    rows = [json.loads(line) for line in (broken_root / "annotations" / "validation_L1.jsonl").open()]
    target = next(r for r in rows if r["task_progress_metadata"])
    target["video_basename"] = "one_frame.mp4"  # too short for the frame rule
    (broken_root / "annotations" / "validation_L1.jsonl").write_text(
        "".join(json.dumps(r) + "\n" for r in rows)
    )
    (broken_root / "images" / rows[2]["video_source"] / rows[2]["current_observation_basename"]).unlink()
    summary = extract_frames(broken_root, ["validation_L1"], tmp_path / "c", workers=1, progress=False)
    reasons = dict(summary.failures)
    assert "at least 2 frames" in reasons["videos/EpicKitchens/one_frame.mp4"]
    assert (
        "not found" in reasons[f"images/{rows[2]['video_source']}/{rows[2]['current_observation_basename']}"]
    )
    assert summary.built > 0 and not summary.ok
    assert not [p for p in (tmp_path / "c").rglob("*") if ".tmp-" in p.name]


def test_ray_gives_the_same_files(fixture_root: Path, cache: Path, tmp_path: Path) -> None:
    ray = pytest.importorskip("ray")
    out = tmp_path / "ray_cache"
    try:
        ray.init(num_cpus=1, include_dashboard=False, log_to_driver=False)
        summary = extract_frames(fixture_root, ["validation_L2"], out, use_ray=True, progress=False)
    finally:
        ray.shutdown()
    assert summary.ok and summary.built == len(list(out.rglob(MANIFEST))) >= 6
    ours = _tree(out)
    assert any(k.startswith("videos/") for k in ours)
    assert ours == {k: v for k, v in _tree(cache).items() if k in ours}
    # and nothing of L2 is missing from the Ray run
    again = extract_frames(fixture_root, ["validation_L2"], out, workers=1, progress=False)
    assert again.built == 0 and again.cached == summary.built


def test_png_frame_list_is_altered_by_qwen_vl_utils_0_0_14(
    fixture_root: Path, cache: Path, qwen_decord
) -> None:  # noqa: ANN001
    """Why verl reads cache rows through verl_recipe.dataset.SeedBenchRLHFDataset (the core reader), not stock
    qwen-vl-utils: a 252px frame list goes 252 -> 224 -> 252 inside fetch_video (patch size doubled in its
    fetch_image call), and its metadata is made up. If this starts failing, qwen-vl-utils fixed it."""
    rel = "videos/Ego4D/ego_long_30fps.mp4"
    cached = cached_video_for(fixture_root, rel, cache)
    as_list, meta = qwen_decord.fetch_video(
        {"video": [str(p) for p in cached.frames], **video_spec()}, return_video_metadata=True
    )
    assert as_list.shape == (16, 3, 252, 252)
    assert not torch.equal(as_list, load_cached_clip(cached).frames.float())
    assert meta["frames_indices"] != cached.indices  # 0..15, not the clip's sampled indices


def test_truncated_frame_is_caught_when_pil_accepts_truncated_images(
    fixture_root: Path, cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """lmms-eval's task module sets PIL's LOAD_TRUNCATED_IMAGES on import; a cut PNG must still be refused."""
    from PIL import ImageFile

    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    rel = "videos/Ego4D/ego_long_30fps.mp4"
    shutil.copytree(cache / rel, tmp_path / rel)
    cached = cached_video_for(fixture_root, rel, tmp_path)
    assert cached is not None
    data = cached.frames[5].read_bytes()
    cached.frames[5].write_bytes(data[: len(data) // 2])
    with pytest.raises(MediaError, match="frame_05.png.*truncated PNG"):
        load_cached_clip(cached)
