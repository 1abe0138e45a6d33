"""Model selection on the training data: which C, whether to add the NB-SVM member, whether to tune decisions.

1. For each C in ``model.c_grid`` (at most ``model.max_search_settings`` of them, and until a larger C scores
   below the best so far), out-of-fold scores on the classifier's own folds; calibration and thresholds fitted
   on them; the C with the best macro-F1 is kept.
2. With ``model.nb_member`` (when the bound on settings leaves room for it), out-of-fold scores of the NB-SVM
   member on the same folds. The search is bounded by work (folds x settings), never by the clock, so the same
   data, config and seed give the same model on any machine load.
3. Honest cross-validated scores: for each fold, calibration and thresholds are fitted on the other folds'
   out-of-fold scores and applied to that fold. They decide whether the NB-SVM member is used and whether tuned
   thresholds (or class weights) are: the simplest choice within one standard error (paired bootstrap) of the
   best is kept (:func:`simplest_within_noise`), so a gain smaller than its own noise does not add parts. The
   same folds score two baselines.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from . import evaluate as ev
from .calibration import decide, fit_decisions
from .classifier import ThemeClassifier
from .config import ModelConfig
from .crossfit import Splits, cross_fitted_predictions, cv_splits
from .trainingdata import TrainingData

Progress = Callable[[str], None]


def simplest_within_noise(scores: Sequence[float], resampled: np.ndarray) -> int:
    """The one-standard-error rule: index of the first (simplest) choice whose score is within one standard
    error of the best score. ``resampled`` holds each choice's score on the same bootstrap resamples (choices ×
    resamples); the standard error of a comparison is the spread of the paired difference."""
    best = int(np.argmax(scores))
    for i, s in enumerate(scores):
        if s >= scores[best] - float(np.std(resampled[best] - resampled[i])):
            return i
    return best


def cv_baselines(data: TrainingData, splits: Splits, mode: str, bootstrap: int, seed: int) -> dict[str, Any]:
    """The majority and plain TF-IDF + logistic-regression baselines, scored on the same folds."""
    Y = data.Y
    maj = np.zeros_like(Y)
    lr = np.zeros_like(Y)
    texts = np.array(data.texts, dtype=object)
    for tr, te in splits:
        maj[te] = ev.majority_baseline(Y[tr], len(te), mode)
        lr[te] = ev.tfidf_lr_baseline(list(texts[tr]), Y[tr], list(texts[te]), mode)
    return {
        "majority": ev.score(Y, maj, data.themes, mode, bootstrap=bootstrap, seed=seed),
        "tfidf_logreg": ev.score(Y, lr, data.themes, mode, bootstrap=bootstrap, seed=seed),
    }


def classifier_settings(cfg: ModelConfig, mode: str) -> dict[str, Any]:
    """The classifier's parameters that come from the settings as they are (the search chooses the rest)."""
    return {
        "mode": mode,
        "estimator": cfg.estimator,
        "class_weight": cfg.class_weight,
        "default_threshold": cfg.default_threshold,
        "cv": cfg.cv_folds,
        "n_jobs": cfg.n_jobs,
        "random_state": cfg.random_state,
    }


