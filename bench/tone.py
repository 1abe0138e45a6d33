"""Real-data benchmark of the tone classifier: train on split == train of the shared NHS feedback, score split == test.

Tone comes from the human ``criticality`` score (-5 very critical … +5 very positive) by ``ingest.tone_rule = sign``:
negative < 0, neutral = 0, positive > 0; rows whose criticality is not a whole number ("-o", "cc", empty) are left out
and counted. The tone model is trained exactly as ``consult train`` trains it (:func:`pipeline.train.train_tone`,
the project's default settings); by default it reads the file's ``question`` column (which of each trust's two
questions an answer responds to, "what was good?" or "what could be improved?"), as ``consult train`` would;
``--text-only`` leaves it out. Prints one JSON line: accuracy and macro-F1 with 95% bootstrap intervals, the
calibration of the tone probabilities, a plain word + character TF-IDF + logistic regression baseline (text only),
the majority baseline, and labelling speed (20,000 answers, one process). As ``consult train`` does, a theme model
(the file's 9 ``label`` themes) is trained first and the tone model uses its features, so ``consult label``
computes the features once: ``tone_answers_per_second`` is the tone stage alone on those features;
``tone_pipeline_answers_per_second_own_pass`` is a full pass of the tone Pipeline (normalise, features, tone);
``--own-features`` trains the tone model alone on features of its own.

    python bench/tone.py [--data ../shared/data/nhs_fft_phase1/feedback.csv] [--text-only] [--own-features]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline import evaluate as ev  # noqa: E402
from pipeline.config import load_config  # noqa: E402
from pipeline.entities import spacy_language  # noqa: E402
from pipeline.features import model_input  # noqa: E402
from pipeline.tone import read_tones  # noqa: E402
from pipeline.train import train_model, train_tone  # noqa: E402
from pipeline.trainingdata import prepare_training_data, tone_training_data  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "data" / "nhs_fft_phase1" / "feedback.csv"
GOAL = {"accuracy": 0.85, "macro_f1": 0.83, "answers_per_second": 5000}


def word_char_lr_baseline(train_texts: list[str], y: np.ndarray, test_texts: list[str]) -> np.ndarray:
    """Word 1-2 grams + char_wb 2-5 grams TF-IDF, multinomial logistic regression (sklearn defaults otherwise)."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_union

    vec = make_union(
        TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True),
        TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=2, sublinear_tf=True),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        lr = LogisticRegression(max_iter=2000).fit(vec.fit_transform(train_texts), y)
    return lr.predict(vec.transform(test_texts))


def one_hot(values: list[str], labels: list[str]) -> np.ndarray:
    col = {t: j for j, t in enumerate(values)}
    Y = np.zeros((len(labels), len(values)), dtype=np.int8)
    Y[np.arange(len(labels)), [col[t] for t in labels]] = 1
    return Y


