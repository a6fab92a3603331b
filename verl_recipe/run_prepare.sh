#!/usr/bin/env bash
# Write every verl parquet the recipes read: RL rows for training_6k and the three validation levels, SFT rows
# for the CoT file. Usage: run_prepare.sh DATASET_ROOT [OUT_DIR] [extra prepare-verl args, e.g. --media-root]
#   FRAME_CACHE    frame cache the RL rows read (default DATASET_ROOT/frames when it exists; empty: clip rows)
#   SFT_PROCESSOR  model whose processor counts each SFT row's tokens (default Qwen/Qwen2-VL-7B-Instruct;
#                  empty: not counted)
set -euo pipefail
ROOT=${1:?usage: run_prepare.sh DATASET_ROOT [OUT_DIR] [prepare-verl args...]}
OUT=${2:-${SEEDBENCH_R1_VERL_DATA:-$HOME/data/seedbench_r1_verl}}
shift $(( $# >= 2 ? 2 : 1 ))
OUT=$(realpath -m "$OUT")
CACHE=${FRAME_CACHE-$ROOT/frames}
RL_ARGS=()
if [[ -n "$CACHE" && -d "$CACHE" ]]; then RL_ARGS=(--frame-cache "$CACHE"); fi
SFT_ARGS=()
PROCESSOR=${SFT_PROCESSOR-Qwen/Qwen2-VL-7B-Instruct}
if [[ -n "$PROCESSOR" ]]; then SFT_ARGS=(--processor "$PROCESSOR"); fi
for split in training_6k validation_L1 validation_L2 validation_L3; do
  "${PYTHON:-python}" -m seedbench_r1 prepare-verl --root "$ROOT" --split "$split" --out "$OUT/$split.parquet" \
    ${RL_ARGS[@]+"${RL_ARGS[@]}"} "$@"
done
"${PYTHON:-python}" -m seedbench_r1 prepare-verl --root "$ROOT" --split training_with_cot_6k \
  --out "$OUT/training_with_cot_6k.parquet" ${SFT_ARGS[@]+"${SFT_ARGS[@]}"} "$@"
echo "export SEEDBENCH_R1_VERL_DATA=$OUT"
