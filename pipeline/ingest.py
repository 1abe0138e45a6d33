"""Stage 1 — ingest: read a table of answers, check its columns, flag empty answers, never drop a row."""

from __future__ import annotations

import csv
import difflib
import io
import itertools
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
from openpyxl import load_workbook

from .config import IngestConfig
from .errors import ConsultError
from .nearcopy import stable_hash
from .progress import Progress
from .stream import Source
from .tables import ReadInfo, decode, parquet_non_text, read_table, table_format
from .taxonomy import theme_key


@dataclass
class Answers:
    """A table of answers as read: every input column, in input order, all cells as strings."""

    df: pd.DataFrame
    info: ReadInfo
    id_column: str
    text_column: str
    question_column: str | None = None
    """The column naming the question each answer responds to, when the file has one."""

    @property
    def ids(self) -> list[str]:
        return self.df[self.id_column].tolist()

    @property
    def texts(self) -> list[str]:
        return self.df[self.text_column].tolist()

    @property
    def questions(self) -> list[str] | None:
        if self.question_column is None:
            return None
        return self.df[self.question_column].astype(str).str.strip().tolist()


@dataclass
class ValidationReport:
    """What ``consult validate`` reports about a file, without processing it."""

    path: str
    format: str
    encoding: str | None
    delimiter: str | None
    columns: list[str]
    rows: int
    empty_answers: int
    duplicate_answers: int
    duplicate_ids: int
    blank_ids: int
    too_long: int
    formulas_without_value: int = 0
    """XLSX formula cells with no saved result, read as empty (the notes say where)."""
    labelled_rows: int | None = None
    question_column: str | None = None
    answers_per_question: dict[str, int] | None = None
    notes: list[str] = field(default_factory=list)


def question_column_in(columns: Sequence[str], config: IngestConfig) -> str | None:
    """The configured question column, when ``columns`` has it and it is not the id or text column."""
    q = config.question_column
    return q if q and q in columns and q not in (config.id_column, config.text_column) else None


def _check_ids(ids: pd.Series, column: str, path: Path) -> None:
    stripped = ids.astype(str).str.strip()
    fix = f"Give every answer its own id in column '{column}' (e.g. the row number), or name another --id-column"
    blank = stripped == ""
    if blank.any():
        raise ConsultError(
            f"{path} has {int(blank.sum())} answer(s) with no id (the first is data row {int(blank.to_numpy().argmax()) + 1})",
            fix,
        )
    dup = stripped.duplicated(keep=False)
    if dup.any():
        first = stripped[dup].iloc[0]
        rows = [i + 1 for i in range(len(stripped)) if stripped.iloc[i] == first][:5]
        raise ConsultError(
            f"{path} has {int(stripped[dup].nunique())} id(s) used by several answers: '{first}' is on data rows "
            f"{', '.join(map(str, rows))}",
            fix,
        )


def _require_column(df: pd.DataFrame, column: str, role: str, option: str, path: Path) -> None:
    match_column(list(df.columns), column, role, option, path)


def _sheet_hint(path: Path) -> str:
    """For a workbook: its sheets, and how to pick one or skip a title row."""
    if table_format(path) != "xlsx":
        return ""
    try:
        names = load_workbook(path, read_only=True).sheetnames
    except Exception:  # the file was read a moment ago; if it cannot be listed, say nothing more
        return ""
    shown = ", ".join(repr(n) for n in names)
    return (
        f"; the workbook's sheets are {shown}: pick the one with the answers with --set ingest.sheet='\"NAME\"', "
        "and delete any title rows above the header row"
    )


def _refuse_non_text(info: ReadInfo, path: Path, columns: list[tuple[str | None, str, str]]) -> None:
    """Refuse a text, id or question column whose values are not text (nested Parquet or JSON values, binary
    that is not UTF-8): read as text they would be a Python rendering such as "{'a': 'x'}"."""
    for column, role, option in columns:
        kind = info.column_kinds.get(column) if column else None
        if kind:
            raise ConsultError(
                f"{path}: the {role} column '{column}' holds {kind}, not text",
                f"Name a column of plain text with {option}, or turn that column into text before reading it",
            )


def _norm(name: str) -> str:
    return " ".join(str(name).split()).casefold()


