"""Reading and writing tables by file extension: CSV, TSV, XLSX, JSONL, Parquet.

Reading detects the text encoding (UTF-8, UTF-8 with BOM, UTF-16 with BOM, Windows-1252) and the usual
Excel export quirks (a ``sep=`` first line, semicolon delimiters, blank trailing columns). Every cell is read
as text, so ids like ``007`` keep their zeros. Writing goes to a temporary file that replaces the target
only when complete: a failed run leaves nothing half-written.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from xml.etree.ElementTree import iterparse

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.utils.cell import column_index_from_string, coordinate_from_string

from .atomic import atomic_path, usual_permissions, write_bytes
from .config import IngestConfig
from .errors import ConsultError
from .formats import FORMATS, SUPPORTED, table_format

# The formats (pipeline.formats) are re-exported for modules that read tables through this one.
__all__ = [
    "FORMATS",
    "ReadInfo",
    "atomic_path",
    "read_table",
    "table_format",
    "usual_permissions",
    "write_table",
    "write_xlsx",
]

# Cells an analyst's spreadsheet would run as a formula (CSV/formula injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class ReadInfo:
    """How a file was read."""

    path: Path
    format: str
    encoding: str | None = None
    delimiter: str | None = None
    notes: list[str] = field(default_factory=list)
    column_kinds: dict[str, str] = field(default_factory=dict)
    """Columns whose values are not text (nested Parquet or JSON values, binary that is not UTF-8): what they
    hold, e.g. "struct<a: string>" or "JSON objects (line 3)". Such columns cannot be read as answers."""
    formulas_without_value: int = 0
    """XLSX formula cells with no saved result (read as empty)."""


GUESSED = "UTF-8, UTF-8/16/32 with a byte-order mark, or Windows-1252"
_ENCODING_FIX = (
    "Re-save it as CSV UTF-8 (in Excel: File > Save As > 'CSV UTF-8'), or name its encoding with --encoding "
    "(e.g. --encoding cp866; in a config file: ingest.encoding)"
)


def detect_encoding(data: bytes, path: Path) -> str:
    """Name the encoding of ``data``: a BOM's, else UTF-8 if it is valid UTF-8, else "cp1252", which
    :func:`decode` checks line by line. No other encoding is ever guessed."""
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):  # before UTF-16: FF FE starts both
        return "utf-32"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if b"\x00" in data:
        raise ConsultError(
            f"{path} contains NUL bytes: it is binary or UTF-16 without a byte-order mark",
            "Re-save it as CSV UTF-8 (in Excel: File > Save As > 'CSV UTF-8'), or name its encoding with --encoding",
        )
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        return "cp1252"


def _sniff_delimiter(text: str, default: str) -> str:
    sample = "\n".join(text[:65536].splitlines()[:50])
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        return default


def _decode_as(data: bytes, encoding: str, path: Path, what: str) -> str:
    """``data`` decoded strictly; an error names the line of the first byte that is not ``what``."""
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as e:
        line = data[: e.start].decode(encoding, errors="replace").count("\n") + 1
        bad = " ".join(f"{b:02X}" for b in data[e.start : min(e.end, e.start + 4)])
        raise ConsultError(
            f"{path} line {line} is not {what} text (cannot read byte(s) {bad})", _ENCODING_FIX
        ) from None


def decode(data: bytes, path: Path, info: ReadInfo, encoding: str = "auto") -> str:
    """The text of ``data``, in ``encoding`` or, with "auto", in the encoding :func:`detect_encoding` names.

    A UTF-8 file with a few Windows-1252 lines (one pasted "café" in an otherwise UTF-8 export) is read line
    by line, so the UTF-8 lines do not turn into mojibake; ``info.notes`` names the lines read as
    Windows-1252. A line that is neither UTF-8 nor Windows-1252 is refused, naming it."""
    if encoding != "auto":
        name = codecs.lookup(encoding).name
        info.encoding = f"{name} (as given)"
        return _decode_as(data, encoding, path, name)
    enc = detect_encoding(data, path)
    info.encoding = {"utf-8-sig": "utf-8 with BOM", "cp1252": "windows-1252"}.get(enc, enc)
    if enc != "cp1252":
        return _decode_as(data, enc, path, info.encoding)
    lines = data.split(b"\n")
    utf8_lines, other = 0, []
    for n, line in enumerate(lines, start=1):
        if line.isascii():
            continue
        try:
            line.decode("utf-8")
            utf8_lines += 1
        except UnicodeDecodeError:
            try:
                line.decode("cp1252")
            except UnicodeDecodeError as e:
                raise ConsultError(
                    f"{path} line {n} is neither UTF-8 nor Windows-1252 text (byte {line[e.start]:02X} at "
                    f"position {e.start + 1} of the line); other encodings are never guessed",
                    _ENCODING_FIX,
                ) from None
            other.append(n)
    _refuse_other_code_pages(lines, other, path)
    if not utf8_lines:
        text = data.decode("cp1252")
        bad = sum(1 for ch in text if ord(ch) < 32 and ch not in "\t\r\n")
        if bad > max(5, len(text) // 1000):
            raise ConsultError(
                f"{path} does not look like a text table (junk control bytes)", f"Give a {SUPPORTED} file"
            )
        return text
    info.encoding = "utf-8 (some lines windows-1252)"
    shown = ", ".join(map(str, other[:10])) + (" …" if len(other) > 10 else "")
    info.notes.append(f"{len(other)} line(s) were not UTF-8 and were read as Windows-1252 (line {shown})")
    odd = set(other)
    return "\n".join(line.decode("cp1252" if n in odd else "utf-8") for n, line in enumerate(lines, start=1))


# Bytes that, read as Windows-1252, are not ASCII; and ASCII letters.
_HIGH = bytes(range(128, 256))
_ASCII_LETTERS = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_NOT_HIGH = bytes(range(128))
_NOT_LETTERS = bytes(b for b in range(256) if b not in _ASCII_LETTERS)


def _high_share(line: bytes) -> tuple[int, float]:
    """(non-ASCII bytes, their share of non-ASCII bytes plus ASCII letters) of ``line``."""
    high = len(line.translate(None, _NOT_HIGH))
    letters = len(line.translate(None, _NOT_LETTERS))
    return high, high / max(1, high + letters)


def _refuse_other_code_pages(lines: list[bytes], odd: list[int], path: Path) -> None:
    """Refuse lines that decode as Windows-1252 but are most likely another single-byte code page (Cyrillic,
    Greek, Hebrew, ...: cp866, cp1251, KOI8-R): in such text most letters are non-ASCII bytes, while in
    Western European text read as Windows-1252 most are ASCII letters with a few accented ones. ``odd``: the
    numbers (1-based) of the lines read as Windows-1252."""
    sample = b"\n".join(lines[n - 1] for n in odd)
    high, share = _high_share(sample)
    if high < 20 or share <= 0.5:
        return
    first = next((n for n in odd if (h := _high_share(lines[n - 1]))[0] >= 3 and h[1] > 0.5), odd[0])
    shown = lines[first - 1].decode("cp1252")[:40]
    raise ConsultError(
        f"{path} line {first} is not UTF-8, and read as Windows-1252 most of its letters are accented or symbols "
        f"('{shown}…'): it is in another encoding (Cyrillic, Greek, ...?), which is never guessed",
        _ENCODING_FIX,
    )


def check_line_lengths(data: bytes, path: Path, max_bytes: int) -> None:
    """Refuse a file with a line longer than ``max_bytes`` (lines end with \\n or \\r), before any parsing."""
    if len(data) <= max_bytes:
        return
    arr = np.frombuffer(data, dtype=np.uint8)
    ends = np.flatnonzero((arr == 10) | (arr == 13))
    bounds = np.concatenate(([-1], ends, [len(arr)]))
    lengths = np.diff(bounds) - 1
    i = int(lengths.argmax())
    if lengths[i] <= max_bytes:
        return
    start = int(bounds[i]) + 1
    nl = b"\n" if b"\n" in data else b"\r"
    line = data.count(nl, 0, start) + 1
    raise ConsultError(
        f"{path} line {line} is {int(lengths[i]):,} bytes long, more than ingest.max_line_bytes ({max_bytes:,})",
        "A file of one huge line is usually not a table (a binary file, or one JSON array instead of JSON lines); "
        "if the line is an answer, raise the limit with --set ingest.max_line_bytes=N",
    )


def _too_many_columns(path: Path, n: int, max_columns: int) -> ConsultError:
    return ConsultError(
        f"{path} has {n:,} columns, more than ingest.max_columns ({max_columns:,})",
        "Give a table with one row per answer and its columns in the header; if the columns are real, raise the "
        "limit with --set ingest.max_columns=N",
    )


def _check_header_width(text: str, path: Path, max_columns: int) -> None:
    """Refuse a header of more than ``max_columns`` columns before any parser sees it (a parser, or the
    delimiter sniffer, can take minutes over a header of a million columns)."""
    first = text[: text.find("\n")] if "\n" in text else text
    counts = {d: first.count(d) for d in (",", ";", "\t", "|")}
    delimiter = max(counts, key=lambda d: counts[d])
    if counts[delimiter] + 1 <= max_columns:
        return
    n = len(next(csv.reader([first], delimiter=delimiter), []))
    if n > max_columns:
        raise _too_many_columns(path, n, max_columns)


def _line_ends(text: str, info: ReadInfo) -> str:
    """Lines end with \\n (or \\r\\n). A file whose lines end with \\r alone (old Mac) is read as such; in a file
    whose lines end with \\n, a lone \\r is inside an answer and becomes a space (a reader would otherwise start
    a new row there and invent an answer)."""
    if "\n" not in text:
        return text.replace("\r", "\n")
    lone = len(_LONE_CR.findall(text))
    if lone:
        info.notes.append(f"read {lone} carriage return(s) inside answers as spaces")
        text = _LONE_CR.sub(" ", text)
    return text


_LONE_CR = re.compile("\r(?!\n)")


def _read_text_table(path: Path, fmt: str, info: ReadInfo, limits: IngestConfig, skip_rows: int = 0) -> pd.DataFrame:
    data = path.read_bytes()
    check_line_lengths(data, path, limits.max_line_bytes)
    text = decode(data, path, info, limits.encoding)
    if text.startswith("\ufeff"):
        text = text[1:]
    _check_header_width(text, path, limits.max_columns)
    text = _line_ends(text, info)
    if skip_rows:
        text = "\n".join(text.split("\n")[skip_rows:])
    first, _, rest = text.partition("\n")
    if first.strip().lower().startswith("sep=") and len(first.strip()) == 5:
        # Excel's "sep=;" hint line.
        delimiter = first.strip()[4]
        text = rest
        info.notes.append("skipped Excel 'sep=' line")
    else:
        delimiter = _sniff_delimiter(text, "\t" if fmt == "tsv" else ",")
    info.delimiter = delimiter
    if not text.strip():
        raise ConsultError(f"{path} has no header row", "Give a file whose first row names the columns")
    _check_header(text, delimiter, path)
    try:
        with warnings.catch_warnings():
            # index_col=False: pandas would otherwise take the first column as an index (and lose every id)
            # when the first data row has one field more than the header; it warns instead of failing.
            warnings.simplefilter("error", pd.errors.ParserWarning)
            df = pd.read_csv(
                io.StringIO(text),
                sep=delimiter,
                dtype=str,
                keep_default_na=False,
                na_filter=False,
                engine="c",
                skip_blank_lines=True,
                index_col=False,
            )
    except pd.errors.ParserWarning:
        line, n, want = _first_long_row(text, delimiter)
        raise ConsultError(
            f"{path} line {line} has {n} fields but the header has {want} (an unquoted '{delimiter}' in an answer?)",
            "Put answers that contain the delimiter in double quotes; re-export it from the spreadsheet as CSV UTF-8",
        ) from None
    except (pd.errors.ParserError, csv.Error, ValueError) as e:
        msg = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise ConsultError(
            f"{path} is not a well-formed {fmt.upper()} file ({msg})",
            "Check quoting and the delimiter; re-export it from the spreadsheet as CSV UTF-8",
        ) from None
    return df


def _read_xlsx(path: Path, sheet: str | int, info: ReadInfo, limits: IngestConfig, skip_rows: int = 0) -> pd.DataFrame:
    """One read of the sheet; its first row is the header, checked for repeated names before pandas would
    rename them ("text", "text.1"). Blank header cells are named "Unnamed: N", as pandas names them. Formula
    cells with no saved result are counted in ``info`` (they read as empty)."""
    wb = load_workbook(path, read_only=True, data_only=True)
    try:
        names = wb.sheetnames
        if (isinstance(sheet, int) and not 0 <= sheet < len(names)) or (isinstance(sheet, str) and sheet not in names):
            shown = ", ".join(repr(n) for n in names)
            raise ConsultError(
                f"{path} has no sheet {sheet!r} (its sheets are {shown})",
                "Pick one with --set ingest.sheet='\"NAME\"' or a 0-based number, e.g. --set ingest.sheet=1",
            )
        ws = wb.worksheets[sheet] if isinstance(sheet, int) else wb[sheet]
        if (ws.max_column or 0) > limits.max_columns:
            raise _too_many_columns(path, int(ws.max_column), limits.max_columns)
        formulas = _formulas_without_value(ws)
    finally:
        wb.close()
    raw = pd.read_excel(path, sheet_name=sheet, header=None, dtype=str, engine="openpyxl", keep_default_na=False)
    raw = raw.iloc[skip_rows:].reset_index(drop=True)
    if raw.empty:
        return pd.DataFrame()
    if len(raw.columns) > limits.max_columns:
        raise _too_many_columns(path, len(raw.columns), limits.max_columns)
    names = [str(v) for v in raw.iloc[0].tolist()]
    _refuse_duplicate_names(names, path)
    body = raw.iloc[1:].reset_index(drop=True)
    body.columns = [n if n.strip() else f"Unnamed: {i}" for i, n in enumerate(names)]
    if formulas:
        info.formulas_without_value = len(formulas)
        by_col: dict[str, list[int]] = {}
        for col, row in formulas:
            name = str(body.columns[col]).strip() if col < len(body.columns) else f"column {col + 1}"
            by_col.setdefault(name, []).append(row)
        where = "; ".join(
            f"column '{c}' row(s) {', '.join(map(str, rows[:5]))}{' …' if len(rows) > 5 else ''}"
            for c, rows in by_col.items()
        )
        info.notes.append(
            f"{len(formulas)} formula cell(s) have no saved result and were read as empty ({where}): the workbook "
            "was saved by a program that does not calculate formulas; open it in Excel or LibreOffice and save it "
            "again to store their values"
        )
    return body


_SHEET_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


def _formulas_without_value(ws: object) -> list[tuple[int, int]]:
    """(0-based column, 1-based row) of every formula cell with no saved result in a read-only worksheet.
    openpyxl reads such a cell as empty, and with ``data_only`` cannot tell it from a blank cell, so the
    sheet's XML is scanned for cells with a formula (``<f>``) and no value (``<v>`` missing or empty)."""
    out: list[tuple[int, int]] = []
    with ws._get_source() as src:  # type: ignore[attr-defined]  # the sheet's XML (openpyxl, pinned)
        for _, el in iterparse(src):
            if el.tag != f"{_SHEET_NS}c":
                continue
            if el.find(f"{_SHEET_NS}f") is not None:
                v = el.find(f"{_SHEET_NS}v")
                if v is None or (not v.text and el.get("t") != "str"):
                    letters, row = coordinate_from_string(el.get("r", "A1"))
                    out.append((column_index_from_string(letters) - 1, row))
            el.clear()
    return out


