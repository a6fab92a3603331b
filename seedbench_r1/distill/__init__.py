"""Chain-of-thought SFT data by rejection sampling (``seedbench-r1 distill-cot``): docs/distill.md.

Teachers sample K responses per training row from the protocol's prompt (the seeded options of the RL
parquet writer, never the gold); a response is accepted when the strict parser reads the gold letter and the format
rule holds; one accepted response per row is kept by a seeded rule; rows no teacher answers go to the next one.
"""

from seedbench_r1.distill.merge import MergeReport, merge_shards
from seedbench_r1.distill.rows import cot_row, is_accepted, judge, keep_index, parse_shard, row_seed
from seedbench_r1.distill.run import DistillConfig, DistillReport, distill
from seedbench_r1.distill.stats import RunStats, TeacherStats

__all__ = [
    "DistillConfig",
    "DistillReport",
    "MergeReport",
    "RunStats",
    "TeacherStats",
    "cot_row",
    "distill",
    "is_accepted",
    "judge",
    "keep_index",
    "merge_shards",
    "parse_shard",
    "row_seed",
]
