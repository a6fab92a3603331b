"""Size and speed of the sample browser at full size, in headless Chromium (what docs/browser.md quotes).

    .venv/bin/python benchmarks/browser_bench.py

builds a full-size validation set (L1 2,432, L2 923, L3 1,321 = 4,676 questions) whose rows reuse the
miniature fixture's clips and images (a small pool of media: decoding 4,676 real clips would take over an hour
here), two synthetic lmms-eval runs over it (results file and logged samples, responses of 20 to 400 words,
different accuracies), then times ``seedbench-r1 report A B --html`` and, in Debian's Chromium driven by
Playwright (``--repeats`` fresh loads each): the time from navigation to the first rendered view (overview,
sample list), to apply a filter, to search, and to open one sample (its data file, pictures). Prints the site's
size on disk and whether each target was met: first render under 2 s, a filter under 200 ms.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SIZES = {"validation_L1": 2432, "validation_L2": 923, "validation_L3": 1321}
TASKS = {
    "validation_L1": "seedbench_r1_l1",
    "validation_L2": "seedbench_r1_l2",
    "validation_L3": "seedbench_r1_l3",
}
TARGETS_MS = {"first render": 2000.0, "filter": 200.0}
WORDS = "the person holds the cupboard door so the next step is to put the box away before closing it".split()


def full_size_root(pool: Path, root: Path) -> dict[str, list[dict]]:
    """Annotation files of the release's sizes whose rows cycle through the fixture's (same media paths)."""
    from seedbench_r1.protocol.annotations import SPLITS

    (root / "annotations").mkdir(parents=True)
    for folder in ("videos", "images"):
        (root / folder).symlink_to(pool / folder)
    rows: dict[str, list[dict]] = {}
    for split, size in SIZES.items():
        name = SPLITS[split].filename
        source = [
            json.loads(x) for x in (pool / "annotations" / name).read_text(encoding="utf-8").splitlines()
        ]
        out = []
        for n in range(size):
            row = dict(source[n % len(source)])
            row["sample_id"] = n if isinstance(row["sample_id"], int) else f"{row['sample_id']}-{n}"
            out.append(row)
        (root / "annotations" / name).write_text("".join(json.dumps(r) + "\n" for r in out), encoding="utf-8")
        rows[split] = out
    return rows


def synthetic_run(rows: dict[str, list[dict]], out: Path, accuracy: float, seed: int) -> Path:
    """An lmms-eval output folder: results file and one samples file per level, answers right at ``accuracy``."""
    from seedbench_r1.protocol.prompt import render_question

    rng = random.Random(seed)
    out.mkdir(parents=True)
    date = "20261207_120000"
    results, n_samples = {}, {}
    for split, split_rows in rows.items():
        task, lines, correct = TASKS[split], [], 0
        for doc_id, row in enumerate(split_rows):
            gold = row["golden_choice_idx"]
            right = rng.random() < accuracy
            pred = gold if right else rng.choice([x for x in "ABCD" if x != gold])
            think = " ".join(rng.choice(WORDS) for _ in range(rng.randint(20, 400)))
            correct += right
            lines.append({
                "doc_id": doc_id, "target": gold, "input": render_question(row),
                "filtered_resps": f"<think>{think}</think><answer>{pred}</answer>",
                "seedbench_r1_acc": int(right), "format_rate": 1, "no_answer_rate": 0,
                "seedbench_r1_parsed": {"sample_id": row["sample_id"], "split": split, "pred": pred,
                                        "gold": gold, "domain": row.get("domain", "")},
            })  # fmt: skip
        path = out / f"{date}_samples_{task}.jsonl"
        path.write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
        results[task] = {
            "seedbench_r1_acc,none": correct / len(lines),
            "format_rate,none": 1.0,
            "no_answer_rate,none": 0.0,
        }
        n_samples[task] = {"original": len(lines), "effective": len(lines)}
    header = {
        "results": results, "n-samples": n_samples, "versions": {t: 1 for t in results},
        "config": {"model": "synthetic", "model_args": f"accuracy={accuracy}", "gen_kwargs": ""},
        "configs": {t: {"generation_kwargs": {"max_new_tokens": 1024, "do_sample": False}} for t in results},
        "date": date, "lmms_eval_version": "synthetic",
    }  # fmt: skip
    (out / f"{date}_results.json").write_text(json.dumps(header), encoding="utf-8")
    return out


def _wait_render(page, before: int) -> None:  # noqa: ANN001 - a Playwright Page
    page.wait_for_function(f"window.SBR1_TIMING && window.SBR1_TIMING.renders > {before}")


def timed_change(page, fragment: str) -> float:  # noqa: ANN001
    """ms from setting the URL's hash to the view rendered and painted (two animation frames later)."""
    return page.evaluate(
        """async (fragment) => {
            const before = window.SBR1_TIMING.renders;
            const t0 = performance.now();
            location.hash = fragment;
            while (window.SBR1_TIMING.renders <= before) await new Promise(requestAnimationFrame);
            await new Promise(requestAnimationFrame);
            return performance.now() - t0;
        }""",
        fragment,
    )


