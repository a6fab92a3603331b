"""doctor: each check reads the real environment, so the tests plant real conditions and run the real command.

A planted condition is a file on the subprocess's PYTHONPATH (a fake ``*.dist-info`` or a package that fails to
import) or a fake ``nvidia-smi`` on its PATH; nothing in the doctor is patched.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from seedbench_r1.env.doctor import (
    CHECK_NAMES,
    FLASH_ATTN_PIN,
    PINNED,
    REQUIRES_PYTHON,
    VLLM_PIN,
    Context,
    Result,
    min_driver,
    run_check,
    satisfies,
)
from seedbench_r1.env.locks import LOCKS
from seedbench_r1.protocol.frame_cache import RULE

REPO = Path(__file__).resolve().parents[2]


def doctor(
    *args: str,
    pythonpath: list[Path] = (),
    path: list[Path] = (),
    env: dict[str, str | None] | None = None,
) -> subprocess.CompletedProcess[str]:
    """``python -m seedbench_r1 doctor ARGS`` with planted dirs in front of PYTHONPATH / PATH."""
    full = dict(os.environ)
    full["FORCE_QWENVL_VIDEO_READER"] = "decord"
    full.pop("SEEDBENCH_R1_ROOT", None)
    for key, value in (env or {}).items():
        if value is None:
            full.pop(key, None)
        else:
            full[key] = value
    if pythonpath:
        full["PYTHONPATH"] = os.pathsep.join([*map(str, pythonpath), full.get("PYTHONPATH", "")]).rstrip(
            os.pathsep
        )
    if path:
        full["PATH"] = os.pathsep.join([*map(str, path), full.get("PATH", "")])
    return subprocess.run(
        [sys.executable, "-m", "seedbench_r1", "doctor", *args],
        capture_output=True,
        text=True,
        env=full,
        cwd=REPO,
        timeout=180,
        check=False,
    )


def line(out: str, check: str) -> str:
    """The one output line of ``check``."""
    found = [ln for ln in out.splitlines() if ln.split()[1:2] == [check]]
    assert len(found) == 1, f"expected one {check!r} line in:\n{out}"
    return found[0]


def plant_dist(where: Path, name: str, version: str) -> None:
    info = where / f"{name}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")


def fake_nvidia_smi(where: Path, row: str) -> Path:
    where.mkdir(parents=True, exist_ok=True)
    script = where / "nvidia-smi"
    script.write_text(f"#!/bin/sh\necho '{row}'\n")
    script.chmod(0o755)
    return where


def installed(name: str) -> bool:
    return importlib.util.find_spec(name) is not None


# ------------------------------------------------------------------------------------------ the real venv


def test_clean_environment_has_no_problem(fixture_root: Path) -> None:
    proc = doctor("--root", str(fixture_root))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    assert [ln.split()[1] for ln in lines] == CHECK_NAMES
    assert not [ln for ln in lines if ln.startswith("problem")], proc.stdout
    assert line(proc.stdout, "python").startswith("ok")
    assert line(proc.stdout, "video-reader").startswith("ok")
    assert "FORCE_QWENVL_VIDEO_READER=decord" in line(proc.stdout, "video-reader")
    # the fixture is valid but not release-sized: a warning that says so, with the split sizes
    dataset = line(proc.stdout, "dataset")
    assert dataset.startswith("warning")
    assert "sizes differ from the release" in dataset
    assert "validation_L1 8 rows, the full release has 2432" in dataset
    assert line(proc.stdout, "frame-cache").startswith("ok")
    assert "none (optional: seedbench-r1 extract-frames)" in line(proc.stdout, "frame-cache")


def test_json_lists_every_check(fixture_root: Path) -> None:
    proc = doctor("--root", str(fixture_root), "--json")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    results = json.loads(proc.stdout)
    assert [r["check"] for r in results] == CHECK_NAMES
    for r in results:
        assert set(r) == {"check", "status", "detail", "fix"}
        assert r["status"] in {"ok", "warning"}
        assert r["detail"]
        if r["status"] == "warning":
            assert r["fix"], r


# ------------------------------------------------------------------------------------------ planted traps


def test_filelock_4_without_api_is_a_problem(tmp_path: Path, fixture_root: Path) -> None:
    if not installed("lmms_eval"):
        pytest.skip("lmms-eval is not installed: the filelock trap does not apply")
    plant_dist(tmp_path, "filelock", "4.3.1")
    (tmp_path / "filelock").mkdir()
    (tmp_path / "filelock" / "__init__.py").write_text('__version__ = "4.3.1"\n')  # no _api module
    proc = doctor("--root", str(fixture_root), pythonpath=[tmp_path])
    assert proc.returncode == 1, proc.stdout
    found = line(proc.stdout, "filelock")
    assert found.startswith("problem")
    assert "filelock 4.3.1" in found
    assert "no filelock._api" in found
    assert "fix: pip install 'filelock<4'" in found


def test_fake_gpu_with_old_driver(tmp_path: Path, fixture_root: Path) -> None:
    import torch

    bin_dir = fake_nvidia_smi(tmp_path / "bin", "NVIDIA H100 80GB HBM3, 81559, 535.00")
    proc = doctor("--root", str(fixture_root), path=[bin_dir])
    gpu = line(proc.stdout, "gpu")
    assert gpu.startswith("ok")
    assert "NVIDIA H100 80GB HBM3 (80 GiB)" in gpu
    assert "driver 535.00" in gpu
    driver = line(proc.stdout, "driver")
    need = min_driver(torch.version.cuda) if torch.version.cuda else None
    if need is None or need <= 535:
        pytest.skip(f"torch {torch.__version__} (CUDA {torch.version.cuda}) does not need a driver > 535")
    assert driver.startswith("problem"), driver
    assert f"driver 535.00 is too old for torch {torch.__version__}" in driver
    assert f"needs driver >= {need}" in driver
    assert proc.returncode == 1
    # a GPU host now: the GPU-only pieces are asked for (this venv has neither)
    if not installed("flash_attn"):
        assert line(proc.stdout, "flash-attn").startswith("warning")
        assert f"flash-attn=={FLASH_ATTN_PIN}" in line(proc.stdout, "flash-attn")


def test_fake_gpu_with_new_driver(tmp_path: Path, fixture_root: Path) -> None:
    import torch

    bin_dir = fake_nvidia_smi(tmp_path / "bin", "NVIDIA H200, 143771, 580.95.05")
    proc = doctor("--root", str(fixture_root), path=[bin_dir])
    assert "GPU0 NVIDIA H200 (140 GiB)" in line(proc.stdout, "gpu")
    driver = line(proc.stdout, "driver")
    assert driver.startswith("ok"), driver
    assert "driver 580.95.05" in driver
    if not torch.cuda.is_available():  # no real GPU behind the fake nvidia-smi: torch must say so
        torch_cuda = line(proc.stdout, "torch-cuda")
        assert torch_cuda.startswith("problem")
        assert "nvidia-smi lists 1 GPU(s) but torch.cuda.is_available() is False" in torch_cuda
        assert proc.returncode == 1


def test_video_reader_unset(fixture_root: Path) -> None:
    if not installed("qwen_vl_utils"):
        pytest.skip("qwen-vl-utils is not installed: no video reader to configure")
    proc = doctor("--root", str(fixture_root), env={"FORCE_QWENVL_VIDEO_READER": None})
    found = line(proc.stdout, "video-reader")
    assert found.split()[0] in {"warning", "problem"}
    assert "FORCE_QWENVL_VIDEO_READER unset" in found
    assert "fix: export FORCE_QWENVL_VIDEO_READER=decord" in found
    if installed("torchcodec") and found.startswith("problem"):
        # torchcodec is installed but cannot load its FFmpeg-backed core: the reason is named
        assert "torchcodec, which cannot load" in found
        assert proc.returncode == 1


def test_broken_decord_is_a_problem(tmp_path: Path, fixture_root: Path) -> None:
    (tmp_path / "decord").mkdir()
    (tmp_path / "decord" / "__init__.py").write_text('raise ImportError("planted: decord is broken")\n')
    proc = doctor("--root", str(fixture_root), pythonpath=[tmp_path])
    found = line(proc.stdout, "decord")
    assert "fails to import (ImportError: planted: decord is broken)" in found
    assert "fix: pip install decord==0.6.0" in found
    if installed("qwen_vl_utils") or installed("verl"):
        assert found.startswith("problem")
        assert proc.returncode == 1
    else:
        assert found.startswith("warning")


def test_lock_mismatch_names_the_package(tmp_path: Path, fixture_root: Path) -> None:
    import pyarrow

    plant_dist(tmp_path / "site", "pyarrow", "0.0.1")
    lock = tmp_path / "lock.txt"
    lock.write_text(f"# a one-pin lock\npyarrow=={pyarrow.__version__}\n")
    proc = doctor("--root", str(fixture_root), "--lock", str(lock), pythonpath=[tmp_path / "site"])
    found = line(proc.stdout, "lock")
    assert found.startswith("warning")
    assert "1 changed, 0 missing" in found
    assert f"pyarrow 0.0.1 (lock {pyarrow.__version__})" in found
    assert f"fix: pip install --no-deps -r {lock}" in found
    # not blocking
    assert proc.returncode == 0, proc.stdout


def test_lock_mismatch_against_the_shipped_cpu_lock(tmp_path: Path, fixture_root: Path) -> None:
    if not LOCKS["cpu"].is_file():
        pytest.skip(f"{LOCKS['cpu']} does not exist yet (the lock files are generated separately)")
    plant_dist(tmp_path, "pyarrow", "0.0.1")
    proc = doctor("--root", str(fixture_root), "--lock", "cpu", pythonpath=[tmp_path])
    found = line(proc.stdout, "lock")
    assert found.startswith("warning")
    assert f"cpu lock {LOCKS['cpu']}" in found
    assert "pyarrow 0.0.1 (lock " in found
    assert f"fix: pip install --no-deps -r {LOCKS['cpu']}" in found


def test_a_missing_named_lock_is_a_problem(tmp_path: Path, fixture_root: Path) -> None:
    """The user asked doctor to compare with that file: not finding it is a problem (was a warning)."""
    proc = doctor("--root", str(fixture_root), "--lock", str(tmp_path / "nope.txt"))
    found = line(proc.stdout, "lock")
    assert found.startswith("problem") and proc.returncode == 1
    assert f"{tmp_path / 'nope.txt'}: No such file" in found


# ------------------------------------------------------------------------------------------ data


def test_missing_root_is_a_warning_with_the_download_command(tmp_path: Path) -> None:
    root = tmp_path / "no_data"
    proc = doctor("--root", str(root))
    found = line(proc.stdout, "dataset")
    assert found.startswith("warning")
    assert f"dataset root {root} does not exist" in found
    assert f"fix: seedbench-r1 download --root {root} --parts validation" in found


def test_missing_annotation_file_is_a_problem(broken_root: Path) -> None:
    (broken_root / "annotations" / "validation_L2.jsonl").unlink()
    proc = doctor("--root", str(broken_root))
    found = line(proc.stdout, "dataset")
    assert found.startswith("problem")
    assert f"missing {broken_root / 'annotations' / 'validation_L2.jsonl'}" in found
    assert f"seedbench-r1 verify --root {broken_root}" in found
    assert proc.returncode == 1


def test_frame_cache_entries_are_counted_and_stale_ones_flagged(tmp_path: Path) -> None:
    root = tmp_path / "root"
    entry = root / "frames" / "videos" / "EpicKitchens" / "a.mp4"
    entry.mkdir(parents=True)
    (entry / "manifest.json").write_text(json.dumps({"rule": RULE}))
    proc = doctor("--root", str(root))
    found = line(proc.stdout, "frame-cache")
    assert found.startswith("ok")
    assert (
        f"1 clips, 0 images cached in {root / 'frames'} (format {RULE['cache_format']}, current rule" in found
    )

    old = root / "frames" / "images" / "EpicKitchens" / "b.png"
    old.mkdir(parents=True)
    (old / "manifest.json").write_text(json.dumps({"rule": {**RULE, "cache_format": 1}}))
    found = line(doctor("--root", str(root)).stdout, "frame-cache")
    assert found.startswith("warning")
    assert "1 clips, 1 images" in found and f"format 1, format {RULE['cache_format']}" in found
    assert "1 of 2 sampled entries were made under another rule" in found
    assert f"fix: seedbench-r1 extract-frames --root {root}" in found


# ------------------------------------------------------------------------------------------ pure parts


def test_pins_agree_with_pyproject() -> None:
    tomllib = pytest.importorskip("tomllib")
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert project["requires-python"].replace(" ", "") in {REQUIRES_PYTHON, "<3.13,>=3.10"}
    pins = {}
    for reqs in project["optional-dependencies"].values():
        for req in reqs:
            name, _, version = req.partition("==")
            pins[name.split("[")[0].strip()] = version.strip()
    for name, version in PINNED.items():
        assert pins.get(name) == version, name
    assert VLLM_PIN == "0.24.0"


def test_small_helpers() -> None:
    assert satisfies("3.11.7", ">=3.10,<3.13")
    assert not satisfies("3.13.0", ">=3.10,<3.13")
    assert not satisfies("3.9.18", ">=3.10,<3.13")
    assert min_driver("13.0") == 580
    assert min_driver("12.8") == 570
    assert min_driver("12.4") == 550
    assert min_driver("10.2") is None


def test_python_without_the_tar_data_filter_is_a_warning(monkeypatch: pytest.MonkeyPatch) -> None:
    import tarfile

    from seedbench_r1.env.doctor import check_python

    assert check_python(Context()).status == "ok"
    monkeypatch.delattr(tarfile, "data_filter")  # what Python < 3.10.12 / 3.11.4 looks like
    result = check_python(Context())
    assert result.status == "warning"
    assert "no tarfile 'data' filter" in result.detail and "refuse to unpack tar archives" in result.detail


def test_a_check_that_raises_is_reported_not_raised() -> None:
    def broken(ctx: Context) -> Result:
        raise KeyError("boom")

    result = run_check("broken", broken, Context())
    assert result.status == "problem"
    assert "bug in doctor: check broken raised KeyError" in result.detail


@pytest.mark.skipif(shutil.which("sh") is None, reason="the fake nvidia-smi is a shell script")
def test_failing_nvidia_smi_is_a_warning(tmp_path: Path, fixture_root: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "nvidia-smi"
    script.write_text(
        "#!/bin/sh\necho 'NVIDIA-SMI has failed because it could not communicate' >&2\nexit 9\n"
    )
    script.chmod(0o755)
    found = line(doctor("--root", str(fixture_root), path=[bin_dir]).stdout, "gpu")
    assert found.startswith("warning")
    assert "NVIDIA-SMI has failed" in found
