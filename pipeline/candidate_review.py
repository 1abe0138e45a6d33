"""Reviewing a discovered candidate theme: ``consult review export LABELLED --discovery DIR --candidate ID``.

:func:`export_candidate` writes the answers of one candidate of a discovery folder as a review file of the
usual shape (``consult review import`` reads it back), most typical first (nearest the candidate's centre).
Reviewers confirm the new theme by writing its id in ``reviewed_themes`` (or give the right existing themes);
the theme id must be in the taxonomy for the import to accept it: add it with ``consult taxonomy add``.
Each answer is offered once: a campaign copy is not offered (its first answer is, with the number of copies
in ``why``), nor is an answer already in the audit store. Rows are marked ``selected_as = candidate``:
retraining learns from them like any reviewed answer, and they are never part of the random accuracy slice.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .atomic import write_bytes
from .audit import AuditStore, text_sha256
from .config import Config
from .discover import read_discovery
from .errors import ConsultError
from .ingest import question_column_in
from .label import PROB_PREFIX, THEMES_COLUMN, theme_columns
from .modelstore import sha256_file
from .review.sheet import BOOK_COLUMNS, REVIEW_COLUMNS, _now, check_review_output, review_xlsx_bytes, themes_sheet_table
from .tables import read_table, table_format, write_table

__all__ = ["CandidateExport", "export_candidate"]

SELECTED_AS = "candidate"


@dataclass
class CandidateExport:
    rows: pd.DataFrame
    path: Path
    members: int
    skipped_copies: int
    skipped_reviewed: int
    left_for_later: int


def export_candidate(
    labelled_path: Path,
    discovery_dir: Path,
    candidate: str,
    output: Path,
    config: Config,
    *,
    n: int | None = None,
    taxonomy_path: Path | None = None,
    audit_path: Path | None = None,
) -> CandidateExport:
    """Write the answers of ``candidate`` (at most ``n``, most typical first) as a review file."""
    output = Path(output)
    check_review_output(output, labelled_path, n)
    cands, assign, about = read_discovery(Path(discovery_dir))
    if candidate not in set(cands["candidate"]):
        listed = ", ".join(f"{c} ({s})" for c, s in zip(cands["candidate"], cands["suggested_id"], strict=True))
        raise ConsultError(
            f"{discovery_dir} has no candidate '{candidate}' (it has: {listed or 'none'})",
            "Give a candidate id from its candidates.csv, e.g. --candidate C01",
        )
    labelled_path = Path(labelled_path)
    if about.get("input_sha256") and about["input_sha256"] != sha256_file(labelled_path):
        raise ConsultError(
            f"{discovery_dir} was made from another labelled file, or {labelled_path} changed since "
            f"(discovery read {about.get('input_file', '?')})",
            "Export from the labelled file the discovery was run on, or run 'consult discover' again",
        )
    df, _ = read_table(labelled_path, written_by_consult=True)
    idc, txc = config.ingest.id_column, config.ingest.text_column
    themes = theme_columns(df)
    if idc not in df.columns or txc not in df.columns or not themes:
        raise ConsultError(f"{labelled_path} is not a labelled file", "Give the output of 'consult label'")
    asked = question_column_in(list(df.columns), config.ingest)
    row_of = {str(i).strip(): r for r, i in enumerate(df[idc])}
    crow = cands[cands["candidate"] == candidate].iloc[0]
    members = assign[assign["candidate"] == candidate].copy()
    members["similarity"] = pd.to_numeric(members["similarity"], errors="coerce")
    missing = [i for i in members["id"] if i not in row_of]
    if missing:
        raise ConsultError(
            f"{len(missing)} answer(s) of {candidate} are not in {labelled_path} (e.g. {missing[0]})",
            "Export from the labelled file the discovery was run on",
        )
    dup = df["duplicate_of"].fillna("").astype(str).str.strip() if "duplicate_of" in df.columns else None
    is_copy = np.array([bool(dup is not None and dup.iloc[row_of[i]]) for i in members["id"]], dtype=bool)
    n_copies = dup[dup != ""].value_counts() if dup is not None else pd.Series(dtype=int)
    hashes = {i: text_sha256(str(df.at[row_of[i], txc])) for i in members["id"]}
    store = AuditStore(Path(audit_path or config.review.audit_path))
    done = {(r["answer_id"], r["text_sha256"]) for r in store.records()}
    reviewed = np.array([(i, hashes[i]) in done for i in members["id"]], dtype=bool)
    offer = members[~is_copy & ~reviewed].sort_values(["similarity", "id"], ascending=[False, True], kind="stable")
    later = max(0, len(offer) - n) if n is not None else 0
    offer = offer.head(n) if n is not None else offer
    version = ", ".join(sorted({str(v) for v in df.get("model_version", pd.Series(dtype=str)) if str(v)}))
    out_rows = []
    for rec in offer.itertuples(index=False):
        r = row_of[str(rec.id)]
        pred = [t for t in str(df.at[r, THEMES_COLUMN]).split(";") if t]
        probs = "; ".join(
            f"{t} {float(pd.to_numeric(df.at[r, PROB_PREFIX + t], errors='coerce')):.2f}" for t in pred if t in themes
        )
        why = (
            f"candidate {candidate} (suggested id '{crow['suggested_id']}'; keywords: "
            f"{', '.join(str(crow['keywords']).split('; ')[:5])}): similarity {rec.similarity:.2f} to its centre"
        )
        c = int(n_copies.get(str(rec.id), 0))
        if c:
            why += f"; {c} other answer(s) copy this one"
        out_rows.append(
            {
                "id": str(rec.id),
                "text": df.at[r, txc],
                **({"question": str(df.at[r, asked]).strip()} if asked else {}),
                "predicted_themes": ";".join(pred),
                "probabilities": probs,
                "why": why,
                "reviewed_themes": "",
                "reviewer": "",
                "notes": "",
                "selected_as": SELECTED_AS,
                "model_version": version,
                "text_sha256": hashes[str(rec.id)],
                "labelled_file": str(labelled_path),
            }
        )
    columns = REVIEW_COLUMNS[:2] + (["question"] if asked else []) + REVIEW_COLUMNS[2:] + BOOK_COLUMNS
    table = pd.DataFrame(out_rows, columns=columns)
    if table_format(output) == "csv":
        write_table(table, output)
    else:
        theme_sheet = themes_sheet_table(themes, {"theme_names": {}, "themes_left_out": {}}, taxonomy_path)
        sid = str(crow["suggested_id"])
        if sid not in set(theme_sheet["id"]):
            extra = {
                "id": sid,
                "name": sid,
                "definition": f"Candidate {candidate} of {discovery_dir}; keywords: {crow['keywords']}",
                "in_model": "no: add it with 'consult taxonomy add' before importing reviews that use it",
            }
            theme_sheet = pd.concat([theme_sheet, pd.DataFrame([extra])], ignore_index=True)
        about_sheet = pd.DataFrame(
            [
                ("labelled_file", str(labelled_path)),
                ("labelled_sha256", sha256_file(labelled_path)),
                ("discovery", str(discovery_dir)),
                ("candidate", candidate),
                ("suggested_id", sid),
                ("model_version", version),
                ("created", _now()),
                ("answers", str(len(table))),
                (
                    "how to review",
                    f"These answers were grouped as candidate {candidate}. Where an answer belongs to the new theme, "
                    f"write its id ('{sid}', or the id you gave it in the taxonomy) in reviewed_themes; otherwise the "
                    "right existing theme ids, separated by ';'. Put your name in reviewer. Leave reviewed_themes "
                    "empty to skip an answer. Do not edit the columns after notes.",
                ),
            ],
            columns=["key", "value"],
        )
        write_bytes(output, review_xlsx_bytes(table, theme_sheet, about_sheet))
    return CandidateExport(
        rows=table,
        path=output,
        members=len(members),
        skipped_copies=int(is_copy.sum()),
        skipped_reviewed=int((~is_copy & reviewed).sum()),
        left_for_later=later,
    )
