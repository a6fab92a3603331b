#!/usr/bin/env bash
# Set up a CUDA host for training and GPU evaluation from the GPU lock (seedbench_r1/locks/gpu.txt):
# verl 0.9.1's GPU stack (torch 2.11.0 built for CUDA 13, vLLM 0.24.0, flash-attn 2.8.3, transformers 5.9.0,
# cupy-cuda13x) plus every extra of this project, in the order that installs:
#   1. the host (seedbench_r1/env/gpu_host.py): the Python the lock was resolved for (CPython 3.11), then the
#      driver route: branch >= 580 runs CUDA 13 natively; older drivers get the route that fits the host
#      (CUDA forward compatibility on data-centre GPUs, else a driver update or a CUDA 12 build of your own);
#   2. everything in the lock but flash-attn, with --no-deps (the lock is complete; torch lands here);
#   3. flash-attn: PyPI has only its source distribution, whose build imports torch, so it is built with
#      --no-build-isolation against the torch from step 2, after checking that nvcc's CUDA major matches
#      torch's (MAX_JOBS defaults from cores and memory), or taken from FLASH_ATTN_WHEEL=<wheel>;
#   4. the project itself (--no-deps), then `seedbench-r1 doctor --lock gpu`.
#
#   bash tools/install_gpu.sh                 # creates .venv-gpu (VENV=... to choose, PYTHON=python3.11 ...)
#   bash tools/install_gpu.sh --dry-run       # any machine: the host report, then every pin resolves here
#
# Offline: see docs/gpu_hosts.md (pip download into a folder, PIP_NO_INDEX=1 PIP_FIND_LINKS=<folder>).
set -euo pipefail
cd "$(dirname "$0")/.."

LOCK=seedbench_r1/locks/gpu.txt
HOST=seedbench_r1/env/gpu_host.py
PYTHON=${PYTHON:-python3}
VENV=${VENV:-.venv-gpu}
DRY_RUN=0
[[ "${1:-}" == "--dry-run" ]] && DRY_RUN=1

FLASH_PIN=$(grep -E '^flash-attn==' "$LOCK")
REST=$(mktemp)
trap 'rm -f "$REST"' EXIT
grep -vE '^(flash-attn|pip)==' "$LOCK" > "$REST"

# 1. The host: Python first (a wrong one fails later in numpy's resolution), then the driver route.
"$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 7))' 2>/dev/null || {
  echo "install_gpu.sh: $PYTHON is missing or older than 3.7; pass PYTHON=python3.11" >&2
  exit 1
}
if [[ $DRY_RUN == 1 ]]; then
  "$PYTHON" "$HOST" --lock "$LOCK" --report
  # Resolution only: every pin must exist for this platform (flash-attn builds on the CUDA host).
  "$PYTHON" -m pip install --dry-run --quiet --no-deps --ignore-installed -r "$REST"
  echo "dry run ok: $(grep -c '==' "$REST") pins resolvable; $FLASH_PIN builds on the CUDA host"
  exit 0
fi
if [[ "${SKIP_DRIVER_CHECK:-0}" == 1 ]]; then
  "$PYTHON" "$HOST" --lock "$LOCK" --report
else
  "$PYTHON" "$HOST" --lock "$LOCK"
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
  MAX_JOBS=${MAX_JOBS:-$("$PY" "$HOST" --lock "$LOCK" --max-jobs)}
  export MAX_JOBS
  "$PY" "$HOST" --lock "$LOCK" --nvcc-for "$("$PY" -c 'import torch; print(torch.version.cuda)')"
  "$PY" -m pip install --no-deps --no-build-isolation "$FLASH_PIN"
fi
# 4. The project.
"$PY" -m pip install --quiet --no-deps --no-build-isolation -e .
FORCE_QWENVL_VIDEO_READER=decord "$PY" -m seedbench_r1 doctor --lock gpu
