"""From raw scores to probabilities and themes, all fitted on out-of-fold scores: each member's calibration (Platt
per theme, or a softmax temperature single-label), the decision thresholds (multi-label) or class weights
(single-label), and the single-label recalibration of the decided theme's probability.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.optimize import minimize_scalar
from scipy.special import expit, log_softmax, logit, softmax
from sklearn.linear_model import LogisticRegression


@dataclass
class Platt:
    """Sigmoid calibration of one theme's scores: p = 1 / (1 + exp(-(a * s + b)))."""

    a: float = 1.0
    b: float = 0.0

    @classmethod
    def fit(cls, scores: np.ndarray, y: np.ndarray) -> Platt:
        if y.min() == y.max():
            return cls(0.0, 10.0 if y.max() else -10.0)
        lr = LogisticRegression(C=1e4, solver="lbfgs").fit(scores.reshape(-1, 1), y)
        return cls(float(lr.coef_[0, 0]), float(lr.intercept_[0]))

    def __call__(self, scores: np.ndarray) -> np.ndarray:
        return expit(self.a * scores + self.b)


def fit_temperature(scores: np.ndarray, y: np.ndarray) -> float:
    """Softmax temperature minimising the log loss of single-label scores."""

    def nll(log_t: float) -> float:
        return float(-log_softmax(scores / np.exp(log_t), axis=1)[np.arange(len(y)), y].mean())

    res = minimize_scalar(nll, bounds=(-5.0, 5.0), method="bounded")
    return float(np.exp(res.x))


def calibrate_scores(calibration: list[Platt] | float, scores: np.ndarray, mode: str) -> np.ndarray:
    """Probabilities from raw scores: softmax with temperature (single-label) or Platt per theme."""
    if mode == "single" and not isinstance(calibration, list):
        return np.asarray(softmax(scores / float(calibration), axis=1))
    assert isinstance(calibration, list)
    return np.column_stack([cal(scores[:, j]) for j, cal in enumerate(calibration)])


def _decided(proba: np.ndarray, weights: np.ndarray) -> np.ndarray:
    return (proba * weights).argmax(axis=1)


def _logit(p: np.ndarray) -> np.ndarray:
    return logit(np.clip(p, 1e-6, 1 - 1e-6))


def fit_top_calibration(proba: np.ndarray, Y: np.ndarray, weights: np.ndarray) -> Platt | None:
    """Single-label: a Platt map from the logit of the decided theme's probability to the share of such
    decisions that are right, fitted on out-of-fold probabilities. ``None`` when the fitted map does not
    increase (too few or uninformative rows): then the probabilities are left as they are."""
    if len(proba) == 0 or proba.shape[1] < 2:
        return None
    rows = np.arange(len(proba))
    d = _decided(proba, weights)
    top = Platt.fit(_logit(proba[rows, d]), Y[rows, d].astype(int))
    return top if top.a > 0 else None


def recalibrate_top(proba: np.ndarray, weights: np.ndarray, top: Platt) -> np.ndarray:
    """The decided theme gets ``top``'s probability and the other themes share the rest in proportion to their
    own, so rows still sum to one and no decision changes (where the map would change one, the decided theme
    keeps just enough probability to stay decided)."""
    n, k = proba.shape
    if n == 0 or k < 2:
        return proba
    rows = np.arange(n)
    d = _decided(proba, weights)
    p = proba[rows, d]
    rest = proba.sum(axis=1) - p
    weighted = proba * weights
    weighted[rows, d] = -np.inf
    m = weighted.max(axis=1) / np.maximum(weights[d], 1e-300)
    # decided stays decided: w_d * q > w_j * p_j * (1 - q) / rest for all j  <=>  q > m / (rest + m)
    q_min = m / np.maximum(rest + m, 1e-300)
    q = np.maximum(top(_logit(p)), q_min * (1 + 1e-9) + 1e-12)
    q = np.where(rest > 0, np.minimum(q, 1.0), p)
    out = proba * ((1 - q) / np.where(rest > 0, rest, 1.0))[:, None]
    out[rows, d] = q
    return out


def combine_members(scores: Sequence[np.ndarray], calibrations: Sequence[list[Platt] | float], mode: str) -> np.ndarray:
    """The ensemble's probabilities: the mean of each member's calibrated probabilities."""
    probs = [calibrate_scores(cal, s, mode) for s, cal in zip(scores, calibrations, strict=True)]
    return probs[0] if len(probs) == 1 else np.mean(probs, axis=0)


def decide(proba: np.ndarray, thresholds: np.ndarray, mode: str) -> np.ndarray:
    """Multi-label: themes at or above their threshold, else the most probable one.
    Single-label: the theme with the highest ``proba * weight`` (``thresholds`` holds the weights)."""
    n, k = proba.shape
    out = np.zeros((n, k), dtype=np.int8)
    if n == 0:
        return out
    if mode == "single":
        out[np.arange(n), (proba * thresholds).argmax(axis=1)] = 1
        return out
    out[:] = proba >= thresholds
    none = out.sum(axis=1) == 0
    out[np.flatnonzero(none), proba[none].argmax(axis=1)] = 1
    return out


