#!/usr/bin/env bash
# SEED-Bench-R1 SFT on the CoT file (Qwen2-VL-7B-Instruct, one node of NPROC GPUs, default 8). Extra
# arguments are hydra overrides, e.g. trainer.n_gpus_per_node=4 (keep it equal to NPROC).
set -euo pipefail
: "${SEEDBENCH_R1_VERL_DATA:?set SEEDBENCH_R1_VERL_DATA to the folder run_prepare.sh wrote (absolute)}"
export FORCE_QWENVL_VIDEO_READER=decord
NPROC=${NPROC:-8}
RECIPE_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
exec torchrun --standalone --nnodes=1 --nproc_per_node="$NPROC" -m verl.trainer.sft_trainer \
  --config-path="$RECIPE_DIR" --config-name=seedbench_r1_sft trainer.n_gpus_per_node="$NPROC" "$@"
