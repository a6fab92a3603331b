"""Hostile or unlucky input to ``distill-cot`` and ``distill-cot-merge``: a damaged journal or shard header, a
journal path that is a FIFO or a device, ``--overwrite`` while another run writes, a merge that fails on an
existing output, teachers that cannot be teachers, knobs out of range. Each is one line naming the file and
line, the field or the flag; exit 1 (2 for a flag argparse refuses); no traceback; no model is loaded and
nothing the user had is lost."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from seedbench_r1.distill.journal import Journal, journal_path, stats_path
from seedbench_r1.distill.rows import cot_row, load_rows

ENV = {**os.environ, "FORCE_QWENVL_VIDEO_READER": "decord"}
ENV.pop("SEEDBENCH_R1_DEBUG", None)
ROWS = 16  # the fixture's training_6k


def run(*args: str | Path, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "seedbench_r1", *map(str, args)],
        capture_output=True,
        text=True,
        env=ENV,
        timeout=timeout,  # a FIFO read would block: the timeout keeps CI from hanging on a regression
    )


def error_line(proc: subprocess.CompletedProcess, code: int, *needles: str) -> str:
    assert proc.returncode == code, (proc.stdout[-2000:], proc.stderr[-2000:])
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    lines = [ln for ln in proc.stderr.splitlines() if "error: " in ln]
    assert lines, proc.stderr
    for needle in needles:
        assert needle in lines[-1], lines[-1]
    return lines[-1]


def header(**changes: object) -> dict:
    base = {
        "kind": "header",
        "format": 1,
        "split": "training_6k",
        "split_sha256": "0" * 64,
        "split_rows": ROWS,
        "samples": 2,
        "seed": 0,
        "gen": {},
        "backend": "hf",
        "shard": None,
    }
    return {**base, **changes}


def batch(rows: list[dict], teacher: int = 0) -> dict:
    return {"kind": "batch", "teacher": teacher, "model": "teacher-a", "seconds": 1.5, "rows": rows}


def write_journal(out: Path, lines: list[object]) -> Path:
    path = journal_path(out)
    path.write_text("".join((x if isinstance(x, str) else json.dumps(x)) + "\n" for x in lines))
    return path


def distill_argv(teacher: Path, root: Path, out: Path, *extra: str) -> list[str]:
    return [
        "distill-cot",
        "--teacher",
        teacher,
        "--split",
        "training_6k",
        "--out",
        out,
        "--root",
        root,
        *extra,
    ]


ERROR_ROW = {"i": 0, "id": "x", "error": "clip missing"}
JOURNALS = {
    "batch without rows": (
        [header(), {"kind": "batch", "teacher": 0, "model": "m", "seconds": 1}],
        ":2:",
        "'rows'",
    ),
    "teacher as text": ([header(), {**batch([ERROR_ROW]), "teacher": "0"}], ":2:", "'teacher'"),
    "negative seconds": ([header(), {**batch([ERROR_ROW]), "seconds": -3}], ":2:", "'seconds'"),
    "row outside the split": ([header(), batch([{**ERROR_ROW, "i": 99}])], ":2:", "'rows[0].i'"),
    "row outside the shard": ([header(shard=[0, 2]), batch([{**ERROR_ROW, "i": 1}])], ":2:", "shard 0/2"),
    "error not text": (
        [header(), batch([{**ERROR_ROW, "id": "a", "error": None}])],
        ":2:",
        "'rows[0].error'",
    ),
    "shard as text": ([header(shard="1/2")], ":1:", "'shard'"),
    "split_rows as text": ([header(split_rows="16")], ":1:", "'split_rows'"),
    "deeply nested line": ([header(), "[" * 200_000 + "]" * 200_000], ":2:", "nested too deeply"),
    "header not an object": (["[1, 2]"], ":1:", "not a distill-cot journal header"),
}


@pytest.mark.parametrize("case", list(JOURNALS))
def test_a_damaged_journal_is_named_by_file_line_and_field(
    case: str, tiny_qwen2_vl: Path, fixture_root: Path, tmp_path: Path
) -> None:
    lines, where, field = JOURNALS[case]
    out = tmp_path / "cot.jsonl"
    path = write_journal(out, lines)
    before = path.read_bytes()
    error_line(run(*distill_argv(tiny_qwen2_vl, fixture_root, out)), 1, f"{path}{where}", field)
    assert path.read_bytes() == before


@pytest.mark.parametrize("kind", ["fifo", "device", "folder"])
def test_a_journal_that_is_not_a_regular_file_is_never_read(
    kind: str, tiny_qwen2_vl: Path, fixture_root: Path, tmp_path: Path
) -> None:
    out = tmp_path / "cot.jsonl"
    path = journal_path(out)
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "device":
        path.symlink_to("/dev/zero")  # endless: read whole, it would fill the memory
    else:
        path.mkdir()
    what = {"fifo": "a FIFO", "device": "a character device", "folder": "a folder"}[kind]
    error_line(run(*distill_argv(tiny_qwen2_vl, fixture_root, out), timeout=60), 1, str(path), what)


def test_overwrite_waits_for_no_run_it_takes_the_lock_first(
    tiny_qwen2_vl: Path, fixture_root: Path, tmp_path: Path
) -> None:
    out = tmp_path / "cot.jsonl"
    out.write_text('{"kept": "row"}\n')
    writer = Journal.create(journal_path(out), header())  # a run still writing this output
    try:
        before = journal_path(out).read_bytes()
        proc = run(*distill_argv(tiny_qwen2_vl, fixture_root, out, "--overwrite"))
        error_line(proc, 1, str(journal_path(out)), "another distill-cot run is writing this output")
        assert journal_path(out).read_bytes() == before and out.read_text() == '{"kept": "row"}\n'
    finally:
        writer.close()


def _finished_shards(root: Path, tmp_path: Path, *, bad_response: bool) -> list[Path]:
    """Two hand-written shard journals of one run: every row decided; row 0 kept (its response wrong when
    ``bad_response``, which only the merge's final validation can see), the others unreadable."""
    _, rows = load_rows(root, "training_6k", 0)
    outs = []
    for i in range(2):
        out = tmp_path / f"shard{i}.jsonl"
        records = []
        for row in rows[i::2]:
            if row.index == 0:
                wrong = next(letter for letter in "ABCD" if letter != row.sample.gold)
                text = f"<think>t</think><answer>{wrong if bad_response else row.sample.gold}</answer>"
                records.append(
                    {
                        "i": 0,
                        "id": row.sample_id,
                        "gold": row.sample.gold,
                        "options": list(row.sample.choices),
                        "preds": [row.sample.gold, ""],
                        "fmt": [1, 0],
                        "tokens": [9, 9],
                        "ok": [0],
                        "keep": 0,
                        "row": cot_row(row.sample, root, text),
                    }
                )
            else:
                records.append({"i": row.index, "id": row.sample_id, "error": "clip missing"})
        write_journal(out, [header(shard=[i, 2]), batch(records)])
        out.write_text("")
        outs.append(out)
    return outs


def test_a_failed_merge_leaves_the_old_merged_output_as_it_was(fixture_root: Path, tmp_path: Path) -> None:
    merged = tmp_path / "merged.jsonl"
    (tmp_path / "good").mkdir()
    good = _finished_shards(fixture_root, tmp_path / "good", bad_response=False)
    assert run("distill-cot-merge", *good, "--out", merged).returncode == 0
    old = {p: p.read_bytes() for p in (merged, journal_path(merged), stats_path(merged))}
    (tmp_path / "bad").mkdir()
    bad = _finished_shards(fixture_root, tmp_path / "bad", bad_response=True)
    error_line(run("distill-cot-merge", *bad, "--out", merged, "--overwrite"), 1, "re-scores acc=0")
    assert {p: p.read_bytes() for p in old} == old
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad", "good", *sorted(p.name for p in old)]


def test_a_damaged_shard_header_is_named(fixture_root: Path, tmp_path: Path) -> None:
    outs = _finished_shards(fixture_root, tmp_path, bad_response=False)
    lines = journal_path(outs[1]).read_text().splitlines()
    lines[0] = json.dumps({**json.loads(lines[0]), "shard": ["1", 2]})
    journal_path(outs[1]).write_text("\n".join(lines) + "\n")
    error_line(run("distill-cot-merge", *outs, "--out", tmp_path / "m.jsonl"), 1, ":1:", "'shard'")
    assert not (tmp_path / "m.jsonl").exists()


def _checkpoint(tmp_path: Path, tiny: Path, config: dict | None) -> Path:
    folder = tmp_path / "model"
    shutil.copytree(tiny, folder)
    if config is not None:
        (folder / "config.json").write_text(json.dumps(config))
    return folder


@pytest.mark.parametrize(
    ("config", "needle"),
    [
        (
            {"model_type": "llama", "vision_config": {}},
            "a 'llama' checkpoint; supported: qwen2_vl, qwen2_5_vl",
        ),
        ({"model_type": "qwen2"}, "a text-only model"),
        ({"architectures": ["X"]}, "no model_type"),
        ("not json", "not a readable JSON config"),
    ],
)
def test_a_teacher_of_another_architecture_is_named_before_any_model_loads(
    config: dict | str, needle: str, tiny_qwen2_vl: Path, fixture_root: Path, tmp_path: Path
) -> None:
    folder = _checkpoint(tmp_path, tiny_qwen2_vl, config if isinstance(config, dict) else None)
    if isinstance(config, str):
        (folder / "config.json").write_text(config)
    out = tmp_path / "o.jsonl"
    error_line(run(*distill_argv(folder, fixture_root, out)), 1, f"--teacher '{folder}'", needle)
    assert not out.exists() and not journal_path(out).exists()


@pytest.mark.parametrize(
    ("flag", "value", "needle"),
    [
        ("--max-new-tokens", "0", "must be >= 1"),
        ("--max-new-tokens", "-5", "must be >= 1"),
        ("--top-k", "-1", "must be >= 0"),
        ("--top-p", "0", "must be in (0, 1]"),
        ("--top-p", "1.5", "must be in (0, 1]"),
        ("--temperature", "nan", "must be > 0"),
        ("--repetition-penalty", "0", "must be > 0"),
        ("--decode-workers", "-2", "must be >= 1"),
        ("--samples", "100000000", "must be in [1, 256]"),
        ("--batch-size", "zero", "must be a whole number"),
    ],
)
def test_a_knob_out_of_range_is_refused_when_parsed(
    flag: str, value: str, needle: str, tiny_qwen2_vl: Path, fixture_root: Path, tmp_path: Path
) -> None:
    proc = run(*distill_argv(tiny_qwen2_vl, fixture_root, tmp_path / "o.jsonl", flag, value))
    error_line(proc, 2, f"argument {flag}", needle)


def test_smaller_slips_are_one_line_each(tiny_qwen2_vl: Path, fixture_root: Path, tmp_path: Path) -> None:
    out = tmp_path / "o.jsonl"
    # a negative shard index is the shard's error, not argparse's "expected one argument"
    error_line(
        run(*distill_argv(tiny_qwen2_vl, fixture_root, out, "--shard", "-1/2")),
        1,
        "--shard -1/2",
        "0 <= i < N",
    )
    # one folder named twice
    twice = [*distill_argv(tiny_qwen2_vl, fixture_root, out), "--teacher", f"{tiny_qwen2_vl}/"]
    error_line(run(*twice), 1, "a teacher is named twice")
    # a response budget beyond the teacher's context
    error_line(
        run(*distill_argv(tiny_qwen2_vl, fixture_root, out, "--max-new-tokens", "100000000")), 1, "context of"
    )
    # an empty training file
    root = tmp_path / "root"
    shutil.copytree(fixture_root, root)
    (root / "annotations" / "training_6k.jsonl").write_text("")
    error_line(run(*distill_argv(tiny_qwen2_vl, root, out)), 1, "training_6k.jsonl", "no training rows")
    assert not out.exists()
