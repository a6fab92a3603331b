#!/usr/bin/env bash
# The first run on a GPU host, after `seedbench-r1 doctor` and `seedbench-r1 parity --model <model>`:
#   1. the smoke recipe (Qwen2-VL-2B, 1 GPU) for 3 steps, validation on 32 questions, rollout log-probs logged;
#   2. 20 L1 questions through the lmms-eval model class, backend=hf and backend=vllm;
#   3. one verdict per check (verl_recipe/gpu_check.py: rollout vs actor log-probs, sequence lengths, validation
#      per level, peak memory, HF vs vLLM); exit 1 if any fails.
# Usage: run_gpu_check.sh [--dry-run] [hydra overrides for the smoke run, e.g. actor_rollout_ref.model.path=...]
#   SEEDBENCH_R1_VERL_DATA  parquet folder (run_prepare.sh)      SEEDBENCH_R1_ROOT  dataset root (for the eval)
#   GPU_CHECK_OUT           output folder (default ./gpu_check)  GPU_CHECK_MODEL    eval model (default: the smoke
#                                                                run's actor_rollout_ref.model.path, overrides included)
# --dry-run prints the commands and runs none of them.
set -euo pipefail
DRY=0
if [[ "${1:-}" == "--dry-run" ]]; then DRY=1; shift; fi
source "$(dirname "${BASH_SOURCE[0]}")/launch_env.sh"
OUT=$(realpath -m "${GPU_CHECK_OUT:-$PWD/gpu_check}")
PY=${PYTHON:-python}
# The verdict's length limits and the eval model follow the user's overrides of the smoke recipe.
LIMITS=$("$PY" -m verl_recipe.gpu_check limits "$@")
read -r MAX_PROMPT MAX_RESPONSE SMOKE_MODEL <<< "$LIMITS"
MODEL=${GPU_CHECK_MODEL:-$SMOKE_MODEL}
export VERL_FILE_LOGGER_ROOT=$OUT/logs  # for processes outside Ray; the TaskRunner gets it below

run() {  # print, then run unless --dry-run
  printf '+'; printf ' %q' "$@"; printf '\n'
  if (( DRY == 0 )); then "$@"; fi
}

if (( DRY == 0 )); then
  if [[ -e "$OUT" ]]; then echo "error: $OUT exists: remove it or set GPU_CHECK_OUT" >&2; exit 1; fi
  mkdir -p "$OUT/logs"
  "$PY" -m verl_recipe.gpu_check sample-memory "$OUT/memory.tsv" &
  SAMPLER=$!
  trap 'kill $SAMPLER 2>/dev/null || true' EXIT
fi

run "$PY" -m verl.trainer.main_ppo --config-path="$RECIPE_DIR" --config-name=seedbench_r1_grpo_smoke \
  "data.train_files=[$DATA/training_6k.parquet]" "$VAL_FILES" \
  "trainer.default_local_dir=$OUT/checkpoints" trainer.experiment_name=gpu_check \
  trainer.total_training_steps=3 trainer.test_freq=3 trainer.save_freq=-1 data.val_max_samples=32 \
  actor_rollout_ref.rollout.calculate_log_probs=true "trainer.logger=[console,file]" \
  "+ray_kwargs.ray_init.runtime_env.env_vars.VERL_FILE_LOGGER_ROOT=$OUT/logs" "$@"

for backend in hf vllm; do
  run "$PY" -m seedbench_r1 eval --model seedbench_r1_qwen_vl \
    --model_args "pretrained=$MODEL,backend=$backend" --tasks seedbench_r1_l1 --limit 20 \
    --log_samples --output_path "$OUT/eval_$backend"
done

run "$PY" -m verl_recipe.gpu_check verdict --log "$OUT/logs/seedbench_r1/gpu_check.jsonl" \
  --memory "$OUT/memory.tsv" --eval-hf "$OUT/eval_hf" --eval-vllm "$OUT/eval_vllm" \
  --max-prompt-length "$MAX_PROMPT" --max-response-length "$MAX_RESPONSE"
