"""Benchmark: the verl reward (reward_fns.seedbench_r1.compute_score) against the paper's official scoring path.

Generates a seeded corpus of realistic responses (CoT of varied length; correct, wrong, hedged, malformed and
option-text answers), times every call of both scorers in the same run, and counts where their accuracy
disagrees, by case kind. The reference follows the official SEED-Bench-R1 trainer: math-verify
``parse`` of the response + ``verify`` against ``parse("<answer>X.</answer>")`` first, then the
first-character rule on the first ``<answer>`` block.

    .venv/bin/python benchmarks/reward_bench.py            # 12,000 responses
    .venv/bin/python benchmarks/reward_bench.py --n 20000 --seed 1 --repeat 1   # single cold calls

Targets: compute_score >= 100x faster than the official path, median < 10 us per call. The cost of
the timer and of the call itself, measured as an empty timed call the same way, is printed and subtracted
from both scorers' per-call times alike (the uncorrected medians are printed too).
"""

from __future__ import annotations

import argparse
import gc
import platform
import random
import re
import statistics
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from typing import Any

from reward_fns.seedbench_r1 import compute_score
from seedbench_r1.protocol.answer import parse_answer

LETTERS = "ABCD"
ACTIONS = [
    "put cereal box into cupboard", "take cereal bag", "open cupboard", "put cereal bag into cereal box",
    "grab onion", "slice onion", "open drawer", "grab knife", "close drawer", "peel onion", "wash hands",
    "turn on tap", "attach stopwatch", "place oven tray", "operate oven", "set stopwatch", "pick up spoon",
    "stir the pot", "pour water into kettle", "close fridge",
]  # fmt: skip
SENTENCES = [
    "The video shows me {a} a moment ago.",
    "In the current observation the {o} is on the counter.",
    "The goal is to {g}, so the next step should move toward it.",
    "I already did '{a}', so repeating it makes no sense.",
    "Option {l} would undo the previous step.",
    "Looking at the last frame, my hands are free and the {o} is within reach.",
    "Before I can {g}, I need the {o} ready.",
    "The narration suggests the task is about halfway done.",
    "Choice {l} does not fit the current state of the kitchen.",
    "So the most reasonable next action is to {n}.",
]
OBJECTS = ["knife", "cereal bag", "cupboard", "onion", "drawer", "oven tray", "kettle", "spoon", "bowl"]


def _cot(rng: random.Random, options: list[str]) -> str:
    n = rng.choice([1, 2, 3, 5, 8, 12, 20, 30])  # reasoning of very different lengths
    out = []
    for _ in range(n):
        out.append(
            rng.choice(SENTENCES).format(
                a=rng.choice(ACTIONS), o=rng.choice(OBJECTS), g=rng.choice(ACTIONS), l=rng.choice(LETTERS),
                n=rng.choice(options),
            )
        )  # fmt: skip
    return " ".join(out)


def _honest(rng: random.Random, letter: str, options: list[str]) -> str:
    text = options[LETTERS.index(letter)]
    return rng.choice(
        [letter, letter, letter, f"{letter}.", f"({letter})", f"{letter}) {text}", f"{letter}. {text}",
         f"The answer is {letter}", f"Option {letter}", letter.lower(), f" {letter} "]
    )  # fmt: skip


def make_corpus(n: int, seed: int) -> list[dict[str, Any]]:
    """n responses with gold, options and a case kind; the mix is fixed by the seed."""
    rng = random.Random(seed)
    kinds = ["correct"] * 35 + ["wrong"] * 30 + ["hedged"] * 10 + ["malformed"] * 15 + ["text"] * 10
    corpus = []
    for _ in range(n):
        options = rng.sample(ACTIONS, 4)
        gold = rng.choice(LETTERS)
        wrong = rng.choice([c for c in LETTERS if c != gold])
        kind = rng.choice(kinds)
        think = f"<think>{_cot(rng, options)}</think>"
        sep = rng.choice(["", "", "\n", "\n\n", " "])
        if kind == "correct":
            response = f"{think}{sep}<answer>{_honest(rng, gold, options)}</answer>"
        elif kind == "wrong":
            response = f"{think}{sep}<answer>{_honest(rng, wrong, options)}</answer>"
        elif kind == "text":
            pick = gold if rng.random() < 0.5 else wrong
            response = f"{think}{sep}<answer>{options[LETTERS.index(pick)]}</answer>"
        elif kind == "hedged":
            a, b = sorted(rng.sample(LETTERS, 2), key=lambda c: c != gold)  # often leads with the gold
            response = think + sep + rng.choice(
                [f"<answer>{a} or {b}</answer>", f"<answer>{a}, {b}</answer>", "<answer>ABCD</answer>",
                 f"<answer>{a}/{b}</answer>", f"<answer>{a}</answer><answer>{b}</answer>",
                 f"<answer>{a} and {b}</answer>", f"<answer>{a} (or {b})</answer>"]
            )  # fmt: skip
        else:  # malformed
            response = rng.choice(
                [f"{think}", f"{think}{sep}<answer></answer>", f"{think}{sep}<answer>{gold}",
                 f"{_cot(rng, options)} The answer is {gold}.", f"<think>{_cot(rng, options)} <answer>{gold}</answer>",
                 f"<think>x <answer>{gold}</answer></think><answer>{wrong}</answer>",
                 f"{think}{sep}<answer>E</answer>", f"{think}<answer>{gold}</answer> Hope that helps!",
                 f"{think}{sep}<Answer>{gold}</Answer>", f"{think}{sep}<answer>Answer: ({gold})</answer>"]
            )  # fmt: skip
        corpus.append({"kind": kind, "response": response, "gold": gold, "options": options})
    return corpus


