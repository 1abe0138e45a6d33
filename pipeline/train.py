"""Training: labelled answers → a saved theme model with a model card.

Procedure (all on the training data only):
1. TF-IDF features are fitted once on all training texts (unsupervised: no labels are used). With
   ``model.theme_texts`` these include the texts that describe each theme (:func:`theme_documents`), which
   join every fit below as extra answers of their theme and are never scored. When the answers say which
   question they respond to, each frequent question adds a copy of the features filled only in its answers
   (``classify.QuestionFeatures``).
2. For each C in ``model.c_grid`` (at most ``model.max_search_settings`` of them, and until a larger C scores
   below the best so far), out-of-fold
   scores come from stratified folds (iteratively stratified for multi-label data); calibration and
   thresholds are fitted on them and the C with the best macro-F1 is kept.
3. With ``model.nb_member`` (when the bound on settings leaves room for it), out-of-fold scores of an NB-SVM
   member on the same folds.
   The search is bounded by work (folds x settings), never by the clock, so the same data, config and seed give
   the same model on any machine load; the card's ``training.search`` records what was tried.
4. Honest cross-validated scores: for each fold, calibration and thresholds are fitted on the other folds'
   out-of-fold scores and applied to that fold. They decide whether the NB-SVM member is used and whether
   tuned thresholds (or class weights) are: the simplest choice within one standard error (paired bootstrap)
   of the best is kept, so a gain smaller than its own noise does not add parts. The same folds score two
   baselines.
5. The final model is fitted on all rows; its calibration and thresholds come from the out-of-fold scores.
   Single-label, the probability of the decided theme is then recalibrated (a Platt map on its logit, fitted
   on the same out-of-fold probabilities; no decision changes). The cross-fitted probabilities of the kept
   choice give the calibration figures stored in the card.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from joblib import Parallel, delayed
from sklearn.base import clone
from sklearn.pipeline import Pipeline

from . import evaluate as ev
from .classify import (
    ModelInput,
    NBMember,
    Platt,
    QuestionFeatures,
    TextNormaliser,
    ThemeClassifier,
    build_features,
    combine_members,
    cv_splits,
    decide,
    fit_calibration,
    fit_top_calibration,
    model_input,
    recalibrate_top,
    sentence_block,
    tune_decisions,
)
from .config import Config
from .entities import spacy_language
from .errors import ConsultError
from .ingest import load_answers
from .modelstore import check_model_output, library_versions, save_model, sha256_file
from .taxonomy import Taxonomy, load_taxonomy, split_label_names, theme_key
from .tone import TONES, ToneModel, read_tones

Progress = Callable[[str], None]


@dataclass
class TrainingData:
    texts: list[str]
    Y: np.ndarray
    themes: list[str]
    ids: list[str]
    skipped_unlabelled: int = 0
    dropped_themes: dict[str, int] = field(default_factory=dict)
    questions: list[str] | None = None
    """The question each answer responds to, when the data says."""
    theme_docs: list[tuple[int, str]] = field(default_factory=list)
    """Texts describing the themes, as (theme column, text): see :func:`theme_documents`."""
    theme_names: dict[str, str] = field(default_factory=dict)
    """What people call each theme (by key): the taxonomy's name, else the label as the data writes it."""

    def model_input(self) -> ModelInput:
        return model_input(self.texts, self.questions)


def theme_documents(
    themes: Sequence[str], taxonomy: Taxonomy | None, names: dict[str, str] | None = None
) -> list[tuple[int, str]]:
    """The texts that describe each theme, as (theme column, text): its name and, from a taxonomy, its definition
    and each include example. Without a taxonomy (or a name) the name is the label as written (``names``, by key),
    else the key, with ``_`` read as a space."""
    out: list[tuple[int, str]] = []
    for j, t in enumerate(themes):
        theme = taxonomy.get(t) if taxonomy is not None else None
        name = (theme.label if theme else "") or (names or {}).get(t, "") or t.replace("_", " ")
        texts = [name, theme.definition, *theme.include] if theme else [name]
        out.extend((j, x.strip()) for x in texts if x.strip())
    return out


