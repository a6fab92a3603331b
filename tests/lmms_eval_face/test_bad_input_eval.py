"""A bad dataset root through ``seedbench-r1 eval`` (lmms-eval's real CLI, in process): for both benchmarks one
line naming the file and the sample or field, exit 1, no traceback, whatever ``--verbosity`` says; the
project's errors are not retried by lmms-eval (each case takes a second, not lmms-eval's 8 s of retries)."""

from __future__ import annotations

import functools
import json
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from seedbench_r1.cli import main


@pytest.fixture
def fast_cli(monkeypatch: pytest.MonkeyPatch) -> None:
    import lmms_eval.__main__ as lmms_main
    from lmms_eval.tasks import TaskManager

    monkeypatch.setattr(lmms_main, "TaskManager", functools.partial(TaskManager, include_defaults=False))


def _eval(task: str, verbosity: str = "INFO") -> list[str]:
    return [
        "eval",
        "--model",
        "dummy",
        "--model_args",
        "response=<answer>A</answer>",
        "--tasks",
        task,
        "--limit",
        "2",
        "--verbosity",
        verbosity,
    ]


def _one_error_line(capfd: pytest.CaptureFixture[str], code: int, *needles: str) -> str:
    out, err = capfd.readouterr()
    assert code == 1, (out[-2000:], err[-2000:])
    assert "Traceback" not in out + err, err[-3000:]
    (line,) = [ln for ln in err.splitlines() if ln.startswith("seedbench-r1 eval: error: ")]
    for needle in needles:
        assert needle in line, line
    return line


def _entries(root: Path) -> list[dict]:
    return json.loads((root / "lvb_val.json").read_text())


def _write(root: Path, entries: object) -> None:
    (root / "lvb_val.json").write_text(json.dumps(entries))


def _set(index: int, **fields: object) -> Callable[[Path], str]:
    def damage(root: Path) -> str:
        entries = _entries(root)
        entries[index].update(fields)
        _write(root, entries)
        return entries[index]["id"]

    return damage


def _missing_clip(root: Path) -> str:
    (root / "videos" / "lvbMid25fps.mp4").unlink()
    return "lvbMid25fps.mp4"


def _empty_clip(root: Path) -> str:
    (root / "videos" / "lvbMid25fps.mp4").write_bytes(b"")
    return "empty (0 bytes)"


def _duplicate_id(root: Path) -> str:
    entries = _entries(root)
    entries[1]["id"] = entries[0]["id"]
    _write(root, entries)
    return entries[0]["id"]


def _not_utf8(root: Path) -> str:
    (root / "lvb_val.json").write_bytes(b'[{"id": "\xff\xfe"}]')
    return "not readable JSON"


def _no_annotation(root: Path) -> str:
    (root / "lvb_val.json").unlink()
    return "no such file"


def _empty_list(root: Path) -> str:
    _write(root, [])
    return "no questions"


LVB_DAMAGE = {
    "missing clip": _missing_clip,
    "empty clip": _empty_clip,
    "six candidates": _set(0, candidates=["a", "b", "c", "d", "e", "f"]),
    "correct_choice out of range": _set(2, correct_choice=7),
    "empty candidate": _set(3, candidates=["a green bottle", " ", "a camera", "a cup"]),
    "duplicate id": _duplicate_id,
    "not UTF-8": _not_utf8,
    "no lvb_val.json": _no_annotation,
    "empty question list": _empty_list,
}


@pytest.mark.parametrize("case", list(LVB_DAMAGE))
def test_a_bad_longvideobench_root_is_one_line(
    case: str, lvb_root: Path, tmp_path: Path, fast_cli: None, monkeypatch: pytest.MonkeyPatch, capfd
) -> None:
    root = tmp_path / "LongVideoBench"
    shutil.copytree(lvb_root, root)
    needle = LVB_DAMAGE[case](root)
    monkeypatch.setenv("LONGVIDEOBENCH_ROOT", str(root))
    start = time.perf_counter()
    code = main(_eval("longvideobench_r1", verbosity="DEBUG" if case == "missing clip" else "INFO"))
    seconds = time.perf_counter() - start
    _one_error_line(capfd, code, needle)
    assert seconds < 8, f"{seconds:.1f} s: lmms-eval retried the project's error"


def test_no_longvideobench_root_at_all(tmp_path: Path, fast_cli: None, monkeypatch, capfd) -> None:
    monkeypatch.setenv("LONGVIDEOBENCH_ROOT", str(tmp_path / "nowhere"))
    _one_error_line(capfd, main(_eval("longvideobench_r1")), "lvb_val.json", "no such file")


@pytest.mark.parametrize("case", ["missing clip", "empty image", "bad row"])
def test_a_bad_seedbench_root_takes_the_same_path(
    case: str, fixture_root: Path, tmp_path: Path, fast_cli: None, monkeypatch: pytest.MonkeyPatch, capfd
) -> None:
    root = tmp_path / "root"
    shutil.copytree(fixture_root, root)
    annotations = root / "annotations" / "validation_L1.jsonl"
    rows = [json.loads(line) for line in annotations.read_text().splitlines()]
    if case == "missing clip":
        clip = next(r for r in rows if r["task_progress_metadata"])
        (root / "videos" / clip["video_source"] / clip["video_basename"]).unlink()
        needle = clip["video_basename"]
    elif case == "empty image":
        image = root / "images" / rows[0]["video_source"] / rows[0]["current_observation_basename"]
        image.write_bytes(b"")
        needle = "empty (0 bytes)"
    else:
        rows[1]["golden_choice_idx"] = "F"
        annotations.write_text("".join(json.dumps(r) + "\n" for r in rows))
        needle = f"{annotations}:2"
    monkeypatch.setenv("SEEDBENCH_R1_ROOT", str(root))
    _one_error_line(capfd, main(_eval("seedbench_r1_l1")), needle)


def test_a_wrapped_project_error_is_found_and_reported_as_input() -> None:
    """tenacity's RetryError (what lmms-eval raises after retrying) hides the project's error as its cause."""
    from tenacity import RetryError, Retrying, retry_if_exception_type, stop_after_attempt

    from seedbench_r1.cli import describe
    from seedbench_r1.protocol.errors import MediaError, project_error

    def fails() -> None:
        raise MediaError("sample x: video missing: /data/x.mp4")

    with pytest.raises(RetryError) as info:
        for attempt in Retrying(stop=stop_after_attempt(2), retry=retry_if_exception_type()):
            with attempt:
                fails()
    inner = project_error(info.value)
    assert isinstance(inner, MediaError) and describe(inner) == "sample x: video missing: /data/x.mp4"
    assert project_error(RuntimeError("a bug")) is None
