"""The shipped corpus: size, coverage of every theme, segments, and no near-copies."""

from __future__ import annotations

import re
from collections import Counter

import numpy as np
import pandas as pd
import pytest
from rapidfuzz import fuzz, process

from pipeline.taxonomy import load_taxonomy, split_labels

from .conftest import ROOT

LABELLED = ROOT / "data" / "consultation_labelled.csv"
NEW = ROOT / "data" / "consultation_new.csv"
SEGMENTS = ["borough", "respondent_type", "age_band"]


@pytest.fixture(scope="module")
def labelled() -> pd.DataFrame:
    return pd.read_csv(LABELLED, dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def new() -> pd.DataFrame:
    return pd.read_csv(NEW, dtype=str, keep_default_na=False)


def test_sizes_and_columns(labelled: pd.DataFrame, new: pd.DataFrame) -> None:
    assert len(labelled) >= 800 and len(new) >= 300
    assert list(labelled.columns) == ["id", "text", "labels", "tone", *SEGMENTS]
    assert list(new.columns) == ["id", "text", *SEGMENTS]
    ids = pd.concat([labelled["id"], new["id"]])
    assert ids.is_unique and (ids != "").all()


def test_every_theme_has_40_examples_and_labels_are_known(labelled: pd.DataFrame) -> None:
    tax = load_taxonomy(ROOT / "configs" / "themes.yaml")
    counts = Counter(t for cell in labelled["labels"] for t in split_labels(cell, ";"))
    assert set(counts) <= set(tax.ids)
    assert all(counts[t] >= 40 for t in tax.ids), counts
    multi = sum(len(split_labels(c, ";")) > 1 for c in labelled["labels"])
    assert multi >= 200  # several themes in one answer is common


def test_every_labelled_answer_has_a_tone(labelled: pd.DataFrame) -> None:
    """Each answer with themes has a hand-assigned tone; non-substantive answers have none; counts as in the README."""
    has_themes = labelled["labels"] != ""
    assert set(labelled.loc[has_themes, "tone"]) == {"positive", "neutral", "negative"}
    assert (labelled.loc[~has_themes, "tone"] == "").all()
    assert labelled.loc[has_themes, "tone"].value_counts().to_dict() == {
        "negative": 588,
        "neutral": 164,
        "positive": 69,
    }
    by_id = labelled.set_index("id")["tone"]
    assert by_id["L0166"] == "positive"  # "Shout out to the BTP officer ... She was amazing."
    assert by_id["L0054"] == "negative"  # "The police laughed."
    assert by_id["L0009"] == "neutral"  # "Teach consent in secondary schools, properly"


def test_varied_lengths(labelled: pd.DataFrame, new: pd.DataFrame) -> None:
    words = pd.concat([labelled["text"], new["text"]]).str.split().str.len()
    substantive = pd.concat([labelled["labels"] != "", pd.Series([True] * len(new))], ignore_index=True).to_numpy()
    w = words.to_numpy()
    assert w.max() <= 250 and (w[substantive & (w > 0)] >= 3).mean() > 0.97
    assert (w > 100).sum() >= 50 and (w < 15).sum() >= 100


def test_segments_present(labelled: pd.DataFrame, new: pd.DataFrame) -> None:
    for df in (labelled, new):
        for col in SEGMENTS:
            assert (df[col] != "").mean() > 0.9
        assert df["borough"].nunique() >= 25


def test_new_batch_has_empty_and_non_substantive_answers(new: pd.DataFrame) -> None:
    assert (new["text"].str.strip() == "").sum() >= 3
    assert (
        new["text"].str.strip().str.lower().isin(["n/a", "no comment", "see above", "nothing to add", "-", "no"]).sum()
        >= 5
    )


def test_no_two_answers_are_near_copies(labelled: pd.DataFrame, new: pd.DataFrame) -> None:
    texts = pd.concat([labelled["text"], new["text"]], ignore_index=True)
    ids = pd.concat([labelled["id"], new["id"]], ignore_index=True)
    norm = [re.sub(r"\W+", " ", t.lower()).strip() for t in texts]
    keep = [i for i, t in enumerate(norm) if len(t.split()) >= 6]
    sub = [norm[i] for i in keep]
    scores = process.cdist(sub, sub, scorer=fuzz.ratio, score_cutoff=80, workers=-1, dtype=np.uint8)
    np.fill_diagonal(scores, 0)
    pairs = [(ids[keep[a]], ids[keep[b]]) for a, b in zip(*np.nonzero(np.triu(scores)), strict=True)]
    assert pairs == [], f"near-copies: {pairs[:10]}"


def test_readme_label_counts_match_the_data(labelled: pd.DataFrame) -> None:
    readme = (ROOT / "data" / "README.md").read_text(encoding="utf-8")
    counts = Counter(t for cell in labelled["labels"] for t in split_labels(cell, ";"))
    for theme, n in counts.items():
        assert re.search(rf"\|\s*`?{theme}`?\s*\|\s*{n}\s*\|", readme), f"{theme}: {n} not in data/README.md"
    assert f"{len(labelled)}" in readme
