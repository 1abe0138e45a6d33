"""Near-copy candidates in linear time: MinHash signatures of word-pair shingles, banded (LSH).

Two folded answers that nearly repeat each other share most of their word pairs, so they agree on most
MinHash values and, with high probability, on every value of at least one band. Answers that share a band
are *candidates*; only candidates get the exact rapidfuzz check (:func:`pipeline.clean.find_duplicates`).
Everything here is per row and deterministic across processes and machines (SipHash with a fixed key, fixed seeds),
so signatures computed on different Dask workers meet in the same buckets.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from rapidfuzz import fuzz

BANDS = 20
ROWS = 4
PER_BUCKET = 8
"""An answer is compared with at most the first ``PER_BUCKET`` earlier answers of each bucket it falls in (a
campaign of thousands of copies then costs a few checks per copy, not thousands)."""

_rng = np.random.default_rng(20261201)
_A = (_rng.integers(1, 2**63, size=BANDS * ROWS, dtype=np.uint64) << np.uint64(1)) | np.uint64(1)  # odd
_B = _rng.integers(0, 2**63, size=BANDS * ROWS, dtype=np.uint64)
_MIX = (np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB))
_BAND_MULT = np.array([0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0xD6E8FEB86659FD93], dtype=np.uint64)


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: spreads the bits of each 64-bit key."""
    x = x ^ (x >> np.uint64(30))
    x = x * _MIX[0]
    x = x ^ (x >> np.uint64(27))
    x = x * _MIX[1]
    return x ^ (x >> np.uint64(31))


def _shingles(keys: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """(hashes of every word pair of every key, start offset of each key's run); a one-word key is its word."""
    words_per_key = [k.split() for k in keys]
    flat = [w for ws in words_per_key for w in ws]
    h = stable_hash(flat) >> np.uint64(32)
    lens = np.fromiter((len(ws) for ws in words_per_key), dtype=np.int64, count=len(keys))
    ends = np.cumsum(lens)
    starts = ends - lens
    pair_ok = np.ones(len(flat), dtype=bool)
    pair_ok[np.maximum(ends - 1, 0)[lens > 0]] = False  # the last word of a key starts no pair
    nxt = np.empty_like(h)
    nxt[:-1], nxt[-1:] = h[1:], 0
    pairs = (h << np.uint64(32)) | nxt
    single = lens == 1
    pair_ok[starts[single]] = True  # a one-word key: the word, paired with nothing
    pairs[starts[single]] = h[starts[single]]
    owner = np.repeat(np.arange(len(keys)), lens)[pair_ok]
    counts = np.bincount(owner, minlength=len(keys))
    return _mix(pairs[pair_ok]), np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)


def signatures(keys: Sequence[str], block: int = 2000) -> np.ndarray:
    """Band hashes, shape (len(keys), BANDS), uint64, of non-empty folded keys."""
    out = np.zeros((len(keys), BANDS), dtype=np.uint64)
    for s in range(0, len(keys), block):
        part = keys[s : s + block]
        h, offsets = _shingles(part)
        if len(h) == 0:
            continue
        with np.errstate(over="ignore"):
            values = (_A[:, None] * h[None, :] + _B[:, None]) >> np.uint64(32)  # (BANDS*ROWS, shingles)
        mins = np.minimum.reduceat(values, offsets, axis=1).T.reshape(len(part), BANDS, ROWS)
        with np.errstate(over="ignore"):
            out[s : s + len(part)] = (mins * _BAND_MULT[None, None, :]).sum(axis=2, dtype=np.uint64)
    return out