def _loose_match(columns: Sequence[str], wanted: str) -> list[str]:
    """Columns equal to ``wanted`` ignoring case and spacing ("Question" for "question", "Q3  - answer ")."""
    return [c for c in columns if _norm(c) == _norm(wanted)]


def match_column(columns: Sequence[str], wanted: str, role: str, option: str, path: Path) -> str:
    """The column named ``wanted``: exactly, else ignoring case and spacing when only one column matches; else a
    clear error with the nearest names ("did you mean")."""
    if wanted in columns:
        return wanted
    found = _loose_match(columns, wanted)
    if len(found) == 1:
        return found[0]
    if len(found) > 1:
        raise ConsultError(
            f"{path} has several columns that could be the {role} column '{wanted}': "
            + ", ".join(repr(c) for c in found),
            f"Name one exactly with {option}",
        )
    near = difflib.get_close_matches(_norm(wanted), [_norm(c) for c in columns], n=3, cutoff=0.5)
    shown = [c for n in near for c in columns if _norm(c) == n]
    cols = ", ".join(repr(c) for c in columns) or "none"
    guess = f"; did you mean {' or '.join(repr(c) for c in shown)}?" if shown else ""
    raise ConsultError(
        f"{path} has no {role} column '{wanted}'{guess} (columns: {cols})",
        f"Name the right one with {option}" + _title_hint(path) + _sheet_hint(path),
    )


def _title_hint(path: Path) -> str:
    if table_format(path) not in ("csv", "tsv", "xlsx"):
        return ""
    return "; if title rows sit above the header, skip them with --skip-rows N (or ingest.skip_rows = N)"


HEADER_SEARCH_ROWS = 20


def _raw_rows(path: Path, sheet: str | int, config_encoding: str = "auto") -> list[list[str]]:
    """The first rows of a CSV, TSV or XLSX file as cells, without choosing a header (for finding it)."""
    fmt = table_format(path)
    if fmt == "xlsx":
        raw = pd.read_excel(path, sheet_name=sheet, header=None, dtype=str, engine="openpyxl", keep_default_na=False)
        return [[str(v) for v in row] for row in raw.head(HEADER_SEARCH_ROWS + 1).itertuples(index=False)]
    text = decode(path.read_bytes(), path, ReadInfo(path=path, format=fmt), config_encoding).lstrip("\ufeff")
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")[: HEADER_SEARCH_ROWS + 1]
    rows = []
    for line in lines:
        delim = max(",;\t|", key=line.count) if fmt == "csv" else "\t"
        rows.append(next(csv.reader(io.StringIO(line), delimiter=delim), []))
    return rows


def find_header_row(path: Path, config: IngestConfig) -> int | None:
    """How many title rows sit above the row naming the id and text columns (ignoring case and spacing), when
    that row is within the first rows; None when no such row is found."""
    try:
        rows = _raw_rows(path, config.sheet, config.encoding)
    except Exception:  # the normal read reports what is wrong with the file
        return None
    need = {_norm(config.id_column), _norm(config.text_column)}
    for k, row in enumerate(rows):
        if need <= {_norm(c) for c in row}:
            return k
    return None


def _read_with_header(path: Path, config: IngestConfig) -> tuple[pd.DataFrame, ReadInfo]:
    """Read ``path``, skipping ``ingest.skip_rows`` title rows, or those detected above the header."""
    if config.skip_rows or table_format(path) not in ("csv", "tsv", "xlsx"):
        return read_table(path, sheet=config.sheet, skip_rows=config.skip_rows, limits=config)
    try:
        df, info = read_table(path, sheet=config.sheet, limits=config)
        if {config.id_column, config.text_column} <= set(df.columns):
            return df, info
        if len(_loose_match(list(df.columns), config.text_column)) == 1:
            return df, info
    except ConsultError as e:
        k = find_header_row(path, config)
        if not k:
            raise ConsultError(e.problem, (e.fix + _title_hint(path)).lstrip("; ")) from None
        return read_table(path, sheet=config.sheet, skip_rows=k, limits=config)
    k = find_header_row(path, config)
    return (df, info) if not k else read_table(path, sheet=config.sheet, skip_rows=k, limits=config)


_NUMBER = re.compile(r"^[+-]?\d+(?:[.,]\d+)?$")