def select_model(
    X: Any,
    Y_all: np.ndarray,
    always_train: np.ndarray,
    data: TrainingData,
    mode: str,
    cfg: ModelConfig,
    progress: Progress | None = None,
) -> tuple[ThemeClassifier, list[np.ndarray], dict[str, Any]]:
    """Search the settings on the training rows ``X`` (answers, then the rows in ``always_train``: theme texts,
    trained on in every fold, never scored). Returns the chosen classifier (not fitted), the out-of-fold scores
    of its members (for its ``fit``), and the report: what was tried, the choice, cross-validated scores."""
    say = progress or (lambda _msg: None)
    Y = data.Y
    settings = classifier_settings(cfg, mode)
    splits = cv_splits(Y, mode, cfg.cv_folds, cfg.random_state)  # the folds the classifier makes

    def macro(pred: np.ndarray) -> float:
        return float(ev.headline(ev.score(Y, pred, data.themes, mode, bootstrap=0))["macro_f1"])

    tried: list[dict[str, float]] = []
    best: tuple[float, float, np.ndarray] | None = None
    stopped = ""
    for C in cfg.c_grid:
        if len(tried) >= cfg.max_search_settings:
            stopped = f"model.max_search_settings={cfg.max_search_settings} reached"
            say(f"{stopped}; keeping C={best[0] if best else C}")
            break
        scores = ThemeClassifier(C=C, **settings).out_of_fold_scores(X, Y_all, always_train)[0]
        dec = fit_decisions([scores], Y, mode, cfg.default_threshold, cfg.tune_thresholds)
        f1 = macro(decide(dec.proba([scores], mode), dec.thresholds, mode))
        tried.append({"C": C, "macro_f1": f1})
        say(f"C={C}: out-of-fold macro-F1 {f1:.3f}")
        if best is None or f1 > best[1]:
            best = (C, f1, scores)
        elif best[0] < C:
            say(f"C={C} scores below C={best[0]}: larger values are not tried")  # past the peak
            stopped = f"C={C} scored below C={best[0]}"
            break
    assert best is not None
    best_C, _, oof = best
    members = [oof]
    if cfg.nb_member:
        if len(tried) >= cfg.max_search_settings:
            say(f"model.max_search_settings={cfg.max_search_settings} reached: the NB-SVM member is not tried")
        else:
            say(f"trying the NB-SVM member (C={cfg.nb_C})")
            nb = ThemeClassifier(C=best_C, nb_C=cfg.nb_C, **settings)
            members.append(nb.out_of_fold_scores(X, Y_all, always_train, members=["nb"])[0])
    # Choose the ensemble and whether to tune decisions by cross-fitted macro-F1: thresholds (or weights) and
    # calibration are fitted on the other folds only, so the comparison is honest. Choices run simplest first.
    choices = []
    for n_members in range(1, len(members) + 1):
        for tune in [False, True] if cfg.tune_thresholds else [False]:
            pred, proba = cross_fitted_predictions(members[:n_members], Y, splits, mode, cfg.default_threshold, tune)
            choices.append((macro(pred), n_members, tune, pred, proba))
            say(
                f"cross-fitted macro-F1 {choices[-1][0]:.3f}: "
                f"{'linear + NB-SVM' if n_members == 2 else 'linear'}, "
                f"{'tuned' if tune else 'default'} {'thresholds' if mode == 'multilabel' else 'class weights'}"
            )
    boot = ev.paired_bootstrap_macro_f1(Y, [c[3] for c in choices], mode, seed=cfg.random_state)
    chosen = simplest_within_noise([c[0] for c in choices], boot)
    best_i = int(np.argmax([c[0] for c in choices]))
    if chosen != best_i:
        se = float(np.std(boot[best_i] - boot[chosen]))
        say(
            f"keeping the simpler choice: the best is only {choices[best_i][0] - choices[chosen][0]:.3f} higher, "
            f"within one standard error ({se:.3f})"
        )
    _, n_members, tuned, cv_pred, cv_proba = choices[chosen]
    use_nb = n_members == 2
    cv_scores = ev.score(Y, cv_pred, data.themes, mode, bootstrap=cfg.bootstrap, seed=cfg.random_state)
    cv_calibration = {k: v for k, v in ev.calibration(Y, cv_proba, mode, pred=cv_pred).items() if k != "bins"}
    say("scoring baselines on the same folds")
    baselines = cv_baselines(data, splits, mode, cfg.bootstrap, cfg.random_state)
    clf = ThemeClassifier(C=best_C, nb_C=cfg.nb_C if use_nb else None, tune_decisions=tuned, **settings)
    report = {
        "mode": mode,
        "best_C": best_C,
        "nb_member": use_nb,
        "tuned_decisions": tuned,
        "grid": tried,
        "choices": [
            {
                "nb_member": c[1] == 2,
                "tuned_decisions": c[2],
                "cross_fitted_macro_f1": round(c[0], 4),
                "standard_error_vs_best": round(float(np.std(boot[best_i] - boot[i])), 4),
            }
            for i, c in enumerate(choices)
        ],
        "choice_rule": "the simplest choice whose cross-fitted macro-F1 is within one standard error of the best",
        "search": {
            "bound": "work: folds x settings, never the clock",
            "folds": len(splits),
            "max_settings": cfg.max_search_settings,
            "settings_tried": [{"member": "linear", "C": g["C"]} for g in tried]
            + ([{"member": "nb_svm", "C": cfg.nb_C}] if len(members) == 2 else []),
            "cross_validation_fits": len(splits) * (len(tried) + (len(members) == 2)),
            "stopped": stopped or "every setting tried",
        },
        "cv_folds": len(splits),
        "cv_scores": cv_scores,
        "cv_calibration": cv_calibration,
        "baselines": baselines,
    }
    return clf, members[:n_members], report
