"""Cross-fitting on the training data: the folds, out-of-fold scores, and predictions of each fold with
calibration and decisions fitted on the other folds only (the honest scores training reports and chooses by).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence

import numpy as np
from iterstrat.ml_stratifiers import MultilabelStratifiedKFold
from joblib import Parallel, delayed
from sklearn.model_selection import StratifiedKFold

from .calibration import decide, fit_decisions

Splits = list[tuple[np.ndarray, np.ndarray]]


def cv_splits(Y: np.ndarray, mode: str, folds: int, seed: int) -> Splits:
    """Stratified (single) or iteratively stratified (multi-label) folds. A theme with fewer answers than folds
    is missing from some test folds but, with at least two answers, from no training fold; it does not lower
    the number of folds for the other themes."""
    n = Y.shape[0]
    folds = max(2, min(folds, n, int(Y.sum(axis=0).max()) if mode == "single" else n))
    X_dummy = np.zeros((n, 1))
    if mode == "single":
        with warnings.catch_warnings():  # "the least populated class has only k members": expected, see above
            warnings.simplefilter("ignore", UserWarning)
            return list(StratifiedKFold(folds, shuffle=True, random_state=seed).split(X_dummy, Y.argmax(1)))
    return list(MultilabelStratifiedKFold(n_splits=folds, shuffle=True, random_state=seed).split(X_dummy, Y))


def out_of_fold(
    fold_scores: Callable[[np.ndarray, np.ndarray], np.ndarray],
    Y: np.ndarray,
    splits: Splits,
    n_jobs: int | None,
) -> np.ndarray:
    """Out-of-fold raw scores: ``fold_scores(train_rows, test_rows)`` for each fold, in worker processes.

    Not threads: liblinear (LinearSVC) draws its coordinate order from the C library's one global random
    state, which folds fitted in threads share and race on, so results would depend on timing."""
    parts = Parallel(n_jobs=n_jobs)(delayed(fold_scores)(tr, te) for tr, te in splits)
    out = np.zeros(Y.shape)
    for (_, te), s in zip(splits, parts, strict=True):
        out[te] = s
    return out


def cross_fitted_predictions(
    members: Sequence[np.ndarray],
    Y: np.ndarray,
    splits: Splits,
    mode: str,
    default_threshold: float = 0.5,
    tune: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """Predictions and probabilities for each fold with calibration and thresholds fitted on the other folds."""
    pred = np.zeros(Y.shape, dtype=np.int8)
    proba = np.zeros(Y.shape)
    for tr, te in splits:
        dec = fit_decisions([s[tr] for s in members], Y[tr], mode, default_threshold, tune)
        proba[te] = dec.proba([s[te] for s in members], mode)
        pred[te] = decide(proba[te], dec.thresholds, mode)
    return pred, proba
