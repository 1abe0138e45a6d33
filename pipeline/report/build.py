"""Building a report: read the columns of a labelled file it needs, compute every table (:func:`build_report`),
and write them (:func:`report_file`, :func:`write_report`). The numbers are in :mod:`.analysis`, the formulas in
:mod:`.stats`, the output formats in :mod:`.render`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..config import Config, ReportConfig
from ..entities import load_spacy, spacy_language
from ..errors import ConsultError
from ..label import PROB_PREFIX, SAFEGUARDING_FLAG, SAFEGUARDING_REASON, added_columns, as_bool, theme_columns
from ..modelstore import sha256_file
from ..progress import Progress
from ..provenance import __version__
from ..redact import labelled_file_redactor
from ..stream import Source
from ..tables import read_table
from ..taxonomy import Taxonomy
from ..tone import TONE_COLUMN
from . import analysis
from .analysis import Basis, check_labelled
from .render import check_out_dir
from .render import write_report as _write


@dataclass
class CountsResult:
    """Theme counts of one file and how its answers were counted."""

    counts: pd.DataFrame
    basis: Basis

    @property
    def answers(self) -> int:
        return self.basis.answers

    @property
    def substantive(self) -> int:
        return self.basis.counted

    @property
    def non_substantive(self) -> int:
        return self.basis.non_substantive

    @property
    def empty(self) -> int:
        return self.basis.empty


@dataclass
class Report:
    """Every table of a report, plus what is needed to render it."""

    counts: CountsResult
    names: dict[str, str]
    config: ReportConfig
    provenance: pd.DataFrame
    groups: dict[str, pd.DataFrame] = field(default_factory=dict)
    cooccurrence: pd.DataFrame = field(default_factory=pd.DataFrame)
    pairs: pd.DataFrame = field(default_factory=pd.DataFrame)
    entities: pd.DataFrame = field(default_factory=pd.DataFrame)
    quotes: pd.DataFrame = field(default_factory=pd.DataFrame)
    campaigns: pd.DataFrame = field(default_factory=pd.DataFrame)
    compare: pd.DataFrame | None = None
    tone: pd.DataFrame | None = None
    """Tone by theme (:func:`analysis.tone_table`), when the file has tone."""
    tone_groups: dict[str, pd.DataFrame] = field(default_factory=dict)
    tone_compare: pd.DataFrame | None = None
    tone_quotes: pd.DataFrame | None = None
    title: str = "Consultation themes"
    language: str = ""
    """ISO code of the answers' language (from ``entities.spacy_model``): the page marks quotes with it."""
    notes: list[str] = field(default_factory=list)
    """Things the reader of the terminal should know (e.g. characters the charts cannot draw)."""

    @property
    def themes(self) -> list[str]:
        return list(self.names)

    def tables(self) -> dict[str, pd.DataFrame]:
        """Every table by its file stem (also its sheet name in the workbook)."""
        out = {"theme_counts": self.counts.counts}
        for col, tab in self.groups.items():
            out[f"by_{col}"] = tab
        out.update(
            cooccurrence=self.cooccurrence,
            theme_pairs=self.pairs,
            entities=self.entities,
            quotes=self.quotes,
            campaigns=self.campaigns,
        )
        if self.compare is not None:
            out["compare"] = self.compare
        if self.tone is not None:
            out["tone_by_theme"] = self.tone
            for col, tab in self.tone_groups.items():
                out[f"tone_by_{col}"] = tab
            if self.tone_compare is not None:
                out["tone_compare"] = self.tone_compare
            if self.tone_quotes is not None:
                out["tone_quotes"] = self.tone_quotes
        out["provenance"] = self.provenance
        return out


def theme_counts(
    df: pd.DataFrame, taxonomy: Taxonomy | None = None, *, count_duplicates: bool = False, level: float = 0.95
) -> CountsResult:
    """Count, share (with Wilson interval), rank and expected count per theme over the counted answers."""
    check_labelled(df)
    themes = analysis.all_themes(df)
    b = analysis.basis(df, themes, count_duplicates)
    table = analysis.counts_table(df[b.mask], themes, analysis.theme_names(themes, taxonomy), level)
    return CountsResult(counts=table, basis=b)


