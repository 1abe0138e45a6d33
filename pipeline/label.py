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
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .classify import ModelInput, model_input
from .clean import clean
from .config import Config
from .entities import EntityExtractor, format_entities
from .errors import ConsultError
from .ingest import Answers, load_answers
from .modelstore import LoadedModel, load_model, read_card
from .safeguarding import flag_answers
from .tables import atomic_path, check_output_path, write_table
from .taxonomy import Taxonomy, Theme
from .tone import TONE_COLUMN, TONE_PREFIX, tone_model

PROB_PREFIX = "p_"
SAFEGUARDING_FLAG = "flag_safeguarding"
SAFEGUARDING_REASON = "safeguarding_reason"
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


def model_input_for(model: LoadedModel, texts: list[str], questions: Sequence[str] | None) -> ModelInput:
    """The model's input for ``texts``: with the question each responds to, if the model reads them."""
    if not model.questions:
        return texts
    if questions is None:
        raise ConsultError(
            f"Model {model.version} reads the question each answer responds to (it was trained on "
            f"{len(model.questions)}: {', '.join(model.questions[:3])}{' ...' if len(model.questions) > 3 else ''}), "
            "and this file has no question column",
            "Add the column (named 'question', or name it with --set ingest.question_column=NAME)",
        )
    return model_input(texts, questions)


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
    """Label a table of answers. ``on_start(total)`` then ``tick(n)`` report progress over both stages."""
    df = answers.df
    themes = model.themes
    tone = tone_model(model.pipeline)
    clash = [c for c in added_columns(themes, with_entities, tone.values if tone else ()) if c in df.columns]
    if clash:
        raise ConsultError(
            f"The input already has column(s) {', '.join(clash)} that labelling adds",
            "Rename or remove them first (labelling a file that is already labelled would overwrite them)",
        )
    lang = str(model.card.get("language") or "xx")
    cleaned = clean(answers.ids, answers.texts, config.clean, max_chars=config.ingest.max_cell_chars, lang=lang).df
    substantive = ~(cleaned["flag_empty"] | cleaned["flag_non_substantive"]).to_numpy()
    idx = np.flatnonzero(substantive)
    texts = cleaned["clean_text"].tolist()
    if on_start:
        on_start(len(idx) + (len(texts) if with_entities else 0))
    # The model's Pipeline normalises text itself (as in training): give it the raw answers, cut to length.
    max_chars = config.ingest.max_cell_chars
    raw = [str(answers.texts[i])[:max_chars] for i in idx]
    questions = answers.questions
    asked = None if questions is None else [questions[i] for i in idx]
    shared = tone if tone is not None and tone.shares_features(model.pipeline) else None
    proba, tone_proba = predict_themes(model, model_input_for(model, raw, asked), tick=tick, tone=shared)
    clf = model.pipeline.named_steps["classify"]
    pred = clf.decide(proba)
    conf = confidence(proba, pred, model.mode)

    out = df.copy()
    n = len(df)
    theme_cells = [""] * n
    for r, i in enumerate(idx):
        theme_cells[i] = ";".join(t for t, on in zip(themes, pred[r], strict=True) if on)
    out[THEMES_COLUMN] = theme_cells
    for j, t in enumerate(themes):
        col = np.full(n, np.nan)
        col[idx] = np.round(proba[:, j], 4)
        out[PROB_PREFIX + t] = col
    c = np.full(n, np.nan)
    c[idx] = np.round(conf, 4)
    out["confidence"] = c
    if with_entities:
        extractor = extractor or EntityExtractor(config.entities)
        ents = extractor.extract(texts, progress=tick)
        out["entities"] = [format_entities(e) for e in ents]
    for col in ("flag_empty", "flag_non_substantive", "flag_too_long", "duplicate_of"):
        out[col] = cleaned[col].to_numpy()
    checked = flag_answers([texts[i] for i in idx])  # substantive answers only, in their cleaned form
    flags, reasons = np.zeros(n, dtype=bool), [""] * n
    for r, i in enumerate(idx):
        flags[i], reasons[i] = checked[r].flag, checked[r].reason
    out[SAFEGUARDING_FLAG] = flags
    out[SAFEGUARDING_REASON] = reasons
    if tone is not None:
        if tone_proba is None:  # a tone model with features of its own
            tones, tone_proba = tone.predict(raw, asked)
        else:
            tones = tone.decide(tone_proba)
        cells = [""] * n
        for r, i in enumerate(idx):
            cells[i] = tones[r]
        out[TONE_COLUMN] = cells
        for j, v in enumerate(tone.values):
            col = np.full(n, np.nan)
            col[idx] = np.round(tone_proba[:, j], 4)
            out[TONE_PREFIX + v] = col
    out["status"] = np.where(
        cleaned["flag_empty"], "empty", np.where(cleaned["flag_non_substantive"], "non_substantive", "labelled")
    )
    out["model_version"] = model.version
    return out


def label_file(
    input_path: Path,
    output_path: Path,
    model_dir: Path,
    config: Config,
    *,
    with_entities: bool = True,
    tick: Tick | None = None,
    on_start: Callable[[int], None] | None = None,
    on_note: Callable[[str], None] | None = None,
) -> pd.DataFrame:
    """Read, label and write; the output is written only when every row is done. ``on_note`` is told what
    reading noticed (lines read as Windows-1252, formula cells with no saved result, ...)."""
    check_output_path(output_path, input_path)
    model = load_model(model_dir)
    answers = load_answers(input_path, config.ingest)
    for note in answers.info.notes if on_note else []:
        on_note(note)
    out = label_answers(answers, model, config, with_entities=with_entities, tick=tick, on_start=on_start)
    write_table(out, output_path)
    write_sidecar(
        output_path,
        {
            "id_column": answers.id_column,
            "text_column": answers.text_column,
            "question_column": answers.question_column,
            "model": str(Path(model_dir).resolve()),
            "model_version": model.version,
            "themes": model.themes,
            "theme_names": model.card.get("theme_names", {}),
        },
    )
    return out


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
            themes = ((read_card(d).get("taxonomy") or {}).get("themes")) or []
            if themes:
                return Taxonomy.model_validate({"themes": themes})
    names = side.get("theme_names") or {}
    ids = side.get("themes") or list(names)
    return Taxonomy(themes=[Theme(id=t, name=str(names.get(t, t))) for t in ids]) if ids else None
