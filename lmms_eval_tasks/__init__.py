"""SEED-Bench-R1 as lmms-eval tasks: ``seedbench_r1_l1``, ``seedbench_r1_l2``, ``seedbench_r1_l3`` and the group
``seedbench_r1``.

lmms-eval 0.7.3 finds external tasks only through ``--include_path`` (``LMMS_EVAL_PLUGINS`` is broken for
tasks), so :func:`tasks_path` names this folder::

    lmms-eval --include_path "$(seedbench-r1 tasks-path)" --tasks seedbench_r1 ...

Importing this package stays light (no lmms-eval import): the project's model class in ``model.py`` is imported
only through the ``lmms_eval.models`` entry point.
"""

from __future__ import annotations

from pathlib import Path

TASK_NAMES = ("seedbench_r1_l1", "seedbench_r1_l2", "seedbench_r1_l3")
GROUP_NAME = "seedbench_r1"
# The paper's transfer benchmark (Table 3) under the same protocol; questions from $LONGVIDEOBENCH_ROOT.
LVB_TASK = "longvideobench_r1"


def tasks_path() -> Path:
    """The folder to pass to lmms-eval as ``--include_path`` (holds the task YAMLs and their utils)."""
    return Path(__file__).resolve().parent


__all__ = ["GROUP_NAME", "LVB_TASK", "TASK_NAMES", "tasks_path"]
