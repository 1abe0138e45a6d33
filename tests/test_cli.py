"""The CLI end to end on tiny inline data, with Typer's CliRunner."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.modelstore import CARD_FILE, MODEL_FILE
from pipeline.taxonomy import theme_key

from .conftest import ROOT
from .test_classify import COURT, LIGHT, PATROL

runner = CliRunner()
FAST = ["--set", "model.cv_folds=3", "--set", "model.c_grid=[1.0]", "--set", "model.bootstrap=50"]


def run(*args: str | Path) -> tuple[int, str]:
    res = runner.invoke(app, [str(a) for a in args])
    return res.exit_code, res.output


def write_labelled(p: Path) -> Path:
    texts = (
        LIGHT
        + PATROL
        + COURT
        + ["dark streets and no patrols at night", "the court delay and no police patrols", "n/a"]
    )
    labels = ["light"] * 9 + ["patrol"] * 9 + ["court"] * 9 + ["light;patrol", "court;patrol", ""]
    pd.DataFrame({"id": [f"r{i}" for i in range(len(texts))], "text": texts, "labels": labels}).to_csv(p, index=False)
    return p


@pytest.fixture
def labelled(tmp_path: Path) -> Path:
    return write_labelled(tmp_path / "train.csv")


@pytest.fixture
def new_answers(tmp_path: Path) -> Path:
    p = tmp_path / "new.csv"
    pd.DataFrame(
        {
            "id": ["n1", "n2", "n3", "n4", "n5"],
            "text": [
                "Lamps out in the park by Brixton",
                "",
                "no comment",
                "More officers on patrol in Hackney please",
                "The CPS took two years to decide",
            ],
            "borough": ["Lambeth", "Hackney", "", "Hackney", "Camden"],
        }
    ).to_csv(p, index=False)
    return p


@pytest.fixture(scope="module")
def trained_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One `consult train` run for the module (the tests that check training itself train their own)."""
    d = tmp_path_factory.mktemp("cli_model")
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(ROOT)
        code, text = run("train", write_labelled(d / "train.csv"), "-o", d / "model", *FAST)
    assert code == 0, text
    return d / "model"


@pytest.fixture
def model(tmp_path: Path, trained_model: Path) -> Path:
    """The module's model, copied: a test may change or break its copy."""
    return Path(shutil.copytree(trained_model, tmp_path / "model"))


def test_help_lists_every_command() -> None:
    code, text = run("--help")
    assert code == 0
    for cmd in ("validate", "clean", "entities", "train", "label", "evaluate", "report", "demo"):
        assert cmd in text


def test_validate(labelled: Path) -> None:
    code, text = run("validate", labelled, "--json")
    assert code == 0
    rep = json.loads(text)
    assert rep["rows"] == 30 and rep["labelled_rows"] == 29 and rep["encoding"] == "utf-8"


def test_train_writes_model_and_card(model: Path, labelled: Path) -> None:
    card = json.loads((model / CARD_FILE).read_text())
    assert card["themes"] == ["court", "light", "patrol"] and card["mode"] == "multilabel"
    for key in (
        "created",
        "versions",
        "thresholds",
        "config",
        "cv_scores",
        "cv_baselines",
        "training_data",
        "model_sha256",
    ):
        assert key in card
    assert card["training_data"]["rows"] == 30 and card["training_data"]["rows_used"] == 29
    assert len(card["training_data"]["sha256"]) == 64
    assert card["versions"]["scikit-learn"]


def test_label_keeps_every_row_and_column(model: Path, new_answers: Path, tmp_path: Path) -> None:
    out = tmp_path / "labelled.xlsx"
    code, text = run("label", new_answers, "-o", out, "--model", model)
    assert code == 0, text
    df = pd.read_excel(out, dtype=str, keep_default_na=False)
    assert df["id"].tolist() == ["n1", "n2", "n3", "n4", "n5"]
    assert df["borough"].tolist() == ["Lambeth", "Hackney", "", "Hackney", "Camden"]
    assert df["status"].tolist() == ["labelled", "empty", "non_substantive", "labelled", "labelled"]
    assert df.loc[0, "themes"] == "light" and "patrol" in df.loc[3, "themes"] and "court" in df.loc[4, "themes"]
    assert df.loc[1, "themes"] == "" and df.loc[2, "themes"] == ""
    assert {"p_court", "p_light", "p_patrol", "confidence", "entities", "model_version"} <= set(df.columns)
    assert "BOROUGH:Hackney" in df.loc[3, "entities"]