def _check_header(text: str, delimiter: str, path: Path) -> None:
    """Refuse a header that names a column twice (also "text" and "text " with a trailing space)."""
    header = next(csv.reader(io.StringIO(text), delimiter=delimiter), [])
    _refuse_duplicate_names([str(h) for h in header], path)


def _refuse_duplicate_names(names: list[str], path: Path) -> None:
    seen: set[str] = set()
    for name in names:
        key = name.strip().lstrip("\ufeff")
        if key and key in seen:
            raise ConsultError(
                f"{path} has two columns named '{key}'", "Rename one of them so that every column name is different"
            )
        seen.add(key)


def _first_long_row(text: str, delimiter: str) -> tuple[int, int, int]:
    """(line number, fields, header fields) of the first row with more fields than the header."""
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    want = len(next(reader, []))
    for row in reader:
        if len(row) > want:
            return reader.line_num, len(row), want
    return 0, 0, want


def read_table(
    path: Path,
    sheet: str | int = 0,
    *,
    written_by_consult: bool = False,
    limits: IngestConfig | None = None,
    skip_rows: int = 0,
) -> tuple[pd.DataFrame, ReadInfo]:
    """Read any supported table; every cell becomes a string (missing cells become ""). ``skip_rows``: rows
    above the header (title rows) of a CSV, TSV or XLSX file.

    ``written_by_consult``: the file is one of consult's own outputs (a labelled file, a review file), so the
    apostrophe :func:`write_table` put before CSV cells that look like formulas is taken off again.
    ``limits``: the encoding of text files (``ingest.encoding``), the most columns (``ingest.max_columns``) and
    the longest line (``ingest.max_line_bytes``) accepted; the defaults when None."""
    limits = limits or IngestConfig()
    path = Path(path)
    if not path.exists():
        raise ConsultError(f"File {path} not found", "Check the path")
    if path.is_dir():
        raise ConsultError(f"{path} is a folder, not a file", "Give the path of a table file")
    fmt = table_format(path)
    if path.stat().st_size == 0:
        raise ConsultError(f"{path} is empty (0 bytes)", "Give a file with a header row and at least one answer")
    info = ReadInfo(path=path, format=fmt)
    try:
        if fmt in ("csv", "tsv"):
            df = _read_text_table(path, fmt, info, limits, skip_rows)
        elif fmt == "xlsx":
            df = _read_xlsx(path, sheet, info, limits, skip_rows)
        elif fmt == "jsonl":
            df = _read_jsonl(path, info, limits)
        else:
            df = _read_parquet(path, info, limits)
    except ConsultError:
        raise
    except Exception as e:  # pandas, openpyxl and pyarrow raise many exception types for broken files
        if fmt == "xlsx" and (isinstance(e, zipfile.BadZipFile) or "zip" in str(e).lower()):
            raise ConsultError(f"{path} is not a valid XLSX workbook", "Re-save it from Excel as .xlsx") from None
        msg = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise ConsultError(f"Cannot read {path} as {fmt.upper()} ({msg})", f"Give a valid {SUPPORTED} file") from None
    if skip_rows and fmt in ("csv", "tsv", "xlsx"):
        info.notes.append(f"skipped {skip_rows} row(s) above the header")
    df = _tidy(df, info)
    if written_by_consult and fmt in ("csv", "tsv") and len(df):
        df = df.map(_excel_unsafe)
    return df, info


