"""The whole workflow on the shipped corpus, and learning from real messy text (shared NHS feedback)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from typer.testing import CliRunner

from pipeline import evaluate as ev
from pipeline.cli import app
from pipeline.config import load_config
from pipeline.train import train_model
from pipeline.trainingdata import prepare_training_data

from .conftest import ROOT

FAST = ["--set", "model.cv_folds=3", "--set", "model.c_grid=[0.3]", "--set", "model.bootstrap=100"]


def test_train_label_report_on_shipped_corpus(tmp_path: Path) -> None:
    runner = CliRunner()
    model = tmp_path / "model"
    res = runner.invoke(
        app, ["train", "data/consultation_labelled.csv", "-o", str(model), "-t", "configs/themes.yaml", *FAST]
    )
    assert res.exit_code == 0, res.output
    out = tmp_path / "new_labelled.csv"
    res = runner.invoke(app, ["label", "data/consultation_new.csv", "-o", str(out), "-m", str(model)])
    assert res.exit_code == 0, res.output
    src = pd.read_csv(ROOT / "data" / "consultation_new.csv", dtype=str, keep_default_na=False)
    lab = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert lab["id"].tolist() == src["id"].tolist()  # every row, in order
    assert (lab[src.columns] == src).all().all()  # every input column unchanged
    subst = lab["status"] == "labelled"
    assert subst.sum() >= 290 and (lab.loc[subst, "themes"] != "").all() and (lab.loc[~subst, "themes"] == "").all()
    assert lab["entities"].str.contains("BOROUGH:|STATION:|AGENCY:|TRANSPORT:").mean() > 0.2
    res = runner.invoke(app, ["report", str(out), "-o", str(tmp_path / "rep")])
    assert res.exit_code == 0, res.output
    counts = pd.read_csv(tmp_path / "rep" / "theme_counts.csv")
    assert len(counts) == 12 and counts["count"].is_monotonic_decreasing
    assert "Safety in public spaces and transport" in res.output


def test_learns_real_nhs_feedback_better_than_majority(nhs_path: Path) -> None:
    df = pd.read_csv(nhs_path, dtype=str, keep_default_na=False)
    train, test = df[df["split"] == "train"], df[df["split"] == "test"]
    cfg = load_config(None, ["model.cv_folds=3", "model.c_grid=[0.3]", "model.bootstrap=0"])
    data = prepare_training_data(train["id"].tolist(), train["text"].tolist(), train["label"].tolist(), "\x1f", None, 2)
    pipe, report = train_model(data, cfg, "en")
    assert report["mode"] == "single"
    col = {t: j for j, t in enumerate(data.themes)}
    Y = np.zeros((len(test), len(col)), dtype=np.int8)
    Y[np.arange(len(test)), [col[t] for t in test["label"]]] = 1
    pred = pipe.predict(test["text"].tolist())
    model = ev.headline(ev.score(Y, pred, data.themes, "single", bootstrap=0))
    majority = ev.headline(
        ev.score(Y, ev.majority_baseline(data.Y, len(Y), "single"), data.themes, "single", bootstrap=0)
    )
    assert model["macro_f1"] > majority["macro_f1"] + 0.3
    assert model["accuracy"] > 0.65
