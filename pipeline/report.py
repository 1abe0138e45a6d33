"""Stage 6 — report: theme counts over the substantive answers of a labelled file."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .errors import ConsultError
from .label import THEMES_COLUMN, as_bool, theme_columns
from .tables import read_table, write_table
from .taxonomy import Taxonomy


@dataclass
class CountsResult:
    counts: pd.DataFrame
    answers: int
    substantive: int
    non_substantive: int
    empty: int


def substantive_mask(df: pd.DataFrame) -> pd.Series:
    return ~(as_bool(df["flag_empty"]) | as_bool(df["flag_non_substantive"]))


def theme_counts(df: pd.DataFrame, taxonomy: Taxonomy | None = None) -> CountsResult:
    """Count and share of substantive answers per theme, ranked (ties share a rank)."""
    missing = [c for c in (THEMES_COLUMN, "flag_empty", "flag_non_substantive") if c not in df.columns]
    themes = theme_columns(df)
    if missing or not themes:
        raise ConsultError(
            f"This is not a labelled file (missing {', '.join(missing) or 'probability columns p_<theme>'})",
            "Label it first with 'consult label FILE -o OUT' and report on OUT",
        )
    sub = substantive_mask(df)
    n_sub = int(sub.sum())
    labels = df.loc[sub, THEMES_COLUMN].astype(str).str.split(";")
    counts = {t: 0 for t in themes}
    for cell in labels:
        for t in cell:
            if t in counts:
                counts[t] += 1
    names = {t: (taxonomy.get(t).name if taxonomy is not None and taxonomy.get(t) else t) for t in themes}
    table = pd.DataFrame(
        {"theme": themes, "name": [names[t] for t in themes], "count": [counts[t] for t in themes]}
    )
    table["share"] = (table["count"] / n_sub).round(4) if n_sub else 0.0
    table = table.sort_values(["count", "theme"], ascending=[False, True], kind="stable").reset_index(drop=True)
    table.insert(0, "rank", table["count"].rank(method="min", ascending=False).astype(int))
    empty = int(as_bool(df["flag_empty"]).sum())
    return CountsResult(
        counts=table, answers=len(df), substantive=n_sub, non_substantive=len(df) - n_sub - empty, empty=empty
    )


def report_file(labelled: Path, out_dir: Path, taxonomy: Taxonomy | None = None) -> CountsResult:
    df, _ = read_table(labelled)
    result = theme_counts(df, taxonomy)
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise ConsultError(f"{out_dir} is a file", "Give a folder for -o")
    write_table(result.counts, out_dir / "theme_counts.csv")
    return result
