"""Stage 2 — clean: normalise text, flag empty and non-substantive answers, mark copy-and-paste repeats.

Adds columns, removes nothing:

- ``clean_text``: repaired, HTML- and URL-free, whitespace-normalised text (cut to ``max_cell_chars``);
- ``flag_empty``: the answer is blank;
- ``flag_non_substantive``: the answer says nothing ("n/a", "no comment", "see above", ...);
- ``flag_too_long``: the answer was longer than ``max_cell_chars`` and was cut for processing;
- ``duplicate_of``: id of the first answer this one repeats exactly or nearly ("" if none).
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

import ftfy
import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process

from .config import CleanConfig
from .nearcopy import CopyPlan, CopyState

_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9]*(?:\s[^<>]*)?/?>")
_URL = re.compile(r"(?:https?://|www\.)[^\s<>\"']+", re.IGNORECASE)
_CTRL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b\u200c\u200d\u2060\ufeff]")
_SPACE = re.compile(r"\s+")
_TERMINAL_ESCAPE = re.compile(r"\033\[((?:\d|;)*)([a-zA-Z])")  # as ftfy's remove_terminal_escapes
_PUNCT_EDGE = re.compile(r"^[\W_]+|[\W_]+$", re.UNICODE)
_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)

# Whole answers that say nothing (lower-cased, punctuation trimmed at both ends, spaces collapsed), by language.
# ``clean.non_substantive = "auto"`` uses the data's language (all of them for "xx", none for a language not
# listed: then only the neutral ones apply). Other languages: set ``clean.non_substantive`` to a list.
NEUTRAL_NON_SUBSTANTIVE = ["[-_.?!x/]+", "n/?a", "0"]
# fmt: off
NON_SUBSTANTIVE: dict[str, list[str]] = {
    "en": [
        "na", "none", "nil", "no", "nope", "nothing", "no comments?", "no comments? (at this time|thanks|thank you)",
        "nothing (more |else |further )?to (add|say)", "nothing (more|else|further)",
        "(see|as|same as) (above|before|previous)", "not applicable", "no thanks?( you)?", "don'?t know",
        "do not know", "dk", "idk", "not sure", "pass",
    ],
    "de": [
        "nein", "nee", "nö", "nichts", "nix", "keine?", "keine angaben?", "k\\.? ?a", "kein(e)? kommentar(e)?",
        "keine anmerkung(en)?", "nichts (mehr |weiter(es)? )?(hinzuzufügen|zu sagen|zu ergänzen)",
        "nichts weiter(es)?", "(siehe|wie) (oben|vorher)", "s\\.? ?o", "entfällt", "trifft nicht zu",
        "(ich )?wei(ß|ss) (ich )?(es )?nicht", "keine ahnung", "nicht sicher", "(nein|nichts),? danke",
        "keine meinung", "n\\.? ?a", "nicht zutreffend",
    ],
    "fr": [
        "non", "rien", "aucun(e)?", "néant", "sans objet", "rien (de plus|d'autre)", "rien à (ajouter|signaler|dire)",
        "pas de commentaires?", "aucun commentaire", "(je )?ne sais pas", "nsp", "sans avis", "pas d'avis",
        "(voir|cf) (ci-dessus|plus haut)", "non,? merci",
    ],
    "es": [
        "no", "nada", "ningun[oa]", "sin comentarios?", "ningún comentario", "nada (más )?que (añadir|decir)",
        "nada más", "no (lo )?sé", "ns/nc", "no (aplica|procede)", "(ver|véase) (arriba|anterior)", "no,? gracias",
    ],
    "it": [
        "no", "niente", "nulla", "nessun[oa]", "nessun commento", "(niente|nulla) (da|di) (aggiungere|dire|segnalare)",
        "non (lo )?so", "non applicabile", "(vedi|come) sopra", "no,? grazie",
    ],
    "nl": [
        "nee", "niets", "niks", "geen", "geen opmerking(en)?", "geen commentaar", "niets (meer |verder )?toe te voegen",
        "(ik )?weet (het )?niet", "geen idee", "n\\.? ?v\\.? ?t", "zie (boven|hierboven)", "nee,? dank(je|u)( wel)?",
    ],
    "pt": [
        "não", "nao", "nada", "nenhum(a)?", "sem comentários?", "nada a (acrescentar|dizer|declarar)", "não sei",
        "nao sei", "não se aplica", "(ver|vide) acima", "não,? obrigad[oa]",
    ],
}
# fmt: on


def _base_language(lang: str) -> str:
    return lang.split("-")[0].split("_")[0].lower()  # "de-CH" -> "de"


def non_substantive_patterns(setting: str | Sequence[str], lang: str) -> list[str]:
    """The patterns ``clean.non_substantive`` stands for with data in language ``lang``."""
    if setting != "auto":
        return list(setting)
    base = _base_language(lang)
    if base == "xx":
        return NEUTRAL_NON_SUBSTANTIVE + [p for ps in NON_SUBSTANTIVE.values() for p in ps]
    return NEUTRAL_NON_SUBSTANTIVE + NON_SUBSTANTIVE.get(base, [])


def has_built_in_phrases(lang: str) -> bool:
    base = _base_language(lang)
    return base == "xx" or base in NON_SUBSTANTIVE


CLEAN_COLUMNS = ["clean_text", "flag_empty", "flag_non_substantive", "flag_too_long", "duplicate_of"]


def normalise_text(
    text: str,
    *,
    fix_unicode: bool = True,
    strip_html: bool = True,
    strip_urls: bool = True,
    max_chars: int | None = None,
) -> str:
    """Repair mojibake and HTML entities, drop tags, URLs and control characters, collapse whitespace."""
    if not isinstance(text, str):
        text = "" if text is None or (isinstance(text, float) and text != text) else str(text)
    if max_chars is not None and len(text) > max_chars:
        text = text[:max_chars]
    if text.isascii():  # nothing for ftfy to repair but terminal escapes; NFC is the identity (fast path)
        text = _TERMINAL_ESCAPE.sub("", text) if fix_unicode else text
    else:
        text = ftfy.fix_text(text, normalization="NFC") if fix_unicode else unicodedata.normalize("NFC", text)
    if strip_html:
        text = html.unescape(_TAG.sub(" ", text))
    if strip_urls:
        text = _URL.sub(" ", text)
    text = _CTRL.sub("", text)
    return _SPACE.sub(" ", text).strip()


class NonSubstantive:
    """Matches answers that say nothing, from a list of whole-answer regular expressions."""

    def __init__(self, patterns: Sequence[str]) -> None:
        self.patterns = list(patterns)
        self._re = re.compile("|".join(f"(?:{p})" for p in self.patterns), re.IGNORECASE) if patterns else None

    def __call__(self, text: str) -> bool:
        core = _PUNCT_EDGE.sub("", text.strip().lower())
        core = _SPACE.sub(" ", core)
        if core == "":
            # Only punctuation or symbols ("-", "...", "?"): says nothing, unless the text itself was blank.
            return text.strip() != ""
        return bool(self._re is not None and self._re.fullmatch(core))


def _dedup_key(text: str) -> str:
    return _SPACE.sub(" ", _NON_WORD.sub(" ", text.casefold())).strip()


def _near_copies_all_pairs(candidates: list[int], cand_keys: list[str], similarity: float, root: np.ndarray) -> None:
    """The quadratic reference method (kept for ``bench/campaigns.py``): each candidate against every earlier
    candidate of similar length, pointing it at the root of the first it nearly repeats."""
    m = len(candidates)
    lens = np.array([len(k) for k in cand_keys], dtype=float)
    order = np.argsort(lens, kind="stable")
    sorted_lens = lens[order]
    factor = 200.0 / similarity - 1.0  # ratio >= similarity needs the longer at most factor x the shorter
    first_match = np.full(m, m)
    chunk = 2000
    for start in range(0, m, chunk):
        rows = order[start : start + chunk]
        lo = np.searchsorted(sorted_lens, sorted_lens[start] / factor - 1e-9, side="left")
        hi = np.searchsorted(sorted_lens, sorted_lens[start + len(rows) - 1] * factor + 1e-9, side="right")
        cols = order[lo:hi]
        scores = process.cdist(
            [cand_keys[i] for i in rows],
            [cand_keys[j] for j in cols],
            scorer=fuzz.ratio,
            score_cutoff=similarity,
            workers=-1,
            dtype=np.uint8,
        )
        r, c = np.nonzero(scores)
        a, b = rows[r], cols[c]
        earlier = b < a
        np.minimum.at(first_match, a[earlier], b[earlier])
    for j in np.flatnonzero(first_match < m):
        root[candidates[j]] = root[candidates[first_match[j]]]


def dedup_keys(texts: Sequence[str]) -> list[str]:
    """Case- and punctuation-folded texts: what exact and near repeats compare."""
    return [_dedup_key(t) for t in texts]


def copy_state(texts: Sequence[str], min_words: int, eligible: np.ndarray | None = None) -> tuple[CopyState, list[str]]:
    """Compact campaign-detection state of cleaned ``texts`` (and their folded keys, for the caller to drop)."""
    keys = dedup_keys(texts)
    ok = np.array([k.count(" ") + 1 >= min_words if k else False for k in keys], dtype=bool)
    if eligible is not None:
        ok &= eligible
    return CopyState.of(keys, ok), keys


def find_duplicates(
    ids: Sequence[str],
    texts: Sequence[str],
    *,
    min_words: int = 8,
    similarity: float = 92.0,
    eligible: np.ndarray | None = None,
    method: str = "lsh",
) -> list[str]:
    """For each answer, the id of the first earlier answer it repeats exactly or nearly, else "".

    Exact repeats compare case- and punctuation-folded text; near repeats use rapidfuzz's ratio on that
    folded text, among answers with at least ``min_words`` words. ``method="lsh"`` checks only the pairs
    that MinHash LSH makes candidates (linear time, :mod:`pipeline.nearcopy`); ``"all_pairs"`` checks every
    pair of similar length (quadratic; the reference the benchmark compares with).
    """
    state, keys = copy_state(texts, min_words, eligible)
    if method == "lsh":
        plan = CopyPlan(state, similarity)
        needed = {int(i): keys[i] for i in np.flatnonzero(plan.needs_key)}
        with plan.resolver() as resolver:
            return resolver.feed(0, needed, [str(i) for i in ids])
    if method != "all_pairs":
        raise ValueError(f"unknown near-copy method {method!r}")
    n = len(texts)
    root = np.arange(n)
    first_of: dict[str, int] = {}
    candidates: list[int] = []
    for i in np.nonzero(state.ok)[0]:
        k = keys[int(i)]
        if k in first_of:
            root[i] = first_of[k]
        else:
            first_of[k] = int(i)
            candidates.append(int(i))
    if similarity < 100 and len(candidates) > 1:
        _near_copies_all_pairs(candidates, [keys[i] for i in candidates], similarity, root)
    root = root[root]
    return [ids[int(r)] if r != i else "" for i, r in enumerate(root)]


@dataclass
class CleanResult:
    df: pd.DataFrame
    """The clean-stage columns, one row per input row, same index."""

    @property
    def substantive(self) -> pd.Series:
        return ~(self.df["flag_empty"] | self.df["flag_non_substantive"])


def clean_texts(texts: Sequence[str], config: CleanConfig, max_chars: int, lang: str) -> pd.DataFrame:
    """The per-answer part of the clean stage (every column but ``duplicate_of``): no state across rows."""
    raw = ["" if t is None else str(t) for t in texts]
    clean_text = [
        normalise_text(
            t,
            fix_unicode=config.fix_unicode,
            strip_html=config.strip_html,
            strip_urls=config.strip_urls,
            max_chars=max_chars,
        )
        for t in raw
    ]
    empty = np.array([c == "" for c in clean_text], dtype=bool)
    is_ns = NonSubstantive(non_substantive_patterns(config.non_substantive, lang))
    non_sub = np.array([(not e) and is_ns(c) for c, e in zip(clean_text, empty, strict=True)], dtype=bool)
    too_long = np.array([len(t) > max_chars for t in raw], dtype=bool)
    return pd.DataFrame(
        {"clean_text": clean_text, "flag_empty": empty, "flag_non_substantive": non_sub, "flag_too_long": too_long}
    )


def clean(
    ids: Sequence[str],
    texts: Sequence[str],
    config: CleanConfig | None = None,
    max_chars: int = 20_000,
    lang: str = "xx",
) -> CleanResult:
    """Run the clean stage over parallel lists of ids and texts in language ``lang`` (an ISO code; "xx": any
    of the languages with built-in non-substantive phrases)."""
    config = config or CleanConfig()
    df = clean_texts(texts, config, max_chars, lang)
    df["duplicate_of"] = find_duplicates(
        [str(i) for i in ids],
        df["clean_text"].tolist(),
        min_words=config.duplicate_min_words,
        similarity=config.near_duplicate_similarity,
        eligible=~(df["flag_empty"] | df["flag_non_substantive"]).to_numpy(),
    )
    return CleanResult(df=df)