def prepare_training_data(
    ids: Sequence[str],
    texts: Sequence[str],
    labels: Sequence[str],
    sep: str,
    taxonomy: Taxonomy | None,
    min_label_count: int,
    source: str = "the data",
    questions: Sequence[str] | None = None,
) -> TrainingData:
    """Parse label cells, check them against the taxonomy, drop themes too rare to learn."""
    lookup = taxonomy.lookup() if taxonomy is not None else {}
    written = [split_label_names(c, sep, lookup) for c in labels]
    names: dict[str, str] = {}
    parsed: list[list[str]] = []
    for cell in written:
        keys = []
        for x in cell:
            k = lookup.get(x) or theme_key(x)
            names.setdefault(k, x)
            if k not in keys:
                keys.append(k)
        parsed.append(keys)
    unknown: Counter[str] = Counter()
    if taxonomy is not None:
        known = set(taxonomy.ids)
        for p in parsed:
            unknown.update(names[x] for x in p if x not in known)
    if unknown:
        listed = ", ".join(f"'{k}' ({v} rows)" for k, v in unknown.most_common(10))
        raise ConsultError(
            f"{source} uses themes not in the taxonomy: {listed}",
            "Fix the labels, add the themes to the taxonomy file, or train without a taxonomy (no --taxonomy, and "
            "project.taxonomy = '' in consult.toml) to take the themes from the data",
        )
    if taxonomy is not None:
        names.update({t.key: t.label for t in taxonomy.themes})
    counts = Counter(x for p in parsed for x in p)
    order = taxonomy.ids if taxonomy is not None else sorted(counts)
    kept = [t for t in order if counts.get(t, 0) >= min_label_count]
    dropped = {t: counts.get(t, 0) for t in order if t not in kept}
    rows = [i for i, p in enumerate(parsed) if any(x in kept for x in p) and str(texts[i]).strip()]
    if not rows:
        raise ConsultError(
            f"{source} has no labelled rows (no row has both text and a theme seen at least {min_label_count} times)",
            "Fill the labels column (themes joined by the separator) or name it with --labels-column",
        )
    if len(kept) < 2:
        raise ConsultError(
            f"{source} has only {len(kept)} theme(s) with at least {min_label_count} examples",
            "A classifier needs at least two themes: label more answers",
        )
    col = {t: j for j, t in enumerate(kept)}
    Y = np.zeros((len(rows), len(kept)), dtype=np.int8)
    for r, i in enumerate(rows):
        for x in parsed[i]:
            if x in col:
                Y[r, col[x]] = 1
    return TrainingData(
        texts=[str(texts[i]) for i in rows],
        Y=Y,
        themes=kept,
        ids=[str(ids[i]) for i in rows],
        skipped_unlabelled=len(parsed) - len(rows),
        dropped_themes=dropped,
        questions=None if questions is None else [str(questions[i]) for i in rows],
        theme_docs=theme_documents(kept, taxonomy, names),
        theme_names={t: names.get(t, t) for t in kept},
    )


def choose_mode(Y: np.ndarray, requested: str) -> str:
    if requested != "auto":
        return requested
    return "single" if bool((Y.sum(axis=1) == 1).all()) else "multilabel"


def _oof(
    fold_scores: Callable[[np.ndarray, np.ndarray], np.ndarray],
    Y: np.ndarray,
    splits: list[tuple[np.ndarray, np.ndarray]],
    n_jobs: int,
) -> np.ndarray:
    """Out-of-fold raw scores: ``fold_scores(train_rows, test_rows)`` for each fold, in worker processes.

    Not threads: liblinear (LinearSVC) draws its coordinate order from the C library's one global random
    state, which folds fitted in threads share and race on, so results would depend on timing."""
    parts = Parallel(n_jobs=n_jobs)(delayed(fold_scores)(tr, te) for tr, te in splits)
    out = np.zeros(Y.shape)
    for (_, te), s in zip(splits, parts, strict=True):
        out[te] = s
    return out


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


def fit_decisions(members: list[np.ndarray], Y: np.ndarray, mode: str, cfg: Any, tune: bool = True) -> Decisions:
    """Calibration of each member, the thresholds (or class weights) of their combined probabilities and,
    single-label, the top-label recalibration: all from out-of-fold scores."""
    cals = [fit_calibration(s, Y, mode) for s in members]
    proba = combine_members(members, cals, mode)
    th = tune_decisions(proba, Y, mode, cfg, tune)
    return Decisions(cals, th, fit_top_calibration(proba, Y, th) if mode == "single" else None)


