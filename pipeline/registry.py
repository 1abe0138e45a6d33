"""Versioned models: ``models/<name>/<version>/`` model directories, a ``CURRENT`` pointer and a history.

Layout of a registry (e.g. ``models/default/``)::

    v0001/            a model directory (model.joblib + model-card.json), card has version + parent_version
    v0002/
    CURRENT           the version that ``consult label`` uses (one line, e.g. "v0002")
    history.jsonl     every change of CURRENT: time, action (promote/rollback), from, to, reason

Versions are never changed or deleted; promotion and rollback only move ``CURRENT`` (replaced in one step).
Changes are serialised between processes by a lock file beside the registry (``.NAME.lock``).
A plain model directory (``consult train DATA -o DIR``) still works wherever a registry does.

This module changes registries; reading them (:func:`is_registry`, :func:`list_versions`, :func:`current_version`,
:func:`resolve_model_dir`) lives in :mod:`pipeline.modelstore`, which loads models, and is re-exported here.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from .atomic import atomic_dir, write_bytes
from .errors import ConsultError
from .modelstore import (
    CARD_FILE,
    CURRENT_FILE,
    VERSION_NAME,
    current_version,
    is_model_dir,
    is_registry,
    list_versions,
    read_card,
    resolve_model_dir,
    save_model,
)
from .provenance import utc_now

HISTORY_FILE = "history.jsonl"
LOCK_TIMEOUT_SECONDS = 600

__all__ = [
    "adopt_plain_model",
    "current_version",
    "history",
    "is_registry",
    "list_versions",
    "promote",
    "resolve_model_dir",
    "rollback",
    "save_version",
    "version_dir",
]


def version_dir(root: Path, version: str) -> Path:
    d = Path(root) / version
    if not VERSION_NAME.match(version) or not is_model_dir(d):
        have = ", ".join(list_versions(root)) or "none"
        raise ConsultError(f"{root} has no version '{version}' (versions: {have})", "Pick one of the listed versions")
    return d


def history(root: Path) -> list[dict[str, Any]]:
    f = Path(root) / HISTORY_FILE
    if not f.is_file():
        return []
    return [json.loads(line) for line in f.read_text(encoding="utf-8").splitlines() if line.strip()]


@contextlib.contextmanager
def _locked(root: Path) -> Iterator[None]:
    """Serialise changes to a registry (new versions, CURRENT, history) between processes. The lock file sits
    beside the registry (``.NAME.lock``), so adoption can swap the registry folder itself."""
    root = Path(root)
    root.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(root.parent / f".{root.name}.lock", timeout=LOCK_TIMEOUT_SECONDS)
    try:
        lock.acquire()
    except Timeout:
        raise ConsultError(
            f"Another consult process has been changing {root} for over {LOCK_TIMEOUT_SECONDS} seconds",
            "Wait for it to finish, then run this again",
        ) from None
    try:
        yield
    finally:
        lock.release()


def _set_current(root: Path, version: str, action: str, reason: str) -> dict[str, Any]:
    """Log the change, then move CURRENT (call with the registry locked)."""
    root = Path(root)
    before = current_version(root)
    event = {"time": utc_now(), "action": action, "from": before, "to": version, "reason": reason}
    hist = root / HISTORY_FILE
    old = hist.read_bytes() if hist.is_file() else b""
    # History first: a crash leaves a logged but not applied change, never the reverse.
    write_bytes(hist, old + (json.dumps(event, ensure_ascii=False) + "\n").encode("utf-8"))
    write_bytes(root / CURRENT_FILE, (version + "\n").encode("utf-8"))
    return event


def save_version(pipeline: Any, card: dict[str, Any], root: Path) -> str:
    """Write a new version (the next number) under ``root``; it does not become current."""
    root = Path(root)
    if root.exists() and is_model_dir(root):
        raise ConsultError(
            f"{root} is a single model directory, not a registry", "Adopt it first (consult retrain does)"
        )
    with _locked(root):  # two retrains at once get two numbers
        versions = list_versions(root)
        version = f"v{(int(versions[-1][1:]) + 1) if versions else 1:04d}"
        card = {**card, "name": root.name, "version": version}
        save_model(pipeline, card, root / version)
    return version


def promote(root: Path, version: str, reason: str = "promoted by hand") -> dict[str, Any]:
    with _locked(root):
        version_dir(root, version)
        return _set_current(root, version, "promote", reason)


def rollback(root: Path, reason: str = "rolled back by hand") -> dict[str, Any]:
    """Make current the version that was current before the present one."""
    root = Path(root)
    with _locked(root):
        now = current_version(root)
        if now is None:
            raise ConsultError(f"{root} has no current version to roll back from", "Promote a version first")
        # Walk the history backwards past rollbacks: the version current before ``now`` became current.
        stack: list[str] = []
        for e in history(root):
            if e["action"] == "rollback" and stack:
                stack.pop()
            elif not stack or stack[-1] != e["to"]:
                stack.append(e["to"])
        previous = stack[-2] if len(stack) >= 2 and stack[-1] == now else None
        if previous is None:
            raise ConsultError(
                f"{root}: {now} has no earlier current version to roll back to",
                f"Promote a specific version with 'consult models promote VERSION --model {root}'",
            )
        return _set_current(root, previous, "rollback", reason)


def adopt_plain_model(path: Path) -> str:
    """Turn a plain model directory into a registry whose v0001 (current) is that model.

    The registry is made beside the folder (the model file hard-linked, or copied where links are not
    possible) and swapped in whole, so ``path`` is always either the plain model or the registry."""
    path = Path(path)
    with _locked(path):
        card = read_card(path)
        card = {
            **card,
            "name": path.name,
            "version": "v0001",
            "parent_version": None,
            "adopted": "was a plain model directory; it may have been trained on the held-out set",
        }
        with atomic_dir(path) as tmp:
            v1 = tmp / "v0001"
            v1.mkdir()
            for f in path.iterdir():
                if f.is_file() and f.name != CARD_FILE:
                    try:
                        os.link(f, v1 / f.name)
                    except OSError:
                        shutil.copy2(f, v1 / f.name)
            (v1 / CARD_FILE).write_text(json.dumps(card, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
            _set_current(tmp, "v0001", "promote", "adopted from a plain model directory")
    return "v0001"
