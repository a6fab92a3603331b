"""Benchmark ``prepare-verl`` on a full-size (50,269-row) synthetic training file.

Generates training rows in the real schema (answer + negative_answers, progress metadata; no media: the adapter
opens no clip), converts them with the adapter (parse + validate + seeded options + rows + parquet), and
compares with writing the very same rows with bare pyarrow. Target: the full file in under 30 s.

    .venv/bin/python benchmarks/prepare_bench.py [--rows 50269] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from pathlib import Path

FULL_TRAINING_ROWS = 50_269
VERBS = [
    "take",
    "put",
    "open",
    "close",
    "wash",
    "cut",
    "pour",
    "stir",
    "turn on",
    "turn off",
    "pick up",
    "rinse",
]
NOUNS = [
    "plate",
    "knife",
    "cup",
    "pan",
    "lid",
    "tap",
    "sponge",
    "onion",
    "bowl",
    "fridge",
    "drawer",
    "bottle",
]


def synthetic_rows(n: int, seed: int = 0) -> list[dict]:
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        actions = [f"{rng.choice(VERBS)} {rng.choice(NOUNS)}" for _ in range(12)]
        answer, negatives = actions[0], list(dict.fromkeys(a for a in actions[1:] if a != actions[0]))
        while len(negatives) < 3:
            negatives.append(f"{rng.choice(VERBS)} {rng.choice(NOUNS)} {len(negatives)}")
        source = "EpicKitchens" if i % 2 else "Ego4D"
        progress = [
            {"narration_text": a, "start_frame": 30 * k, "stop_frame": 30 * k + 25}
            for k, a in enumerate(actions[: rng.randrange(0, 6)])
        ]
        goal = f"make {rng.choice(NOUNS)} ready"
        rows.append(
            {
                "sample_id": i,
                "video_source": source,
                "video_basename": f"{i // 7}.mp4",
                "current_observation_basename": f"{i}.png",
                "video_id": f"P{i % 37:02d}_{i % 101}",
                "task_goal": goal,
                "question": "Considering the progress shown in the video and my current observation shown in the "
                f"image, what action should I take next in order to {goal}?",
                "answer": answer,
                "negative_answers": negatives[:8],
                "task_progress_metadata": progress,
            }
        )
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=FULL_TRAINING_ROWS)
    parser.add_argument("--keep", default=None, help="write into this folder instead of a temp one")
    args = parser.parse_args()

    import pyarrow as pa
    import pyarrow.parquet as pq

    from verl_recipe.media import MediaLayout
    from verl_recipe.rl_parquet import prepare_rl, rl_schema

    with tempfile.TemporaryDirectory() as tmp:
        base = Path(args.keep or tmp)
        root = base / "root"
        (root / "annotations").mkdir(parents=True, exist_ok=True)
        src = root / "annotations" / "training_full.jsonl"  # the full file's real name is unconfirmed
        with open(src, "w", encoding="utf-8") as fh:
            for row in synthetic_rows(args.rows):
                fh.write(json.dumps(row) + "\n")
        size_mb = src.stat().st_size / 1e6

        out = base / "training_full.parquet"
        start = time.perf_counter()
        report = prepare_rl(root, "training_full.jsonl", out, progress=False)
        adapter_s = time.perf_counter() - start

        rows = pq.read_table(out).to_pylist()
        schema = rl_schema(MediaLayout.make(root))
        start = time.perf_counter()
        pq.write_table(pa.Table.from_pylist(rows, schema=schema), base / "bare.parquet")
        bare_s = time.perf_counter() - start

        print(f"input: {args.rows} synthetic training rows, {size_mb:.1f} MB JSONL")
        print("\n".join(report.lines()))
        print(
            f"adapter (parse + validate + options + rows + parquet): {adapter_s:.2f} s, "
            f"{report.written / adapter_s:,.0f} rows/s"
        )
        print(
            f"bare pyarrow (same rows, from_pylist + write_table):   {bare_s:.2f} s, {len(rows) / bare_s:,.0f} rows/s"
        )
        print(f"ratio adapter / bare pyarrow: {adapter_s / bare_s:.1f}x")
        target = 30.0
        verdict = "OK" if adapter_s < target else "OVER"
        print(f"target: full file < {target:.0f} s -> {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
