"""`consult report` end to end on hand-built labelled files: outputs, privacy, duplicates, compare, errors."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.tables import read_table, write_table

from .report_examples import SECRETS, hand_example, previous_round, write_taxonomy

runner = CliRunner()
NO_NER = ["--set", "report.redact_with_ner=false"]


def run(*args: object) -> tuple[int, str]:
    res = runner.invoke(app, [str(a) for a in args])
    if res.exception is not None and not isinstance(res.exception, SystemExit):
        raise res.exception
    return res.exit_code, res.output


@pytest.fixture()
def files(tmp_path: Path) -> dict[str, Path]:
    lab = tmp_path / "labelled.csv"
    write_table(hand_example(), lab)
    prev = tmp_path / "previous.csv"
    write_table(previous_round(), prev)
    return {"labelled": lab, "previous": prev, "taxonomy": write_taxonomy(tmp_path / "themes.yaml")}


def csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, keep_default_na=False)


def test_report_writes_every_format(files: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "rep"
    code, text = run(
        "report",
        files["labelled"],
        "-o",
        out,
        "--by",
        "area",
        "--compare",
        files["previous"],
        "-t",
        files["taxonomy"],
        *NO_NER,
    )
    assert code == 0, text
    tables = [
        "theme_counts",
        "by_area",
        "cooccurrence",
        "theme_pairs",
        "entities",
        "quotes",
        "campaigns",
        "compare",
        "provenance",
    ]
    for t in tables:
        assert (out / f"{t}.csv").is_file(), t
    from openpyxl import load_workbook

    assert load_workbook(out / "report.xlsx", read_only=True).sheetnames == tables
    for png in ("theme_shares.png", "heatmap_area.png"):
        assert (out / "charts" / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    html = (out / "report.html").read_text(encoding="utf-8")
    assert html.count('src="data:image/png;base64,') == 2
    # Self-contained: nothing fetched from elsewhere.
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)|<link\b|@import|url\(\s*["']?https?:""", html)
    assert "@media print" in html
    # Terminal: the Markdown summary.
    assert text.startswith("# Consultation themes: labelled.csv")
    assert "| 1 | Feeling safe | 10 | 50.0% | 29.9–70.1% | 9.0 |" in text
    assert "area = North: Feeling safe over (80.0% vs 50.0% overall, n=10)" in text
    assert "Feeling safe: 10.0% → 50.0% (+40.0 points, up)" in text
    assert text.startswith((out / "summary.md").read_text(encoding="utf-8").rstrip("\n"))
    counts = csv(out / "theme_counts.csv")
    assert counts[["theme", "count", "base"]].values.tolist() == [["safety", 10, 20], ["lighting", 8, 20]]


def test_provenance_states_input_hash_model_and_exclusions(files: dict[str, Path], tmp_path: Path) -> None:
    import hashlib

    out = tmp_path / "rep"
    assert run("report", files["labelled"], "-o", out, *NO_NER)[0] == 0
    p = dict(csv(out / "provenance.csv").astype(str).values.tolist())
    assert p["input_sha256"] == hashlib.sha256(files["labelled"].read_bytes()).hexdigest()
    assert p["input_file"] == str(files["labelled"]) and p["model_version"] == "m-test-1"
    assert (
        p["answers"],
        p["answers_counted"],
        p["non_substantive_excluded"],
        p["empty_excluded"],
        p["duplicate_copies_excluded"],
    ) == ("24", "20", "1", "1", "2")
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC", p["generated"])
    html = (out / "report.html").read_text(encoding="utf-8")
    assert p["input_sha256"] in html and "m-test-1" in html


