"""Theme discovery: group the answers the model cannot place into candidate new themes.

:func:`discover` reads a labelled table (``consult label`` output) and looks at its *unplaced* answers:
those whose only theme is the catch-all (``discover.catch_all``) or whose ``confidence`` is below
``discover.max_confidence``. A campaign copy (``duplicate_of`` set) is grouped once, through its first answer,
and follows it. The unplaced answers are represented by word TF-IDF reduced by truncated SVD, or by sentence
embeddings (``discover.sentence_model``), and grouped by Ward agglomerative clustering; the number of groups
is the one, up to ``discover.max_candidates``, with the best silhouette. Groups smaller than
``discover.min_size`` are not candidates. For each candidate: its size, keywords that set it apart
(class-based TF-IDF: the candidate against all answers of the file), the answers nearest its centre
(redacted), the existing themes nearest it and a suggested id.

:func:`write_discovery` writes ``candidates.csv``, ``assignments.csv`` (every answer: its candidate, or why
it is in none), ``taxonomy_candidates.yaml`` (the shape of ``configs/themes.yaml``), ``discovery.html`` with a
2-D map, and ``about.csv``, into a temporary folder moved into place at the end.
:func:`discover_file` does both from paths. Everything is seeded (``discover.seed``): the same file, settings
and seed give the same candidates.
"""

from __future__ import annotations

import base64
import datetime as dt
import math
import os
import re
import shutil
import tempfile
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
import spacy
import yaml
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from scipy.cluster.hierarchy import fcluster, linkage
from sklearn.decomposition import PCA, TruncatedSVD
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.metrics import silhouette_samples
from sklearn.preprocessing import normalize

from .atomic import usual_permissions
from .config import Config, DiscoverConfig
from .embeddings import load_sentence_model
from .entities import load_spacy, spacy_language
from .errors import ConsultError
from .guards import check_writable
from .label import PROB_PREFIX, SAFEGUARDING_FLAG, THEMES_COLUMN, as_bool, theme_columns
from .modelstore import sha256_file
from .provenance import __version__
from .redact import Redactor, labelled_file_redactor, redact_contacts
from .report.analysis import shorten
from .tables import read_table, write_table
from .taxonomy import FORBIDDEN_IN_IDS, Taxonomy, Theme

__all__ = [
    "Discovery",
    "candidate_members",
    "class_tfidf",
    "discover",
    "discover_file",
    "read_discovery",
    "unplaced_reasons",
    "write_discovery",
]

MARKER = ".consult-discovery"
TEMPLATE = Path(__file__).parent / "templates" / "discovery.html.j2"
CANDIDATES_FILE = "candidates.csv"
ASSIGNMENTS_FILE = "assignments.csv"
TAXONOMY_FILE = "taxonomy_candidates.yaml"
HTML_FILE = "discovery.html"
ABOUT_FILE = "about.csv"
Progress = Callable[[str], None]


@dataclass
class Discovery:
    """What a discovery run found. ``candidates``: one row per candidate; ``assignments``: one row per input
    answer, in input order; ``taxonomy``: the candidates as themes; ``coords``: 2-D map position of each
    grouped answer (rows of ``assignments`` with ``unplaced``)."""

    candidates: pd.DataFrame
    assignments: pd.DataFrame
    taxonomy: Taxonomy | None
    about: pd.DataFrame
    names: dict[str, str] = field(default_factory=dict)
    """Existing theme ids → names (from the taxonomy when given)."""
    title: str = "Candidate themes"


# --- which answers are unplaced ---------------------------------------------------------------------------