def cross_fitted_predictions(
    members: list[np.ndarray],
    Y: np.ndarray,
    splits: list[tuple[np.ndarray, np.ndarray]],
    mode: str,
    cfg: Any,
    tune: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """Predictions and probabilities for each fold with calibration and thresholds fitted on the other folds."""
    pred = np.zeros(Y.shape, dtype=np.int8)
    proba = np.zeros(Y.shape)
    for tr, te in splits:
        dec = fit_decisions([s[tr] for s in members], Y[tr], mode, cfg, tune)
        proba[te] = dec.proba([s[te] for s in members], mode)
        pred[te] = decide(proba[te], dec.thresholds, mode)
    return pred, proba


def simplest_within_noise(scores: Sequence[float], resampled: np.ndarray) -> int:
    """The one-standard-error rule: index of the first (simplest) choice whose score is within one standard
    error of the best score. ``resampled`` holds each choice's score on the same bootstrap resamples (choices ×
    resamples); the standard error of a comparison is the spread of the paired difference."""
    best = int(np.argmax(scores))
    for i, s in enumerate(scores):
        if s >= scores[best] - float(np.std(resampled[best] - resampled[i])):
            return i
    return best


def train_model(
    data: TrainingData,
    config: Config,
    lang: str,
    progress: Progress | None = None,
    features: QuestionFeatures | None = None,
) -> tuple[Pipeline, dict[str, Any]]:
    """Fit the theme Pipeline; return it and the training report (scores, grid, timings). ``features``: fitted
    features to use as they are (the tone model shares the theme model's, :func:`train_tone`)."""
    say = progress or (lambda _msg: None)
    cfg = config.model
    t0 = time.perf_counter()
    mode = choose_mode(data.Y, cfg.mode)
    if mode == "single" and not bool((data.Y.sum(axis=1) == 1).all()):
        raise ConsultError(
            "model.mode is 'single' but some rows have several themes", "Use model.mode=auto or multilabel"
        )
    say(f"{len(data.texts)} labelled answers, {len(data.themes)} themes, {mode} mode")
    normaliser = TextNormaliser()
    prefit = features is not None
    if features is None:
        features = QuestionFeatures(
            build_features(cfg, lang), cfg.question_weight, cfg.question_min_answers, cfg.max_questions
        )
    # Theme descriptions are extra answers of their theme: in the vocabulary and in every fit (each fold's and the
    # final one), never scored.
    docs = data.theme_docs if cfg.theme_texts else []
    if docs:
        say(f"also learning from {len(docs)} theme description(s): names, and a taxonomy's definitions and examples")
    n = len(data.texts)
    questions = None if data.questions is None else data.questions + [""] * len(docs)  # "": shared features only
    say(
        ("computing the theme model's" if prefit else "fitting")
        + " word and character n-gram features"
        + (
            f", and sentence embeddings ({cfg.sentence_model}: a few hundred answers per second)"
            if cfg.sentence_model
            else ""
        )
    )
    inputs = normaliser.transform(model_input(data.texts + [t for _, t in docs], questions))
    X_all = (features.transform(inputs) if prefit else features.fit_transform(inputs)).tocsr()
    if features.questions_:
        say(f"features also per question, for {len(features.questions_)} question(s): {', '.join(features.questions_)}")
    # Rows 0..n-1 are the answers, the rest the theme descriptions: a fit takes some answers and all descriptions.
    Y = data.Y
    Y_all = np.vstack([Y, np.eye(Y.shape[1], dtype=Y.dtype)[[j for j, _ in docs]]]) if docs else Y
    descriptions = np.arange(n, n + len(docs))
    splits = cv_splits(Y, mode, cfg.cv_folds, cfg.random_state)

    def fit_rows(rows: np.ndarray) -> tuple[Any, np.ndarray]:
        """The training matrix and labels of the answers ``rows`` and all theme descriptions."""
        rows = np.concatenate([rows, descriptions])
        return X_all[rows], Y_all[rows]

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
        clf = ThemeClassifier(config=cfg, C=C, mode=mode)
        scores = _oof(
            lambda tr, te, clf=clf: clone(clf).fit(*fit_rows(tr)).decision_scores(X_all[te]), Y, splits, cfg.n_jobs
        )
        dec = fit_decisions([scores], Y, mode, cfg, cfg.tune_thresholds)
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
            nb_scores = lambda tr, te: NBMember.fit(*fit_rows(tr), cfg, cfg.nb_C, mode).scores(X_all[te])  # noqa: E731
            members.append(_oof(nb_scores, Y, splits, cfg.n_jobs))
    # Choose the ensemble and whether to tune decisions by cross-fitted macro-F1: thresholds (or weights) and
    # calibration are fitted on the other folds only, so the comparison is honest. Choices run simplest first.
    choices = []
    for n_members in range(1, len(members) + 1):
        for tune in [False, True] if cfg.tune_thresholds else [False]:
            pred, proba = cross_fitted_predictions(members[:n_members], Y, splits, mode, cfg, tune)
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
    say(f"fitting the final model (C={best_C}{', with NB-SVM' if use_nb else ''}) on all {len(data.texts)} answers")
    clf = ThemeClassifier(config=cfg, C=best_C, mode=mode, nb_C=cfg.nb_C if use_nb else None)
    clf.fit(X_all, Y_all)
    dec = fit_decisions(members[:n_members], Y, mode, cfg, tuned)
    clf.calibration_ = dec.calibrations[0]
    if use_nb:
        clf.nb_calibration_ = dec.calibrations[1]
    clf.thresholds_ = dec.thresholds
    clf.top_calibration_ = dec.top
    pipe = Pipeline([("normalise", normaliser), ("features", features), ("classify", clf)])
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
        "train_seconds": round(time.perf_counter() - t0, 2),
        "n_features": int(X_all.shape[1]),
        "theme_texts": len(docs),
        "questions": features.questions_,
    }
    return pipe, report


