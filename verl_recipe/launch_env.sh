# Sourced by the run scripts beside it: absolute data and checkpoint paths as hydra overrides, so nothing
# depends on environment variables inside verl's Ray TaskRunner (which does not inherit the driver's
# environment on a `ray start` cluster or under `ray job submit`), and no launch writes into this package.
#   SEEDBENCH_R1_VERL_DATA  folder run_prepare.sh wrote (required)
#   SEEDBENCH_R1_CKPT_DIR   checkpoint root (default: ./checkpoints); shared storage for multi-node runs
#   VERL_FILE_LOGGER_ROOT   root of verl's "file" logger, <root>/<project>/<experiment>.jsonl (default: ./logs)
: "${SEEDBENCH_R1_VERL_DATA:?set SEEDBENCH_R1_VERL_DATA to the folder run_prepare.sh wrote}"
RECIPE_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
case "$PWD/" in
  "$RECIPE_DIR"/*)
    echo "error: launched from inside the installed recipes ($RECIPE_DIR): checkpoints and logs would land in" \
      "the package; cd to a run folder" >&2
    exit 1 ;;
esac
DATA=$(cd "$SEEDBENCH_R1_VERL_DATA" && pwd) || { echo "error: SEEDBENCH_R1_VERL_DATA=$SEEDBENCH_R1_VERL_DATA: no such folder" >&2; exit 1; }
# Made absolute without creating it (verl makes it when it saves; a --dry-run must leave nothing behind).
CKPT_ROOT=$(realpath -m "${SEEDBENCH_R1_CKPT_DIR:-$PWD/checkpoints}")
# hydra interpolations, resolved from the config itself (no environment needed)
CKPT_DIR="trainer.default_local_dir=$CKPT_ROOT/\${trainer.project_name}/\${trainer.experiment_name}"
VAL_FILES="data.val_files=[$DATA/validation_L1.parquet,$DATA/validation_L2.parquet,$DATA/validation_L3.parquet]"
# verl's file logger writes where its process runs: the Ray TaskRunner for GRPO (given as a runtime_env
# override, $RAY_LOGGER_ROOT in the GRPO scripts), the torchrun ranks for SFT (they inherit the export).
LOGGER_ROOT=$(realpath -m "${VERL_FILE_LOGGER_ROOT:-$PWD/logs}")
export VERL_FILE_LOGGER_ROOT=$LOGGER_ROOT
RAY_LOGGER_ROOT="+ray_kwargs.ray_init.runtime_env.env_vars.VERL_FILE_LOGGER_ROOT=$LOGGER_ROOT"
# Also set in the GRPO recipes' Ray runtime_env; exported for processes started outside Ray (and SFT).
export FORCE_QWENVL_VIDEO_READER=decord