def test_label_and_redact_take_column_names_in_another_case(model: Path, tmp_path: Path) -> None:
    src = tmp_path / "survey.csv"
    pd.DataFrame(
        {"Response ID": ["R1", "R2"], "Your Feedback": ["Lamps out by Brixton, ask DC Okafor", "More patrols"]}
    ).to_csv(src, index=False)
    before = src.read_bytes()
    names = ["--text-column", "your feedback", "--id-column", "response id"]
    code, text = run("label", src, "-o", tmp_path / "l.csv", "--model", model, "--no-entities", *names)
    assert code == 0, text
    assert pd.read_csv(tmp_path / "l.csv", dtype=str)["Response ID"].tolist() == ["R1", "R2"]
    code, text = run("redact", src, "-o", tmp_path / "r.csv", *names)
    assert code == 0, text
    out = pd.read_csv(tmp_path / "r.csv", dtype=str)
    assert out.columns.tolist() == ["Response ID", "Your Feedback"] and out["Response ID"].tolist() == ["R1", "R2"]
    assert out.loc[0, "Your Feedback"] == "Lamps out by Brixton, ask DC [name]"
    assert src.read_bytes() == before


@pytest.mark.parametrize("ext", [".csv", ".jsonl", ".parquet"])
def test_label_output_formats(model: Path, new_answers: Path, tmp_path: Path, ext: str) -> None:
    out = tmp_path / f"labelled{ext}"
    code, text = run("label", new_answers, "-o", out, "--model", model, "--no-entities")
    assert code == 0, text
    from pipeline.tables import read_table

    df, _ = read_table(out)
    assert df["id"].tolist() == ["n1", "n2", "n3", "n4", "n5"]


def test_evaluate_and_report(model: Path, labelled: Path, new_answers: Path, tmp_path: Path) -> None:
    js = tmp_path / "eval.json"
    code, text = run("evaluate", model, labelled, "--json", js)
    assert code == 0, text
    res = json.loads(js.read_text())
    for k in ("micro_f1", "macro_f1", "samples_f1"):
        assert 0 <= res["model_scores"][k]["value"] <= 1
    assert {r["theme"] for r in res["model_scores"]["per_theme"]} == {"court", "light", "patrol"}
    assert set(res["baselines"]) == {"majority", "tfidf_logreg"}
    assert 0 <= res["calibration"]["ece"] <= 1 and "expected calibration error" in text
    out = tmp_path / "labelled.csv"
    assert run("label", new_answers, "-o", out, "--model", model, "--no-entities")[0] == 0
    code, text = run("report", out, "-o", tmp_path / "rep")
    assert code == 0, text
    counts = pd.read_csv(tmp_path / "rep" / "theme_counts.csv")
    assert counts["count"].sum() >= 3 and set(counts["theme"]) == {"court", "light", "patrol"}
    assert counts["share"].tolist() == pytest.approx((counts["count"] / 3).tolist(), abs=1e-4)  # 3 substantive


def test_clean_and_entities_commands(new_answers: Path, tmp_path: Path) -> None:
    code, text = run("clean", new_answers, "-o", tmp_path / "c.csv")
    assert code == 0, text
    c = pd.read_csv(tmp_path / "c.csv", keep_default_na=False)
    assert c["flag_non_substantive"].tolist() == [False, False, True, False, False]
    code, text = run("entities", new_answers, "-o", tmp_path / "e.jsonl")
    assert code == 0, text
    e = pd.read_json(tmp_path / "e.jsonl", lines=True)
    assert "STATION:Brixton" in e.loc[0, "entities"]


def _assert_clean_failure(code: int, text: str, *words: str) -> None:
    assert code == 1, text
    assert "Traceback" not in text
    assert text.count("Error:") == 1
    for w in words:
        assert w in text, text