def candidate_codes(bands: np.ndarray, rows: np.ndarray | None = None, per_bucket: int = PER_BUCKET) -> np.ndarray:
    """Pairs (later, earlier) of positions in ``rows`` (default: every row of ``bands``) whose rows share a band,
    each once, as one sorted int64 array of ``later * len(rows) + earlier``. Rows are in input order; in each
    bucket a row is paired with the first ``per_bucket`` rows before it."""
    m = len(bands) if rows is None else len(rows)
    code = np.zeros(0, dtype=np.int64)  # later * m + earlier, sorted, each pair once
    pos = np.arange(m)
    for j in range(bands.shape[1] if m else 0):
        column = bands[:, j] if rows is None else bands[rows, j]  # one band at a time: no copy of them all
        order = np.argsort(column, kind="stable")
        v = column[order]
        del column
        new = np.ones(m, dtype=bool)
        new[1:] = v[1:] != v[:-1]
        first = np.maximum.accumulate(np.where(new, pos, 0))
        del v, new
        found = []
        for o in range(per_bucket):
            ok = first + o < pos
            if not ok.any():
                break
            found.append(order[pos[ok]].astype(np.int64) * m + order[first[ok] + o])
        del order, first
        if found:  # merged band by band: only the distinct pairs are ever held, not one copy per band
            fresh = np.concatenate(found)
            del found
            fresh = _sorted_distinct(fresh)
            if len(code):  # only pairs no earlier band gave (most pairs share several bands)
                at = np.minimum(np.searchsorted(code, fresh), len(code) - 1)
                fresh = fresh[code[at] != fresh]
                del at
            merged = np.concatenate([code, fresh])
            del code, fresh
            merged.sort(kind="stable")  # two sorted runs, merged
            code = merged
    return code


def _sorted_distinct(a: np.ndarray) -> np.ndarray:
    """Sort ``a`` in place and return its distinct values (by sorting: numpy's hash-based ``unique`` is many times
    slower here)."""
    a.sort(kind="stable")  # runs already sorted are merged, not sorted again
    keep = np.ones(len(a), dtype=bool)
    keep[1:] = a[1:] != a[:-1]
    return a[keep]


def stable_hash(texts: Sequence[str]) -> np.ndarray:
    """64-bit hashes of texts, the same in every process (pandas' SipHash with a fixed key)."""
    return pd.util.hash_array(np.asarray(texts, dtype=object)).astype(np.uint64)


@dataclass
class CopyState:
    """What campaign detection keeps per answer: no text, 8 + 1 + 4 × BANDS bytes."""

    key_hash: np.ndarray
    """Hash of the case- and punctuation-folded text."""
    ok: np.ndarray
    """The answer is substantive and long enough (``min_words``) to count as a copy."""
    bands: np.ndarray
    """(rows, BANDS) uint32 band hashes; zeros where not ``ok``."""

    @classmethod
    def of(cls, keys: Sequence[str], ok: np.ndarray) -> CopyState:
        bands = np.zeros((len(keys), BANDS), dtype=np.uint32)
        rows = np.flatnonzero(ok)
        if len(rows):
            bands[rows] = (signatures([keys[int(i)] for i in rows]) >> np.uint64(32)).astype(np.uint32)
        return cls(stable_hash(keys), np.asarray(ok, dtype=bool), bands)

    @classmethod
    def concat(cls, parts: Sequence[CopyState]) -> CopyState:
        """The parts joined, in order; each part's arrays are emptied as they are copied, so that a million rows'
        signatures are never held twice."""
        n = sum(len(p.ok) for p in parts)
        out = cls(np.zeros(n, np.uint64), np.zeros(n, bool), np.zeros((n, BANDS), np.uint32))
        at = 0
        for p in parts:
            k = len(p.ok)
            out.key_hash[at : at + k], out.ok[at : at + k], out.bands[at : at + k] = p.key_hash, p.ok, p.bands
            p.key_hash, p.ok, p.bands = out.key_hash[:0], out.ok[:0], out.bands[:0]
            at += k
        return out


