"""Session-wide fixtures: the miniature SEED-Bench-R1 and the tiny random checkpoints, built once per run.

Tests must not change these folders; a test that needs a broken dataset copies the fixture first
(``broken_root``).
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

# Everything is offline: no hub lookups from transformers / datasets / lmms-eval.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# qwen-vl-utils 0.0.14 prefers torchcodec (pulled in by verl-core), which cannot load without system FFmpeg
# libraries, and its fallback (torchvision.io.read_video) is gone from torchvision 0.29: force decord, the
# reader the official code used and the core decodes with. Read when qwen_vl_utils is imported.
os.environ.setdefault("FORCE_QWENVL_VIDEO_READER", "decord")


@pytest.fixture(scope="session")
def fixture_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A miniature SEED-Bench-R1 in the real layout (read-only by convention)."""
    from seedbench_r1.fixtures.seedbench import make_fixture

    root = tmp_path_factory.mktemp("seedbench_r1_fixture")
    make_fixture(root)
    return root


@pytest.fixture
def broken_root(fixture_root: Path, tmp_path: Path) -> Path:
    """A private copy of the fixture that a test may damage."""
    dest = tmp_path / "root"
    shutil.copytree(fixture_root, dest)
    return dest


@pytest.fixture(scope="session")
def tiny_qwen2_vl(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from seedbench_r1.fixtures.tiny_model import build_tiny_qwen2_vl

    return Path(build_tiny_qwen2_vl(tmp_path_factory.mktemp("tiny_qwen2_vl")))


@pytest.fixture(scope="session")
def tiny_qwen2_5_vl(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from seedbench_r1.fixtures.tiny_model import build_tiny_qwen2_5_vl

    return Path(build_tiny_qwen2_5_vl(tmp_path_factory.mktemp("tiny_qwen2_5_vl")))


def _fit(base: Path, root: Path, tmp_path_factory: pytest.TempPathFactory, name: str) -> Path:
    from seedbench_r1.fixtures.tiny_fit import fit_tiny_model

    out = tmp_path_factory.mktemp(name) / "model"
    fit_tiny_model(base, root, out)
    return out


@pytest.fixture(scope="session")
def tiny_qwen2_vl_fit(
    tiny_qwen2_vl: Path, fixture_root: Path, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """The tiny Qwen2-VL fit briefly on the fixture's training rows: its sampled answers are sometimes right."""
    return _fit(tiny_qwen2_vl, fixture_root, tmp_path_factory, "tiny_qwen2_vl_fit")


@pytest.fixture(scope="session")
def tiny_qwen2_5_vl_fit(
    tiny_qwen2_5_vl: Path, fixture_root: Path, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """The tiny Qwen2.5-VL fit the same way (peaked distributions make position errors visible in probs)."""
    return _fit(tiny_qwen2_5_vl, fixture_root, tmp_path_factory, "tiny_qwen2_5_vl_fit")


def _pristine_video_processor_size():
    try:
        from transformers.models.qwen2_vl.video_processing_qwen2_vl import Qwen2VLVideoProcessor
    except ImportError:  # transformers is an extra; core-only runs have nothing to restore
        return None, None
    return Qwen2VLVideoProcessor, copy.deepcopy(Qwen2VLVideoProcessor.size)


_VIDEO_PROCESSOR_CLASS, _VIDEO_PROCESSOR_SIZE = _pristine_video_processor_size()


@pytest.fixture(autouse=True)
def _restore_qwen2vl_video_processor_defaults():
    """transformers 5.9.0: ``Qwen2VLVideoProcessor.__init__`` writes a checkpoint's min/max pixels into the
    class-level ``size`` dict, so every later default-constructed processor in the process inherits them.
    Restore the class default after each test so that no test's outcome depends on test order."""
    yield
    if _VIDEO_PROCESSOR_CLASS is not None:
        _VIDEO_PROCESSOR_CLASS.size = copy.deepcopy(_VIDEO_PROCESSOR_SIZE)


# The dummy model's fixed responses: always B (well formatted), and no answer at all (no <answer> block).
LMMS_RESPONSES = {
    "B": "<think>always B</think><answer>B</answer>",
    "none": "<think>I cannot tell what comes next.</think>",
}

# Both runs through lmms-eval's own CLI entry point in ONE interpreter (importing lmms-eval costs more than
# evaluating 26 docs with the dummy model); a subprocess keeps lmms-eval's global logger and seeds out of pytest.
_DRIVER = """
import json, sys
from lmms_eval.__main__ import cli_evaluate
for argv in json.loads(sys.argv[1]):
    sys.argv = ["lmms-eval", *argv]
    cli_evaluate()
"""


def run_dummy_evals(
    base: Path, responses: dict[str, str], tasks: str, env: dict[str, str]
) -> dict[str, Path]:
    """One real lmms-eval run per response of its ``dummy`` model on ``tasks`` with --log_samples, all in one
    interpreter; the output folder of each, ``base/dummy_<key>``."""
    outs = {key: base / f"dummy_{key}" for key in responses}
    argvs = [
        [
            "--model", "dummy",
            "--model_args", f"response={responses[key]}",
            "--tasks", tasks,
            "--include_path", str(Path(__file__).resolve().parents[1] / "lmms_eval_tasks"),
            "--output_path", str(out),
            "--log_samples",
            "--verbosity", "DEBUG",  # lmms-eval may exit 0 on "Tasks not found" otherwise
        ]
        for key, out in outs.items()
    ]  # fmt: skip
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", **env}
    proc = subprocess.run(
        [sys.executable, "-c", _DRIVER, json.dumps(argvs)], env=env, cwd=base, capture_output=True, text=True,
        timeout=600,
    )  # fmt: skip
    log = (proc.stdout + proc.stderr)[-4000:]
    assert proc.returncode == 0, f"lmms-eval failed:\n{log}"
    for key, out in outs.items():
        assert list(out.glob("*_results.json")), f"no results written for {key}:\n{log}"
    return outs


@pytest.fixture(scope="session")
def lmms_runs(fixture_root: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Two real lmms-eval runs (the dummy model always answering B, then never answering) with --log_samples."""
    return run_dummy_evals(
        tmp_path_factory.mktemp("lmms_runs"),
        LMMS_RESPONSES,
        "seedbench_r1",
        {"SEEDBENCH_R1_ROOT": str(fixture_root)},
    )


# The miniature LongVideoBench (tests must not change it) and lmms-eval's dummy model answering E, then B.
LVB_RESPONSES = {"E": "<think>five</think><answer>E</answer>", "B": "<think>two</think><answer>B.</answer>"}


@pytest.fixture(scope="session")
def lvb_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from seedbench_r1.longvideobench.fixture import make_lvb_fixture

    root = tmp_path_factory.mktemp("lvb") / "LongVideoBench"
    make_lvb_fixture(root)
    return root


@pytest.fixture(scope="session")
def lvb_dummy_runs(lvb_root: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return run_dummy_evals(
        tmp_path_factory.mktemp("lvb_runs"),
        LVB_RESPONSES,
        "longvideobench_r1",
        {"LONGVIDEOBENCH_ROOT": str(lvb_root)},
    )