def test_errors_are_one_line_exit_1_and_write_nothing(
    tmp_path: Path, labelled: Path, new_answers: Path, model: Path
) -> None:
    out = tmp_path / "out.csv"
    _assert_clean_failure(*run("label", tmp_path / "missing.csv", "-o", out, "--model", model), "not found")
    # Square brackets in names are text, not console markup.
    _assert_clean_failure(*run("label", tmp_path / "answers[bold].csv", "-o", out, "--model", model), "[bold].csv")
    themed = tmp_path / "themed.csv"
    pd.DataFrame({"id": ["1", "2"], "text": ["x", "y"], "a": ["1", "[/b]"]}).to_csv(themed, index=False)
    _assert_clean_failure(*run("train", themed, "--theme-column", "a", "-o", tmp_path / "m4", *FAST), "'[/b]'")
    _assert_clean_failure(
        *run("label", new_answers, "-o", tmp_path / "out.docx", "--model", model), "Unknown file format"
    )
    _assert_clean_failure(
        *run("label", new_answers, "-o", out, "--model", model, "--text-column", "answer"),
        "no text column",
        "--text-column",
    )
    _assert_clean_failure(*run("label", new_answers, "-o", out, "--model", tmp_path), "not a consult model directory")
    unlabelled = tmp_path / "unlab.csv"
    pd.DataFrame({"id": ["1"], "text": ["x"], "labels": [""]}).to_csv(unlabelled, index=False)
    _assert_clean_failure(*run("train", unlabelled, "-o", tmp_path / "m2", *FAST), "no labelled rows")
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    _assert_clean_failure(*run("validate", empty), "empty")
    _assert_clean_failure(*run("train", labelled, "-o", tmp_path / "m3", "--set", "model.nope=1"), "model.nope")
    assert not out.exists() and not (tmp_path / "m2").exists() and not (tmp_path / "m3").exists()
    assert not list(tmp_path.glob(".*.tmp"))


def test_label_refuses_to_overwrite_its_input(model: Path, new_answers: Path) -> None:
    before = new_answers.read_bytes()
    _assert_clean_failure(*run("label", new_answers, "-o", new_answers, "--model", model), "is the input")
    assert new_answers.read_bytes() == before


def test_tampered_model_is_refused(model: Path, new_answers: Path, tmp_path: Path) -> None:
    with open(model / MODEL_FILE, "ab") as f:
        f.write(b"\0")
    _assert_clean_failure(*run("label", new_answers, "-o", tmp_path / "o.csv", "--model", model), "SHA-256")


def test_other_sklearn_version_is_refused(model: Path, new_answers: Path, tmp_path: Path) -> None:
    card = json.loads((model / CARD_FILE).read_text())
    card["versions"]["scikit-learn"] = "0.24.2"
    (model / CARD_FILE).write_text(json.dumps(card))
    _assert_clean_failure(*run("label", new_answers, "-o", tmp_path / "o.csv", "--model", model), "scikit-learn 0.24.2")


def test_unknown_theme_against_taxonomy(labelled: Path, tmp_path: Path) -> None:
    tax = tmp_path / "t.yaml"
    tax.write_text("themes:\n  - id: light\n  - id: patrol\n", encoding="utf-8")
    _assert_clean_failure(*run("train", labelled, "-o", tmp_path / "m", "--taxonomy", tax, *FAST), "'court'")


def test_train_and_label_german_with_a_blank_spacy_pipeline(tmp_path: Path) -> None:
    licht = [
        "Im Park gibt es nachts kein Licht",
        "Die Straßenlaternen sind kaputt",
        "Mehr Beleuchtung am Bahnhof bitte",
        "Die Unterführung ist stockdunkel",
        "Dunkle Gassen machen mir Angst",
        "Die Laternen im Viertel gehen nicht",
    ]
    streife = [
        "Man sieht nie Polizisten auf Streife",
        "Wir brauchen mehr Fußstreifen",
        "Die Wache wurde geschlossen",
        "Am Wochenende sollte die Polizei präsent sein",
        "Streifenwagen kommen nie in unsere Straße",
        "Mehr Beamte auf der Straße",
    ]
    texts = licht + streife + ["Dunkle Straßen und keine Streife", "Kein Licht und keine Polizei im Park"]
    labels = ["licht"] * 6 + ["streife"] * 6 + ["licht;streife"] * 2
    data = tmp_path / "de.csv"
    pd.DataFrame({"id": range(len(texts)), "text": texts, "labels": labels}).to_csv(data, index=False)
    model = tmp_path / "m"
    de = ["--set", 'entities.spacy_model="blank:de"']
    code, text = run("train", data, "-o", model, *FAST, *de)
    assert code == 0, text
    assert json.loads((model / CARD_FILE).read_text())["language"] == "de"
    new = tmp_path / "neu.csv"
    answers = ["Die Laternen sind aus", "Mehr Polizei auf Streife", "Nichts.", "k.A."]
    pd.DataFrame({"id": ["a", "b", "c", "d"], "text": answers}).to_csv(new, index=False)
    out = tmp_path / "out.csv"
    code, text = run("label", new, "-o", out, "-m", model, *de)
    assert code == 0, text
    labelled = pd.read_csv(out, keep_default_na=False)
    themes = labelled["themes"].tolist()
    assert themes[0].startswith("licht") and "streife" in themes[1]
    # German answers that say nothing are flagged by the model's language, not labelled.
    assert labelled["status"].tolist() == ["labelled", "labelled", "non_substantive", "non_substantive"]
    assert "no built-in phrases" not in text


