"""The light install: sentence embeddings are opt-in, and asking for them without them names the command that
installs them (``make setup-embeddings``); the Makefile's default path installs no extra."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.embeddings import load_sentence_model
from pipeline.errors import ConsultError

from ._review_helpers import base_corpus
from .conftest import ROOT

BLOCKED = ("sentence_transformers", "transformers", "torch")


@pytest.fixture
def without_torch(monkeypatch: pytest.MonkeyPatch) -> None:
    """As in a venv made by `make setup`: importing sentence-transformers (or torch) fails."""
    for name in BLOCKED:
        monkeypatch.setitem(sys.modules, name, None)  # `import name` now raises ImportError


def test_sentence_model_without_torch_names_make_setup_embeddings(without_torch: None) -> None:
    with pytest.raises(ConsultError) as e:
        load_sentence_model("all-MiniLM-L6-v2")
    assert "make setup-embeddings" in e.value.fix


def test_train_with_a_sentence_model_without_torch_is_one_clear_error(without_torch: None, tmp_path: Path) -> None:
    data = base_corpus(tmp_path / "train.csv")
    res = CliRunner().invoke(
        app,
        ["train", str(data), "-o", str(tmp_path / "m"), "--set", 'model.sentence_model="all-MiniLM-L6-v2"'],
    )
    assert res.exit_code == 1, res.output
    errors = [line for line in res.output.splitlines() if line.startswith("Error: ")]  # after the progress lines
    assert len(errors) == 1 and "make setup-embeddings" in errors[0], res.output
    assert "Traceback" not in res.output and not (tmp_path / "m").exists()


def _recipe(makefile: str, target: str) -> str:
    m = re.search(rf"^{re.escape(target)}:[^\n]*\n((?:\t[^\n]*\n)+)", makefile, re.M)
    assert m, f"no recipe for {target}"
    return m.group(1)


def test_make_setup_installs_the_default_path_only_and_test_adds_the_extras() -> None:
    makefile = (ROOT / "Makefile").read_text()
    setup = _recipe(makefile, "$(BIN)/consult")
    assert "$(PIP) -e .\n" in setup and "[" not in setup.split("$(PIP)")[1]  # no extra: no torch, Dask, dev tools
    assert '$(PIP) -e ".[dev,dask]"' in _recipe(makefile, "$(VENV)/.dev")
    assert re.search(r"^test: setup-dev\b", makefile, re.M) and re.search(r"^lint: setup-dev\b", makefile, re.M)
    assert "mypy pipeline" in _recipe(makefile, "lint")
    assert "--progress-bar on" in makefile
