"""Real-data benchmark: train on split == train of the shared NHS feedback, score split == test.

Prints one JSON line per target (label: 9 themes, subcategory: 44) with accuracy, F1 scores and their 95%
intervals, the calibration of the probabilities (expected calibration error, Brier score), the two
baselines, training seconds and labelling speed (classifier stage alone, no NER).
Uses the project's default settings (configs/consult.toml) for both targets: the file's ``question`` column
(which of each trust's two questions an answer responds to) is read as ``ingest.question_column``, as
``consult train`` would. ``--text-only`` leaves it out. ``--mode multilabel`` runs the multi-label path on the
same data instead (one binary model and threshold per theme; the goals are for the default single-label run).
``--sentence-model all-MiniLM-L6-v2`` adds the opt-in sentence-embedding block (``model.sentence_model``); its
labelling speed is then timed on the test answers once (2,045) instead of 20,000.

    python bench/quality.py [--data ../shared/data/nhs_fft_phase1/feedback.csv] [--target label]
                            [--mode multilabel] [--text-only] [--sentence-model NAME]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline import evaluate as ev  # noqa: E402
from pipeline.config import load_config  # noqa: E402
from pipeline.entities import spacy_language  # noqa: E402
from pipeline.features import model_input  # noqa: E402
from pipeline.train import train_model  # noqa: E402
from pipeline.trainingdata import prepare_training_data  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "data" / "nhs_fft_phase1" / "feedback.csv"
GOALS = {"label": {"accuracy": 0.73, "macro_f1": 0.63}, "subcategory": {"accuracy": 0.62, "macro_f1": 0.40}}


def run(
    data: Path,
    target: str,
    config_path: Path | None,
    requested_mode: str = "auto",
    text_only: bool = False,
    sentence_model: str | None = None,
) -> dict[str, object]:
    cfg = load_config(config_path)
    cfg.model.mode = requested_mode
    if sentence_model is not None:
        cfg.model.sentence_model = sentence_model
    df = pd.read_csv(data, dtype=str, keep_default_na=False)
    train, test = df[df["split"] == "train"], df[df["split"] == "test"]
    lang = spacy_language(cfg.entities.spacy_model)
    qcol = "" if text_only else cfg.ingest.question_column
    qcol = qcol if qcol in df.columns else ""
    tr = prepare_training_data(
        train["id"].tolist(),
        train["text"].tolist(),
        train[target].tolist(),
        "\x1f",
        None,
        cfg.model.min_label_count,
        questions=train[qcol].tolist() if qcol else None,
    )
    t0 = time.perf_counter()
    pipe, report = train_model(tr, cfg, lang)
    train_seconds = time.perf_counter() - t0
    themes = tr.themes
    col = {t: j for j, t in enumerate(themes)}
    keep = test[target].isin(col).to_numpy()
    te = test[keep]
    Y = np.zeros((len(te), len(themes)), dtype=np.int8)
    Y[np.arange(len(te)), [col[t] for t in te[target]]] = 1
    texts = te["text"].tolist()
    questions = te[qcol].tolist() if qcol else None
    proba = pipe.predict_proba(model_input(texts, questions))
    pred = pipe.named_steps["classify"].decide(proba)
    mode = report["mode"]
    scores = ev.score(Y, pred, themes, mode, bootstrap=cfg.model.bootstrap)
    maj = ev.score(Y, ev.majority_baseline(tr.Y, len(Y), mode), themes, mode, bootstrap=0)
    lr = ev.score(Y, ev.tfidf_lr_baseline(tr.texts, tr.Y, texts, mode), themes, mode, bootstrap=0)
    # Labelling speed, classifier stage alone: 20,000 answers (the test texts repeated; with sentence embeddings,
    # which run far slower, the test texts once), one process.
    n_speed = len(texts) if cfg.model.sentence_model else 20_000
    reps = n_speed // len(texts) + 1
    many = model_input((texts * reps)[:n_speed], (questions * reps)[:n_speed] if questions else None)
    t1 = time.perf_counter()
    pipe.named_steps["classify"].decide(pipe.predict_proba(many))
    speed = len(many) / (time.perf_counter() - t1)
    head = ev.headline(scores)
    return {
        "bench": "quality",
        "dataset": "nhs_fft_phase1",
        "target": target,
        "themes": len(themes),
        "mode": mode,
        "question_column": qcol or None,
        "sentence_model": cfg.model.sentence_model or None,
        "questions": report["questions"],
        "train_rows": len(tr.texts),
        "test_rows": int(len(te)),
        "test_rows_unseen_theme": int((~keep).sum()),
        "accuracy": head.get("accuracy"),
        "macro_f1": head["macro_f1"],
        "micro_f1": head["micro_f1"],
        "samples_f1": head["samples_f1"],
        "ci95": {k: scores[k]["ci95"] for k in head},
        "calibration": {k: v for k, v in ev.calibration(Y, proba, mode, pred=pred).items() if k != "bins"},
        "baseline_majority": ev.headline(maj),
        "baseline_tfidf_logreg": ev.headline(lr),
        "goal": GOALS[target] if requested_mode == "auto" else None,
        "meets_goal": all(head.get(k, 0) >= v for k, v in GOALS[target].items()) if requested_mode == "auto" else None,
        "best_C": report["best_C"],
        "grid": report["grid"],
        "nb_member": report["nb_member"],
        "tuned_decisions": report["tuned_decisions"],
        "choices": report["choices"],
        "train_seconds": round(train_seconds, 1),
        "label_answers_per_second": round(speed),
        "cpus": os.cpu_count(),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--target", choices=["label", "subcategory"], action="append")
    ap.add_argument("--config", type=Path, default=None)
    ap.add_argument("--mode", choices=["auto", "multilabel"], default="auto")
    ap.add_argument("--text-only", action="store_true", help="leave the question column out of the model")
    ap.add_argument("--sentence-model", default=None, help="set model.sentence_model (e.g. all-MiniLM-L6-v2)")
    args = ap.parse_args()
    if not args.data.is_file():
        print(json.dumps({"bench": "quality", "skipped": f"{args.data} not found"}))
        return
    for target in args.target or ["label", "subcategory"]:
        print(
            json.dumps(run(args.data, target, args.config, args.mode, args.text_only, args.sentence_model)), flush=True
        )


if __name__ == "__main__":
    main()