def test_language_without_built_in_phrases_is_noted_and_bad_patterns_refused(tmp_path: Path) -> None:
    data = tmp_path / "pl.csv"
    pd.DataFrame({"id": [1, 2, 3], "text": ["Nie wiem", "-", "Więcej patroli w parku"]}).to_csv(data, index=False)
    pl = ["--set", 'entities.spacy_model="blank:pl"']
    code, text = run("clean", data, "-o", tmp_path / "c.csv", *pl)
    assert code == 0 and "no built-in phrases" in text and "'pl'" in text
    assert pd.read_csv(tmp_path / "c.csv")["flag_non_substantive"].tolist() == [False, True, False]
    own = ["--set", 'clean.non_substantive=["nie wiem"]']
    code, text = run("clean", data, "-o", tmp_path / "c2.csv", *pl, *own)
    assert code == 0 and "no built-in phrases" not in text
    assert pd.read_csv(tmp_path / "c2.csv")["flag_non_substantive"].tolist() == [True, True, False]  # "-" always
    bad = ["--set", 'clean.non_substantive=["(nie"]']
    _assert_clean_failure(*run("clean", data, "-o", tmp_path / "c3.csv", *bad), "not a regular expression")
    assert not (tmp_path / "c3.csv").exists()


def test_help_shows_config_keys_in_brackets() -> None:
    code, text = run("train", "--help")
    assert code == 0 and "[config: ingest.labels_column" in text and "[config: ingest.text_column" in text


def test_train_and_evaluate_on_theme_indicator_columns(labelled: Path, tmp_path: Path) -> None:
    df = pd.read_csv(labelled, keep_default_na=False)
    wide = df[["id", "text"]].copy()
    for theme in ("light", "patrol", "court"):
        wide[theme] = [int(theme in cell.split(";")) for cell in df["labels"]]
    wide["score"] = 7  # not a theme column: left out of the range
    p = tmp_path / "wide.csv"
    wide.to_csv(p, index=False)
    out = tmp_path / "wide_model"
    code, text = run("train", p, "-o", out, "--theme-column", "light..court", *FAST)
    assert code == 0, text
    card = json.loads((out / CARD_FILE).read_text())
    assert sorted(card["themes"]) == ["court", "light", "patrol"] and card["mode"] == "multilabel"
    code, text = run("evaluate", out, p, "--theme-column", "light..court")
    assert code == 0, text
    code, text = run("train", p, "-o", tmp_path / "bad", "--theme-column", "light..score", *FAST)
    assert code == 1 and "not a theme indicator" in text and "Traceback" not in text
    assert not (tmp_path / "bad").exists()


