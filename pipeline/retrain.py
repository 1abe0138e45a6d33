"""Retraining on reviewed answers, with a promotion gate.

:func:`retrain` trains a new version of a registry's model on:
  * the base labelled answers (``retrain.base_data``), minus the fixed held-out set, where a reviewed label
    replaces the base label of the same answer id;
  * every other reviewed answer in the audit store (its latest review), except — by default — the random
    review slice, which is kept as a test set (``retrain.hold_out_random_slice``).

The held-out set is fixed per answer id (see ``RetrainConfig.held_out_fraction``), never trained on by any
version, and scored with its reviewed label where there is one. The new version is written to
``models/<name>/vNNNN/`` with its parent version and data hashes in the card, and becomes current only when
its macro-F1 is not lower than the current version's by more than ``retrain.tolerance`` on the held-out set
and (once it has ``retrain.min_random_slice`` answers) on the random review slice; ``force`` overrides.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from . import evaluate as ev
from .card import model_card, tone_card
from .config import Config
from .entities import spacy_language
from .features import pipeline_input
from .ingest import load_answers
from .modelstore import current_version, is_model_dir, load_model, read_card
from .provenance import sha256_file
from .registry import adopt_plain_model, promote, save_version
from .review import AuditStore, latest_reviews, text_sha256
from .taxonomy import Taxonomy, split_label_names, split_labels, taxonomy_for, theme_key
from .tone import read_tones
from .train import attach_tone, train_model, train_tone
from .trainingdata import label_matrix, prepare_training_data, tone_training_data

Progress = Callable[[str], None]

__all__ = ["RetrainResult", "build_training_set", "held_out", "retrain"]


def held_out(answer_id: str, fraction: float, salt: str) -> bool:
    """Whether an answer id belongs to the fixed held-out set (a hash of the id, so it never moves)."""
    if fraction <= 0:
        return False
    h = hashlib.sha256(f"{salt}:{answer_id}".encode()).digest()
    return int.from_bytes(h[:8], "big") / 2**64 < fraction


@dataclass
class Rows:
    ids: list[str] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    labels: list[list[str]] = field(default_factory=list)
    questions: list[str] = field(default_factory=list)
    """The question each answer responds to ("" when not known)."""
    tones: list[str] = field(default_factory=list)
    """The tone of each answer ("" when not known)."""

    def add(self, i: str, text: str, labels: list[str], question: str = "", tone: str = "") -> None:
        self.ids.append(i)
        self.texts.append(text)
        self.labels.append(labels)
        self.questions.append(question)
        self.tones.append(tone)

    def sha256(self) -> str:
        h = hashlib.sha256()
        for i, t, lab in zip(self.ids, self.texts, self.labels, strict=True):
            h.update(f"{i}\x1f{text_sha256(t)}\x1f{';'.join(sorted(lab))}\n".encode())
        return h.hexdigest()


@dataclass
class TrainingSet:
    train: Rows
    held_out: Rows
    random_slice: Rows
    replaced: int
    added_reviews: int
    replaced_text_differs: list[str]


def build_training_set(
    ids: Sequence[str],
    texts: Sequence[str],
    labels: Sequence[str],
    sep: str,
    reviews: dict[str, dict[str, Any]],
    fraction: float,
    salt: str,
    hold_out_random_slice: bool = True,
    questions: Sequence[str] | None = None,
    tones: Sequence[str] | None = None,
    taxonomy: Taxonomy | None = None,
) -> TrainingSet:
    """Split base rows and reviews into training rows, the held-out set and the random review slice.
    Base rows keep their ``questions``; reviewed answers not in the base data keep the question recorded with
    the review (none, "", for reviews of files without a question column). A review's ``reviewed_tone``, when
    given, replaces the base row's tone (``tones``, "" = none); else the base tone stays."""
    train, hold, rand = Rows(), Rows(), Rows()
    replaced = 0
    differs = []
    base_ids = set()
    asked = [""] * len(ids) if questions is None else [str(q) for q in questions]
    base_tones = [""] * len(ids) if tones is None else [str(x) for x in tones]
    for i, t, cell, q, tone in zip(ids, texts, labels, asked, base_tones, strict=True):
        i = str(i)
        base_ids.add(i)
        lab = split_labels(cell, sep, taxonomy)
        rev = reviews.get(i)
        if rev is not None:
            lab = list(rev["reviewed_themes"])
            tone = str(rev.get("reviewed_tone") or tone)
            replaced += 1
            if rev["text_sha256"] != text_sha256(t):
                differs.append(i)
        if held_out(i, fraction, salt):
            hold.add(i, str(t), lab, q, tone)
        elif rev is not None and rev.get("selected_as") == "random" and hold_out_random_slice:
            rand.add(i, str(t), lab, q, tone)
        else:
            train.add(i, str(t), lab, q, tone)
            if rev is not None and rev.get("selected_as") == "random":
                rand.add(i, str(t), lab, q, tone)
    added = 0
    for i, rev in reviews.items():
        if i in base_ids:
            continue
        row = (
            i,
            rev["text"],
            list(rev["reviewed_themes"]),
            str(rev.get("question", "")),
            str(rev.get("reviewed_tone") or ""),
        )
        if rev.get("selected_as") == "random":
            rand.add(*row)
            if hold_out_random_slice:
                continue
        train.add(*row)
        added += 1
    return TrainingSet(train, hold, rand, replaced, added, differs)


