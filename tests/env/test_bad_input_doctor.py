"""``doctor --lock PATH``: the lock the user named is what they asked doctor to check against, so one it cannot
read is a ``problem`` naming the file (exit 1), never a warning or "ok, 0 pins"; a ``--root`` that is a file is
named as a file, not as missing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from seedbench_r1.env.doctor import CHECKS, PROBLEM, Context, run_check

CHECK = dict(CHECKS)


def _lock_case(tmp_path: Path, kind: str) -> tuple[Path, str]:
    path = tmp_path / "my.lock"
    if kind == "missing":
        return path, "No such file"
    if kind == "empty":
        path.write_text("# only a comment\n\n")
        return path, "no pins in it"
    if kind == "garbage":
        path.write_text("torch==2.11.0\nthis is not a pin\n")
        return path, f"{path}:2: not a plain 'name==version' pin"
    if kind == "binary":
        path.write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe")
        return path, "not a text file"
    if kind == "folder":
        path.mkdir()
        return path, "not a regular file"
    if kind == "fifo":
        os.mkfifo(path)
        return path, "not a regular file"
    raise AssertionError(kind)


@pytest.mark.parametrize("kind", ["missing", "empty", "garbage", "binary", "folder", "fifo"])
def test_a_named_lock_that_cannot_be_read_is_a_problem(kind: str, tmp_path: Path) -> None:
    path, needle = _lock_case(tmp_path, kind)
    result = run_check("lock", CHECK["lock"], Context(lock=str(path)))
    assert result.status == PROBLEM, result
    assert str(path) in result.detail and needle in result.detail, result.detail


def test_the_cli_exits_1_on_it_and_names_a_root_that_is_a_file(tmp_path: Path) -> None:
    path, _ = _lock_case(tmp_path, "empty")
    root = tmp_path / "root.txt"
    root.write_text("not a folder")
    env = {**os.environ, "FORCE_QWENVL_VIDEO_READER": "decord"}
    proc = subprocess.run(
        [sys.executable, "-m", "seedbench_r1", "doctor", "--lock", str(path), "--root", str(root)],
        capture_output=True, text=True, env=env, timeout=180,
    )  # fmt: skip
    assert proc.returncode == 1 and "Traceback" not in proc.stdout + proc.stderr
    lock_line = next(ln for ln in proc.stdout.splitlines() if ln.split()[1:2] == ["lock"])
    root_line = next(ln for ln in proc.stdout.splitlines() if ln.split()[1:2] == ["dataset"])
    assert lock_line.startswith("problem") and str(path) in lock_line
    assert root_line.startswith("problem") and f"{root} is a file, not a folder" in root_line
