"""The wheel carries the four packages and their non-Python files (task YAML, recipes, run scripts)."""

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> zipfile.ZipFile:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(out),
            str(ROOT),
        ],
        check=True,
    )
    (path,) = out.glob("seedbench_r1-*.whl")
    return zipfile.ZipFile(path)


def test_wheel_ships_package_data(wheel):
    names = set(wheel.namelist())
    for package in ("seedbench_r1", "reward_fns", "lmms_eval_tasks", "verl_recipe"):
        assert f"{package}/__init__.py" in names
    for source in [
        *ROOT.glob("lmms_eval_tasks/**/*.yaml"),
        *ROOT.glob("lmms_eval_tasks/*/utils.py"),
        ROOT / "lmms_eval_tasks/docs_placeholder.md",
        *ROOT.glob("verl_recipe/*.yaml"),
        *ROOT.glob("verl_recipe/*.sh"),
    ]:
        assert source.relative_to(ROOT).as_posix() in names, source
    assert any(n.endswith(".yaml") for n in names)
    # doctor compares an installed environment with the locks, so they ship too
    assert {"seedbench_r1/locks/cpu.txt", "seedbench_r1/locks/gpu.txt"} <= names
    # the sample browser's page (report --html copies it into every site)
    static = {f"seedbench_r1/browser/static/{n}" for n in ("index.html", "app.js", "style.css", "icon.svg")}
    assert static <= names
    assert not any(n.startswith("tests/") for n in names)


def test_wheel_declares_console_script_and_model_entry_point(wheel):
    (ep_name,) = [n for n in wheel.namelist() if n.endswith("entry_points.txt")]
    text = wheel.read(ep_name).decode()
    assert "seedbench-r1 = seedbench_r1.cli:main" in text
    assert "[lmms_eval.models]" in text and "lmms_eval_tasks.models.seedbench_r1_qwen_vl:manifest" in text


def test_faces_import_together():
    code = "import seedbench_r1, reward_fns, lmms_eval_tasks, verl_recipe; print('ok')"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "ok"
