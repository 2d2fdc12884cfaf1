# Two entry points for a fresh machine (see README):
#   make demo   set up .venv and run the main job (the take-off sweep and its report)
#   make test   set up .venv and run the test suite
# Python >= 3.12 is required (Mesa 3.5). PYTHON may be set to a specific interpreter.

PYTHON ?= $(shell ./.ci/find-python)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup demo test lint bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	@test -n "$(PYTHON)" || { echo "error: no Python >= 3.12 found; set PYTHON=/path/to/python3.12" >&2; exit 2; }
	@echo "setup: creating $(VENV) with $(PYTHON)"
	$(PYTHON) -m venv $(VENV)
	@echo "setup: installing clustersim and its dependencies into $(VENV) (quiet; about a minute, longer without a pip cache)"
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@echo "setup: done"
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/clustersim demo

test: $(STAMP) /usr/bin/chromium /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc
	$(BIN)/ruff check clustersim tests benchmarks examples
	$(BIN)/python -m pytest -q

# the browser tests drive Debian's chromium; figures and the UI draw Chinese names with Noto Sans CJK
/usr/bin/chromium /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc:
	./.ci/system-packages

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_model.py --quick
	$(BIN)/python benchmarks/bench_sweep.py --quick

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
