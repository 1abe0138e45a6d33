"""Tables in chunks: read a file of any size a slice of rows at a time, write output as it comes.

Streaming readers: CSV and TSV in UTF-8 (pandas' chunked C reader), JSONL in UTF-8 (line by line), Parquet
(pyarrow record batches) and a folder of Parquet parts (in name order). Other inputs (a workbook, a text file in
Windows-1252 or with lone carriage returns) are read whole by :func:`pipeline.tables.read_table`, with every
repair it makes, then handed out in slices. Each chunk is tidied as ``read_table`` tidies a whole file: every
cell a string, completely blank rows skipped. Blank unnamed columns (Excel padding) are found over the whole
file by the first pass (:meth:`Source.note_blank_columns`) and dropped from every chunk after it.

:class:`TableWriter` appends chunks to a temporary file beside the target and moves it into place only when
every chunk is written, so a failed run leaves nothing half-written.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import re
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from .atomic import check_space, write_error
from .config import IngestConfig
from .errors import ConsultError
from .progress import Progress
from .tables import (
    EXCEL_CELL_LIMIT,
    ReadInfo,
    _cell_to_str,
    _check_header,
    _excel_safe,
    _excel_unsafe,
    _sniff_delimiter,
    _strip_illegal,
    _too_long_error,
    atomic_path,
    column_name,
    jsonl_record,
    read_table,
    table_format,
)

CHUNK_ROWS = 20_000
_BLOCK = 1 << 22


class Source:
    """An input table opened for reading in chunks; :meth:`chunks` can be called once per pass."""

    def __init__(
        self,
        path: Path,
        sheet: str | int = 0,
        chunk_rows: int = CHUNK_ROWS,
        *,
        written_by_consult: bool = False,
        limits: IngestConfig | None = None,
        columns: Callable[[str], bool] | None = None,
        floats: Callable[[str], bool] | None = None,
    ) -> None:
        self.path = Path(path)
        self.columns = columns
        """Which columns to read, by name (default: all): a Parquet or CSV reader never builds the others."""
        self.floats = floats
        """Which of a Parquet file's float columns stay numbers, by name (default: none; every other cell is a
        string)."""
        self.limits = limits or IngestConfig()
        self.written_by_consult = written_by_consult
        self.sheet = sheet
        self.chunk_rows = chunk_rows
        if not self.path.exists():
            raise ConsultError(f"File {self.path} not found", "Check the path")
        self.parts = _parquet_parts(self.path) if self.path.is_dir() else [self.path]
        self.format = "parquet" if self.path.is_dir() else table_format(self.path)
        if not self.path.is_dir() and self.path.stat().st_size == 0:
            raise ConsultError(
                f"{self.path} is empty (0 bytes)", "Give a file with a header row and at least one answer"
            )
        self.info = ReadInfo(path=self.path, format=self.format)
        self.blank_columns: list[str] | None = None  # set by the first pass
        self._mode = self._choose_mode()
        self._blank_rows = 0

    def _choose_mode(self) -> str:
        """Stream what needs no repair and passes the input limits; anything else is read whole by read_table,
        which repairs it or refuses it with its message."""
        lim = self.limits
        if self.format == "parquet":
            try:
                wide = any(len(pq.read_schema(p).names) > lim.max_columns for p in self.parts)
            except Exception:  # not Parquet: read_table names the problem
                wide = True
            return "whole" if wide and not self.path.is_dir() else "parquet"
        if (
            self.format in ("csv", "tsv", "jsonl")
            and lim.encoding == "auto"
            and _plain_utf8(self.path, lim.max_line_bytes)
        ):
            return self.format if self.format == "jsonl" else "csv"
        return "whole"

    @property
    def streams(self) -> bool:
        """Is the file read in chunks (not whole by ``read_table``)?"""
        return self._mode != "whole"

    def estimated_rows(self) -> int | None:
        """Rows as Parquet metadata tells them, or estimated from the size of the first megabyte of a text file
        (None for a workbook)."""
        if self.format == "parquet":
            try:
                return sum(pq.ParquetFile(p).metadata.num_rows for p in self.parts)
            except Exception:  # not Parquet: reading it names the problem
                return None
        if self.format == "xlsx":
            return None
        size = self.path.stat().st_size
        with open(self.path, "rb") as f:
            head = f.read(1 << 20)
        lines = max(1, head.count(b"\n"))
        return max(1, round(size / (len(head) / lines)) - 1)

    def chunks(self, progress: Progress | None = None) -> Iterator[pd.DataFrame]:
        """Tidied chunks, every cell a string, the index the row number in the file (0-based, blank rows
        skipped). ``progress``, when given, is told a "reading" stage over the estimated rows and each chunk."""
        if progress is not None:
            progress.stage("reading", self.estimated_rows())
        start, self._blank_rows = 0, 0
        raw = {
            "csv": self._csv_chunks,
            "jsonl": self._jsonl_chunks,
            "parquet": self._parquet_chunks,
            "whole": self._whole_chunks,
        }[self._mode]
        for chunk in raw():
            chunk = self._tidy(chunk)
            if len(chunk) == 0:
                continue
            chunk.index = pd.RangeIndex(start, start + len(chunk))
            start += len(chunk)
            yield chunk
            if progress is not None:
                progress.tick(len(chunk))
        self._note_blank_rows()

    # readers -----------------------------------------------------------------------------------------------
    def _whole_chunks(self) -> Iterator[pd.DataFrame]:
        df, info = read_table(
            self.path, sheet=self.sheet, written_by_consult=self.written_by_consult, limits=self.limits
        )
        self.info = info
        for s in range(0, len(df), self.chunk_rows):
            yield df.iloc[s : s + self.chunk_rows]
        if len(df) == 0:
            yield df

    def _csv_chunks(self) -> Iterator[pd.DataFrame]:
        with open(self.path, "rb") as f:
            head = f.read(65536)
        text = head.decode("utf-8-sig", errors="ignore")
        first = text.split("\n", 1)[0]
        skip = 0
        if first.strip().lower().startswith("sep=") and len(first.strip()) == 5:
            delimiter, skip = first.strip()[4], 1
            text = text.split("\n", 1)[1] if "\n" in text else ""
            self.info.notes.append("skipped Excel 'sep=' line")
        else:
            delimiter = _sniff_delimiter(text, "\t" if self.format == "tsv" else ",")
        self.info.encoding = "utf-8 with BOM" if head.startswith(codecs.BOM_UTF8) else "utf-8"
        self.info.delimiter = delimiter
        if not text.strip():
            raise ConsultError(f"{self.path} has no header row", "Give a file whose first row names the columns")
        _check_header(text, delimiter, self.path)
        header = next(csv.reader([text.split("\n", 1)[0]], delimiter=delimiter), [])
        if len(header) > self.limits.max_columns:
            read_table(self.path, sheet=self.sheet, limits=self.limits)  # refuses it, naming the limit
        pick = self.columns
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", pd.errors.ParserWarning)
                reader = pd.read_csv(
                    self.path,
                    sep=delimiter,
                    dtype=str,
                    keep_default_na=False,
                    na_filter=False,
                    engine="c",
                    skip_blank_lines=True,
                    index_col=False,
                    encoding="utf-8-sig",
                    skiprows=skip,
                    chunksize=self.chunk_rows,
                    usecols=None if pick is None else lambda c: pick(column_name(c)),
                )
                with reader:
                    yield from reader
        except ConsultError:
            raise
        except Exception:  # read it whole: read_table names the line and the fix
            read_table(self.path, sheet=self.sheet, limits=self.limits)
            raise

    def _jsonl_chunks(self) -> Iterator[pd.DataFrame]:
        self.info.encoding = "utf-8"
        records: list[dict[str, Any]] = []
        with open(self.path, encoding="utf-8-sig", newline="\n") as f:
            for n, line in enumerate(f, start=1):
                obj = jsonl_record(line, n, self.path)
                if obj is None:
                    continue
                records.append(obj)
                if len(records) >= self.chunk_rows:
                    yield pd.DataFrame.from_records(records)
                    records = []
        if records:
            yield pd.DataFrame.from_records(records)

    def _parquet_chunks(self) -> Iterator[pd.DataFrame]:

        for part in self.parts:
            try:
                f = pq.ParquetFile(part)
                wanted = None
                if self.columns is not None:
                    wanted = [c for c in f.schema_arrow.names if self.columns(column_name(c))]
                for batch in f.iter_batches(batch_size=self.chunk_rows, columns=wanted):
                    chunk = arrow_strings(batch, floats=self.floats)
                    del batch
                    pa.default_memory_pool().release_unused()  # Arrow's pool keeps freed buffers otherwise
                    yield chunk
            except Exception as e:
                msg = str(e).splitlines()[0] if str(e) else type(e).__name__
                raise ConsultError(f"Cannot read {part} as PARQUET ({msg})", "Give a valid Parquet file") from None

    # tidying ----------------------------------------------------------------------------------------------
    def _tidy(self, df: pd.DataFrame) -> pd.DataFrame:
        df.columns = [column_name(c) for c in df.columns]
        if self.columns is not None and self._mode in ("jsonl", "whole"):
            df = df[[c for c in df.columns if self.columns(c)]]
        if self._mode not in ("csv", "parquet"):  # the CSV and Parquet readers give strings already
            df = df.astype(object).map(_cell_to_str) if len(df) else df.astype(object)
        if self.written_by_consult and self._mode == "csv":  # as read_table: the apostrophe before formulas goes
            for c in df.columns:
                quoted = df[c].str.startswith("'").to_numpy()
                if quoted.any():
                    df.loc[quoted, c] = df.loc[quoted, c].map(_excel_unsafe)
        if self.blank_columns:
            df = df.drop(columns=[c for c in self.blank_columns if c in df.columns])
        if len(df.columns) and len(df):
            blank = np.ones(len(df), dtype=bool)
            for c in df.columns:
                col = df[c]
                blank &= col.isna().to_numpy() if col.dtype.kind == "f" else (col.str.strip() == "").to_numpy()
                if not blank.any():
                    break
            if blank.any():
                self._blank_rows += int(blank.sum())
                df = df[~blank]
        return df

    def _note_blank_rows(self) -> None:
        if self._mode != "whole" and self._blank_rows:
            note = f"skipped {self._blank_rows} completely blank row(s)"
            if note not in self.info.notes:
                self.info.notes.append(note)

    def note_blank_columns(self, columns: list[str], filled: set[str]) -> None:
        """After a first pass: unnamed columns with no filled cell are dropped from then on."""
        if self._mode == "whole":  # read_table dropped them already
            self.blank_columns = []
            return
        self.blank_columns = [c for c in columns if (c == "" or c.startswith("Unnamed:")) and c not in filled]
        if self.blank_columns:
            self.info.notes.append(f"dropped {len(self.blank_columns)} blank unnamed column(s)")


def _parquet_parts(folder: Path) -> list[Path]:
    parts = sorted(p for p in folder.iterdir() if p.suffix.lower() == ".parquet" and not p.name.startswith("."))
    if not parts:
        raise ConsultError(
            f"{folder} is a folder with no .parquet files",
            "Give a table file, or a folder of Parquet parts (part-0.parquet, part-1.parquet, ...)",
        )
    return parts


_LONE_CR = re.compile(rb"\r(?!\n)")


def _longest_line(block: bytes, first: int, last: int) -> int:
    """Longest run between two newlines of ``block`` (from its first to its last newline)."""
    if first == last:
        return 0
    at = np.frombuffer(block, dtype=np.uint8, count=last + 1, offset=0)
    nl = np.flatnonzero(at == 10)
    return int(np.diff(nl).max()) - 1 if len(nl) > 1 else 0


def arrow_strings(batch: pa.RecordBatch, floats: Callable[[str], bool] | None = None) -> pd.DataFrame:
    """``batch`` as a table of strings, each cell as :func:`tables._cell_to_str` writes it (None and NaN as "",
    whole floats without ".0"), converted a column at a time where Arrow can, cell by cell otherwise.
    ``floats``: which float columns stay numbers (null as NaN), by name."""
    out = {}
    for name, col in zip(batch.schema.names, batch.columns, strict=True):
        t = col.type
        if pa.types.is_string(t) or pa.types.is_large_string(t):
            text = pc.fill_null(col, "")
        elif pa.types.is_integer(t):
            text = pc.fill_null(pc.cast(col, pa.string()), "")
        elif pa.types.is_boolean(t):
            text = pc.fill_null(pc.if_else(col, "True", "False"), "")
        elif pa.types.is_floating(t) and floats is not None and floats(name):
            out[name] = pd.Series(pc.fill_null(col, float("nan")).to_numpy(zero_copy_only=False))
            continue
        elif pa.types.is_float64(t):
            out[name] = pd.Series(_float_strings(col.to_numpy(zero_copy_only=False)), dtype=object)
            continue
        else:
            out[name] = col.to_pandas().astype(object).map(_cell_to_str)
            continue
        enc = pc.dictionary_encode(text)  # repeated values ("True", a borough) share one string object
        values = np.array(enc.dictionary.to_pylist(), dtype=object)
        out[name] = pd.Series(values[enc.indices.to_numpy(zero_copy_only=False)], dtype=object)
    return pd.DataFrame(out, columns=batch.schema.names)


def _float_strings(a: np.ndarray) -> np.ndarray:
    """``str(x)`` of each float (shortest round-trip form, as Python and NumPy both write it), whole numbers
    as integers, NaN as ""."""
    out = a.astype(str).astype(object)
    whole = np.isfinite(a) & (a == np.floor(a))
    small = whole & (np.abs(a) < 2.0**53)
    out[small] = a[small].astype(np.int64).astype(str)
    big = whole & ~small
    out[big] = [str(int(x)) for x in a[big]]
    out[np.isnan(a)] = ""
    return out


def _plain_utf8(path: Path, max_line_bytes: int) -> bool:
    """Strict UTF-8 (a BOM allowed), no NUL bytes, no lone carriage return and no line longer than
    ``max_line_bytes``: what the streaming readers handle exactly as :func:`read_table` would. Read a block at a
    time."""
    dec = codecs.getincrementaldecoder("utf-8")(errors="strict")
    carry = b""
    line = 0  # bytes since the last newline
    with open(path, "rb") as f:
        while block := f.read(_BLOCK):
            first, last = block.find(b"\n"), block.rfind(b"\n")
            if first < 0:
                line += len(block)
            else:
                longest = max(line + first, _longest_line(block, first, last))
                if longest > max_line_bytes:
                    return False
                line = len(block) - last - 1
            if line > max_line_bytes:
                return False
            if b"\x00" in block:
                return False
            try:
                dec.decode(block)
            except UnicodeDecodeError:
                return False
            data = carry + block
            if _LONE_CR.search(data[:-1]):
                return False
            carry = data[-1:]
    try:
        dec.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return carry != b"\r"


class TableWriter:
    """Append DataFrame chunks to ``path`` (format from its extension) through a temporary file that replaces
    ``path`` only when :meth:`close` is reached without error. Use as a context manager."""

    def __init__(self, path: Path, sheet_name: str = "labelled") -> None:
        self.path = Path(path)
        self.format = table_format(self.path)
        self.sheet_name = sheet_name
        self._ctx = atomic_path(self.path)
        self._state: Any = None
        self._columns: list[str] | None = None
        self.rows = 0

    def __enter__(self) -> TableWriter:
        self._tmp = self._ctx.__enter__()
        return self

    def __exit__(self, *exc: Any) -> bool | None:
        if exc[0] is not None:
            self._abandon()
            return self._ctx.__exit__(*exc)
        try:
            self._finish()
        except BaseException as e:
            self._ctx.__exit__(type(e), e, e.__traceback__)
            raise
        return self._ctx.__exit__(None, None, None)

    def write(self, df: pd.DataFrame) -> None:
        if self._columns is None:
            self._columns = [str(c) for c in df.columns]
        fmt = self.format
        if fmt in ("csv", "tsv"):
            if self._state is None:
                self._state = open(self._tmp, "wb")  # noqa: SIM115 (closed in _finish)
            # As write_table: UTF-8 with BOM, CRLF line ends (a lone \r inside a cell is then quoted).
            text = _safe_cells(df).to_csv(
                index=False, header=self.rows == 0, sep="," if fmt == "csv" else "\t", lineterminator="\r\n"
            )
            self._put(("\ufeff" if self.rows == 0 else "") + text)
        elif fmt == "jsonl":
            if self._state is None:
                self._state = open(self._tmp, "wb")  # noqa: SIM115 (closed in _finish)
            if len(df):
                text = df.to_json(orient="records", lines=True, force_ascii=False) or ""
                self._put(text if text.endswith("\n") else text + "\n")
        elif fmt == "parquet":
            if self._state is None:
                table = pa.Table.from_pandas(df, preserve_index=False)
                self._state = pq.ParquetWriter(self._tmp, table.schema)
            else:
                table = pa.Table.from_pandas(df, schema=self._state.schema, preserve_index=False)
            self._state.write_table(table)
        else:
            self._write_xlsx(df)
        self.rows += len(df)

    def _put(self, text: str) -> None:
        """Append ``text`` after checking there is room for it (a full disk: one clear error, nothing left)."""
        data = text.encode("utf-8")
        check_space(self.path, len(data))
        try:
            self._state.write(data)
        except OSError as e:
            raise write_error(self.path, e, written=self._tmp.stat().st_size if self._tmp.exists() else 0) from None

    def _write_xlsx(self, df: pd.DataFrame) -> None:

        if self._state is None:
            wb = Workbook(write_only=True)
            ws = wb.create_sheet(title=self.sheet_name[:31])
            ws.append([str(c) for c in df.columns])
            self._state = (wb, ws)
        ws = self._state[1]
        for row in df.itertuples(index=False, name=None):
            cells = []
            for col, v in zip(df.columns, row, strict=True):
                if v is None or (isinstance(v, float) and v != v):
                    v = None
                elif not isinstance(v, (int, float, str, bool)):
                    v = str(v)
                if isinstance(v, str) and len(v) > EXCEL_CELL_LIMIT:
                    raise _too_long_error(len(v), col)
                cell = WriteOnlyCell(ws, value=_strip_illegal(v) if isinstance(v, str) else v)
                if isinstance(v, str):
                    cell.data_type = "s"
                cells.append(cell)
            ws.append(cells)

    def _finish(self) -> None:
        if self._state is None:  # no chunk at all: an empty table with no columns
            self.write(pd.DataFrame())
        if self.format == "xlsx":
            self._state[0].save(self._tmp)
        elif self._state is not None:
            self._state.close()

    def _abandon(self) -> None:
        if self._state is None:
            return
        with contextlib.suppress(Exception):  # the file is deleted next; a second error would hide the first
            if self.format == "xlsx":
                self._state[1].close()  # ends openpyxl's row writer now, not when it is garbage-collected
            else:
                self._state.close()


def _safe_cells(df: pd.DataFrame) -> pd.DataFrame:
    """As ``write_table``: text cells a spreadsheet would run as a formula get an apostrophe (only the few
    cells that start like a formula are looked at)."""
    out = None
    for c in df.columns:
        s = df[c]
        if not len(s) or not (s.dtype == object or pd.api.types.is_string_dtype(s.dtype)):
            continue
        starts = s.map(lambda v: isinstance(v, str) and len(v) > 1 and v[0] in "=+-@\t\r").to_numpy()
        if starts.any():
            out = df.copy() if out is None else out
            out.loc[starts, c] = s[starts].map(_excel_safe)
    return df if out is None else out


__all__ = ["CHUNK_ROWS", "Source", "TableWriter"]
