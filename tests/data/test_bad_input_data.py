"""Bad input data never crashes a run and never destroys data.

Every case runs the real CLI on a private copy of the fixture (``broken_root``): in a fresh interpreter where
the real entry point matters, in-process (``seedbench_r1.cli.main`` with capsys) where a failure is injected
with monkeypatch. Each asserts the exit code, the message (file, line, sample id, field), that no traceback is
printed, and that nothing was written or corrupted.
"""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from seedbench_r1.cli import main

ENV = {**os.environ, "FORCE_QWENVL_VIDEO_READER": "decord"}
ENV.pop("SEEDBENCH_R1_DEBUG", None)


# --- helpers ---------------------------------------------------------------------------------------------


def ann(root: Path, split: str) -> Path:
    return root / "annotations" / f"{split}.jsonl"


def raw_lines(path: Path) -> list[bytes]:
    return path.read_bytes().rstrip(b"\n").split(b"\n")


def set_line(root: Path, split: str, lineno: int, raw: bytes) -> None:
    path = ann(root, split)
    lines = raw_lines(path)
    lines[lineno - 1] = raw
    path.write_bytes(b"\n".join(lines) + b"\n")


def edit_row(root: Path, split: str, lineno: int, **changes: object) -> dict:
    """Change fields of one row; returns the original row."""
    row = json.loads(raw_lines(ann(root, split))[lineno - 1])
    set_line(root, split, lineno, json.dumps({**row, **changes}).encode())
    return row


def row_of(root: Path, split: str, lineno: int) -> dict:
    return json.loads(raw_lines(ann(root, split))[lineno - 1])


def prepare_args(root: Path, split: str, out: Path, *extra: str) -> list[str]:
    return ["prepare-verl", "--root", str(root), "--split", split, "--out", str(out), "--no-progress", *extra]


def cli(*args: str) -> subprocess.CompletedProcess:
    """The real console entry point in a fresh interpreter."""
    return subprocess.run(
        [sys.executable, "-m", "seedbench_r1", *args], capture_output=True, text=True, env=ENV, timeout=300
    )


def one_error_line(rc: int, err: str, *needles: str) -> str:
    """The run failed with exit 1 and one error line holding every needle, no traceback."""
    assert rc == 1, err
    assert "Traceback" not in err, err
    (line,) = [ln for ln in err.splitlines() if ": error: " in ln]
    for needle in needles:
        assert needle in line, (needle, line)
    return line


def run(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, str, str]:
    rc = main(argv)
    captured = capsys.readouterr()
    return rc, captured.out, captured.err


