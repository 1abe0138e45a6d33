"""Retraining: which rows train and which are held out, base labels replaced by reviews, the promotion gate."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from pipeline.calibration import decide
from pipeline.modelstore import read_card
from pipeline.registry import current_version, list_versions
from pipeline.retrain import Rows, build_training_set, compare, held_out, retrain
from pipeline.review import AuditStore, review_key, text_sha256
from pipeline.taxonomy import theme_key

from ._review_helpers import base_corpus, config


def review(aid: str, text: str, themes: list[str], selected: str = "uncertain", who: str = "ann") -> dict[str, Any]:
    return {
        "review_key": review_key(aid, text_sha256(text), themes, who),
        "answer_id": aid,
        "text": text,
        "text_sha256": text_sha256(text),
        "reviewed_themes": themes,
        "selected_as": selected,
        "reviewer": who,
    }


def test_held_out_membership_is_fixed_per_id() -> None:
    ids = [f"x{i}" for i in range(2000)]
    first = [held_out(i, 0.2, "s") for i in ids]
    assert 0.17 < np.mean(first) < 0.23
    assert [held_out(i, 0.2, "s") for i in reversed(ids)] == first[::-1]  # order and data size do not matter
    assert not any(held_out(i, 0.0, "s") for i in ids)


def test_reviewed_label_replaces_base_label_and_random_slice_is_kept_out() -> None:
    ids, texts = ["b1", "b2", "b3"], ["dark park", "no patrols", "slow court"]
    labels = ["light", "patrol", "court"]
    reviews = {
        "b1": review("b1", "dark park", ["light", "patrol"]),
        "b3": review("b3", "slow court", ["patrol"], selected="random"),
        "n9": review("n9", "new answer about lamps", ["light"]),
        "n8": review("n8", "new answer about courts", ["court"], selected="random"),
    }
    ts = build_training_set(ids, texts, labels, ";", reviews, fraction=0.0, salt="s")
    train = dict(zip(ts.train.ids, ts.train.labels, strict=True))
    assert train == {"b1": ["light", "patrol"], "b2": ["patrol"], "n9": ["light"]}
    assert dict(zip(ts.random_slice.ids, ts.random_slice.labels, strict=True)) == {"b3": ["patrol"], "n8": ["court"]}
    assert ts.replaced == 2 and ts.added_reviews == 1
    both = build_training_set(ids, texts, labels, ";", reviews, fraction=0.0, salt="s", hold_out_random_slice=False)
    assert set(both.train.ids) == {"b1", "b2", "b3", "n9", "n8"} and len(both.random_slice.ids) == 2


def test_held_out_rows_are_never_trained_on_and_use_the_reviewed_label() -> None:
    ids = [f"x{i}" for i in range(200)]
    out = next(i for i in ids if held_out(i, 0.3, "s"))
    reviews = {out: review(out, "t", ["court"])}
    ts = build_training_set(ids, ["t"] * 200, ["light"] * 200, ";", reviews, fraction=0.3, salt="s")
    assert out not in ts.train.ids and out in ts.held_out.ids
    assert ts.held_out.labels[ts.held_out.ids.index(out)] == ["court"]
    assert not set(ts.train.ids) & set(ts.held_out.ids)


class Stub:
    """A pipeline stand-in whose predictions are fixed per text."""

    def __init__(self, table: dict[str, list[float]]) -> None:
        self.table = table
        self.named_steps = {"classify": self}

    def predict_proba(self, texts: list[str]) -> np.ndarray:
        return np.array([self.table[t] for t in texts])

    def decide(self, proba: np.ndarray) -> np.ndarray:
        return decide(proba, np.array([0.5, 0.5]), "multilabel")


def _rows(n_wrong: int) -> tuple[Rows, dict[str, list[float]]]:
    rows = Rows()
    table = {}
    for k in range(10):  # the first n_wrong answers are predicted wrong
        t = f"text {k}"
        rows.add(f"h{k}", t, ["a"] if k % 2 else ["b"])
        right = [0.9, 0.1] if k % 2 else [0.1, 0.9]
        table[t] = right[::-1] if k < n_wrong else right
    return rows, table


@pytest.mark.parametrize(
    ("old_wrong", "new_wrong", "tolerance", "promote"),
    [
        (2, 1, 0.01, True),  # better
        (1, 1, 0.0, True),  # equal is not worse
        (1, 2, 0.01, True),  # one answer more wrong of ten: within the noise of the comparison
        (0, 6, 0.01, False),  # worse beyond tolerance and noise
        (0, 6, 0.9, True),  # worse, but within a wide tolerance
    ],
)
def test_promotion_gate(old_wrong: int, new_wrong: int, tolerance: float, promote: bool) -> None:
    rows, t_old = _rows(old_wrong)
    _, t_new = _rows(new_wrong)
    figures, ok, why = compare(
        (Stub(t_old), ["a", "b"], "multilabel"),
        (Stub(t_new), ["a", "b"], "multilabel"),
        {"held_out": rows, "random_review_slice": Rows()},
        tolerance,
        {"held_out": True, "random_review_slice": True},
    )
    assert ok is promote, why
    assert figures["held_out"]["answers"] == 10 and figures["random_review_slice"]["macro_f1_new"] is None


def test_gate_refuses_when_nothing_to_compare_on() -> None:
    _, table = _rows(0)
    _, ok, why = compare(
        (Stub(table), ["a", "b"], "multilabel"),
        (Stub(table), ["a", "b"], "multilabel"),
        {"held_out": Rows()},
        0.01,
        {"held_out": True},
    )
    assert not ok and "no held-out" in why


def test_retrain_versions_gate_and_force(tmp_path: Path) -> None:
    """Real training: v0001 from the base data; poisoned reviews give a worse v0002 that stays unpromoted;
    --force promotes it; honest reviews give a version that is promoted."""
    base = base_corpus(tmp_path / "base.csv")
    # Without theme texts the poisoned version learns only the swapped labels: clearly worse, beyond noise.
    cfg = config(tmp_path, "retrain.held_out_fraction=0.3", "model.theme_texts=false")
    root = cfg.retrain.model
    first = retrain(cfg)
    assert (first.version, first.parent, first.promoted) == ("v0001", None, True)
    assert current_version(root) == "v0001"
    df = pd.read_csv(base, dtype=str, keep_default_na=False)
    swap = {"light": "court", "court": "patrol", "patrol": "light"}
    trained = [i for i in df["id"] if not held_out(i, 0.3, cfg.retrain.held_out_salt)]
    poison = [review(r.id, r.text, [swap[x] for x in r.labels.split(";")]) for r in df.itertuples() if r.id in trained]
    AuditStore(cfg.review.audit_path).append(poison)
    bad = retrain(cfg)
    assert bad.version == "v0002" and bad.parent == "v0001" and not bad.promoted
    assert "scores worse than the current version v0001" in bad.reason and current_version(root) == "v0001"
    assert "held-out answers" in bad.reason and "tolerance of 0.01" in bad.reason
    assert "consult models promote VERSION" in bad.advice and "--force" in bad.advice
    card = read_card(root / "v0002")
    assert card["parent_version"] == "v0001" and card["promotion"]["promoted"] is False
    assert card["reviews"]["base_labels_replaced"] == len(poison) and len(card["training_data"]["sha256"]) == 64
    assert len(card["reviews"]["audit_sha256"]) == 64 and len(card["held_out"]["rows_sha256"]) == 64
    assert card["comparison"]["held_out"]["delta"] < -0.01
    forced = retrain(cfg, force=True)
    assert forced.promoted and forced.version == "v0003" and current_version(root) == "v0003"
    assert list_versions(root) == ["v0001", "v0002", "v0003"]


def test_retrain_keeps_each_base_answers_question(tmp_path: Path) -> None:
    base = base_corpus(tmp_path / "base.csv")
    df = pd.read_csv(base, dtype=str, keep_default_na=False)
    df["question"] = ["Q1" if i % 2 else "Q2" for i in range(len(df))]
    df.to_csv(base, index=False)
    reviews = {
        "n1": review("n1", "lamps out", ["light"]),
        "n2": {**review("n2", "no lamps", ["light"]), "question": "Q1"},
    }
    ts = build_training_set(df["id"], df["text"], df["labels"], ";", reviews, 0.0, "s", True, df["question"])
    assert ts.train.questions == [*df["question"], "", "Q1"]  # reviewed answers outside the base: as recorded
    cfg = config(tmp_path, "retrain.held_out_fraction=0.3", "model.question_min_answers=3")
    AuditStore(cfg.review.audit_path).append([review("n1", "lamps out on my road", ["light"])])
    first = retrain(cfg)
    assert first.card["questions"] == ["Q1", "Q2"]
    second = retrain(cfg)  # scored against a current version that reads questions too
    assert second.comparison["held_out"]["macro_f1_current"] is not None


def test_retrain_with_another_separator_never_splits_a_theme_on_semicolons(tmp_path: Path) -> None:
    # With --sep '|', "court; trials" is one theme: stored under its key (no ';' in it), its name in the card.
    base = base_corpus(tmp_path / "base.csv")
    df = pd.read_csv(base, dtype=str, keep_default_na=False)
    df["labels"] = df["labels"].str.replace("court", "court; trials").str.replace(";patrol", "|patrol")
    df.to_csv(base, index=False)
    cfg = config(tmp_path, 'ingest.label_separator="|"')
    res = retrain(cfg)
    key = theme_key("court; trials")
    assert key in res.card["themes"] and "trials" not in res.card["themes"] and ";" not in key
    assert res.card["theme_names"][key] == "court; trials"
