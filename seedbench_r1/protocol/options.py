"""The seeded option rule for training rows: three negatives plus the answer, shuffled, and the gold letter.

The official trainer drew negatives with an unseeded RNG, so no two runs saw the same questions. Here the draw
depends only on (seed, sample_id): the same training row gets the same options in every process, on every
node and in every epoch, and a run is reproducible from its seed.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence

from seedbench_r1.protocol.constants import LETTERS


def _norm(text: str) -> str:
    return " ".join(text.split()).lower()


def distinct_negatives(answer: str, negatives: Sequence[str]) -> list[str]:
    """Negatives with duplicates and copies of the answer removed (compared case- and space-insensitively).

    Real rows repeat actions and sometimes list the answer among the negatives; an option list with the answer
    twice would have two right letters.
    """
    seen = {_norm(answer)}
    out = []
    for neg in negatives:
        key = _norm(neg)
        if key and key not in seen:
            seen.add(key)
            out.append(neg)
    return out


def sample_rng(seed: int, sample_id: int | str) -> random.Random:
    """A generator private to one sample: independent of row order, process and Python's hash seed."""
    digest = hashlib.sha256(f"seedbench-r1/options/{seed}/{sample_id}".encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def build_options(
    sample_id: int | str, answer: str, negatives: Sequence[str], seed: int = 0
) -> tuple[tuple[str, str, str, str], str]:
    """(four options, gold letter) for one training row. Raises ValueError with fewer than 3 usable negatives."""
    pool = distinct_negatives(answer, negatives)
    if len(pool) < 3:
        raise ValueError(
            f"sample {sample_id!r}: needs 3 distinct negatives besides the answer, got {list(negatives)!r}"
        )
    rng = sample_rng(seed, sample_id)
    picked = rng.sample(pool, 3)
    gold_index = rng.randrange(4)
    picked.insert(gold_index, answer)
    return (picked[0], picked[1], picked[2], picked[3]), LETTERS[gold_index]
