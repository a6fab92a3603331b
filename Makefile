# Two entry points, each doing its own set-up on a fresh machine:
#   make demo   the main job on the miniature benchmark and a tiny random model (CPU, offline)
#   make test   the test suite
# Both create .venv at the project root on first use.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
DEMO_DIR ?= demo_out
# torch / torchvision first and alone: on this machine pip takes them from local disk (PROTOCOL.md 7); then
# lmms-eval and verl in ONE pip call (installing them one after the other breaks math-verify via antlr4).
TORCH_PINS ?= torch==2.14.1 torchvision==0.29.1
# qwen-vl-utils 0.0.14 would pick torchcodec (needs system FFmpeg) and then a torchvision reader that 0.29
# removed; decord is the reader the protocol decodes with.
export FORCE_QWENVL_VIDEO_READER ?= decord

.PHONY: venv demo test lint clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet $(TORCH_PINS)
	$(PY) -m pip install --quiet -e ".[all]"
	touch $@

venv: $(VENV)/.installed

demo: venv
	$(PY) -m seedbench_r1.demo --out $(DEMO_DIR)

test: venv
	$(PY) -m pytest -q

lint: venv
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

clean:
	rm -rf $(DEMO_DIR) .pytest_cache