def jsonl_record(line: str, n: int, path: Path) -> dict[str, Any] | None:
    """The JSON object on line ``n`` of a JSONL file (None for a blank line); a clear error for anything else."""
    line = line.strip().lstrip("\ufeff")
    if not line:
        return None
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as e:
        raise ConsultError(f"{path} line {n} is not valid JSON ({e.msg})", "Write one JSON object per line") from None
    except RecursionError:
        raise ConsultError(
            f"{path} line {n} nests too deeply to be a record", "Write one JSON object per line"
        ) from None
    if not isinstance(obj, dict):
        raise ConsultError(f"{path} line {n} is not a JSON object", "Write one JSON object per line")
    return obj


def _read_jsonl(path: Path, info: ReadInfo, limits: IngestConfig) -> pd.DataFrame:
    data = path.read_bytes()
    check_line_lengths(data, path, limits.max_line_bytes)
    records = []
    columns: dict[str, None] = {}
    for n, line in enumerate(decode(data, path, info, limits.encoding).split("\n"), start=1):  # U+2028 is text
        obj = jsonl_record(line, n, path)
        if obj is None:
            continue
        if len(obj) > limits.max_columns:
            raise _too_many_columns(path, len(obj), limits.max_columns)
        columns.update(dict.fromkeys(obj))
        if len(columns) > limits.max_columns:
            raise _too_many_columns(path, len(columns), limits.max_columns)
        for k, v in obj.items():
            if isinstance(v, (dict, list)) and str(k).strip() not in info.column_kinds:
                info.column_kinds[str(k).strip()] = f"JSON {'objects' if isinstance(v, dict) else 'arrays'} (line {n})"
        records.append(obj)
    return pd.DataFrame.from_records(records)


