"""Session-wide fixtures: the miniature SEED-Bench-R1 and the tiny random checkpoints, built once per run.

Tests must not change these folders; a test that needs a broken dataset copies the fixture first
(``broken_root``).
"""

from __future__ import annotations

import copy
import os
import shutil
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
    from seedbench_r1.fixture import make_fixture

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
    from seedbench_r1.tiny_model import build_tiny_qwen2_vl

    return Path(build_tiny_qwen2_vl(tmp_path_factory.mktemp("tiny_qwen2_vl")))


@pytest.fixture(scope="session")
def tiny_qwen2_5_vl(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from seedbench_r1.tiny_model import build_tiny_qwen2_5_vl

    return Path(build_tiny_qwen2_5_vl(tmp_path_factory.mktemp("tiny_qwen2_5_vl")))


def _fit(base: Path, root: Path, tmp_path_factory: pytest.TempPathFactory, name: str) -> Path:
    from seedbench_r1.tiny_fit import fit_tiny_model

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
