from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from pipeline.config import IngestConfig
from pipeline.errors import ConsultError
from pipeline.ingest import load_answers, validate
from pipeline.tables import read_table, write_table
from pipeline.taxonomy import theme_key

ROWS = [("001", "Café lighting is poor – I don’t feel safe"), ("002", ""), ("003", "More patrols please")]


def _csv_bytes(sep: str = ",") -> str:
    lines = [f"id{sep}text"] + [f'{i}{sep}"{t}"' for i, t in ROWS]
    return "\r\n".join(lines) + "\r\n"


@pytest.mark.parametrize(
    ("encoding", "expected"),
    [("utf-8", "utf-8"), ("utf-8-sig", "utf-8 with BOM"), ("cp1252", "windows-1252"), ("utf-16", "utf-16")],
)
def test_encodings_detected_and_text_intact(tmp_path: Path, encoding: str, expected: str) -> None:
    p = tmp_path / "a.csv"
    p.write_bytes(_csv_bytes().encode(encoding))
    df, info = read_table(p)
    assert info.encoding == expected
    assert df["text"].tolist() == [t for _, t in ROWS]
    assert df["id"].tolist() == ["001", "002", "003"]  # leading zeros kept


def test_excel_semicolon_export_with_sep_line(tmp_path: Path) -> None:
    p = tmp_path / "excel.csv"
    p.write_bytes(("sep=;\r\n" + _csv_bytes(";")).encode("cp1252"))
    df, info = read_table(p)
    assert list(df.columns) == ["id", "text"]
    assert info.delimiter == ";"
    assert len(df) == 3


def test_blank_trailing_columns_and_rows_from_excel_are_dropped(tmp_path: Path) -> None:
    p = tmp_path / "x.csv"
    p.write_text(" id , text ,,\n1,hello,,\n2,,,\n,,,\n", encoding="utf-8")
    df, _ = read_table(p)
    assert list(df.columns) == ["id", "text"]
    assert df["id"].tolist() == ["1", "2"]  # the fully blank row is not an answer; the empty answer is kept


@pytest.mark.parametrize("ext", [".tsv", ".xlsx", ".jsonl", ".parquet", ".csv"])
def test_every_format_round_trips(tmp_path: Path, ext: str) -> None:
    df = pd.DataFrame({"id": ["a1", "a2"], "text": ["=SUM(A1) not a formula", "x"], "n": ["1", "-5"]})
    p = tmp_path / f"t{ext}"
    write_table(df, p)
    back, _ = read_table(p)
    assert back["id"].tolist() == ["a1", "a2"]
    assert back["n"].tolist() == ["1", "-5"]
    if ext in (".xlsx", ".jsonl", ".parquet"):
        assert back["text"].tolist()[0] == "=SUM(A1) not a formula"
    else:  # CSV/TSV for spreadsheets: formula-like cells are defused
        assert back["text"].tolist()[0] == "'=SUM(A1) not a formula"


def test_jsonl_reads_objects(tmp_path: Path) -> None:
    p = tmp_path / "a.jsonl"
    p.write_text("\n".join(json.dumps({"id": i, "text": t}) for i, t in ROWS) + "\n", encoding="utf-8")
    a = load_answers(p)
    assert a.texts[0].startswith("Café")


def test_empty_answer_is_kept(tmp_path: Path) -> None:
    p = tmp_path / "a.csv"
    p.write_text(_csv_bytes(), encoding="utf-8")
    a = load_answers(p)
    assert len(a.df) == 3 and a.texts[1] == ""


@pytest.mark.parametrize(
    ("content", "name", "match"),
    [
        (b"", "e.csv", "is empty"),
        (b"id,text\n", "h.csv", "no rows"),
        (b"id,answer\n1,hi\n", "c.csv", "no text column 'text'"),
        (b"id,text\n1,hi\x00there\n", "n.csv", "NUL bytes"),
        (b"id,text\n1,hi\n", "x.docx", "Unknown file format"),
        (b"PK\x03\x04garbage", "bad.xlsx", "not a valid XLSX"),
        (b'{"id": 1, "text": "ok"}\n{broken\n', "b.jsonl", "line 2 is not valid JSON"),
        # An unquoted comma in the first answer: pandas would take the ids for an index and drop them.
        (b"id,text\nA1,hello, world\nA2,bye\n", "r.csv", "line 2 has 3 fields but the header has 2"),
        (b"id,text\nA1,a, b\nA2,c, d\n", "r2.csv", "line 2 has 3 fields"),
        (b"id,text,text\nA1,first,second\n", "d.csv", "two columns named 'text'"),
        (b"id,text,text \nA1,first,second\n", "d2.csv", "two columns named 'text'"),
    ],
)
def test_bad_input_names_the_problem(tmp_path: Path, content: bytes, name: str, match: str) -> None:
    p = tmp_path / name
    p.write_bytes(content)
    with pytest.raises(ConsultError, match=match):
        load_answers(p)
    assert p.read_bytes() == content  # input never modified


