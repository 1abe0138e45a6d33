"""Messy real files: title rows above the header, column names in another case or spacing, a model path that
does not exist."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from pipeline.config import IngestConfig
from pipeline.errors import ConsultError
from pipeline.ingest import load_answers
from pipeline.registry import resolve_model_dir

from ._review_helpers import fake_model
from .test_workspace import run

ROWS = [["R1", "More patrols at night, please", "Camden"], ["R2", "Street lights are broken", "Hackney"]]


def _csv_with_titles(path: Path) -> Path:
    lines = ["VAWG consultation export", "Downloaded 3 March,,", "Response ID,Q3 - Your answer,Borough"]
    lines += [",".join(f'"{c}"' for c in r) for r in ROWS]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _xlsx_with_titles(path: Path) -> Path:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["Consultation on the VAWG action plan"])
    ws.append([])
    ws.append(["Response ID", "Q3 - Your answer", "Borough"])
    for r in ROWS:
        ws.append(r)
    wb.save(path)
    return path


@pytest.mark.parametrize("make", [_csv_with_titles, _xlsx_with_titles])
def test_title_rows_above_the_header_are_detected_and_skipped(tmp_path: Path, make) -> None:  # type: ignore[no-untyped-def]
    path = make(tmp_path / ("f.csv" if make is _csv_with_titles else "f.xlsx"))
    cfg = IngestConfig(id_column="response id", text_column="Q3 -  your answer")  # case and spacing differ
    a = load_answers(path, cfg)
    assert a.ids == ["R1", "R2"] and a.texts[0] == "More patrols at night, please"
    assert (a.id_column, a.text_column) == ("Response ID", "Q3 - Your answer")
    assert any("above the header" in n for n in a.info.notes)


def test_skip_rows_by_name_and_in_the_error(tmp_path: Path) -> None:
    path = _csv_with_titles(tmp_path / "f.csv")
    with pytest.raises(ConsultError) as e:
        load_answers(path, IngestConfig(id_column="Response ID", text_column="answer text"))
    assert "--skip-rows" in str(e.value) and "ingest.skip_rows" in str(e.value)
    a = load_answers(path, IngestConfig(id_column="Response ID", text_column="Q3 - Your answer", skip_rows=2))
    assert a.ids == ["R1", "R2"]
    code, text = run("validate", path, "--skip-rows", "2", "--id-column", "Response ID", "--text-column", "Borough")
    assert code == 0 and "rows" in text, text


def test_column_names_match_loosely_when_unambiguous_else_did_you_mean(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    pd.DataFrame({"id": ["1", "2"], "Question": ["q1", "q1"], "Answer Text": ["more light", "more patrols"]}).to_csv(
        path, index=False
    )
    a = load_answers(path, IngestConfig(text_column="answer  text", question_column="question"))
    assert a.text_column == "Answer Text" and a.question_column == "Question"
    with pytest.raises(ConsultError, match="did you mean 'Answer Text'"):
        load_answers(path, IngestConfig(text_column="answer_txt"))
    both = tmp_path / "both.csv"
    pd.DataFrame({"id": ["1"], "Text": ["a b"], "text ": ["c d"], "TEXT": ["e f"]}).to_csv(both, index=False)
    with pytest.raises(ConsultError, match="several columns"):
        load_answers(both, IngestConfig(text_column="tExt"))


def test_a_missing_model_path_says_so_and_lists_the_versions(tmp_path: Path) -> None:
    root = tmp_path / "models" / "default"
    for v in ("v0001", "v0002"):
        fake_model(root / v, ["a", "b"], [0.5, 0.5], version=v)
    (root / "CURRENT").write_text("v0002\n", encoding="utf-8")
    with pytest.raises(ConsultError) as e:
        resolve_model_dir(root / "v0003")
    assert "does not exist" in str(e.value) and "v0001, v0002 (current)" in str(e.value)
    with pytest.raises(ConsultError, match="models in"):
        resolve_model_dir(tmp_path / "models" / "defualt")
    code, text = run("label", tmp_path / "x.csv", "-o", tmp_path / "y.csv", "--model", root / "v0009")
    assert code == 1 and "does not exist" in text
