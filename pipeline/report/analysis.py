"""The numbers of a report, computed from a labelled table (no files, no rendering).

Who is counted: answers that are neither empty nor non-substantive. A campaign copy (``duplicate_of`` set)
is left out by default so a campaign counts once, through its first answer; ``count_duplicates=True``
counts every copy. Every answer of the file lands in exactly one of: counted, empty, non-substantive,
duplicate copy left out (see :class:`Basis`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..config import ReportConfig
from ..entities import parse_entities
from ..errors import ConsultError
from ..label import PROB_PREFIX, THEMES_COLUMN, added_columns, as_bool, theme_columns
from ..redact import Redactor, redact_contacts
from ..tables import read_table
from ..taxonomy import Taxonomy
from ..tone import TONE_COLUMN, TONE_PREFIX, TONES
from .stats import benjamini_hochberg, two_proportion_z, wilson_interval

REQUIRED = (THEMES_COLUMN, "flag_empty", "flag_non_substantive")
BLANK_GROUP = "(blank)"


def check_labelled(df: pd.DataFrame, what: str = "This") -> list[str]:
    """Theme ids of a labelled table; a clear error when ``df`` is not the output of ``consult label``."""
    missing = [c for c in REQUIRED if c not in df.columns]
    themes = theme_columns(df)
    if missing or not themes:
        raise ConsultError(
            f"{what} is not a labelled file (missing {', '.join(missing) or 'probability columns p_<theme>'})",
            "Label it first with 'consult label FILE -o OUT' and report on OUT",
        )
    return themes


def theme_names(themes: list[str], taxonomy: Taxonomy | None) -> dict[str, str]:
    names = {}
    for t in themes:
        th = taxonomy.get(t) if taxonomy is not None else None
        names[t] = th.label if th is not None else t
    return names


@dataclass
class Basis:
    """How the answers of a file were counted."""

    answers: int
    empty: int
    non_substantive: int
    duplicate_copies: int
    """Substantive answers that copy an earlier one (``duplicate_of`` set)."""
    duplicates_counted: bool
    counted: int
    no_theme: int
    """Counted answers with no theme above its threshold."""
    mask: pd.Series = field(repr=False)

    @property
    def duplicates_excluded(self) -> int:
        return 0 if self.duplicates_counted else self.duplicate_copies

    @property
    def substantive(self) -> int:
        return self.answers - self.empty - self.non_substantive


def duplicate_column(df: pd.DataFrame) -> pd.Series:
    if "duplicate_of" not in df.columns:
        return pd.Series([""] * len(df), index=df.index)
    return df["duplicate_of"].fillna("").astype(str).str.strip()


def label_matrix(df: pd.DataFrame, themes: list[str]) -> pd.DataFrame:
    """Boolean answers × themes: does the answer carry the theme (from the ``themes`` column)."""
    col = {t: j for j, t in enumerate(themes)}
    m = np.zeros((len(df), len(themes)), dtype=bool)
    for i, cell in enumerate(df[THEMES_COLUMN].fillna("").astype(str).tolist()):  # one pass, linear in answers
        for t in cell.split(";") if cell else ():
            j = col.get(t.strip())
            if j is not None:
                m[i, j] = True
    return pd.DataFrame(m, index=df.index, columns=list(themes))


def all_themes(df: pd.DataFrame) -> list[str]:
    """Themes with a probability column, then any other theme id found in the ``themes`` column (sorted)."""
    themes = theme_columns(df)
    seen = {t.strip() for c in df[THEMES_COLUMN].fillna("").astype(str) for t in c.split(";") if t.strip()}
    return [*themes, *sorted(seen - set(themes))]


def basis(df: pd.DataFrame, themes: list[str], count_duplicates: bool = False) -> Basis:
    empty = as_bool(df["flag_empty"])
    non_sub = as_bool(df["flag_non_substantive"]) & ~empty
    substantive = ~(empty | non_sub)
    copies = substantive & (duplicate_column(df) != "")
    mask = substantive if count_duplicates else substantive & ~copies
    labels = label_matrix(df[mask], themes)
    no_theme = int((~labels.any(axis=1)).sum()) if len(labels) else 0
    b = Basis(
        answers=len(df),
        empty=int(empty.sum()),
        non_substantive=int(non_sub.sum()),
        duplicate_copies=int(copies.sum()),
        duplicates_counted=count_duplicates,
        counted=int(mask.sum()),
        no_theme=no_theme,
        mask=mask,
    )
    assert b.counted + b.empty + b.non_substantive + b.duplicates_excluded == b.answers  # every answer, once
    return b


def probabilities(df: pd.DataFrame, theme: str) -> pd.Series:
    col = PROB_PREFIX + theme
    if col not in df.columns:
        return pd.Series(np.nan, index=df.index)
    return pd.to_numeric(df[col], errors="coerce")


def counts_table(df: pd.DataFrame, themes: list[str], names: dict[str, str], level: float = 0.95) -> pd.DataFrame:
    """Per theme over the rows of ``df`` (the counted answers): rank, count, share and its Wilson interval,
    the expected count (sum of the theme's probabilities) and the count minus the expected count."""
    n = len(df)
    labels = label_matrix(df, themes)
    rows = []
    for t in themes:
        k = int(labels[t].sum())
        lo, hi = wilson_interval(k, n, level)
        p = probabilities(df, t)
        expected = round(float(p.fillna(0).sum()), 1) if p.notna().any() else math.nan
        rows.append(
            {
                "theme": t,
                "name": names[t],
                "count": k,
                "share": round(k / n, 4) if n else math.nan,
                "ci_low": round(lo, 4),
                "ci_high": round(hi, 4),
                "expected": expected,
                "count_minus_expected": round(k - expected, 1) if not math.isnan(expected) else math.nan,
                "base": n,
            }
        )
    table = pd.DataFrame(
        rows,
        columns=["theme", "name", "count", "share", "ci_low", "ci_high", "expected", "count_minus_expected", "base"],
    )
    table = table.sort_values(["count", "theme"], ascending=[False, True], kind="stable").reset_index(drop=True)
    table.insert(0, "rank", table["count"].rank(method="min", ascending=False).astype(int))
    return table


def group_values(df: pd.DataFrame, column: str) -> pd.Series:
    return df[column].fillna("").astype(str).str.strip().replace("", BLANK_GROUP)


def suppressed_groups(sizes: pd.Series, min_size: int) -> set[str]:
    """Groups under ``min_size``; when that is exactly one group, also the next smallest, so a suppressed
    group's numbers cannot be found by subtracting the shown groups from the total."""
    small = {str(g) for g, n in sizes.items() if n < min_size}
    if len(small) == 1 and len(sizes) > 1:
        rest = sizes[[g not in small for g in sizes.index]].sort_values(kind="stable")
        small.add(str(rest.index[0]))
    return small


def group_table(
    df: pd.DataFrame, column: str, themes: list[str], names: dict[str, str], cfg: ReportConfig
) -> pd.DataFrame:
    """Per group of ``column`` × theme: answers, count, share with interval, lift against all counted
    answers, and whether the theme is over- or under-represented in the group.

    The test: for each shown group and theme, a pooled two-proportion z-test of the group against all other
    counted answers (= the adjusted standardised residual of the 2×G chi-square table). A cell is flagged
    when Benjamini-Hochberg q < ``cfg.alpha`` across all the column's tests (so also |z| > 1.96 at 0.05).
    Suppressed groups (see :func:`suppressed_groups`) show ``<min`` answers and no numbers.
    """
    groups = group_values(df, column)
    sizes = groups.value_counts(sort=False)
    sizes = sizes.reindex(sorted(sizes.index, key=lambda g: (g == BLANK_GROUP, str(g))))
    if len(sizes) > cfg.max_groups:
        raise ConsultError(
            f"Column '{column}' has {len(sizes)} different values, more than report.max_groups={cfg.max_groups}: "
            "it looks like an id or free text, not groups",
            f"Choose a column of categories for --by, or raise the limit with --set report.max_groups={len(sizes)}",
        )
    hidden = suppressed_groups(sizes, cfg.min_group_size)
    labels = label_matrix(df, themes)
    n_all = len(df)
    rows = []
    for g, n_g in sizes.items():
        in_g = (groups == g).to_numpy()
        for t in themes:
            k_all = int(labels[t].sum())
            row: dict[str, object] = {"column": column, "group": g, "theme": t, "name": names[t]}
            if g in hidden:
                row.update(answers=f"<{cfg.min_group_size}", suppressed=True)
                rows.append(row)
                continue
            k = int(labels[t].to_numpy()[in_g].sum())
            lo, hi = wilson_interval(k, int(n_g), cfg.interval_level)
            z, p = two_proportion_z(k, int(n_g), k_all - k, n_all - int(n_g))
            overall = k_all / n_all if n_all else math.nan
            row.update(
                answers=int(n_g),
                suppressed=False,
                count=k,
                share=round(k / n_g, 4),
                ci_low=round(lo, 4),
                ci_high=round(hi, 4),
                share_all=round(overall, 4),
                lift=round((k / n_g) / overall, 2) if overall else math.nan,
                z=round(z, 3),
                p=p,
            )
            rows.append(row)
    cols = [
        "column",
        "group",
        "answers",
        "suppressed",
        "theme",
        "name",
        "count",
        "share",
        "ci_low",
        "ci_high",
        "share_all",
        "lift",
        "z",
        "p",
        "q",
        "signal",
    ]
    table = pd.DataFrame(rows).reindex(columns=cols)
    tested = ~table["suppressed"].astype(bool) & table["p"].notna()
    q = benjamini_hochberg(table.loc[tested, "p"].astype(float).to_numpy())
    table.loc[tested, "q"] = q
    table["signal"] = ""
    flag = tested & (table["q"].astype(float) < cfg.alpha)
    table.loc[flag & (table["z"].astype(float) > 0), "signal"] = "over"
    table.loc[flag & (table["z"].astype(float) < 0), "signal"] = "under"
    table["p"] = table["p"].astype(float).round(4)
    table["q"] = table["q"].astype(float).round(4)
    table["count"] = pd.Series(
        [None if pd.isna(v) else int(v) for v in table["count"]], index=table.index, dtype=object
    )
    return table


def all_suppressed(group_tab: pd.DataFrame) -> bool:
    """Whether every group of a breakdown is below the suppression size (nothing can be shown)."""
    return bool(len(group_tab)) and bool(group_tab["suppressed"].astype(bool).all())


def read_group_map(path: Path) -> dict[str, str]:
    """A CSV mapping values of a --by column to larger groups (first column: value, second: group), e.g.
    boroughs to policing areas."""
    df, _ = read_table(Path(path))
    if len(df.columns) < 2 or not len(df):
        raise ConsultError(
            f"Group map {path} needs two columns (value, group) and at least one row",
            "Write a CSV whose first column holds the values (e.g. borough) and second the larger group (e.g. area)",
        )
    values, groups = df.iloc[:, 0].astype(str).str.strip(), df.iloc[:, 1].astype(str).str.strip()
    dup = values[values.duplicated()]
    if len(dup):
        raise ConsultError(f"Group map {path} maps '{dup.iloc[0]}' twice", "Give each value one group")
    return dict(zip(values, groups, strict=True))


def apply_group_map(df: pd.DataFrame, by: list[str], mapping: dict[str, str]) -> tuple[pd.DataFrame, list[str]]:
    """``df`` with the values of each --by column replaced by their group (values not in the map kept), and a
    note per column on what was mapped."""
    out = df.copy()
    notes = []
    for col in by:
        if col not in out.columns:
            continue
        vals = out[col].fillna("").astype(str).str.strip()
        hit = vals.isin(list(mapping))
        out[col] = vals.map(lambda v: mapping.get(v, v))
        kept = sorted(set(vals[~hit]) - {""})
        notes.append(
            f"--group-map: {int(hit.sum())} answers of '{col}' put into {out.loc[hit, col].nunique()} larger group(s)"
            + (
                f"; values not in the map kept as they are: {', '.join(kept[:8])}{' …' if len(kept) > 8 else ''}"
                if kept
                else ""
            )
        )
    return out, notes


def share_matrix(group_tab: pd.DataFrame, themes: list[str]) -> pd.DataFrame:
    """Wide form of a group table for reading: one row per group, share per theme ("" when suppressed)."""
    out = []
    for g, part in group_tab.groupby("group", sort=False):
        row: dict[str, object] = {"group": g, "answers": part["answers"].iloc[0]}
        for r in part.itertuples(index=False):
            row[r.theme] = "" if r.suppressed else r.share
        out.append(row)
    return pd.DataFrame(out, columns=["group", "answers", *themes])


def cooccurrence(df: pd.DataFrame, themes: list[str], names: dict[str, str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Matrix of answers carrying both themes (diagonal: the theme's count) and the pairs seen together,
    most frequent first, with the share of each theme's answers that also carry the other and the lift
    (observed / expected if the two themes were independent)."""
    labels = label_matrix(df, themes).astype(int)
    m = labels.T.dot(labels)
    matrix = m.reset_index().rename(columns={"index": "theme"})
    n = len(df)
    pairs = []
    for i, a in enumerate(themes):
        for b in themes[i + 1 :]:
            both = int(m.loc[a, b])
            if both == 0:
                continue
            ca, cb = int(m.loc[a, a]), int(m.loc[b, b])
            pairs.append(
                {
                    "theme_a": a,
                    "name_a": names[a],
                    "theme_b": b,
                    "name_b": names[b],
                    "both": both,
                    "share_of_a": round(both / ca, 4),
                    "share_of_b": round(both / cb, 4),
                    "lift": round(both * n / (ca * cb), 2),
                }
            )
    cols = ["theme_a", "name_a", "theme_b", "name_b", "both", "share_of_a", "share_of_b", "lift"]
    pair_tab = pd.DataFrame(pairs, columns=cols)
    pair_tab = pair_tab.sort_values(["both", "lift"], ascending=[False, False], kind="stable").reset_index(drop=True)
    return matrix, pair_tab


def entity_table(
    df: pd.DataFrame, themes: list[str], names: dict[str, str], cfg: ReportConfig, redactor: Redactor | None = None
) -> pd.DataFrame:
    """Places and organisations most mentioned per theme: answers mentioning each (an answer counts once).

    An entity that ``redactor`` changes (a phone number, name or address the tagger took for an organisation
    or place) is personal data, not a place, and is left out."""
    cols = ["theme", "name", "rank", "label", "entity", "answers"]
    if "entities" not in df.columns:
        return pd.DataFrame(columns=cols)
    keep = set(cfg.entity_labels)
    ents = (
        df["entities"]
        .fillna("")
        .astype(str)
        .map(lambda c: {(lab, name) for lab, name in parse_entities(c) if lab in keep and name})
    )
    if redactor is not None:
        allowed: dict[str, bool] = {}
        for s in ents:
            for _, name in s:
                if name not in allowed:
                    allowed[name] = redactor(name) == name
        ents = ents.map(lambda s: {(lab, name) for lab, name in s if allowed[name]})
    labels = label_matrix(df, themes)
    rows = []
    for t in themes:
        tally: dict[tuple[str, str], int] = {}
        for s in ents[labels[t]]:
            for e in s:
                tally[e] = tally.get(e, 0) + 1
        ranked = sorted(
            ((c, e) for e, c in tally.items() if c >= cfg.min_entity_answers), key=lambda x: (-x[0], x[1][1], x[1][0])
        )
        for i, (c, (lab, name)) in enumerate(ranked[: cfg.top_entities], start=1):
            rows.append({"theme": t, "name": names[t], "rank": i, "label": lab, "entity": name, "answers": c})
    return pd.DataFrame(rows, columns=cols)


def shorten(text: str, max_chars: int) -> str:
    text = " ".join(str(text).split())
    if len(text) <= max_chars:
        return text
    cut = text[: max_chars - 1]
    if " " in cut[max_chars // 2 :]:
        cut = cut[: cut.rfind(" ")]
    return cut.rstrip(" ,;:") + "…"


def quote_table(
    df: pd.DataFrame,
    themes: list[str],
    names: dict[str, str],
    cfg: ReportConfig,
    text_column: str,
    ids: pd.Series,
    redactor: Redactor,
    copied: set[str],
) -> pd.DataFrame:
    """Up to ``cfg.quotes_per_theme`` representative answers per theme: carrying the theme with probability
    at least ``cfg.quote_min_probability``, not a campaign copy nor in ``copied`` (answers that others copy),
    most confident first, each answer quoted under one theme at most; redacted, then shortened (so a cut
    cannot leave half a phone number behind)."""
    cols = ["theme", "name", "rank", "id", "probability", "quote"]
    eligible = (duplicate_column(df) == "") & ~ids.isin(copied)
    labels = label_matrix(df, themes)
    conf = pd.to_numeric(df["confidence"], errors="coerce").fillna(0) if "confidence" in df.columns else 0
    used: set[str] = set()
    rows = []
    order = sorted(themes, key=lambda t: int(labels[t].sum()))  # rare themes choose first
    text = df[text_column].fillna("").astype(str)
    eligible &= text.str.contains(r"\S", regex=True)  # no copy of the texts
    for t in order:
        p = probabilities(df, t)
        p = p.fillna(1.0 if p.isna().all() else 0.0)  # a theme with no probability column (added by review)
        keep = (labels[t] & eligible & (p >= cfg.quote_min_probability)).to_numpy()
        cand = pd.DataFrame(
            {
                "id": ids[keep],
                "p": p[keep],
                "conf": conf[keep] if isinstance(conf, pd.Series) else conf,
                "text": text[keep],
            }
        )
        cand = cand.sort_values(["p", "conf", "id"], ascending=[False, False, True], kind="stable")
        picked = 0
        for r in cand.itertuples(index=False):
            if picked >= cfg.quotes_per_theme:
                break
            if r.id in used:
                continue
            used.add(r.id)
            picked += 1
            rows.append(
                {
                    "theme": t,
                    "name": names[t],
                    "rank": picked,
                    "id": redact_contacts(r.id),  # an id can be an e-mail address or phone number
                    "probability": round(float(r.p), 3),
                    "quote": shorten(redactor(r.text), cfg.quote_max_chars),
                }
            )
    table = pd.DataFrame(rows, columns=cols)
    pos = {t: i for i, t in enumerate(themes)}
    return table.sort_values(
        ["theme", "rank"], key=lambda s: s.map(pos) if s.name == "theme" else s, kind="stable"
    ).reset_index(drop=True)


def campaign_table(
    df: pd.DataFrame,
    ids: pd.Series,
    text_column: str | None,
    redactor: Redactor,
    max_chars: int,
    withheld: pd.Series | None = None,
    names: dict[str, str] | None = None,
) -> pd.DataFrame:
    """Each answer that was copied: how many copies, its themes (by name, as people know them) and a redacted
    excerpt (none for an answer in ``withheld``, such as one flagged for safeguarding)."""
    cols = ["original_id", "copies", "answers_in_campaign", "themes", "excerpt"]
    dup = duplicate_column(df)
    copies = dup[dup != ""].value_counts()
    # The first row of each copied id, found in one pass (not one scan of every answer per campaign).
    originals = ids[ids.isin(copies.index)]
    first_row = dict(zip(originals.tolist(), range(len(originals)), strict=True)) if originals.is_unique else {}
    if not originals.is_unique:
        for k, v in enumerate(originals.tolist()):
            first_row.setdefault(v, k)
    at = df.loc[originals.index]
    empty = df.iloc[0:0]
    rows, texts = [], []
    for orig, n in copies.items():
        pos = first_row.get(orig)
        hit = empty if pos is None else at.iloc[pos : pos + 1]
        text = str(hit[text_column].iloc[0]) if len(hit) and text_column else ""
        if withheld is not None and len(hit) and bool(withheld[hit.index].any()):
            text = ""
        texts.append(text)
        rows.append(
            {
                "original_id": redact_contacts(orig),
                "copies": int(n),
                "answers_in_campaign": int(n) + (1 if len(hit) else 0),
                "themes": "; ".join((names or {}).get(t, t) for t in str(hit[THEMES_COLUMN].iloc[0]).split(";") if t)
                if len(hit)
                else "",
            }
        )
    todo = [k for k, t in enumerate(texts) if t]
    redacted = dict(zip(todo, redactor.redact_all([texts[k] for k in todo]), strict=True))
    for k, row in enumerate(rows):
        row["excerpt"] = shorten(redacted[k], max_chars) if k in redacted else ""
    tab = pd.DataFrame(rows, columns=cols)
    return tab.sort_values(["copies", "original_id"], ascending=[False, True], kind="stable").reset_index(drop=True)


def compare_table(now: pd.DataFrame, before: pd.DataFrame, names: dict[str, str], cfg: ReportConfig) -> pd.DataFrame:
    """Per theme: count and share in the previous round and now, the change, and a pooled two-proportion
    z-test of the shares with Benjamini-Hochberg q across themes; ``signal`` is up/down when q < alpha."""
    n_now = int(now["base"].iloc[0]) if len(now) else 0
    n_before = int(before["base"].iloc[0]) if len(before) else 0
    a = now.set_index("theme")
    b = before.set_index("theme")
    themes = [*a.index, *[t for t in b.index if t not in a.index]]
    rows = []
    for t in themes:
        k1 = int(a.loc[t, "count"]) if t in a.index else 0
        k0 = int(b.loc[t, "count"]) if t in b.index else 0
        z, p = two_proportion_z(k1, n_now, k0, n_before)
        s1 = k1 / n_now if n_now else math.nan
        s0 = k0 / n_before if n_before else math.nan
        rows.append(
            {
                "theme": t,
                "name": names.get(t, str(b.loc[t, "name"]) if t in b.index and "name" in b.columns else t),
                "count_before": k0,
                "count_now": k1,
                "change": k1 - k0,
                "share_before": round(s0, 4),
                "share_now": round(s1, 4),
                "change_points": round(100 * (s1 - s0), 1),
                "z": round(z, 3),
                "p": p,
                "in_before": t in b.index,
                "in_now": t in a.index,
            }
        )
    tab = pd.DataFrame(rows)
    tab["q"] = benjamini_hochberg(tab["p"].to_numpy()).round(4) if len(tab) else []
    tab["p"] = tab["p"].round(4)
    tab["signal"] = ""
    sig = tab["q"] < cfg.alpha
    tab.loc[sig & (tab["z"] > 0), "signal"] = "up"
    tab.loc[sig & (tab["z"] < 0), "signal"] = "down"
    tab["base_before"] = n_before
    tab["base_now"] = n_now
    tab = tab[
        [
            "theme",
            "name",
            "count_before",
            "count_now",
            "change",
            "share_before",
            "share_now",
            "change_points",
            "z",
            "p",
            "q",
            "signal",
            "base_before",
            "base_now",
            "in_before",
            "in_now",
        ]
    ]
    return tab.sort_values(
        ["change_points", "theme"], key=lambda s: -s.abs() if s.name == "change_points" else s, kind="stable"
    ).reset_index(drop=True)


def by_columns_allowed(
    df: pd.DataFrame, by: list[str], themes: list[str], text_column: str = "", id_column: str = ""
) -> None:
    """Refuse --by columns that are not input columns, and the answers' text and id columns: their values
    would become group names in the report (free text and ids are personal data, whatever their number)."""
    added = set(added_columns(themes, tones=TONES))
    private = {text_column, id_column} - {""}
    inputs = [c for c in df.columns if c not in added and c not in private]
    for col in by:
        if col not in df.columns or col in added:
            raise ConsultError(
                f"Column '{col}' given with --by is not a column of the answers",
                f"Use one of: {', '.join(inputs) or '(none)'}",
            )
        if col in private:
            what = "answers' text" if col == text_column else "answers' ids"
            raise ConsultError(
                f"Column '{col}' given with --by holds the {what}: its values would appear in the report",
                f"Break down by a column of categories: {', '.join(inputs) or '(none)'}",
            )


# --- tone -------------------------------------------------------------------------------------------------

ALL_ANSWERS = "(all answers)"
"""The row of the tone table over every counted answer with a tone, whatever its themes."""


def has_tone(df: pd.DataFrame) -> bool:
    """Whether a labelled table has tone (labelled by a model with a tone classifier)."""
    return TONE_COLUMN in df.columns and df[TONE_COLUMN].fillna("").astype(str).str.strip().isin(TONES).any()


def tone_values(df: pd.DataFrame) -> pd.Series:
    """Each answer's tone ("" when none)."""
    t = df[TONE_COLUMN].fillna("").astype(str).str.strip().str.lower()
    return t.where(t.isin(TONES), "")


def tone_table(df: pd.DataFrame, themes: list[str], names: dict[str, str], level: float = 0.95) -> pd.DataFrame:
    """Per theme (and first, all counted answers): of its answers with a tone, the count and share of each tone
    with its Wilson interval, and ``net`` = positive share - negative share (-1 all negative … +1 all positive)."""
    tone = tone_values(df)
    labels = label_matrix(df, themes)
    rows = []
    for t in [ALL_ANSWERS, *themes]:
        mask = (tone != "") & (labels[t] if t != ALL_ANSWERS else True)
        n = int(mask.sum())
        row: dict[str, object] = {"theme": t, "name": names.get(t, t), "answers": n}
        for v in TONES:
            k = int((tone[mask] == v).sum())
            lo, hi = wilson_interval(k, n, level)
            row.update(
                {
                    v: k,
                    f"{v}_share": round(k / n, 4) if n else math.nan,
                    f"{v}_ci_low": round(lo, 4) if n else math.nan,
                    f"{v}_ci_high": round(hi, 4) if n else math.nan,
                }
            )
        shares = {v: (round(int((tone[mask] == v).sum()) / n, 4) if n else math.nan) for v in ("positive", "negative")}
        row["net"] = round(shares["positive"] - shares["negative"], 4) if n else math.nan
        rows.append(row)
    cols = ["theme", "name", "answers"]
    for v in TONES:
        cols += [v, f"{v}_share", f"{v}_ci_low", f"{v}_ci_high"]
    return pd.DataFrame(rows, columns=[*cols, "net"])


def tone_group_table(df: pd.DataFrame, column: str, cfg: ReportConfig) -> pd.DataFrame:
    """Tone by group of ``column``, over counted answers with a tone: :func:`group_table` with the tones in place
    of themes, so the same suppression of small groups and the same test (two-proportion z of the group against
    the rest, Benjamini-Hochberg q < alpha) apply."""
    tone = tone_values(df)
    with_tone = df[tone != ""].assign(**{THEMES_COLUMN: tone[tone != ""]})
    tab = group_table(with_tone, column, list(TONES), {t: t for t in TONES}, cfg)
    return tab.rename(columns={"theme": "tone"}).drop(columns=["name"])


def tone_compare_table(
    now: pd.DataFrame, before: pd.DataFrame, names: dict[str, str], cfg: ReportConfig
) -> pd.DataFrame:
    """Per theme (and all answers) and tone: share of the theme's answers with that tone in the previous round and
    now, the change in points, and a pooled two-proportion z-test with Benjamini-Hochberg q across every theme
    and tone; ``signal`` is up/down when q < alpha. ``now``/``before`` are :func:`tone_table` tables."""
    a = now.set_index("theme")
    b = before.set_index("theme")
    rows = []
    for t in [x for x in a.index if x in b.index]:
        n1, n0 = int(a.loc[t, "answers"]), int(b.loc[t, "answers"])
        for v in TONES:
            k1, k0 = int(a.loc[t, v]), int(b.loc[t, v])
            z, p = two_proportion_z(k1, n1, k0, n0)
            s1 = k1 / n1 if n1 else math.nan
            s0 = k0 / n0 if n0 else math.nan
            rows.append(
                {
                    "theme": t,
                    "name": names.get(t, str(a.loc[t, "name"])),
                    "tone": v,
                    "answers_before": n0,
                    "answers_now": n1,
                    "count_before": k0,
                    "count_now": k1,
                    "share_before": round(s0, 4),
                    "share_now": round(s1, 4),
                    "change_points": round(100 * (s1 - s0), 1),
                    "z": round(z, 3),
                    "p": p,
                }
            )
    cols = [
        "theme",
        "name",
        "tone",
        "answers_before",
        "answers_now",
        "count_before",
        "count_now",
        "share_before",
        "share_now",
        "change_points",
        "z",
        "p",
        "q",
        "signal",
    ]
    tab = pd.DataFrame(rows, columns=[c for c in cols if c not in ("q", "signal")])
    tab["q"] = benjamini_hochberg(tab["p"].astype(float).to_numpy()).round(4) if len(tab) else []
    tab["p"] = tab["p"].astype(float).round(4)
    tab["signal"] = ""
    sig = tab["q"].astype(float) < cfg.alpha
    tab.loc[sig & (tab["z"].astype(float) > 0), "signal"] = "up"
    tab.loc[sig & (tab["z"].astype(float) < 0), "signal"] = "down"
    return tab[cols]


def tone_quote_table(
    df: pd.DataFrame,
    themes: list[str],
    names: dict[str, str],
    cfg: ReportConfig,
    text_column: str,
    ids: pd.Series,
    redactor: Redactor,
    copied: set[str],
) -> pd.DataFrame:
    """Quotes per theme and tone, for each tone in ``cfg.quotes_by_tone``: :func:`quote_table` over the answers
    of that tone whose tone probability is at least ``cfg.quote_min_probability`` too (same rules, same
    redaction; pass ``df`` without answers flagged for safeguarding)."""
    tone = tone_values(df)
    parts = []
    for v in cfg.quotes_by_tone:
        col = TONE_PREFIX + v
        sure = pd.to_numeric(df[col], errors="coerce").fillna(1.0) if col in df.columns else 1.0
        mask = (tone == v) & (sure >= cfg.quote_min_probability)
        q = quote_table(df[mask], themes, names, cfg, text_column, ids[mask], redactor, copied)
        parts.append(q.assign(tone=v))
    cols = ["theme", "name", "tone", "rank", "id", "probability", "quote"]
    if not parts:
        return pd.DataFrame(columns=cols)
    return pd.concat(parts, ignore_index=True)[cols]
