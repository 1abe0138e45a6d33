"""Training data: labelled answers as texts, a label matrix (answers x themes) and what was left out.

:func:`prepare_training_data` parses label cells, checks them against the taxonomy and drops themes too rare to
learn; :func:`tone_training_data` does the same for tone cells; :func:`label_matrix` is the one place a matrix of
themes is made from lists of theme keys.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from .errors import ConsultError
from .features import ModelInput, model_input
from .taxonomy import Taxonomy, split_label_names, theme_key
from .tone import TONES


def label_matrix(labels: Sequence[Sequence[str]], themes: Sequence[str]) -> np.ndarray:
    """Binary matrix (rows x ``themes``, int8): 1 where a row's theme list holds the theme. Themes not in
    ``themes`` are ignored."""
    col = {t: j for j, t in enumerate(themes)}
    Y = np.zeros((len(labels), len(themes)), dtype=np.int8)
    for r, lab in enumerate(labels):
        for t in lab:
            j = col.get(t)
            if j is not None:
                Y[r, j] = 1
    return Y


@dataclass
class TrainingData:
    texts: list[str]
    Y: np.ndarray
    themes: list[str]
    ids: list[str]
    skipped_unlabelled: int = 0
    dropped_themes: dict[str, int] = field(default_factory=dict)
    questions: list[str] | None = None
    """The question each answer responds to, when the data says."""
    theme_docs: list[tuple[int, str]] = field(default_factory=list)
    """Texts describing the themes, as (theme column, text): see :func:`theme_documents`."""
    theme_names: dict[str, str] = field(default_factory=dict)
    """What people call each theme (by key): the taxonomy's name, else the label as the data writes it."""
    labels: list[list[str]] = field(default_factory=list)
    """Each row's themes (keys), those of ``themes`` only."""

    def model_input(self) -> ModelInput:
        return model_input(self.texts, self.questions)


def theme_documents(
    themes: Sequence[str], taxonomy: Taxonomy | None, names: dict[str, str] | None = None
) -> list[tuple[int, str]]:
    """The texts that describe each theme, as (theme column, text): its name and, from a taxonomy, its definition
    and each include example. Without a taxonomy (or a name) the name is the label as written (``names``, by key),
    else the key, with ``_`` read as a space."""
    out: list[tuple[int, str]] = []
    for j, t in enumerate(themes):
        theme = taxonomy.get(t) if taxonomy is not None else None
        name = (theme.label if theme else "") or (names or {}).get(t, "") or t.replace("_", " ")
        texts = [name, theme.definition, *theme.include] if theme else [name]
        out.extend((j, x.strip()) for x in texts if x.strip())
    return out


def prepare_training_data(
    ids: Sequence[str],
    texts: Sequence[str],
    labels: Sequence[str],
    sep: str,
    taxonomy: Taxonomy | None,
    min_label_count: int,
    source: str = "the data",
    questions: Sequence[str] | None = None,
) -> TrainingData:
    """Parse label cells, check them against the taxonomy, drop themes too rare to learn."""
    lookup = taxonomy.lookup() if taxonomy is not None else {}
    written = [split_label_names(c, sep, lookup) for c in labels]
    names: dict[str, str] = {}
    parsed: list[list[str]] = []
    for cell in written:
        keys = []
        for x in cell:
            k = lookup.get(x) or theme_key(x)
            names.setdefault(k, x)
            if k not in keys:
                keys.append(k)
        parsed.append(keys)
    unknown: Counter[str] = Counter()
    if taxonomy is not None:
        known = set(taxonomy.ids)
        for p in parsed:
            unknown.update(names[x] for x in p if x not in known)
    if unknown:
        listed = ", ".join(f"'{k}' ({v} rows)" for k, v in unknown.most_common(10))
        raise ConsultError(
            f"{source} uses themes not in the taxonomy: {listed}",
            "Fix the labels, add the themes to the taxonomy file, or train without a taxonomy (no --taxonomy, and "
            "project.taxonomy = '' in consult.toml) to take the themes from the data",
        )
    if taxonomy is not None:
        names.update({t.key: t.label for t in taxonomy.themes})
    counts = Counter(x for p in parsed for x in p)
    order = taxonomy.ids if taxonomy is not None else sorted(counts)
    kept = [t for t in order if counts.get(t, 0) >= min_label_count]
    dropped = {t: counts.get(t, 0) for t in order if t not in kept}
    rows = [i for i, p in enumerate(parsed) if any(x in kept for x in p) and str(texts[i]).strip()]
    if not rows:
        raise ConsultError(
            f"{source} has no labelled rows (no row has both text and a theme seen at least {min_label_count} times)",
            "Fill the labels column (themes joined by the separator) or name it with --labels-column",
        )
    if len(kept) < 2:
        raise ConsultError(
            f"{source} has only {len(kept)} theme(s) with at least {min_label_count} examples",
            "A classifier needs at least two themes: label more answers",
        )
    kept_set = set(kept)
    row_labels = [[x for x in parsed[i] if x in kept_set] for i in rows]
    return TrainingData(
        texts=[str(texts[i]) for i in rows],
        Y=label_matrix(row_labels, kept),
        themes=kept,
        ids=[str(ids[i]) for i in rows],
        skipped_unlabelled=len(parsed) - len(rows),
        dropped_themes=dropped,
        questions=None if questions is None else [str(questions[i]) for i in rows],
        theme_docs=theme_documents(kept, taxonomy, names),
        theme_names={t: names.get(t, t) for t in kept},
        labels=row_labels,
    )


def tone_training_data(
    ids: Sequence[str],
    texts: Sequence[str],
    tones: Sequence[str],
    min_count: int,
    questions: Sequence[str] | None = None,
    source: str = "the data",
) -> TrainingData:
    """Rows with text and a tone (values of :data:`TONES`, "" = none) as single-label training data; a value
    with fewer than ``min_count`` rows is left out (reported in ``dropped_themes``)."""
    counts = Counter(t for t, x in zip(tones, texts, strict=True) if t and str(x).strip())
    values = [t for t in TONES if counts.get(t, 0) >= min_count]
    rows = [i for i, t in enumerate(tones) if t in values and str(texts[i]).strip()]
    if len(values) < 2:
        raise ConsultError(
            f"{source} has a tone for only {sum(counts.values())} answer(s), with {len(values)} value(s) seen at "
            f"least {min_count} times",
            "A tone classifier needs at least two of positive / neutral / negative: fill the tone column, or "
            'train without tone (--set ingest.tone_column="")',
        )
    row_labels = [[tones[i]] for i in rows]
    return TrainingData(
        texts=[str(texts[i]) for i in rows],
        Y=label_matrix(row_labels, values),
        themes=values,
        ids=[str(ids[i]) for i in rows],
        skipped_unlabelled=len(tones) - len(rows),
        dropped_themes={t: counts.get(t, 0) for t in TONES if t not in values and counts.get(t, 0)},
        questions=None if questions is None else [str(questions[i]) for i in rows],
        labels=row_labels,
    )
