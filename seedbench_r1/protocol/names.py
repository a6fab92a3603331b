"""Every name that crosses a boundary between the project's parts, written once.

lmms-eval task and metric names, the per-sample records the tasks log, and the ``data_source`` values verl
groups its metrics by. The task utils, the report, the recipes and the CLI read them from here. The task YAMLs
must restate some of them (YAML cannot import); a test checks every YAML against this module.
"""

from __future__ import annotations

from typing import Final

from seedbench_r1.protocol.constants import DOMAINS

# --- lmms-eval tasks -----------------------------------------------------------------------------------
LEVEL_TASKS: Final = {"L1": "seedbench_r1_l1", "L2": "seedbench_r1_l2", "L3": "seedbench_r1_l3"}
TASK_NAMES: Final = tuple(LEVEL_TASKS.values())
GROUP_NAME: Final = "seedbench_r1"  # the group of the three levels
LVB_TASK: Final = "longvideobench_r1"  # the paper's transfer benchmark (Table 3) under the same protocol
ALL_TASKS: Final = (GROUP_NAME, *TASK_NAMES, LVB_TASK)  # every name a user may pass as --tasks

# --- metrics (keys of process_results; the YAMLs' metric_list) ----------------------------------------
# lmms-eval matches a group's aggregate metrics by substring: no name here may sit inside another.
ACC_METRIC: Final = "seedbench_r1_acc"
FORMAT_METRIC: Final = "format_rate"
NO_ANSWER_METRIC: Final = "no_answer_rate"
DOMAIN_METRICS: Final = {key: f"domain_{key}_acc" for _, key in DOMAINS.values()}  # L3 only
LVB_ACC_METRIC: Final = "lvb_r1_acc"


def lvb_duration_metric(group: int) -> str:
    """LongVideoBench's per-duration-group metric (group: 15, 60, 600 or 3600 seconds)."""
    return f"duration_{group}_acc"


def lvb_level_metric(key: str) -> str:
    """LongVideoBench's per-level metric (key: ``perception`` or ``relation``)."""
    return f"level_{key}_acc"


# --- per-sample records the tasks add to --log_samples (no aggregation reads them) ---------------------
LOG_KEY: Final = "seedbench_r1_parsed"  # sample_id, split, pred, gold, domain
LVB_LOG_KEY: Final = "lvb_r1_parsed"  # id, pred, gold, duration_group, level, category

# --- verl data sources (its validation metrics come out per data_source) -------------------------------
# The validation levels use their task names, so lmms-eval's and verl's per-level numbers line up.
DATA_SOURCES: Final = {
    "validation_L1": LEVEL_TASKS["L1"],
    "validation_L2": LEVEL_TASKS["L2"],
    "validation_L3": LEVEL_TASKS["L3"],
    "training_6k": "seedbench_r1_train",
    "training_with_cot_6k": "seedbench_r1_train",
}
LVB_DATA_SOURCE: Final = LVB_TASK
