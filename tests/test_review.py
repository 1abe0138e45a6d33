"""Review export and import: selection order, the random slice, validation, the audit store."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.errors import ConsultError
from pipeline.review import AuditStore, export_for_review, import_reviews, select_for_review, uncertainty

from ._review_helpers import config, fake_model, labelled_file

runner = CliRunner()

ROWS = [  # id, text, p_light, p_court, duplicate_of, status; thresholds are 0.5 for both themes
    ("a1", "lamps flicker near the court", 0.52, 0.10, "", "labelled"),  # 0.02 from a threshold
    ("a2", "no street lights at all", 0.95, 0.05, "", "labelled"),  # 0.45
    ("a3", "the trial and the dark car park", 0.30, 0.45, "", "labelled"),  # 0.05
    ("a4", "=lights and courts both bad", 0.70, 0.80, "", "labelled"),  # 0.20; looks like a formula
    ("a5", "lamps flicker near the court", 0.51, 0.10, "a1", "labelled"),  # a campaign copy of a1
    ("a6", "", 0.0, 0.0, "", "empty"),
    ("a7", "lights out and the CPS slow", 0.90, 0.60, "", "labelled"),  # 0.10
    ("a8", "the park is pitch black", 0.99, 0.01, "", "labelled"),  # 0.49
]


@pytest.fixture
def setup(tmp_path: Path) -> tuple[Path, Path, Path]:
    model = fake_model(tmp_path / "model", ["light", "court"], [0.5, 0.5])
    lab = labelled_file(tmp_path / "labelled.csv", ROWS)
    tax = tmp_path / "themes.yaml"
    tax.write_text(
        "themes:\n  - id: light\n    name: Lighting\n    definition: Street lights.\n"
        "  - id: court\n    name: Courts\n    definition: The justice process.\n"
        "  - id: patrol\n    name: Patrols\n    definition: Police on foot.\n"
    )
    return model, lab, tax


def test_uncertainty_multilabel_is_distance_to_nearest_threshold() -> None:
    proba = np.array([[0.52, 0.1], [0.3, 0.45], [0.9, 0.6]])
    score, which = uncertainty(proba, np.array([0.5, 0.5]), "multilabel")
    assert np.allclose(score, [0.02, 0.05, 0.1]) and which.tolist() == [0, 1, 1]


def test_uncertainty_single_is_the_predicted_themes_probability() -> None:
    proba = np.array([[0.9, 0.1], [0.55, 0.45], [0.3, 0.7]])
    rows, rnd = select_for_review(proba, np.ones(2), "single", 3, 0.0, 0)
    assert rows.tolist() == [1, 2, 0] and not rnd.any()
    # With class weights the prediction is argmax(p * weight): row 1 predicts theme 1 at 0.45.
    score, which = uncertainty(proba, np.array([1.0, 2.0]), "single")
    assert which.tolist() == [0, 1, 1] and np.allclose(score, [0.9, 0.45, 0.7])


def test_random_slice_is_seeded_disjoint_and_after_the_uncertain() -> None:
    proba = np.array([[0.5 + d, 0.0] for d in (0.3, 0.01, 0.2, 0.02, 0.4, 0.1)])
    rows, rnd = select_for_review(proba, np.array([0.5, 0.5]), "multilabel", 4, 0.5, seed=7)
    again, _ = select_for_review(proba, np.array([0.5, 0.5]), "multilabel", 4, 0.5, seed=7)
    assert rows.tolist()[:2] == [1, 3] and rnd.tolist() == [False, False, True, True]
    assert rows.tolist() == again.tolist() and len(set(rows.tolist())) == 4


def test_export_order_skips_copies_and_empty(setup: tuple[Path, Path, Path], tmp_path: Path) -> None:
    model, lab, tax = setup
    res = export_for_review(
        lab, tmp_path / "r.csv", config(tmp_path), n=4, model_path=model, random_share=0.0, taxonomy_path=tax
    )
    assert res.rows["id"].tolist() == ["a1", "a3", "a7", "a4"]
    assert res.skipped_copies == 1 and res.skipped_not_labelled == 1
    assert "1 other answer(s) copy this one" in res.rows["why"][0]
    assert set(res.rows["selected_as"]) == {"uncertain"} and (res.rows["reviewed_themes"] == "").all()


def test_export_random_share(setup: tuple[Path, Path, Path], tmp_path: Path) -> None:
    model, lab, tax = setup
    res = export_for_review(
        lab, tmp_path / "r.csv", config(tmp_path), n=4, model_path=model, random_share=0.5, seed=1, taxonomy_path=tax
    )
    assert res.rows["id"].tolist()[:2] == ["a1", "a3"] and res.uncertain == 2 and res.random == 2
    assert set(res.rows["id"][2:]) <= {"a2", "a4", "a7", "a8"}
    assert res.rows["selected_as"].tolist() == ["uncertain", "uncertain", "random", "random"]


def test_xlsx_has_theme_sheet_list_validation_and_text_as_text(setup: tuple[Path, Path, Path], tmp_path: Path) -> None:
    model, lab, tax = setup
    out = tmp_path / "r.xlsx"
    export_for_review(lab, out, config(tmp_path), n=6, model_path=model, random_share=0.0, taxonomy_path=tax)
    wb = load_workbook(out)
    assert wb.sheetnames == ["review", "themes", "about"]
    assert [c.value for c in wb["themes"]["A"]] == ["id", "light", "court", "patrol"]
    ws = wb["review"]
    header = [c.value for c in ws[1]]
    assert header[:8] == [
        "id",
        "text",
        "predicted_themes",
        "probabilities",
        "why",
        "reviewed_themes",
        "reviewer",
        "notes",
    ]
    dv = ws.data_validations.dataValidation[0]
    assert dv.type == "list" and "themes!$A$2:$A$4" in dv.formula1 and not dv.showErrorMessage
    assert str(dv.sqref) == "F2:F7"
    formula_like = [c for c in ws["B"] if str(c.value).startswith("=")]
    assert formula_like and all(c.data_type == "s" for c in formula_like)


def _fill_xlsx(path: Path, verdicts: dict[str, tuple[str, str]]) -> Path:
    df = pd.read_excel(path, sheet_name="review", dtype=str, keep_default_na=False)
    for aid, (themes, who) in verdicts.items():
        df.loc[df["id"] == aid, ["reviewed_themes", "reviewer"]] = [themes, who]
    with pd.ExcelWriter(path, mode="a", if_sheet_exists="replace", engine="openpyxl") as w:
        df.to_excel(w, sheet_name="review", index=False)
    return path


def _fill(path: Path, verdicts: dict[str, tuple[str, str]]) -> Path:
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    for aid, (themes, who) in verdicts.items():
        df.loc[df["id"] == aid, ["reviewed_themes", "reviewer"]] = [themes, who]
    df.to_csv(path, index=False)
    return path


def test_import_is_idempotent_and_counts_blank_rows(setup: tuple[Path, Path, Path], tmp_path: Path) -> None:
    model, lab, tax = setup
    cfg = config(tmp_path)
    out = tmp_path / "r.csv"
    export_for_review(lab, out, cfg, n=4, model_path=model, random_share=0.0, taxonomy_path=tax)
    _fill(out, {"a1": ("court", "ann"), "a3": ("light;court", "ann")})
    res = import_reviews(out, cfg, taxonomy_path=tax)
    assert (res.added, res.already_stored, res.skipped_blank) == (2, 0, 2)
    store = AuditStore(cfg.review.audit_path)
    recs = store.records()
    assert [r["answer_id"] for r in recs] == ["a1", "a3"]
    r = recs[0]
    assert r["reviewed_themes"] == ["court"] and r["predicted_themes"] == ["light"] and r["reviewer"] == "ann"
    assert r["probabilities"] == {"light": 0.52, "court": 0.1} and r["model_version"] == "v0001"
    assert len(r["text_sha256"]) == 64 and len(r["source_sha256"]) == 64 and r["reviewed_at"]
    assert "question" not in r  # the labelled file has no question column
    before = Path(cfg.review.audit_path).read_bytes()
    again = import_reviews(out, cfg, taxonomy_path=tax)
    assert (again.added, again.already_stored) == (0, 2)
    assert Path(cfg.review.audit_path).read_bytes() == before
    # reviewed answers are not offered again
    nxt = export_for_review(lab, tmp_path / "r2.csv", cfg, n=10, model_path=model, random_share=0.0, taxonomy_path=tax)
    assert "a1" not in nxt.rows["id"].tolist() and nxt.skipped_reviewed == 2


def test_import_records_the_question_an_answer_responds_to(setup: tuple[Path, Path, Path], tmp_path: Path) -> None:
    model, lab, tax = setup
    df = pd.read_csv(lab, dtype=str, keep_default_na=False)
    df.insert(1, "question", [f"Q{i % 2 + 1} " for i in range(len(df))])  # padded, as spreadsheets leave them
    asked = dict(zip(df["id"], df["question"].str.strip(), strict=True))
    df.to_csv(lab, index=False)
    cfg = config(tmp_path)
    out = tmp_path / "r.csv"
    res = export_for_review(lab, out, cfg, n=4, model_path=model, random_share=0.0, taxonomy_path=tax)
    assert list(res.rows.columns[:3]) == ["id", "text", "question"]  # reviewers see what was asked
    assert res.rows["question"].tolist() == [asked[i] for i in res.rows["id"]]
    export_for_review(lab, tmp_path / "r.xlsx", cfg, n=4, model_path=model, random_share=0.0, taxonomy_path=tax)
    ws = load_workbook(tmp_path / "r.xlsx")["review"]
    assert [c.value for c in ws[1]][:4] == ["id", "text", "question", "predicted_themes"]
    assert str(ws.data_validations.dataValidation[0].sqref) == "G2:G5"  # the drop-down follows reviewed_themes
    _fill(out, {"a1": ("court", "ann"), "a3": ("light", "ann")})
    import_reviews(out, cfg, taxonomy_path=tax)
    recs = AuditStore(cfg.review.audit_path).records()
    assert {r["answer_id"]: r["question"] for r in recs} == {"a1": asked["a1"], "a3": asked["a3"]}


def test_import_lists_every_bad_row_and_writes_nothing(setup: tuple[Path, Path, Path], tmp_path: Path) -> None:
    model, lab, tax = setup
    cfg = config(tmp_path)
    out = tmp_path / "r.csv"
    export_for_review(lab, out, cfg, n=6, model_path=model, random_share=0.0, taxonomy_path=tax)
    df = pd.read_csv(out, dtype=str, keep_default_na=False)
    df.loc[0, ["reviewed_themes", "reviewer"]] = ["lights", "ann"]  # unknown theme id
    df.loc[1, ["reviewed_themes", "reviewer"]] = ["light, court", "ann"]  # malformed separator
    df.loc[2, ["id", "reviewed_themes", "reviewer"]] = ["zz9", "light", "ann"]  # id not in the labelled data
    df.loc[3, ["reviewed_themes", "reviewer"]] = ["court", ""]  # no reviewer
    df.loc[4, ["reviewed_themes", "reviewer"]] = ["light", "bob"]
    df = pd.concat([df, df.iloc[[4]].assign(reviewed_themes="court")])  # same id, another verdict
    df.to_csv(out, index=False)
    with pytest.raises(ConsultError) as e:
        import_reviews(out, cfg, taxonomy_path=tax)
    msg = str(e.value)
    assert "5 row(s) cannot be imported; nothing was written" in msg
    for bit in (
        "row 2 (id a1): unknown theme id(s) 'lights'",
        "row 3 (id a3): reviewed_themes 'light, court' contains ','",
        "row 4 (id zz9): id not in",
        "row 5 (id a4): no reviewer",
        "row 8 (id a2): conflicts with row 6",
    ):
        assert bit in msg, bit
    assert not Path(cfg.review.audit_path).exists()
    res = runner.invoke(
        app,
        [
            "review",
            "import",
            str(out),
            "--taxonomy",
            str(tax),
            "--set",
            f"review.audit_path={json.dumps(str(cfg.review.audit_path))}",
        ],
    )
    assert res.exit_code == 1 and "unknown theme id(s) 'lights'" in res.output and "Traceback" not in res.output


def test_import_xlsx_via_cli_with_reviewer_option(setup: tuple[Path, Path, Path], tmp_path: Path) -> None:
    model, lab, tax = setup
    audit = tmp_path / "audit.jsonl"
    out = tmp_path / "r.xlsx"
    sets = ["--set", f"review.audit_path={json.dumps(str(audit))}"]
    res = runner.invoke(
        app,
        [
            "review",
            "export",
            str(lab),
            "-n",
            "3",
            "-o",
            str(out),
            "-m",
            str(model),
            "--taxonomy",
            str(tax),
            "--random-share",
            "0",
            *sets,
        ],
    )
    assert res.exit_code == 0, res.output
    wb = load_workbook(out)
    wb["review"]["F2"] = "court;light"
    wb.save(out)
    res = runner.invoke(app, ["review", "import", str(out), "--reviewer", "cat", "--taxonomy", str(tax), *sets])
    assert res.exit_code == 0, res.output
    assert "1 review(s) added" in res.output and "2 blank row(s) skipped" in res.output
    (rec,) = AuditStore(audit).records()
    assert rec["answer_id"] == "a1" and rec["reviewer"] == "cat" and rec["reviewed_themes"] == ["court", "light"]


def test_audit_store_detects_edits(tmp_path: Path) -> None:
    store = AuditStore(tmp_path / "a.jsonl")
    recs = [{"review_key": k, "answer_id": k, "reviewed_themes": ["x"]} for k in ("k1", "k2")]
    assert store.append(recs) == (2, 0)
    assert store.append(recs) == (0, 2)
    lines = store.path.read_text().splitlines()
    store.path.write_text(lines[0].replace('"x"', '"y"') + "\n" + lines[1] + "\n")
    with pytest.raises(ConsultError, match="hash chain"):
        store.records()


def test_export_of_a_plain_model_folder_names_it_as_label_does(tmp_path: Path) -> None:
    # 'consult label' writes a plain folder's name as model_version; the review file must say the same.
    model = fake_model(tmp_path / "mymodel", ["light", "court"], [0.5, 0.5], version="")
    lab = labelled_file(tmp_path / "labelled.csv", ROWS, version="mymodel")
    res = export_for_review(lab, tmp_path / "r.xlsx", config(tmp_path), n=2, model_path=model)
    assert set(res.rows["model_version"]) == {"mymodel"}
    about = dict(load_workbook(tmp_path / "r.xlsx", read_only=True)["about"].iter_rows(values_only=True))
    assert about["model_version"] == "mymodel"


def test_import_accepts_a_theme_the_model_left_out_for_too_few_answers(tmp_path: Path) -> None:
    # 'patrol' had one training answer, so the model left it out; a reviewer's 'patrol' is how it gets a second.
    model = fake_model(tmp_path / "models" / "default", ["light", "court"], [0.5, 0.5])
    card = json.loads((model / "model-card.json").read_text())
    (model / "model-card.json").write_text(json.dumps({**card, "themes_left_out": {"patrol": 1}}))
    lab = labelled_file(tmp_path / "labelled.csv", ROWS)
    cfg = config(tmp_path)
    out = tmp_path / "r.csv"
    export_for_review(lab, out, cfg, n=2, model_path=model, random_share=0.0)
    _fill(out, {"a1": ("patrol", "ann")})
    assert import_reviews(out, cfg).added == 1
    _fill(out, {"a1": ("burglary", "ann")})
    with pytest.raises(ConsultError, match="unknown theme id"):
        import_reviews(out, cfg)
    # A plain model folder elsewhere: named with --model, as for the export; the themes sheet lists the theme.
    other = tmp_path / "elsewhere" / "m"
    other.parent.mkdir()
    model.rename(other)
    xlsx = tmp_path / "r.xlsx"
    export_for_review(lab, xlsx, cfg, n=2, model_path=other, random_share=0.0)
    sheet = pd.read_excel(xlsx, sheet_name="themes", dtype=str)
    assert sheet.set_index("id").at["patrol", "in_model"].startswith("no")
    _fill_xlsx(xlsx, {"a3": ("patrol", "bo")})
    with pytest.raises(ConsultError, match="unknown theme id"):
        import_reviews(xlsx, cfg)  # the configured registry does not exist
    assert import_reviews(xlsx, cfg, model_path=other).added == 1


def test_review_xlsx_cuts_a_text_excel_cannot_hold_and_import_still_works(tmp_path: Path) -> None:
    model = fake_model(tmp_path / "model", ["light", "court"], [0.5, 0.5])
    long = "the lamps are out " * 2500  # 45,000 characters: more than an Excel cell holds
    lab = labelled_file(tmp_path / "labelled.csv", [("L1", long, 0.52, 0.1, "", "labelled"), *ROWS[1:3]])
    cfg = config(tmp_path)
    out = tmp_path / "r.xlsx"
    export_for_review(lab, out, cfg, n=1, model_path=model, random_share=0.0)
    ws = load_workbook(out, read_only=True)["review"]
    header = [c.value for c in next(ws.iter_rows(max_row=1))]
    cell = next(ws.iter_rows(min_row=2, max_row=2, values_only=True))[header.index("text")]
    assert len(cell) == 32767 and cell.endswith("characters in all; the full text is in the labelled file]")
    _fill_xlsx(out, {"L1": ("light", "ann")})
    res = import_reviews(out, cfg)
    assert res.added == 1 and AuditStore(cfg.review.audit_path).records()[0]["text"] == long