def test_missing_file() -> None:
    with pytest.raises(ConsultError, match="not found"):
        load_answers(Path("nope/none.csv"))


def test_column_names_from_config(tmp_path: Path) -> None:
    p = tmp_path / "a.csv"
    p.write_text("ref,answer\nr1,hello\n", encoding="utf-8")
    a = load_answers(p, IngestConfig(id_column="ref", text_column="answer"))
    assert a.ids == ["r1"] and a.texts == ["hello"]


def test_validate_counts(tmp_path: Path) -> None:
    p = tmp_path / "a.csv"
    p.write_text("id,text\n1,Hello there\n2,hello there \n3,\n3,other\n", encoding="utf-8")
    rep = validate(p)
    assert (rep.rows, rep.empty_answers, rep.duplicate_answers, rep.duplicate_ids) == (4, 1, 1, 1)
    assert rep.encoding == "utf-8" and rep.columns == ["id", "text"]
    assert rep.question_column is None and rep.answers_per_question is None


def _messy_files(folder: Path) -> list[Path]:
    rows = pd.DataFrame(
        {
            "ID": ["1", "1", "", "4", "5", "6"],
            "Answer Text": ["Hello there", " hello THERE ", "", "x" * 30_000, "Other", "other"],
            "question": ["Q1", "Q1", "Q2", "Q2", " Q1", "Q3"],
            "labels": ["a", "", "b", "", "a;b", ""],
            "Unnamed: 4": ["", "", "", "", "", ""],
        }
    )
    rows = pd.concat([rows] * 40, ignore_index=True)  # 240 rows: three chunks of 100
    csv = folder / "m.csv"
    csv.write_text("\ufeff" + rows.to_csv(index=False) + ",,,,\n", encoding="utf-8")
    jsonl = folder / "m.jsonl"
    jsonl.write_text("".join(json.dumps(r) + "\n" for r in rows.to_dict("records")), encoding="utf-8")
    parquet = folder / "m.parquet"
    rows.to_parquet(parquet)
    title = folder / "title.csv"
    title.write_text("Survey export, 1 May\n\nID,Answer Text\n1,hello\n2,hello\n", encoding="utf-8")
    return [csv, jsonl, parquet, title]


def test_validate_streams_and_reports_what_reading_the_whole_file_reports(tmp_path: Path) -> None:
    from pipeline.ingest import _validate_whole
    from pipeline.progress import Progress

    class Count(Progress):
        def __init__(self) -> None:
            self.rows = 0

        def stage(self, name: str, total: int | None) -> None:
            pass

        def tick(self, n: int) -> None:
            self.rows += n

    for path in _messy_files(tmp_path):
        cfg = IngestConfig(text_column="answer text", id_column="id", chunk_rows=100)
        bar = Count()
        streamed = validate(path, cfg, bar)
        whole = _validate_whole(path, IngestConfig(text_column="answer text", id_column="id"))
        assert replace(streamed, notes=sorted(streamed.notes)) == replace(whole, notes=sorted(whole.notes)), path.name
        assert bar.rows == (streamed.rows if path.name != "title.csv" else 0), path.name  # title rows: read whole
    rep = validate(tmp_path / "m.csv", IngestConfig(text_column="answer text", id_column="id", chunk_rows=100))
    counts = (rep.rows, rep.empty_answers, rep.duplicate_answers, rep.duplicate_ids, rep.blank_ids)
    assert counts == (240, 40, 197, 196, 40)
    assert rep.too_long == 40 and rep.labelled_rows == 120
    assert rep.columns == ["ID", "Answer Text", "question", "labels"]
    assert rep.answers_per_question == {"Q1": 120, "Q2": 80, "Q3": 40}


