"""Stage 4 — themes: the theme classifier, a plain scikit-learn estimator.

:class:`ThemeClassifier` fits one linear model per theme (or one over all themes, single-label), optionally with
an NB-SVM member, and learns inside ``fit`` — as ``CalibratedClassifierCV`` and ``TunedThresholdClassifierCV``
do — each member's calibration and the decision thresholds (or class weights) from out-of-fold scores on its own
folds. The saved theme model is one sklearn ``Pipeline``: normalisation and features (:mod:`pipeline.features`)
→ :class:`ThemeClassifier`, so text preparation travels with the model.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.svm import LinearSVC
from sklearn.utils import Tags
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import check_is_fitted, check_X_y, column_or_1d, validate_data

from .calibration import combine_members, decide, fit_decisions, recalibrate_top
from .crossfit import Splits, cv_splits, out_of_fold

MEMBERS = ("linear", "nb")
"""The ensemble's members, in order: the linear models, then the NB-SVM member."""


ClassWeight = str | dict[int, float]
"""A weighting scheme (see :func:`class_weights`), or each class's weight."""


def class_weights(y: np.ndarray, scheme: ClassWeight) -> dict[int, float] | None:
    """``balanced``: n / (k * n_c); ``balanced_sqrt``: its square root (halfway to no weighting); ``none``; or a
    dict of each class's weight (1 for a class it does not name)."""
    if isinstance(scheme, dict):
        return {int(c): float(scheme.get(int(c), 1.0)) for c in np.unique(y)}
    if scheme == "none":
        return None
    classes, counts = np.unique(y, return_counts=True)
    w = len(y) / (len(classes) * counts.astype(float))
    if scheme == "balanced_sqrt":
        w = np.sqrt(w)
    return {int(c): float(v) for c, v in zip(classes, w, strict=True)}


def _base_estimator(
    estimator: str, class_weight: ClassWeight, C: float, y: np.ndarray, random_state: int
) -> BaseEstimator:
    cw = class_weights(y, class_weight)
    if estimator == "svm":
        return LinearSVC(C=C, class_weight=cw, dual="auto", max_iter=5000, random_state=random_state)
    solver = "saga" if len(np.unique(y)) > 2 else "lbfgs"  # the faster of the two for each case
    return LogisticRegression(C=C, class_weight=cw, max_iter=2000, solver=solver, random_state=random_state)


def _compact(est: Any) -> Any:
    """Keep a fitted linear model's weights in float32, as the features are: half the model's size, and scores
    that differ from float64 weights by rounding only."""
    est.coef_ = np.asarray(est.coef_, dtype=np.float32)
    return est


def _scores(est: Any, X: Any) -> np.ndarray:
    s = est.decision_function(X)
    return s.reshape(-1, 1) if s.ndim == 1 else s


def nb_ratios(X: Any, Y: np.ndarray, alpha: float = 1.0) -> np.ndarray:
    """Naive-Bayes log-count ratio of every feature for every theme, shape (themes, features): how much more
    often the feature occurs in answers with the theme than in answers without it (on presence counts)."""
    B = X.copy().tocsr()
    B.data[:] = 1.0
    pos = np.asarray(B.T @ Y.astype(np.float32)).T  # (themes, features)
    neg = np.asarray(B.sum(axis=0)).ravel()[None, :] - pos
    p = alpha + pos
    q = alpha + neg
    return (np.log(p / p.sum(axis=1, keepdims=True)) - np.log(q / q.sum(axis=1, keepdims=True))).astype(np.float32)


@dataclass
class NBMember:
    """The second member of the ensemble: NB-SVM (Wang & Manning 2012). For each theme the features are scaled
    by their naive-Bayes log-count ratios and a linear SVM is fitted on them; the ratios are then folded into
    its weights, so scoring is one sparse-dense product, as cheap as the first member."""

    coef: np.ndarray  # (themes, features), float32
    intercept: np.ndarray  # (themes,)

    @classmethod
    def fit(cls, X: Any, Y: np.ndarray, C: float, mode: str, class_weight: ClassWeight, random_state: int) -> NBMember:
        """One SVM per theme. Single-label: each answer weighted by its theme's class weight, as the one-vs-rest
        models of the first member are; multi-label: each theme's own balanced weights."""
        X = X.tocsr() if sp.issparse(X) else sp.csr_matrix(X)
        ratios = nb_ratios(X, Y)
        sample_weight = None
        if mode == "single":
            y_all = Y.argmax(axis=1)
            cw = class_weights(y_all, class_weight)
            sample_weight = None if cw is None else np.array([cw[int(c)] for c in y_all])
        coef = np.zeros((Y.shape[1], X.shape[1]), dtype=np.float32)
        intercept = np.zeros(Y.shape[1])
        for j in range(Y.shape[1]):
            y = Y[:, j]
            if y.min() == y.max():
                intercept[j] = 1e3 if y.max() else -1e3
                continue
            svm = LinearSVC(
                C=C,
                class_weight=None if mode == "single" else class_weights(y, class_weight),
                dual="auto",
                max_iter=5000,
                random_state=random_state,
            )
            svm.fit(X @ sp.diags(ratios[j]), y, sample_weight=sample_weight)
            coef[j] = svm.coef_.ravel() * ratios[j]
            intercept[j] = svm.intercept_[0]
        return cls(coef, intercept)

    def scores(self, X: Any) -> np.ndarray:
        return np.asarray(X @ self.coef.T, dtype=np.float64) + self.intercept


