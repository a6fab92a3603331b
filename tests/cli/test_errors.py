"""One error path for the whole CLI: anticipated failures are one line and exit 1; bugs keep their traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ENV = {**os.environ, "FORCE_QWENVL_VIDEO_READER": "decord"}
ENV.pop("SEEDBENCH_R1_DEBUG", None)


def cli(*args: str, code: str | None = None, env: dict | None = None, cwd: Path | None = None):
    """Run the console entry point in a fresh interpreter; ``code`` runs first (to plant a bug)."""
    prelude = (code or "") + "\nfrom seedbench_r1.cli import main\nraise SystemExit(main())"
    return subprocess.run(
        [sys.executable, "-c", prelude, *args],
        capture_output=True,
        text=True,
        env=env or ENV,
        cwd=cwd,
        timeout=300,
    )


def assert_one_line_error(proc: subprocess.CompletedProcess, *needles: str) -> str:
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    (line,) = [ln for ln in proc.stderr.splitlines() if ": error: " in ln]
    for needle in needles:
        assert needle in line, line
    return line


def test_os_error_on_output_is_one_line_naming_the_path(tmp_path: Path) -> None:
    target = tmp_path / "afile"
    target.write_text("keep me")
    line = assert_one_line_error(cli("make-tiny-model", "--out", str(target)), str(target), "File exists")
    assert line.startswith("seedbench-r1 make-tiny-model: error:")
    assert target.read_text() == "keep me"
    assert_one_line_error(
        cli("make-tiny-model", "--out", str(target / "sub")), str(target / "sub"), "not a folder"
    )


def test_debug_shows_the_traceback_of_an_anticipated_error(tmp_path: Path) -> None:
    target = tmp_path / "afile"
    target.write_text("")
    proc = cli("--debug", "make-tiny-model", "--out", str(target))
    assert proc.returncode == 1 and "Traceback" in proc.stderr
    proc = cli("make-tiny-model", "--out", str(target), env={**ENV, "SEEDBENCH_R1_DEBUG": "1"})
    assert proc.returncode == 1 and "Traceback" in proc.stderr


def test_planted_internal_bug_keeps_its_traceback_and_says_bug(tmp_path: Path) -> None:
    """Not a blanket `except Exception`: an unanticipated error is reported as a bug, with the traceback."""
    plant = "import seedbench_r1.cli.fixtures as f\nf._make_fixture = lambda args: {}['planted']"
    proc = cli("make-fixture", "--root", str(tmp_path / "r"), code=plant)
    assert proc.returncode == 70
    assert "Traceback" in proc.stderr and "KeyError: 'planted'" in proc.stderr
    assert "bug in seedbench-r1" in proc.stderr


@pytest.mark.parametrize("errno_name", ["ENOSPC", "EROFS", "EACCES"])
def test_os_errors_say_what_to_do(errno_name: str, tmp_path: Path) -> None:
    plant = (
        "import errno, os\nimport seedbench_r1.cli.fixtures as f\n"
        f"def boom(args):\n    raise OSError(errno.{errno_name}, os.strerror(errno.{errno_name}), 'out/x.parquet')\n"
        "f._make_fixture = boom"
    )
    line = assert_one_line_error(cli("make-fixture", "--root", str(tmp_path), code=plant), "out/x.parquet")
    assert os.strerror(getattr(__import__("errno"), errno_name)) in line
    assert "elsewhere" in line or "space" in line
