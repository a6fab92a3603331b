"""The lmms-eval face: SEED-Bench-R1's tasks, LongVideoBench under the same protocol, and the model class.

lmms-eval 0.7.3 finds external tasks only through ``--include_path`` (``LMMS_EVAL_PLUGINS`` is broken for
tasks), so :func:`tasks_path` names this folder::

    lmms-eval --include_path "$(seedbench-r1 tasks-path)" --tasks seedbench_r1 ...

Layout, one folder per benchmark as in lmms-eval's own ``tasks/`` (task and metric names:
:mod:`seedbench_r1.protocol.names`)::

    _r1_protocol.yaml     what both benchmarks share: placeholder docs, generation settings, reasoning tags
    seedbench_r1_levels/  group seedbench_r1, tasks seedbench_r1_l1 / _l2 / _l3, their utils.py
    longvideobench_r1/    task longvideobench_r1 (the paper's Table 3), its utils.py
    models/               the model class, --model seedbench_r1_qwen_vl (an lmms_eval.models entry point)

No task folder is named like a top-level package of the project: run from inside this folder, a folder
``seedbench_r1/`` would shadow the ``seedbench_r1`` package of an editable install. Importing this package
stays light (no lmms-eval import).
"""

from __future__ import annotations

from pathlib import Path


def tasks_path() -> Path:
    """The folder to pass to lmms-eval as ``--include_path`` (holds the task folders)."""
    return Path(__file__).resolve().parent


__all__ = ["tasks_path"]
