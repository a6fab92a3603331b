"""Per-sample preparation time of 16 frames + the observation image at 252 x 252, three ways.

(a) qwen-vl-utils' own video path as verl's rollout workers use it: ``fetch_video({"video": clip,
    **video_spec()})`` + ``fetch_image`` (reader forced to decord: torchcodec is preferred by qwen-vl-utils but
    needs system FFmpeg libraries, and its torchvision fallback is gone in torchvision 0.29);
(b) the project's decoder: ``decode_clip`` + ``load_observation``;
(c) the frame cache as the recipe reads a cache row: ``SeedBenchRLHFDataset._decode_media`` on the
    row's ``videos`` / ``images`` entries (``verl_recipe.media``), i.e. the core reader
    ``frame_cache.load_cached_clip`` for the frames + qwen-vl-utils' ``fetch_image`` on the cached PNG;
    (c-core) the core reader alone + the cached image opened with PIL.

Clips are generated with PyAV/libx264 (456 x 256, 30 fps, 30-120 s, default GOP and B-frames like real
footage). Run: ``.venv/bin/python benchmarks/frames_bench.py [--clips 4] [--repeats 3]``.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import numpy as np


def make_clip(path: Path, seconds: int, seed: int) -> None:
    import av

    rng = np.random.default_rng(seed)
    w, h, fps = 456, 256, 30
    base = rng.integers(0, 256, size=(h, 2 * w, 3), dtype=np.uint8)
    base = (base.astype(np.uint16) + np.roll(base, 1, axis=1)) // 2  # some spatial correlation
    base = base.astype(np.uint8)
    with av.open(str(path), "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=Fraction(fps))
        stream.width, stream.height, stream.pix_fmt = w, h, "yuv420p"
        stream.options = {"preset": "veryfast", "crf": "23"}
        for i in range(seconds * fps):
            x = (i * 3) % w
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(base[:, x : x + w]), format="rgb24")
            frame.pts = i
            frame.time_base = Fraction(1, fps)
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))


def make_bench_root(root: Path, clips: int) -> list:
    """A dataset root with ``clips`` generated clips (30-120 s) and observation images; their samples."""
    from PIL import Image

    from seedbench_r1.protocol.schema import ProgressStep, Sample

    (root / "annotations").mkdir()
    (root / "videos" / "EpicKitchens").mkdir(parents=True)
    (root / "images" / "EpicKitchens").mkdir(parents=True)
    lengths = [int(30 + i * 90 / max(1, clips - 1)) for i in range(clips)]
    samples = []
    t0 = time.perf_counter()
    for i, seconds in enumerate(lengths):
        make_clip(root / "videos" / "EpicKitchens" / f"c{i}.mp4", seconds, i)
        img = np.random.default_rng(100 + i).integers(0, 256, size=(256, 456, 3), dtype=np.uint8)
        Image.fromarray(img).save(root / "images" / "EpicKitchens" / f"c{i}.png")
        samples.append(
            Sample(
                split="bench",
                sample_id=i,
                video_source="EpicKitchens",
                video_basename=f"c{i}.mp4",
                current_observation_basename=f"c{i}.png",
                question="q",
                task_goal="",
                video_id="",
                task_progress=(ProgressStep("step", 0, 1),),  # non-empty: the sample has a clip
            )
        )
    print(
        f"generated {len(lengths)} clips ({', '.join(f'{s}s' for s in lengths)}) in {time.perf_counter() - t0:.1f}s"
    )
    return samples


def build_cache(root: Path, samples: list) -> Path:
    """The frame cache of every clip and image of ``samples`` (what ``seedbench-r1 extract-frames`` builds)."""
    from seedbench_r1.data.extract_frames.build import Task, build_entry
    from seedbench_r1.protocol.frame_cache import default_cache_dir, entry_dir

    cache = default_cache_dir(root)
    t0 = time.perf_counter()
    for s in samples:
        for kind, rel in (("video", s.video_relpath), ("image", s.image_relpath)):
            result = build_entry(Task(kind, rel, str(root / rel), str(entry_dir(cache, rel))))
            assert result.ok, result.reason
    print(f"built the cache in {time.perf_counter() - t0:.2f}s ({len(samples)} clips + images)")
    return cache


def recipe_messages(root: Path, samples: list, cache: Path | None) -> dict:
    """Each sample's chat messages with the media entries prepare-verl writes (cache rows when ``cache``)."""
    from verl_recipe.media import MediaLayout, image_entry, video_entry

    layout = MediaLayout.make(root, frame_cache=cache)
    return {
        s.sample_id: [
            {
                "role": "user",
                "content": [
                    {"type": "video", **video_entry(s.video_relpath, layout)},
                    {"type": "image", **image_entry(s.image_relpath, layout)},
                    {"type": "text", "text": "q"},
                ],
            }
        ]
        for s in samples
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=4, help="clips, lengths spread over 30-120 s")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    import torch

    torch.set_num_threads(1)  # one rollout worker's view; the cache's win does not depend on threads
    import qwen_vl_utils.vision_process as vp
    from omegaconf import OmegaConf
    from PIL import Image

    from seedbench_r1.protocol.constants import image_spec, video_spec
    from seedbench_r1.protocol.frame_cache import cached_image_path, cached_video, load_cached_clip
    from seedbench_r1.protocol.frames import decode_clip, load_observation
    from seedbench_r1.protocol.schema import Sample

    vp.get_video_reader_backend = lambda: "decord"

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        samples = make_bench_root(root, args.clips)
        cache = build_cache(root, samples)

        def way_a(s: Sample) -> None:
            v = vp.fetch_video({"video": str(s.video_path(root)), **video_spec()})
            vp.fetch_image({"image": str(s.image_path(root)), **image_spec()})
            assert v.shape[0] == 16

        def way_b(s: Sample) -> None:
            clip = decode_clip(s.video_path(root))
            load_observation(s.image_path(root))
            assert clip.frames.shape[0] == 16

        # Cache lookups happen once, when the verl parquet is written (the same entries prepare-verl writes);
        # rollout workers only read the entries.
        from verl_recipe.dataset import SeedBenchRLHFDataset

        messages = recipe_messages(root, samples, cache)
        lookups = {s.sample_id: (cached_video(root, s), cached_image_path(root, s)) for s in samples}
        config = OmegaConf.create({})

        def way_c(s: Sample) -> None:
            # one rollout's read, without the per-prompt reuse (media_cost_bench.py measures that)
            images, videos, _ = SeedBenchRLHFDataset._decode_media(messages[s.sample_id], 14, config)
            assert videos[0][0].shape == (16, 3, 252, 252) and images[0].size == (252, 252)

        def way_c_core(s: Sample) -> None:
            video, image = lookups[s.sample_id]
            clip = load_cached_clip(video)
            with Image.open(image) as img:
                img.convert("RGB")
            assert clip.frames.shape[0] == 16

        ways = {
            "a qwen-vl-utils": way_a,
            "b project decoder": way_b,
            "c cache (recipe)": way_c,
            "c cache (core reader)": way_c_core,
        }
        for fn in ways.values():  # warm-up: library loading is not per-sample cost
            fn(samples[0])
        times: dict[str, list[float]] = {name: [] for name in ways}
        for _ in range(args.repeats):
            for s in samples:
                for name, fn in ways.items():
                    t = time.perf_counter()
                    fn(s)
                    times[name].append(time.perf_counter() - t)
        med = {name: statistics.median(v) for name, v in times.items()}
        print(f"per-sample median over {len(samples)} clips x {args.repeats} repeats (1 torch thread):")
        for name, m in med.items():
            print(f"  {name:22s} {m * 1000:9.1f} ms   (a)/this = {med['a qwen-vl-utils'] / m:6.1f}x")
        ok_c = med["a qwen-vl-utils"] / med["c cache (recipe)"] >= 10
        ok_b = med["b project decoder"] <= med["a qwen-vl-utils"] * 1.05
        print(f"target (c) >= 10x faster than (a): {'met' if ok_c else 'NOT met'}")
        print(f"target (b) no slower than (a) (5% noise): {'met' if ok_b else 'NOT met'}")


if __name__ == "__main__":
    main()
