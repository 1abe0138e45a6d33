"""Shared tiny fixtures for the review, retrain and model-version tests."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from pipeline.config import Config, load_config
from pipeline.modelstore import CARD_FILE

from .test_classify import COURT, LIGHT, PATROL

FAST = ["model.cv_folds=3", "model.c_grid=[1.0]", "model.bootstrap=0", "model.tokenizer=regex", "model.n_jobs=1"]


def config(tmp: Path, *extra: str) -> Config:
    return load_config(
        None,
        [
            *FAST,
            f"retrain.model={json.dumps(str(tmp / 'models' / 'default'))}",
            f"review.audit_path={json.dumps(str(tmp / 'audit.jsonl'))}",
            f"retrain.base_data={json.dumps(str(tmp / 'base.csv'))}",
            *extra,
        ],
    )


def base_corpus(path: Path) -> Path:
    texts = LIGHT + PATROL + COURT + ["dark streets and no patrols at night", "the court delay and no police patrols"]
    labels = ["light"] * 9 + ["patrol"] * 9 + ["court"] * 9 + ["light;patrol", "court;patrol"]
    pd.DataFrame({"id": [f"b{i:02d}" for i in range(len(texts))], "text": texts, "labels": labels}).to_csv(
        path, index=False
    )
    return path


def fake_model(
    path: Path, themes: list[str], thresholds: list[float], mode: str = "multilabel", version: str = "v0001"
) -> Path:
    """A model card alone: enough for export, which needs only themes, mode and thresholds."""
    path.mkdir(parents=True, exist_ok=True)
    card = {
        "themes": themes,
        "mode": mode,
        "thresholds": dict(zip(themes, thresholds, strict=True)),
        "model_sha256": "0" * 64,
        "versions": {"scikit-learn": "x"},
        "version": version,
        "theme_names": {t: t.title() for t in themes},
    }
    (path / CARD_FILE).write_text(json.dumps(card), encoding="utf-8")
    return path


def labelled_file(path: Path, rows: list[tuple[str, str, float, float, str, str]], version: str = "v0001") -> Path:
    """A file shaped like 'consult label' output: (id, text, p_light, p_court, duplicate_of, status)."""
    recs = []
    for i, text, pl, pc, dup, status in rows:
        themes = ";".join(t for t, p in (("light", pl), ("court", pc)) if p >= 0.5) if status == "labelled" else ""
        recs.append(
            {
                "id": i,
                "text": text,
                "themes": themes,
                "p_light": pl if status == "labelled" else "",
                "p_court": pc if status == "labelled" else "",
                "confidence": "",
                "flag_empty": status == "empty",
                "flag_non_substantive": False,
                "flag_too_long": False,
                "duplicate_of": dup,
                "status": status,
                "model_version": version,
            }
        )
    pd.DataFrame(recs).to_csv(path, index=False)
    return path