def test_question_column_is_found_counted_and_can_be_switched_off(tmp_path: Path) -> None:
    p = tmp_path / "q.csv"
    p.write_text("id,text,question\n1,More lights,Q2\n2,Friendly officers, Q1\n3,Faster replies,Q2\n", encoding="utf-8")
    rep = validate(p)
    assert rep.question_column == "question" and rep.answers_per_question == {"Q2": 2, "Q1": 1}
    assert load_answers(p).questions == ["Q2", "Q1", "Q2"]  # stripped, as they will be read by the model
    assert load_answers(p, IngestConfig(question_column="")).questions is None
    # A question column that is also the text column is not used as one.
    assert load_answers(p, IngestConfig(text_column="question")).question_column is None


def test_huge_cell_is_read_whole(tmp_path: Path) -> None:
    big = "word " * 50_000
    p = tmp_path / "big.csv"
    p.write_text(f'id,text\n1,"{big}"\n', encoding="utf-8")
    rep = validate(p)
    assert rep.too_long == 1


INDICATORS = (
    "id,text,Staff manner,Waiting time,Food & drink,Sentiment\n"
    "1,Kind nurses,1,,0,5\n"
    "2,Waited four hours for food,,1,1,2\n"
    "3,Nothing to say,0,0,0,3\n"
)


def test_theme_columns_become_a_labels_cell(tmp_path: Path) -> None:
    f = tmp_path / "a.csv"
    f.write_text(INDICATORS, encoding="utf-8")
    before = f.read_bytes()
    cfg = IngestConfig(theme_columns=["Staff manner..Food & drink"])
    a = load_answers(f, cfg, require_labels=True)
    assert a.df["labels"].tolist() == ["Staff manner", "Waiting time;Food & drink", ""]
    assert list(a.df.columns)[:6] == ["id", "text", "Staff manner", "Waiting time", "Food & drink", "Sentiment"]
    assert f.read_bytes() == before  # the input is never modified
    by_name = load_answers(f, IngestConfig(theme_columns=["Food & drink", "Staff manner"]), require_labels=True)
    assert by_name.df["labels"].tolist() == ["Staff manner", "Food & drink", ""]
    assert validate(f, cfg).labelled_rows == 2


@pytest.mark.parametrize(
    ("columns", "match"),
    [
        (["Staff manner..Sentiment"], "'Sentiment' is not a theme indicator: answer '1' has '5'"),
        (["Staf manner"], "no theme column 'Staf manner'"),
        (["Food & drink..Staff manner"], "runs backwards"),
        (["text"], "is the id or text column"),
    ],
)
def test_bad_theme_columns_name_the_problem(tmp_path: Path, columns: list[str], match: str) -> None:
    f = tmp_path / "a.csv"
    f.write_text(INDICATORS, encoding="utf-8")
    with pytest.raises(ConsultError, match=match):
        load_answers(f, IngestConfig(theme_columns=columns), require_labels=True)


def test_theme_columns_and_a_labels_column_together_are_refused(tmp_path: Path) -> None:
    f = tmp_path / "a.csv"
    f.write_text("id,text,labels,A\n1,x,A,1\n", encoding="utf-8")
    with pytest.raises(ConsultError, match="labels column 'labels' and theme columns"):
        load_answers(f, IngestConfig(theme_columns=["A"]), require_labels=True)
    # A theme column whose name holds the separator is stored under its key (any coding frame works).
    f.write_text('id,text,"A;B"\n1,x,1\n', encoding="utf-8")
    got = load_answers(f, IngestConfig(theme_columns=["A;B"]), require_labels=True)
    assert got.df["labels"].tolist() == [theme_key("A;B")]


@pytest.mark.parametrize(
    ("yes", "no"), [("WAHR", "FALSCH"), ("ja", "nein"), ("VRAI", "FAUX"), ("sí", "no"), ("sim", "não")]
)
def test_theme_columns_read_spreadsheet_booleans_of_other_languages(tmp_path: Path, yes: str, no: str) -> None:
    f = tmp_path / "a.csv"
    f.write_text(f"id,text,Licht,Streife\n1,dunkel,{yes},{no}\n2,Polizei,{no},{yes}\n", encoding="utf-8")
    a = load_answers(f, IngestConfig(theme_columns=["Licht..Streife"]), require_labels=True)
    assert a.df["labels"].tolist() == ["Licht", "Streife"]


def test_duplicate_header_in_xlsx_is_refused(tmp_path: Path) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.append(["id", "text", "id"])
    wb.active.append(["1", "hello", "2"])
    wb.save(tmp_path / "d.xlsx")
    with pytest.raises(ConsultError, match="two columns named 'id'"):
        load_answers(tmp_path / "d.xlsx")