def cv_baselines(
    data: TrainingData, splits: list[tuple[np.ndarray, np.ndarray]], mode: str, bootstrap: int, seed: int
) -> dict[str, Any]:
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


def tone_training_data(
    ids: Sequence[str],
    texts: Sequence[str],
    tones: Sequence[str],
    min_count: int,
    questions: Sequence[str] | None = None,
    source: str = "the data",
) -> TrainingData:
    """Rows with text and a tone (values of :data:`TONES`, "" = none) as single-label training data; a value
    with fewer than ``min_count`` rows is left out (reported in ``dropped_themes``)."""
    counts = Counter(t for t, x in zip(tones, texts, strict=True) if t and str(x).strip())
    values = [t for t in TONES if counts.get(t, 0) >= min_count]
    rows = [i for i, t in enumerate(tones) if t in values and str(texts[i]).strip()]
    if len(values) < 2:
        raise ConsultError(
            f"{source} has a tone for only {sum(counts.values())} answer(s), with {len(values)} value(s) seen at "
            f"least {min_count} times",
            "A tone classifier needs at least two of positive / neutral / negative: fill the tone column, or "
            'train without tone (--set ingest.tone_column="")',
        )
    col = {t: j for j, t in enumerate(values)}
    Y = np.zeros((len(rows), len(values)), dtype=np.int8)
    for r, i in enumerate(rows):
        Y[r, col[tones[i]]] = 1
    return TrainingData(
        texts=[str(texts[i]) for i in rows],
        Y=Y,
        themes=values,
        ids=[str(ids[i]) for i in rows],
        skipped_unlabelled=len(tones) - len(rows),
        dropped_themes={t: counts.get(t, 0) for t in TONES if t not in values and counts.get(t, 0)},
        questions=None if questions is None else [str(questions[i]) for i in rows],
    )


def train_tone(
    data: TrainingData,
    config: Config,
    lang: str,
    progress: Progress | None = None,
    features: QuestionFeatures | None = None,
) -> tuple[ToneModel, dict[str, Any]]:
    """Fit the tone classifier exactly as a single-label theme model (same search, calibration, cross-validated
    scores and baselines); return it and its report. With ``features`` (the theme model's, fitted on the same
    answers' words), the tone model uses them as they are, so labelling computes the features once for both."""
    say = progress or (lambda _msg: None)
    cfg = config.model_copy(deep=True)
    cfg.model.mode = "single"
    cfg.model.theme_texts = False
    say(f"tone: {len(data.texts)} answers with a tone ({', '.join(data.themes)})")
    pipe, report = train_model(data, cfg, lang, lambda m: say(f"tone: {m}"), features=features)
    return ToneModel(data.themes, pipe), report


def attach_tone(pipe: Pipeline, tone: ToneModel | None) -> Pipeline:
    """The theme Pipeline carrying ``tone`` (its classifier's ``tone`` parameter)."""
    pipe.named_steps["classify"].set_params(tone=tone)
    return pipe


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
        "training": {k: v for k, v in report.items() if k not in ("cv_scores", "cv_calibration", "baselines")},
        "cv_scores": report["cv_scores"],
        "cv_calibration": report["cv_calibration"],
        "cv_baselines": report["baselines"],
    }