def _macro_f1(model_themes: list[str], pred: np.ndarray, truth: list[list[str]], mode: str) -> float | None:
    """Macro-F1 of a model's predictions against theme lists, over the themes present in the truth."""
    if not truth:
        return None
    space = sorted({t for lab in truth for t in lab} | set(model_themes))
    col = {t: j for j, t in enumerate(space)}
    Yt = label_matrix(truth, space)
    Yp = np.zeros_like(Yt)
    for j, t in enumerate(model_themes):
        Yp[:, col[t]] = pred[:, j]
    m = "single" if mode == "single" and bool((Yt.sum(1) == 1).all()) else "multilabel"
    return float(ev.headline(ev.score(Yt, Yp, space, m, bootstrap=0))["macro_f1"])


def _paired_se(old: tuple[Any, list[str], str], new: tuple[Any, list[str], str], rows: Rows, seed: int = 0) -> float:
    """Standard error of the difference in macro-F1 between two versions on the same answers (paired
    bootstrap): how much of a difference could be noise."""
    space = sorted({t for lab in rows.labels for t in lab} | set(old[1]) | set(new[1]))
    col = {t: j for j, t in enumerate(space)}
    Yt = label_matrix(rows.labels, space)
    preds = []
    for pipe, themes, _ in (new, old):
        Yp = np.zeros_like(Yt)
        p = _predict(pipe, rows)
        for j, t in enumerate(themes):
            Yp[:, col[t]] = p[:, j]
        preds.append(Yp)
    m = "single" if new[2] == "single" and bool((Yt.sum(1) == 1).all()) else "multilabel"
    boot = ev.paired_bootstrap_macro_f1(Yt, preds, m, seed=seed)
    return float(np.std(boot[0] - boot[1]))


def _predict(pipe: Any, rows: Rows) -> np.ndarray:
    if not rows.texts:
        return np.zeros((0, 0), dtype=np.int8)
    clf = pipe.named_steps["classify"]
    return clf.decide(pipe.predict_proba(pipeline_input(pipe, rows.texts, rows.questions)))


@dataclass
class RetrainResult:
    version: str
    parent: str | None
    promoted: bool
    reason: str
    advice: str
    comparison: dict[str, Any]
    card: dict[str, Any]


def promotion_decision(
    parent: str | None, ok: bool, force: bool, why: str, tolerance: float, parent_saw_held_out: bool = False
) -> tuple[bool, str, str]:
    """Whether the new version becomes current, why in plain words, and what to do next."""
    if parent is None:
        return True, "it is the first version of this registry (trained without the held-out answers)", ""
    if parent_saw_held_out and ok:
        return (
            True,
            f"{parent} was adopted from a plain model folder and may have trained on the held-out answers, so a "
            f"comparison on them would unfairly favour it; the new version, trained without them, replaces it ({why})"
            if why
            else f"{parent} was adopted from a plain model folder and may have trained on the held-out answers, so "
            "comparing on them would unfairly favour it; the new version, trained without them, replaces it",
            "",
        )
    if ok:
        return (
            True,
            f"it scores no worse than {parent} (within the tolerance of {tolerance}, retrain.tolerance): {why}",
            "",
        )
    if force:
        return True, f"--force was given, although {why}", "Roll back with 'consult models rollback' if it labels worse"
    return (
        False,
        f"it scores worse than the current version {parent}, by more than the tolerance of {tolerance} "
        f"(retrain.tolerance) and the noise of the comparison: {why}",
        "Review more answers (a model learns most from the answers it gets wrong) and retrain; or make it current "
        "anyway with 'consult models promote VERSION', or retrain with --force",
    )


SET_WORDS = {
    "held_out": "held-out answers (no version trains on them)",
    "random_review_slice": "answers of the random review slice",
}