def previous_counts(path: Path, taxonomy: Taxonomy | None, count_duplicates: bool, level: float) -> pd.DataFrame:
    """Theme counts of the previous round: a labelled file, a report folder or its ``theme_counts.csv``."""
    path = Path(path)
    if path.is_dir():
        if not (path / "theme_counts.csv").is_file():
            raise ConsultError(
                f"--compare folder {path} has no theme_counts.csv",
                "Give a labelled file or a folder written by 'consult report'",
            )
        path = path / "theme_counts.csv"
    df, _ = read_table(path, written_by_consult=True)
    if {"theme", "count", "base"} <= set(df.columns):
        try:
            out = df.assign(count=pd.to_numeric(df["count"]).astype(int), base=pd.to_numeric(df["base"]).astype(int))
        except (ValueError, TypeError):
            raise ConsultError(
                f"--compare file {path} has counts that are not whole numbers",
                "Give the theme_counts.csv of a report unchanged, or the labelled file",
            ) from None
        if out["base"].nunique() != 1:
            raise ConsultError(
                f"--compare file {path} has more than one base", "Give the theme_counts.csv of one report"
            )
        return out
    try:
        return theme_counts(df, taxonomy, count_duplicates=count_duplicates, level=level).counts
    except ConsultError:
        raise ConsultError(
            f"--compare file {path} is neither a labelled file nor a report's theme_counts.csv",
            "Give the previous round's 'consult label' output or 'consult report' folder",
        ) from None


def previous_tone(path: Path, taxonomy: Taxonomy | None, count_duplicates: bool, level: float) -> pd.DataFrame | None:
    """Tone by theme of the previous round: its report folder's ``tone_by_theme.csv`` or its labelled file;
    None when it has no tone."""
    path = Path(path)
    if path.is_dir() or path.name == "theme_counts.csv":
        folder = path if path.is_dir() else path.parent
        if not (folder / "tone_by_theme.csv").is_file():
            return None
        df, _ = read_table(folder / "tone_by_theme.csv", written_by_consult=True)
        need = {"theme", "answers", *analysis.TONES}
        if not need <= set(df.columns):
            return None
        return df.astype({c: int for c in ["answers", *analysis.TONES]})
    df, _ = read_table(path, written_by_consult=True)
    if not analysis.has_tone(df):
        return None
    themes = analysis.all_themes(df)
    b = analysis.basis(df, themes, count_duplicates)
    return analysis.tone_table(df[b.mask], themes, analysis.theme_names(themes, taxonomy), level)


def _language(config: Config) -> str:
    try:
        return spacy_language(config.entities.spacy_model)
    except ConsultError:  # the pipeline is only needed for NER; without it the page just does not say
        return ""


def _ner(config: Config):  # type: ignore[no-untyped-def]
    if not config.report.redact_with_ner:
        return None
    return load_spacy(config.entities.spacy_model, ner=True)


def _reasons(df: pd.DataFrame, flagged: pd.Series, min_size: int) -> str:
    """Flagged answers by reason, a reason with fewer than ``min_size`` shown as "<min_size"."""
    if SAFEGUARDING_REASON not in df.columns or not flagged.any():
        return ""
    counts = df.loc[flagged, SAFEGUARDING_REASON].fillna("").astype(str).value_counts()
    return "; ".join(f"{r}: {n if n >= min_size else f'<{min_size}'}" for r, n in counts.items())