def test_no_personal_details_in_any_output(files: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "rep"
    # Quote every eligible answer, so every answer with personal details is quoted; spaCy NER on (default).
    code, text = run("report", files["labelled"], "-o", out, "--by", "area", "--set", "report.quotes_per_theme=10")
    assert code == 0, text
    quotes = csv(out / "quotes.csv")
    assert {"n2", "n3", "n4", "s1", "s2"} <= set(quotes["id"])  # the answers holding the details
    assert quotes["quote"].str.contains(r"\[(?:name|email|phone|postcode)\]").sum() >= 5
    # s3 starts with "-": the labelled CSV holds it as "'- more…"; read back without the apostrophe, written
    # again with one (not two) in the CSV, and shown without it in the page.
    assert quotes.set_index("id").at["s3", "quote"].startswith("'- more patrols")
    page = (out / "report.html").read_text(encoding="utf-8")
    assert '<blockquote lang="en">' in page  # quotes marked with the answers' language
    assert "- more patrols" in page and not re.search(r"(&#39;|&#x27;|')- more patrols", page)
    campaign = csv(out / "campaigns.csv")["excerpt"].iloc[0]
    assert "[name]" in campaign and "[postcode]" in campaign  # the campaign text is n1's
    texts = {p.name: p.read_text(encoding="utf-8-sig") for p in out.glob("*") if p.suffix in (".csv", ".html", ".md")}
    texts["terminal"] = text
    from openpyxl import load_workbook

    wb = load_workbook(out / "report.xlsx", read_only=True)
    texts["report.xlsx"] = " ".join(str(c) for ws in wb.worksheets for r in ws.iter_rows(values_only=True) for c in r)
    for name, body in texts.items():
        for secret in SECRETS:
            assert not re.search(rf"(?<!\w){re.escape(secret)}(?!\w)", body), f"{secret!r} in {name}"
        assert not re.search(r"[\w.]+@example\.com|07700|7946", body), name


def test_duplicates_once_by_default_every_copy_with_flag(files: dict[str, Path], tmp_path: Path) -> None:
    assert run("report", files["labelled"], "-o", tmp_path / "once", *NO_NER)[0] == 0
    code, text = run("report", files["labelled"], "-o", tmp_path / "all", "--count-duplicates", *NO_NER)
    assert code == 0, text
    once, every = csv(tmp_path / "once" / "theme_counts.csv"), csv(tmp_path / "all" / "theme_counts.csv")
    assert once.set_index("theme")["count"].to_dict() == {"safety": 10, "lighting": 8}
    assert every.set_index("theme")["count"].to_dict() == {"safety": 12, "lighting": 10}
    assert set(once["base"]) == {20} and set(every["base"]) == {22}
    for d in ("once", "all"):  # campaigns are reported separately either way
        camp = csv(tmp_path / d / "campaigns.csv")
        assert camp[["original_id", "copies", "answers_in_campaign"]].values.tolist() == [["n1", 2, 3]]
    assert "2 campaign copies counted" in text


def test_compare_with_a_labelled_file_or_a_report_folder(files: dict[str, Path], tmp_path: Path) -> None:
    assert run("report", files["previous"], "-o", tmp_path / "before", *NO_NER)[0] == 0
    results = []
    for prev in (files["previous"], tmp_path / "before", tmp_path / "before" / "theme_counts.csv"):
        out = tmp_path / f"now_{len(results)}"
        code, text = run("report", files["labelled"], "-o", out, "--compare", prev, *NO_NER)
        assert code == 0, text
        results.append(csv(out / "compare.csv").set_index("theme"))
    for c in results:
        assert c.loc["safety", ["count_before", "count_now", "change", "signal"]].tolist() == [2, 10, 8, "up"]
        assert c.loc["lighting", "signal"] == ""
        assert c.loc["safety", "q"] == pytest.approx(0.0115, abs=1e-4)


def test_rerun_replaces_an_earlier_report(files: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "rep"
    assert run("report", files["labelled"], "-o", out, "--by", "area", *NO_NER)[0] == 0
    assert run("report", files["labelled"], "-o", out, *NO_NER)[0] == 0
    assert not (out / "by_area.csv").exists()  # nothing stale from the first run
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temporary folders left


def test_failure_leaves_nothing_half_written(
    files: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pipeline.report import render

    out = tmp_path / "rep"
    assert run("report", files["labelled"], "-o", out, *NO_NER)[0] == 0
    before = sorted(p.name for p in out.iterdir())
    sha = (out / "theme_counts.csv").read_bytes()

    def boom(*a: object, **k: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(render, "render_html", boom)  # fails after the CSVs, workbook and charts are written
    with pytest.raises(RuntimeError):
        run("report", files["labelled"], "-o", out, "--by", "area", *NO_NER)
    assert sorted(p.name for p in out.iterdir()) == before and (out / "theme_counts.csv").read_bytes() == sha
    with pytest.raises(RuntimeError):
        run("report", files["labelled"], "-o", tmp_path / "new", *NO_NER)
    assert not (tmp_path / "new").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.csv"], "missing.csv not found"),
        (["data/consultation_new.csv"], "not a labelled file"),
        (["{labelled}", "--by", "region"], "Column 'region' given with --by is not a column"),
        (["{labelled}", "--by", "id"], "Column 'id' given with --by holds the answers' ids"),
        (["{labelled}", "--by", "text"], "Column 'text' given with --by holds the answers' text"),
        (["{labelled}", "--compare", "nowhere.csv"], "--compare file nowhere.csv not found"),
        (["{labelled}", "--compare", "data/consultation_new.csv"], "neither a labelled file nor a report"),
        (["{labelled}", "--compare", "{tmp}"], "has no theme_counts.csv"),
        (["{labelled}", "--text-column", "answer"], "no text column 'answer'"),
        (["{labelled}", "--set", "report.min_group_size=0"], "Invalid setting 'report.min_group_size'"),
        (["{labelled}", "--set", "report.mystery=1"], "Invalid setting 'report.mystery' given with --set"),
    ],
)
def test_bad_input_one_clear_line_exit_1_nothing_written(
    files: dict[str, Path], tmp_path: Path, args: list[str], message: str
) -> None:
    out = tmp_path / "rep"
    argv = [a.format(labelled=files["labelled"], tmp=tmp_path / "emptydir") for a in args]
    (tmp_path / "emptydir").mkdir()
    res = runner.invoke(app, ["report", *argv, "-o", str(out), *NO_NER])
    assert res.exit_code == 1, res.output
    assert isinstance(res.exception, SystemExit)
    assert message in " ".join(res.output.split()), res.output
    assert "Traceback" not in res.output
    assert not out.exists()


def test_output_must_be_a_new_or_report_folder(files: dict[str, Path], tmp_path: Path) -> None:
    f = tmp_path / "afile.txt"
    f.write_text("x")
    code, text = run("report", files["labelled"], "-o", f, *NO_NER)
    assert code == 1 and "is a file" in text and f.read_text() == "x"
    other = tmp_path / "stuff"
    other.mkdir()
    (other / "notes.txt").write_text("mine")
    code, text = run("report", files["labelled"], "-o", other, *NO_NER)
    assert code == 1 and "not empty" in text and (other / "notes.txt").read_text() == "mine"


def test_labelled_xlsx_input(files: dict[str, Path], tmp_path: Path) -> None:
    df, _ = read_table(files["labelled"])
    x = tmp_path / "labelled.xlsx"
    write_table(df, x)
    assert run("report", x, "-o", tmp_path / "rep", *NO_NER)[0] == 0
    assert csv(tmp_path / "rep" / "theme_counts.csv")["count"].tolist() == [10, 8]


def test_characters_no_font_has_are_named_once(files: dict[str, Path], tmp_path: Path) -> None:
    from pipeline.report.render import font_families

    tax = tmp_path / "zh.yaml"
    tax.write_text("themes:\n  - id: safety\n    name: 安全\n  - id: lighting\n    name: 照明\n", encoding="utf-8")
    code, text = run("report", files["labelled"], "-o", tmp_path / "rep", "-t", tax, *NO_NER)
    assert code == 0, text
    flat = " ".join(text.split())
    if len(font_families()) == 1:  # DejaVu Sans alone: no CJK glyphs
        assert flat.count("no installed font has") == 1 and "安" in flat and "Noto Sans CJK" in flat
    assert "missing from font" not in text  # not one warning per glyph
