"""Tone: whether an answer praises, criticises or neither (``positive`` / ``neutral`` / ``negative``).

Tone is learnt like a single-label theme set (see :func:`pipeline.train.train_tone`): its own Pipeline, carried
by the theme model's classifier (``ThemeClassifier.tone``), so one saved model labels both. This module reads
tone cells (:func:`read_tones`) and applies a model's tone Pipeline (:func:`predict_tone`).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .config import IngestConfig
from .features import pipeline_input

TONES = ("negative", "neutral", "positive")
"""Tone values, in the order their probability columns and report columns are written."""
TONE_COLUMN = "tone"
TONE_PREFIX = "p_tone_"


@dataclass
class ToneCells:
    tones: list[str]
    """One tone per cell: a value of :data:`TONES`, or "" for an empty or unreadable cell."""
    unreadable: int = 0
    examples: list[str] = field(default_factory=list)
    """A few unreadable cells, most frequent first."""


def _number(cell: str) -> float | None:
    try:
        x = float(cell.replace("\u2212", "-"))
    except ValueError:
        return None
    return x if math.isfinite(x) else None


def read_tones(cells: Sequence[Any], ic: IngestConfig) -> ToneCells:
    """Read tone cells by ``ingest.tone_rule``; empty cells are "" and not counted, unreadable ones are counted."""
    out: list[str] = []
    bad: Counter[str] = Counter()
    for raw in cells:
        cell = "" if raw is None or (isinstance(raw, float) and math.isnan(raw)) else str(raw).strip()
        if not cell:
            out.append("")
            continue
        tone = ""
        if ic.tone_rule == "words":
            tone = cell.lower() if cell.lower() in TONES else ""
        else:
            x = _number(cell)
            if x is not None and (not ic.tone_integers_only or x == round(x)):
                band = ic.tone_neutral_band
                tone = "negative" if x < -band else "positive" if x > band else "neutral"
        if not tone:
            bad[cell] += 1
        out.append(tone)
    return ToneCells(out, sum(bad.values()), [k for k, _ in bad.most_common(5)])


class ToneModel:
    """A fitted tone Pipeline (answers → tone probabilities) and the tone value of each probability column."""

    def __init__(self, values: Sequence[str], pipeline: Any) -> None:
        self.values = list(values)
        self.pipeline = pipeline

    def shares_features(self, pipeline: Any) -> bool:
        """Whether this tone model reads the very features of the theme ``pipeline`` (trained together)."""
        return self.pipeline.named_steps["features"] is pipeline.named_steps["features"]

    def decide(self, proba: np.ndarray) -> list[str]:
        """The tone of each row of tone probabilities."""
        if not len(proba):
            return []
        pred = self.pipeline.named_steps["classify"].decide(proba)
        return [self.values[j] for j in pred.argmax(axis=1)]

    def predict(
        self, texts: Sequence[str], questions: Sequence[str] | None = None, batch_size: int = 2000
    ) -> tuple[list[str], np.ndarray]:
        """Tone of each answer and the calibrated probability of each value (columns as ``values``)."""
        parts = []
        for start in range(0, len(texts), batch_size):
            batch = [str(t) for t in texts[start : start + batch_size]]
            # Without questions: the shared features only ("" answers no known question).
            asked = [""] * len(batch) if questions is None else list(questions[start : start + batch_size])
            parts.append(self.pipeline.predict_proba(pipeline_input(self.pipeline, batch, asked)))
        proba = np.vstack(parts) if parts else np.zeros((0, len(self.values)))
        return self.decide(proba), proba


def tone_model(pipeline: Any) -> ToneModel | None:
    """The tone model a theme model carries, or None (trained without a tone column, or saved before tone)."""
    return getattr(pipeline.named_steps["classify"], "tone", None)
