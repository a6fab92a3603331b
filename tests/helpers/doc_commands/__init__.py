"""Every shell command in the fenced bash blocks of README.md and docs/*.md, classified and checked with the
real tools (no mocks). Loaded by path as a package from tests/cli/test_doc_commands.py (tests/ is no package).

A documented command line falls into exactly one class; a line in none is a failure, so a new kind of command
cannot slip into the docs unchecked:

1. ``seedbench-r1 SUBCOMMAND ...``: parsed by the project's own parser (``seedbench_r1.cli.build_parser``);
   ``eval`` hands everything after it to lmms-eval 0.7.3's own argument parser. The cheap ones (make-fixture,
   make-tiny-model, tasks-path, recipe-path, and verify / prepare-verl on a root the doc made with
   make-fixture) are run.
2. hydra launch lines (``python -m verl.trainer.main_ppo``, ``torchrun ... -m verl.trainer.sft_trainer``, the
   same after ``ray job submit ... --``): the recipe they name is composed with exactly their overrides and
   resolved, in-process with hydra's compose API (what ``--cfg job --resolve`` prints; a test compares the two).
3. ``pip install``: real pip flags, this project's extras, every other requirement pinned in a lock file.
4. ``make TARGET``: ``make -n TARGET`` succeeds.
5. ``.venv/bin/python benchmarks/X.py`` / ``.venv/bin/pytest FILES``: the files exist, the flags are in ``--help``.
6. other CLIs: lmms-eval (its parser), ``python -m verl.model_merger`` (its parser), ``ray start`` /
   ``ray job submit`` (ray's click commands), ``bash SCRIPT`` (exists, ``bash -n``).
7. shell glue (``export``, ``cd``, ``for ...; do`` / ``done``, assignments): every block goes through ``bash -n``
   and the glue's effect (variables, working folder) is followed when the later lines are checked.

Placeholders (``<a small Qwen2-VL folder>``, ``<head-ip>``), absolute example paths (``/data/...``) and unset
variables become temp paths under the checker's work folder; ``...`` is an elision (dropped, or a dummy value
where a flag needs one); ``[--flag value]`` is an optional part and is checked too. In a comment, text after
``: `` that starts with a command word (``# or: NPROC=8 bash ...``) is a documented command as well.
"""

from .checker import Checker, check_doc
from .parse import CLASS_NAMES, DOC_FILES, HYDRA_MODULES, REPO, command_lines, doc_commands

__all__ = [
    "CLASS_NAMES",
    "DOC_FILES",
    "HYDRA_MODULES",
    "REPO",
    "Checker",
    "check_doc",
    "command_lines",
    "doc_commands",
]
