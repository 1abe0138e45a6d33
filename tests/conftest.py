"""Shared fixtures. Slow tests are deselected by default (pyproject addopts ``-m 'not slow'``): ``make test-slow``
(``pytest -m slow``) runs only them, ``pytest --slow`` runs everything; bench/ runs the long measurements."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import pipeline.entities
import pipeline.label

ROOT = Path(__file__).resolve().parents[1]
SHARED_NHS = ROOT.parent / "shared" / "data" / "nhs_fft_phase1" / "feedback.csv"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--slow", action="store_true", default=False, help="also run tests marked slow")


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("--slow") and config.option.markexpr == "not slow":
        config.option.markexpr = ""  # the addopts default deselects them


@pytest.fixture(autouse=True)
def _in_repo_root(monkeypatch: pytest.MonkeyPatch) -> None:
    """Commands resolve configs/ and data/ relative to the working directory, as a user's shell would."""
    monkeypatch.chdir(ROOT)


def _one_unless_asked(n: int) -> int:
    return n if n > 0 else 1


@pytest.fixture(autouse=True)
def _one_process_unless_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    """``entities.n_process = 0`` (the default) means one process per core; in tests it means one. Starting worker
    processes costs seconds per command and a test's input is a single chunk. Tests of several processes ask for
    them (``jobs=2`` in test_scale), which is unchanged."""
    monkeypatch.setattr(pipeline.label, "resolve_jobs", _one_unless_asked)
    monkeypatch.setattr(pipeline.entities, "resolve_jobs", _one_unless_asked)


@pytest.fixture(scope="session")
def nhs_path() -> Path:
    if not SHARED_NHS.is_file():
        pytest.skip(f"shared NHS data not found at {SHARED_NHS}")
    return SHARED_NHS


@pytest.fixture(scope="session", autouse=True)
def _quiet_threads() -> None:
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
