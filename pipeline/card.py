"""The model card: what a saved model was trained on, with what, and how well it scores (cross-validated).

:func:`model_card` is the one place a card is built; ``consult train`` and ``consult retrain`` both use it and
add their own blocks (retraining: the parent version, the reviews, the held-out set, the comparison).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sklearn.pipeline import Pipeline

from .config import Config
from .features import sentence_block
from .provenance import library_versions, sha256_file, utc_now
from .taxonomy import Taxonomy
from .trainingdata import TrainingData

SCORES = ("cv_scores", "cv_calibration", "baselines")
"""Report keys the card keeps at its top level (``baselines`` as ``cv_baselines``), not under ``training``."""


def scores_block(report: dict[str, Any]) -> dict[str, Any]:
    """A training report as a card keeps it: how training went, and the cross-validated scores and baselines."""
    return {
        "training": {k: v for k, v in report.items() if k not in SCORES},
        "cv_scores": report["cv_scores"],
        "cv_calibration": report["cv_calibration"],
        "cv_baselines": report["baselines"],
    }


def thresholds_for_card(pipe: Pipeline, themes: list[str]) -> dict[str, float]:
    clf = pipe.named_steps["classify"]
    return {t: round(float(v), 4) for t, v in zip(themes, clf.thresholds_, strict=True)}


def card_basics(pipe: Pipeline, data: TrainingData, report: dict[str, Any], lang: str) -> dict[str, Any]:
    """The model-card fields every trained model has: when, with what, which themes and how they are decided."""
    return {
        "created": utc_now(),
        "versions": library_versions(),
        "language": lang,
        "themes": data.themes,
        "theme_names": {t: data.theme_names.get(t, t) for t in data.themes},
        "themes_left_out": data.dropped_themes,
        "questions": report.get("questions", []),
        "mode": report["mode"],
        "sentence_model": sentence_block(pipe),
        "thresholds": thresholds_for_card(pipe, data.themes),
        "threshold_meaning": "per-theme probability threshold"
        if report["mode"] == "multilabel"
        else "per-theme weight on the probabilities (prediction = argmax of probability x weight)",
    }


def taxonomy_record(taxonomy: Taxonomy | None, path: Path | None) -> dict[str, Any] | None:
    """The taxonomy as the card keeps it: where it was read and all of it (names, definitions, examples), so
    retraining learns from the same theme texts wherever it runs."""
    if taxonomy is None:
        return None
    return {
        "path": None if path is None else str(path),
        "sha256": sha256_file(Path(path)) if path is not None and Path(path).is_file() else None,
        "themes": taxonomy.model_dump(mode="json")["themes"],
    }


def tone_card(data: TrainingData, report: dict[str, Any], column: str, rule: str, unreadable: int) -> dict[str, Any]:
    """The model card's ``tone`` block: what it was trained on and its cross-validated scores and baselines."""
    return {
        "column": column,
        "rule": rule,
        "values": data.themes,
        "values_left_out": data.dropped_themes,
        "rows_used": len(data.texts),
        "unreadable_cells": unreadable,
        "label_counts": {t: int(c) for t, c in zip(data.themes, data.Y.sum(axis=0), strict=True)},
        **scores_block(report),
    }


def model_card(
    pipe: Pipeline,
    data: TrainingData,
    report: dict[str, Any],
    *,
    lang: str,
    config: Config,
    data_path: Path,
    rows: int,
    taxonomy: Taxonomy | None,
    taxonomy_path: Path | None,
    tone: dict[str, Any] | None,
    training_data: dict[str, Any] | None = None,
    **blocks: Any,
) -> dict[str, Any]:
    """The card of a trained theme model. ``rows``: rows of the data file; ``training_data``: more fields of
    the ``training_data`` block; ``blocks``: more top-level blocks."""
    return {
        **card_basics(pipe, data, report, lang),
        "tone": tone,
        "training_data": {
            "path": str(data_path),
            "sha256": sha256_file(Path(data_path)),
            "rows": rows,
            "rows_used": len(data.texts),
            **(training_data or {}),
            "label_counts": {t: int(c) for t, c in zip(data.themes, data.Y.sum(axis=0), strict=True)},
        },
        "taxonomy": taxonomy_record(taxonomy, taxonomy_path),
        "config": config.model_dump(mode="json"),
        **scores_block(report),
        **blocks,
    }
