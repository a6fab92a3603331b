"""Seeded option construction for training rows: reproducible, answer exactly once, letters spread."""

import collections
import subprocess
import sys

import pytest

from seedbench_r1 import build_options
from seedbench_r1.protocol.constants import LETTERS
from seedbench_r1.protocol.options import distinct_negatives

NEGS = ["open drawer", "grab knife", "close drawer", "slice onion", "remove peel from onion", "peel onion"]


def test_deterministic_per_seed_and_sample():
    a = build_options(39, "grab onion", NEGS, seed=0)
    assert a == build_options(39, "grab onion", NEGS, seed=0)
    draws = {build_options(39, "grab onion", NEGS, seed=s) for s in range(20)}
    assert len(draws) > 5  # the seed matters
    assert {build_options(i, "grab onion", NEGS, seed=0) for i in range(20)} != {a}  # so does the sample


def test_same_options_in_another_process():
    code = "from seedbench_r1 import build_options; print(build_options('x_1', 'a', ['b','c','d','e'], 3))"
    out = {
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
        for _ in range(2)
    }
    assert len(out) == 1 and repr(build_options("x_1", "a", ["b", "c", "d", "e"], 3)) in out.pop()


@pytest.mark.parametrize("sample_id", range(200))
def test_answer_exactly_once_and_gold_points_at_it(sample_id):
    negs = NEGS + ["grab onion", "Grab  Onion", "open drawer"]  # the answer and a duplicate among negatives
    choices, gold = build_options(sample_id, "grab onion", negs, seed=1)
    assert len(choices) == 4 and len(set(choices)) == 4
    assert [c.lower() for c in choices].count("grab onion") == 1
    assert choices[LETTERS.index(gold)] == "grab onion"
    assert set(choices) - {"grab onion"} <= set(NEGS)


def test_gold_letters_spread_over_abcd():
    counts = collections.Counter(build_options(i, "ans", NEGS, seed=0)[1] for i in range(4000))
    assert set(counts) == set(LETTERS)
    assert all(900 <= c <= 1100 for c in counts.values()), counts


def test_too_few_negatives():
    assert distinct_negatives("a", ["b", "B", "a", "c"]) == ["b", "c"]
    with pytest.raises(ValueError, match="sample 5"):
        build_options(5, "a", ["b", "B", "a", "c"])
