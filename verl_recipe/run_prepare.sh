#!/usr/bin/env bash
# Write every verl parquet the recipes read: RL rows for training_6k and the three validation levels, SFT rows
# for the CoT file. Usage: run_prepare.sh DATASET_ROOT [OUT_DIR] [extra prepare-verl args, e.g. --media-root]
set -euo pipefail
ROOT=${1:?usage: run_prepare.sh DATASET_ROOT [OUT_DIR] [prepare-verl args...]}
OUT=${2:-${SEEDBENCH_R1_VERL_DATA:-$HOME/data/seedbench_r1_verl}}
shift $(( $# >= 2 ? 2 : 1 ))
OUT=$(realpath -m "$OUT")
for split in training_6k validation_L1 validation_L2 validation_L3 training_with_cot_6k; do
  "${PYTHON:-python}" -m seedbench_r1 prepare-verl --root "$ROOT" --split "$split" --out "$OUT/$split.parquet" "$@"
done
echo "export SEEDBENCH_R1_VERL_DATA=$OUT"
