"""Property-based tests: random bytes, random CSV dialects and random Unicode given to `validate` and `label`.

Every run must end in success or in one clear error (exit code 1, one line starting "Error:"), never a
traceback; a successful `label` keeps every row. By default the examples are few and derandomised (the same on
every run, so CI is stable and fast); FUZZ_EXAMPLES=500 searches longer, with new random examples each run.
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from pipeline.cli import app

from ._review_helpers import base_corpus
from .test_cli import FAST

runner = CliRunner()
N = int(os.environ.get("FUZZ_EXAMPLES", "25"))
SETTINGS = settings(
    max_examples=N,
    deadline=None,
    derandomize="FUZZ_EXAMPLES" not in os.environ,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("fuzzmodel")
    res = runner.invoke(
        app, ["train", str(base_corpus(d / "train.csv")), "-o", str(d / "m"), *FAST, "--set", "model.tokenizer=regex"]
    )
    assert res.exit_code == 0, res.output
    return d / "m"


def check_run(args: list[str]) -> tuple[int, str]:
    """Run the CLI; assert it ended in success or one clear error. Returns (exit code, output)."""
    res = runner.invoke(app, args)
    if res.exception is not None and not isinstance(res.exception, SystemExit):
        import traceback

        tb = "".join(traceback.format_exception(res.exception))
        raise AssertionError(f"{args[0]} raised instead of a clear error:\n{tb}")
    assert res.exit_code in (0, 1), (res.exit_code, res.output)
    if res.exit_code == 1:
        lines = res.output.rstrip("\n").split("\n")
        assert len(lines) == 1 and lines[0].startswith("Error: "), res.output
    assert "Traceback" not in res.output
    return res.exit_code, res.output


def validate_and_label(path: Path, model: Path) -> None:
    vcode, voutput = check_run(["validate", str(path), "--json"])
    out = path.parent / "labelled.csv"
    # --jobs 1: a few rows need no worker processes (their start-up would dominate; test_scale covers --jobs)
    code, _ = check_run(["label", str(path), "-o", str(out), "-m", str(model), "--no-entities", "--jobs", "1"])
    if code == 0:
        rows = len(pd.read_csv(out, dtype=str, keep_default_na=False))
        assert vcode == 0 and rows == json.loads(voutput)["rows"]  # every row read is labelled
    else:
        assert not out.exists()


@SETTINGS
@given(
    start=st.sampled_from([b"", b"id,text\n", b"\xef\xbb\xbfid;text\r\n1;", b'{"id": "1", "text": "', b"PK\x03\x04"]),
    data=st.binary(max_size=2000),
    ext=st.sampled_from([".csv", ".tsv", ".jsonl", ".xlsx", ".parquet"]),
)
def test_random_bytes(model: Path, start: bytes, data: bytes, ext: str) -> None:
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / f"in{ext}"
        p.write_bytes(start + data)  # a plausible start gets the bytes past the first checks
        validate_and_label(p, model)


@st.composite
def csv_files(draw: st.DrawFn) -> bytes:
    """A table of answers written with a random delimiter, quoting, line end, encoding and header."""
    delimiter = draw(st.sampled_from([",", ";", "\t", "|"]))
    quoting = draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL, csv.QUOTE_NONNUMERIC, csv.QUOTE_NONE]))
    quotechar = draw(st.sampled_from(['"', "'"]))
    end = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-32", "cp1252"]))
    header = draw(
        st.sampled_from([["id", "text"], ["text", "id", "borough"], ["id", "answer"], ["id", "text", "text"]])
    )
    cell = st.text(max_size=60) if encoding != "cp1252" else st.text(st.characters(codec="cp1252"), max_size=60)
    rows = draw(st.lists(st.lists(cell, min_size=len(header), max_size=len(header)), max_size=12))
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delimiter, quoting=quoting, quotechar=quotechar, lineterminator=end, escapechar="\\")
    if draw(st.booleans()):
        buf.write(f"sep={delimiter}{end}")
    w.writerow(header)
    for i, r in enumerate(rows):
        if "id" in header and draw(st.booleans()):
            r[header.index("id")] = f"r{i}"
        w.writerow(r)
    return buf.getvalue().encode(encoding)


@SETTINGS
@given(content=csv_files())
def test_random_csv_dialects(model: Path, content: bytes) -> None:
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "in.csv"
        p.write_bytes(content)
        validate_and_label(p, model)


@SETTINGS
@given(
    texts=st.lists(st.text(max_size=200), min_size=1, max_size=15),
    ext=st.sampled_from([".csv", ".jsonl", ".xlsx", ".parquet"]),
)
def test_random_unicode_answers(model: Path, texts: list[str], ext: str) -> None:
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / f"in{ext}"
        df = pd.DataFrame({"id": [f"r{i}" for i in range(len(texts))], "text": texts})
        if ext == ".csv":
            df.to_csv(p, index=False)
        elif ext == ".jsonl":
            p.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in df.to_dict("records")), "utf-8")
        elif ext == ".xlsx":
            from openpyxl import Workbook

            wb = Workbook()
            wb.active.append(["id", "text"])
            try:
                for i, t in enumerate(texts):
                    wb.active.append([f"r{i}", t])
            except Exception:  # openpyxl refuses characters XML cannot hold: no such workbook exists
                return
            wb.save(p)
        else:
            df.to_parquet(p)
        validate_and_label(p, model)
