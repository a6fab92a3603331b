"""Every shell command documented in README.md and docs/*.md is checked with the real tools: one test per doc
line (id ``file:line``). The classes and how each is checked: tests/helpers/doc_commands/. A command in no class
fails, so a new kind of documented command needs a check before it can land.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

_HELPER = Path(__file__).parents[1] / "helpers" / "doc_commands"
# A package loaded by path (tests/ is no package): its modules import each other relatively.
_spec = importlib.util.spec_from_file_location(
    "seedbench_r1_doc_commands", _HELPER / "__init__.py", submodule_search_locations=[str(_HELPER)]
)
assert _spec is not None and _spec.loader is not None
dc = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = dc  # dataclasses and the relative imports look their package up
_spec.loader.exec_module(dc)


def _rel(path: Path) -> str:
    return str(path.relative_to(dc.REPO))


COMMAND_LINES = [(_rel(doc), line) for doc in dc.DOC_FILES for line in dc.command_lines(doc)]


@pytest.fixture(scope="module")
def checker(fixture_root: Path, tmp_path_factory: pytest.TempPathFactory):
    """One checker for the module: its caches make the planted copies below cheap. The first GRPO and the
    first SFT launch line it composes are also started as the literal ``--cfg job --resolve`` subprocess."""
    workdir = tmp_path_factory.mktemp("doc_commands")
    chk = dc.Checker(workdir, fixture_root)
    chk.literal = {}  # module -> (record, Popen)

    def start_literal(record) -> None:
        if record.module in chk.literal:
            return
        argv = [
            sys.executable,
            "-m",
            record.module,
            f"--config-path={record.config_dir}",
            f"--config-name={record.config_name}",
            *record.overrides,
            "--cfg",
            "job",
            "--resolve",
        ]
        proc = subprocess.Popen(
            argv,
            cwd=workdir,
            env={**os.environ, **record.env},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        chk.literal[record.module] = (record, proc)

    chk.on_hydra = start_literal
    yield chk
    for _, proc in chk.literal.values():
        if proc.poll() is None:
            proc.kill()
        proc.communicate()
    chk.close()


@pytest.fixture(scope="module")
def doc_results(checker) -> dict[tuple[str, int], object]:
    results = [checker.analyse(doc, wait=False) for doc in dc.DOC_FILES]  # runs of all docs overlap
    return {(r.doc, r.line): r for res in results for r in checker.wait(res)}


@pytest.mark.parametrize(("doc", "line"), COMMAND_LINES, ids=[f"{d}:{n}" for d, n in COMMAND_LINES])
def test_documented_command(doc_results, doc: str, line: int) -> None:
    r = doc_results[(doc, line)]
    assert r.cls is not None or r.failures, f"{doc}:{line} has no class and no failure"
    assert not r.failures, f"{doc}:{line}: {r.text}\n" + "\n".join(f"  - {f}" for f in r.failures)


def test_no_failure_outside_command_lines(doc_results) -> None:
    """Block-level findings (``bash -n``) land on a command line, so the tests above report them."""
    assert set(doc_results) == set(COMMAND_LINES)


@pytest.mark.parametrize("module", dc.HYDRA_MODULES)
def test_in_process_compose_equals_literal_cfg_job_resolve(doc_results, checker, module: str) -> None:
    """The launch lines are composed in-process (~0.4 s each, against ~6-9 s per subprocess here); this
    checks that it is what the literal ``python -m MODULE ... --cfg job --resolve`` prints."""
    assert module in checker.literal, f"no documented launch line of {module} was composed"
    record, proc = checker.literal[module]
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err[-3000:]
    assert yaml.safe_load(out) == yaml.safe_load(record.resolved_yaml)


# --------------------------------------------------------------------------------- planted breaks


def _plant(tmp_path: Path, doc: str, commands: str | None) -> tuple[Path, int]:
    """A copy of ``doc`` in tmp_path with a bash block appended (no existing line moves), and the doc line of
    the block's first command."""
    text = (dc.REPO / doc).read_text(encoding="utf-8")
    if not text.endswith("\n"):
        text += "\n"
    first = len(text.splitlines()) + 3
    if commands is not None:
        text += f"\n```bash\n{commands}\n```\n"
    out = tmp_path / ("planted" if commands is not None else "copy") / Path(doc).name
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    return out, first


def _findings(checker, path: Path) -> set[tuple[int, str]]:
    return {(r.line, f) for r in checker.analyse(path) for f in r.failures}


