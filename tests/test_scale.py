"""Labelling in chunks: the same output whatever the chunk size, processes or engine; every input check kept."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from pipeline.config import load_config
from pipeline.errors import ConsultError
from pipeline.label import label_file
from pipeline.report import report_file
from pipeline.stream import Source, TableWriter, arrow_strings
from pipeline.tables import _cell_to_str

from .test_classify import COURT, LIGHT, PATROL
from .test_cli import FAST, run

CAMPAIGN = "Please put more police on the night buses and at the stations after dark, it is not safe for women"


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("scale")
    texts = LIGHT + PATROL + COURT
    labels = ["light"] * 9 + ["patrol"] * 9 + ["court"] * 9
    p = d / "train.csv"
    pd.DataFrame({"id": [f"t{i}" for i in range(len(texts))], "text": texts, "labels": labels}).to_csv(p, index=False)
    code, text = run("train", p, "-o", d / "model", *FAST)
    assert code == 0, text
    return d / "model"


def answers(n: int = 450) -> pd.DataFrame:
    """Distinct answers, exact and edited copies of a campaign text (across chunk borders), empty ones."""
    base = LIGHT + PATROL + COURT
    texts = []
    for i in range(n):
        if i % 50 == 7:
            texts.append(CAMPAIGN)
        elif i % 50 == 31:
            texts.append(CAMPAIGN.upper().replace("after dark, ", "after dark ") + " Thanks, Jo")
        elif i % 40 == 3:
            texts.append("")
        else:
            texts.append(f"{base[i % len(base)]} (answer {i}, in Hackney)")
    return pd.DataFrame({"id": [f"a{i:04d}" for i in range(n)], "text": texts, "area": ["x"] * n})


def label(src: Path, out: Path, model: Path, *sets: str, **kw: object) -> pd.DataFrame:
    cfg = load_config(None, list(sets))
    label_file(src, out, model, cfg, **kw)  # type: ignore[arg-type]
    return pd.read_parquet(out) if out.suffix == ".parquet" else pd.read_csv(out, dtype=str, keep_default_na=False)


def test_chunks_processes_and_formats_give_the_same_output(model: Path, tmp_path: Path) -> None:
    df = answers()
    csv, pq = tmp_path / "in.csv", tmp_path / "in.parquet"
    df.to_csv(csv, index=False)
    df.to_parquet(pq, index=False)
    whole = label(csv, tmp_path / "whole.csv", model, with_entities=True, jobs=1)
    small = label(csv, tmp_path / "small.csv", model, "ingest.chunk_rows=100", with_entities=True, jobs=2)
    pd.testing.assert_frame_equal(whole, small)
    assert whole["id"].tolist() == df["id"].tolist()  # every row, in order
    # Copies point at the first earlier answer of the campaign, across chunks; so do the edited copies.
    first = df.index[df["text"] == CAMPAIGN][0]
    copies = whole.index[(whole.index > first) & df["text"].str.contains("(?i)night buses")]
    assert len(copies) >= 15 and (whole.loc[copies, "duplicate_of"] == df["id"][first]).all()
    assert whole.loc[first, "duplicate_of"] == ""
    assert (whole["duplicate_of"] == df["id"][first]).sum() == len(copies)
    # Entities: found once per distinct text, the same for its copies.
    assert whole["entities"].str.contains("Hackney").sum() > 300
    assert whole.loc[copies[copies % 50 == 7], "entities"].nunique() == 1
    from_parquet = label(pq, tmp_path / "out.parquet", model, "ingest.chunk_rows=100", with_entities=True, jobs=1)
    assert from_parquet["themes"].tolist() == whole["themes"].tolist()
    assert from_parquet["duplicate_of"].tolist() == whole["duplicate_of"].tolist()
    assert from_parquet["entities"].tolist() == whole["entities"].tolist()


def test_a_folder_of_parquet_parts_is_one_input(model: Path, tmp_path: Path) -> None:
    df = answers(300)
    folder = tmp_path / "parts"
    folder.mkdir()
    for k, s in enumerate(range(0, 300, 120)):
        df.iloc[s : s + 120].to_parquet(folder / f"part-{k}.parquet", index=False)
    out = label(folder, tmp_path / "out.csv", model, "ingest.chunk_rows=100", with_entities=False, jobs=1)
    assert out["id"].tolist() == df["id"].tolist()
    assert (out["duplicate_of"] == "a0007").sum() == 11  # the campaign's copies in every part


def test_input_checks_hold_in_chunks(model: Path, tmp_path: Path) -> None:
    cfg = load_config(None, ["ingest.chunk_rows=100"])
    df = answers(250)
    df.loc[230, "id"] = "a0005"  # a repeated id, in another chunk than its first use
    p = tmp_path / "dup.csv"
    df.to_csv(p, index=False)
    with pytest.raises(ConsultError, match=r"1 id\(s\) used by several answers: 'a0005' is on data rows 6, 231"):
        label_file(p, tmp_path / "o.csv", model, cfg, with_entities=False, jobs=1)
    df = answers(250)
    df.loc[180, "id"] = " "
    df.to_csv(p, index=False)
    with pytest.raises(ConsultError, match=r"1 answer\(s\) with no id \(the first is data row 181\)"):
        label_file(p, tmp_path / "o.csv", model, cfg, with_entities=False, jobs=1)
    with pytest.raises(ConsultError, match="no text column 'answer'"):
        label_file(
            p, tmp_path / "o.csv", model, load_config(None, ['ingest.text_column="answer"']), with_entities=False
        )
    assert not (tmp_path / "o.csv").exists()


def test_jsonl_keys_may_differ_and_blank_rows_and_columns_are_dropped(tmp_path: Path) -> None:
    p = tmp_path / "in.jsonl"
    p.write_text('{"id": "1", "text": "a"}\n{"id": "2", "text": "b", "area": "x"}\n', encoding="utf-8")
    src = Source(p, chunk_rows=100)
    chunks = list(src.chunks())
    assert [c["id"].tolist() for c in chunks] == [["1", "2"]]
    c = tmp_path / "in.csv"
    c.write_text("id,text,\n1,a,\n,,\n2,b,\n", encoding="utf-8")
    src = Source(c, chunk_rows=100)
    first = pd.concat(src.chunks())
    src.note_blank_columns(list(first.columns), {"id", "text"})
    again = pd.concat(src.chunks())
    assert list(again.columns) == ["id", "text"] and again["id"].tolist() == ["1", "2"]
    assert "skipped 1 completely blank row(s)" in src.info.notes


def test_parquet_cells_read_a_column_at_a_time_are_the_strings_a_cell_by_cell_read_gives() -> None:
    f = np.array([0.25, 3.0, np.nan, np.inf, -0.0, 1e300, 2.0**60, 1e-7, -12.5, 7.0])
    with np.errstate(over="ignore"):
        f32 = f.astype(np.float32)  # 1e300 becomes inf
    batch = pa.RecordBatch.from_arrays(
        [
            pa.array(f),
            pa.array(["a", None, "a", "b", "", "ü", None, "a", "c", "a"], pa.large_string()),
            pa.array([True, None, False, True, True, False, None, True, False, True]),
            pa.array([1, None, -3, 10**12, 0, 5, None, 7, 8, 9], pa.int64()),
            pa.array([[1, 2]] * 10),
            pa.array(f32),
        ],
        names=["f", "s", "b", "i", "l", "f32"],
    )
    cell_by_cell = batch.to_pandas().astype(object).map(_cell_to_str)
    fast = arrow_strings(batch)
    for c in batch.schema.names:
        assert fast[c].tolist() == cell_by_cell[c].tolist(), c
    assert fast["s"].iloc[0] is fast["s"].iloc[2]  # repeated values share one string
    numbers = arrow_strings(batch, floats=lambda c: c == "f")
    assert numbers["f"].iloc[[0, 1, 7]].tolist() == [0.25, 3.0, 1e-7] and np.isnan(numbers["f"].iloc[2])
    assert numbers["f32"].tolist() == fast["f32"].tolist()  # not asked for: text


def test_only_the_columns_asked_for_are_read(tmp_path: Path) -> None:
    df = pd.DataFrame({"id": ["1", "2"], "text": ["a", "b"], "p_x": [0.5, 0.25], "other": ["u", "v"]})
    df.to_parquet(tmp_path / "in.parquet", index=False)
    df.to_csv(tmp_path / "in.csv", index=False)
    df.to_json(tmp_path / "in.jsonl", orient="records", lines=True)
    for name in ("in.parquet", "in.csv", "in.jsonl"):
        got = pd.concat(Source(tmp_path / name, columns=lambda c: c != "other").chunks())
        assert list(got.columns) == ["id", "text", "p_x"], name
        assert got["p_x"].tolist() == ["0.5", "0.25"], name
    kept = pd.concat(Source(tmp_path / "in.parquet", floats=lambda c: c == "p_x").chunks())
    assert kept["p_x"].tolist() == [0.5, 0.25] and kept["other"].tolist() == ["u", "v"]


def test_a_report_reads_probabilities_as_numbers_and_a_numeric_by_column_as_text(tmp_path: Path) -> None:
    from pipeline.report.build import read_labelled

    df = pd.DataFrame(
        {"id": ["1", "2"], "text": ["a", "b"], "themes": ["x", ""], "p_x": [0.75, 0.125], "age": [34.0, 51.0]}
    )
    df.assign(extra=["u", "v"]).to_parquet(tmp_path / "lab.parquet", index=False)
    got = read_labelled(tmp_path / "lab.parquet", load_config(None, []), ["age"])
    assert list(got.columns) == ["id", "text", "themes", "p_x", "age"]  # "extra" is never read
    assert got["p_x"].tolist() == [0.75, 0.125] and got["age"].tolist() == ["34", "51"]


def test_windows_1252_and_lone_carriage_returns_are_read_whole_with_their_repairs(tmp_path: Path) -> None:
    p = tmp_path / "in.csv"
    p.write_bytes("id,text\n1,caf\xe9 by the station\n2,line\rbreak\n".encode("cp1252"))
    rows = pd.concat(Source(p).chunks())
    assert rows["text"].tolist() == ["café by the station", "line break"]


def test_writer_leaves_nothing_when_a_chunk_fails(tmp_path: Path) -> None:
    out = tmp_path / "o.csv"
    with pytest.raises(RuntimeError), TableWriter(out) as w:
        w.write(pd.DataFrame({"a": ["=1+1", "x"]}))
        raise RuntimeError("boom")
    assert not out.exists() and not list(tmp_path.iterdir())
    with TableWriter(out) as w:
        w.write(pd.DataFrame({"a": ["=1+1", "x"]}))
        w.write(pd.DataFrame({"a": ["y"]}))
    assert out.read_bytes().decode("utf-8-sig") == "a\r\n'=1+1\r\nx\r\ny\r\n"  # as write_table writes CSV


def test_dask_on_a_two_worker_local_cluster_matches_local(model: Path, tmp_path: Path) -> None:
    pytest.importorskip("distributed")
    df = answers(300)
    p = tmp_path / "in.parquet"
    df.to_parquet(p, index=False)
    local = label(p, tmp_path / "local.parquet", model, "ingest.chunk_rows=100", with_entities=True, jobs=1)
    dask = label(
        p, tmp_path / "dask.parquet", model, "ingest.chunk_rows=100", with_entities=True, engine="dask", dask_workers=2
    )
    pd.testing.assert_frame_equal(local, dask)


class Recorder:
    def __init__(self) -> None:
        self.stages: list[tuple[str, int | None]] = []
        self.done: dict[str, int] = {}

    def stage(self, name: str, total: int | None) -> None:
        self.stages.append((name, total))
        self.done[name] = 0

    def tick(self, n: int) -> None:
        self.done[self.stages[-1][0]] += n


def test_progress_counts_answers_in_every_stage(model: Path, tmp_path: Path) -> None:
    df = answers(250)
    p = tmp_path / "in.parquet"
    df.to_parquet(p, index=False)
    rec = Recorder()
    label_file(
        p,
        tmp_path / "o.csv",
        model,
        load_config(None, ["ingest.chunk_rows=100"]),
        with_entities=False,
        jobs=1,
        progress=rec,
    )  # type: ignore[arg-type]
    assert rec.stages == [("checking", 250), ("labelling", 250)]  # Parquet metadata gives the count up front
    assert rec.done == {"checking": 250, "labelling": 250}
    rec = Recorder()
    report_file(tmp_path / "o.csv", tmp_path / "rep", config=load_config(None, []), progress=rec)  # type: ignore[arg-type]
    assert rec.stages[:3] == [("reading", rec.stages[0][1]), ("counting", 250), ("quoting (redacted)", 250)]
    assert rec.stages[0][1] is not None and abs(rec.stages[0][1] - 250) <= 50  # estimated from the CSV's size
    assert rec.done == {"reading": 250, "counting": 250, "quoting (redacted)": 250, "writing": 0}


def test_dask_missing_is_one_clear_error(model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed -> ImportError
    df = answers(120)
    p = tmp_path / "in.csv"
    df.to_csv(p, index=False)
    code, text = run("label", p, "-o", tmp_path / "o.csv", "-m", model, "--engine", "dask", "--no-entities")
    assert code == 1 and "pip install -e '.[dask]'" in text and not (tmp_path / "o.csv").exists()