def numbers_only(path: Path, column: str, example: str) -> ConsultError:
    """The error for a text column holding only numbers: almost surely the wrong column (an id or a score)."""
    return ConsultError(
        f"{path}: the text column '{column}' holds only numbers (e.g. '{example}')",
        "Name the column with the answers with --text-column",
    )


def _check_text_column(texts: pd.Series, column: str, path: Path) -> None:
    filled = texts[texts.str.strip() != ""]
    if len(filled) >= 2 and filled.str.strip().str.match(_NUMBER).all():
        raise numbers_only(path, column, filled.iloc[0])


def resolve_columns(columns: list[str], config: IngestConfig, path: Path) -> None:
    """Set ``config``'s text, id, labels and question columns to the file's own names for them (exact, else
    ignoring case and spacing); a missing text or id column is refused with the nearest names."""
    config.text_column = match_column(columns, config.text_column, "text", "--text-column", path)
    config.id_column = match_column(columns, config.id_column, "id", "--id-column", path)
    if config.labels_column and not config.theme_columns and config.labels_column not in columns:
        found = _loose_match(columns, config.labels_column)
        if len(found) == 1:
            config.labels_column = found[0]
    if config.question_column and config.question_column not in columns:
        found = _loose_match(columns, config.question_column)
        if len(found) == 1:
            config.question_column = found[0]


def load_answers(
    path: Path,
    config: IngestConfig | None = None,
    *,
    require_labels: bool = False,
    unique_ids: bool = True,
) -> Answers:
    """Read ``path`` and check that the id and text (and, if asked, labels) columns exist and, with
    ``unique_ids``, that every answer has an id of its own (outputs, duplicates, reviews and retraining are
    keyed by id)."""
    config = config or IngestConfig()
    df, info = _read_with_header(Path(path), config)
    if len(df.columns) == 0:
        raise ConsultError(
            f"{path} has no columns", "Give a file whose first row names the columns" + _sheet_hint(Path(path))
        )
    resolve_columns(list(df.columns), config, Path(path))
    _refuse_non_text(
        info,
        Path(path),
        [
            (config.text_column, "text", "--text-column"),
            (config.id_column, "id", "--id-column"),
            (question_column_in(list(df.columns), config), "question", "--question-column"),
        ],
    )
    if len(df) == 0:
        raise ConsultError(f"{path} has a header but no rows", "Give a file with at least one answer")
    _check_text_column(df[config.text_column].astype(str), config.text_column, Path(path))
    df[config.id_column] = df[config.id_column].astype(str).str.strip()  # " A1" and "A1" are one id everywhere
    if unique_ids:
        _check_ids(df[config.id_column], config.id_column, Path(path))
    if require_labels and config.theme_columns:
        if config.labels_column in df.columns:
            raise ConsultError(
                f"{path} has a labels column '{config.labels_column}' and theme columns are set too",
                "Use one of them: drop ingest.theme_columns (--theme-column), or name another --labels-column",
            )
        df[config.labels_column] = labels_from_theme_columns(df, config, Path(path))  # the frame just read
    elif require_labels:
        _require_column(df, config.labels_column, "labels", "--labels-column or --theme-column", Path(path))
    return Answers(
        df=df,
        info=info,
        id_column=config.id_column,
        text_column=config.text_column,
        question_column=question_column_in(list(df.columns), config),
    )


# Indicator cells, lower-cased: also the TRUE/FALSE and yes/no of Excel and spreadsheets in German, French,
# Spanish, Italian, Dutch and Portuguese.
# fmt: off
_YES = {"1", "1.0", "true", "yes", "y", "x", "wahr", "ja", "j", "vrai", "oui", "o", "verdadero", "sí", "sì", "si", "s",
        "vero", "waar", "verdadeiro", "sim"}
_NO = {"", "0", "0.0", "false", "no", "n", "nan", "na", "n/a", "none", "falsch", "nein", "faux", "non", "falso",
       "onwaar", "nee", "não", "nao"}
# fmt: on


