#!/usr/bin/env bash
# SEED-Bench-R1 GRPO-CARE (Qwen2.5-VL-7B-Instruct, 8 GPUs). Extra arguments are hydra overrides, e.g.
#   bash run_grpo_care.sh care.margin=0.01            # CARE's transfer variant
#   bash run_grpo_care.sh care.decay=1.0 trainer.nnodes=2
# Needs: the parquet files in $SEEDBENCH_R1_VERL_DATA (run_prepare.sh), verl's GPU extras (docs/verl.md);
# checkpoints go to ${SEEDBENCH_R1_CKPT_DIR:-./checkpoints}, the file log to ${VERL_FILE_LOGGER_ROOT:-./logs}
# (launch_env.sh).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/launch_env.sh"
exec python -m verl.trainer.main_ppo --config-path="$RECIPE_DIR" --config-name=seedbench_r1_grpo_care \
  "data.train_files=[$DATA/training_6k.parquet]" "$VAL_FILES" "$CKPT_DIR" "$RAY_LOGGER_ROOT" "$@"