def tune_thresholds(proba: np.ndarray, Y: np.ndarray, grid: np.ndarray | None = None) -> np.ndarray:
    """Per-theme threshold maximising that theme's F1 on out-of-fold probabilities."""
    grid = np.round(np.arange(0.05, 0.951, 0.025), 3) if grid is None else grid
    th = np.empty(Y.shape[1])
    for j in range(Y.shape[1]):
        y = Y[:, j].astype(bool)
        pred = proba[:, j][None, :] >= grid[:, None]  # (grid, n)
        tp = (pred & y).sum(axis=1)
        fp = (pred & ~y).sum(axis=1)
        fn = (~pred & y).sum(axis=1)
        f1 = 2 * tp / np.maximum(2 * tp + fp + fn, 1)
        best = np.flatnonzero(f1 == f1.max())
        th[j] = grid[best[len(best) // 2]]  # middle of the best plateau
    return th


def macro_f1_single(y: np.ndarray, pred: np.ndarray, k: int) -> float:
    """Macro-F1 over the classes present in ``y`` (fast: one bincount)."""
    cm = np.bincount(y * k + pred, minlength=k * k).reshape(k, k)
    tp = np.diag(cm).astype(float)
    denom = cm.sum(axis=0) + cm.sum(axis=1)
    present = cm.sum(axis=1) > 0
    f1 = np.divide(2 * tp, denom, out=np.zeros(k), where=denom > 0)
    return float(f1[present].mean()) if present.any() else 0.0


def tune_class_weights(proba: np.ndarray, y: np.ndarray, rounds: int = 3) -> np.ndarray:
    """Single-label: per-class multiplicative weights on probabilities, by coordinate ascent on macro-F1."""
    n, k = proba.shape
    w = np.ones(k)
    grid = np.exp(np.linspace(np.log(0.25), np.log(4.0), 17))
    best = macro_f1_single(y, (proba * w).argmax(1), k)
    rows = np.arange(n)
    for _ in range(rounds):
        improved = False
        for j in range(k):
            # Only class j's weight moves: each row goes to j or stays with its best other class (argmax's
            # tie rule: the lower index wins), so one pass over the other classes serves the whole grid.
            others = proba * w
            others[:, j] = -np.inf
            other = others.argmax(axis=1)
            other_score = others[rows, other]
            keep = w[j]
            for g in grid:
                sj = proba[:, j] * g
                pred = np.where((sj > other_score) | ((sj == other_score) & (j < other)), j, other)
                f = macro_f1_single(y, pred, k)
                if f > best + 1e-9:
                    best, keep, improved = f, g, True
            w[j] = keep
        if not improved:
            break
    return w


def fit_calibration(scores: np.ndarray, Y: np.ndarray, mode: str) -> list[Platt] | float:
    if mode == "single":
        return fit_temperature(scores, Y.argmax(1))
    return [Platt.fit(scores[:, j], Y[:, j]) for j in range(Y.shape[1])]


def tune_decisions(
    proba: np.ndarray, Y: np.ndarray, mode: str, default_threshold: float = 0.5, tune: bool = True
) -> np.ndarray:
    """Thresholds (multi-label) or class weights (single-label); defaults when ``tune`` is False."""
    if not tune:
        return np.ones(Y.shape[1]) if mode == "single" else np.full(Y.shape[1], default_threshold)
    if mode == "single":
        return tune_class_weights(proba, Y.argmax(1))
    return tune_thresholds(proba, Y)


@dataclass
class Decisions:
    """How scores become probabilities and themes: each member's calibration, the thresholds (or class
    weights) and, single-label, the recalibration of the decided theme's probability."""

    calibrations: list[Any]
    thresholds: np.ndarray
    top: Platt | None = None

    def proba(self, members: Sequence[np.ndarray], mode: str) -> np.ndarray:
        proba = combine_members(members, self.calibrations, mode)
        return proba if self.top is None else recalibrate_top(proba, self.thresholds, self.top)


def fit_decisions(
    members: Sequence[np.ndarray], Y: np.ndarray, mode: str, default_threshold: float = 0.5, tune: bool = True
) -> Decisions:
    """Calibration of each member, the thresholds (or class weights) of their combined probabilities and,
    single-label, the top-label recalibration: all from out-of-fold scores."""
    cals = [fit_calibration(s, Y, mode) for s in members]
    proba = combine_members(members, cals, mode)
    th = tune_decisions(proba, Y, mode, default_threshold, tune)
    return Decisions(cals, th, fit_top_calibration(proba, Y, th) if mode == "single" else None)
