"""The protocol imports nothing of the faces, the tooling or the frameworks: every import statement of its
modules read (lazy ones included), and the modules imported in a fresh interpreter. Each check also runs on a
planted violation, so it cannot pass whatever the code does."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROTOCOL_DIR = ROOT / "seedbench_r1" / "protocol"
# The protocol's modules: its package, plus LongVideoBench's loader (the same rules on another benchmark).
PROTOCOL_MODULES = sorted(
    f"seedbench_r1.protocol.{p.stem}" if p.stem != "__init__" else "seedbench_r1.protocol"
    for p in PROTOCOL_DIR.glob("*.py")
) + ["seedbench_r1.longvideobench.loader"]
# What a protocol module may import of the project: the protocol itself, and the package roots above it.
ALLOWED_OWN = ("seedbench_r1.protocol", "seedbench_r1.longvideobench.loader")
ALLOWED_ROOTS = ("seedbench_r1", "seedbench_r1.longvideobench")
FORBIDDEN = ("lmms_eval_tasks", "verl_recipe", "reward_fns", "lmms_eval", "verl", "vllm")


def _module_file(name: str) -> Path:
    parts = name.split(".")
    path = ROOT.joinpath(*parts)
    return path / "__init__.py" if path.is_dir() else path.with_suffix(".py")


def _forbidden(name: str) -> bool:
    top = name.split(".")[0]
    if top in FORBIDDEN:
        return True
    if top == "seedbench_r1" and name not in ALLOWED_ROOTS:
        return not any(name == own or name.startswith(own + ".") for own in ALLOWED_OWN)
    return False


def static_violations(files: dict[str, Path]) -> list[str]:
    """Every import statement (top level or inside a function) of each file that reaches outside."""
    out = []
    for module, path in files.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                base = node.module
                targets = [base] if base != "seedbench_r1" else [f"{base}.{a.name}" for a in node.names]
            else:
                continue
            out += [f"{module}:{node.lineno} imports {t}" for t in targets if _forbidden(t)]
    return out


def runtime_violations(modules: list[str], extra_path: str | None = None) -> list[str]:
    """The forbidden modules present after importing ``modules`` in a fresh interpreter."""
    code = (
        "import importlib, json, sys\n"
        + (f"sys.path.insert(0, {extra_path!r})\n" if extra_path else "")
        + f"for m in {modules!r}:\n    importlib.import_module(m)\n"
        + "print(json.dumps(sorted(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    return [m for m in json.loads(out.stdout.splitlines()[-1]) if _forbidden(m)]


def test_protocol_modules_import_nothing_outside_the_protocol() -> None:
    assert len(PROTOCOL_MODULES) >= 15
    assert static_violations({m: _module_file(m) for m in PROTOCOL_MODULES}) == []
    assert runtime_violations(PROTOCOL_MODULES) == []


def test_a_planted_import_is_caught(tmp_path: Path) -> None:
    planted = tmp_path / "planted_protocol_module.py"
    planted.write_text(
        "from seedbench_r1.protocol import answer\n"
        "import verl_recipe\n"
        "def later():\n    from seedbench_r1.report import results\n"
    )
    found = static_violations({"planted_protocol_module": planted})
    assert [f.split(" imports ")[1] for f in found] == ["verl_recipe", "seedbench_r1.report"]
    assert "verl_recipe" in runtime_violations(["planted_protocol_module"], str(tmp_path))