def measure(site: Path, repeats: int) -> dict[str, list[float]]:
    from playwright.sync_api import sync_playwright

    from seedbench_r1.browser.chromium import find_chromium, launch

    exe = find_chromium()
    if exe is None:
        raise SystemExit("Debian's chromium is not installed (apt-get install chromium)")
    base = (site / "index.html").as_uri()
    times: dict[str, list[float]] = {k: [] for k in ("first render: overview", "first render: sample list",
                                                     "filter: L3 and run A wrong", "filter: runs disagree",
                                                     "search: first", "open a sample")}  # fmt: skip
    with sync_playwright() as p:
        browser = launch(p, exe)
        for _ in range(repeats):
            for view, fragment in (("overview", ""), ("sample list", "#/samples")):
                context = browser.new_context(viewport={"width": 1300, "height": 900})
                page = context.new_page()
                page.goto(base + fragment)
                _wait_render(page, 0)
                times[f"first render: {view}"].append(page.evaluate("window.SBR1_TIMING.firstRender"))
                if view == "sample list":
                    times["filter: L3 and run A wrong"].append(
                        timed_change(page, "#/samples?level=L3&r0=wrong")
                    )
                    times["filter: runs disagree"].append(timed_change(page, "#/samples?disagree=1"))
                    times["search: first"].append(timed_change(page, "#/samples?q=cupboard"))
                    times["open a sample"].append(timed_change(page, "#/sample/L2/500"))
                    page.wait_for_function(
                        "[...document.querySelectorAll('#detail img')].every(i => i.complete)"
                    )
                context.close()
        browser.close()
    return times


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeats", type=int, default=5, help="fresh page loads per measurement (default 5)")
    parser.add_argument(
        "--keep", type=Path, default=None, help="build in this folder and keep it (default: temp)"
    )
    args = parser.parse_args()
    from seedbench_r1.fixtures.seedbench import make_fixture

    with tempfile.TemporaryDirectory() as tmp:
        work = args.keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        make_fixture(work / "pool")
        rows = full_size_root(work / "pool", work / "root")
        runs = [synthetic_run(rows, work / "run_A", 0.45, 1), synthetic_run(rows, work / "run_B", 0.52, 2)]
        site = work / "site"
        cmd = [sys.executable, "-m", "seedbench_r1", "report", f"A={runs[0]}", f"B={runs[1]}",
               "--root", str(work / "root"), "--html", "--out", str(site)]  # fmt: skip
        for attempt in ("first build", "rebuild (pictures reused)"):
            start = time.perf_counter()
            proc = subprocess.run(cmd, capture_output=True, text=True)
            if proc.returncode != 0:
                raise SystemExit(proc.stderr)
            line = next(x for x in proc.stdout.splitlines() if x.startswith("site:"))
            print(f"{attempt}: {time.perf_counter() - start:.1f} s; {line.split(' (', 1)[1].split(')')[0]}")
        files = [p for p in [site / "index.html", *(site / "site").rglob("*")] if p.is_file()]
        data = sum(p.stat().st_size for p in files if "/data/" in p.as_posix())
        print(
            f"site: {sum(p.stat().st_size for p in files) / 1e6:.1f} MB in {len(files)} files "
            f"(data {data / 1e6:.1f} MB, of which index.js {(site / 'site/data/index.js').stat().st_size / 1e6:.2f} MB)"
        )
        chromium = subprocess.run(["chromium", "--version"], capture_output=True, text=True).stdout.strip()
        print(f"browser: {chromium}, headless, {args.repeats} fresh loads each; median (min-max) ms")
        for name, values in measure(site, args.repeats).items():
            target = next((t for k, t in TARGETS_MS.items() if name.startswith(k)), None)
            verdict = (
                ""
                if target is None
                else f"  target < {target:.0f} ms: {'met' if max(values) < target else 'MISSED'}"
            )
            print(
                f"  {name:28s} {statistics.median(values):7.1f} ({min(values):.1f}-{max(values):.1f}){verdict}"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
