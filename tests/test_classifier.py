"""The theme classifier is a plain scikit-learn estimator: it passes sklearn's estimator checks, learns its
calibration and decisions inside ``fit``, and pickles without any settings object."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.utils.estimator_checks import parametrize_with_checks

from pipeline.classifier import ThemeClassifier
from pipeline.config import ModelConfig

from .test_classify import COURT, LIGHT, PATROL


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