PLANTS = {
    # verl 0.9.1's recipes already define reward_kwargs.format_weight: `+` must not append it again.
    "plus_on_existing_key": (
        "docs/reward.md",
        "python -m verl.trainer.main_ppo ... \\\n"
        "  reward.custom_reward_function.name=compute_score \\\n"
        "  +reward.custom_reward_function.reward_kwargs.format_weight=0.5",
        "  reward.custom_reward_function.reward_kwargs.format_weight=0.5",
        "Could not append to config. An item is already at 'reward.custom_reward_function.reward_kwargs",
    ),
    "misspelt_recipe": (
        "docs/verl.md",
        'python -m verl.trainer.main_ppo --config-path="$(seedbench-r1 recipe-path)" '
        "--config-name=seedbench_r1_grpo_smok trainer.nnodes=2",
        None,
        "Cannot find primary config 'seedbench_r1_grpo_smok'",
    ),
    "misspelt_cli_flag": (
        "docs/data.md",
        "seedbench-r1 verify --root /data/seedbench_r1 --decodee",
        None,
        "unrecognized arguments: --decodee",
    ),
    "line_in_no_class": ("README.md", "frobnicate --now", None, "no class for command `frobnicate`"),
    # a Ray job's `bash -c '...'` entrypoint is checked as a command of its own
    "ray_job_entrypoint": (
        "docs/verl.md",
        "ray job submit --address=http://<head-ip>:8265 -- bash -c "
        "'SEEDBENCH_R1_VERL_DATA=/d bash \"$(seedbench-r1 recipe-path)/run_grpo_typo.sh\" trainer.nnodes=2'",
        None,
        "no such script",
    ),
}
FIXED = {
    "plus_on_existing_key": None,  # built from the planted text below
    "misspelt_recipe": 'python -m verl.trainer.main_ppo --config-path="$(seedbench-r1 recipe-path)" '
    "--config-name=seedbench_r1_grpo_smoke trainer.nnodes=2",
    "misspelt_cli_flag": "seedbench-r1 verify --root /data/seedbench_r1 --decode",
    "line_in_no_class": "seedbench-r1 recipe-path",
    "ray_job_entrypoint": "ray job submit --address=http://<head-ip>:8265 -- bash -c "
    "'SEEDBENCH_R1_VERL_DATA=/d bash \"$(seedbench-r1 recipe-path)/run_grpo.sh\" trainer.nnodes=2'",
}


@pytest.mark.parametrize("name", PLANTS)
def test_planted_break_is_reported(checker, tmp_path: Path, name: str) -> None:
    doc, planted, fixed_tail, expected = PLANTS[name]
    control = _findings(checker, _plant(tmp_path, doc, None)[0])
    broken_path, line = _plant(tmp_path, doc, planted)
    new = _findings(checker, broken_path) - control
    assert len(new) == 1, new
    ((at, what),) = new
    assert at == line and expected in what, (at, what)
    assert any(f"{broken_path}:{line}: " in f and expected in f for f in checker.check_doc(broken_path))
    # The same block written correctly adds nothing.
    fixed = FIXED[name] or planted.rsplit("\n", 1)[0] + "\n" + fixed_tail
    assert _findings(checker, _plant(tmp_path, doc, fixed)[0]) - control == set()


@pytest.mark.parametrize("doc", sorted({p[0] for p in PLANTS.values()}))
def test_unplanted_copy_has_no_failure(checker, tmp_path: Path, doc: str) -> None:
    """The control: an untouched copy of each doc used above checks clean (fails while the doc has a bug)."""
    assert checker.check_doc(_plant(tmp_path, doc, None)[0]) == []


def test_block_parsing_rules(tmp_path: Path) -> None:
    """Continuations join, comments drop, a comment's `...: <command>` tail is a command, placeholders become
    words, only shell blocks count, and a console block's commands are its `$ ` lines."""
    doc = tmp_path / "rules.md"
    doc.write_text(
        "```\nmake nothing-here\n```\n"
        "```bash\n"
        "seedbench-r1 verify \\\n"
        "    --root /data/x   # checks: rows\n"
        "# or: NPROC=8 bash run.sh\n"
        "# note: just prose\n"
        "seedbench-r1 verl-cpu-step F.parquet --model <a small folder>\n"
        "```\n"
        "```console\n$ make test\noutput line\n```\n",
        encoding="utf-8",
    )
    found = [
        (c.line, c.origin, " ".join(c.text.split())) for _, cmds, _ in dc.doc_commands(doc) for c in cmds
    ]
    assert found == [
        (5, "line", "seedbench-r1 verify --root /data/x"),
        (7, "comment", "NPROC=8 bash run.sh"),
        (9, "line", "seedbench-r1 verl-cpu-step F.parquet --model __PH0__"),
        (12, "line", "make test"),
    ]
    assert dc.command_lines(doc) == [5, 7, 9, 12]
