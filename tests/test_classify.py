"""The tiny corpus the model tests share, evaluation maths, and training end to end: the search, theme texts,
the choice within noise, the work bound."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline import evaluate as ev
from pipeline.calibration import Platt, decide
from pipeline.config import Config
from pipeline.evaluate import headline, majority_baseline, score
from pipeline.selection import simplest_within_noise
from pipeline.taxonomy import Taxonomy, Theme
from pipeline.train import train_model
from pipeline.trainingdata import prepare_training_data, theme_documents

# A corpus small enough to read: three themes, some answers with two.
LIGHT = [
    "the park has no lights at night",
    "street lamps are broken on my road",
    "better lighting near the station",
    "dark alleys feel unsafe after dusk",
    "install more lights on the canal path",
    "the underpass is pitch black",
    "lighting in the car park is poor",
    "fix the broken lamps by the bus stop",
    "more lights in the high street",
]
PATROL = [
    "never see officers on patrol here",
    "we need more police walking the beat",
    "bring back the local PCSO",
    "patrols on friday nights would help",
    "officers should walk the estate",
    "the police station closed and no patrols",
    "more bobbies on the beat please",
    "visible officers at the station exit",
    "patrol cars never come down our street",
]
COURT = [
    "the court case took two years",
    "the CPS dropped my case",
    "sentences for rapists are too short",
    "trials are delayed again and again",
    "the judge let him off with a fine",
    "prosecutors never explained anything",
    "the court process was traumatic",
    "bail conditions were ignored",
    "conviction rates are shameful",
]


def _data(multi: bool):  # type: ignore[no-untyped-def]
    texts = LIGHT + PATROL + COURT
    labels = ["light"] * 9 + ["patrol"] * 9 + ["court"] * 9
    if multi:
        texts += [
            "dark streets and no patrols at night",
            "no lights and no officers on our estate",
            "the court delay and no police patrols",
            "lamps broken and the CPS useless",
        ]
        labels += ["light;patrol", "light;patrol", "court;patrol", "light;court"]
    ids = [str(i) for i in range(len(texts))]
    return prepare_training_data(ids, texts, labels, ";", None, 2)


def _cfg() -> Config:
    cfg = Config()
    cfg.model.cv_folds = 3
    cfg.model.c_grid = [1.0, 4.0]
    cfg.model.bootstrap = 50
    cfg.model.tokenizer = "regex"
    return cfg


def test_evaluation_maths_hand_checked() -> None:
    # true: {A} {A,B} {C} {B}; predicted: {A} {A} {B} {B,C}
    Yt = np.array([[1, 0, 0], [1, 1, 0], [0, 0, 1], [0, 1, 0]])
    Yp = np.array([[1, 0, 0], [1, 0, 0], [0, 1, 0], [0, 1, 1]])
    s = score(Yt, Yp, ["A", "B", "C"], bootstrap=200)
    # A: P=R=F=1; B: tp1 fp1 fn1 -> 0.5; C: tp0 -> 0. macro = 1.5/3; micro: tp3 fp2 fn2 -> 6/10
    # samples: rows 1, 2/3, 0, 2/3 -> 7/12
    assert headline(s) == pytest.approx({"micro_f1": 0.6, "macro_f1": 0.5, "samples_f1": 0.5833}, abs=1e-4)
    pt = {r["theme"]: r for r in s["per_theme"]}
    assert (pt["B"]["precision"], pt["B"]["recall"], pt["B"]["f1"], pt["B"]["support"]) == (0.5, 0.5, 0.5, 2)
    assert pt["C"]["f1"] == 0.0 and pt["C"]["support"] == 1
    lo, hi = s["macro_f1"]["ci95"]
    assert 0.0 <= lo <= 0.5 <= hi <= 1.0


def test_single_label_accuracy() -> None:
    Yt = np.eye(3, dtype=int)[[0, 1, 2, 2]]
    Yp = np.eye(3, dtype=int)[[0, 1, 1, 2]]
    s = score(Yt, Yp, ["a", "b", "c"], mode="single", bootstrap=0)
    assert s["accuracy"]["value"] == 0.75
    # a: F1 1; b: tp1 fp1 -> 2/3; c: tp1 fn1 -> 2/3
    assert s["macro_f1"]["value"] == pytest.approx((1 + 2 / 3 + 2 / 3) / 3, abs=1e-4)


def test_calibration_hand_checked() -> None:
    from pipeline.evaluate import calibration

    # Single-label: top probabilities 0.82 (right), 0.88 (wrong), 0.62 (right), 0.68 (right).
    Yt = np.eye(2, dtype=int)[[0, 1, 0, 1]]
    P = np.array([[0.82, 0.18], [0.88, 0.12], [0.62, 0.38], [0.32, 0.68]])
    c = calibration(Yt, P, "single")
    # bin 0.8-0.9: mean 0.85, observed 0.5; bin 0.6-0.7: mean 0.65, observed 1 -> (2*0.35 + 2*0.35) / 4
    assert c["ece"] == pytest.approx(0.35, abs=1e-4)
    # Brier per answer: 2*0.18^2, 2*0.88^2, 2*0.38^2, 2*0.32^2
    assert c["brier"] == pytest.approx((0.0648 + 1.5488 + 0.2888 + 0.2048) / 4, abs=1e-4)
    assert [b["n"] for b in c["bins"]] == [2, 2]
    # With class weights the predicted theme need not be the most probable: its probability is the forecast.
    # Predicted: theme 1 everywhere -> 0.18 (wrong), 0.12 (right), 0.38 (wrong), 0.68 (right).
    w = calibration(Yt, P, "single", pred=np.eye(2, dtype=int)[[1, 1, 1, 1]])
    # bin 0.1-0.2: mean 0.15, observed 0.5; 0.38 alone (observed 0); 0.68 alone (observed 1)
    assert w["ece"] == pytest.approx((2 * 0.35 + 0.38 + 0.32) / 4, abs=1e-4)
    assert [b["n"] for b in w["bins"]] == [2, 1, 1]
    # Multi-label: every (answer, theme) probability is one forecast; perfect ones have no error.
    perfect = calibration(np.array([[1, 0], [0, 1]]), np.array([[1.0, 0.0], [0.0, 1.0]]), "multilabel")
    assert perfect["ece"] == 0 and perfect["brier"] == 0


def test_confidence_is_that_of_the_prediction() -> None:
    from pipeline.label import confidence

    proba = np.array([[0.55, 0.45], [0.2, 0.8]])
    pred = decide(proba, np.array([1.0, 2.0]), "single")  # weights move row 0 to theme 1
    assert pred.tolist() == [[0, 1], [0, 1]]
    assert np.allclose(confidence(proba, pred, "single"), [0.45, 0.8])
    # Multi-label: the probability that the predicted set is exactly right.
    assert np.allclose(confidence(proba, np.array([[1, 0], [1, 1]]), "multilabel"), [0.55 * 0.55, 0.2 * 0.8])


def test_majority_baseline_predicts_most_frequent() -> None:
    Ytr = np.array([[1, 0], [0, 1], [0, 1]])
    assert majority_baseline(Ytr, 2, "multilabel").tolist() == [[0, 1], [0, 1]]


@pytest.mark.parametrize("multi", [False, True])
def test_train_learns_the_tiny_corpus(multi: bool) -> None:
    data = _data(multi)
    pipe, report = train_model(data, _cfg(), "en")
    assert report["mode"] == ("multilabel" if multi else "single")
    new = ["the lamps in the park are out", "police should patrol more", "the CPS and the courts failed me"]
    pred = pipe.predict(new)
    theme = dict(zip(data.themes, range(len(data.themes)), strict=True))
    assert pred[0, theme["light"]] == 1 and pred[1, theme["patrol"]] == 1 and pred[2, theme["court"]] == 1
    assert (pred.sum(axis=1) >= 1).all()
    proba = pipe.predict_proba(new)
    assert ((proba >= 0) & (proba <= 1)).all()
    if not multi:
        assert np.allclose(proba.sum(axis=1), 1.0) and (pred.sum(axis=1) == 1).all()
    assert report["cv_scores"]["macro_f1"]["value"] > report["baselines"]["majority"]["macro_f1"]["value"]


def test_theme_documents_come_from_the_taxonomy_or_the_ids() -> None:
    tax = Taxonomy(
        themes=[
            Theme(id="court", name="Courts", definition="Trials and sentencing.", include=["the CPS dropped it"]),
            Theme(id="light", name="", definition="", include=[]),  # no name: the id stands in
        ]
    )
    assert theme_documents(["light", "court"], tax) == [
        (0, "light"),
        (1, "Courts"),
        (1, "Trials and sentencing."),
        (1, "the CPS dropped it"),
    ]
    assert theme_documents(["street_lighting", "Staff: General"], None) == [
        (0, "street lighting"),
        (1, "Staff: General"),
    ]


@pytest.mark.parametrize("multi", [False, True])
def test_theme_descriptions_are_learnt_but_never_scored(multi: bool) -> None:
    # "magistrates" and "hearing" occur in no answer: only the court theme's include examples teach them.
    base = _data(multi)
    tax = Taxonomy(
        themes=[
            Theme(
                id="court", name="Courts", include=["the magistrates adjourned the hearing", "magistrates at a hearing"]
            ),
            Theme(id="light", name="Street lighting"),
            Theme(id="patrol", name="Police patrols"),
        ]
    )
    labels = [";".join(t for t, y in zip(base.themes, row, strict=True) if y) for row in base.Y]
    data = prepare_training_data(base.ids, base.texts, labels, ";", tax, 2)
    assert len(data.theme_docs) == 5
    new = ["magistrates hearing"]
    court = data.themes.index("court")
    pipe, report = train_model(data, _cfg(), "en")
    assert report["theme_texts"] == 5
    assert pipe.predict(new)[0, court] == 1
    # Out-of-fold scores cover the answers only: the descriptions are never counted as test rows.
    supports = {r["theme"]: r["support"] for r in report["cv_scores"]["per_theme"]}
    assert supports == {t: int(c) for t, c in zip(data.themes, data.Y.sum(axis=0), strict=True)}
    cfg = _cfg()
    cfg.model.theme_texts = False
    plain_pipe, plain = train_model(data, cfg, "en")
    assert plain["theme_texts"] == 0
    assert plain_pipe.predict_proba(new)[0, court] < pipe.predict_proba(new)[0, court]


def test_single_label_training_recalibrates_and_reports_calibration() -> None:
    data = _data(multi=False)
    pipe, report = train_model(data, _cfg(), "en")
    assert 0 <= report["cv_calibration"]["ece"] <= 1 and report["cv_calibration"]["brier"] >= 0
    clf = pipe.named_steps["classify"]
    X = pipe[:-1].transform(data.texts)
    assert isinstance(clf.top_calibration_, Platt)
    recalibrated = clf.predict_proba(X)
    del clf.top_calibration_  # as in a model saved before top-label calibration existed: still labels
    raw = clf.predict_proba(X)
    assert not np.allclose(raw, recalibrated)
    assert (decide(raw, clf.thresholds_, "single") == decide(recalibrated, clf.thresholds_, "single")).all()
    # Multi-label probabilities are calibrated per theme already: nothing is added.
    pipe, _ = train_model(_data(multi=True), _cfg(), "en")
    assert pipe.named_steps["classify"].top_calibration_ is None


def test_train_keeps_the_simplest_choice_within_one_standard_error_of_the_best() -> None:
    _, report = train_model(_data(multi=True), _cfg(), "en")
    choices = report["choices"]
    assert [(c["nb_member"], c["tuned_decisions"]) for c in choices] == [(0, 0), (0, 1), (1, 0), (1, 1)]
    best = max(c["cross_fitted_macro_f1"] for c in choices)
    within = [c for c in choices if c["cross_fitted_macro_f1"] >= best - c["standard_error_vs_best"] - 1e-4]
    assert (report["nb_member"], report["tuned_decisions"]) == (within[0]["nb_member"], within[0]["tuned_decisions"])
    cfg = _cfg()
    cfg.model.nb_member = False
    _, plain = train_model(_data(multi=True), cfg, "en")
    assert not plain["nb_member"] and all(not c["nb_member"] for c in plain["choices"])


def test_work_bound_stops_the_search_after_the_first_step_and_the_card_says_so() -> None:
    cfg = _cfg()
    cfg.model.max_search_settings = 1  # only the first C is tried, no NB-SVM member
    _, report = train_model(_data(multi=False), cfg, "en")
    assert [g["C"] for g in report["grid"]] == [cfg.model.c_grid[0]]
    assert not report["nb_member"] and all(not c["nb_member"] for c in report["choices"])
    search = report["search"]
    assert search["settings_tried"] == [{"member": "linear", "C": cfg.model.c_grid[0]}]
    assert search["cross_validation_fits"] == search["folds"] * 1 and "max_search_settings" in search["stopped"]


def test_same_data_config_and_seed_give_identical_predictions_whatever_the_clock(monkeypatch) -> None:
    import time as _time

    import pipeline.train as tr

    cfg = _cfg()
    data = _data(multi=True)
    first, rep1 = train_model(data, cfg, "en")
    # A machine so busy that every call to the clock jumps an hour: the search must not notice.
    clock = iter(range(0, 10**9, 3600))
    monkeypatch.setattr(tr.time, "perf_counter", lambda: float(next(clock)))
    second, rep2 = train_model(data, cfg, "en")
    monkeypatch.setattr(tr.time, "perf_counter", _time.perf_counter)
    texts = data.texts[:20]
    assert np.array_equal(first.predict_proba(texts), second.predict_proba(texts))
    assert rep1["search"] == rep2["search"] and rep1["grid"] == rep2["grid"]


def test_an_old_config_with_a_time_budget_is_refused_clearly(tmp_path) -> None:
    from pipeline.config import load_config
    from pipeline.errors import ConsultError

    old = tmp_path / "old.toml"
    old.write_text("[model]\ntime_budget_seconds = 60.0\n", encoding="utf-8")
    with pytest.raises(ConsultError) as e:
        load_config(old)
    assert "no longer read" in str(e.value) and "max_search_settings" in str(e.value)


def test_one_standard_error_rule() -> None:
    rng = np.random.default_rng(0)
    noise = rng.normal(0, 0.02, 200)
    # The second choice beats the first by less than the spread of their difference: the first is kept.
    assert simplest_within_noise([0.60, 0.61], np.array([0.60 + noise, 0.61 + noise + rng.normal(0, 0.02, 200)])) == 0
    # A gain far beyond the noise of the paired difference is kept.
    assert simplest_within_noise([0.60, 0.65], np.array([0.60 + noise, 0.65 + noise + rng.normal(0, 0.001, 200)])) == 1
    # The best is always within its own noise.
    assert simplest_within_noise([0.7, 0.5], np.zeros((2, 200))) == 0


def test_paired_bootstrap_macro_f1_resamples_rows_jointly() -> None:
    Y = np.eye(2, dtype=np.int8)[[0, 0, 1, 1, 0, 1]]
    right = Y.copy()
    wrong = Y[:, ::-1].copy()
    boot = ev.paired_bootstrap_macro_f1(Y, [right, right, wrong], "single", resamples=50, seed=1)
    assert boot.shape == (3, 50)
    assert np.allclose(boot[0], boot[1])  # same rows in every resample
    assert np.allclose(boot[0], 1.0) and np.allclose(boot[2], 0.0)
