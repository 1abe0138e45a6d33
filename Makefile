# The two commands of the README: `make run` (set up everything, train, label, count) and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run setup test bench clean-outputs chromium

$(BIN)/consult: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip==25.3"
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev,embeddings,dask]"
	touch $(BIN)/consult

setup: $(BIN)/consult

run: setup
	$(BIN)/consult demo

# Headless Chromium for the report's render test (tests skip it, with a reason, when it is missing).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  if command -v apt-get >/dev/null 2>&1; then \
	    { apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium; } \
	      || echo "could not install chromium (not root?): the HTML render test will be skipped"; \
	  else echo "chromium not installed and apt-get unavailable: the HTML render test will be skipped"; fi; }

test: setup chromium
	$(BIN)/python -m pytest -q

bench: setup
	$(BIN)/python bench/quality.py

clean-outputs:
	rm -rf data/output models/default