def compare(
    old: tuple[Any, list[str], str] | None,
    new: tuple[Any, list[str], str],
    sets: dict[str, Rows],
    tolerance: float,
    gated: dict[str, bool],
) -> tuple[dict[str, Any], bool, str]:
    """Score old and new on each set; return the figures, whether new may become current, and why."""
    figures: dict[str, Any] = {"tolerance": tolerance}
    ok = True
    why = []
    for name, rows in sets.items():
        f_new = _macro_f1(new[1], _predict(new[0], rows), rows.labels, new[2]) if rows.ids else None
        f_old = _macro_f1(old[1], _predict(old[0], rows), rows.labels, old[2]) if old and rows.ids else None
        figures[name] = {
            "answers": len(rows.ids),
            "macro_f1_new": f_new,
            "macro_f1_current": f_old,
            "gated": gated[name],
            "rows_sha256": rows.sha256(),
        }
        if f_new is None or f_old is None:
            continue
        delta = f_new - f_old
        se = _paired_se(old, new, rows) if old is not None else 0.0
        figures[name]["delta"] = round(delta, 4)
        figures[name]["standard_error"] = round(se, 4)
        # Worse only when lower by more than the tolerance plus one standard error of the difference: a change
        # smaller than its own noise (a few reviews that agree with the model) does not block promotion.
        if gated[name] and delta < -(tolerance + se):
            ok = False
            why.append(
                f"on the {len(rows.ids)} {SET_WORDS[name]} it scores macro-F1 {f_new:.3f} against {f_old:.3f}, "
                f"lower by {-delta:.3f}, more than the noise of that comparison (one standard error, {se:.3f})"
            )
        elif gated[name]:
            why.append(
                f"on the {len(rows.ids)} {SET_WORDS[name]} it scores macro-F1 {f_new:.3f} against {f_old:.3f}"
                + (f" (a difference within the tolerance plus one standard error, {se:.3f})" if delta < 0 else "")
            )
    if old is not None and not any(figures[n].get("delta") is not None and gated[n] for n in sets):
        ok = False
        why.append(
            "there are no held-out or random-slice answers both versions can be compared on (raise "
            "retrain.held_out_fraction, or review more answers with a random slice)"
        )
    return figures, ok, "; ".join(why)


