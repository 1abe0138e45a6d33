"""The safeguarding flag: clear and hard cases, where flagged answers go (label, review, report, the lead's list)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.report import build_report
from pipeline.safeguarding import REASONS, assess, flag_answers

from ._review_helpers import fake_model

CLEAR = [
    ("he reads every message I send and I have to ask before I see my mum", "ongoing_abuse"),
    ("my ex keeps turning up outside my work and messaging me from new numbers every day", "stalking"),
    ("He said he'd kill me if I ever left him, and he means it.", "threat"),
    ("my 13 year old is getting messages from an older man who sends her gift cards", "child_at_risk"),
    ("I work in a nail bar where the owner keeps our passports and we can't leave", "exploitation"),
    ("some nights i think about ending it", "self_harm"),
    ("hes outside rite now banging on the door", "danger_now"),
]
HARD_NEGATIVES = [
    "My ex was abusive ten years ago. He was convicted and I'm safe now; the court process was the worst part.",
    "Coercive control laws should be enforced properly and refuges need more funding.",
    "I'm scared walking home at night through the park; please light it.",
    "If my daughter were being groomed online I wouldn't know who to call.",
    "Two women a week are killed by a partner or ex-partner in England and Wales.",
    "When I reported my stalker in 2019 the officer laughed at me. He was later convicted.",
    "More patrols on the night buses please.",
]


@pytest.mark.parametrize(("text", "reason"), CLEAR)
def test_clear_disclosures_are_flagged_with_their_reason(text: str, reason: str) -> None:
    [a] = flag_answers([text])
    assert a.flag, text
    assert a.reason in REASONS


@pytest.mark.parametrize(("text", "reason"), CLEAR)
def test_rules_alone_name_the_reason(text: str, reason: str) -> None:
    a = assess(text)
    assert (a.flag, a.reason) == (True, reason)


@pytest.mark.parametrize("text", HARD_NEGATIVES)
def test_hard_negatives_are_not_flagged(text: str) -> None:
    [a] = flag_answers([text])
    assert not a.flag, (text, a)


# Real NHS comments the classifier alone flagged at 0.5 <= p < 0.7: no word of harm, fear, control or contact.
ORDINARY = [
    "I can't think of anything.",
    "I liked it here felt cared for",
    "No, all nurses have been brilliant and the service has been wonderful.",
    "I don't think there is",
]


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_answers_without_a_word_of_harm_are_not_flagged(text: str) -> None:
    [a] = flag_answers([text])
    assert not a.flag, (text, a)


def test_blank_answers_are_never_flagged() -> None:
    assert [a.flag for a in flag_answers(["", "   "])] == [False, False]


def _labelled(path: Path) -> Path:
    rows = [
        ("a1", "street lights broken on my road", 0.9, 0.1, False, ""),
        ("a2", "he reads every message I send and I have to ask before I see my mum", 0.6, 0.3, True, "ongoing_abuse"),
        ("a3", "the court took two years", 0.1, 0.9, False, ""),
        ("a4", "lights out near the court", 0.55, 0.52, False, ""),
    ]
    pd.DataFrame(
        [
            {
                "id": i,
                "text": t,
                "themes": ";".join(x for x, p in (("light", pl), ("court", pc)) if p >= 0.5),
                "p_light": pl,
                "p_court": pc,
                "confidence": 0.5,
                "flag_empty": False,
                "flag_non_substantive": False,
                "flag_too_long": False,
                "duplicate_of": "",
                "flag_safeguarding": f,
                "safeguarding_reason": r,
                "status": "labelled",
                "model_version": "v0001",
            }
            for i, t, pl, pc, f, r in rows
        ]
    ).to_csv(path, index=False)
    return path


def test_review_export_puts_every_flagged_answer_first_whatever_n(tmp_path: Path) -> None:
    model = fake_model(tmp_path / "model", ["light", "court"], [0.5, 0.5])
    lab = _labelled(tmp_path / "labelled.csv")
    res = CliRunner().invoke(
        app,
        ["review", "export", str(lab), "-n", "1", "-o", str(tmp_path / "r.csv"), "-m", str(model),
         "--audit", str(tmp_path / "audit.jsonl")],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    out = pd.read_csv(tmp_path / "r.csv", dtype=str, keep_default_na=False)
    assert list(out["id"]) == ["a2", "a4"]
    assert list(out["selected_as"]) == ["safeguarding", "uncertain"]
    assert "reads every message" in out.loc[0, "text"]  # reviewers read the full text


def test_report_counts_flagged_answers_and_never_quotes_them(tmp_path: Path) -> None:
    from pipeline.config import Config

    cfg = Config()
    cfg.report.redact_with_ner = False
    cfg.report.quote_min_probability = 0.0
    df = pd.read_csv(_labelled(tmp_path / "l.csv"), dtype=str, keep_default_na=False)
    rep = build_report(df, cfg)
    prov = dict(zip(rep.provenance["field"], rep.provenance["value"], strict=True))
    assert prov["safeguarding_flagged"] == "1"
    assert prov["safeguarding_by_reason"] == "ongoing_abuse: <10"
    assert "a2" not in set(rep.quotes["id"])
    assert not rep.quotes["quote"].str.contains("every message").any()


def test_safeguarding_command_lists_flagged_answers_in_full(tmp_path: Path) -> None:
    lab = _labelled(tmp_path / "labelled.csv")
    res = CliRunner().invoke(app, ["safeguarding", str(lab), "-o", str(tmp_path / "lead.csv")])
    assert res.exit_code == 0, res.output
    out = pd.read_csv(tmp_path / "lead.csv", dtype=str)
    assert list(out.columns) == ["id", "reason", "text"]
    assert out.to_dict("records") == [
        {
            "id": "a2",
            "reason": "ongoing_abuse",
            "text": "he reads every message I send and I have to ask before I see my mum",
        }
    ]


def test_safeguarding_list_reads_parquet_in_chunks_with_its_progress(tmp_path: Path) -> None:
    from pipeline.config import load_config
    from pipeline.safeguarding import safeguarding_file

    lab = pd.read_csv(_labelled(tmp_path / "labelled.csv"), dtype=str, keep_default_na=False)
    lab.assign(borough="Hackney").to_parquet(tmp_path / "labelled.parquet", index=False)
    seen: list[tuple[str, int | None, int]] = []

    class Recorder:
        def stage(self, name: str, total: int | None) -> None:
            seen.append((name, total, 0))

        def tick(self, n: int) -> None:
            name, total, done = seen[-1]
            seen[-1] = (name, total, done + n)

    out = safeguarding_file(
        tmp_path / "labelled.parquet", tmp_path / "lead.csv", load_config(None, []), progress=Recorder()
    )  # type: ignore[arg-type]
    assert out["id"].tolist() == ["a2"] and list(out.columns) == ["id", "reason", "text"]
    assert seen == [("reading", len(lab), len(lab))]


def test_safeguarding_command_refuses_an_unlabelled_file(tmp_path: Path) -> None:
    f = tmp_path / "a.csv"
    f.write_text("id,text\n1,hello\n")
    res = CliRunner().invoke(app, ["safeguarding", str(f), "-o", str(tmp_path / "o.csv")])
    assert res.exit_code == 1
    assert "flag_safeguarding" in res.output and "Traceback" not in res.output
    assert not (tmp_path / "o.csv").exists()


def test_classifier_is_trained_once_and_then_loaded_from_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pipeline import safeguarding as sg

    monkeypatch.setenv("CONSULT_CACHE", str(tmp_path))
    sg._models.cache_clear()
    try:
        first = sg._models()
        [cached] = (tmp_path / "safeguarding").glob("models-*.joblib")

        def no_training() -> None:
            raise AssertionError("trained again although the cache holds the fitted models")

        monkeypatch.setattr(sg, "_fit_models", no_training)
        sg._models.cache_clear()
        again = sg._models()  # a new process would do the same: load, not train
        texts = [sg.normalise(t) for t, _ in CLEAR] + [sg.normalise(t) for t in HARD_NEGATIVES]
        assert (first[0].predict_proba(texts) == again[0].predict_proba(texts)).all()
        cached.write_bytes(b"not a model")  # a damaged cache file is trained over, not trusted
        monkeypatch.undo()
        monkeypatch.setenv("CONSULT_CACHE", str(tmp_path))
        sg._models.cache_clear()
        assert (sg._models()[0].predict_proba(texts) == first[0].predict_proba(texts)).all()
    finally:
        sg._models.cache_clear()


def test_fast_character_features_equal_the_vectorisers_own() -> None:
    from pipeline import safeguarding as sg

    flag_model, _ = sg._models()
    texts = [t for t, _ in CLEAR] + HARD_NEGATIVES + ["", "   ", "a", "Ünïcode wörds  and\ttabs\nnewlines", "x" * 3000]
    norm = [sg.normalise(t) for t in texts]
    want = flag_model[0].transform(norm).tocsr()
    got = sg._features(flag_model, norm)
    assert (want != got).nnz == 0
    assert (flag_model.predict_proba(norm) == flag_model[-1].predict_proba(got)).all()