def build_report(
    df: pd.DataFrame,
    config: Config | None = None,
    taxonomy: Taxonomy | None = None,
    *,
    by: list[str] | None = None,
    previous: pd.DataFrame | None = None,
    count_duplicates: bool = False,
    source: dict[str, str] | None = None,
    nlp: object = None,
    previous_tone: pd.DataFrame | None = None,
    progress: Progress | None = None,
) -> Report:
    """All tables of a report on the labelled table ``df``.

    ``previous`` is the theme-counts table of an earlier round (see :func:`previous_counts`) and
    ``previous_tone`` its tone table (:func:`previous_tone`); ``source``
    adds provenance lines (input file, SHA-256, ...); ``nlp`` is a spaCy pipeline for name redaction
    (default: loaded from config when ``report.redact_with_ner`` is on); ``progress`` is told each stage.
    """
    progress = progress or Progress()
    config = config or Config()
    cfg = config.report
    check_labelled(df)
    themes = analysis.all_themes(df)
    by = list(dict.fromkeys(by or []))
    text_col, id_col = config.ingest.text_column, config.ingest.id_column
    analysis.by_columns_allowed(df, by, themes, text_col, id_col)
    if text_col not in df.columns:
        raise ConsultError(
            f"The labelled file has no text column '{text_col}' to take quotes from",
            "Name it with --text-column (or ingest.text_column in config)",
        )
    names = analysis.theme_names(themes, taxonomy)
    progress.stage("counting", len(df))
    b = analysis.basis(df, themes, count_duplicates)
    counted = df[b.mask]
    counts = CountsResult(analysis.counts_table(counted, themes, names, cfg.interval_level), b)
    ids = (
        df[id_col].astype(str)
        if id_col in df.columns
        else pd.Series([str(i + 1) for i in range(len(df))], index=df.index)
    )
    if nlp is None and cfg.quotes_per_theme > 0:
        nlp = _ner(config)
    redactor = labelled_file_redactor(df, config, nlp)
    flagged = as_bool(df[SAFEGUARDING_FLAG]) if SAFEGUARDING_FLAG in df.columns else pd.Series(False, index=df.index)
    groups = {col: analysis.group_table(counted, col, themes, names, cfg) for col in by}
    matrix, pairs = analysis.cooccurrence(counted, themes, names)
    compare = analysis.compare_table(counts.counts, previous, names, cfg) if previous is not None else None
    tone = tone_groups = tone_compare = tone_quotes = None
    if analysis.has_tone(counted):
        tone = analysis.tone_table(counted, themes, names, cfg.interval_level)
        tone_groups = {col: analysis.tone_group_table(counted, col, cfg) for col in by}
        if previous_tone is not None:
            tone_compare = analysis.tone_compare_table(tone, previous_tone, names, cfg)
        if cfg.quotes_by_tone:
            keep = ~flagged[b.mask]  # answers flagged for safeguarding are never quoted
            tone_quotes = analysis.tone_quote_table(
                counted[keep],
                themes,
                names,
                cfg,
                text_col,
                ids[b.mask][keep],
                redactor,
                copied=set(analysis.duplicate_column(df)) - {""},
            )
    elif cfg.quotes_by_tone:
        raise ConsultError(
            "report.quotes_by_tone asks for quotes by tone, but the labelled file has no tone",
            "Label the answers with a model trained with a tone column, or set report.quotes_by_tone = []",
        )
    progress.tick(len(df))
    progress.stage("quoting (redacted)", len(df))  # each answer is considered; the chosen ones are redacted
    versions = sorted({v for v in df.get("model_version", pd.Series(dtype=str)).fillna("").astype(str) if v})
    prov = [
        ("title", "Consultation themes"),
        *(source or {}).items(),
        ("model_version", ", ".join(versions) or "(not recorded)"),
        ("answers", b.answers),
        ("empty_excluded", b.empty),
        ("non_substantive_excluded", b.non_substantive),
        ("duplicate_copies", b.duplicate_copies),
        ("duplicate_copies_excluded", b.duplicates_excluded),
        ("answers_counted", b.counted),
        ("counted_with_no_theme", b.no_theme),
        (
            "duplicates_policy",
            "every copy counted" if count_duplicates else "campaign copies counted once (first answer)",
        ),
        ("safeguarding_flagged", int(flagged.sum())),
        ("safeguarding_by_reason", _reasons(df, flagged, cfg.min_group_size)),
        ("safeguarding_policy", "flagged answers are counted here and never quoted"),
        ("min_group_size", cfg.min_group_size),
        ("interval", f"Wilson {cfg.interval_level:.0%}"),
        ("representation_test", f"two-proportion z (group vs rest), Benjamini-Hochberg q < {cfg.alpha}"),
        ("tone", "per theme: share of its answers with a tone, Wilson interval" if tone is not None else "(no tone)"),
        ("generated", dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")),
        ("consult_version", __version__),
    ]
    report = Report(
        counts=counts,
        names=names,
        config=cfg,
        provenance=pd.DataFrame(prov, columns=["field", "value"]).astype({"value": str}),
        groups=groups,
        cooccurrence=matrix,
        pairs=pairs,
        entities=analysis.entity_table(counted, themes, names, cfg, redactor.without_ner()),
        quotes=analysis.quote_table(
            counted[~flagged[b.mask]],
            themes,
            names,
            cfg,
            text_col,
            ids[b.mask][~flagged[b.mask]],
            redactor,
            copied=set(analysis.duplicate_column(df)) - {""},
        ),
        campaigns=analysis.campaign_table(
            df, ids, text_col, redactor, cfg.quote_max_chars, withheld=flagged, names=names
        ),
        compare=compare,
        tone=tone,
        tone_groups=tone_groups or {},
        tone_compare=tone_compare,
        tone_quotes=tone_quotes,
        language=_language(config),
    )
    progress.tick(len(df))
    return report


def read_labelled(path: Path, config: Config, by: list[str], progress: Progress | None = None) -> pd.DataFrame:
    """The columns of a labelled file that a report reads (ids, text, what labelling added, the ``by``
    columns), read in chunks: other columns are never read (Parquet, CSV) or dropped chunk by chunk, and the
    probabilities are kept as numbers, so a million answers fit in little memory."""
    text_col, id_col = config.ingest.text_column, config.ingest.id_column
    wanted = {text_col, id_col, *by, *added_columns([]), TONE_COLUMN}

    def needed(c: str) -> bool:
        return c in wanted or c.startswith(PROB_PREFIX)  # p_<theme>, p_tone_<tone>

    def number(c: str) -> bool:  # a --by column stays text, as in any other file
        return c.startswith(PROB_PREFIX) or c == "confidence"

    source = Source(path, chunk_rows=100_000, written_by_consult=True, columns=needed, floats=number)
    parts, checked = [], False
    for chunk in source.chunks(progress):
        if not checked:
            themes = theme_columns(chunk)
            if themes and not set(by) <= set(chunk.columns):  # names every column the file has
                whole = next(Source(path, chunk_rows=10, written_by_consult=True).chunks())
                analysis.by_columns_allowed(whole.head(0), by, theme_columns(whole), text_col, id_col)
            if themes:
                analysis.by_columns_allowed(chunk.head(0), by, themes, text_col, id_col)
            checked = True
        for c in chunk.columns:
            if number(c):
                chunk[c] = pd.to_numeric(chunk[c], errors="coerce").astype("float32")
        parts.append(chunk)
    if not parts:  # no rows: read whole, for the same checks and messages as before
        return read_table(path, written_by_consult=True)[0]
    return pd.concat(parts)


def small_groups_note(column: str, min_size: int) -> str:
    """What to say when every group of a --by column is below the suppression size."""
    return (
        f"every group of '{column}' has fewer than {min_size} counted answers, so none is shown (small groups are "
        f"suppressed so nobody can be identified); join them into larger groups with --group-map FILE, a CSV of "
        f"value,group (e.g. borough,area)"
    )


def report_file(
    labelled: Path,
    out_dir: Path,
    taxonomy: Taxonomy | None = None,
    config: Config | None = None,
    *,
    by: list[str] | None = None,
    compare: Path | None = None,
    count_duplicates: bool = False,
    nlp: object = None,
    title: str | None = None,
    group_map: Path | None = None,
    progress: Progress | None = None,
) -> Report:
    """Read ``labelled`` (and ``compare``), build the report and write it to ``out_dir``. The title is ``title``,
    else ``project.title``, else made from the file's name. ``progress`` is told each stage and its answers."""
    config = config or Config()
    labelled = Path(labelled)
    check_out_dir(Path(out_dir), labelled, compare)
    df = read_labelled(labelled, config, by or [], progress)
    check_labelled(df, f"{labelled}")
    source = {"input_file": str(labelled), "input_sha256": sha256_file(labelled)}
    previous = before_tone = None
    if compare is not None:
        compare = Path(compare)
        if not compare.exists():
            raise ConsultError(f"--compare file {compare} not found", "Check the path of the previous round's file")
        previous = previous_counts(compare, taxonomy, count_duplicates, config.report.interval_level)
        before_tone = previous_tone(compare, taxonomy, count_duplicates, config.report.interval_level)
        prev_file = compare / "theme_counts.csv" if compare.is_dir() else compare
        source.update(previous_file=str(prev_file), previous_sha256=sha256_file(prev_file))
    notes: list[str] = []
    if group_map is not None:
        df, notes = analysis.apply_group_map(df, list(by or []), analysis.read_group_map(Path(group_map)))
        source.update(group_map=str(group_map), group_map_sha256=sha256_file(Path(group_map)))
    rep = build_report(
        df,
        config,
        taxonomy,
        by=by,
        previous=previous,
        count_duplicates=count_duplicates,
        source=source,
        nlp=nlp,
        previous_tone=before_tone,
        progress=progress,
    )
    rep.notes[:0] = notes
    for col, tab in rep.groups.items():
        if analysis.all_suppressed(tab):
            rep.notes.append(small_groups_note(col, config.report.min_group_size))
    rep.title = title or config.project.title or f"Consultation themes: {labelled.name}"
    if progress is not None:
        progress.stage("writing", None)
    write_report(rep, Path(out_dir))
    return rep


def write_report(report: Report, out_dir: Path) -> None:
    _write(report, out_dir)
