"""Stage 5 — evaluation: F1 scores with bootstrap 95% intervals, per-theme figures, and baselines."""

from __future__ import annotations

import warnings
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from .calibration import decide
from .config import Config
from .errors import ConsultError
from .ingest import load_answers
from .modelstore import load_model, model_input_for
from .provenance import sha256_file
from .taxonomy import from_ids, split_labels
from .trainingdata import label_matrix, prepare_training_data


def _prf(tp: np.ndarray, fp: np.ndarray, fn: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    p = np.divide(tp, tp + fp, out=np.zeros_like(tp, dtype=float), where=(tp + fp) > 0)
    r = np.divide(tp, tp + fn, out=np.zeros_like(tp, dtype=float), where=(tp + fn) > 0)
    f = np.divide(2 * tp, 2 * tp + fp + fn, out=np.zeros_like(tp, dtype=float), where=(2 * tp + fp + fn) > 0)
    return p, r, f


def _summary(Yt: np.ndarray, Yp: np.ndarray, w: np.ndarray, mode: str) -> dict[str, np.ndarray]:
    """Scores for each row of the weight matrix ``w`` (resamples × rows); w = ones gives the plain scores."""
    Yt = Yt.astype(bool)
    Yp = Yp.astype(bool)
    tp = w @ (Yt & Yp).astype(float)  # (B, k)
    fp = w @ (~Yt & Yp).astype(float)
    fn = w @ (Yt & ~Yp).astype(float)
    support = w @ Yt.astype(float)
    present = support > 0
    _, _, f = _prf(tp, fp, fn)
    macro = (f * present).sum(axis=1) / np.maximum(present.sum(axis=1), 1)
    _, _, micro = _prf(tp.sum(axis=1), fp.sum(axis=1), fn.sum(axis=1))
    row_tp = (Yt & Yp).sum(axis=1)
    denom = Yt.sum(axis=1) + Yp.sum(axis=1)
    row_f1 = np.divide(2 * row_tp, denom, out=np.zeros(len(row_tp)), where=denom > 0)
    n = w.sum(axis=1)
    out = {"micro_f1": micro, "macro_f1": macro, "samples_f1": (w @ row_f1) / n}
    if mode == "single":
        out["accuracy"] = (w @ (Yt == Yp).all(axis=1).astype(float)) / n
    return out


def _resample_weights(n: int, resamples: int, rng: np.random.Generator, chunk: int = 200) -> Iterator[np.ndarray]:
    """Bootstrap resamples of ``n`` rows as count matrices (resamples × rows), in chunks to keep memory small."""
    for start in range(0, resamples, chunk):
        b = min(chunk, resamples - start)
        idx = rng.integers(0, n, size=(b, n))
        w = np.zeros((b, n))
        np.add.at(w, (np.repeat(np.arange(b), n), idx.ravel()), 1.0)
        yield w


def paired_bootstrap_macro_f1(
    Y_true: np.ndarray, preds: Sequence[np.ndarray], mode: str, resamples: int = 200, seed: int = 0
) -> np.ndarray:
    """Macro-F1 of several predictions of the same rows on the same bootstrap resamples, shape
    (predictions, resamples): differences between rows of it measure how much a comparison could be noise."""
    Y_true = np.asarray(Y_true)
    rng = np.random.default_rng(seed)
    out: list[list[np.ndarray]] = [[] for _ in preds]
    for w in _resample_weights(Y_true.shape[0], resamples, rng):
        for i, p in enumerate(preds):
            out[i].append(_summary(Y_true, np.asarray(p), w, mode)["macro_f1"])
    return np.array([np.concatenate(o) for o in out])


def score(
    Y_true: np.ndarray,
    Y_pred: np.ndarray,
    themes: Sequence[str],
    mode: str = "multilabel",
    bootstrap: int = 1000,
    seed: int = 0,
) -> dict[str, Any]:
    """Micro, macro and samples F1 (and accuracy in single-label mode) with bootstrap 95% intervals,
    plus per-theme precision, recall, F1 and support.

    Macro-F1 averages over themes present in the true labels (a theme absent from the test set has no
    defined recall). Intervals: percentile bootstrap over answers.
    """
    Y_true = np.asarray(Y_true)
    Y_pred = np.asarray(Y_pred)
    n = Y_true.shape[0]
    point = {k: float(v[0]) for k, v in _summary(Y_true, Y_pred, np.ones((1, n)), mode).items()}
    result: dict[str, Any] = {"n": int(n), "mode": mode}
    if bootstrap and n > 1:
        rng = np.random.default_rng(seed)
        intervals: dict[str, list[np.ndarray]] = {k: [] for k in point}
        for w in _resample_weights(n, bootstrap, rng):
            for k, resampled in _summary(Y_true, Y_pred, w, mode).items():
                intervals[k].append(resampled)
        for k, v in point.items():
            allv: np.ndarray = np.concatenate(intervals[k])
            result[k] = {
                "value": round(v, 4),
                "ci95": [round(float(np.percentile(allv, 2.5)), 4), round(float(np.percentile(allv, 97.5)), 4)],
            }
    else:
        for k, v in point.items():
            result[k] = {"value": round(v, 4), "ci95": None}
    Yt = Y_true.astype(bool)
    Yp = Y_pred.astype(bool)
    tp = (Yt & Yp).sum(0).astype(float)
    fp = (~Yt & Yp).sum(0).astype(float)
    fn = (Yt & ~Yp).sum(0).astype(float)
    p, r, f = _prf(tp, fp, fn)
    result["per_theme"] = [
        {
            "theme": t,
            "precision": round(float(p[j]), 4),
            "recall": round(float(r[j]), 4),
            "f1": round(float(f[j]), 4),
            "support": int(Yt[:, j].sum()),
            "predicted": int(Yp[:, j].sum()),
        }
        for j, t in enumerate(themes)
    ]
    return result


def calibration(
    Y_true: np.ndarray, proba: np.ndarray, mode: str, bins: int = 10, pred: np.ndarray | None = None
) -> dict[str, Any]:
    """How far the probabilities are from observed frequencies.

    Single-label: the probability of the predicted theme (``pred``, one-hot; by default the most probable
    theme) against whether it is right. Multi-label: every theme's
    probability against whether the answer has the theme. ``ece`` (expected calibration error) is the
    row-weighted mean gap between mean probability and observed share over ``bins`` equal-width bins;
    ``brier`` the mean squared error of the probabilities (single-label: summed over themes, per answer).
    """
    Y_true = np.asarray(Y_true)
    proba = np.asarray(proba, dtype=float)
    if len(Y_true) == 0:
        return {"ece": None, "brier": None, "bins": []}
    if mode == "single":
        rows = np.arange(len(Y_true))
        chosen = proba.argmax(axis=1) if pred is None else np.asarray(pred).argmax(axis=1)
        p = proba[rows, chosen]
        hit = Y_true[rows, chosen].astype(float)
        brier = float(((proba - Y_true) ** 2).sum(axis=1).mean())
    else:
        p = proba.ravel()
        hit = Y_true.ravel().astype(float)
        brier = float(((p - hit) ** 2).mean())
    which = np.minimum((p * bins).astype(int), bins - 1)
    bin_rows: list[dict[str, Any]] = []
    ece = 0.0
    for b in range(bins):
        m = which == b
        if not m.any():
            continue
        mean_p, share = float(p[m].mean()), float(hit[m].mean())
        ece += m.sum() / len(p) * abs(mean_p - share)
        bin_rows.append(
            {
                "from": b / bins,
                "to": (b + 1) / bins,
                "n": int(m.sum()),
                "mean_probability": round(mean_p, 4),
                "observed": round(share, 4),
            }
        )
    return {"ece": round(float(ece), 4), "brier": round(brier, 4), "bins": bin_rows}


def headline(scores: dict[str, Any]) -> dict[str, float]:
    """Just the point values of the summary scores."""
    return {k: v["value"] for k, v in scores.items() if isinstance(v, dict) and "value" in v}


def majority_baseline(Y_train: np.ndarray, n: int, mode: str) -> np.ndarray:
    """Predict the most frequent training theme for every answer."""
    out = np.zeros((n, Y_train.shape[1]), dtype=np.int8)
    out[:, int(Y_train.sum(axis=0).argmax())] = 1
    return out


def tfidf_lr_baseline(
    texts_train: Sequence[str], Y_train: np.ndarray, texts_test: Sequence[str], mode: str
) -> np.ndarray:
    """A plain word TF-IDF + logistic regression with sklearn's defaults (C=1): one multinomial model when
    single-label (saga solver, the fastest there), else one model per theme (lbfgs, the default solver; saga
    is 20 times slower on 44 themes) at 0.5, with the most probable theme when none passes."""
    vec = TfidfVectorizer()
    Xtr = vec.fit_transform(texts_train)
    Xte = vec.transform(texts_test)
    k = Y_train.shape[1]
    if mode == "single":
        y = Y_train.argmax(1)
        with warnings.catch_warnings():  # saga may stop short on tiny, contradictory data: still a fair baseline
            warnings.simplefilter("ignore", ConvergenceWarning)
            lr = LogisticRegression(solver="saga", max_iter=1000, random_state=0).fit(Xtr, y)  # saga shuffles
        out = np.zeros((Xte.shape[0], k), dtype=np.int8)
        out[np.arange(Xte.shape[0]), lr.classes_[lr.predict_proba(Xte).argmax(1)]] = 1
        return out
    proba = np.zeros((Xte.shape[0], k))
    for j in range(k):
        y = Y_train[:, j]
        if y.min() == y.max():
            proba[:, j] = float(y.max())
        else:
            proba[:, j] = LogisticRegression(max_iter=1000).fit(Xtr, y).predict_proba(Xte)[:, 1]
    return decide(proba, np.full(k, 0.5), "multilabel")


def evaluate_file(
    model_dir: Path, data_path: Path, config: Config, train_path: Path | None = None, bootstrap: int | None = None
) -> dict[str, Any]:
    """Score a saved model on a labelled file, next to the two baselines trained on the model's training
    data (``train_path``, else the path in the model card if its SHA-256 still matches)."""
    model = load_model(Path(model_dir))
    ic = config.ingest
    answers = load_answers(Path(data_path), ic, require_labels=True)
    tax = from_ids(model.themes, model.card.get("theme_names"))
    parsed = answers.df[ic.labels_column].tolist()
    # Themes unknown to the model cannot be predicted: refuse rather than silently score them as misses.
    unknown = Counter(t for c in parsed for t in split_labels(c, ic.label_separator, tax) if t not in model.themes)
    if unknown:
        listed = ", ".join(f"'{k}' ({v} rows)" for k, v in unknown.most_common(10))
        left_out = [t for t in unknown if t in (model.card.get("themes_left_out") or {})]
        why = f" ({', '.join(repr(t) for t in left_out)} left out in training: too few answers)" if left_out else ""
        raise ConsultError(
            f"{data_path} uses themes not in the model: {listed}{why}",
            "Evaluate on answers labelled with the model's themes only, or label more answers of the missing "
            "themes and retrain",
        )
    data = prepare_training_data(
        answers.ids,
        answers.texts,
        parsed,
        ic.label_separator,
        tax,
        1,
        source=str(data_path),
        questions=answers.questions,
    )
    Y = label_matrix(data.labels, model.themes)  # the model's columns (the data may lack some themes)
    proba = model.pipeline.predict_proba(model_input_for(model, data.texts, data.questions))
    pred = model.pipeline.named_steps["classify"].decide(proba)
    b = config.model.bootstrap if bootstrap is None else bootstrap
    result: dict[str, Any] = {
        "model": str(model_dir),
        "model_version": model.version,
        "data": str(data_path),
        "data_sha256": sha256_file(Path(data_path)),
        "rows_scored": len(data.texts),
        "rows_skipped": data.skipped_unlabelled,
        "mode": model.mode,
        "model_scores": score(Y, pred, model.themes, model.mode, bootstrap=b, seed=config.model.random_state),
        "calibration": calibration(Y, proba, model.mode, pred=pred),
    }
    tp = train_path
    td = model.card.get("training_data", {})
    if (
        tp is None
        and td.get("path")
        and Path(td["path"]).is_file()
        and sha256_file(Path(td["path"])) == td.get("sha256")
    ):
        tp = td["path"]
    if tp is None:
        result["baselines"] = None
        result["baselines_note"] = "training data not found: pass --train DATA to score the baselines"
        return result
    tr_answers = load_answers(Path(tp), ic, require_labels=True)
    tr = prepare_training_data(
        tr_answers.ids,
        tr_answers.texts,
        tr_answers.df[ic.labels_column].tolist(),
        ic.label_separator,
        tax,
        1,
        source=str(tp),
    )
    Ytr = label_matrix(tr.labels, model.themes)
    result["baselines_trained_on"] = str(tp)
    result["baselines"] = {
        "majority": score(
            Y, majority_baseline(Ytr, len(Y), model.mode), model.themes, model.mode, b, config.model.random_state
        ),
        "tfidf_logreg": score(
            Y,
            tfidf_lr_baseline(tr.texts, Ytr, data.texts, model.mode),
            model.themes,
            model.mode,
            b,
            config.model.random_state,
        ),
    }
    return result
