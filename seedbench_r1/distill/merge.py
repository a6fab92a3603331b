"""``distill-cot-merge``: the shard outputs of one run -> one output, journal and statistics.

The shards must be the N shards (0 .. N-1) of one run: the same split file, K, seed, sampling settings,
backend and teachers, each finished. The merged journal holds every shard's batches (so its timing is the
sum over shards) under a header without a shard; a later ``distill-cot`` on the merged ``--out`` resumes from
it like any other run, e.g. to add a bigger teacher for the rows nobody answered.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from seedbench_r1.distill.journal import (
    COMPATIBLE_KEYS,
    Journal,
    JournalData,
    held,
    journal_path,
    read_journal,
    stats_path,
    write_output,
)
from seedbench_r1.distill.stats import RunStats, run_stats, write_stats
from seedbench_r1.distill.validate import validate_output
from seedbench_r1.protocol.errors import UsageError


@dataclass
class MergeReport:
    out: Path
    shards: int
    stats: RunStats
    rows_written: int


def merge_shards(
    shard_outs: Sequence[str | os.PathLike[str]], out: str | os.PathLike[str], *, overwrite: bool = False
) -> MergeReport:
    outs = [Path(p) for p in shard_outs]
    out = Path(out)
    if not outs:
        raise UsageError("name the shard outputs to merge")
    datas = []
    for path in outs:
        jpath = journal_path(path)
        if not jpath.is_file():
            raise UsageError(
                f"{path}: no journal {jpath.name}; is it the --out of a distill-cot --shard run?"
            )
        data = read_journal(jpath)
        if data.torn_bytes:
            raise UsageError(f"{path}: its last batch was cut off; finish that shard first (run it again)")
        datas.append(data)
    first = datas[0].header
    n = _check_shards(outs, [d.header for d in datas])
    names = datas[0].teacher_names()
    for path, data in zip(outs, datas, strict=True):
        if data.teacher_names() != names:
            raise UsageError(f"{path}: teachers {data.teacher_names()}, {outs[0]} has {names}")
        _check_finished(path, data, names)

    merged_path = journal_path(out)
    if not overwrite and (out.exists() or merged_path.exists()):
        raise UsageError(f"--out {out} (or its journal) exists: choose another --out, or pass --overwrite")
    header = {**first, "shard": None, "merged_from": [str(p) for p in outs]}
    out.parent.mkdir(parents=True, exist_ok=True)
    # Built and validated beside the old output under temp names; the old one is replaced only on success,
    # and only while no run writes it (its journal's lock held), so a failed merge leaves it as it was.
    tmp_out = out.with_name(f".{out.stem}.merge{os.getpid()}{out.suffix}")
    tmp_journal = journal_path(tmp_out)
    try:
        journal = Journal.create(tmp_journal, header)
        try:
            for data in datas:
                for batch in data.batches:
                    journal.commit(batch)
            merged = journal.data
            merged.records()  # raises if two shards recorded the same row
            write_output(tmp_out, merged.kept_rows())
            stats = run_stats(merged, list(range(int(first["split_rows"]))), names)
            written = validate_output(tmp_out, merged)
            with held(merged_path):
                os.replace(tmp_journal, merged_path)
                os.replace(tmp_out, out)
        finally:
            journal.close()
    finally:
        tmp_out.unlink(missing_ok=True)
        tmp_journal.unlink(missing_ok=True)
    write_stats(stats_path(out), stats)
    return MergeReport(out, n, stats, written)


def _check_shards(outs: Sequence[Path], headers: Sequence[dict]) -> int:
    """All headers agree (except the shard), and the shards are 0 .. N-1, each once. Returns N."""
    first = headers[0]
    seen: dict[int, Path] = {}
    n = None
    for path, header in zip(outs, headers, strict=True):
        for key in COMPATIBLE_KEYS:
            if key != "shard" and header.get(key) != first.get(key):
                raise UsageError(f"{path}: {key}={header.get(key)!r}, {outs[0]} has {first.get(key)!r}")
        shard = header.get("shard")
        if not shard:
            raise UsageError(f"{path}: not a shard (it was run without --shard)")
        i, count = shard
        if n is not None and count != n:
            raise UsageError(f"{path}: shard {i}/{count}, the others are of {n}")
        n = count
        if i in seen:
            raise UsageError(f"{path} and {seen[i]} are both shard {i}/{count}")
        seen[i] = path
    assert n is not None
    missing = sorted(set(range(n)) - set(seen))
    if missing:
        raise UsageError(f"shards {missing} of {n} are missing")
    return n


def _check_finished(path: Path, data: JournalData, names: Sequence[str]) -> None:
    """Every row of the shard is decided: answered, unreadable, or tried by every teacher."""
    i, n = data.header["shard"]
    rows = [r for r in range(int(data.header["split_rows"])) if r % n == i]
    stats = run_stats(data, rows, list(names))
    if stats.pending:
        raise UsageError(
            f"{path}: {stats.pending} rows not yet decided; finish the shard (run it again) first"
        )
