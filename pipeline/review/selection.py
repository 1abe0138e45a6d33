"""Choosing which answers to review: the least-sure ones (of a theme, and of the tone when there is one), then a
seeded random slice so that the reviewed set is also an unbiased accuracy sample."""

from __future__ import annotations

import numpy as np

__all__ = ["select_for_review", "tone_uncertainty", "uncertainty"]


def uncertainty(proba: np.ndarray, thresholds: np.ndarray, mode: str) -> tuple[np.ndarray, np.ndarray]:
    """How sure the model is of each row (lower = less sure) and the theme that makes it unsure.

    Multi-label: ``min_j |p_j - threshold_j|``, the distance of the nearest theme to its decision threshold.
    Single-label: the probability of the predicted theme (``thresholds`` holds the class weights).
    """
    proba = np.asarray(proba, dtype=float)
    if len(proba) == 0:
        return np.zeros(0), np.zeros(0, dtype=int)
    if mode == "single":
        d = (proba * np.asarray(thresholds, dtype=float)[None, :]).argmax(axis=1)
        return proba[np.arange(len(proba)), d], d
    gap = np.abs(proba - np.asarray(thresholds, dtype=float)[None, :])
    return gap.min(axis=1), gap.argmin(axis=1)


def tone_uncertainty(tone_proba: np.ndarray) -> np.ndarray:
    """How sure the model is of each row's tone (lower = less sure): the probability of the most probable tone."""
    tone_proba = np.asarray(tone_proba, dtype=float)
    return tone_proba.max(axis=1) if len(tone_proba) else np.zeros(0)


def _interleave(first: np.ndarray, second: np.ndarray, k: int) -> np.ndarray:
    """The first ``k`` distinct rows taking turns from two rankings (first, second, first, ...)."""
    out: list[int] = []
    seen: set[int] = set()
    a, b = iter(first.tolist()), iter(second.tolist())
    turns = [a, b]
    i = 0
    while len(out) < k and turns:
        it = turns[i % len(turns)]
        for r in it:
            if r not in seen:
                seen.add(r)
                out.append(r)
                break
        else:
            turns.remove(it)
            continue
        i += 1
    return np.array(out, dtype=int)


def select_for_review(
    proba: np.ndarray,
    thresholds: np.ndarray,
    mode: str,
    n: int,
    random_share: float,
    seed: int,
    eligible: np.ndarray | None = None,
    tone_proba: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Row positions to review, in order, and whether each came from the random slice.

    ``n - round(n * random_share)`` least-sure eligible rows first (ties keep input order), then
    ``round(n * random_share)`` rows drawn with ``seed`` from the eligible rows left. With ``tone_proba`` the
    least-sure rows take turns: least sure of a theme, least sure of the tone (:func:`tone_uncertainty`), ...
    """
    m = len(proba)
    eligible = np.ones(m, dtype=bool) if eligible is None else np.asarray(eligible, dtype=bool)
    pool = np.flatnonzero(eligible)
    n = min(n, len(pool))
    n_random = int(round(n * random_share))
    score, _ = uncertainty(proba[pool], thresholds, mode)
    order = pool[np.argsort(score, kind="stable")]
    if tone_proba is not None:
        tone_order = pool[np.argsort(tone_uncertainty(np.asarray(tone_proba)[pool]), kind="stable")]
        chosen = _interleave(order, tone_order, n - n_random)
    else:
        chosen = order[: n - n_random]
    rest = np.setdiff1d(pool, chosen)
    rng = np.random.default_rng(seed)
    drawn = rng.choice(rest, size=min(n_random, len(rest)), replace=False) if n_random else np.zeros(0, dtype=int)
    rows = np.concatenate([chosen, np.sort(drawn)]).astype(int)
    is_random = np.concatenate([np.zeros(len(chosen), bool), np.ones(len(drawn), bool)])
    return rows, is_random
