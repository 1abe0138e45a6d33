"""Synthetic consultations spliced from the shipped answers, for the scale benchmarks.

Distinct answers join two to four sentences of different shipped answers (with a word or two swapped for
another answer's, so sentences recur in different company); campaign copies repeat an earlier answer with the
edits people make when they paste a campaign text: words dropped, a sign-off added, case and punctuation
changed; empty answers are blank or a dash.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = [ROOT / "data" / "consultation_labelled.csv", ROOT / "data" / "consultation_new.csv"]
SIGN_OFFS = ["Thanks", "Thank you.", "Regards, J. Smith", "Kind regards", "Many thanks, Sam", "Cheers", "- a resident"]
_SENT = re.compile(r"(?<=[.!?])\s+")


def shipped_sentences() -> list[str]:
    texts = pd.concat([pd.read_csv(p, dtype=str, keep_default_na=False)["text"] for p in SHIPPED]).tolist()
    out = [s.strip() for t in texts for s in _SENT.split(t) if len(s.split()) >= 4]
    return sorted(set(out))


def distinct_answer(rng: random.Random, sentences: list[str], vocab: list[str]) -> str:
    parts = rng.sample(sentences, rng.randint(2, 4))
    words = " ".join(parts).split()
    for _ in range(rng.randint(1, 3)):
        words[rng.randrange(len(words))] = rng.choice(vocab)
    return " ".join(words)


def campaign_copy(rng: random.Random, text: str) -> str:
    """One to three edits: drop one or two words, add a sign-off, change case, change punctuation."""
    edits = rng.sample(["drop", "sign", "case", "punct"], rng.randint(1, 3))
    words = text.split()
    if "drop" in edits and len(words) > 12:
        for _ in range(rng.randint(1, 2)):
            del words[rng.randrange(1, len(words) - 1)]
    out = " ".join(words)
    if "punct" in edits:
        out = out.replace(",", "").replace(".", "!") if rng.random() < 0.5 else out.replace(". ", "... ")
    if "case" in edits:
        out = out.upper() if rng.random() < 0.3 else out.lower()
    if "sign" in edits:
        out = f"{out} {rng.choice(SIGN_OFFS)}"
    return out


def synthetic(n: int, seed: int = 0, copies: float = 0.03, empty: float = 0.02) -> tuple[pd.DataFrame, list[int]]:
    """``n`` answers (columns id, text) and, per row, the campaign it belongs to (-1: none); a campaign's first
    row in input order counts as its original, the others as its copies."""
    rng = random.Random(seed)
    sentences = shipped_sentences()
    vocab = sorted({w for s in sentences for w in s.split() if w.isalpha()})
    n_copy, n_empty = int(n * copies), int(n * empty)
    n_distinct = n - n_copy - n_empty
    texts = [distinct_answer(rng, sentences, vocab) for _ in range(n_distinct)]
    group = [-1] * n_distinct
    originals = rng.sample(range(n_distinct), max(1, n_copy // 4))  # campaigns of about four copies each
    for g, o in enumerate(originals):
        group[o] = g
    for _ in range(n_copy):
        o = rng.choice(originals)
        texts.append(campaign_copy(rng, texts[o]))
        group.append(group[o])
    texts += [rng.choice(["", " ", "-", "n/a"]) for _ in range(n_empty)]
    group += [-1] * n_empty
    order = list(range(n))
    rng.shuffle(order)
    texts, group = [texts[i] for i in order], [group[i] for i in order]
    ids = [f"R{i:07d}" for i in range(n)]
    return pd.DataFrame({"id": ids, "text": texts}), group