def parquet_non_text(schema: pa.Schema) -> tuple[dict[str, str], list[str]]:
    """(nested columns (struct, list, map) with what they hold, binary columns) of a Parquet schema: columns that
    may not be text."""
    nested, binary = {}, []
    for f in schema:
        t = f.type.value_type if pa.types.is_dictionary(f.type) else f.type
        if pa.types.is_nested(t):
            word = "map" if pa.types.is_map(t) else "struct" if pa.types.is_struct(t) else "nested"
            if pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t):
                word = "list"
            nested[str(f.name).strip()] = f"{word} values ({t})"
        elif pa.types.is_binary(t) or pa.types.is_large_binary(t) or pa.types.is_fixed_size_binary(t):
            binary.append(f.name)
    return nested, binary


def _read_parquet(path: Path, info: ReadInfo, limits: IngestConfig) -> pd.DataFrame:
    """Columns of nested types (struct, list, map) and binary columns that are not all UTF-8 are noted in
    ``info.column_kinds``: they can be carried along, not read as answers."""
    schema = pq.read_schema(path)
    if len(schema.names) > limits.max_columns:
        raise _too_many_columns(path, len(schema.names), limits.max_columns)
    nested, binary = parquet_non_text(schema)
    info.column_kinds.update(nested)
    df = pd.read_parquet(path)
    for name in binary:
        for row, v in enumerate(df[name].tolist(), start=1):
            if isinstance(v, bytes):
                try:
                    v.decode("utf-8")
                except UnicodeDecodeError:
                    info.column_kinds[str(name).strip()] = f"binary data that is not UTF-8 text (row {row})"
                    break
    return df