def listing(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` with its bytes: compared before and after to prove nothing changed."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def outdir(tmp_path: Path) -> Path:
    """An empty folder for outputs (``broken_root`` lives in ``tmp_path`` too)."""
    folder = tmp_path / "outputs"
    folder.mkdir()
    return folder


# --- 1. media paths: relative, inside their own source folder ----------------------------------------------

BAD_NAMES = [
    ("absolute", "/etc/passwd", "absolute"),
    ("drive letter", "C:/clips/a.mp4", "drive letter"),
    ("leaves its source", "../Ego4D/ego_long_30fps.mp4", "escapes"),
    ("dotdot that comes back", "sub/../ek_long_25fps.mp4", "escapes"),
    ("backslash", "sub\\ek_long_25fps.mp4", "backslash"),
    ("NUL", "ek_long\x00.mp4", "NUL"),
]


class TestMediaPaths:
    @pytest.mark.parametrize("field", ["video_basename", "current_observation_basename"])
    @pytest.mark.parametrize("name, value, reason", BAD_NAMES, ids=[b[0] for b in BAD_NAMES])
    def test_validation_row_is_refused_naming_the_field(
        self, broken_root: Path, outdir: Path, capsys, field: str, name: str, value: str, reason: str
    ) -> None:
        row = edit_row(broken_root, "validation_L1", 1, **{field: value})
        out = outdir / "l1.parquet"
        rc, _, err = run(capsys, prepare_args(broken_root, "validation_L1", out))
        one_error_line(rc, err, "validation_L1.jsonl:1:", f"sample {row['sample_id']!r}", repr(field), reason)
        assert not out.exists() and listing(outdir) == {}

    @pytest.mark.parametrize("name, value, reason", BAD_NAMES[:4], ids=[b[0] for b in BAD_NAMES[:4]])
    def test_training_row_is_skipped_and_listed(
        self, broken_root: Path, outdir: Path, capsys, name: str, value: str, reason: str
    ) -> None:
        row = edit_row(broken_root, "training_6k", 3, video_basename=value)
        out = outdir / "t.parquet"
        rc, printed, err = run(capsys, prepare_args(broken_root, "training_6k", out, "--skip-bad-rows"))
        assert rc == 0, err
        rows = pq.read_table(out).to_pylist()
        assert str(row["sample_id"]) not in {r["extra_info"]["sample_id"] for r in rows}
        assert "skipped 1 rows" in printed and "training_6k.jsonl:3:" in printed and reason in printed
        assert all("/etc/passwd" not in v["video"] for r in rows for v in r["videos"])

    def test_verify_reports_the_row_not_a_missing_clip(self, broken_root: Path, capsys) -> None:
        edit_row(broken_root, "validation_L1", 2, video_basename="/etc/passwd")
        edit_row(broken_root, "validation_L2", 1, current_observation_basename="../EpicKitchens/100.png")
        rc, printed, _ = run(capsys, ["verify", "--root", str(broken_root), "--no-expect-sizes"])
        assert rc == 1
        assert "validation_L1: bad row: " in printed and "validation_L1.jsonl:2:" in printed
        assert "validation_L2.jsonl:1:" in printed and "'current_observation_basename'" in printed
        assert "missing clip:" not in printed and "missing image:" not in printed

    COT_BAD = [
        ("absolute", 0, "video", "/data/videos/EpicKitchens/ek_long_25fps.mp4", "absolute"),
        ("leaves the root", 0, "video", "../videos/EpicKitchens/ek_long_25fps.mp4", "escapes"),
        ("dotdot inside", 1, "image", "images/EpicKitchens/../Ego4D/8000.png", "escapes"),
        ("outside the media folders", 1, "image", "annotations/8000.png", "images/<source>/"),
        ("video in the image folder", 0, "video", "images/EpicKitchens/8000.png", "videos/<source>/"),
        ("no source folder", 0, "video", "videos/ek_long_25fps.mp4", "videos/<source>/"),
        ("backslash", 0, "video", "videos\\EpicKitchens\\ek_long_25fps.mp4", "backslash"),
    ]

    @pytest.mark.parametrize("name, item, kind, value, reason", COT_BAD, ids=[c[0] for c in COT_BAD])
    def test_sft_row_media_stay_inside_their_folder(
        self,
        broken_root: Path,
        outdir: Path,
        capsys,
        name: str,
        item: int,
        kind: str,
        value: str,
        reason: str,
    ) -> None:
        row = row_of(broken_root, "training_with_cot_6k", 2)
        assert row["prompt"][0]["content"][item]["type"] == kind
        row["prompt"][0]["content"][item][kind] = value
        set_line(broken_root, "training_with_cot_6k", 2, json.dumps(row).encode())
        out = outdir / "sft.parquet"
        rc, _, err = run(capsys, prepare_args(broken_root, "training_with_cot_6k", out))
        one_error_line(
            rc,
            err,
            "training_with_cot_6k.jsonl:2:",
            f"sample {row['sample_id']!r}",
            f"prompt[0].content[{item}].{kind}",
            reason,
        )
        assert not out.exists()


# --- 2. rows whose bytes cannot be read ----------------------------------------------------------------------


def _invalid_utf8(line: bytes) -> bytes:
    return line.replace(b'"question": "', b'"question": "\xff\xfe', 1)


def _deep(line: bytes) -> bytes:
    return line[:-1] + b', "extra": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"


def _huge_int(line: bytes) -> bytes:
    return line[:-1] + b', "current_observation_frame": ' + b"7" * 5000 + b"}"


def _surrogate(line: bytes) -> bytes:
    return line.replace(b'"question": "', b'"question": "\\ud800', 1)


UNREADABLE = [
    ("invalid UTF-8", _invalid_utf8, None, "not valid UTF-8"),
    ("deep nesting", _deep, None, "nested too deeply"),
    ("5000-digit integer", _huge_int, None, "integer literal longer than"),
    ("lone surrogate", _surrogate, "question", "surrogate"),
]


class TestUnreadableRows:
    @pytest.mark.parametrize("name, damage, field, reason", UNREADABLE, ids=[u[0] for u in UNREADABLE])
    def test_stops_with_one_line_naming_file_and_line(
        self, broken_root: Path, outdir: Path, name: str, damage, field: str | None, reason: str
    ) -> None:
        set_line(broken_root, "validation_L1", 3, damage(raw_lines(ann(broken_root, "validation_L1"))[2]))
        out = outdir / "l1.parquet"
        proc = cli(*prepare_args(broken_root, "validation_L1", out))
        line = one_error_line(proc.returncode, proc.stderr, "validation_L1.jsonl:3:", reason)
        if field is not None:
            assert f"field {field!r}" in line
        assert "--skip-bad-rows" in line
        assert not out.exists() and listing(outdir) == {}

    @pytest.mark.parametrize("name, damage, field, reason", UNREADABLE, ids=[u[0] for u in UNREADABLE])
    def test_skip_bad_rows_skips_counts_and_names_it(
        self, broken_root: Path, outdir: Path, capsys, name: str, damage, field: str | None, reason: str
    ) -> None:
        total = len(raw_lines(ann(broken_root, "validation_L1")))
        original = row_of(broken_root, "validation_L1", 3)
        set_line(broken_root, "validation_L1", 3, damage(raw_lines(ann(broken_root, "validation_L1"))[2]))
        out = outdir / "l1.parquet"
        rc, printed, err = run(capsys, prepare_args(broken_root, "validation_L1", out, "--skip-bad-rows"))
        assert rc == 0, err
        assert len(pq.read_table(out)) == total - 1
        assert "skipped 1 rows" in printed and "validation_L1.jsonl:3:" in printed and reason in printed
        listed = json.loads((outdir / "l1.parquet.skipped.json").read_text())
        (entry,) = listed["rows"]
        assert (
            entry["file"].endswith("validation_L1.jsonl") and entry["line"] == 3 and reason in entry["reason"]
        )
        assert entry["field"] == field
        if field is not None:  # the row parsed: its sample id is readable
            assert entry["sample_id"] == original["sample_id"]

    def test_every_unreadable_row_at_once_and_good_rows_kept(self, broken_root: Path, outdir: Path) -> None:
        lines = raw_lines(ann(broken_root, "validation_L1"))
        for i, (_, damage, _, _) in enumerate(UNREADABLE):
            lines[i] = damage(lines[i])
        ann(broken_root, "validation_L1").write_bytes(b"\n".join(lines) + b"\n")
        out = outdir / "l1.parquet"
        proc = cli(*prepare_args(broken_root, "validation_L1", out, "--skip-bad-rows"))
        assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
        assert len(pq.read_table(out)) == len(lines) - len(UNREADABLE)
        listed = json.loads((outdir / "l1.parquet.skipped.json").read_text())
        assert [r["line"] for r in listed["rows"]] == [1, 2, 3, 4]
        verify = cli("verify", "--root", str(broken_root), "--no-expect-sizes", "--splits", "validation_L1")
        assert verify.returncode == 1 and "Traceback" not in verify.stderr
        for lineno in (1, 2, 3, 4):
            assert f"validation_L1.jsonl:{lineno}:" in verify.stdout

    def test_surrogates_in_a_cot_text_item_and_in_a_key(
        self, broken_root: Path, outdir: Path, capsys
    ) -> None:
        row = row_of(broken_root, "training_with_cot_6k", 1)
        text = json.dumps(row).replace("Considering", "\\udc00Considering", 1)
        set_line(broken_root, "training_with_cot_6k", 1, text.encode())
        set_line(broken_root, "training_with_cot_6k", 2, b'{"\\ud801": 1, "sample_id": 5}')
        out = outdir / "sft.parquet"
        rc, _, err = run(capsys, prepare_args(broken_root, "training_with_cot_6k", out))
        one_error_line(rc, err, "training_with_cot_6k.jsonl:1:", "prompt[0].content[2].text", "surrogate")
        rc, printed, err = run(
            capsys, prepare_args(broken_root, "training_with_cot_6k", out, "--skip-bad-rows")
        )
        assert rc == 0, err
        assert "training_with_cot_6k.jsonl:1:" in printed and "training_with_cot_6k.jsonl:2:" in printed
        rows = pq.read_table(out).to_pylist()
        assert all("\\ud" not in json.dumps(r) for r in rows)

    def test_unregistered_file_with_an_undecodable_first_line(self, broken_root: Path, outdir: Path) -> None:
        """The kind of a file outside the registry is sniffed from its first row: bad bytes there are a bad
        row too, not a crash of the sniffing."""
        lines = raw_lines(ann(broken_root, "training_6k"))
        full = broken_root / "annotations" / "training_full.jsonl"
        full.write_bytes(b"\n".join([b"\xff\xff not json", *lines]) + b"\n")
        out = outdir / "full.parquet"
        proc = cli(*prepare_args(broken_root, "training_full.jsonl", out))
        one_error_line(proc.returncode, proc.stderr, "training_full.jsonl:1:", "not valid UTF-8")
        proc = cli(*prepare_args(broken_root, "training_full.jsonl", out, "--skip-bad-rows"))
        assert proc.returncode == 0, proc.stderr
        assert len(pq.read_table(out)) == len(lines)

    def test_byte_order_mark_is_not_a_bad_row(self, broken_root: Path, outdir: Path, capsys) -> None:
        path = ann(broken_root, "validation_L2")
        path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
        rc, _, err = run(capsys, prepare_args(broken_root, "validation_L2", outdir / "l2.parquet"))
        assert rc == 0, err


# --- 3. the skip summary names every skipped row ---------------------------------------------------------


class TestSkipSummary:
    def test_console_shows_twenty_and_the_json_lists_all(self, broken_root: Path, outdir: Path) -> None:
        path = ann(broken_root, "validation_L1")
        good = raw_lines(path)
        base = json.loads(good[0])
        bad = [
            json.dumps({**base, "sample_id": 9000 + i, "golden_choice_idx": "E"}).encode() for i in range(25)
        ]
        path.write_bytes(b"\n".join([*good, *bad]) + b"\n")
        out = outdir / "l1.parquet"
        proc = cli(*prepare_args(broken_root, "validation_L1", out, "--skip-bad-rows"))
        assert proc.returncode == 0, proc.stderr
        side = outdir / "l1.parquet.skipped.json"
        named = [ln for ln in proc.stdout.splitlines() if "validation_L1.jsonl:" in ln]
        assert len(named) == 20 and f"... and 5 more, all in {side}" in proc.stdout
        assert (
            "skipped 25 rows" in proc.stdout
            and "25 x bad annotation: field 'golden_choice_idx'" in proc.stdout
        )
        listed = json.loads(side.read_text())
        assert listed["skipped"] == 25 and len(listed["rows"]) == 25
        for i, entry in enumerate(listed["rows"]):
            assert entry["line"] == len(good) + 1 + i and entry["sample_id"] == 9000 + i
            assert entry["field"] == "golden_choice_idx" and "letter A-D" in entry["reason"]
        assert not list(outdir.glob(".*tmp"))

    def test_rows_refused_while_building_are_named_by_line(
        self, broken_root: Path, outdir: Path, capsys
    ) -> None:
        """A question with a media placeholder is found after parsing, when the row is built: it is still
        named by file and line (and sample id)."""
        row = edit_row(broken_root, "validation_L1", 4, question="Look at <image> twice")
        out = outdir / "l1.parquet"
        rc, _, err = run(capsys, prepare_args(broken_root, "validation_L1", out))
        one_error_line(rc, err, "validation_L1.jsonl:4:", f"sample {row['sample_id']!r}", "'question'")
        rc, printed, _ = run(capsys, prepare_args(broken_root, "validation_L1", out, "--skip-bad-rows"))
        assert rc == 0 and "validation_L1.jsonl:4:" in printed
        (entry,) = json.loads((outdir / "l1.parquet.skipped.json").read_text())["rows"]
        assert (entry["line"], entry["sample_id"], entry["field"]) == (4, row["sample_id"], "question")

    def test_missing_media_rows_are_named(self, broken_root: Path, outdir: Path, capsys) -> None:
        row = row_of(broken_root, "validation_L2", 2)
        (broken_root / "images" / row["video_source"] / row["current_observation_basename"]).unlink()
        out = outdir / "l2.parquet"
        rc, _, err = run(capsys, prepare_args(broken_root, "validation_L2", out, "--check-media"))
        one_error_line(rc, err, "validation_L2.jsonl:2:", "media file missing")
        rc, printed, _ = run(
            capsys, prepare_args(broken_root, "validation_L2", out, "--check-media", "--skip-bad-rows")
        )
        assert rc == 0 and "validation_L2.jsonl:2:" in printed
        (entry,) = json.loads((outdir / "l2.parquet.skipped.json").read_text())["rows"]
        assert entry["line"] == 2 and entry["sample_id"] == row["sample_id"] and "missing" in entry["reason"]

    def test_all_rows_bad_writes_nothing(self, broken_root: Path, outdir: Path, capsys) -> None:
        path = ann(broken_root, "validation_L2")
        path.write_bytes(b"\n".join(b"\xff" + line for line in raw_lines(path)) + b"\n")
        out = outdir / "l2.parquet"
        rc, _, err = run(capsys, prepare_args(broken_root, "validation_L2", out, "--skip-bad-rows"))
        one_error_line(rc, err, "no usable rows", "validation_L2.jsonl:1:", "nothing was written")
        assert listing(outdir) == {}

    def test_a_clean_rerun_removes_the_old_list(self, broken_root: Path, outdir: Path, capsys) -> None:
        good = ann(broken_root, "validation_L1").read_bytes()
        edit_row(broken_root, "validation_L1", 1, golden_choice_idx="E")
        out = outdir / "l1.parquet"
        assert run(capsys, prepare_args(broken_root, "validation_L1", out, "--skip-bad-rows"))[0] == 0
        assert (outdir / "l1.parquet.skipped.json").is_file()
        ann(broken_root, "validation_L1").write_bytes(good)
        rc, printed, _ = run(capsys, prepare_args(broken_root, "validation_L1", out, "--overwrite"))
        assert rc == 0 and "skipped 0 rows" in printed
        assert sorted(listing(outdir)) == ["l1.parquet"]


# --- 4. verify: a missing or empty split is a problem, size check or not -------------------------------------


class TestVerifyMissingAndEmpty:
    def test_missing_level_file_is_named(self, broken_root: Path) -> None:
        ann(broken_root, "validation_L2").unlink()
        proc = cli("verify", "--root", str(broken_root), "--no-expect-sizes")
        assert proc.returncode == 1 and "Traceback" not in proc.stderr
        assert "validation_L2.jsonl" in proc.stdout and proc.stdout.splitlines()[-1] == "FAILED"

    def test_missing_requested_split_is_named(self, broken_root: Path, capsys) -> None:
        ann(broken_root, "training_6k").unlink()
        rc, printed, _ = run(
            capsys, ["verify", "--root", str(broken_root), "--no-expect-sizes", "--splits", "training_6k"]
        )
        assert rc == 1 and "training_6k.jsonl" in printed and "not found" in printed

    @pytest.mark.parametrize("content", [b"", b"\n\n  \n"], ids=["empty", "blank lines"])
    def test_split_without_rows_is_a_problem(self, broken_root: Path, capsys, content: bytes) -> None:
        ann(broken_root, "validation_L3").write_bytes(content)
        rc, printed, _ = run(capsys, ["verify", "--root", str(broken_root), "--no-expect-sizes"])
        assert rc == 1
        assert f"validation_L3: {ann(broken_root, 'validation_L3')} holds no rows" in printed


# --- 5. prepare-verl outputs: nothing overwritten, nothing half-written ------------------------------------


@pytest.fixture
def previous(tmp_path: Path) -> Path:
    """An existing output, to prove it survives byte for byte."""
    out = tmp_path / "out" / "l1.parquet"
    out.parent.mkdir()
    out.write_bytes(b"the previous run's parquet")
    return out


class TestOutputs:
    def test_out_is_a_folder(self, fixture_root: Path, outdir: Path) -> None:
        (outdir / "dir" / "keep").mkdir(parents=True)
        proc = cli(*prepare_args(fixture_root, "validation_L1", outdir / "dir"))
        one_error_line(proc.returncode, proc.stderr, str(outdir / "dir"), "is a folder")
        assert listing(outdir) == {}

    def test_out_under_a_file(self, fixture_root: Path, previous: Path) -> None:
        before = listing(previous.parent)
        proc = cli(*prepare_args(fixture_root, "validation_L1", previous / "sub" / "x.parquet"))
        one_error_line(proc.returncode, proc.stderr, str(previous), "is a file, not a folder")
        assert listing(previous.parent) == before

    def test_existing_output_is_kept_without_overwrite(
        self, fixture_root: Path, previous: Path, capsys
    ) -> None:
        before = listing(previous.parent)
        rc, _, err = run(capsys, prepare_args(fixture_root, "validation_L1", previous))
        one_error_line(rc, err, str(previous), "exists", "--overwrite")
        assert listing(previous.parent) == before
        rc, _, err = run(capsys, prepare_args(fixture_root, "validation_L1", previous, "--overwrite"))
        assert rc == 0, err
        assert len(pq.read_table(previous)) > 0

    def test_out_is_the_annotation_file_being_read(self, broken_root: Path, capsys) -> None:
        source = ann(broken_root, "validation_L1")
        before = source.read_bytes()
        rc, _, err = run(capsys, prepare_args(broken_root, "validation_L1", source, "--overwrite"))
        one_error_line(rc, err, str(source), "annotation file being read")
        assert source.read_bytes() == before

    def test_existing_skipped_list_is_kept_without_overwrite(
        self, fixture_root: Path, outdir: Path, capsys
    ) -> None:
        side = outdir / "l1.parquet.skipped.json"
        side.write_text("mine")
        rc, _, err = run(capsys, prepare_args(fixture_root, "validation_L1", outdir / "l1.parquet"))
        one_error_line(rc, err, str(side), "exists")
        assert listing(outdir) == {"l1.parquet.skipped.json": b"mine"}

    @pytest.mark.parametrize("code", ["ENOSPC", "EROFS", "EACCES"])
    def test_write_failure_leaves_nothing_behind(
        self, broken_root: Path, previous: Path, monkeypatch, capsys, code: str
    ) -> None:
        """Disk full (or a read-only / forbidden folder) while writing: the temp file is removed, the previous
        output is untouched, and the error names the output and says the OS's reason plainly."""
        import pyarrow.parquet

        number = getattr(errno, code)
        written: list[Path] = []

        def fail(table, where, *args, **kwargs):  # noqa: ANN001
            Path(where).write_bytes(b"half a parquet")  # what a real failure leaves mid-write
            written.append(Path(where))
            raise OSError(
                number, f"Error writing bytes to file. Detail: [errno {number}] {os.strerror(number)}"
            )

        monkeypatch.setattr(pyarrow.parquet, "write_table", fail)
        edit_row(broken_root, "validation_L1", 1, golden_choice_idx="E")  # so a skipped list is due too
        before = listing(previous.parent)
        rc, _, err = run(
            capsys, prepare_args(broken_root, "validation_L1", previous, "--overwrite", "--skip-bad-rows")
        )
        line = one_error_line(rc, err, str(previous), os.strerror(number))
        if code == "ENOSPC":
            assert "No space left on device" in line and "free some space" in line
        assert written and written[0].parent == previous.parent and written[0] != previous
        assert listing(previous.parent) == before  # no temp file, no skipped list, the old file intact

    def test_skipped_list_write_failure_leaves_nothing_behind(
        self, broken_root: Path, previous: Path, monkeypatch, capsys
    ) -> None:
        import verl_recipe.rl_parquet as adapter

        def full(*args, **kwargs):  # noqa: ANN002, ANN003
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        edit_row(broken_root, "validation_L1", 1, golden_choice_idx="E")
        monkeypatch.setattr(adapter.json, "dump", full)
        before = listing(previous.parent)
        rc, _, err = run(
            capsys, prepare_args(broken_root, "validation_L1", previous, "--overwrite", "--skip-bad-rows")
        )
        one_error_line(rc, err, str(previous), "No space left on device")
        assert listing(previous.parent) == before

    @pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
    def test_read_only_folder(self, fixture_root: Path, outdir: Path) -> None:
        folder = outdir / "ro"
        folder.mkdir()
        folder.chmod(0o555)
        try:
            proc = cli(*prepare_args(fixture_root, "validation_L1", folder / "l1.parquet"))
            one_error_line(proc.returncode, proc.stderr, str(folder / "l1.parquet"), "Permission denied")
            assert list(folder.iterdir()) == []
        finally:
            folder.chmod(0o755)

    def test_read_only_folder_is_refused_before_the_conversion(
        self, fixture_root: Path, outdir: Path, monkeypatch, capsys
    ) -> None:
        """The folder is probed up front (a real read-only folder where the tests run as root: injected)."""
        import verl_recipe.rl_parquet as adapter

        def refuse(*args, **kwargs):  # noqa: ANN002, ANN003
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(outdir / ".probe"))

        def never(*args, **kwargs):  # noqa: ANN002, ANN003
            raise AssertionError("the annotations were read before the output was checked")

        monkeypatch.setattr(adapter.tempfile, "mkstemp", refuse)
        monkeypatch.setattr(adapter, "load_split", never)
        out = outdir / "l1.parquet"
        rc, _, err = run(capsys, prepare_args(fixture_root, "validation_L1", out))
        one_error_line(rc, err, str(out), "Read-only file system", "write elsewhere")
        assert listing(outdir) == {}