def resolve_theme_columns(columns: list[str], wanted: list[str], path: Path) -> list[str]:
    """The columns named by ``wanted`` (names, or ``FIRST..LAST`` ranges in file order), each once."""
    out: list[str] = []
    for entry in wanted:
        if entry in columns:
            picked = [entry]
        elif ".." in entry and all(part in columns for part in entry.split("..", 1)):
            first, last = (columns.index(part) for part in entry.split("..", 1))
            if first > last:
                raise ConsultError(
                    f"Theme column range '{entry}' runs backwards in {path}", "Name the first column, then the last"
                )
            picked = columns[first : last + 1]
        else:
            shown = ", ".join(repr(c) for c in columns[:30]) + (" ..." if len(columns) > 30 else "")
            raise ConsultError(
                f"{path} has no theme column '{entry}' (columns: {shown})",
                "Name existing columns with --theme-column NAME (repeatable) or a range FIRST..LAST",
            )
        out += [c for c in picked if c not in out]
    return out


def labels_from_theme_columns(df: pd.DataFrame, config: IngestConfig, path: Path) -> pd.Series:
    """One labels cell per row (themes joined by the separator) from 0/1 indicator columns."""
    cols = resolve_theme_columns(list(df.columns), config.theme_columns, path)
    bad = [c for c in cols if c in (config.id_column, config.text_column)]
    if bad:
        raise ConsultError(
            f"'{bad[0]}' is the id or text column, not a theme column", "Leave it out of the theme columns"
        )
    sep = config.label_separator
    keys = {c: theme_key(c) for c in cols}  # a column name with ';' or ',' is stored under its derived key
    clash = [c for c in cols if sep in keys[c]]
    if clash:
        raise ConsultError(
            f"Theme column '{clash[0]}' contains the label separator '{sep}'",
            "Choose a separator no theme name contains, e.g. --sep '|'",
        )
    marks = {}
    for c in cols:
        v = df[c].astype(str).str.strip().str.lower()
        odd = ~v.isin(_YES | _NO)
        if odd.any():
            row = int(odd.to_numpy().argmax())
            raise ConsultError(
                f"Column '{c}' is not a theme indicator: answer '{df[config.id_column].iloc[row]}' has "
                f"'{df[c].iloc[row]}' in it",
                "Theme columns hold 1/0 (or true/false, yes/no, x/empty, also as in German, French, Spanish, Italian, "
                "Dutch and Portuguese spreadsheets: WAHR/FALSCH, ja/nein, ...); leave other columns out of --theme-column",
            )
        marks[c] = v.isin(_YES).to_numpy()
    return pd.Series(
        [sep.join(keys[c] for c in cols if marks[c][i]) for i in range(len(df))], index=df.index, dtype=object
    )


def empty_mask(texts: pd.Series) -> pd.Series:
    return texts.astype(str).str.strip() == ""


def validate(path: Path, config: IngestConfig | None = None, progress: Progress | None = None) -> ValidationReport:
    """Describe ``path``: rows, empty and duplicate answers, encoding, columns. Processes nothing. A file that
    can be streamed (UTF-8 CSV, TSV or JSONL, Parquet) is read in chunks, keeping only a hash per answer and id;
    ``progress`` is told each chunk. Anything else (a workbook, a file that needs repairs or has title rows above
    its header) is read whole, as every command reads it."""
    config = config or IngestConfig()
    if not config.skip_rows:
        source = Source(Path(path), sheet=config.sheet, chunk_rows=config.chunk_rows, limits=config)
        report = _validate_chunks(source, config, progress) if source.streams else None
        if report is not None:
            return report
    return _validate_whole(Path(path), config)  # resolve_columns, if run, changed nothing it will not do again