def test_jsonl_keeps_line_separator_characters_inside_text(tmp_path: Path) -> None:
    # U+2028 and U+0085 are text inside a JSON string, not line breaks; consult's own JSONL output has them.
    df = pd.DataFrame({"id": ["1", "2"], "text": ["one\u2028two", "three\x85four"]})
    write_table(df, tmp_path / "a.jsonl")
    assert load_answers(tmp_path / "a.jsonl").texts == ["one\u2028two", "three\x85four"]


@pytest.mark.parametrize(
    ("content", "match"),
    [
        (b"id,text\n,first\nA2,second\n", "1 answer\\(s\\) with no id \\(the first is data row 1\\)"),
        (b"id,text\nA1,first\nA2,second\nA1,third\n", "'A1' is on data rows 1, 3"),
        (b"id,text\nA1,first\n A1 ,second\n", "'A1' is on data rows 1, 2"),
    ],
)
def test_every_answer_needs_its_own_id(tmp_path: Path, content: bytes, match: str) -> None:
    # Outputs, campaign copies, reviews and retraining are keyed by id: a blank or shared id breaks them.
    p = tmp_path / "a.csv"
    p.write_bytes(content)
    with pytest.raises(ConsultError, match=match):
        load_answers(p)
    assert validate(p).blank_ids + validate(p).duplicate_ids >= 1  # validate counts them instead


def test_ids_are_trimmed(tmp_path: Path) -> None:
    p = tmp_path / "a.csv"
    p.write_bytes(b"id,text\n A1,first\nA2 ,second\n")
    assert load_answers(p).ids == ["A1", "A2"]


def test_a_few_windows_1252_lines_in_a_utf8_file_do_not_garble_the_rest(tmp_path: Path) -> None:
    p = tmp_path / "mixed.csv"
    p.write_bytes(b"id,text\nA1,The caf\xc3\xa9 \xe2\x80\x93 x\nA2,na\xefve\n")
    a = load_answers(p)
    assert a.texts == ["The café – x", "naïve"]
    assert any("line 3" in n and "Windows-1252" in n for n in a.info.notes)


def test_answers_on_another_sheet_get_a_sheet_hint(tmp_path: Path) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.title = "Cover"
    wb.active.append(["Consultation export"])
    ws = wb.create_sheet("Answers")
    ws.append(["id", "text"])
    ws.append(["1", "more lights"])
    wb.save(tmp_path / "w.xlsx")
    with pytest.raises(ConsultError, match="sheets are 'Cover', 'Answers'.*ingest.sheet"):
        load_answers(tmp_path / "w.xlsx")
    assert load_answers(tmp_path / "w.xlsx", IngestConfig(sheet="Answers")).texts == ["more lights"]


def test_a_text_column_of_numbers_is_refused_and_binary_text_decoded(tmp_path: Path) -> None:
    p = tmp_path / "n.csv"
    p.write_text("id,text,score\n1,4,x\n2,2.5,y\n", encoding="utf-8")  # two rows are enough
    with pytest.raises(ConsultError, match="holds only numbers"):
        load_answers(p)
    q = tmp_path / "b.parquet"
    pd.DataFrame({"id": ["1"], "text": [b"caf\xc3\xa9 lights"]}).to_parquet(q)
    assert load_answers(q).texts == ["café lights"]


@pytest.mark.parametrize(
    ("content", "ids", "texts"),
    [
        (b"id,text\r\nA1,hello\rworld\r\nA2,bye\r\n", ["A1", "A2"], ["hello world", "bye"]),  # a lone CR in an answer
        (b"sep=;\rid;text\rA1;hello\rA2;bye\r", ["A1", "A2"], ["hello", "bye"]),  # old Mac line ends
        ("id,text\n1,hi\n".encode("utf-32"), ["1"], ["hi"]),  # UTF-32, whose BOM starts like UTF-16's
    ],
)
def test_line_ends_and_utf32(tmp_path: Path, content: bytes, ids: list[str], texts: list[str]) -> None:
    p = tmp_path / "a.csv"
    p.write_bytes(content)
    a = load_answers(p)
    assert (a.ids, a.texts) == (ids, texts)


def test_an_empty_first_sheet_names_the_sheets(tmp_path: Path) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.title = "empty"
    wb.create_sheet("data").append(["id", "text"])
    wb["data"].append(["1", "hi"])
    wb.save(tmp_path / "w.xlsx")
    with pytest.raises(ConsultError, match="has no columns.*sheets are 'empty', 'data'"):
        load_answers(tmp_path / "w.xlsx")
