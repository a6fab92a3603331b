#!/usr/bin/env bash
# SEED-Bench-R1 SFT on the CoT file (Qwen2-VL-7B-Instruct, one node of NPROC GPUs, default 8). Extra
# arguments are hydra overrides, e.g. trainer.n_gpus_per_node=4 (keep it equal to NPROC).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/launch_env.sh"
NPROC=${NPROC:-8}
exec torchrun --standalone --nnodes=1 --nproc_per_node="$NPROC" -m verl.trainer.sft_trainer \
  --config-path="$RECIPE_DIR" --config-name=seedbench_r1_sft trainer.n_gpus_per_node="$NPROC" \
  "data.train_files=$DATA/training_with_cot_6k.parquet" "$CKPT_DIR" "$@"
