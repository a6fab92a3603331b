#!/usr/bin/env bash
# SEED-Bench-R1 GRPO (Qwen2.5-VL-7B-Instruct, 8 GPUs). Extra arguments are hydra overrides, e.g.
#   bash run_grpo_qwen2_5_vl.sh trainer.nnodes=2 actor_rollout_ref.model.path=/ckpt/sft/huggingface
# Needs: the parquet files in $SEEDBENCH_R1_VERL_DATA (run_prepare.sh), verl's GPU extras (docs/verl.md).
set -euo pipefail
: "${SEEDBENCH_R1_VERL_DATA:?set SEEDBENCH_R1_VERL_DATA to the folder run_prepare.sh wrote (absolute)}"
# Also set in the recipe's Ray runtime_env; exported here for processes started outside Ray.
export FORCE_QWENVL_VIDEO_READER=decord
RECIPE_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
exec python -m verl.trainer.main_ppo --config-path="$RECIPE_DIR" --config-name=seedbench_r1_grpo_qwen2_5_vl "$@"
