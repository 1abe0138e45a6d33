# The two commands of the README: `make run` (set up everything, train, label, count) and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run setup test bench clean-outputs

$(BIN)/consult: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip==25.3"
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(BIN)/consult

setup: $(BIN)/consult

run: setup
	$(BIN)/consult demo

test: setup
	$(BIN)/python -m pytest -q

bench: setup
	$(BIN)/python bench/quality.py

clean-outputs:
	rm -rf data/output models/default
