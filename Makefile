# Two entry points for a fresh machine with only python3 and make:
#   make demo   -> the console on the built-in simulator
#   make test   -> static checks (lint, types, import contracts), then the whole test suite
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test check lint types imports format bench clean hostile

$(STAMP): pyproject.toml setup.py
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/liqhunt demo

# the checks run before the tests, so CI (.ci/run -> make test) runs them too
test: check
	$(BIN)/python -m pytest

check: lint types imports

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

types: $(STAMP)
	$(BIN)/mypy

imports: $(STAMP)
	$(BIN)/lint-imports

# rewrites files: imports sorted and syntax modernised (and what that leaves unused), then the
# formatter; `make lint` checks that it has nothing left to do
format: $(STAMP)
	$(BIN)/ruff check --fix --extend-select I,UP .
	$(BIN)/ruff format .

bench: $(STAMP)
	$(BIN)/liqhunt bench

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build *.egg-info

# the hostile-input suite alone, ending in the table "class | cases | clean | crashes | hangs | lost"
hostile: $(STAMP)
	$(BIN)/python -m pytest -q tests/test_hostile_values.py tests/test_hostile_live.py tests/test_hostile_config.py \
		tests/test_hostile_journal.py tests/test_hostile_console.py tests/test_hostile_recovery.py
