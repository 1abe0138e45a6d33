"""Hostile files: unknown encodings, nested columns, unsaved formulas, huge headers and lines are refused or reported."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.config import IngestConfig
from pipeline.errors import ConsultError
from pipeline.ingest import load_answers, validate

runner = CliRunner()


def _flat(text: str) -> str:
    return " ".join(text.split())


# --- encodings ------------------------------------------------------------------------------------------------


def test_bytes_in_neither_utf8_nor_windows_1252_are_refused_naming_the_line(tmp_path: Path) -> None:
    p = tmp_path / "dos.csv"
    content = "id,text\n1,fine\n2,Привет полиция\n".encode("cp866")  # DOS Cyrillic: 0x8F is not Windows-1252
    p.write_bytes(content)
    with pytest.raises(ConsultError, match=r"line 3 is neither UTF-8 nor Windows-1252 text .*--encoding"):
        load_answers(p)
    assert p.read_bytes() == content
    a = load_answers(p, IngestConfig(encoding="cp866"))
    assert a.texts == ["fine", "Привет полиция"] and a.info.encoding == "cp866 (as given)"
    res = runner.invoke(app, ["validate", str(p), "--encoding", "cp866", "--json"])
    assert res.exit_code == 0 and json.loads(res.stdout)["encoding"] == "cp866 (as given)"
    res = runner.invoke(app, ["validate", str(p)])
    assert res.exit_code == 1 and "line 3 is neither UTF-8 nor Windows-1252" in _flat(res.output)


@pytest.mark.parametrize(
    ("encoding", "text"),
    [
        ("cp1251", "освещение улиц плохое, мне страшно ходить вечером"),  # Windows Cyrillic
        ("cp866", "освещение улиц плохое, мне страшно ходить вечером"),  # DOS Cyrillic, lower case only
        ("koi8-r", "освещение улиц плохое, мне страшно ходить вечером"),
        ("cp1253", "ο φωτισμός είναι κακός και φοβάμαι το βράδυ"),  # Greek
    ],
)
def test_another_code_page_that_happens_to_decode_as_windows_1252_is_refused(
    tmp_path: Path, encoding: str, text: str
) -> None:
    p = tmp_path / "a.csv"
    p.write_bytes(f'id,text\n1,fine\n2,"{text}"\n'.encode(encoding))
    with pytest.raises(ConsultError, match=r"line 3 is not UTF-8, and read as Windows-1252 most of its letters"):
        load_answers(p)
    assert load_answers(p, IngestConfig(encoding=encoding)).texts == ["fine", text]


def test_western_european_windows_1252_is_still_read(tmp_path: Path) -> None:
    texts = [
        "Les élèves étaient très énervés à l'école; été, hôpital, forêt, garçon, où, déjà vu",
        "Þú ert ágætur, ég þakka þér fyrir. Það er gaman að sjá þig á Íslandi í ár",
        "Hämärässä kävelen yksin, ja pelkään että jään yksin kävelykadulla yöllä",
        "Die Straßenbeleuchtung ist schlecht – „Grüße“ aus Köln",
    ]
    p = tmp_path / "a.csv"
    p.write_bytes(("id,text\n" + "".join(f'{i},"{t}"\n' for i, t in enumerate(texts))).encode("cp1252"))
    a = load_answers(p)
    assert a.texts == texts and a.info.encoding == "windows-1252"


@pytest.mark.parametrize(
    ("content", "encoding", "match"),
    [
        (b"id,text\n1,ok\n2,ok\n3,caf\xe9\n", "utf-8", r"line 4 is not utf-8 text \(cannot read byte\(s\) E9\)"),
        ("id,text\n1,ok\n".encode("utf-16") + b"\x00\xd8\n\x00", "auto", r"line 3 is not utf-16 text"),
        (
            "id,text\n1,ok\n2,ok\n".encode("utf-16-le") + b"\x00\xdc",
            "utf-16-le",
            r"line 4 is not utf-16-le text \(cannot read byte\(s\) 00 DC\)",
        ),
    ],
)
def test_a_named_or_marked_encoding_is_decoded_strictly(
    tmp_path: Path, content: bytes, encoding: str, match: str
) -> None:
    p = tmp_path / "a.csv"
    p.write_bytes(content)
    with pytest.raises(ConsultError, match=match):
        load_answers(p, IngestConfig(encoding=encoding))


def test_an_unknown_encoding_is_a_config_error() -> None:
    res = runner.invoke(app, ["validate", "x.csv", "--encoding", "klingon"])
    assert res.exit_code == 1 and "'klingon' is not a text encoding" in _flat(res.output)
    res = runner.invoke(app, ["validate", "x.csv", "--encoding", "rot13"])  # a codec, but not bytes to text
    assert res.exit_code == 1 and "'rot13' is not a text encoding" in _flat(res.output)


# --- columns that are not text -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "type_", "kind"),
    [
        ([{"a": "x"}, {"a": "y"}], pa.struct([("a", pa.string())]), "struct values (struct<a: string>)"),
        ([["x", "y"], ["z"]], pa.list_(pa.string()), "list values (list<"),
        ([[("k", "v")], [("k", "w")]], pa.map_(pa.string(), pa.string()), "map values (map<string, string"),
        ([b"caf\xe9", b"ok"], pa.binary(), "binary data that is not UTF-8 text (row 1)"),
    ],
)
def test_parquet_columns_that_are_not_text_are_refused_naming_column_and_type(
    tmp_path: Path, values: list[object], type_: pa.DataType, kind: str
) -> None:
    p = tmp_path / "a.parquet"
    pq.write_table(pa.table({"id": ["1", "2"], "text": pa.array(values, type=type_), "note": ["a", "b"]}), p)
    with pytest.raises(ConsultError, match=re.escape(f"the text column 'text' holds {kind}")):
        load_answers(p)
    # The same column beside the answers is carried along, not refused.
    pq.write_table(pa.table({"id": ["1", "2"], "text": ["a b", "c d"], "extra": pa.array(values, type=type_)}), p)
    assert load_answers(p).texts == ["a b", "c d"]


def test_jsonl_values_that_are_not_text_are_refused_naming_column_and_line(tmp_path: Path) -> None:
    p = tmp_path / "a.jsonl"
    p.write_text('{"id": 1, "text": "fine"}\n{"id": 2, "text": {"a": "x"}}\n', encoding="utf-8")
    with pytest.raises(ConsultError, match=r"the text column 'text' holds JSON objects \(line 2\), not text"):
        load_answers(p)
    p.write_text('{"id": [1, 2], "text": "fine"}\n', encoding="utf-8")
    with pytest.raises(ConsultError, match=r"the id column 'id' holds JSON arrays \(line 1\)"):
        load_answers(p)
    p.write_text('{"id": 1, "text": "fine", "tags": ["a", "b"]}\n', encoding="utf-8")
    assert load_answers(p).df["tags"].tolist() == ["a;b"]


# --- XLSX formulas without a saved value ---------------------------------------------------------------------


def _workbook_with_unsaved_formulas(path: Path) -> Path:
    from openpyxl import Workbook

    wb = Workbook()  # openpyxl saves formulas without calculating them, as some exporters do
    ws = wb.active
    ws.append(["id", "text", "score"])
    ws.append(["1", "Lamps out in the park", 3])
    ws.append(["2", '=CONCAT("More ", "patrols")', "=C2*2"])
    ws.append(["3", "=B2", 4])
    wb.save(path)
    return path


def test_xlsx_formulas_without_a_saved_value_are_counted_by_validate_and_label(tmp_path: Path) -> None:
    p = _workbook_with_unsaved_formulas(tmp_path / "f.xlsx")
    rep = validate(p)
    assert rep.formulas_without_value == 3 and rep.empty_answers == 2
    note = next(n for n in rep.notes if "formula" in n)
    assert "column 'text' row(s) 3, 4" in note and "column 'score' row(s) 3" in note
    res = runner.invoke(app, ["validate", str(p)])
    assert res.exit_code == 0 and re.search(r"formulas without value\W+3\b", res.output), res.output
    assert "3 formula cell(s) have no saved result" in _flat(res.output)
    # A workbook Excel saved (formula and its cached value) is read with the value, and nothing is reported.
    from openpyxl import load_workbook

    wb = load_workbook(p)
    xml_ok = tmp_path / "ok.xlsx"
    wb.active["B3"] = "More patrols"
    wb.active["B4"] = "Lamps out in the park"
    wb.active["C3"] = 6
    wb.save(xml_ok)
    assert validate(xml_ok).formulas_without_value == 0


def test_label_reports_formulas_without_a_saved_value(tmp_path: Path) -> None:
    from ._review_helpers import base_corpus
    from .test_cli import FAST

    model = tmp_path / "model"
    res = runner.invoke(app, ["train", str(base_corpus(tmp_path / "train.csv")), "-o", str(model), *FAST])
    assert res.exit_code == 0, res.output
    p = _workbook_with_unsaved_formulas(tmp_path / "f.xlsx")
    res = runner.invoke(app, ["label", str(p), "-o", str(tmp_path / "out.csv"), "-m", str(model), "--no-entities"])
    assert res.exit_code == 0, res.output
    assert "3 formula cell(s) have no saved result and were read as empty (column 'text' row(s) 3, 4" in _flat(
        res.output
    )


# --- huge headers and lines --------------------------------------------------------------------------------


def test_too_many_columns_are_refused_in_every_format(tmp_path: Path) -> None:
    cfg = IngestConfig(max_columns=50)
    cols = {"id": ["1"], "text": ["hi"], **{f"c{i}": ["x"] for i in range(60)}}
    df = pd.DataFrame(cols)
    for ext in (".csv", ".tsv", ".jsonl", ".parquet", ".xlsx"):
        p = tmp_path / f"wide{ext}"
        if ext == ".jsonl":
            p.write_text(json.dumps({k: v[0] for k, v in cols.items()}) + "\n")
        elif ext == ".xlsx":
            df.to_excel(p, index=False)
        elif ext == ".parquet":
            df.to_parquet(p)
        else:
            df.to_csv(p, index=False, sep="\t" if ext == ".tsv" else ",")
        with pytest.raises(ConsultError, match=r"has 62 columns, more than ingest.max_columns \(50\)"):
            load_answers(p, cfg)
        assert load_answers(p).texts == ["hi"]  # the default allows them
    # Quoted delimiters in the header are not columns.
    p = tmp_path / "q.csv"
    p.write_text('id,text,"' + ",".join("x" * 60) + '"\n1,hi,y\n')
    assert load_answers(p, cfg).texts == ["hi"]


def test_a_line_longer_than_the_limit_is_refused_naming_it(tmp_path: Path) -> None:
    cfg = IngestConfig(max_line_bytes=1_000)
    p = tmp_path / "long.csv"
    p.write_text("id,text\n1,short\n2," + "x" * 1_500 + "\n3,short\n")
    with pytest.raises(ConsultError, match=r"line 3 is 1,502 bytes long, more than ingest.max_line_bytes \(1,000\)"):
        load_answers(p, cfg)
    j = tmp_path / "long.jsonl"
    j.write_text(json.dumps([{"id": i, "text": "words " * 50} for i in range(10)]))  # one JSON array
    with pytest.raises(ConsultError, match=r"line 1 is .* bytes long.*JSON array instead of JSON lines"):
        load_answers(j, cfg)
    cr = tmp_path / "mac.csv"  # lines ending in a carriage return alone are lines too
    cr.write_bytes(b"id,text\r" + b"".join(f"{i},answer number {i}\r".encode() for i in range(200)))
    assert len(load_answers(cr, cfg).texts) == 200


def test_a_carriage_return_in_an_answer_stays_inside_its_csv_row(tmp_path: Path) -> None:
    # Found by tests/test_fuzz.py: with \n line ends the writer left a lone \r bare, and Excel and pandas
    # took it for the end of the row.
    from pipeline.tables import write_table

    p = tmp_path / "out.csv"
    write_table(pd.DataFrame({"id": ["1", "2"], "text": ["a\rb", "c\r\nd"]}), p)
    back = pd.read_csv(p, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert back["text"].tolist() == ["a\rb", "c\r\nd"]