def retrain(
    config: Config,
    *,
    model_root: Path | None = None,
    base_path: Path | None = None,
    audit_path: Path | None = None,
    taxonomy_path: Path | None = None,
    force: bool = False,
    use_reviews: bool = True,
    progress: Progress | None = None,
) -> RetrainResult:
    """Train, save and (if not worse beyond tolerance, or ``force``) promote a new version.

    The taxonomy is ``taxonomy_path``, else the workspace's ``project.taxonomy``, else the one the current
    version was trained with (its card keeps names, definitions and examples), so retraining learns from the
    same theme texts as ``train`` and ``demo`` did. ``use_reviews=False`` trains on the base data alone (the
    demo's first version)."""
    say = progress or (lambda _msg: None)
    rc = config.retrain
    root = Path(model_root or rc.model)
    given_base = base_path
    base_path = Path(base_path or rc.base_data)
    audit = AuditStore(Path(audit_path or config.review.audit_path))
    if is_model_dir(root):
        adopt_plain_model(root)
        say(f"{root} was a single model; it is now version v0001 of a registry (current)")
    parent = current_version(root) if root.exists() else None
    ic = config.ingest
    taxonomy_path = taxonomy_path or config.project.taxonomy
    parent_card = read_card(root / parent) if parent is not None else {}
    taxonomy: Taxonomy | None = taxonomy_for(taxonomy_path or None, parent_card)
    if taxonomy is not None and not taxonomy_path:
        say(f"using the taxonomy {parent} was trained with ({len(taxonomy.themes)} themes, from its model card)")
    trained_on = Path(str((parent_card.get("training_data") or {}).get("path") or ""))
    if given_base is None and not base_path.is_file() and parent_card and trained_on.is_file():
        say(f"{base_path} not found: using {trained_on}, the base data {parent} was trained on")
        base_path = trained_on
    answers = load_answers(base_path, ic, require_labels=True)
    records = audit.records() if use_reviews else []
    reviews = latest_reviews(records)
    tone_cells = (
        read_tones(answers.df[ic.tone_column].tolist(), ic) if ic.tone_column and ic.tone_column in answers.df else None
    )
    ts = build_training_set(
        answers.ids,
        answers.texts,
        answers.df[ic.labels_column].tolist(),
        ic.label_separator,
        reviews,
        rc.held_out_fraction,
        rc.held_out_salt,
        rc.hold_out_random_slice,
        answers.questions,
        tones=tone_cells.tones if tone_cells else None,
        taxonomy=taxonomy,
    )
    say(
        f"{len(ts.train.ids)} training answers ({ts.replaced} base labels replaced by reviews, {ts.added_reviews} "
        f"reviewed answers added); held out: {len(ts.held_out.ids)}; random review slice: {len(ts.random_slice.ids)}"
    )
    if ts.replaced_text_differs:
        say(
            f"{len(ts.replaced_text_differs)} reviewed answer(s) share an id with a base answer whose text differs; "
            "the review replaced the base label (ids are the key)"
        )
    lang = spacy_language(config.entities.spacy_model)
    data = prepare_training_data(
        ts.train.ids,
        ts.train.texts,
        ["\n".join(lab) for lab in ts.train.labels],  # no theme holds a line break; any other separator could
        "\n",
        taxonomy,
        config.model.min_label_count,
        source="the base data and reviews",
        questions=ts.train.questions if any(ts.train.questions) else None,
    )
    # Names people know the themes by: the taxonomy's, else the labels as the base data writes them, else the
    # parent's card (a theme only reviews gave is known by its key).
    written = {
        theme_key(n): n
        for cell in answers.df[ic.labels_column].tolist()
        for n in split_label_names(cell, ic.label_separator, taxonomy.lookup() if taxonomy else ())
    }
    previous = parent_card.get("theme_names") or {}
    known = {t.key: t.label for t in taxonomy.themes} if taxonomy else {}
    data.theme_names = {t: known.get(t) or written.get(t) or previous.get(t, t) for t in data.themes}
    pipe, report = train_model(data, config, lang, progress)
    tone, tone_block = None, None
    if any(ts.train.tones):
        tone_data = tone_training_data(
            ts.train.ids,
            ts.train.texts,
            ts.train.tones,
            config.model.min_label_count,
            ts.train.questions if any(ts.train.questions) else None,
            source="the base data and reviews",
        )
        tone, tone_report = train_tone(tone_data, config, lang, progress, pipe.named_steps["features"])
        tone_block = tone_card(
            tone_data, tone_report, ic.tone_column, ic.tone_rule, tone_cells.unreadable if tone_cells else 0
        )
        tone_block["reviewed_tones"] = sum(1 for r in reviews.values() if r.get("reviewed_tone"))
    else:
        say("no tone in the base data or the reviews: the new version has themes only")
    attach_tone(pipe, tone)
    old = None
    if parent is not None:
        om = load_model(root / parent)
        old = (om.pipeline, om.themes, om.mode)
    sets = {"held_out": ts.held_out, "random_review_slice": ts.random_slice}
    # A version adopted from a plain model directory may have trained on the held-out answers: comparing on them
    # would favour it, so the held-out set does not gate against it.
    parent_saw_held_out = bool(parent_card.get("adopted"))
    gated = {
        "held_out": not parent_saw_held_out,
        "random_review_slice": rc.hold_out_random_slice and len(ts.random_slice.ids) >= rc.min_random_slice,
    }
    figures, ok, why = compare(old, (pipe, data.themes, report["mode"]), sets, rc.tolerance, gated)
    card = model_card(
        pipe,
        data,
        report,
        lang=lang,
        config=config,
        data_path=base_path,
        rows=len(answers.df),
        taxonomy=taxonomy,
        taxonomy_path=taxonomy_path,
        tone=tone_block,
        training_data={"training_rows_sha256": ts.train.sha256()},
        parent_version=parent,
        reviews={
            "audit_path": str(audit.path),
            "audit_sha256": sha256_file(audit.path) if audit.path.is_file() else None,
            "records": len(records),
            "answers_reviewed": len(reviews),
            "base_labels_replaced": ts.replaced,
            "reviewed_answers_added": ts.added_reviews,
            "last_entry_sha256": records[-1]["entry_sha256"] if records else None,
        },
        held_out={
            "fraction": rc.held_out_fraction,
            "salt": rc.held_out_salt,
            "answers": len(ts.held_out.ids),
            "rows_sha256": ts.held_out.sha256(),
        },
        comparison=figures,
    )
    if parent_saw_held_out and not any(gated[n] and figures[n].get("delta") is not None for n in sets):
        ok, why = True, ""  # nothing fair to compare on: the version trained without the held-out answers wins
    promoted, reason, advice = promotion_decision(parent, ok, force, why, rc.tolerance, parent_saw_held_out)
    card["promotion"] = {"promoted": promoted, "reason": reason, "advice": advice}
    version = save_version(pipe, card, root)
    if promoted:
        promote(root, version, reason)
    return RetrainResult(
        version=version,
        parent=parent,
        promoted=promoted,
        reason=reason,
        advice=advice,
        comparison=figures,
        card={**card, "version": version},
    )
