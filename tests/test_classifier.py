"""The theme classifier is a plain scikit-learn estimator: it passes sklearn's estimator checks, learns its
calibration and decisions inside ``fit``, and pickles without any settings object."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.svm import LinearSVC
from sklearn.utils.estimator_checks import parametrize_with_checks

from pipeline.calibration import calibrate_scores, recalibrate_top
from pipeline.classifier import NBMember, ThemeClassifier, choose_mode, class_weights, nb_ratios
from pipeline.config import Config, ModelConfig
from pipeline.crossfit import cv_splits

from .test_classify import COURT, LIGHT, PATROL, _cfg, _data


def _expected_failures(estimator: ThemeClassifier) -> dict[str, str]:
    if not estimator.tune_decisions:
        return {}
    # As scikit-learn says of its own TunedThresholdClassifierCV: tuned decisions are the point.
    return {
        "check_classifiers_train": "with tuned class weights a prediction is the argmax of probability x weight, "
        "not of the probability alone (as with TunedThresholdClassifierCV, whose threshold is not 0.5)",
        "check_class_weight_classifiers": "the decision weights are tuned for macro-F1 on out-of-fold scores after "
        "fitting, so they undo a class_weight that makes one class win nearly every row (without tuning it passes)",
    }


@parametrize_with_checks(
    [ThemeClassifier(), ThemeClassifier(nb_C=0.1, tune_decisions=True)], expected_failed_checks=_expected_failures
)
def test_sklearn_estimator_checks(estimator, check) -> None:  # type: ignore[no-untyped-def]
    check(estimator)


def _corpus(multi: bool) -> tuple[object, np.ndarray]:
    texts = LIGHT + PATROL + COURT
    Y = np.zeros((len(texts), 3), dtype=np.int8)
    Y[:9, 0] = Y[9:18, 1] = Y[18:, 2] = 1
    if multi:
        Y[::4, 1] = 1  # some answers have two themes
    return TfidfVectorizer(dtype=np.float32).fit_transform(texts), Y


@pytest.mark.parametrize("multi", [False, True])
def test_fit_learns_calibration_and_decisions_from_its_own_folds(multi: bool) -> None:
    X, Y = _corpus(multi)
    clf = ThemeClassifier(C=0.5, nb_C=0.1, tune_decisions=True, cv=3)
    fitted = clone(clf).fit(X, Y)
    assert fitted.mode_ == ("multilabel" if multi else "single")
    assert len(fitted.thresholds_) == 3 and fitted.nb_calibration_ is not None
    # Out-of-fold scores computed beforehand (as the model search has them) give the very same model.
    oof = clf.out_of_fold_scores(X, Y, members=["linear", "nb"])
    cached = clone(clf).fit(X, Y, oof_scores=oof)
    np.testing.assert_array_equal(cached.predict_proba(X), fitted.predict_proba(X))
    np.testing.assert_array_equal(cached.thresholds_, fitted.thresholds_)


def test_rows_always_trained_are_never_scored() -> None:
    X, Y = _corpus(multi=False)
    always = np.zeros(len(Y), dtype=bool)
    always[[0, 9, 18]] = True  # e.g. texts describing the themes
    clf = ThemeClassifier(cv=3)
    (oof,) = clf.out_of_fold_scores(X, Y, always_train=always)
    assert oof.shape == (len(Y) - 3, 3)
    assert clone(clf).fit(X, Y, always_train=always).predict(X).shape == Y.shape


def test_a_saved_classifier_holds_no_settings_object() -> None:
    X, Y = _corpus(multi=True)
    blob = pickle.dumps(ThemeClassifier(cv=3).fit(X, Y))
    assert b"pipeline.config" not in blob and ModelConfig.__name__.encode() not in blob
    assert all(not hasattr(v, "model_dump") for v in ThemeClassifier().get_params().values())


def test_mode_switch() -> None:
    single = _data(multi=False)
    multi = _data(multi=True)
    assert choose_mode(single.Y, "auto") == "single"
    assert choose_mode(multi.Y, "auto") == "multilabel"
    assert choose_mode(single.Y, "multilabel") == "multilabel"


def test_nb_ratios_hand_checked() -> None:
    # Feature 0 occurs in both answers with the theme and in none without; feature 1 in one of each.
    X = sp.csr_matrix(np.array([[0.5, 0.0], [0.2, 0.9], [0.0, 0.4]]))
    r = nb_ratios(X, np.array([[1], [1], [0]]), alpha=1.0)
    # p = (1 + [2, 1]) / 5, q = (1 + [0, 1]) / 3
    assert np.allclose(r[0], np.log([(3 / 5) / (1 / 3), (2 / 5) / (2 / 3)]))


@pytest.mark.parametrize("mode", ["single", "multilabel"])
def test_nb_member_scores_equal_an_svm_on_scaled_features(mode: str) -> None:
    # The ratios are folded into the weights: scoring raw features must equal the SVM on scaled features.
    data = _data(multi=mode == "multilabel")
    X = TfidfVectorizer().fit_transform(data.texts).tocsr()
    cfg = _cfg().model
    member = NBMember.fit(X, data.Y, 0.5, mode, cfg.class_weight, cfg.random_state)
    r = nb_ratios(X, data.Y)
    for j in range(data.Y.shape[1]):
        # The tiny single-label corpus is balanced (every class weight 1); multi-label weighs each theme.
        cw = class_weights(data.Y[:, j], cfg.class_weight) if mode == "multilabel" else None
        svm = LinearSVC(C=0.5, class_weight=cw, dual="auto", max_iter=5000, random_state=cfg.random_state)
        svm.fit(X @ sp.diags(r[j]), data.Y[:, j])
        assert np.allclose(member.scores(X)[:, j], svm.decision_function(X @ sp.diags(r[j])), atol=1e-4)


@pytest.mark.parametrize("mode", ["single", "multilabel"])
def test_ensemble_probability_is_the_mean_of_its_members(mode: str) -> None:
    data = _data(multi=mode == "multilabel")
    X = TfidfVectorizer().fit_transform(data.texts).tocsr()
    clf = ThemeClassifier(C=1.0, mode=mode, nb_C=0.05).fit(X, data.Y)
    first, second = clf.member_scores(X)
    expected = (
        calibrate_scores(clf.calibration_, first, mode) + calibrate_scores(clf.nb_calibration_, second, mode)
    ) / 2
    if clf.top_calibration_ is not None:  # single-label: then the decided theme's probability is recalibrated
        expected = recalibrate_top(expected, clf.thresholds_, clf.top_calibration_)
    assert np.allclose(clf.predict_proba(X), expected)
    if mode == "single":
        assert np.allclose(clf.predict_proba(X).sum(axis=1), 1.0)


def test_multilabel_scores_equal_each_binary_models_decision_function() -> None:
    texts = LIGHT + PATROL + COURT
    X = TfidfVectorizer().fit_transform(texts)
    Y = np.zeros((len(texts), 4), dtype=np.int8)
    Y[:9, 0] = Y[9:18, 1] = Y[18:, 2] = 1
    Y[:, 3] = 1  # a theme in every row: no model, a constant score
    clf = ThemeClassifier(mode="multilabel").fit(X, Y)
    want = np.column_stack([e.decision_function(X) for e in clf.linear_.estimators[:3]])
    got = clf.decision_scores(X)
    np.testing.assert_allclose(got[:, :3], want, rtol=1e-12, atol=1e-12)
    assert (got[:, 3] == 1e3).all()
    assert "_stacked_cache" not in clf.linear_.__getstate__()  # the cache is rebuilt after loading, not saved


@pytest.mark.parametrize("mode", ["single", "multilabel"])
def test_weights_are_kept_in_float32_and_score_as_float64_weights_do(mode: str) -> None:
    texts = LIGHT + PATROL + COURT
    X = TfidfVectorizer(dtype=np.float32).fit_transform(texts)
    y = np.repeat([0, 1, 2], 9)
    Y = np.eye(3, dtype=np.int8)[y]
    cfg = Config().model
    clf = ThemeClassifier(C=1.0, mode=mode).fit(X, Y)
    assert all(e.coef_.dtype == np.float32 for e in clf.linear_.estimators)
    cw = lambda t: class_weights(t, cfg.class_weight)  # noqa: E731
    svm = lambda t: LinearSVC(C=1.0, class_weight=cw(t), dual="auto", max_iter=5000, random_state=0)  # noqa: E731
    X64 = X.astype(np.float64)
    if mode == "single":
        want = svm(y).fit(X64, y).decision_function(X64)
    else:
        want = np.column_stack([svm(Y[:, j]).fit(X64, Y[:, j]).decision_function(X64) for j in range(3)])
    np.testing.assert_allclose(clf.decision_scores(X), want, atol=1e-5)


def test_a_rare_theme_does_not_lower_the_number_of_folds() -> None:
    y = np.array([0] * 30 + [1] * 30 + [2] * 2)  # theme 2 has two answers
    Y = np.eye(3, dtype=np.int8)[y]
    splits = cv_splits(Y, "single", 5, 0)
    assert len(splits) == 5
    for tr, _ in splits:
        assert set(y[tr]) == {0, 1, 2}  # every theme is in every training fold
    assert sorted(np.concatenate([te for _, te in splits]).tolist()) == list(range(len(y)))
    # Fewer answers than folds: as many folds as the largest theme allows.
    assert len(cv_splits(np.eye(2, dtype=np.int8)[[0, 0, 0, 1, 1]], "single", 5, 0)) == 3