_OFFICIAL_BLOCK = re.compile(r"<answer>(.*?)</answer>", re.DOTALL)


def official_reward(response: str, gold: str) -> float:
    """The official trainer's accuracy path: math-verify first, then the first-character string check."""
    from math_verify import parse, verify

    solution = f"<answer>{gold}.</answer>"
    try:
        if float(verify(parse(response), parse(solution))) > 0:
            return 1.0
    except Exception:  # the official code swallows math-verify failures the same way
        pass
    try:
        gt = _OFFICIAL_BLOCK.search(solution).group(1).strip()
        found = _OFFICIAL_BLOCK.search(response)
        if found and found.group(1).strip()[0] == gt[0]:
            return 1.0
    except Exception:  # e.g. an empty block: the official [0] raises, reward stays 0
        pass
    return 0.0


def _time_calls(
    fn: Callable[[dict[str, Any]], Any], corpus: list[dict[str, Any]], repeat: int
) -> tuple[list[float], list]:
    """Per-call wall time in microseconds, the minimum of ``repeat`` calls per response (filters scheduler
    preemption on a shared machine). The garbage collector is paused while timing, like timeit, so a
    collection of the corpus itself is not billed to one unlucky call. Both scorers get the same treatment."""
    clock = time.perf_counter_ns
    times, results = [], []
    gc.collect()
    gc.disable()
    try:
        for item in corpus:
            best = None
            for _ in range(repeat):
                start = clock()
                res = fn(item)
                took = clock() - start
                best = took if best is None else min(best, took)
            times.append(best / 1000.0)
            results.append(res)
    finally:
        gc.enable()
    return times, results


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=12_000, help="corpus size (>= 10,000 for the issue's figures)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--repeat", type=int, default=3, help="calls per response; the minimum is kept")
    args = ap.parse_args(argv)

    corpus = make_corpus(args.n, args.seed)
    ours = lambda it: compute_score("seedbench_r1", it["response"], it["gold"], {"options": it["options"]})  # noqa: E731
    ref = lambda it: official_reward(it["response"], it["gold"])  # noqa: E731
    official_reward("<answer>A</answer>", "A")  # import math-verify outside the timed loop
    for item in corpus[:200]:  # warm caches of both
        ours(item)
        ref(item)

    # The timer itself and the call through a lambda cost something per measured call: time an empty call
    # the same way and subtract its median from BOTH scorers' per-call times (a correction applied equally).
    t_empty, _ = _time_calls(lambda it: None, corpus, args.repeat)
    overhead = statistics.median(t_empty)
    raw_ours, r_ours = _time_calls(ours, corpus, args.repeat)
    raw_ref, r_ref = _time_calls(ref, corpus, args.repeat)
    t_ours = [t - overhead for t in raw_ours]
    t_ref = [t - overhead for t in raw_ref]

    lengths = [len(it["response"]) for it in corpus]
    print(f"python {platform.python_version()} on {platform.machine()}, corpus {len(corpus)} responses "
          f"(seed {args.seed}), response length median {statistics.median(lengths):.0f} chars, "
          f"max {max(lengths)}; min of {args.repeat} calls per response; kinds {dict(sorted(Counter(it['kind'] for it in corpus).items()))}")  # fmt: skip
    print(f"timer + call overhead (median of an empty timed call): {overhead:.2f} us, subtracted from both "
          f"scorers' per-call times below; uncorrected medians: compute_score {statistics.median(raw_ours):.2f} "
          f"us, official {statistics.median(raw_ref):.2f} us "
          f"({statistics.median(raw_ref) / statistics.median(raw_ours):.0f}x)")  # fmt: skip
    print(f"{'scorer':<34}{'median us':>11}{'p99 us':>10}{'mean us':>10}{'max us':>10}")
    for name, ts in (("compute_score (strict)", t_ours), ("official (math-verify + 1st char)", t_ref)):
        print(
            f"{name:<34}{statistics.median(ts):>11.2f}{_pct(ts, 0.99):>10.2f}{statistics.fmean(ts):>10.2f}"
            f"{max(ts):>10.0f}"
        )
    ratio_med = statistics.median(t_ref) / statistics.median(t_ours)
    ratio_tot = sum(t_ref) / sum(t_ours)
    print(f"speed-up: {ratio_med:.0f}x by median, {ratio_tot:.0f}x by total time")

    # Disagreements on accuracy, by kind; also against the paper mode (the first-character rule alone).
    paper = [parse_answer(it["response"], mode="paper") == it["gold"] for it in corpus]
    table: dict[str, Counter] = defaultdict(Counter)
    for it, ro, rr, pp in zip(corpus, r_ours, r_ref, paper, strict=True):
        row = table[it["kind"]]
        row["n"] += 1
        row["ours_acc"] += ro["acc"]
        row["official_acc"] += int(rr)
        row["ours>official"] += int(ro["acc"] > rr)
        row["ours<official"] += int(ro["acc"] < rr)
        row["paper!=official"] += int(pp != bool(rr))
    cols = ["n", "ours_acc", "official_acc", "ours>official", "ours<official", "paper!=official"]
    print("accuracy disagreements by case kind (ours = strict compute_score; official = reference path):")
    print(f"{'kind':<11}" + "".join(f"{c:>16}" for c in cols))
    total: Counter = Counter()
    for kind in sorted(table):
        total.update(table[kind])
        print(f"{kind:<11}" + "".join(f"{table[kind][c]:>16}" for c in cols))
    print(f"{'all':<11}" + "".join(f"{total[c]:>16}" for c in cols))

    ok_speed = ratio_med >= 100 and statistics.median(t_ours) < 10
    print(f"targets (>= 100x, median < 10 us): {'met' if ok_speed else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
