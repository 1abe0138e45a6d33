"""Tone (positive / neutral / negative): reading tone cells, training, labelling, review, retrain and the report,
each on a tiny example a reader can check by eye."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.config import IngestConfig, load_config
from pipeline.errors import ConsultError
from pipeline.label import THEMES_COLUMN, theme_columns
from pipeline.modelstore import CARD_FILE, load_model
from pipeline.report import analysis as an
from pipeline.report import build_report, report_file
from pipeline.report.stats import wilson_interval
from pipeline.retrain import build_training_set, retrain
from pipeline.review import AuditStore, export_for_review, import_reviews, select_for_review
from pipeline.tone import read_tones, tone_model

from ._review_helpers import FAST, config, fake_model

runner = CliRunner()

# Two themes, three tones: each answer is hand-written so its tone is plain to a reader.
PRAISE = [
    "the officers were brilliant and kind",
    "great work, thank you to the local team",
    "really impressed, they helped me so much",
    "lovely officer, very supportive",
    "excellent response, well done",
    "thank you, the service was wonderful",
    "fantastic support from start to finish",
    "so grateful, they were amazing",
    "the team was helpful and caring",
]
COMPLAINT = [
    "the officers were rude and useless",
    "terrible response, nobody came",
    "awful, they ignored me completely",
    "disgraceful, they laughed at me",
    "useless service, waited hours for nothing",
    "appalling, nobody ever called back",
    "shocking treatment, I felt dismissed",
    "they were dismissive and rude",
    "worst experience, utterly let down",
]
REQUEST = [
    "please publish the figures each year",
    "add a section about buses",
    "could the plan include schools",
    "include a timetable for each action",
    "list the partners by name",
    "say which team leads each action",
    "the plan should cover parks",
    "add contact details for each borough",
    "publish the budget per borough",
]


def tone_corpus(path: Path, with_tone: bool = True) -> Path:
    texts = PRAISE + COMPLAINT + REQUEST
    tones = ["positive"] * 9 + ["negative"] * 9 + ["neutral"] * 9
    # Themes cut across tones: every third answer of each tone is about the plan, the others about officers.
    labels = ["plan" if i % 3 == 0 else "officers" for i in range(9)] * 3
    df = pd.DataFrame({"id": [f"t{i:02d}" for i in range(27)], "text": texts, "labels": labels})
    if with_tone:
        df["tone"] = tones
    df.to_csv(path, index=False)
    return path


# --- reading tone cells ----------------------------------------------------------------------------------


def test_read_tones_words_and_sign_rule() -> None:
    words = read_tones(["Positive", " negative", "neutral", "", "good"], IngestConfig())
    assert words.tones == ["positive", "negative", "neutral", "", ""]
    assert words.unreadable == 1 and words.examples == ["good"]
    sign = IngestConfig(tone_rule="sign")
    got = read_tones(["-3", "0", "2", "−1", "2.5", "-o", "cc", ""], sign)
    # 2.5 is not a whole number; "-o" and "cc" are not numbers; "" is empty (not counted)
    assert got.tones == ["negative", "neutral", "positive", "negative", "", "", "", ""]
    assert got.unreadable == 3
    band = read_tones(
        ["-1", "1", "-2", "2.5"], IngestConfig(tone_rule="sign", tone_neutral_band=1, tone_integers_only=False)
    )
    assert band.tones == ["neutral", "neutral", "negative", "positive"]


# --- train and label -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    tmp = tmp_path_factory.mktemp("tone")
    data = tone_corpus(tmp / "train.csv")
    model = tmp / "model"
    res = runner.invoke(app, ["train", str(data), "-o", str(model), *sum((["--set", s] for s in FAST), [])])
    assert res.exit_code == 0, res.output
    assert "tone, cross-validated" in res.output
    return model, tmp


def test_train_fits_tone_into_the_same_model_and_card(trained: tuple[Path, Path]) -> None:
    model_dir, _ = trained
    m = load_model(model_dir)
    tone = tone_model(m.pipeline)
    assert tone is not None and tone.values == ["negative", "neutral", "positive"]
    assert tone.shares_features(m.pipeline)  # one set of features, computed once when labelling
    card = m.card["tone"]
    assert card["label_counts"] == {"negative": 9, "neutral": 9, "positive": 9} and card["rows_used"] == 27
    assert card["column"] == "tone" and card["rule"] == "words"
    assert {"accuracy", "macro_f1"} <= set(card["cv_scores"])
    assert set(card["cv_baselines"]) == {"majority", "tfidf_logreg"}
    assert card["cv_baselines"]["majority"]["accuracy"]["value"] == pytest.approx(1 / 3, abs=0.01)
    labels, proba = tone.predict(["they were brilliant, thank you", "rude and useless, nobody came"])
    assert labels == ["positive", "negative"]
    assert np.allclose(proba.sum(axis=1), 1.0)


def test_label_adds_tone_after_themes_and_flags(trained: tuple[Path, Path]) -> None:
    model_dir, tmp = trained
    new = tmp / "new.csv"
    pd.DataFrame(
        {
            "id": ["n1", "n2", "n3", "n4"],
            "text": [
                "brilliant officers, thank you so much",
                "rude officers, awful and useless",
                "n/a",
                "add a section about parks",
            ],
        }
    ).to_csv(new, index=False)
    out = tmp / "new_labelled.csv"
    res = runner.invoke(app, ["label", str(new), "-o", str(out), "-m", str(model_dir), "--no-entities"])
    assert res.exit_code == 0, res.output
    assert "no tone classifier" not in res.output
    lab = pd.read_csv(out, dtype=str, keep_default_na=False)
    cols = list(lab.columns)
    assert cols[cols.index("safeguarding_reason") + 1 :] == [
        "tone",
        "p_tone_negative",
        "p_tone_neutral",
        "p_tone_positive",
        "status",
        "model_version",
    ]
    assert theme_columns(lab) == ["officers", "plan"]  # the theme columns are still found
    assert lab["tone"].tolist() == ["positive", "negative", "", "neutral"]  # "n/a" gets no tone
    p = lab[["p_tone_negative", "p_tone_neutral", "p_tone_positive"]]
    assert p.iloc[2].tolist() == ["", "", ""]
    assert abs(p.iloc[0].astype(float).sum() - 1) < 0.01


def test_model_without_tone_adds_nothing_and_says_so_once(tmp_path: Path) -> None:
    data = tone_corpus(tmp_path / "train.csv", with_tone=False)
    model = tmp_path / "m"
    res = runner.invoke(app, ["train", str(data), "-o", str(model), *sum((["--set", s] for s in FAST), [])])
    assert res.exit_code == 0, res.output
    assert load_model(model).card["tone"] is None
    out = tmp_path / "out.csv"
    res = runner.invoke(app, ["label", str(data), "-o", str(out), "-m", str(model), "--no-entities"])
    assert res.exit_code == 0, res.output
    assert res.output.count("no tone classifier") == 1
    lab = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert not [c for c in lab.columns if c.startswith("p_tone_")] and list(lab.columns).count("tone") == 0


def test_train_refuses_a_tone_column_it_cannot_read(tmp_path: Path) -> None:
    data = tone_corpus(tmp_path / "train.csv")
    df = pd.read_csv(data)
    df["tone"] = "good"
    df.to_csv(data, index=False)
    res = runner.invoke(app, ["train", str(data), "-o", str(tmp_path / "m"), *sum((["--set", s] for s in FAST), [])])
    assert res.exit_code == 1
    assert "tone" in res.output and "tone_rule" in res.output and "Traceback" not in res.output


# --- review and retrain ----------------------------------------------------------------------------------


def test_select_takes_turns_between_theme_and_tone_uncertainty() -> None:
    # thresholds 0.5: theme uncertainty = |p - 0.5|: rows 0 (0.01), 1 (0.02) least sure of the theme;
    # tone: rows 3 (top 0.40) and 2 (0.45) least sure of the tone.
    proba = np.array([[0.51], [0.52], [0.90], [0.95], [0.99]])
    tone = np.array([[0.1, 0.1, 0.8], [0.1, 0.1, 0.8], [0.45, 0.3, 0.25], [0.4, 0.35, 0.25], [0.9, 0.05, 0.05]])
    rows, rnd = select_for_review(proba, np.array([0.5]), "multilabel", 4, 0.0, 0, tone_proba=tone)
    assert rows.tolist() == [0, 3, 1, 2] and not rnd.any()
    rows, _ = select_for_review(proba, np.array([0.5]), "multilabel", 4, 0.0, 0)
    assert rows.tolist() == [0, 1, 2, 3]  # without tone: themes only


def _tone_labelled(path: Path) -> Path:
    rows = [  # id, text, p_light, tone, p_neg, p_neu, p_pos
        ("a1", "lamps are out again", 0.95, "negative", 0.90, 0.05, 0.05),
        ("a2", "thanks for the new lights", 0.60, "positive", 0.05, 0.10, 0.85),  # least sure of the theme
        ("a3", "lights in the park", 0.97, "neutral", 0.30, 0.40, 0.30),  # least sure of the tone
        ("a4", "the court was slow", 0.02, "negative", 0.80, 0.10, 0.10),
    ]
    recs = [
        {
            "id": i,
            "text": t,
            "themes": "light" if p >= 0.5 else "court",
            "p_light": p,
            "p_court": round(1 - p, 2),
            "confidence": "",
            "flag_empty": False,
            "flag_non_substantive": False,
            "flag_too_long": False,
            "duplicate_of": "",
            "flag_safeguarding": False,
            "safeguarding_reason": "",
            "tone": tone,
            "p_tone_negative": a,
            "p_tone_neutral": b,
            "p_tone_positive": c,
            "status": "labelled",
            "model_version": "v0001",
        }
        for i, t, p, tone, a, b, c in rows
    ]
    pd.DataFrame(recs).to_csv(path, index=False)
    return path


def test_review_shows_tone_takes_a_corrected_one_and_the_audit_keeps_it(tmp_path: Path) -> None:
    model = fake_model(tmp_path / "model", ["light", "court"], [0.5, 0.5])
    lab = _tone_labelled(tmp_path / "labelled.csv")
    cfg = config(tmp_path)
    out = tmp_path / "review.csv"
    res = export_for_review(lab, out, cfg, n=2, model_path=model, random_share=0.0)
    t = res.rows
    assert t["id"].tolist() == ["a2", "a3"]  # least sure of a theme, then least sure of the tone
    assert t["predicted_tone"].tolist() == ["positive 0.85", "neutral 0.40"]
    assert "least sure of the tone: neutral at 0.40" in t["why"].iloc[1]
    cols = list(t.columns)
    assert (
        cols.index("predicted_tone") < cols.index("why") and cols[cols.index("reviewed_themes") + 1] == "reviewed_tone"
    )
    df = pd.read_csv(out, dtype=str, keep_default_na=False)
    df.loc[df["id"] == "a3", ["reviewed_themes", "reviewed_tone", "reviewer"]] = ["light", "Positive", "ann"]
    df.loc[df["id"] == "a2", ["reviewed_themes", "reviewer"]] = ["light", "ann"]
    df.to_csv(out, index=False)
    imp = import_reviews(out, cfg, model_path=model)
    assert imp.added == 2
    recs = {r["answer_id"]: r for r in AuditStore(cfg.review.audit_path).records()}
    assert recs["a3"]["reviewed_tone"] == "positive" and recs["a3"]["predicted_tone"] == "neutral"
    assert recs["a2"]["reviewed_tone"] == ""  # no tone verdict given
    # a bad tone, or a tone without themes, is refused and nothing is written
    df.loc[df["id"] == "a3", "reviewed_tone"] = "happy"
    df.loc[df["id"] == "a2", ["reviewed_themes", "reviewed_tone"]] = ["", "negative"]
    df.to_csv(out, index=False)
    before = Path(cfg.review.audit_path).read_bytes()
    with pytest.raises(ConsultError) as e:
        import_reviews(out, cfg, model_path=model)
    assert "'happy' is not positive, neutral or negative" in str(e.value)
    assert "without reviewed_themes" in str(e.value)
    assert Path(cfg.review.audit_path).read_bytes() == before


def test_training_set_takes_the_reviewed_tone_over_the_base_one() -> None:
    reviews = {
        "b": {"reviewed_themes": ["x"], "reviewed_tone": "positive", "text_sha256": "", "selected_as": "uncertain"},
        "c": {"reviewed_themes": ["y"], "reviewed_tone": "", "text_sha256": "", "selected_as": "uncertain"},
        "d": {"reviewed_themes": ["x"], "reviewed_tone": "negative", "text": "new", "selected_as": "uncertain"},
    }
    ts = build_training_set(
        ["a", "b", "c"],
        ["t1", "t2", "t3"],
        ["x", "x", "x"],
        ";",
        reviews,
        0.0,
        "s",
        tones=["neutral", "negative", "neutral"],
    )
    assert dict(zip(ts.train.ids, ts.train.tones, strict=True)) == {
        "a": "neutral",  # not reviewed
        "b": "positive",  # the review corrected it
        "c": "neutral",  # reviewed themes only: the base tone stays
        "d": "negative",  # a reviewed answer not in the base data
    }


def test_retrain_learns_the_reviewed_tone(tmp_path: Path) -> None:
    tone_corpus(tmp_path / "base.csv")
    cfg = config(tmp_path, "retrain.held_out_fraction=0.0")
    store = AuditStore(cfg.review.audit_path)
    store.append(
        [
            {
                "review_key": "k1",
                "answer_id": "r1",
                "text_sha256": "x",
                "text": "they were brilliant, thank you",
                "reviewed_themes": ["officers"],
                "reviewed_tone": "positive",
                "selected_as": "uncertain",
            }
        ]
    )
    res = retrain(cfg)
    assert res.card["tone"]["label_counts"] == {"negative": 9, "neutral": 9, "positive": 10}
    assert res.card["tone"]["reviewed_tones"] == 1
    m = load_model(Path(cfg.retrain.model))
    assert tone_model(m.pipeline) is not None


# --- report ----------------------------------------------------------------------------------------------


def _report_frame() -> pd.DataFrame:
    # 10 answers: 6 about light (4 negative, 1 neutral, 1 positive), 4 about court (1 negative, 3 positive);
    # group A has 8 answers, group B 2 (suppressed with min_group_size 3, and then A too: only one is small).
    tones = ["negative"] * 4 + ["neutral", "positive"] + ["negative"] + ["positive"] * 3
    themes = ["light"] * 6 + ["court"] * 4
    texts = [f"answer {i} call Jane Smith on 07700 900123" for i in range(10)]
    flagged = [False] * 9 + [True]  # the last (positive, court) answer is flagged for safeguarding
    return pd.DataFrame(
        {
            "id": [f"r{i}" for i in range(10)],
            "text": texts,
            "group": ["A"] * 8 + ["B"] * 2,
            THEMES_COLUMN: themes,
            "p_light": [0.9 if t == "light" else 0.1 for t in themes],
            "p_court": [0.9 if t == "court" else 0.1 for t in themes],
            "confidence": 0.9,
            "flag_empty": False,
            "flag_non_substantive": False,
            "duplicate_of": "",
            "flag_safeguarding": flagged,
            "safeguarding_reason": ["", *[""] * 8, "current risk"],
            "tone": tones,
            "p_tone_negative": [0.9 if t == "negative" else 0.05 for t in tones],
            "p_tone_neutral": [0.9 if t == "neutral" else 0.05 for t in tones],
            "p_tone_positive": [0.9 if t == "positive" else 0.05 for t in tones],
            "status": "labelled",
        }
    )


def test_tone_table_shares_and_wilson_intervals() -> None:
    df = _report_frame()
    tab = an.tone_table(df, ["light", "court"], {"light": "Lighting", "court": "Courts"}).set_index("theme")
    light = tab.loc["light"]
    assert (light["answers"], light["negative"], light["neutral"], light["positive"]) == (6, 4, 1, 1)
    assert light["negative_share"] == round(4 / 6, 4)
    lo, hi = wilson_interval(4, 6)
    assert (light["negative_ci_low"], light["negative_ci_high"]) == (round(lo, 4), round(hi, 4))
    assert light["net"] == round(1 / 6 - 4 / 6, 4)
    assert tab.loc["court", "positive"] == 3 and tab.loc["court", "net"] == 0.5
    assert tab.loc[an.ALL_ANSWERS, "answers"] == 10 and tab.loc[an.ALL_ANSWERS, "negative"] == 5


def test_tone_by_group_uses_the_theme_suppression_rule() -> None:
    cfg = load_config(None, ["report.min_group_size=3"]).report
    tab = an.tone_group_table(_report_frame(), "group", cfg)
    assert set(tab["tone"]) == {"negative", "neutral", "positive"}
    # B (2 answers) is under 3, and as the only small group it takes the next smallest (A) with it
    assert tab["suppressed"].all() and set(tab["answers"]) == {"<3"}
    cfg = load_config(None, ["report.min_group_size=2"]).report
    tab = an.tone_group_table(_report_frame(), "group", cfg)
    a = tab[(tab["group"] == "A") & (tab["tone"] == "positive")].iloc[0]
    assert (a["answers"], a["count"], a["share"]) == (8, 2, 0.25)  # r5 and r7 are A's positive answers
    assert {"z", "q", "signal"} <= set(tab.columns)


def test_tone_compare_flags_a_real_change() -> None:
    cfg = load_config(None).report
    names = {"light": "Lighting"}
    before = pd.DataFrame(
        [{"theme": "light", "name": "Lighting", "answers": 200, "negative": 180, "neutral": 10, "positive": 10}]
    )
    now = pd.DataFrame(
        [{"theme": "light", "name": "Lighting", "answers": 200, "negative": 60, "neutral": 20, "positive": 120}]
    )
    tab = an.tone_compare_table(now, before, names, cfg).set_index("tone")
    assert tab.loc["negative", "change_points"] == -60.0 and tab.loc["negative", "signal"] == "down"
    assert tab.loc["positive", "signal"] == "up" and tab.loc["neutral", "signal"] == ""  # 5% → 10%: not beyond chance


def test_report_writes_tone_table_chart_and_redacted_quotes_by_tone(tmp_path: Path) -> None:
    df = _report_frame()
    cfg = load_config(
        None, ['report.quotes_by_tone=["positive"]', "report.redact_with_ner=false", "report.min_group_size=2"]
    )
    rep = build_report(df, cfg, by=["group"], nlp=None)
    assert rep.tone is not None and "group" in rep.tone_groups
    q = rep.tone_quotes
    assert q is not None and set(q["tone"]) == {"positive"}
    # the positive answers are r5 (light), r7 and r8 (court); r9 is flagged for safeguarding and never quoted
    assert sorted(q["id"]) == ["r5", "r7", "r8"]
    assert not q["quote"].str.contains("07700|Jane Smith").any()
    lab = tmp_path / "lab.csv"
    df.to_csv(lab, index=False)
    out = tmp_path / "rep"
    report_file(lab, out, config=cfg, by=["group"], compare=lab)
    assert (out / "charts" / "tone_by_theme.png").is_file()
    for f in ("tone_by_theme.csv", "tone_by_group.csv", "tone_compare.csv", "tone_quotes.csv"):
        assert (out / f).is_file(), f
    html = (out / "report.html").read_text(encoding="utf-8")
    assert 'id="tone"' in html and 'data-chart="tone_by_theme"' in html
    assert "07700" not in html
    same = pd.read_csv(out / "tone_compare.csv")
    assert (same["change_points"] == 0).all() and same["signal"].isna().all()  # the same round twice


def test_report_without_tone_has_no_tone_section(tmp_path: Path) -> None:
    df = _report_frame().drop(columns=["tone", "p_tone_negative", "p_tone_neutral", "p_tone_positive"])
    rep = build_report(df, load_config(None, ["report.redact_with_ner=false"]), nlp=None)
    assert rep.tone is None and "tone_by_theme" not in rep.tables()
    with pytest.raises(ConsultError, match="no tone"):
        build_report(df, load_config(None, ['report.quotes_by_tone=["negative"]', "report.redact_with_ner=false"]))


def test_json_card_is_plain(trained: tuple[Path, Path]) -> None:
    card = json.loads((trained[0] / CARD_FILE).read_text(encoding="utf-8"))
    assert card["tone"]["values"] == ["negative", "neutral", "positive"]
