"""Shared fixtures. Slow tests are deselected by default (pyproject addopts ``-m 'not slow'``): ``make test-slow``
(``pytest -m slow``) runs only them, ``pytest --slow`` runs everything; bench/ runs the long measurements."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

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


@pytest.fixture(scope="session")
def nhs_path() -> Path:
    if not SHARED_NHS.is_file():
        pytest.skip(f"shared NHS data not found at {SHARED_NHS}")
    return SHARED_NHS


@pytest.fixture(scope="session", autouse=True)
def _quiet_threads() -> None:
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