class CopyPlan:
    """Exact repeats and near-copy candidate pairs of a whole file, from its :class:`CopyState`."""

    def __init__(self, state: CopyState, similarity: float, per_bucket: int = PER_BUCKET) -> None:
        n = len(state.ok)
        self.similarity = similarity
        rows = np.flatnonzero(state.ok)
        self.first = np.arange(n)  # per row: the first row with the same folded text (itself if none)
        order = rows[np.argsort(state.key_hash[rows], kind="stable")]
        h = state.key_hash[order]
        new = np.ones(len(order), dtype=bool)
        new[1:] = h[1:] != h[:-1]
        self.first[order] = order[np.maximum.accumulate(np.where(new, np.arange(len(order)), 0))]
        # Row numbers in the narrowest type that holds them: at a million answers there are millions of pairs.
        row_type = np.int32 if n < 2**31 else np.int64
        cands = rows[self.first[rows] == rows].astype(row_type)
        code = np.zeros(0, dtype=np.int64)
        if similarity < 100 and len(cands) > 1:
            code = candidate_codes(state.bands, cands, per_bucket)
        later, earlier = np.empty(len(code), dtype=row_type), np.empty(len(code), dtype=row_type)
        m = max(len(cands), 1)
        for s in range(0, len(code), 1 << 20):  # in blocks: no int64 copy of all the pairs at once
            block = code[s : s + (1 << 20)]
            later[s : s + len(block)] = cands[block // m]
            earlier[s : s + len(block)] = cands[block % m]
        del code
        self.earlier = earlier
        self._starts = np.searchsorted(later, np.arange(n + 1))  # pairs of row i: [_starts[i], _starts[i+1])
        self.keep_key = np.zeros(n, dtype=bool)
        self.keep_key[earlier] = True
        self.needs_key = self.keep_key.copy()  # the resolver reads the folded text of these rows only
        self.needs_key[later] = True
        del later, earlier
        self.heads_repeats = np.zeros(n, dtype=bool)  # the first of a group of exact repeats
        self.heads_repeats[self.first[self.first != np.arange(n)]] = True
        self.may_be_root = self.keep_key | self.heads_repeats
        self.n = n

    def earlier_of(self, row: int) -> np.ndarray:
        return self.earlier[self._starts[row] : self._starts[row + 1]]

    def resolver(self) -> Resolver:
        return Resolver(self)


SPILL_BYTES = 16 << 20
"""Beyond this many bytes, each of the resolver's stores (folded texts, ids) goes on in an unnamed temporary file."""


class TextStore:
    """Texts by row number, appended in row order: in memory up to ``spill_bytes``, then in an unnamed temporary
    file (deleted when closed, never visible by name) read back by offset, so that memory holds 12 bytes per row
    rather than the texts of a million answers."""

    def __init__(self, n: int, spill_bytes: int | None = None) -> None:
        self._offset = np.zeros(n, dtype=np.int64)
        self._length = np.zeros(n, dtype=np.int32)
        self._buf = bytearray()
        self._buf_start = 0  # file offset of the buffer's first byte
        self._file: Any = None
        self.spill_bytes = SPILL_BYTES if spill_bytes is None else spill_bytes

    def put(self, row: int, text: str) -> None:
        data = text.encode("utf-8", "surrogatepass")
        self._offset[row], self._length[row] = self._buf_start + len(self._buf), len(data)
        self._buf += data
        if len(self._buf) > self.spill_bytes:
            if self._file is None:
                self._file = tempfile.TemporaryFile()  # noqa: SIM115 (closed by close())
            self._file.seek(0, 2)
            self._file.write(self._buf)
            self._buf_start += len(self._buf)
            self._buf = bytearray()

    def get(self, row: int) -> str:
        off, n = int(self._offset[row]), int(self._length[row])
        if off >= self._buf_start:
            data = bytes(self._buf[off - self._buf_start : off - self._buf_start + n])
        else:
            self._file.seek(off)
            data = self._file.read(n)
        return data.decode("utf-8", "surrogatepass")

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


class Resolver:
    """Walks the answers in input order and gives each the id of the first earlier answer it repeats exactly
    or nearly (rapidfuzz ratio on folded text, candidates only); keeps the folded text and id of only those
    answers that a later one may point at, in :class:`TextStore` s (memory, then a temporary file)."""

    def __init__(self, plan: CopyPlan) -> None:
        self.plan = plan
        self.root = np.arange(plan.n)
        self.keys = TextStore(plan.n)
        self.ids = TextStore(plan.n)

    def feed(self, start: int, keys: dict[int, str], ids: Sequence[str]) -> list[str]:
        """``duplicate_of`` for rows ``start .. start + len(ids)``, which must come in order; ``keys`` holds the
        folded text of (at least) the rows of ``plan.needs_key``, by row number."""
        p, root, out = self.plan, self.root, []
        for k, id_ in enumerate(ids):
            i = start + k
            f = p.first[i]
            if f != i:
                root[i] = root[f]
            elif p._starts[i + 1] > p._starts[i]:
                key = keys[i]
                for b in p.earlier_of(i).tolist():
                    if fuzz.ratio(key, self.keys.get(b), score_cutoff=p.similarity):
                        root[i] = root[b]
                        break
            if p.keep_key[i]:
                self.keys.put(i, keys[i])
            if p.may_be_root[i]:
                self.ids.put(i, id_)
            r = root[i]
            out.append("" if r == i else self.ids.get(r))
        return out

    def close(self) -> None:
        """Delete the temporary files of kept texts and ids, if there are any."""
        self.keys.close()
        self.ids.close()

    def __enter__(self) -> Resolver:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
