"""Labelling: answers in, the same rows out with themes, probabilities, confidence, entities and flags.

Every input column and row is kept, in order. Added columns:
``themes`` (ids joined by ``;``), ``p_<theme>`` (calibrated probability per theme), ``confidence``
(multi-label: the model's probability that the predicted set of themes is exactly right, i.e. the product
of p for predicted themes and 1 - p for the others; single-label: the predicted theme's probability), ``entities``,
the clean-stage flags, ``flag_safeguarding`` and ``safeguarding_reason`` (an answer disclosing a current risk
of serious harm, see :mod:`pipeline.safeguarding`), ``status`` (``labelled`` or why a row was not) and
``model_version``. When the model has a tone classifier (trained with a tone column), ``tone`` (positive,
neutral or negative) and ``p_tone_<value>`` come after the safeguarding columns. Empty and non-substantive
answers get no themes and no tone.

``model_version``. Empty and non-substantive answers get no themes.

Beside the output, ``FILE.consult.json`` (:func:`write_sidecar`) records the id, text and question columns and
the model, so ``report``, ``review export`` and ``review import`` on the file need no column or model options.
A sidecar survives every format (CSV, XLSX, Parquet, JSON lines) because it is not inside the file.
"""

from __future__ import annotations

import json
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .atomic import atomic_path
from .clean import clean_texts, dedup_keys, find_duplicates
from .config import Config, EntitiesConfig
from .entities import EntityExtractor, format_entities, resolve_jobs
from .errors import ConsultError
from .features import ModelInput
from .guards import check_output_path
from .ingest import Answers, question_column_in
from .modelstore import LoadedModel, load_model, model_input_for, read_card
from .progress import Progress
from .runner import Runner, local_runner, trim_heap
from .safeguarding import SAFEGUARDING_FLAG, SAFEGUARDING_REASON, flag_answers, prepare
from .scan import _column, open_input, scan_file
from .stream import Source, TableWriter
from .taxonomy import Taxonomy, Theme, card_taxonomy
from .tone import TONE_COLUMN, TONE_PREFIX, tone_model

PROB_PREFIX = "p_"
THEMES_COLUMN = "themes"
Tick = Callable[[int], None]


def added_columns(themes: list[str], with_entities: bool = True, tones: Sequence[str] = ()) -> list[str]:
    """The columns labelling adds, in order; ``tones``: the values of the model's tone classifier, if any."""
    cols = [THEMES_COLUMN, *(PROB_PREFIX + t for t in themes), "confidence"]
    if with_entities:
        cols.append("entities")
    return [
        *cols,
        "flag_empty",
        "flag_non_substantive",
        "flag_too_long",
        "duplicate_of",
        SAFEGUARDING_FLAG,
        SAFEGUARDING_REASON,
        *([TONE_COLUMN, *(TONE_PREFIX + t for t in tones)] if tones else []),
        "status",
        "model_version",
    ]


def confidence(proba: np.ndarray, pred: np.ndarray, mode: str) -> np.ndarray:
    if mode == "single":  # the predicted theme's probability (with class weights, not always the largest)
        return (proba * pred).sum(axis=1) if len(proba) else np.zeros(0)
    p = np.clip(proba, 1e-9, 1 - 1e-9)
    return np.exp(np.where(pred.astype(bool), np.log(p), np.log1p(-p)).sum(axis=1))


def predict_themes(
    model: LoadedModel, texts: ModelInput, batch_size: int = 2000, tick: Tick | None = None, tone: Any = None
) -> tuple[np.ndarray, np.ndarray | None]:
    """Calibrated theme probabilities, shape (len(texts), themes), computed in batches; and, with a ``tone``
    model that shares the theme model's features, the tone probabilities from the same features."""
    parts, tone_parts = [], []
    pipe = model.pipeline
    for start in range(0, len(texts), batch_size):
        batch = texts[start : start + batch_size]
        if tone is None:
            parts.append(pipe.predict_proba(batch))
        else:
            X = pipe[:-1].transform(batch)  # normalise and features, once for themes and tone
            parts.append(pipe.named_steps["classify"].predict_proba(X))
            tone_parts.append(tone.pipeline.named_steps["classify"].predict_proba(X))
        if tick:
            tick(len(batch))
    proba = np.vstack(parts) if parts else np.zeros((0, len(model.themes)))
    if tone is None:
        return proba, None
    return proba, np.vstack(tone_parts) if tone_parts else np.zeros((0, len(tone.values)))


