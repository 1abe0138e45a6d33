"""Stamps for what consult writes: SHA-256 of files, versions of the libraries that ran, and the time (UTC).

The lowest helpers of the house: they import nothing of the package, so any module may use them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import platform
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

LIBRARIES = ("consult", "scikit-learn", "numpy", "scipy", "spacy", "pandas", "joblib")
"""The libraries whose versions a model card records."""

__version__ = "0.1.0"
"""consult's version (also in pyproject.toml)."""


def sha256_file(path: Path) -> str:
    """SHA-256 of a file's bytes, read in blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def package_versions(packages: tuple[str, ...]) -> dict[str, str]:
    """Installed version of each package ("not installed" when absent)."""
    out = {}
    for pkg in packages:
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = "not installed"
    return out


def library_versions() -> dict[str, str]:
    """Python's version and those of :data:`LIBRARIES`."""
    return {"python": platform.python_version(), **package_versions(LIBRARIES)}


def utc_now() -> str:
    """The time now, UTC, to the second, ISO 8601 (e.g. ``2026-01-31T12:00:00+00:00``)."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
