"""Reading and writing tables by file extension: CSV, TSV, XLSX, JSONL, Parquet.

Reading detects the text encoding (UTF-8, UTF-8 with BOM, UTF-16 with BOM, Windows-1252) and the usual
Excel export quirks (a ``sep=`` first line, semicolon delimiters, blank trailing columns). Every cell is read
as text, so ids like ``007`` keep their zeros. Writing goes to a temporary file that replaces the target
only when complete: a failed run leaves nothing half-written.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import os
import re
import tempfile
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .errors import ConsultError

TEXT_FORMATS = {".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".txt": "tsv"}
FORMATS = {
    **TEXT_FORMATS,
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".parquet": "parquet",
}
SUPPORTED = "CSV, TSV, XLSX, JSONL or Parquet (.csv .tsv .xlsx .jsonl .parquet)"
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


def table_format(path: Path) -> str:
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ConsultError(f"Unknown file format '{path.suffix or path.name}' for {path}", f"Use {SUPPORTED}")
    return fmt


def detect_encoding(data: bytes, path: Path) -> str:
    """Name the encoding of ``data``: BOMs first, then strict UTF-8, then Windows-1252 (Excel on Windows)."""
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):  # before UTF-16: FF FE starts both
        return "utf-32"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if b"\x00" in data:
        raise ConsultError(
            f"{path} contains NUL bytes: it is binary or UTF-16 without a byte-order mark",
            "Re-save it as CSV UTF-8 (in Excel: File > Save As > 'CSV UTF-8')",
        )
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        from charset_normalizer import from_bytes

        best = from_bytes(data).best()
        if best is None:
            raise ConsultError(
                f"Cannot tell the text encoding of {path} (it is not UTF-8 or Windows-1252)",
                "Re-save it as CSV UTF-8",
            ) from None
        return str(best.encoding)
    bad = sum(1 for ch in text if ord(ch) < 32 and ch not in "\t\r\n")
    if bad > max(5, len(text) // 1000):
        raise ConsultError(f"{path} does not look like a text table (junk control bytes)", f"Give a {SUPPORTED} file")
    return "cp1252"


def _sniff_delimiter(text: str, default: str) -> str:
    sample = "\n".join(text[:65536].splitlines()[:50])
    try:
        return csv.Sniffer().sniff(sample, delimiters=[",", ";", "\t", "|"]).delimiter
    except csv.Error:
        return default


def decode(data: bytes, path: Path, info: ReadInfo) -> str:
    """The text of ``data`` in its detected encoding. A UTF-8 file with a few Windows-1252 lines (one pasted
    "café" in an otherwise UTF-8 export) is read line by line, so the UTF-8 lines do not turn into mojibake;
    ``info.notes`` names the lines read as Windows-1252."""
    enc = detect_encoding(data, path)
    info.encoding = {"utf-8-sig": "utf-8 with BOM", "cp1252": "windows-1252"}.get(enc, enc)
    if enc != "cp1252":
        return data.decode(enc, errors="strict")
    lines = data.split(b"\n")
    utf8_lines, other = 0, []
    for n, line in enumerate(lines, start=1):
        if line.isascii():
            continue
        try:
            line.decode("utf-8")
            utf8_lines += 1
        except UnicodeDecodeError:
            other.append(n)
    if not utf8_lines:
        return data.decode("cp1252")
    info.encoding = "utf-8 (some lines windows-1252)"
    shown = ", ".join(map(str, other[:10])) + (" …" if len(other) > 10 else "")
    info.notes.append(f"{len(other)} line(s) were not UTF-8 and were read as Windows-1252 (line {shown})")
    odd = set(other)
    return "\n".join(line.decode("cp1252" if n in odd else "utf-8") for n, line in enumerate(lines, start=1))


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


def _read_text_table(path: Path, fmt: str, info: ReadInfo, skip_rows: int = 0) -> pd.DataFrame:
    data = path.read_bytes()
    text = decode(data, path, info)
    if text.startswith("\ufeff"):
        text = text[1:]
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


def _read_xlsx(path: Path, sheet: str | int, skip_rows: int = 0) -> pd.DataFrame:
    """One read of the sheet; its first row is the header, checked for repeated names before pandas would
    rename them ("text", "text.1"). Blank header cells are named "Unnamed: N", as pandas names them."""
    raw = pd.read_excel(path, sheet_name=sheet, header=None, dtype=str, engine="openpyxl", keep_default_na=False)
    raw = raw.iloc[skip_rows:].reset_index(drop=True)
    if raw.empty:
        return pd.DataFrame()
    names = [str(v) for v in raw.iloc[0].tolist()]
    _refuse_duplicate_names(names, path)
    body = raw.iloc[1:].reset_index(drop=True)
    body.columns = [n if n.strip() else f"Unnamed: {i}" for i, n in enumerate(names)]
    return body


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
    path: Path, sheet: str | int = 0, *, written_by_consult: bool = False, skip_rows: int = 0
) -> tuple[pd.DataFrame, ReadInfo]:
    """Read any supported table; every cell becomes a string (missing cells become ""). ``skip_rows``: rows
    above the header (title rows) of a CSV, TSV or XLSX file.

    ``written_by_consult``: the file is one of consult's own outputs (a labelled file, a review file), so the
    apostrophe :func:`write_table` put before CSV cells that look like formulas is taken off again."""
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
            df = _read_text_table(path, fmt, info, skip_rows)
        elif fmt == "xlsx":
            df = _read_xlsx(path, sheet, skip_rows)
        elif fmt == "jsonl":
            df = _read_jsonl(path, info)
        else:
            df = pd.read_parquet(path)
    except ConsultError:
        raise
    except Exception as e:  # pandas, openpyxl and pyarrow raise many exception types for broken files
        import zipfile

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


def _read_jsonl(path: Path, info: ReadInfo) -> pd.DataFrame:
    import json

    data = path.read_bytes()
    records = []
    for n, line in enumerate(decode(data, path, info).split("\n"), start=1):  # not splitlines(): U+2028 is text
        line = line.strip().lstrip("\ufeff")
        if not line:
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            raise ConsultError(
                f"{path} line {n} is not valid JSON ({e.msg})", "Write one JSON object per line"
            ) from None
        if not isinstance(obj, dict):
            raise ConsultError(f"{path} line {n} is not a JSON object", "Write one JSON object per line")
        records.append(obj)
    return pd.DataFrame.from_records(records)


def _cell_to_str(v: object) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        if v != v:  # NaN
            return ""
        return str(int(v)) if v.is_integer() else str(v)
    if isinstance(v, (list, tuple)):
        return ";".join(_cell_to_str(x) for x in v)
    if isinstance(v, bytes):  # a Parquet binary column: its text, not "b'...'"
        try:
            return v.decode("utf-8")
        except UnicodeDecodeError:
            return v.decode("cp1252", errors="replace")
    return str(v)


def _tidy(df: pd.DataFrame, info: ReadInfo) -> pd.DataFrame:
    """Strip header whitespace, drop unnamed all-blank columns (Excel), make every cell a string."""
    df.columns = [str(c).strip().lstrip("\ufeff") for c in df.columns]
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
        blank = df.apply(lambda r: all(not str(v).strip() for v in r), axis=1) if len(df) else pd.Series([], dtype=bool)
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


@contextlib.contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; move it over ``target`` only if the block succeeds."""
    target = Path(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as e:
        raise ConsultError(f"Cannot write {target} ({e.strerror})", "Write to a folder you can write to") from None
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        usual_permissions(tmp_path)
        try:
            os.replace(tmp_path, target)
        except OSError as e:
            raise ConsultError(f"Cannot write {target} ({e.strerror})", "Write to a folder you can write to") from None
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def usual_permissions(path: Path) -> None:
    """mkstemp and mkdtemp make files and folders private (0600, 0700); give ``path`` the permissions a plain
    open() or mkdir() would, under the current umask."""
    umask = os.umask(0)
    os.umask(umask)
    path.chmod((0o777 if path.is_dir() else 0o666) & ~umask)


def check_writable(target: Path, *, folder: bool = False) -> None:
    """Refuse, before any work, an output that is a folder (or, for ``folder``, a file), that sits under a file,
    or whose nearest existing folder cannot be written to."""
    target = Path(target)
    if target.is_dir() and not folder:
        raise ConsultError(f"Output {target} is a folder", "Give a file name, e.g. -o results/out.csv")
    if folder and target.exists() and not target.is_dir():
        raise ConsultError(f"Output {target} is a file, not a folder", "Give a new folder name")
    parent = target.parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        raise ConsultError(f"Cannot write {target}: {parent} is a file, not a folder", "Choose another output path")
    try:  # a real write: permissions alone do not tell (read-only mounts, /proc, root)
        with tempfile.TemporaryFile(dir=parent):
            pass
    except OSError:
        raise ConsultError(
            f"Cannot write {target}: {parent} is not writable", "Write to a folder you can write to"
        ) from None


def check_output_path(output: Path, *inputs: Path) -> None:
    """Refuse to overwrite an input, unknown output formats and unwritable paths, before any work is done."""
    table_format(output)
    check_writable(Path(output))
    check_not_input(output, *inputs)


def check_not_input(output: Path, *inputs: Path | None) -> None:
    """Refuse an output path that is one of the inputs."""
    for p in inputs:
        if p is not None and Path(p).exists() and Path(output).exists() and Path(output).resolve() == Path(p).resolve():
            raise ConsultError(f"Output {output} is the input file", "Write to a new file; inputs are never modified")


def write_table(df: pd.DataFrame, path: Path, sheet_name: str = "data") -> None:
    """Write ``df`` in the format given by the extension, atomically.

    CSV is written as UTF-8 with BOM so Excel opens it correctly; cells that a spreadsheet would run as a
    formula are prefixed with an apostrophe in CSV and XLSX.
    """
    path = Path(path)
    fmt = table_format(path)
    with atomic_path(path) as tmp:
        if fmt in ("csv", "tsv"):
            safe = df.map(_excel_safe) if len(df) else df
            safe.to_csv(tmp, index=False, sep="," if fmt == "csv" else "\t", encoding="utf-8-sig", lineterminator="\n")
        elif fmt == "xlsx":
            write_xlsx({sheet_name: df}, tmp)
        elif fmt == "jsonl":
            df.to_json(tmp, orient="records", lines=True, force_ascii=False)
        else:
            df.to_parquet(tmp, index=False)


EXCEL_CELL_LIMIT = 32767


def write_xlsx(sheets: dict[str, pd.DataFrame], path: Path, *, cut_long: bool = False) -> None:
    """Write several tables as sheets of one workbook (not atomic: use inside :func:`atomic_path`).

    Text is always stored as text, never as a formula, whatever it starts with. A cell longer than Excel
    allows (32,767 characters) is an error, or with ``cut_long`` is cut and says so (for files people read,
    when the full text is kept elsewhere).
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

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
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    return ILLEGAL_CHARACTERS_RE.sub("", s)