def test_a_question_column_lets_the_model_read_an_answer_by_its_question(tmp_path: Path) -> None:
    # The same words are praise under one question and a request under the other: text alone cannot tell.
    topics = ["patrols in the park", "street lighting", "the local station", "officers on foot", "the online form"]
    good, change = "What works well?", "What should change?"
    rows = [
        (f"{t}{end}", q, "works" if q == good else "change")
        for t in topics
        for end in ["", " mostly", " I think", " for me"]
        for q in (good, change)
    ]
    data = tmp_path / "asked.csv"
    pd.DataFrame(rows, columns=["text", "question", "labels"]).rename_axis("id").to_csv(data)
    model = tmp_path / "m"
    few = ["--set", "model.question_min_answers=5"]
    code, text = run("train", data, "-o", model, *FAST, *few)
    assert code == 0, text
    assert "per question, for 2 question(s)" in text
    assert json.loads((model / CARD_FILE).read_text())["questions"] == sorted([good, change])
    new = tmp_path / "new.csv"
    pd.DataFrame(
        {
            "id": [1, 2, 3],
            "text": ["street lighting"] * 2 + ["the local station"],
            "question": [good, change, "Anything else?"],
        }
    ).to_csv(new, index=False)
    out = tmp_path / "out.csv"
    code, text = run("label", new, "-o", out, "-m", model)
    assert code == 0, text
    assert "1 of 3 answers respond to a question the model was not trained on" in text
    themes = pd.read_csv(out, keep_default_na=False)["themes"].tolist()
    assert themes[:2] == ["works", "change"] and themes[2] in ("works", "change")  # an unseen question: text alone
    code, text = run("evaluate", model, data)
    assert code == 0, text
    # A model that reads questions refuses a file without them, rather than labelling it half-blind.
    pd.DataFrame({"id": [1], "text": ["street lighting"]}).to_csv(tmp_path / "bare.csv", index=False)
    _assert_clean_failure(
        *run("label", tmp_path / "bare.csv", "-o", tmp_path / "o2.csv", "-m", model), "no question column"
    )
    assert not (tmp_path / "o2.csv").exists()
    # The column can be named, and ignored.
    pd.DataFrame({"id": [1], "text": ["street lighting"], "asked": [change]}).to_csv(
        tmp_path / "named.csv", index=False
    )
    code, text = run(
        "label", tmp_path / "named.csv", "-o", tmp_path / "o3.csv", "-m", model, "--question-column", "asked"
    )
    assert code == 0, text
    assert pd.read_csv(tmp_path / "o3.csv", keep_default_na=False)["themes"].tolist() == ["change"]
    code, text = run("train", data, "-o", tmp_path / "m2", *FAST, "--question-column", "")
    assert code == 0 and "per question" not in text
    assert json.loads((tmp_path / "m2" / CARD_FILE).read_text())["questions"] == []


def test_theme_names_are_compared_in_nfc_and_separators_in_names_accepted(tmp_path: Path) -> None:
    import unicodedata

    texts = [*LIGHT, *PATROL]
    nfc = "Präsenz"
    nfd = unicodedata.normalize("NFD", nfc)
    assert nfd != nfc
    labels = ["licht"] * len(LIGHT) + [nfc if i % 2 else nfd for i in range(len(PATROL))]
    data = tmp_path / "d.csv"
    pd.DataFrame({"id": range(len(texts)), "text": texts, "labels": labels}).to_csv(data, index=False)
    code, text = run("train", data, "-o", tmp_path / "m", *FAST)
    assert code == 0, text
    assert json.loads((tmp_path / "m" / CARD_FILE).read_text())["themes"] == ["Präsenz", "licht"]
    code, text = run("evaluate", tmp_path / "m", data, "--json", tmp_path / "ev.json", *FAST)
    assert code == 0, text
    assert '"Präsenz"' in (tmp_path / "ev.json").read_text(encoding="utf-8")  # readable, not \u00e4
    # A name with a comma is a theme like any other: stored under its key, its name kept in the card.
    comma = tmp_path / "comma.csv"
    labels = ["licht"] * len(LIGHT) + ["Preise, Tarife"] * len(PATROL)
    pd.DataFrame({"id": range(len(texts)), "text": texts, "labels": labels}).to_csv(comma, index=False)
    code, text = run("train", comma, "-o", tmp_path / "m2", *FAST)
    assert code == 0, text
    card = json.loads((tmp_path / "m2" / CARD_FILE).read_text())
    key = theme_key("Preise, Tarife")
    assert key in card["themes"] and card["theme_names"][key] == "Preise, Tarife"


def test_a_language_spacy_cannot_tokenise_is_one_clear_error(labelled: Path, tmp_path: Path) -> None:
    import importlib.util

    code, text = run("train", labelled, "-o", tmp_path / "m", *FAST, "--set", 'entities.spacy_model="blank:zz"')
    _assert_clean_failure(code, text, "spaCy has no language 'zz'")
    if importlib.util.find_spec("sudachipy") is None:  # spaCy's Japanese tokenizer needs it
        code, text = run("train", labelled, "-o", tmp_path / "m", *FAST, "--set", 'entities.spacy_model="blank:ja"')
        _assert_clean_failure(code, text, "spaCy cannot tokenise language 'ja'", "model.tokenizer=regex")
    assert not (tmp_path / "m").exists()