class Labeller:
    """Labels chunks of answers: everything but entities is per row, so any chunk can be labelled anywhere
    (this process, a Dask worker) given its ``duplicate_of`` column."""

    def __init__(self, model: LoadedModel, config: Config, columns: list[str], with_entities: bool) -> None:
        self.model, self.config, self.with_entities = model, config, with_entities
        self.lang = str(model.card.get("language") or "xx")
        self.tone = tone_model(model.pipeline)
        tones = self.tone.values if self.tone else ()
        clash = [c for c in added_columns(model.themes, with_entities, tones) if c in columns]
        if clash:
            raise ConsultError(
                f"The input already has column(s) {', '.join(clash)} that labelling adds",
                "Rename or remove them first (labelling a file that is already labelled would overwrite them)",
            )
        self.question_column = question_column_in(columns, config.ingest)
        if self.model.questions and self.question_column is None:
            model_input_for(self.model, [], None)  # raises the error naming the missing column

    def clean(self, chunk: pd.DataFrame) -> pd.DataFrame:
        ic = self.config.ingest
        return clean_texts(
            _column(chunk, ic.text_column).astype(str).tolist(), self.config.clean, ic.max_cell_chars, self.lang
        )

    def label(self, chunk: pd.DataFrame, cleaned: pd.DataFrame, duplicate_of: Sequence[str]) -> pd.DataFrame:
        """The labelled chunk; its ``entities`` column (when asked for) is left blank for the caller to fill."""
        ic, model, themes = self.config.ingest, self.model, self.model.themes
        substantive = ~(cleaned["flag_empty"] | cleaned["flag_non_substantive"]).to_numpy()
        idx = np.flatnonzero(substantive)
        raw_texts = _column(chunk, ic.text_column).astype(str).tolist()
        raw = [raw_texts[i][: ic.max_cell_chars] for i in idx]  # the model's Pipeline normalises text itself
        asked = None
        if self.question_column is not None:
            q = chunk[self.question_column].astype(str).str.strip().tolist()
            asked = [q[i] for i in idx]
        tone = self.tone
        shared = tone if tone is not None and tone.shares_features(model.pipeline) else None
        proba, tone_proba = predict_themes(model, model_input_for(model, raw, asked), tone=shared)
        pred = model.pipeline.named_steps["classify"].decide(proba)
        conf = confidence(proba, pred, model.mode)
        n = len(chunk)
        out = chunk.copy()
        out[ic.id_column] = _column(chunk, ic.id_column).astype(str).str.strip()
        theme_cells = [""] * n
        for r, i in enumerate(idx):
            theme_cells[i] = ";".join(t for t, on in zip(themes, pred[r], strict=True) if on)
        new: dict[str, Any] = {THEMES_COLUMN: theme_cells}
        for j, t in enumerate(themes):
            probs = np.full(n, np.nan)
            probs[idx] = np.round(proba[:, j], 4)
            new[PROB_PREFIX + t] = probs
        c = np.full(n, np.nan)
        c[idx] = np.round(conf, 4)
        new["confidence"] = c
        if self.with_entities:
            new["entities"] = [""] * n
        for col in ("flag_empty", "flag_non_substantive", "flag_too_long"):
            new[col] = cleaned[col].to_numpy()
        new["duplicate_of"] = list(duplicate_of)
        clean_text = cleaned["clean_text"].tolist()
        # Substantive answers only, in their cleaned form; in batches, as the themes (the classifier's sparse
        # features for a whole chunk would hold hundreds of megabytes at once).
        sub_texts = [clean_text[i] for i in idx]
        checked = [a for s in range(0, len(sub_texts), 2000) for a in flag_answers(sub_texts[s : s + 2000])]
        flags, reasons = np.zeros(n, dtype=bool), [""] * n
        for r, i in enumerate(idx):
            flags[i], reasons[i] = checked[r].flag, checked[r].reason
        new[SAFEGUARDING_FLAG] = flags
        new[SAFEGUARDING_REASON] = reasons
        if tone is not None:
            if tone_proba is None:  # a tone model with features of its own
                tones, tone_proba = tone.predict(raw, asked)
            else:
                tones = tone.decide(tone_proba)
            cells = [""] * n
            for r, i in enumerate(idx):
                cells[i] = tones[r]
            new[TONE_COLUMN] = cells
            for j, v in enumerate(tone.values):
                tprobs = np.full(n, np.nan)
                tprobs[idx] = np.round(tone_proba[:, j], 4)
                new[TONE_PREFIX + v] = tprobs
        new["status"] = np.where(
            cleaned["flag_empty"], "empty", np.where(cleaned["flag_non_substantive"], "non_substantive", "labelled")
        )
        new["model_version"] = [model.version] * n
        return pd.concat([out, pd.DataFrame(new, index=chunk.index)], axis=1)


