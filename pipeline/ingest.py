"""Stage 1 — ingest: read a table of answers, check its columns, flag empty answers, never drop a row."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .config import IngestConfig
from .errors import ConsultError
from .tables import ReadInfo, read_table, table_format


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
    if column not in df.columns:
        cols = ", ".join(repr(c) for c in df.columns) or "none"
        raise ConsultError(
            f"{path} has no {role} column '{column}' (columns: {cols})",
            f"Name the right one with {option}" + _sheet_hint(path),
        )


def _sheet_hint(path: Path) -> str:
    """For a workbook: its sheets, and how to pick one or skip a title row."""
    if table_format(path) != "xlsx":
        return ""
    try:
        from openpyxl import load_workbook

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


_NUMBER = re.compile(r"^[+-]?\d+(?:[.,]\d+)?$")


def _check_text_column(texts: pd.Series, column: str, path: Path) -> None:
    """A text column holding only numbers is almost surely the wrong column (an id or a score)."""
    filled = texts[texts.str.strip() != ""]
    if len(filled) >= 2 and filled.str.strip().str.match(_NUMBER).all():
        raise ConsultError(
            f"{path}: the text column '{column}' holds only numbers (e.g. '{filled.iloc[0]}')",
            "Name the column with the answers with --text-column",
        )


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
    df, info = read_table(Path(path), sheet=config.sheet, limits=config)
    if len(df.columns) == 0:
        raise ConsultError(
            f"{path} has no columns", "Give a file whose first row names the columns" + _sheet_hint(Path(path))
        )
    _require_column(df, config.text_column, "text", "--text-column", Path(path))
    _require_column(df, config.id_column, "id", "--id-column", Path(path))
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
    clash = [c for c in cols if sep in c]
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
    return pd.Series([sep.join(c for c in cols if marks[c][i]) for i in range(len(df))], index=df.index, dtype=object)


def empty_mask(texts: pd.Series) -> pd.Series:
    return texts.astype(str).str.strip() == ""


def validate(path: Path, config: IngestConfig | None = None) -> ValidationReport:
    """Describe ``path``: rows, empty and duplicate answers, encoding, columns. Processes nothing."""
    config = config or IngestConfig()
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
