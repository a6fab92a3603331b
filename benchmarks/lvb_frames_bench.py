"""Per-question time to get a LongVideoBench clip's 16 protocol frames to the model, decoded vs read from the
frame cache, as the ``longvideobench_r1`` task and the project's model class do it.

(a) decode: ``prompt_from_visuals([clip path], text)``, the model class's step on a plain path
    (``decode_clip``: decord, protocol indices, 252 x 252);
(b) cache: ``prompt_from_visuals(doc_to_visual(doc), text)`` on the task's doc once
    ``extract-frames --dataset longvideobench`` has cached the clip (the per-question entry check, a stat of every
    file, then ``load_cached_clip`` on the 16 PNGs); every prompt is checked equal to (a) (``torch.equal``).

Clips are generated with ``make_clip`` from benchmarks/frames_bench.py (PyAV/libx264, 456 x 256, 30 fps, default
GOP and B-frames), ``--minutes`` long each, under a LongVideoBench root (``lvb_val.json`` + ``videos/``); the cache is
built with the real ``extract_frames(..., dataset="longvideobench")``. One torch thread (one decode worker's
view), page cache warm (each way is run once before timing). Run:
``.venv/bin/python benchmarks/lvb_frames_bench.py [--minutes 5 10] [--repeats 3]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path


def make_lvb_root(root: Path, minutes: list[float]) -> None:
    """A LongVideoBench root with one generated clip per entry of ``minutes`` and one question per clip."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from frames_bench import make_clip

    (root / "videos").mkdir(parents=True)
    rows = []
    t0 = time.perf_counter()
    for i, length in enumerate(minutes):
        name = f"long{i}.mp4"
        make_clip(root / "videos" / name, int(length * 60), i)
        rows.append(
            {
                "id": f"long{i}_0",
                "video_id": f"long{i}",
                "video_path": name,
                "question": "What happens first?",
                "candidates": ["a", "b", "c", "d"],
                "correct_choice": 0,
                "duration_group": 600 if length * 60 <= 600 else 3600,
                "duration": length * 60,
                "question_category": "TOS",
                "level": "L2-Relation",
            }
        )
    (root / "lvb_val.json").write_text(json.dumps(rows, indent=1) + "\n")
    size = sum(p.stat().st_size for p in (root / "videos").iterdir()) / 1e6
    print(
        f"generated {len(minutes)} clips ({', '.join(f'{m:g} min' for m in minutes)}, 456 x 256, 30 fps, "
        f"{size:.0f} MB) in {time.perf_counter() - t0:.1f}s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--minutes", type=float, nargs="+", default=[5.0, 10.0], help="clip lengths (minutes)"
    )
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    import torch

    torch.set_num_threads(1)
    from lmms_eval_tasks.longvideobench_r1.utils import doc_to_text, doc_to_visual, load_docs
    from seedbench_r1.data.extract_frames import extract_frames
    from seedbench_r1.protocol.frame_cache import CachedClipPath
    from seedbench_r1.protocol.qwen_inputs import prompt_from_visuals

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "LongVideoBench"
        make_lvb_root(root, args.minutes)
        summary = extract_frames(root, None, dataset="longvideobench", workers=1, progress=False)
        assert summary.ok and summary.built == len(args.minutes), summary.failures
        print(
            f"extract-frames --dataset longvideobench: {summary.built} clips cached in {summary.seconds:.1f}s"
        )
        docs = load_docs(root)

        def way_a(doc: dict) -> object:
            return prompt_from_visuals([doc["video_path"]], doc_to_text(doc), name=doc["id"])

        def way_b(doc: dict) -> object:
            visuals = doc_to_visual(doc)
            assert isinstance(visuals[0], CachedClipPath)
            return prompt_from_visuals(visuals, doc_to_text(doc), name=doc["id"])

        ways = {"a decode (no cache)": way_a, "b frame cache": way_b}
        for doc in docs:  # warm-up (library loading, page cache) and the equality check
            a, b = way_a(doc), way_b(doc)
            assert (
                torch.equal(a.clip.frames, b.clip.frames)
                and a.clip.video_metadata() == b.clip.video_metadata()
            )
            assert a.clip.sample_fps == b.clip.sample_fps and a.clip.frames.shape[0] == 16
        times: dict[str, dict[str, list[float]]] = {d["id"]: {w: [] for w in ways} for d in docs}
        for _ in range(args.repeats):
            for doc in docs:
                for name, fn in ways.items():
                    t = time.perf_counter()
                    fn(doc)
                    times[doc["id"]][name].append(time.perf_counter() - t)
        print(f"per-question median over {args.repeats} repeats (1 torch thread, page cache warm):")
        print(f"  {'clip':>10s} {'a decode':>11s} {'b cache':>11s} {'a / b':>8s}")
        for doc, length in zip(docs, args.minutes, strict=True):
            med = {w: statistics.median(v) for w, v in times[doc["id"]].items()}
            a, b = med["a decode (no cache)"], med["b frame cache"]
            print(f"  {length:>6g} min {a * 1000:>8.1f} ms {b * 1000:>8.1f} ms {a / b:>7.1f}x")
        all_a = statistics.median(t for d in times.values() for t in d["a decode (no cache)"])
        all_b = statistics.median(t for d in times.values() for t in d["b frame cache"])
        print(f"  {'all':>10s} {all_a * 1000:>8.1f} ms {all_b * 1000:>8.1f} ms {all_a / all_b:>7.1f}x")
        print(
            f"1,337 questions on clips like these: decode {1337 * all_a / 60:.1f} min, cache {1337 * all_b / 60:.1f} min"
        )


if __name__ == "__main__":
    main()