def label_answers(
    answers: Answers,
    model: LoadedModel,
    config: Config,
    *,
    with_entities: bool = True,
    extractor: EntityExtractor | None = None,
    tick: Tick | None = None,
    on_start: Tick | None = None,
) -> pd.DataFrame:
    """Label a table of answers held in memory (see :func:`label_file` for files of any size)."""
    df = answers.df.reset_index(drop=True)
    labeller = Labeller(model, config, [str(c) for c in df.columns], with_entities)
    if on_start:
        on_start(len(df))
    cleaned = labeller.clean(df)
    substantive = ~(cleaned["flag_empty"] | cleaned["flag_non_substantive"]).to_numpy()
    dup = find_duplicates(
        [str(i) for i in df[answers.id_column]],
        cleaned["clean_text"].tolist(),
        min_words=config.clean.duplicate_min_words,
        similarity=config.clean.near_duplicate_similarity,
        eligible=substantive,
    )
    out = labeller.label(df, cleaned, dup)
    if with_entities:
        extractor = extractor or EntityExtractor(config.entities)
        texts = cleaned["clean_text"].tolist()
        first: dict[str, int] = {}
        todo = [i for i in np.flatnonzero(substantive) if first.setdefault(texts[i], int(i)) == i]
        found = extractor.extract([texts[i] for i in todo])
        by_text = {texts[i]: format_entities(e) for i, e in zip(todo, found, strict=True)}
        out["entities"] = [by_text[t] if s else "" for t, s in zip(texts, substantive, strict=True)]
    if tick:
        tick(len(df))
    return out


@dataclass
class LabelSummary:
    rows: int
    labelled: int
    unseen_questions: int = 0
    columns: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)


def label_file(
    input_path: Path,
    output_path: Path,
    model_dir: Path,
    config: Config,
    *,
    with_entities: bool = True,
    jobs: int | None = None,
    engine: str = "local",
    scheduler: str | None = None,
    dask_workers: int | None = None,
    progress: Progress | None = None,
    on_note: Callable[[str], None] | None = None,
) -> LabelSummary:
    """Read, label and write a file of any size in chunks. A first pass checks the input and keeps, per answer,
    only hashes, flags and signatures; a second labels chunk by chunk (over ``jobs`` processes, or Dask
    workers with ``engine="dask"``) and appends to a temporary file that replaces ``output_path`` only when
    every row is done. Every input row is written, in order; the output is the same for any engine and jobs.
    ``dask_workers``: workers of the local Dask cluster started when no ``scheduler`` is given (default: one per
    core). ``on_note`` is told what reading noticed (lines read as Windows-1252, blank rows skipped, ...)."""
    check_output_path(output_path, input_path)
    model = load_model(model_dir)
    source = open_input(input_path, config)
    n_jobs = resolve_jobs(config.entities.n_process if jobs is None else jobs)
    prepare()  # the safeguarding classifier: trained at most once, then loaded from the cache by every worker
    runner: Any
    if engine == "dask":
        from .distributed import dask_runner

        runner = dask_runner(scheduler, dask_workers)
    elif engine == "local":
        runner = local_runner(n_jobs, preload=("pipeline.label",))
    else:
        raise ConsultError(f"Unknown engine '{engine}'", "Use --engine local or --engine dask")
    with runner:
        summary = _label_chunks(source, output_path, model, config, with_entities, runner, progress)
    if on_note is not None:
        for note in source.info.notes:
            on_note(note)
    ic = config.ingest
    write_sidecar(
        output_path,
        {
            "id_column": ic.id_column,
            "text_column": ic.text_column,
            "question_column": question_column_in(summary.columns, ic),
            "model": str(Path(model_dir).resolve()),
            "model_version": model.version,
            "themes": model.themes,
            "theme_names": model.card.get("theme_names", {}),
        },
    )
    return summary


MIN_CHUNK_ROWS = 1000
"""Chunks are never cut below this many rows to share a small file between processes."""


