"""The first pass over an input of any size: every whole-file check, and per answer only hashes and flags.

Chunks are scanned independently (in any process); :func:`combine_scans` joins them and makes the checks
:func:`pipeline.ingest.load_answers` makes on a file held whole (columns, rows, ids present and unique, a text
column that is not numbers), naming the same rows in the same words. Campaign detection gets a
:class:`pipeline.nearcopy.CopyPlan` from the chunks' signatures.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .clean import CLEAN_COLUMNS, clean_texts, copy_state, dedup_keys
from .config import Config
from .entities import EntityExtractor, format_entities
from .errors import ConsultError
from .ingest import _NUMBER, _require_column, _sheet_hint, numbers_only, resolve_columns
from .nearcopy import CopyPlan, CopyState, stable_hash
from .progress import Progress
from .runner import Runner
from .stream import Source, TableWriter


@dataclass
class ChunkScan:
    """What the first pass keeps of a chunk: hashes, flags and a few counts, no text."""

    start: int
    rows: int
    columns: list[str]
    filled_columns: set[str]
    id_hash: np.ndarray
    blank_ids: int
    first_blank_id: int
    """Row number (0-based) of the first answer with no id (-1: none)."""
    texts_filled: int
    texts_numeric: bool
    first_text: str
    state: CopyState
    text_hash: np.ndarray
    """Hash of each cleaned text (0 where the answer is empty or says nothing): NER runs once per text."""


def _column(chunk: pd.DataFrame, name: str) -> pd.Series:
    return chunk[name] if name in chunk.columns else pd.Series([""] * len(chunk), index=chunk.index, dtype=object)


def scan_chunk(chunk: pd.DataFrame, config: Config, lang: str, campaigns: bool = True) -> ChunkScan:
    """First pass over a chunk: the ids and text checks, clean-stage flags and campaign signatures."""
    ic = config.ingest
    ids = _column(chunk, ic.id_column).astype(str).str.strip()
    texts = _column(chunk, ic.text_column).astype(str)
    filled = texts[texts.str.strip() != ""]
    cleaned = clean_texts(texts.tolist(), config.clean, ic.max_cell_chars, lang)
    substantive = ~(cleaned["flag_empty"] | cleaned["flag_non_substantive"]).to_numpy()
    clean_text = cleaned["clean_text"].tolist()
    if campaigns:
        state, _ = copy_state(clean_text, config.clean.duplicate_min_words, substantive)
    else:  # nothing to find: no signatures
        state = CopyState.of([""] * len(chunk), np.zeros(len(chunk), dtype=bool))
    text_hash = np.where(substantive, stable_hash(clean_text), np.uint64(0))
    start = int(chunk.index[0]) if len(chunk) else 0
    return ChunkScan(
        start=start,
        rows=len(chunk),
        columns=[str(c) for c in chunk.columns],
        filled_columns={str(c) for c in chunk.columns if (chunk[c].astype(str).str.strip() != "").any()},
        id_hash=stable_hash(ids.tolist()),
        blank_ids=int((ids == "").sum()),
        first_blank_id=start + int((ids == "").to_numpy().argmax()) if (ids == "").any() else -1,
        texts_filled=len(filled),
        texts_numeric=bool(filled.str.strip().str.match(_NUMBER).all()) if len(filled) else True,
        first_text=str(filled.iloc[0]) if len(filled) else "",
        state=state,
        text_hash=text_hash,
    )


@dataclass
class Scan:
    """The first pass over a whole file."""

    rows: int
    columns: list[str]
    filled_columns: set[str]
    plan: CopyPlan
    text_hash: np.ndarray
    repeated_texts: set[int]
    """Hashes of cleaned texts that occur more than once (their entities are found once and reused)."""

    @property
    def substantive(self) -> int:
        return int((self.text_hash != 0).sum())

    @property
    def distinct_texts(self) -> int:
        return len(np.unique(self.text_hash[self.text_hash != 0]))


def combine_scans(
    scans: list[ChunkScan], path: Path, config: Config, find_id: Callable[[int], list[tuple[int, str]]]
) -> Scan:
    """Join the chunks' scans and make every whole-file check :func:`pipeline.ingest.load_answers` makes.

    ``find_id(hash)`` lists (row, id) of the rows whose id has that hash (only called to name a repeated id)."""
    ic = config.ingest
    columns: list[str] = []
    for s in scans:
        columns += [c for c in s.columns if c not in columns]
    rows = sum(s.rows for s in scans)
    if not columns:
        raise ConsultError(
            f"{path} has no columns", "Give a file whose first row names the columns" + _sheet_hint(path)
        )
    empty = pd.DataFrame(columns=columns)
    _require_column(empty, ic.text_column, "text", "--text-column", path)
    _require_column(empty, ic.id_column, "id", "--id-column", path)
    if rows == 0:
        raise ConsultError(f"{path} has a header but no rows", "Give a file with at least one answer")
    filled = sum(s.texts_filled for s in scans)
    if filled >= 2 and all(s.texts_numeric for s in scans):
        raise numbers_only(path, ic.text_column, next(s.first_text for s in scans if s.texts_filled))
    fix = f"Give every answer its own id in column '{ic.id_column}' (e.g. the row number), or name another --id-column"
    n_blank = sum(s.blank_ids for s in scans)
    if n_blank:
        first_blank = next(s.first_blank_id for s in scans if s.blank_ids)
        raise ConsultError(f"{path} has {n_blank} answer(s) with no id (the first is data row {first_blank + 1})", fix)
    id_hash = np.concatenate([s.id_hash for s in scans])
    uniq, counts = np.unique(id_hash, return_counts=True)
    if (counts > 1).any():
        first_dup = id_hash[np.isin(id_hash, uniq[counts > 1])][0]
        found = find_id(int(first_dup))
        raise ConsultError(
            f"{path} has {int((counts > 1).sum())} id(s) used by several answers: '{found[0][1]}' is on data rows "
            f"{', '.join(str(r + 1) for r, _ in found[:5])}",
            fix,
        )
    del id_hash, uniq, counts
    text_hash = np.concatenate([s.text_hash for s in scans])
    h = text_hash[text_hash != 0]
    uh, uc = np.unique(h, return_counts=True)
    plan = CopyPlan(CopyState.concat([s.state for s in scans]), config.clean.near_duplicate_similarity)
    return Scan(
        rows=rows,
        columns=columns,
        filled_columns=set().union(*(s.filled_columns for s in scans)),
        plan=plan,
        text_hash=text_hash,
        repeated_texts={int(x) for x in uh[uc > 1]},
    )


def open_input(path: Path, config: Config) -> Source:
    return Source(Path(path), sheet=config.ingest.sheet, chunk_rows=config.ingest.chunk_rows, limits=config.ingest)


def scan_file(
    source: Source,
    config: Config,
    lang: str,
    progress: Progress | None = None,
    runner: Runner | None = None,
    campaigns: bool = True,
) -> Scan:
    """The first pass: every input check, and per answer only hashes, flags and signatures."""
    if progress:
        progress.stage("checking", source.estimated_rows())
    ic = config.ingest

    def jobs() -> Iterator[tuple[pd.DataFrame, Config, str, bool]]:
        for n, chunk in enumerate(source.chunks()):
            if n == 0:  # the file's own names for the columns ("your feedback" for "Your feedback")
                resolve_columns([str(c) for c in chunk.columns], ic, source.path)
            yield chunk, config, lang, campaigns

    scans = []
    for s in (runner or Runner()).map(scan_chunk, jobs()):
        scans.append(s)
        if progress:
            progress.tick(s.rows)

    def find_id(h: int) -> list[tuple[int, str]]:
        found = []
        for chunk in source.chunks():
            ids = _column(chunk, ic.id_column).astype(str).str.strip()
            hit = stable_hash(ids.tolist()) == np.uint64(h)
            found += [(int(r), str(v)) for r, v in ids[hit].items()]
        return found

    scan = combine_scans(scans, source.path, config, find_id)
    source.note_blank_columns(scan.columns, scan.filled_columns)
    return scan


@dataclass
class CleanSummary:
    rows: int
    empty: int
    non_substantive: int
    repeats: int


def clean_file(
    input_path: Path, output_path: Path, config: Config, lang: str, progress: Progress | None = None
) -> CleanSummary:
    """The clean stage over a file of any size: the input with the clean-stage columns added, written chunk by
    chunk (see :mod:`pipeline.clean`); campaign copies are found over the whole file."""
    source = open_input(input_path, config)
    scan = scan_file(source, config, lang, progress)
    clash = [c for c in CLEAN_COLUMNS if c in scan.columns]
    if clash:
        raise ConsultError(f"The input already has a column '{clash[0]}' that cleaning adds", "Rename it first")
    summary = CleanSummary(scan.rows, 0, 0, 0)
    if progress:
        progress.stage("cleaning", scan.rows)
    ic = config.ingest
    with scan.plan.resolver() as resolver, TableWriter(output_path, sheet_name="clean") as writer:
        for chunk in source.chunks():
            chunk = chunk.reindex(columns=scan.columns, fill_value="")
            cleaned = clean_texts(
                _column(chunk, ic.text_column).astype(str).tolist(), config.clean, ic.max_cell_chars, lang
            )
            start = int(chunk.index[0])
            need = [i for i in range(len(chunk)) if scan.plan.needs_key[start + i]]
            texts = cleaned["clean_text"].tolist()
            keys = dict(zip((start + i for i in need), dedup_keys([texts[i] for i in need]), strict=True))
            ids = _column(chunk, ic.id_column).astype(str).str.strip()
            cleaned["duplicate_of"] = resolver.feed(start, keys, ids.tolist())
            out = chunk.copy()
            out[ic.id_column] = ids
            for c in cleaned.columns:
                out[c] = cleaned[c].to_numpy()
            writer.write(out)
            summary.empty += int(cleaned["flag_empty"].sum())
            summary.non_substantive += int(cleaned["flag_non_substantive"].sum())
            summary.repeats += int((cleaned["duplicate_of"] != "").sum())
            if progress:
                progress.tick(len(chunk))
    return summary


def entities_file(
    input_path: Path, output_path: Path, config: Config, lang: str, progress: Progress | None = None
) -> tuple[int, int]:
    """Entities of every answer of a file of any size (id, entities, entity_texts), chunk by chunk; only the
    per-answer cleaning runs (no campaign detection), and NER once per distinct text of a chunk.
    Returns (rows, entities found)."""
    source = open_input(input_path, config)
    scan = scan_file(source, config, lang, progress, campaigns=False)
    extractor = EntityExtractor(config.entities)
    if progress:
        progress.stage("entities", scan.rows)
    ic, found = config.ingest, 0
    with TableWriter(output_path, sheet_name="entities") as writer:
        for chunk in source.chunks():
            texts = clean_texts(
                _column(chunk, ic.text_column).astype(str).tolist(), config.clean, ic.max_cell_chars, lang
            )["clean_text"].tolist()
            distinct = sorted({t for t in texts if t})
            by_text = dict(zip(distinct, extractor.extract(distinct), strict=True))
            ents = [by_text.get(t, []) for t in texts]
            out = pd.DataFrame({ic.id_column: _column(chunk, ic.id_column).astype(str).str.strip()})
            out["entities"] = [format_entities(e) for e in ents]
            out["entity_texts"] = ["; ".join(e.text for e in es) for es in ents]
            writer.write(out)
            found += sum(len(e) for e in ents)
            if progress:
                progress.tick(len(chunk))
    return scan.rows, found