def choose_mode(Y: np.ndarray, requested: str) -> str:
    if requested != "auto":
        return requested
    return "single" if bool((Y.sum(axis=1) == 1).all()) else "multilabel"


class LinearMember:
    """The first member of the ensemble: one linear model per theme (multi-label), or one over all themes
    (single-label). A theme present in every training row, or in none, has a constant score instead."""

    def __init__(self, estimators: list[Any], n_themes: int, mode: str) -> None:
        self.estimators = estimators
        self.n_themes = n_themes
        self.mode = mode

    @classmethod
    def fit(
        cls, X: Any, Y: np.ndarray, C: float, mode: str, estimator: str, class_weight: ClassWeight, random_state: int
    ) -> LinearMember:
        if sp.issparse(X) and X.dtype != np.float64:
            X = sp.csr_matrix(X, dtype=np.float64)  # liblinear needs float64: convert once, not once per theme
        if mode == "single":
            y = Y.argmax(axis=1)
            return cls(
                [_compact(_base_estimator(estimator, class_weight, C, y, random_state).fit(X, y))], Y.shape[1], mode
            )
        models: list[Any] = []
        for j in range(Y.shape[1]):
            y = Y[:, j]
            if y.min() == y.max():  # a theme present in every row, or in none
                models.append(float(y.max()))
            else:
                models.append(_compact(_base_estimator(estimator, class_weight, C, y, random_state).fit(X, y)))
        return cls(models, Y.shape[1], mode)

    def scores(self, X: Any) -> np.ndarray:
        """Raw linear scores, shape (n, themes)."""
        if self.mode == "single":
            est = self.estimators[0]
            s = _scores(est, X)
            if s.shape[1] == 1:  # binary problem: sklearn gives one column
                s = np.hstack([-s, s])
            out = np.full((s.shape[0], self.n_themes), -1e3)
            out[:, est.classes_] = s
            return out
        # One sparse-dense product for all themes instead of one decision_function call per theme.
        W, b, fixed = self._stacked()
        out = np.empty((X.shape[0], self.n_themes))
        fitted = np.flatnonzero(np.isnan(fixed))
        if len(fitted):
            out[:, fitted] = np.asarray(X @ W.T) + b
        for j in np.flatnonzero(~np.isnan(fixed)):
            out[:, j] = 1e3 if fixed[j] else -1e3
        return out

    def _stacked(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Multi-label: the binary models' weights as one matrix, their intercepts, and the constant themes
        (NaN where a model was fitted). Built once and cached; the cache is not pickled."""
        cached = self.__dict__.get("_stacked_cache")
        if cached is None:
            models = [e for e in self.estimators if not isinstance(e, float)]
            W = np.vstack([m.coef_.reshape(1, -1) for m in models]) if models else np.zeros((0, 0))
            b = np.array([float(np.ravel(m.intercept_)[0]) for m in models])
            fixed = np.array([e if isinstance(e, float) else np.nan for e in self.estimators], dtype=float)
            cached = self.__dict__["_stacked_cache"] = (W, b, fixed)
        return cached

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "_stacked_cache"}


def _fold_scores(
    member: str,
    X: Any,
    Y: np.ndarray,
    scored: np.ndarray,
    always: np.ndarray,
    params: dict[str, Any],
    train: np.ndarray,
    test: np.ndarray,
) -> np.ndarray:
    """One fold's scores of one member: fitted on the scored rows ``train`` and all ``always`` rows, scored on
    the scored rows ``test`` (indices into ``scored``)."""
    rows = np.concatenate([scored[train], always])
    p = params
    if member == "linear":
        fitted: Any = LinearMember.fit(
            X[rows], Y[rows], p["C"], p["mode"], p["estimator"], p["class_weight"], p["random_state"]
        )
    else:
        fitted = NBMember.fit(X[rows], Y[rows], p["nb_C"], p["mode"], p["class_weight"], p["random_state"])
    return fitted.scores(X[scored[test]])


class ThemeClassifier(ClassifierMixin, BaseEstimator):
    """Linear theme models with calibrated probabilities and tuned decisions, all learnt in ``fit``.

    ``y``: a binary matrix (answers x themes) or one label per answer. ``mode="multilabel"``: one binary model
    per theme; a theme is predicted when its probability reaches its threshold, and a row with none gets its most
    probable theme. ``mode="single"``: one model over all themes; the prediction is the theme with the highest
    weighted probability. ``"auto"``: single-label when every row of the matrix has one theme (one label per
    answer always is).

    ``fit`` splits the rows into ``cv`` stratified folds (iteratively stratified, multi-label), scores each fold
    with models fitted on the others, and fits on those out-of-fold scores each member's calibration (Platt per
    theme, or a softmax temperature single-label), the decision thresholds (or class weights, single-label;
    tuned when ``tune_decisions``, else ``default_threshold`` and 1) and, single-label, a recalibration of the
    decided theme's probability that changes no decision (:func:`pipeline.calibration.recalibrate_top`). The
    final models are then fitted on all rows.

    With ``nb_C`` set, an :class:`NBMember` is fitted too and the probabilities are the mean of the two members'
    calibrated probabilities. ``estimator``: ``svm`` (LinearSVC) or ``logreg``; ``class_weight``: ``balanced``,
    ``balanced_sqrt``, ``none`` (:func:`class_weights`) or a dict of each class's weight (multi-label: of a theme's
    absence, 0, and presence, 1, in each binary model).

    ``tone``: a fitted :class:`pipeline.tone.ToneModel` carried with the themes (trained on its own labels,
    prefit: ``fit`` leaves it as it is), or None.
    """

    def __init__(
        self,
        C: float = 1.0,
        mode: str = "auto",
        nb_C: float | None = None,
        estimator: str = "svm",
        class_weight: ClassWeight = "balanced_sqrt",
        tune_decisions: bool = False,
        default_threshold: float = 0.5,
        cv: int = 5,
        n_jobs: int | None = None,
        random_state: int = 0,
        tone: Any = None,
    ) -> None:
        self.C = C
        self.mode = mode
        self.nb_C = nb_C
        self.estimator = estimator
        self.class_weight = class_weight
        self.tune_decisions = tune_decisions
        self.default_threshold = default_threshold
        self.cv = cv
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.tone = tone

    def __sklearn_tags__(self) -> Tags:
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        tags.input_tags.sparse = True
        return tags

    # --- targets and folds ---------------------------------------------------------------------------------

    def _targets(self, y: Any) -> tuple[np.ndarray, str, np.ndarray, bool]:
        """The binary theme matrix of ``y``, the mode, the classes, and whether ``y`` was a matrix."""
        if sp.issparse(y):
            y = y.toarray()
        if type_of_target(y) == "multilabel-indicator":
            Y = np.asarray(y)
            mode = choose_mode(Y, self.mode)
            if mode == "single" and not bool((Y.sum(axis=1) == 1).all()):
                raise ValueError("mode is 'single' but some rows have several themes (use 'auto' or 'multilabel')")
            return Y, mode, np.arange(Y.shape[1]), True
        check_classification_targets(y)
        labels = column_or_1d(y, warn=True)
        classes, codes = np.unique(labels, return_inverse=True)
        if len(classes) < 2:
            raise ValueError(f"ThemeClassifier needs at least 2 classes; got {len(classes)} class")
        return np.eye(len(classes), dtype=np.int8)[codes], "single", classes, False

    def _class_weight(self, classes: np.ndarray, matrix: bool) -> ClassWeight:
        """``class_weight`` as the members take it: a dict keyed by labels becomes one keyed by column."""
        cw = self.class_weight
        if isinstance(cw, dict) and not matrix:
            return {j: float(cw[c]) for j, c in enumerate(classes) if c in cw}
        return cw

    def _params(self, mode: str, classes: np.ndarray, matrix: bool) -> dict[str, Any]:
        return {
            "C": self.C,
            "nb_C": self.nb_C,
            "mode": mode,
            "estimator": self.estimator,
            "class_weight": self._class_weight(classes, matrix),
            "random_state": self.random_state,
        }

    def _out_of_fold(
        self, X: Any, Y: np.ndarray, params: dict[str, Any], always_train: Any, members: Sequence[str]
    ) -> tuple[list[np.ndarray], np.ndarray, Splits]:
        mode = params["mode"]
        always = np.zeros(Y.shape[0], dtype=bool) if always_train is None else np.asarray(always_train, dtype=bool)
        scored, kept = np.flatnonzero(~always), np.flatnonzero(always)
        splits = cv_splits(Y[scored], mode, self.cv, self.random_state)
        out = []
        for member in members:
            if member not in MEMBERS or (member == "nb" and self.nb_C is None):
                raise ValueError(f"no member '{member}' (members: linear, and nb when nb_C is set)")
            fold = partial(_fold_scores, member, X, Y, scored, kept, params)
            out.append(out_of_fold(fold, Y[scored], splits, self.n_jobs))
        return out, scored, splits

    def out_of_fold_scores(
        self, X: Any, y: Any, always_train: Any = None, members: Sequence[str] = ("linear",)
    ) -> list[np.ndarray]:
        """Out-of-fold raw scores of ``members`` with these parameters, on the folds ``fit`` uses: one array
        (scored rows x themes) per member. Rows marked in ``always_train`` join every fold's training and are
        never scored (e.g. texts describing the themes)."""
        X, y = check_X_y(X, y, accept_sparse="csr", dtype=[np.float64, np.float32], multi_output=True)
        Y, mode, classes, matrix = self._targets(y)
        return self._out_of_fold(X, Y, self._params(mode, classes, matrix), always_train, members)[0]

    # --- fitting -----------------------------------------------------------------------------------------------

    def fit(self, X: Any, y: Any, *, always_train: Any = None, oof_scores: Any = None) -> ThemeClassifier:
        """Fit calibration and decisions on out-of-fold scores, then the members on all rows.

        ``always_train``: a boolean mask of rows that join every fold's training and are never scored (texts
        describing the themes). ``oof_scores``: the members' out-of-fold scores already computed with these
        parameters (:meth:`out_of_fold_scores`, as the model search has), so they are not computed again."""
        X, y = validate_data(self, X, y, accept_sparse="csr", dtype=[np.float64, np.float32], multi_output=True)
        Y, mode, self.classes_, self.matrix_target_ = self._targets(y)
        self.mode_ = mode
        self.target_dtype_ = Y.dtype if self.matrix_target_ else self.classes_.dtype
        params = self._params(mode, self.classes_, self.matrix_target_)
        self.n_themes_ = Y.shape[1]
        members = ["linear"] + (["nb"] if self.nb_C is not None else [])
        always = np.zeros(Y.shape[0], dtype=bool) if always_train is None else np.asarray(always_train, dtype=bool)
        if oof_scores is None:
            oof_scores = self._out_of_fold(X, Y, params, always, members)[0]
        oof = [np.asarray(s, dtype=float) for s in oof_scores]
        if len(oof) != len(members) or any(s.shape != (int((~always).sum()), Y.shape[1]) for s in oof):
            raise ValueError(f"oof_scores must hold {len(members)} array(s) of shape (scored rows, themes)")
        dec = fit_decisions(oof, Y[~always], mode, self.default_threshold, self.tune_decisions)
        if sp.issparse(X) and X.dtype != np.float64:
            X = sp.csr_matrix(X, dtype=np.float64)  # liblinear needs float64: convert once for both members
        cw = params["class_weight"]
        self.linear_ = LinearMember.fit(X, Y, self.C, mode, self.estimator, cw, self.random_state)
        self.nb_ = None if self.nb_C is None else NBMember.fit(X, Y, self.nb_C, mode, cw, self.random_state)
        self.calibration_ = dec.calibrations[0]
        self.nb_calibration_ = dec.calibrations[1] if self.nb_ is not None else None
        self.thresholds_ = dec.thresholds
        self.top_calibration_ = dec.top
        return self

    # --- prediction ----------------------------------------------------------------------------------------

    def _checked(self, X: Any) -> Any:
        check_is_fitted(self, "linear_")
        return validate_data(self, X, accept_sparse="csr", dtype=[np.float64, np.float32], reset=False)

    def decision_scores(self, X: Any) -> np.ndarray:
        """Raw linear scores, shape (n, themes)."""
        return self.linear_.scores(self._checked(X))

    def member_scores(self, X: Any) -> list[np.ndarray]:
        """Raw scores of each ensemble member: the linear models, then the NB-SVM member if there is one."""
        X = self._checked(X)
        out = [self.linear_.scores(X)]
        if self.nb_ is not None:
            out.append(self.nb_.scores(X))
        return out

    def predict_proba(self, X: Any) -> np.ndarray:
        """Calibrated probability of each theme, shape (n, themes)."""
        scores = self.member_scores(X)
        cals = [self.calibration_] + ([self.nb_calibration_] if len(scores) > 1 else [])
        proba = combine_members(scores, cals, self.mode_)
        top = getattr(self, "top_calibration_", None)
        return proba if top is None else recalibrate_top(proba, self.thresholds_, top)

    def decide(self, proba: np.ndarray) -> np.ndarray:
        """Binary theme matrix from probabilities (thresholds, at least one theme per row)."""
        return decide(proba, self.thresholds_, self.mode_)

    def predict(self, X: Any) -> np.ndarray:
        """The binary theme matrix (when fitted on one), else the label of each row."""
        D = self.decide(self.predict_proba(X))
        return D.astype(self.target_dtype_) if self.matrix_target_ else self.classes_[D.argmax(axis=1)]