def _label_chunks(
    source: Source,
    output_path: Path,
    model: LoadedModel,
    config: Config,
    with_entities: bool,
    runner: Runner,
    progress: Progress | None,
) -> LabelSummary:
    t0 = time.perf_counter()
    lang = str(model.card.get("language") or "xx")
    # A file smaller than a chunk per process is cut finer, so that every process gets work (the output is the
    # same for any chunk size).
    jobs, rows = getattr(runner, "jobs", 1), source.estimated_rows()
    if jobs > 1 and rows:
        source.chunk_rows = min(source.chunk_rows, max(MIN_CHUNK_ROWS, -(-rows // (2 * jobs))))
    scan = scan_file(source, config, lang, progress, runner)
    labeller = Labeller(model, config, scan.columns, with_entities)  # refuses clashing columns before any work
    seconds = {"check": round(time.perf_counter() - t0, 2)}
    t1 = time.perf_counter()
    if progress:
        progress.stage("labelling", scan.rows)
    plan = scan.plan
    summary = LabelSummary(rows=scan.rows, labelled=scan.substantive, columns=list(scan.columns))
    known = set(model.questions)
    cache: dict[int, str] = {}  # entities of texts that recur, by text hash
    started: set[int] = set()
    reuse: deque[list[int]] = deque()

    def tasks() -> Iterator[tuple[Any, ...]]:
        for chunk in source.chunks():
            chunk = chunk.reindex(columns=scan.columns, fill_value="")
            start = int(chunk.index[0])
            rows = range(start, start + len(chunk))
            ner, again = [], []
            if with_entities:  # NER once per distinct substantive text; later copies reuse it
                for i in rows:
                    h = int(scan.text_hash[i])
                    if h == 0:
                        continue
                    if h in scan.repeated_texts:
                        if h in started:
                            again.append(i)
                            continue
                        started.add(h)
                    ner.append(i - start)
            reuse.append(again)
            need = [i - start for i in rows if plan.needs_key[i]]
            args = (chunk, model.path, model.card["model_sha256"], config, scan.columns, with_entities, ner, need)
            yield (label_task, args)

    with plan.resolver() as resolver, TableWriter(output_path) as writer:
        for out, keys in runner.map(_call, tasks()):
            start = int(out.index[0])
            ids = out[config.ingest.id_column].tolist()
            out["duplicate_of"] = resolver.feed(start, keys, ids)
            again = reuse.popleft()
            if with_entities:
                cells = out["entities"].to_numpy(dtype=object, copy=True)
                hashes = scan.text_hash[start : start + len(out)].tolist()
                for r, h in enumerate(hashes):
                    if h in scan.repeated_texts and h not in cache:
                        cache[h] = cells[r]  # the first occurrence: found by NER
                for i in again:
                    cells[i - start] = cache[int(scan.text_hash[i])]
                out["entities"] = cells
            if known and labeller.question_column:
                q = out[labeller.question_column].astype(str).str.strip()
                summary.unseen_questions += int((~q.isin(known)).sum())
            writer.write(out)
            if progress:
                progress.tick(len(out))
            del out
            trim_heap()
    seconds["label"] = round(time.perf_counter() - t1, 2)
    summary.seconds = seconds
    return summary


def _call(fn: Callable[..., Any], args: tuple[Any, ...]) -> Any:
    return fn(*args)


@lru_cache(maxsize=2)
def _worker_model(model_dir: Path, sha256: str) -> LoadedModel:
    """The model, loaded once per process (and its SHA-256 checked); a different file is loaded anew."""
    model = load_model(model_dir)
    if model.card["model_sha256"] != sha256:
        raise ConsultError(
            f"The model in {model_dir} changed while labelling (its SHA-256 is not the one the run started with)",
            "Label again once the model folder is no longer being written",
        )
    return model


@lru_cache(maxsize=2)
def _worker_extractor(entities_config: str) -> EntityExtractor:
    return EntityExtractor(EntitiesConfig.model_validate_json(entities_config))


def label_task(
    chunk: pd.DataFrame,
    model_dir: Path,
    sha256: str,
    config: Config,
    columns: list[str],
    with_entities: bool,
    ner_rows: list[int],
    key_rows: list[int],
) -> tuple[pd.DataFrame, dict[int, str]]:
    """Label one chunk (in any process): the labelled rows, entities found for ``ner_rows`` only, and the
    folded texts of ``key_rows`` (by row number) for the campaign resolver."""
    model = _worker_model(Path(model_dir), sha256)
    labeller = Labeller(model, config, columns, with_entities)
    cleaned = labeller.clean(chunk)
    out = labeller.label(chunk, cleaned, [""] * len(chunk))
    texts = cleaned["clean_text"].tolist()
    if with_entities and ner_rows:
        extractor = _worker_extractor(config.entities.model_dump_json())
        found = extractor.extract([texts[i] for i in ner_rows], n_process=1)
        cells = out["entities"].to_numpy(dtype=object, copy=True)
        for i, ents in zip(ner_rows, found, strict=True):
            cells[i] = format_entities(ents)
        out["entities"] = cells
    start = int(chunk.index[0])
    keys = dict(zip((start + i for i in key_rows), dedup_keys([texts[i] for i in key_rows]), strict=True))
    del cleaned, texts
    trim_heap()
    return out, keys


SIDECAR_SUFFIX = ".consult.json"


def sidecar_path(path: Path) -> Path:
    """Where the record of how a labelled file was made lives: ``FILE.consult.json`` beside it."""
    path = Path(path)
    return path.with_name(path.name + SIDECAR_SUFFIX)


def write_sidecar(path: Path, record: dict[str, Any]) -> None:
    with atomic_path(sidecar_path(path)) as tmp:
        tmp.write_text(
            json.dumps({"written_by": "consult label", **record}, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )


def read_sidecar(path: Path) -> dict[str, Any]:
    """The sidecar of a labelled file, or {} when it has none (or it cannot be read: then options decide)."""
    f = sidecar_path(path)
    try:
        data = json.loads(f.read_text(encoding="utf-8")) if f.is_file() else {}
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return {}
    return data if isinstance(data, dict) and data.get("written_by") == "consult label" else {}


def config_for_labelled(config: Config, path: Path, explicit: Sequence[str] = ()) -> Config:
    """``config`` with the id, text and question columns recorded beside the labelled file ``path``, except
    those in ``explicit`` (given on the command line: they win)."""
    side = read_sidecar(path)
    if not side:
        return config
    cfg = config.model_copy(deep=True)
    for key in ("id_column", "text_column", "question_column"):
        if key in explicit or key not in side:
            continue
        setattr(cfg.ingest, key, side[key] or "")
    return cfg


def model_for_labelled(path: Path, given: Path | None, config: Config) -> Path:
    """The model that labelled ``path``: ``given``, else the one its sidecar names (when it still exists), else
    ``retrain.model``."""
    if given is not None:
        return Path(given)
    named = read_sidecar(path).get("model")
    return Path(named) if named and Path(named).exists() else config.retrain.model


def theme_columns(df: pd.DataFrame) -> list[str]:
    """Theme ids of a labelled table, from its probability columns: the run of ``p_`` columns that labelling
    wrote right after ``themes`` (an input column that happens to start with ``p_`` is not a theme)."""
    cols = [str(c) for c in df.columns]
    if THEMES_COLUMN not in cols:
        return [c[len(PROB_PREFIX) :] for c in cols if c.startswith(PROB_PREFIX)]
    out = []
    for c in cols[cols.index(THEMES_COLUMN) + 1 :]:
        if not c.startswith(PROB_PREFIX):
            break
        out.append(c[len(PROB_PREFIX) :])
    return out


def as_bool(series: pd.Series) -> pd.Series:
    """Flags read back from CSV are strings: 'True'/'False'."""
    if series.dtype == bool:
        return series
    return series.astype(str).str.strip().str.lower().isin(["true", "1", "yes"])


def taxonomy_of_labelled(path: Path) -> Taxonomy | None:
    """The coding frame of the model that labelled ``path`` (from its card, found through the sidecar), or bare
    theme names from the sidecar; None when the file has no sidecar."""
    side = read_sidecar(path)
    if not side:
        return None
    model_dir = Path(side.get("model") or "")
    version = str(side.get("model_version") or "")
    for d in (model_dir / version, model_dir):
        if version and d.is_dir() and (d / "model-card.json").is_file():
            tax = card_taxonomy(read_card(d))
            if tax is not None:
                return tax
    names = side.get("theme_names") or {}
    ids = side.get("themes") or list(names)
    return Taxonomy(themes=[Theme(id=t, name=str(names.get(t, t))) for t in ids]) if ids else None