def _validate_chunks(source: Source, config: IngestConfig, progress: Progress | None) -> ValidationReport | None:
    """:func:`validate` over chunks; None when the whole-file reader must decide (no rows, columns not found,
    a column of nested values), so that its messages and header detection apply."""
    path = source.path
    chunks = source.chunks(progress)
    try:
        first = next(chunks, None)
    except ConsultError:  # e.g. title rows above the header: the whole-file reader finds it
        return None
    if first is None:
        return None
    columns = list(first.columns)
    try:
        resolve_columns(columns, config, path)
    except ConsultError:
        return None
    question = question_column_in(columns, config)
    if source.format == "parquet" and _nested(source, [config.text_column, config.id_column, question]):
        return None
    rows = empty = blank_ids = too_long = labelled = filled = numeric = 0
    first_filled: str | None = None
    texts_seen: list[np.ndarray] = []
    ids_seen: list[np.ndarray] = []
    per_question: Counter[str] = Counter()
    filled_columns: set[str] = set()
    count_labels = bool(config.theme_columns) or config.labels_column in columns
    for chunk in itertools.chain([first], chunks):
        rows += len(chunk)
        text = chunk[config.text_column].astype(str)
        stripped = text.str.strip()
        is_empty = (stripped == "").to_numpy()
        empty += int(is_empty.sum())
        texts_seen.append(stable_hash(stripped[~is_empty].str.casefold().tolist()))
        too_long += int((text.str.len() > config.max_cell_chars).sum())
        full = stripped[~is_empty]
        filled += len(full)
        numeric += int(full.str.match(_NUMBER).sum())
        if first_filled is None and len(full):
            first_filled = str(text[~is_empty].iloc[0])
        ids = chunk[config.id_column].astype(str).str.strip()
        blank = (ids == "").to_numpy()
        blank_ids += int(blank.sum())
        ids_seen.append(stable_hash(ids[~blank].tolist()))
        if config.theme_columns:
            labelled += int((labels_from_theme_columns(chunk, config, path) != "").sum())
        elif count_labels:
            labelled += int((chunk[config.labels_column].astype(str).str.strip() != "").sum())
        if question is not None:
            per_question.update(chunk[question].astype(str).str.strip().tolist())
        filled_columns |= {c for c in chunk.columns if c not in filled_columns and (chunk[c].str.strip() != "").any()}
    if filled >= 2 and numeric == filled:
        raise numbers_only(path, config.text_column, str(first_filled))
    source.note_blank_columns(columns, filled_columns)
    kept = [c for c in columns if c not in (source.blank_columns or [])]
    text_hashes, id_hashes = np.concatenate(texts_seen), np.concatenate(ids_seen)
    return ValidationReport(
        path=str(path),
        format=source.info.format,
        encoding=source.info.encoding,
        delimiter=source.info.delimiter,
        columns=kept,
        rows=rows,
        empty_answers=empty,
        duplicate_answers=len(text_hashes) - len(np.unique(text_hashes)),
        duplicate_ids=len(id_hashes) - len(np.unique(id_hashes)),
        blank_ids=blank_ids,
        too_long=too_long,
        labelled_rows=labelled if count_labels else None,
        question_column=question,
        answers_per_question=None if question is None else dict(per_question.most_common()),
        notes=list(source.info.notes),
    )


def _nested(source: Source, columns: list[str | None]) -> bool:
    """May any of these Parquet columns hold values that are not text (which the whole-file reader checks)?"""
    for part in source.parts:
        nested, binary = parquet_non_text(pq.read_schema(part))
        if any(c is not None and (c in nested or c in binary) for c in columns):
            return True
    return False


def _validate_whole(path: Path, config: IngestConfig) -> ValidationReport:
    answers = load_answers(path, config, unique_ids=False)  # counted and reported, not refused
    df = answers.df
    text = df[answers.text_column].astype(str)
    empty = empty_mask(text)
    norm = text.str.strip().str.casefold()
    dup_answers = int((norm.duplicated(keep="first") & ~empty).sum())
    ids = df[answers.id_column].astype(str).str.strip()
    labelled = None
    if config.theme_columns:
        labelled = int((labels_from_theme_columns(df, config, Path(path)) != "").sum())
    elif config.labels_column in df.columns:
        labelled = int((df[config.labels_column].astype(str).str.strip() != "").sum())
    return ValidationReport(
        path=str(path),
        format=answers.info.format,
        encoding=answers.info.encoding,
        delimiter=answers.info.delimiter,
        columns=list(df.columns),
        rows=len(df),
        empty_answers=int(empty.sum()),
        duplicate_answers=dup_answers,
        duplicate_ids=int((ids.duplicated(keep="first") & (ids != "")).sum()),
        blank_ids=int((ids == "").sum()),
        too_long=int((text.str.len() > config.max_cell_chars).sum()),
        formulas_without_value=answers.info.formulas_without_value,
        labelled_rows=labelled,
        question_column=answers.question_column,
        answers_per_question=None
        if answers.questions is None
        else {str(k): int(v) for k, v in pd.Series(answers.questions).value_counts().items()},
        notes=list(answers.info.notes),
    )