def unplaced_reasons(df: pd.DataFrame, cfg: DiscoverConfig) -> tuple[np.ndarray, list[str]]:
    """Whether each row is unplaced, and why it is or is not (one short sentence per row)."""
    status = df["status"].fillna("").astype(str) if "status" in df.columns else pd.Series("labelled", index=df.index)
    empty = as_bool(df["flag_empty"]) if "flag_empty" in df.columns else pd.Series(False, index=df.index)
    non_sub = as_bool(df["flag_non_substantive"]) if "flag_non_substantive" in df.columns else empty & False
    conf = pd.to_numeric(df["confidence"], errors="coerce") if "confidence" in df.columns else None
    out = np.zeros(len(df), dtype=bool)
    why: list[str] = []
    for r, cell in enumerate(df[THEMES_COLUMN].fillna("").astype(str)):
        themes = [t.strip() for t in cell.split(";") if t.strip()]
        if empty.iloc[r] or status.iloc[r] == "empty":
            why.append("empty answer")
            continue
        if non_sub.iloc[r] or status.iloc[r] == "non_substantive":
            why.append("says nothing (non-substantive)")
            continue
        if status.iloc[r] not in ("", "labelled"):
            why.append(f"not labelled ({status.iloc[r]})")
            continue
        c = float(conf.iloc[r]) if conf is not None and not math.isnan(conf.iloc[r]) else math.nan
        if not themes:
            out[r] = True
            why.append("no theme")
        elif themes == [cfg.catch_all]:
            out[r] = True
            why.append(f"only theme is the catch-all '{cfg.catch_all}'")
        elif not math.isnan(c) and c < cfg.max_confidence:
            out[r] = True
            why.append(f"confidence {c:.2f} below {cfg.max_confidence:g} ({';'.join(themes)})")
        else:
            shown = "" if math.isnan(c) else f", confidence {c:.2f}"
            why.append(f"placed by the model: {';'.join(themes)}{shown}")
    return out, why


# --- features ---------------------------------------------------------------------------------------------


def stop_words(lang: str) -> set[str]:
    """spaCy's stop words for ``lang`` (none for a language spaCy has no list for)."""
    try:
        return set(spacy.util.get_lang_class(lang).Defaults.stop_words)
    except Exception:  # an unknown code or a language whose module needs extra packages: no list
        return set()


_WORD = re.compile(r"\w[\w'’-]*\w|\w", re.UNICODE)


def tokens(text: str) -> list[str]:
    return _WORD.findall(unicodedata.normalize("NFKC", str(text)).casefold())


def _analyzer(stops: set[str]) -> Callable[[str], list[str]]:
    def analyse(text: str) -> list[str]:
        words = [w for w in tokens(text) if not w.isdigit()]
        uni = [w for w in words if w not in stops and len(w) > 1]
        bi = [f"{a} {b}" for a, b in zip(words, words[1:], strict=False) if a not in stops and b not in stops]
        return uni + bi

    return analyse


class TextSpace:
    """Where answers are compared: word TF-IDF (fitted on all answers of the file) reduced by truncated SVD
    (fitted on the answers grouped), or sentence embeddings; rows of unit length."""

    def __init__(self, sentence_model: str = "", lang: str = "xx", seed: int = 0, dims: int = 100) -> None:
        self.sentence_model = sentence_model
        self.lang = lang
        self.seed = seed
        self.dims = dims

    def fit(self, texts: list[str], background: list[str]) -> TextSpace:
        self.vec_: Any = None
        self.svd_: Any = None
        if self.sentence_model:
            return self
        vec = TfidfVectorizer(analyzer=_analyzer(stop_words(self.lang)), sublinear_tf=True, min_df=2)
        try:
            vec.fit(background)
            X = vec.transform(texts)
        except ValueError:  # no word seen twice
            return self
        self.vec_ = vec
        k = min(self.dims, X.shape[1] - 1, X.shape[0] - 1)
        if k >= 2:
            self.svd_ = TruncatedSVD(n_components=k, random_state=self.seed, algorithm="randomized", n_iter=7).fit(X)
        return self

    def transform(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 1))
        if self.sentence_model:
            return sentence_features(texts, self.sentence_model)
        if self.vec_ is None:
            return np.zeros((len(texts), 1))
        X = self.vec_.transform(texts)
        return normalize(self.svd_.transform(X) if self.svd_ is not None else X.toarray())


def sentence_features(texts: list[str], model_name: str) -> np.ndarray:
    enc, _ = load_sentence_model(model_name)
    unique, inverse = np.unique(np.array(texts, dtype=object), return_inverse=True)
    out = enc.encode(
        list(unique), batch_size=64, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
    )
    return np.asarray(out, dtype=np.float64)[inverse.ravel()]


# --- grouping ---------------------------------------------------------------------------------------------


def with_model_view(X: np.ndarray, proba: np.ndarray, weight: float) -> np.ndarray:
    """Text features (unit rows) beside the model's theme probabilities (unit rows) scaled by ``weight``, the
    whole row of unit length again."""
    if weight <= 0 or proba.shape[1] == 0:
        return X
    return normalize(np.hstack([X, weight * normalize(proba)]))