def run(data: Path, config_path: Path | None, text_only: bool, shared: bool = True) -> dict[str, object]:
    cfg = load_config(config_path, ["ingest.tone_rule=sign", "ingest.tone_column=criticality"])
    df = pd.read_csv(data, dtype=str, keep_default_na=False)
    cells = read_tones(df["criticality"].tolist(), cfg.ingest)
    tones = np.array(cells.tones, dtype=object)
    usable = tones != ""
    split = df["split"].to_numpy()
    qcol = "" if text_only else cfg.ingest.question_column
    qcol = qcol if qcol in df.columns else ""
    tr_rows = np.flatnonzero(usable & (split == "train"))
    te_rows = np.flatnonzero(usable & (split == "test"))
    texts = df["text"].tolist()
    questions = df[qcol].tolist() if qcol else None
    lang = spacy_language(cfg.entities.spacy_model)
    data_tr = tone_training_data(
        [str(df["id"].iat[i]) for i in tr_rows],
        [texts[i] for i in tr_rows],
        [tones[i] for i in tr_rows],
        cfg.model.min_label_count,
        [questions[i] for i in tr_rows] if questions else None,
    )
    t0 = time.perf_counter()
    themes_pipe = None
    if shared:  # as consult train does: the theme model (9 labels) first, the tone model on its features
        th = prepare_training_data(
            data_tr.ids,
            data_tr.texts,
            [df["label"].iat[i] for i in tr_rows],
            "\x1f",
            None,
            2,
            questions=data_tr.questions,
        )
        themes_pipe, _ = train_model(th, cfg, lang)
    t_tone = time.perf_counter()
    model, report = train_tone(data_tr, cfg, lang, features=themes_pipe.named_steps["features"] if shared else None)
    train_seconds = time.perf_counter() - t_tone
    themes_seconds = t_tone - t0
    te_texts = [texts[i] for i in te_rows]
    te_questions = [questions[i] for i in te_rows] if questions else None
    pred_tones, proba = model.predict(te_texts, te_questions)
    Y = one_hot(model.values, [tones[i] for i in te_rows])
    P = one_hot(model.values, pred_tones)
    scores = ev.score(Y, P, model.values, "single", bootstrap=cfg.model.bootstrap)
    base = word_char_lr_baseline(data_tr.texts, np.array([tones[i] for i in tr_rows]), te_texts)
    base_scores = ev.score(Y, one_hot(model.values, list(base)), model.values, "single", bootstrap=cfg.model.bootstrap)
    maj = ev.score(Y, ev.majority_baseline(data_tr.Y, len(Y), "single"), model.values, "single", bootstrap=0)
    # Speed of the tone stage alone: 20,000 answers (the test answers repeated), one process.
    n = 20_000
    reps = n // len(te_texts) + 1
    many, many_q = (te_texts * reps)[:n], ((te_questions * reps)[:n] if te_questions else None)
    X = model_input(many, many_q if model.pipeline.named_steps["features"].questions_ else None)
    t1 = time.perf_counter()
    model.predict(many, many_q)
    speed_own = n / (time.perf_counter() - t1)  # normalise, features and tone classifier
    speed_label = None
    if themes_pipe is not None:
        # In consult label the features are computed once for themes and tone: the tone stage adds its classifier.
        t2 = time.perf_counter()
        F = themes_pipe[:-1].transform(X)
        t3 = time.perf_counter()
        themes_pipe.named_steps["classify"].predict_proba(F)
        t4 = time.perf_counter()
        model.decide(model.pipeline.named_steps["classify"].predict_proba(F))
        t5 = time.perf_counter()
        speed_label = {
            "tone_stage": round(n / (t5 - t4)),
            "features": round(n / (t3 - t2)),
            "themes_and_tone_with_features": round(n / (t5 - t2)),
        }
    speed = speed_label["tone_stage"] if speed_label else speed_own
    head = ev.headline(scores)
    base_head = ev.headline(base_scores)
    out = {
        "bench": "tone",
        "dataset": "nhs_fft_phase1",
        "tone_from": "criticality: negative < 0, neutral = 0, positive > 0",
        "rows_left_out_not_integer": int((~usable).sum()),
        "left_out_examples": cells.examples,
        "question_column": qcol or None,
        "questions": report["questions"],
        "train_rows": len(data_tr.texts),
        "test_rows": len(te_rows),
        "train_counts": {v: int(c) for v, c in zip(model.values, data_tr.Y.sum(axis=0), strict=True)},
        "test_counts": {v: int(c) for v, c in zip(model.values, Y.sum(axis=0), strict=True)},
        "accuracy": round(head["accuracy"], 4),
        "macro_f1": round(head["macro_f1"], 4),
        "ci95": {k: scores[k]["ci95"] for k in ("accuracy", "macro_f1")},
        "per_tone_f1": {v["theme"]: v["f1"] for v in scores["per_theme"]},
        "calibration": {k: v for k, v in ev.calibration(Y, proba, "single", pred=P).items() if k != "bins"},
        "baseline_word_char_tfidf_logreg": {
            "accuracy": round(base_head["accuracy"], 4),
            "macro_f1": round(base_head["macro_f1"], 4),
            "ci95": {k: base_scores[k]["ci95"] for k in ("accuracy", "macro_f1")},
        },
        "baseline_majority": {k: round(ev.headline(maj)[k], 4) for k in ("accuracy", "macro_f1")},
        "cross_validated_on_train": {k: round(report["cv_scores"][k]["value"], 4) for k in ("accuracy", "macro_f1")},
        "best_C": report["best_C"],
        "grid": report["grid"],
        "nb_member": report["nb_member"],
        "tuned_decisions": report["tuned_decisions"],
        "choices": report["choices"],
        "train_seconds": round(train_seconds, 1),
        "theme_model_seconds": round(themes_seconds, 1) if shared else None,
        "features": "shared with the 9-theme model (as consult train)" if shared else "its own (--own-features)",
        "tone_answers_per_second": round(speed),
        "tone_pipeline_answers_per_second_own_pass": round(speed_own),
        "label_answers_per_second": speed_label,
        "cpus": os.cpu_count(),
        "goal": GOAL,
    }
    out["meets_goal"] = bool(
        out["accuracy"] >= GOAL["accuracy"]
        and out["macro_f1"] >= GOAL["macro_f1"]
        and speed >= GOAL["answers_per_second"]
    )
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--config", type=Path, default=None)
    ap.add_argument("--text-only", action="store_true", help="leave the question column out of the model")
    ap.add_argument("--own-features", action="store_true", help="train the tone model alone, on features of its own")
    args = ap.parse_args()
    if not args.data.is_file():
        print(json.dumps({"bench": "tone", "skipped": f"{args.data} not found"}))
        return
    print(json.dumps(run(args.data, args.config, args.text_only, not args.own_features)), flush=True)


if __name__ == "__main__":
    main()
