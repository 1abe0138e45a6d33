"""Small statistics for reports: Wilson intervals, two-proportion z-tests, Benjamini-Hochberg.

Plain numpy/scipy so a reader can check each formula against a textbook.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.stats import norm


def z_for(level: float) -> float:
    """Two-sided critical value: 1.959964 for 0.95."""
    return float(norm.ppf(1 - (1 - level) / 2))


def wilson_interval(k: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for the proportion k/n (Wilson 1927; Newcombe 1998, method 3).

    centre = (p + z²/2n) / (1 + z²/n),  half-width = z·sqrt(p(1-p)/n + z²/4n²) / (1 + z²/n).
    ``(nan, nan)`` when n = 0.
    """
    if n <= 0:
        return (math.nan, math.nan)
    z = z_for(level)
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


def two_proportion_z(k1: int, n1: int, k2: int, n2: int) -> tuple[float, float]:
    """Pooled two-proportion z-test of k1/n1 against k2/n2: ``(z, two-sided p)``.

    z = (p1 - p2) / sqrt(p(1-p)(1/n1 + 1/n2)) with p = (k1+k2)/(n1+n2). For a group against the rest of
    the answers this equals the adjusted standardised residual of the group's cell in the 2×G chi-square
    table of theme-present by group. ``(0, 1)`` when the test is undefined (no variance or an empty side).
    """
    if n1 <= 0 or n2 <= 0:
        return (0.0, 1.0)
    p = (k1 + k2) / (n1 + n2)
    var = p * (1 - p) * (1 / n1 + 1 / n2)
    if var <= 0:
        return (0.0, 1.0)
    z = (k1 / n1 - k2 / n2) / math.sqrt(var)
    return (z, float(2 * norm.sf(abs(z))))


def benjamini_hochberg(pvalues: list[float] | np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (q-values), in the input order."""
    p = np.asarray(pvalues, dtype=float)
    m = len(p)
    if m == 0:
        return p
    order = np.argsort(p, kind="stable")
    ranked = p[order] * m / np.arange(1, m + 1)
    q = np.minimum.accumulate(ranked[::-1])[::-1]
    out = np.empty(m)
    out[order] = np.minimum(q, 1.0)
    return out