def _cell_to_str(v: object) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        if v != v:  # NaN
            return ""
        return str(int(v)) if v.is_integer() else str(v)
    if isinstance(v, (list, tuple, np.ndarray)):  # a list column (Parquet gives arrays)
        return ";".join(_cell_to_str(x) for x in v)
    if isinstance(v, bytes):  # a Parquet binary column: its text, not "b'...'"
        try:
            return v.decode("utf-8")
        except UnicodeDecodeError:
            return v.decode("cp1252", errors="replace")
    return str(v)


def column_name(c: object) -> str:
    """A column's name as consult uses it: text, without surrounding spaces or a byte-order mark."""
    return str(c).strip().lstrip("\ufeff")


def _tidy(df: pd.DataFrame, info: ReadInfo) -> pd.DataFrame:
    """Strip header whitespace, drop unnamed all-blank columns (Excel), make every cell a string."""
    df.columns = [column_name(c) for c in df.columns]
    blank_unnamed = [
        c
        for c in df.columns
        if (c == "" or c.startswith("Unnamed:")) and df[c].map(lambda v: _cell_to_str(v).strip() == "").all()
    ]
    if blank_unnamed:
        df = df.drop(columns=blank_unnamed)
        info.notes.append(f"dropped {len(blank_unnamed)} blank unnamed column(s)")
    df = df.astype(object).map(_cell_to_str) if len(df) else df.astype(object)
    # Excel pads exports with rows where every cell is blank; they are not answers.
    if len(df.columns):
        blank = np.ones(len(df), dtype=bool)
        for i in range(df.shape[1]):  # column by column: a row-wise apply takes seconds on 100,000 rows
            blank &= (df.iloc[:, i].astype(str).str.strip() == "").to_numpy()
        if blank.any():
            info.notes.append(f"skipped {int(blank.sum())} completely blank row(s)")
            df = df[~blank]
    return df.reset_index(drop=True)


