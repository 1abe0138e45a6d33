"""From scores to probabilities and themes: thresholds, class weights, single-label top recalibration."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline import evaluate as ev
from pipeline.calibration import (
    Platt,
    decide,
    fit_top_calibration,
    macro_f1_single,
    recalibrate_top,
    tune_class_weights,
    tune_thresholds,
)


def test_thresholds_tuned_per_theme() -> None:
    proba = np.array([[0.9, 0.2], [0.6, 0.3], [0.4, 0.25], [0.1, 0.1]])
    Y = np.array([[1, 0], [1, 1], [0, 1], [0, 0]])
    th = tune_thresholds(proba, Y)
    assert 0.4 < th[0] <= 0.6  # separates 0.6 from 0.4
    assert 0.2 < th[1] <= 0.25  # catches 0.3 and 0.25, not 0.2


def test_fallback_gives_every_row_a_theme() -> None:
    proba = np.array([[0.1, 0.2, 0.05], [0.6, 0.1, 0.7], [0.3, 0.3, 0.1]])
    out = decide(proba, np.array([0.5, 0.5, 0.5]), "multilabel")
    assert out.tolist() == [[0, 1, 0], [1, 0, 1], [1, 0, 0]]


def test_single_label_decision_is_one_theme() -> None:
    proba = np.array([[0.5, 0.3, 0.2], [0.4, 0.35, 0.25]])
    out = decide(proba, np.array([1.0, 1.5, 1.0]), "single")
    assert out.tolist() == [[1, 0, 0], [0, 1, 0]]  # 0.35 * 1.5 > 0.4


def test_class_weights_raise_macro_f1_on_a_skewed_problem() -> None:
    # Class 1 is always under-scored: a weight > 1 recovers it.
    y = np.array([0] * 8 + [1] * 4)
    proba = np.column_stack([np.r_[np.full(8, 0.7), np.full(4, 0.55)], np.r_[np.full(8, 0.3), np.full(4, 0.45)]])
    w = tune_class_weights(proba, y)
    assert w[1] / w[0] > 0.55 / 0.45


def test_top_calibration_hand_checked() -> None:
    # Ten answers at 0.9 of which six are right, ten at 0.6 of which four are: the map learns 0.6 and 0.4.
    proba = np.array([[0.9, 0.05, 0.05]] * 10 + [[0.6, 0.2, 0.2]] * 10)
    truth = [0] * 6 + [1] * 4 + [0] * 4 + [2] * 6
    Y = np.eye(3, dtype=np.int8)[truth]
    w = np.ones(3)
    top = fit_top_calibration(proba, Y, w)
    assert top is not None
    out = recalibrate_top(proba, w, top)
    assert np.allclose(out[0], [0.6, 0.2, 0.2], atol=1e-3)  # the rest keeps its proportions
    assert np.allclose(out[10], [0.4, 0.3, 0.3], atol=1e-3)
    assert ev.calibration(Y, proba, "single")["ece"] == pytest.approx(0.25)  # 10 x 0.3 + 10 x 0.2, over 20
    assert ev.calibration(Y, out, "single")["ece"] == pytest.approx(0.0, abs=1e-3)
    # Confidence that does not rise with accuracy gives no map.
    assert fit_top_calibration(proba, np.eye(3, dtype=np.int8)[[1] * 10 + [0] * 10], w) is None


@pytest.mark.parametrize("top", [Platt(0.3, -2.0), Platt(2.0, 1.0)])
def test_top_recalibration_never_changes_a_decision(top: Platt) -> None:
    rng = np.random.default_rng(0)
    proba = rng.dirichlet(np.ones(5) * 0.7, size=500)
    weights = rng.uniform(0.5, 2.0, size=5)
    out = recalibrate_top(proba, weights, top)
    assert (decide(out, weights, "single") == decide(proba, weights, "single")).all()
    assert np.allclose(out.sum(axis=1), 1.0)
    assert out.min() >= 0 and out.max() <= 1
    rows = np.arange(len(proba))
    d = (proba * weights).argmax(axis=1)
    mapped = top(np.log(proba[rows, d] / (1 - proba[rows, d])))
    moved = ~np.isclose(out[rows, d], mapped)  # rows where the map alone would have changed the decision
    if top.a < 1:
        assert moved.any()
    assert np.allclose(out[rows, d][~moved], mapped[~moved])


def _tune_class_weights_by_full_argmax(proba: np.ndarray, y: np.ndarray, rounds: int = 3) -> np.ndarray:
    """The plain coordinate ascent, one full argmax per grid value: the reference for the fast version."""
    k = proba.shape[1]
    w = np.ones(k)
    grid = np.exp(np.linspace(np.log(0.25), np.log(4.0), 17))
    best = macro_f1_single(y, (proba * w).argmax(1), k)
    for _ in range(rounds):
        improved = False
        for j in range(k):
            keep = w[j]
            for g in grid:
                w[j] = g
                f = macro_f1_single(y, (proba * w).argmax(1), k)
                if f > best + 1e-9:
                    best, keep, improved = f, g, True
            w[j] = keep
        if not improved:
            break
    return w


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_fast_class_weight_tuning_equals_the_plain_search(seed: int) -> None:
    rng = np.random.default_rng(seed)
    k = 6
    y = rng.integers(0, k, 300)
    proba = rng.dirichlet(np.ones(k), 300) + 0.3 * np.eye(k)[y] * rng.random((300, 1))
    proba = np.round(proba / proba.sum(axis=1, keepdims=True), 2)  # rounding makes ties, as real data has
    assert np.array_equal(tune_class_weights(proba, y), _tune_class_weights_by_full_argmax(proba, y))