def fit_tone_if_present(
    df: Any,
    ids: Sequence[str],
    texts: Sequence[str],
    questions: Sequence[str] | None,
    config: Config,
    lang: str,
    source: str,
    progress: Progress | None = None,
    features: QuestionFeatures | None = None,
) -> tuple[ToneModel | None, dict[str, Any] | None]:
    """Train the tone classifier (on ``features``, see :func:`train_tone`) when the data has
    ``ingest.tone_column`` with any tone in it; else (None, None)."""
    say = progress or (lambda _msg: None)
    ic = config.ingest
    if not ic.tone_column or ic.tone_column not in df.columns:
        say(f"no tone column ('{ic.tone_column}'): the model has themes only" if ic.tone_column else "tone not used")
        return None, None
    cells = read_tones(df[ic.tone_column].tolist(), ic)
    if not any(cells.tones):
        if cells.unreadable:
            raise ConsultError(
                f"{source}: no cell of the tone column '{ic.tone_column}' can be read with tone_rule "
                f"'{ic.tone_rule}' (e.g. {', '.join(repr(x) for x in cells.examples)})",
                "Use positive / neutral / negative, or numbers with --set ingest.tone_rule=sign",
            )
        say(f"the tone column '{ic.tone_column}' is empty: the model has themes only")
        return None, None
    if cells.unreadable:
        say(
            f"tone: {cells.unreadable} cell(s) cannot be read with tone_rule '{ic.tone_rule}' and are left out "
            f"(e.g. {', '.join(repr(x) for x in cells.examples)})"
        )
    data = tone_training_data(ids, texts, cells.tones, config.model.min_label_count, questions, source)
    model, report = train_tone(data, config, lang, progress, features)
    return model, tone_card(data, report, ic.tone_column, ic.tone_rule, cells.unreadable)


def card_basics(
    pipe: Pipeline, data: TrainingData, report: dict[str, Any], lang: str, taxonomy: Taxonomy | None
) -> dict[str, Any]:
    """The model-card fields every trained model has: when, with what, which themes and how they are decided."""
    return {
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
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


def thresholds_for_card(pipe: Pipeline, themes: list[str]) -> dict[str, float]:
    clf = pipe.named_steps["classify"]
    return {t: round(float(v), 4) for t, v in zip(themes, clf.thresholds_, strict=True)}


def train_file(
    data_path: Path,
    model_dir: Path,
    config: Config,
    taxonomy_path: Path | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Train on a labelled file and save the model directory; returns the model card."""
    say = progress or (lambda _msg: None)
    ic = config.ingest
    check_model_output(model_dir, data_path, taxonomy_path)
    answers = load_answers(data_path, ic, require_labels=True)
    taxonomy = load_taxonomy(taxonomy_path) if taxonomy_path is not None else None
    lang = spacy_language(config.entities.spacy_model)
    data = prepare_training_data(
        answers.ids,
        answers.texts,
        answers.df[ic.labels_column].tolist(),
        ic.label_separator,
        taxonomy,
        config.model.min_label_count,
        source=str(data_path),
        questions=answers.questions,
    )
    if data.skipped_unlabelled:
        say(f"{data.skipped_unlabelled} rows without text or labels are not used for training")
    if data.dropped_themes:
        say("themes left out (too few examples): " + ", ".join(f"{k} ({v})" for k, v in data.dropped_themes.items()))
    pipe, report = train_model(data, config, lang, progress)
    tone, tone_block = fit_tone_if_present(
        answers.df,
        answers.ids,
        answers.texts,
        answers.questions,
        config,
        lang,
        str(data_path),
        say,
        pipe.named_steps["features"],
    )
    attach_tone(pipe, tone)
    card = {
        "name": Path(model_dir).name,
        **card_basics(pipe, data, report, lang, taxonomy),
        "tone": tone_block,
        "training_data": {
            "path": str(data_path),
            "sha256": sha256_file(Path(data_path)),
            "rows": len(answers.df),
            "rows_used": len(data.texts),
            "label_counts": {t: int(c) for t, c in zip(data.themes, data.Y.sum(axis=0), strict=True)},
        },
        "taxonomy": taxonomy_record(taxonomy, taxonomy_path),
        "config": config.model_dump(mode="json"),
        "training": {k: v for k, v in report.items() if k not in ("cv_scores", "cv_calibration", "baselines")},
        "cv_scores": report["cv_scores"],
        "cv_calibration": report["cv_calibration"],
        "cv_baselines": report["baselines"],
    }
    save_model(pipe, card, model_dir)
    return card