def _excel_safe(v: object) -> object:
    """Prefix a text cell that a spreadsheet would run as a formula; numbers like -5 stay as they are."""
    if isinstance(v, str) and len(v) > 1 and v.startswith(_FORMULA_START):
        try:
            float(v)
        except ValueError:
            return "'" + v
    return v


def _excel_unsafe(v: object) -> object:
    """Undo :func:`_excel_safe`."""
    if isinstance(v, str) and v.startswith("'") and _excel_safe(v[1:]) == "'" + v[1:]:
        return v[1:]
    return v


def write_table(df: pd.DataFrame, path: Path, sheet_name: str = "data") -> None:
    """Write ``df`` in the format given by the extension, atomically.

    CSV is written as UTF-8 with BOM so Excel opens it correctly, with CRLF line ends; cells that a spreadsheet would run as a
    formula are prefixed with an apostrophe in CSV and XLSX. The file is made in memory first, so a disk
    without room for it is refused before anything is written, naming the size.
    """
    path = Path(path)
    write_bytes(path, table_bytes(df, table_format(path), sheet_name))


def table_bytes(df: pd.DataFrame, fmt: str, sheet_name: str = "data") -> bytes:
    """The bytes of ``df`` as a file of format ``fmt`` (see :func:`write_table`)."""
    buf = io.BytesIO()
    if fmt in ("csv", "tsv"):
        safe = df.map(_excel_safe) if len(df) else df
        # CRLF, as RFC 4180 says: the writer then quotes a cell holding a lone \r too, which with \n line ends it
        # leaves bare, and Excel or pandas would take it for the end of the row.
        sep = "," if fmt == "csv" else "\t"
        safe.to_csv(buf, index=False, sep=sep, encoding="utf-8-sig", lineterminator="\r\n")
    elif fmt == "xlsx":
        write_xlsx({sheet_name: df}, buf)
    elif fmt == "jsonl":
        text = df.to_json(orient="records", lines=True, force_ascii=False) or ""
        return text.encode("utf-8")
    else:
        df.to_parquet(buf, index=False)
    return buf.getvalue()


