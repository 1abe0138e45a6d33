"""Training: labelled answers → a saved theme model with a model card.

Procedure (all on the training data only):
1. TF-IDF features are fitted once on all training texts (unsupervised: no labels are used). With
   ``model.theme_texts`` these include the texts that describe each theme (:func:`theme_documents`), which
   join every fit below as extra answers of their theme and are never scored. When the answers say which
   question they respond to, each frequent question adds a copy of the features filled only in its answers
   (``features.QuestionFeatures``).
2. Model selection (:mod:`pipeline.selection`): for each C in ``model.c_grid`` (at most ``model.max_search_settings`` of them, and until a larger C scores
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
5. The final model (:class:`pipeline.classifier.ThemeClassifier`) is fitted on all rows; its ``fit`` learns the
   calibration and thresholds from the out-of-fold scores (those of the search, not computed again).
   Single-label, the probability of the decided theme is then recalibrated (a Platt map on its logit, fitted
   on the same out-of-fold probabilities; no decision changes). The cross-fitted probabilities of the kept
   choice give the calibration figures stored in the card.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.pipeline import Pipeline

from .card import model_card, tone_card
from .classifier import choose_mode
from .config import Config
from .entities import spacy_language
from .errors import ConsultError
from .features import QuestionFeatures, TextNormaliser, build_features, model_input
from .ingest import load_answers
from .modelstore import check_model_output, save_model
from .selection import select_model
from .taxonomy import load_taxonomy
from .tone import ToneModel, read_tones
from .trainingdata import TrainingData, prepare_training_data, tone_training_data

Progress = Callable[[str], None]


def with_theme_texts(Y: np.ndarray, docs: Sequence[tuple[int, str]]) -> tuple[np.ndarray, np.ndarray]:
    """The label matrix of the answers followed by the theme texts (each one row of its theme), and the mask of
    the theme-text rows: trained on in every fit, never scored."""
    Y_all = np.vstack([Y, np.eye(Y.shape[1], dtype=Y.dtype)[[j for j, _ in docs]]]) if docs else Y
    return Y_all, np.arange(len(Y_all)) >= len(Y)


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
    X = (features.transform(inputs) if prefit else features.fit_transform(inputs)).tocsr()
    if features.questions_:
        say(f"features also per question, for {len(features.questions_)} question(s): {', '.join(features.questions_)}")
    Y_all, theme_texts = with_theme_texts(data.Y, docs)
    clf, oof_scores, report = select_model(X, Y_all, theme_texts, data, mode, cfg, say)
    say(
        f"fitting the final model (C={clf.C}{', with NB-SVM' if clf.nb_C is not None else ''}) on all "
        f"{len(data.texts)} answers"
    )
    clf.fit(X, Y_all, always_train=theme_texts, oof_scores=oof_scores)
    pipe = Pipeline([("normalise", normaliser), ("features", features), ("classify", clf)])
    report.update(
        train_seconds=round(time.perf_counter() - t0, 2),
        n_features=int(X.shape[1]),
        theme_texts=len(docs),
        questions=features.questions_,
    )
    return pipe, report


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
        **model_card(
            pipe,
            data,
            report,
            lang=lang,
            config=config,
            data_path=data_path,
            rows=len(answers.df),
            taxonomy=taxonomy,
            taxonomy_path=taxonomy_path,
            tone=tone_block,
        ),
    }
    save_model(pipe, card, model_dir)
    return card