def test_output_paths_are_checked_before_any_work(
    tmp_path: Path, labelled: Path, new_answers: Path, model: Path
) -> None:
    (tmp_path / "adir.csv").mkdir()
    (tmp_path / "afile").write_text("x")
    for cmd in (["clean", new_answers], ["label", new_answers, "--model", model]):
        _assert_clean_failure(*run(*cmd, "-o", tmp_path / "adir.csv"), "is a folder")
        _assert_clean_failure(*run(*cmd, "-o", tmp_path / "afile" / "out.csv"), "is a file, not a folder")
    _assert_clean_failure(*run("label", new_answers, "-o", "/proc/out.csv", "--model", model), "not writable")
    lab = tmp_path / "lab.csv"
    assert run("label", new_answers, "-o", lab, "--model", model)[0] == 0
    _assert_clean_failure(*run("report", lab, "-o", "/proc/rep"), "not writable")
    _assert_clean_failure(*run("report", lab, "-o", tmp_path / "afile" / "rep"), "is a file, not a folder")
    # evaluate --json never overwrites its data or the model's own files
    for target in (labelled, model / CARD_FILE):
        before = target.read_bytes()
        _assert_clean_failure(*run("evaluate", model, labelled, "--json", target, *FAST), "is the input")
        assert target.read_bytes() == before


def test_train_never_deletes_what_else_is_in_the_model_folder(tmp_path: Path, labelled: Path, model: Path) -> None:
    import shutil

    folder = tmp_path / "m"
    shutil.copytree(model, folder)
    (folder / "NOTES.txt").write_text("keep me")
    _assert_clean_failure(*run("train", labelled, "-o", folder, *FAST), "holds files besides the model", "NOTES.txt")
    (folder / "NOTES.txt").unlink()
    data = folder / "train.csv"
    shutil.copy(labelled, data)
    _assert_clean_failure(*run("train", data, "-o", folder, *FAST), "is inside the model folder")
    assert data.is_file()


def test_outputs_get_the_usual_permissions(tmp_path: Path, new_answers: Path) -> None:
    import os

    umask = os.umask(0o022)
    try:
        assert run("clean", new_answers, "-o", tmp_path / "c.csv")[0] == 0
    finally:
        os.umask(umask)
    assert (tmp_path / "c.csv").stat().st_mode & 0o777 == 0o644  # not mkstemp's private 0600


def test_xlsx_output_refuses_a_cell_excel_would_cut(tmp_path: Path, model: Path) -> None:
    long = tmp_path / "long.csv"
    pd.DataFrame({"id": ["1", "2"], "text": ["x " * 20000, "the street lights are out"]}).to_csv(long, index=False)
    _assert_clean_failure(*run("label", long, "-o", tmp_path / "o.xlsx", "--model", model), "more than an Excel cell")
    assert not (tmp_path / "o.xlsx").exists()
    assert run("label", long, "-o", tmp_path / "o.csv", "--model", model)[0] == 0  # CSV keeps every character


def test_demo_checks_its_data_before_training(tmp_path: Path, model: Path) -> None:
    import shutil

    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(Path("data/consultation_labelled.csv"), data)  # consultation_new.csv is missing
    m = tmp_path / "m"
    shutil.copytree(model, m)
    before = (m / MODEL_FILE).read_bytes()
    _assert_clean_failure(
        *run("demo", "--data", data, "-m", m, "-o", tmp_path / "out"), "consultation_new.csv not found"
    )
    assert (m / MODEL_FILE).read_bytes() == before  # the model was not retrained


def test_evaluate_refuses_themes_the_model_lacks_and_names_those_left_out(tmp_path: Path) -> None:
    texts = [*LIGHT, *PATROL, "the magistrates postponed my hearing again"]
    labels = ["licht"] * len(LIGHT) + ["streife"] * len(PATROL) + ["gericht"]  # one answer: left out
    data = tmp_path / "d.csv"
    pd.DataFrame({"id": range(len(texts)), "text": texts, "labels": labels}).to_csv(data, index=False)
    assert run("train", data, "-o", tmp_path / "m", *FAST)[0] == 0
    code, text = run("evaluate", tmp_path / "m", data, *FAST)
    _assert_clean_failure(code, text, "themes not in the model: 'gericht' (1 rows)", "left out in training")