EXCEL_CELL_LIMIT = 32767


def write_xlsx(sheets: dict[str, pd.DataFrame], path: Path | IO[bytes], *, cut_long: bool = False) -> None:
    """Write several tables as sheets of one workbook to a path or file object (not atomic: use inside
    :func:`atomic_path`, or give a buffer).

    Text is always stored as text, never as a formula, whatever it starts with. A cell longer than Excel
    allows (32,767 characters) is an error, or with ``cut_long`` is cut and says so (for files people read,
    when the full text is kept elsewhere).
    """
    if not cut_long:  # before the workbook is opened, so an error leaves nothing behind
        for df in sheets.values():
            for col in df.columns:
                lengths = df[col].map(lambda v: len(v) if isinstance(v, str) else 0)
                if len(lengths) and lengths.max() > EXCEL_CELL_LIMIT:
                    raise _too_long_error(int(lengths.max()), col)
    wb = Workbook(write_only=True)
    for name, df in sheets.items():
        ws = wb.create_sheet(title=name[:31])
        ws.append([str(c) for c in df.columns])
        for row in df.itertuples(index=False, name=None):
            cells = []
            for v in row:
                if v is None or (isinstance(v, float) and v != v):
                    v = None
                elif not isinstance(v, (int, float, str, bool)):
                    v = str(v)
                if isinstance(v, str) and len(v) > EXCEL_CELL_LIMIT:
                    v = _cut(v)  # only with cut_long: longer cells were refused above
                cell = WriteOnlyCell(ws, value=_strip_illegal(v) if isinstance(v, str) else v)
                if isinstance(v, str):
                    cell.data_type = "s"
                cells.append(cell)
            ws.append(cells)
    wb.save(path)


def _too_long_error(length: int, column: object) -> ConsultError:
    return ConsultError(
        f"A cell of column '{column}' has {length:,} characters, more than an Excel cell holds ({EXCEL_CELL_LIMIT:,})",
        "Write CSV, JSONL or Parquet instead (e.g. -o out.csv), which keep every character",
    )


def _cut(v: str) -> str:
    note = f" … [cut: {len(v):,} characters in all; the full text is in the labelled file]"
    return v[: EXCEL_CELL_LIMIT - len(note)] + note


def _strip_illegal(s: str) -> str:
    return ILLEGAL_CHARACTERS_RE.sub("", s)