def choose_groups(X: np.ndarray, cfg: DiscoverConfig) -> tuple[np.ndarray, dict[int, float]]:
    """Ward clustering of the rows of ``X`` (unit length), cut at the number of groups between 2 and
    ``max_candidates`` with the best mean silhouette (cosine); an answer left in a group smaller than
    ``min_size`` scores 0 (as a group of one does), so cutting answers off is never rewarded. Returns a group per
    row and the score per number of groups."""
    n = len(X)
    if n < 2 * cfg.min_size:
        return np.zeros(n, dtype=int), {}
    tree = linkage(X, method="ward")
    scores: dict[int, float] = {}
    best_k, best_s, best_lab = 1, -2.0, np.zeros(n, dtype=int)
    rng = np.random.default_rng(cfg.seed)
    sample = np.sort(rng.choice(n, size=min(n, 3000), replace=False))
    for k in range(2, min(cfg.max_candidates, n // cfg.min_size) + 1):
        lab = fcluster(tree, t=k, criterion="maxclust") - 1
        big = np.bincount(lab)[lab] >= cfg.min_size
        if len(np.unique(lab[big])) < 2 or len(np.unique(lab[sample])) < 2:
            continue
        per = silhouette_samples(X[sample], lab[sample], metric="cosine")
        s = float(np.where(big[sample], per, 0.0).mean())
        scores[k] = round(s, 4)
        if s > best_s + 1e-9:
            best_k, best_s, best_lab = k, s, lab
    return (best_lab if best_k > 1 else np.zeros(n, dtype=int)), scores


# --- describing candidates --------------------------------------------------------------------------------


def class_tfidf(counts: sp.csr_matrix, groups: np.ndarray, n_groups: int) -> np.ndarray:
    """Class-based TF-IDF (Grootendorst 2022): rows = groups, against all answers.

    ``counts``: term counts of every answer of the file; ``groups``: each answer's group (-1 = in none, part of
    the background only). Weight of term t in group c: (tf(t, c) / words in c) * log(1 + A / f(t)), where f(t)
    is the count of t over all answers and A the average number of words per class (the groups and the rest of
    the answers as one more class).
    """
    counts = sp.csr_matrix(counts, dtype=np.float64)
    total = np.asarray(counts.sum(axis=0)).ravel()
    rows = []
    for g in range(n_groups):
        rows.append(np.asarray(counts[groups == g].sum(axis=0)).ravel())
    tf = np.vstack(rows) if rows else np.zeros((0, counts.shape[1]))
    words = tf.sum(axis=1, keepdims=True)
    tf_norm = np.divide(tf, words, out=np.zeros_like(tf), where=words > 0)
    A = total.sum() / (n_groups + 1)
    idf = np.log1p(np.divide(A, total, out=np.zeros_like(total), where=total > 0))
    return tf_norm * idf[None, :]


def suggest_id(keywords: list[str], taken: set[str]) -> str:
    """A theme id from the first keywords: lower case, words joined by '_', unique among ``taken``."""
    words: list[str] = []
    for k in keywords:
        for w in k.split():
            if w not in words:
                words.append(w)
        if len(words) >= 3:
            break
    base = "_".join(re.sub(r"[^\w]+", "_", w).strip("_") for w in words[:3]) or "new_theme"
    base = "".join(c for c in base if c not in FORBIDDEN_IN_IDS) or "new_theme"
    out, i = base, 2
    while out in taken:
        out = f"{base}_{i}"
        i += 1
    return out


def default_redactor(df: pd.DataFrame, config: Config, nlp: Any = None) -> Redactor:
    """The project's redaction: names tagged in the file, spaCy NER (``discover.redact_with_ner``), places kept."""
    if nlp is None and config.discover.redact_with_ner:
        nlp = load_spacy(config.entities.spacy_model, ner=True)
    return labelled_file_redactor(df, config, nlp)


def _language(config: Config) -> str:
    try:
        return spacy_language(config.entities.spacy_model)
    except ConsultError:
        return "xx"


def check_discoverable(df: pd.DataFrame, config: Config, what: str = "The input") -> list[str]:
    """Theme ids of a labelled table; a clear error when it is not one."""
    idc, txc = config.ingest.id_column, config.ingest.text_column
    themes = theme_columns(df)
    missing = [c for c in (idc, txc, THEMES_COLUMN) if c not in df.columns]
    if missing or not themes:
        raise ConsultError(
            f"{what} is not a labelled file (missing {', '.join(missing) or 'p_<theme> columns'})",
            "Label it first with 'consult label FILE -o OUT' and run discovery on OUT "
            "(name other id or text columns with --id-column / --text-column)",
        )
    return themes


def discover(
    df: pd.DataFrame,
    config: Config | None = None,
    taxonomy: Taxonomy | None = None,
    *,
    nlp: Any = None,
    redactor: Callable[[str], str] | None = None,
    source: dict[str, str] | None = None,
    progress: Progress | None = None,
) -> Discovery:
    """Candidate themes among the unplaced answers of the labelled table ``df`` (see the module doc).

    ``redactor`` redacts representative answers (default: :class:`pipeline.redact.Redactor` with the names
    tagged in the file, ``nlp`` or the configured spaCy NER, and the known places); ``source`` adds provenance.
    """
    config = config or Config()
    cfg = config.discover
    say = progress or (lambda _m: None)
    themes = check_discoverable(df, config)
    idc, txc = config.ingest.id_column, config.ingest.text_column
    ids = df[idc].fillna("").astype(str).str.strip().tolist()
    texts = df[txc].fillna("").astype(str).tolist()
    unplaced, reasons = unplaced_reasons(df, cfg)
    if cfg.catch_all not in themes:
        say(
            f"the model has no theme '{cfg.catch_all}' (discover.catch_all): only answers with no theme or confidence "
            f"below {cfg.max_confidence:g} are looked at; name the catch-all with --catch-all"
        )
    dup = (
        df["duplicate_of"].fillna("").astype(str).str.strip().tolist()
        if "duplicate_of" in df.columns
        else [""] * len(df)
    )
    pos = {i: r for r, i in enumerate(ids)}
    # A copy follows its first answer when that answer is unplaced too; otherwise it is grouped on its own.
    follows = [pos[d] if d and d in pos and unplaced[pos[d]] and pos[d] != r else -1 for r, d in enumerate(dup)]
    items = [r for r in range(len(df)) if unplaced[r] and follows[r] < 0]
    say(f"{int(unplaced.sum())} of {len(df)} answers unplaced; {len(items)} to group (campaign copies once)")
    lang = _language(config)
    substantive = [r for r in range(len(df)) if not reasons[r].startswith(("empty", "says nothing", "not labelled"))]
    background = [texts[r] for r in substantive] or texts
    item_texts = [texts[r] for r in items]
    space = TextSpace(cfg.sentence_model, lang, cfg.seed).fit(item_texts, background)
    X = space.transform(item_texts)
    proba = df[[PROB_PREFIX + t for t in themes]].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    F = with_model_view(X, np.nan_to_num(proba[items]), cfg.model_weight) if items else X
    groups, silhouettes = choose_groups(F, cfg) if len(items) else (np.zeros(0, dtype=int), {})
    sizes = np.bincount(groups) if len(groups) else np.zeros(0, dtype=int)
    kept = [g for g in range(len(sizes)) if sizes[g] >= cfg.min_size]
    # Candidates numbered by size (largest first), ties by their first answer's position.
    first = {g: int(np.flatnonzero(groups == g)[0]) for g in kept}
    kept.sort(key=lambda g: (-sizes[g], first[g]))
    number = {g: k for k, g in enumerate(kept)}
    cand_of_item = np.array([number.get(int(g), -1) for g in groups], dtype=int)
    n_cand = len(kept)
    say(f"{n_cand} candidate(s)" + (f" (silhouette {max(silhouettes.values()):.3f})" if silhouettes else ""))

    # Centres, similarity of each answer to its centre, the 2-D map.
    centres = np.vstack([X[cand_of_item == c].mean(axis=0) for c in range(n_cand)]) if n_cand else np.zeros((0, 1))
    norms = np.linalg.norm(centres, axis=1, keepdims=True) if n_cand else np.zeros((0, 1))
    centres = np.divide(centres, norms, out=np.zeros_like(centres), where=norms > 0)
    sim = np.array([float(X[k] @ centres[c]) if c >= 0 else math.nan for k, c in enumerate(cand_of_item)], dtype=float)
    xy = map_2d(F, cfg.seed) if len(items) else np.zeros((0, 2))

    # Keywords: class-based TF-IDF of each candidate against all answers (copies counted once).
    row_group = np.full(len(df), -1, dtype=int)
    for k, r in enumerate(items):
        row_group[r] = cand_of_item[k]
    once = [r for r in substantive if not dup[r]] or substantive
    keywords: list[list[str]] = [[] for _ in range(n_cand)]
    if n_cand:
        cv = CountVectorizer(analyzer=_analyzer(stop_words(lang)), min_df=1)
        try:
            C = cv.fit_transform([texts[r] for r in once])
            vocab = np.array(cv.get_feature_names_out())
            W = class_tfidf(C, row_group[once], n_cand)
            seen_in = np.vstack([np.asarray((C[row_group[once] == c] > 0).sum(axis=0)).ravel() for c in range(n_cand)])
            for c in range(n_cand):
                w = np.where(seen_in[c] >= min(2, int(sizes[kept[c]])), W[c], 0.0)
                order = np.lexsort((vocab, -w))  # ties: alphabetical, so the order never depends on chance
                keywords[c] = [str(vocab[j]) for j in order[: cfg.keywords] if w[j] > 0]
        except ValueError:  # no words at all
            pass

    # Closest existing themes: cosine of the candidate's centre to each theme's centre (answers placed in it).
    names = {t: t for t in themes}
    if taxonomy is not None:
        names.update({t.id: t.name or t.id for t in taxonomy.themes if t.id in names})
    placed_rows = [r for r in substantive if not unplaced[r]]
    theme_sims = np.zeros((n_cand, len(themes)))
    if n_cand and placed_rows:
        Xp = space.transform([texts[r] for r in placed_rows])
        cells = df[THEMES_COLUMN].fillna("").astype(str)
        for j, t in enumerate(themes):
            rows = [k for k, r in enumerate(placed_rows) if t in cells.iloc[r].split(";")]
            if not rows:
                continue
            ct = Xp[rows].mean(axis=0)
            nrm = np.linalg.norm(ct)
            if nrm > 0:
                theme_sims[:, j] = centres @ (ct / nrm)

    # Representative answers: nearest the centre, one per distinct text, never a copy; redacted, then shortened.
    flagged = (
        as_bool(df[SAFEGUARDING_FLAG]).to_numpy() if SAFEGUARDING_FLAG in df.columns else np.zeros(len(df), dtype=bool)
    )
    if redactor is None and n_cand:
        redactor = default_redactor(df, config, nlp)
    taken = set(themes) | (set(taxonomy.ids) if taxonomy is not None else set())
    copies_of = np.zeros(len(df), dtype=int)
    for f in follows:
        if f >= 0:
            copies_of[f] += 1
    item_of = {r: k for k, r in enumerate(items)}
    cand_rows = []
    new_themes = []
    for c in range(n_cand):
        members = [items[k] for k in np.flatnonzero(cand_of_item == c)]
        typical_first = sorted(members, key=lambda r: (-sim[item_of[r]], r))
        examples: list[str] = []
        example_ids: list[str] = []
        seen_text: set[str] = set()
        for r in typical_first:
            key = " ".join(texts[r].casefold().split())
            if key in seen_text or not key or flagged[r]:
                continue  # a repeat, or an answer flagged for safeguarding: never quoted
            seen_text.add(key)
            examples.append(shorten(redactor(texts[r]) if redactor else texts[r], cfg.quote_max_chars))
            example_ids.append(redact_contacts(ids[r]))
            if len(examples) >= cfg.examples:
                break
        sid = suggest_id(keywords[c], taken)
        taken.add(sid)
        near = [j for j in np.argsort(-theme_sims[c], kind="stable") if themes[j] != cfg.catch_all]
        near = [j for j in near if theme_sims[c, j] > 0][: cfg.closest_themes]
        mean_p = np.nanmean(proba[members], axis=0) if members else np.zeros(len(themes))
        top_model = [j for j in np.argsort(-np.nan_to_num(mean_p), kind="stable") if themes[j] != cfg.catch_all][:1]
        cid = f"C{c + 1:02d}"
        why = pd.Series([reasons[r] for r in members])
        catch = int(why.str.startswith(("only theme", "no theme")).sum())
        row: dict[str, Any] = {
            "candidate": cid,
            "suggested_id": sid,
            "size": len(members),
            "copies": int(copies_of[members].sum()),
            "from_catch_all": catch,
            "from_low_confidence": len(members) - catch,
            "cohesion": round(float(np.mean(sim[[item_of[r] for r in members]])), 3),
            "keywords": "; ".join(keywords[c]),
            "closest_themes": "; ".join(f"{themes[j]} ({theme_sims[c, j]:.2f})" for j in near),
            "model_would_say": (
                f"{themes[top_model[0]]} (mean p {mean_p[top_model[0]]:.2f})"
                if top_model and not np.isnan(mean_p[top_model[0]])
                else ""
            ),
        }
        for k in range(cfg.examples):
            row[f"example_{k + 1}"] = examples[k] if k < len(examples) else ""
            row[f"example_{k + 1}_id"] = example_ids[k] if k < len(example_ids) else ""
        cand_rows.append(row)
        kw = keywords[c]
        new_themes.append(
            Theme(
                id=sid,
                name=(", ".join(kw[:3]) or sid).capitalize(),
                definition=(
                    f"Candidate {cid} found by consult discover in {len(members)} unplaced answers"
                    + (f" ({int(copies_of[members].sum())} more campaign copies)" if copies_of[members].sum() else "")
                    + f". Keywords: {', '.join(kw)}."
                    + (f" Closest existing themes: {', '.join(names[themes[j]] for j in near)}." if near else "")
                    + " Rename it, write what it covers and keep or drop the examples before adding it."
                ),
                include=examples[:3],
            )
        )
    ex_cols = [f"example_{k + 1}{s}" for k in range(cfg.examples) for s in ("", "_id")]
    candidates = pd.DataFrame(
        cand_rows,
        columns=[
            "candidate",
            "suggested_id",
            "size",
            "copies",
            "from_catch_all",
            "from_low_confidence",
            "cohesion",
            "keywords",
            "closest_themes",
            "model_would_say",
            *ex_cols,
        ],
    )

    # Every answer: its candidate, or why it is in none.
    cand_col, outcome, sim_col = [""] * len(df), [""] * len(df), [math.nan] * len(df)
    mx, my = [math.nan] * len(df), [math.nan] * len(df)
    for r in range(len(df)):
        src = follows[r] if follows[r] >= 0 else r
        if not unplaced[r]:
            outcome[r] = "not looked at: " + reasons[r]
            continue
        k = item_of[src]
        c = cand_of_item[k]
        copy_note = f"copy of {ids[src]}; " if src != r else ""
        if c >= 0:
            cand_col[r] = f"C{c + 1:02d}"
            sim_col[r] = round(float(sim[k]), 4)
            outcome[r] = f"{copy_note}in candidate C{c + 1:02d} (unplaced: {reasons[r]})"
        else:
            small = int(sizes[groups[k]]) if len(sizes) else 0
            outcome[r] = (
                f"{copy_note}in no candidate: its group has {small} answer(s), under discover.min_size "
                f"{cfg.min_size} (unplaced: {reasons[r]})"
            )
        mx[r], my[r] = round(float(xy[k, 0]), 4), round(float(xy[k, 1]), 4)
    assignments = pd.DataFrame(
        {
            "id": ids,
            "candidate": cand_col,
            "unplaced": unplaced,
            "reason": outcome,
            "similarity": sim_col,
            "map_x": mx,
            "map_y": my,
        }
    )
    tax = Taxonomy(themes=new_themes) if new_themes else None
    prov = [
        *(source or {}).items(),
        ("answers", len(df)),
        ("unplaced", int(unplaced.sum())),
        ("grouped_once", len(items)),
        ("campaign_copies_following_their_first_answer", int(sum(f >= 0 for f in follows))),
        ("candidates", n_cand),
        ("in_candidates", int(sum(1 for c in cand_col if c))),
        ("features", f"sentence embeddings: {cfg.sentence_model}" if cfg.sentence_model else "word TF-IDF + SVD"),
        ("grouping", "Ward agglomerative clustering, number of groups by the best cosine silhouette"),
        ("silhouette_by_groups", "; ".join(f"{k}: {v:.3f}" for k, v in silhouettes.items())),
        *((f"discover.{k}", v) for k, v in cfg.model_dump(mode="json").items()),
        (
            "model_version",
            ", ".join(sorted({v for v in df.get("model_version", pd.Series(dtype=str)).fillna("").astype(str) if v}))
            or "(not recorded)",
        ),
        ("consult_version", __version__),
    ]
    about = pd.DataFrame([(k, str(v)) for k, v in prov], columns=["field", "value"])
    return Discovery(candidates=candidates, assignments=assignments, taxonomy=tax, about=about, names=names)


def map_2d(X: np.ndarray, seed: int) -> np.ndarray:
    """A 2-D map of the grouped answers: their first two principal components."""
    if len(X) < 3 or X.shape[1] < 2:
        return np.zeros((len(X), 2))
    Z = PCA(n_components=2, svd_solver="full", random_state=seed).fit_transform(X)
    for j in range(2):  # a sign convention, so the map does not flip between runs
        col = Z[:, j]
        if col[np.argmax(np.abs(col))] < 0:
            Z[:, j] = -col
    return Z


def candidate_members(assignments: pd.DataFrame, candidate: str) -> list[str]:
    return assignments.loc[assignments["candidate"].astype(str) == candidate, "id"].astype(str).tolist()


# --- writing ----------------------------------------------------------------------------------------------


def check_out_dir(out_dir: Path, *inputs: Path | None) -> None:
    """Refuse an output that is a file, a folder of other things, or a folder holding an input."""
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise ConsultError(f"{out_dir} is a file", "Give a folder for -o (it will hold the discovery files)")
    check_writable(out_dir, folder=True)
    if out_dir.is_dir() and any(out_dir.iterdir()) and not (out_dir / MARKER).exists():
        raise ConsultError(
            f"Folder {out_dir} is not empty and does not hold an earlier discovery",
            "Give a new or empty folder for -o (an earlier discovery folder is replaced as a whole)",
        )
    for p in inputs:
        if p is not None and Path(p).exists() and out_dir.exists():
            rp, ro = Path(p).resolve(), out_dir.resolve()
            if rp == ro or ro in rp.parents:
                raise ConsultError(
                    f"The input {p} is inside the output folder {out_dir}", "Write the discovery to another folder"
                )


def taxonomy_yaml(taxonomy: Taxonomy | None) -> str:
    """The candidates in the shape of ``configs/themes.yaml``, with a header saying what to do with them."""
    head = (
        "# Candidate themes found by 'consult discover', in the shape of configs/themes.yaml.\n"
        "# Keep the ones worth adding, rename their ids and names, write what each covers, then:\n"
        "#   consult taxonomy add THIS_FILE            (or --only ID to add some of them)\n"
    )
    data = {"themes": [t.model_dump() for t in taxonomy.themes] if taxonomy else []}
    return head + yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


def chart_map(disc: Discovery, path: Path) -> None:
    """The grouped answers on their 2-D map, one colour per candidate, grey for answers in none."""
    a = disc.assignments[disc.assignments["unplaced"].astype(bool)]
    fig = Figure(figsize=(8, 6), dpi=110, layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    none = a[a["candidate"] == ""]
    ax.scatter(none["map_x"], none["map_y"], s=14, c="#c8c8c8", label="in no candidate", linewidths=0)
    cmap = _palette(len(disc.candidates))
    for k, c in enumerate(disc.candidates["candidate"]):
        pts = a[a["candidate"] == c]
        ax.scatter(pts["map_x"], pts["map_y"], s=22, color=cmap[k], label=c, linewidths=0)
        if len(pts):
            ax.annotate(
                c,
                (float(pts["map_x"].median()), float(pts["map_y"].median())),
                fontsize=8,
                weight="bold",
                ha="center",
                va="center",
                bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": cmap[k], "alpha": 0.9},
            )
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title("Unplaced answers: first two principal components of the grouping features", fontsize=9)
    if len(disc.candidates) <= 20:
        ax.legend(fontsize=7, loc="best", markerscale=1.5, ncols=2)
    fig.savefig(path, format="png")


def _palette(n: int) -> list[str]:
    base = [
        "#3b6ea5",
        "#d1495b",
        "#2e933c",
        "#edae49",
        "#7a5195",
        "#00798c",
        "#ef5675",
        "#8c564b",
        "#4d4d4d",
        "#17becf",
        "#bcbd22",
        "#ff7c43",
        "#665191",
        "#a05195",
        "#2f4b7c",
    ]
    return [base[k % len(base)] for k in range(n)]


def render_html(disc: Discovery, map_png: Path) -> str:
    env = Environment(
        loader=FileSystemLoader(TEMPLATE.parent),
        autoescape=select_autoescape(["html", "j2"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    cands = []
    ex_cols = sorted(
        (c for c in disc.candidates.columns if re.fullmatch(r"example_\d+", c)), key=lambda c: int(c.split("_")[1])
    )
    colours = _palette(len(disc.candidates))
    for k, r in enumerate(disc.candidates.to_dict("records")):
        cands.append(
            {
                **r,
                "colour": colours[k],
                "examples": [(r[c], r[c + "_id"]) for c in ex_cols if r[c]],
                "keyword_list": [x for x in str(r["keywords"]).split("; ") if x],
            }
        )
    about = dict(zip(disc.about["field"], disc.about["value"], strict=True))
    return env.get_template(TEMPLATE.name).render(
        title=disc.title,
        cands=cands,
        about=about,
        about_rows=disc.about.to_dict("records"),
        map_src="data:image/png;base64," + base64.b64encode(map_png.read_bytes()).decode("ascii"),
        n_none=int(((disc.assignments["candidate"] == "") & disc.assignments["unplaced"].astype(bool)).sum()),
    )


def write_files(disc: Discovery, folder: Path) -> list[Path]:
    files = [folder / CANDIDATES_FILE, folder / ASSIGNMENTS_FILE, folder / ABOUT_FILE]
    write_table(disc.candidates, files[0])
    write_table(disc.assignments, files[1])
    write_table(disc.about, files[2])
    (folder / TAXONOMY_FILE).write_text(taxonomy_yaml(disc.taxonomy), encoding="utf-8")
    charts = folder / "charts"
    charts.mkdir()
    png = charts / "map.png"
    chart_map(disc, png)
    (folder / HTML_FILE).write_text(render_html(disc, png), encoding="utf-8")
    (folder / MARKER).write_text("written by consult discover; this folder is replaced by the next discovery to it\n")
    files += [folder / TAXONOMY_FILE, png, folder / HTML_FILE]
    for p in [folder, charts, *files, folder / MARKER]:
        usual_permissions(p)
    return files


def write_discovery(disc: Discovery, out_dir: Path) -> list[Path]:
    """Write every output into a temporary folder beside ``out_dir``, then move it into place (replacing an
    earlier discovery): a failed run leaves the earlier one, or nothing."""
    out_dir = Path(out_dir)
    check_out_dir(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", suffix=".tmp", dir=out_dir.parent))
    old: Path | None = None
    try:
        files = write_files(disc, tmp)
        if out_dir.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", suffix=".old", dir=out_dir.parent))
            os.replace(out_dir, old / "discovery")
        os.replace(tmp, out_dir)
    except BaseException:
        if old is not None and (old / "discovery").exists() and not out_dir.exists():
            os.replace(old / "discovery", out_dir)
        raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    return [out_dir / f.relative_to(tmp) for f in files]


def discover_file(
    labelled: Path,
    out_dir: Path,
    config: Config | None = None,
    taxonomy: Taxonomy | None = None,
    *,
    nlp: Any = None,
    progress: Progress | None = None,
) -> Discovery:
    """Read ``labelled``, run :func:`discover` and write its outputs to ``out_dir``."""
    config = config or Config()
    labelled = Path(labelled)
    check_out_dir(Path(out_dir), labelled)
    df, _ = read_table(labelled, written_by_consult=True)
    check_discoverable(df, config, str(labelled))
    source = {
        "input_file": str(labelled),
        "input_sha256": sha256_file(labelled),
        "generated": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }
    disc = discover(df, config, taxonomy, nlp=nlp, source=source, progress=progress)
    disc.title = f"Candidate themes: {labelled.name}"
    write_discovery(disc, Path(out_dir))
    return disc


def read_discovery(folder: Path) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, str]]:
    """Candidates, assignments and the about table of a discovery folder, with a clear error for anything else."""
    folder = Path(folder)
    need = [folder / CANDIDATES_FILE, folder / ASSIGNMENTS_FILE, folder / ABOUT_FILE]
    if not folder.is_dir() or not all(p.is_file() for p in need):
        raise ConsultError(
            f"{folder} is not a discovery folder (it needs {', '.join(p.name for p in need)})",
            "Give the folder written by 'consult discover LABELLED -o DIR' with --discovery",
        )
    cands, _ = read_table(need[0], written_by_consult=True)
    assign, _ = read_table(need[1], written_by_consult=True)
    about, _ = read_table(need[2], written_by_consult=True)
    return cands, assign, dict(zip(about["field"], about["value"], strict=True))
