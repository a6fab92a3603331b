#!/usr/bin/env bash
# Set up a CUDA host for training and GPU evaluation from the GPU lock (seedbench_r1/locks/gpu.txt):
# verl 0.9.1's GPU stack (torch 2.11.0 built for CUDA 13, vLLM 0.24.0, flash-attn 2.8.3, transformers 5.9.0,
# cupy-cuda13x) plus every extra of this project, in the order that installs:
#   1. the driver check: PyPI's torch 2.11.0 is a CUDA 13 build, which needs an NVIDIA driver >= 580;
#   2. everything in the lock but flash-attn, with --no-deps (the lock is complete; torch lands here);
#   3. flash-attn: PyPI has only its source distribution, whose build imports torch, so it is built with
#      --no-build-isolation against the torch from step 2 (its setup.py first looks for a matching prebuilt
#      wheel, else compiles with nvcc: set MAX_JOBS), or taken from FLASH_ATTN_WHEEL=<path or URL of a wheel
#      for torch 2.11 / CUDA 13 / your Python>;
#   4. the project itself (--no-deps), then `seedbench-r1 doctor --lock gpu`.
#
#   bash tools/install_gpu.sh                 # creates .venv-gpu (VENV=... to choose, PYTHON=python3.11 ...)
#   bash tools/install_gpu.sh --dry-run       # any machine: checks that every pin exists for this platform
#
# The lock was resolved for Linux x86_64 and CPython 3.11 (tools/lock.py).
set -euo pipefail
cd "$(dirname "$0")/.."

LOCK=seedbench_r1/locks/gpu.txt
PYTHON=${PYTHON:-python3}
VENV=${VENV:-.venv-gpu}
DRY_RUN=0
[[ "${1:-}" == "--dry-run" ]] && DRY_RUN=1

FLASH_PIN=$(grep -E '^flash-attn==' "$LOCK")
REST=$(mktemp)
trap 'rm -f "$REST"' EXIT
grep -vE '^(flash-attn|pip)==' "$LOCK" > "$REST"

if [[ $DRY_RUN == 1 ]]; then
  # Resolution only: every pin must exist for this platform (flash-attn builds on the CUDA host).
  "$PYTHON" -m pip install --dry-run --quiet --no-deps --ignore-installed -r "$REST"
  echo "dry run ok: $(grep -c '==' "$REST") pins resolvable; $FLASH_PIN builds on the CUDA host"
  exit 0
fi

# 1. The driver: CUDA 13 user-space libraries need kernel driver >= 580.
if [[ "${SKIP_DRIVER_CHECK:-0}" != 1 ]]; then
  driver=$(nvidia-smi --query-gpu=driver_version --format=csv,noheader | head -1) || {
    echo "install_gpu.sh: nvidia-smi failed: no NVIDIA driver on this host (SKIP_DRIVER_CHECK=1 to go on)" >&2
    exit 1
  }
  if (( ${driver%%.*} < 580 )); then
    echo "install_gpu.sh: NVIDIA driver $driver is older than 580, which torch 2.11.0's CUDA 13 build needs" >&2
    exit 1
  fi
fi

"$PYTHON" -m venv "$VENV"
PY="$VENV/bin/python"
"$PY" -m pip install --quiet --no-deps "$(grep -E '^pip==' "$LOCK")"
# 2. Everything but flash-attn (torch, its CUDA libraries, vLLM, verl, lmms-eval, ...).
"$PY" -m pip install --no-deps -r "$REST"
# 3. flash-attn against the installed torch.
if [[ -n "${FLASH_ATTN_WHEEL:-}" ]]; then
  "$PY" -m pip install --no-deps "$FLASH_ATTN_WHEEL"
else
  "$PY" -m pip install --no-deps --no-build-isolation "$FLASH_PIN"
fi
# 4. The project.
"$PY" -m pip install --quiet --no-deps --no-build-isolation -e .
FORCE_QWENVL_VIDEO_READER=decord "$PY" -m seedbench_r1 doctor --lock gpu
