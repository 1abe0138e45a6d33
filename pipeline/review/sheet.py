"""The review sheet: writing the answers to review (XLSX or CSV) and reading the verdicts back.

Export (:func:`export_for_review`) reads a labelled file and the card of the model that labelled it, asks
:mod:`pipeline.review.selection` which answers to offer (every safeguarding flag first), and writes the sheet:
the answers, a themes sheet (the ids a reviewer may give) and an about sheet. A copy-and-paste campaign answer
(``duplicate_of`` set) is never offered: its first copy is. Answers already in the audit store are not offered
again.

Import (:func:`import_reviews`) checks every row before writing anything (known id, unchanged text, known
theme ids or names, a reviewer, no conflicting verdicts) and appends the accepted reviews to the audit store
(:class:`pipeline.audit.AuditStore`). Importing the same file twice adds nothing.
"""

from __future__ import annotations

import datetime as dt
import io
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from openpyxl import load_workbook
from openpyxl.styles import Alignment, Font
from openpyxl.worksheet.datavalidation import DataValidation

from ..atomic import write_bytes
from ..audit import AuditStore, review_key, text_sha256
from ..config import Config
from ..errors import ConsultError
from ..guards import check_output_path
from ..ingest import question_column_in
from ..label import PROB_PREFIX, SAFEGUARDING_FLAG, SAFEGUARDING_REASON, THEMES_COLUMN, as_bool, theme_columns
from ..modelstore import read_card, sha256_file
from ..registry import is_registry, list_versions, resolve_model_dir
from ..tables import read_table, table_format, write_table, write_xlsx
from ..taxonomy import load_taxonomy, split_label_names, taxonomy_for, theme_key
from ..tone import TONE_COLUMN, TONE_PREFIX, TONES
from .selection import select_for_review, tone_uncertainty, uncertainty

__all__ = [
    "ExportResult",
    "ImportResult",
    "check_review_output",
    "export_for_review",
    "import_reviews",
    "labelled_file_of",
    "review_xlsx_bytes",
    "themes_sheet_table",
]

REVIEW_SHEET = "review"
THEMES_SHEET = "themes"
ABOUT_SHEET = "about"
# What the analyst sees and fills in, then bookkeeping the import reads back (not to be edited).
REVIEW_COLUMNS = ["id", "text", "predicted_themes", "probabilities", "why", "reviewed_themes", "reviewer", "notes"]
# With a labelled file that has tone: shown after the probabilities, corrected after reviewed_themes.
TONE_REVIEW_COLUMNS = ("predicted_tone", "reviewed_tone")
BOOK_COLUMNS = ["selected_as", "model_version", "text_sha256", "labelled_file"]
SELECTED = ("safeguarding", "uncertain", "random", "candidate")  # candidate: a discovered theme's answers
_BAD_IN_CELL = (",", "|", "\n", "\t")


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _card_for(labelled: pd.DataFrame, model_path: Path) -> dict[str, Any]:
    """The card of the model that labelled the file: its version in the registry, else the given model."""
    versions = sorted({v for v in labelled.get("model_version", pd.Series([], dtype=str)).tolist() if v})
    if len(versions) > 1:
        raise ConsultError(
            f"The labelled file mixes model versions ({', '.join(versions)})",
            "Label the whole file with one model version, then export",
        )
    if versions and is_registry(model_path) and versions[0] in list_versions(model_path):
        return read_card(Path(model_path) / versions[0])
    card = read_card(resolve_model_dir(model_path))
    if not card.get("version"):  # a plain folder: its name, as 'label' writes
        card["version"] = resolve_model_dir(model_path).name
    if versions and str(card.get("version") or resolve_model_dir(model_path).name) != versions[0]:
        raise ConsultError(
            f"The labelled file was made by model version '{versions[0]}', but {model_path} is '{card.get('version')}'",
            "Pass the model that labelled it with --model (its thresholds decide what is uncertain)",
        )
    return card


def _left_out_themes(labelled: pd.DataFrame, model_path: Path) -> set[str]:
    """Themes the labelling model left out for too few training answers: a review may give them (that is how
    they get the answers they lack). Empty when that model cannot be found."""
    try:
        card = _card_for(labelled, model_path)
    except (ConsultError, OSError, ValueError):
        return set()
    return set(card.get("themes_left_out") or {})


def _frame_themes(labelled: pd.DataFrame, model_path: Path) -> set[str]:
    """Theme ids of the taxonomy the labelling model was trained with (its card keeps it); empty when unknown."""
    try:
        card = _card_for(labelled, model_path)
    except (ConsultError, OSError, ValueError):
        return set()
    return {theme_key(str(t["id"])) for t in (card.get("taxonomy") or {}).get("themes") or []}


def _theme_lookup(
    allowed: set[str], labelled: pd.DataFrame, model_path: Path, taxonomy_path: Path | None
) -> dict[str, str]:
    """How a review cell may name each allowed theme: its key, its id or its name → its key."""
    out = {k: k for k in allowed}
    try:
        card = _card_for(labelled, model_path)
    except (ConsultError, OSError, ValueError):
        card = {}
    tax = taxonomy_for(taxonomy_path, card)
    for k, n in (card.get("theme_names") or {}).items():
        if k in allowed:
            out.setdefault(unicodedata.normalize("NFC", str(n)).strip(), k)
    for form, k in (tax.lookup() if tax else {}).items():
        if k in allowed:
            out.setdefault(form, k)
    return out


def themes_sheet_table(themes: list[str], card: dict[str, Any], taxonomy_path: Path | None) -> pd.DataFrame:
    tax = taxonomy_for(taxonomy_path, card)  # else the frame the model was trained with
    names = card.get("theme_names", {})
    left_out = list(card.get("themes_left_out") or {})
    ids = list(themes) + [t for t in (tax.ids if tax else []) + left_out if t not in themes]
    ids = list(dict.fromkeys(ids))
    rows = []
    for t in ids:
        th = tax.get(t) if tax else None
        rows.append(
            {
                "id": t,
                "name": (th.name if th and th.name else names.get(t) or (th.label if th else t)),
                "definition": " ".join((th.definition if th else "").split()),
                "in_model": "yes" if t in themes else "no (too few examples so far)",
            }
        )
    return pd.DataFrame(rows)


@dataclass
class ExportResult:
    rows: pd.DataFrame
    path: Path
    uncertain: int
    random: int
    safeguarding: int
    candidates: int
    skipped_copies: int
    skipped_reviewed: int
    skipped_not_labelled: int


def check_review_output(output: Path, labelled_path: Path, n: int | None) -> None:
    """A review file's path (XLSX or CSV, writable, not the input) and ``-n`` (at least 1), checked before work."""
    check_output_path(output, labelled_path)
    if table_format(output) not in ("xlsx", "csv"):
        raise ConsultError(
            f"Review files are XLSX or CSV, not {output.suffix}", "Use -o FILE.xlsx (default) or FILE.csv"
        )
    if n is not None and n < 1:
        raise ConsultError("-n must be at least 1", "Say how many answers to review, e.g. -n 200")


def export_for_review(
    labelled_path: Path,
    output: Path,
    config: Config,
    *,
    n: int,
    model_path: Path | None = None,
    random_share: float | None = None,
    seed: int | None = None,
    taxonomy_path: Path | None = None,
    audit_path: Path | None = None,
) -> ExportResult:
    """Write the ``n`` answers to review (XLSX or CSV by extension) and return what was chosen."""
    output = Path(output)
    check_review_output(output, labelled_path, n)
    rc = config.review
    share = rc.random_share if random_share is None else random_share
    if not 0.0 <= share <= 1.0:
        raise ConsultError(f"--random-share {share} is not between 0 and 1", "Give a share such as 0.2")
    seed = rc.seed if seed is None else seed
    df, _ = read_table(Path(labelled_path), written_by_consult=True)
    idc, txc = config.ingest.id_column, config.ingest.text_column
    asked = question_column_in(list(df.columns), config.ingest)  # shown beside the answer
    themes = theme_columns(df)
    missing = [c for c in (idc, txc, THEMES_COLUMN, "status", "duplicate_of") if c not in df.columns]
    if missing or not themes:
        raise ConsultError(
            f"{labelled_path} is not a labelled file (missing {', '.join(missing) or 'p_<theme> columns'})",
            "Export from the output of 'consult label'",
        )
    card = _card_for(df, Path(model_path or config.retrain.model))
    if list(card["themes"]) != themes:
        raise ConsultError(
            f"The model's themes ({', '.join(card['themes'])}) differ from the file's ({', '.join(themes)})",
            "Pass the model that labelled the file with --model",
        )
    thresholds = np.array([card["thresholds"][t] for t in themes], dtype=float)
    proba = df[[PROB_PREFIX + t for t in themes]].apply(pd.to_numeric, errors="coerce").to_numpy()
    labelled = (df["status"] == "labelled").to_numpy() & ~np.isnan(proba).any(axis=1)
    copies = (df["duplicate_of"].astype(str).str.strip() != "").to_numpy()
    hashes = [text_sha256(t) for t in df[txc]]
    store = AuditStore(Path(audit_path or rc.audit_path))
    done = {(r["answer_id"], r["text_sha256"]) for r in store.records()}
    reviewed = np.array([(i, h) in done for i, h in zip(df[idc], hashes, strict=True)], dtype=bool)
    flagged = as_bool(df[SAFEGUARDING_FLAG]).to_numpy() if SAFEGUARDING_FLAG in df.columns else np.zeros(len(df), bool)
    eligible = labelled & ~copies & ~reviewed & ~flagged
    tone_cols = [TONE_PREFIX + t for t in TONES if TONE_PREFIX + t in df.columns]
    has_tone = TONE_COLUMN in df.columns and len(tone_cols) >= 2
    tone_proba = np.nan_to_num(df[tone_cols].apply(pd.to_numeric, errors="coerce").to_numpy()) if has_tone else None
    rows, is_random = select_for_review(
        np.nan_to_num(proba), thresholds, card["mode"], n, share, seed, eligible, tone_proba
    )
    theme_score, _ = uncertainty(np.nan_to_num(proba), thresholds, card["mode"])
    theme_rank = np.empty(len(df), dtype=int)
    theme_rank[np.argsort(np.where(eligible, theme_score, np.inf), kind="stable")] = np.arange(len(df))
    if tone_proba is not None:
        tone_score = tone_uncertainty(tone_proba)
        tone_rank = np.empty(len(df), dtype=int)
        tone_rank[np.argsort(np.where(eligible, tone_score, np.inf), kind="stable")] = np.arange(len(df))
    # Every answer flagged for safeguarding comes first, whatever n is: a person must read it.
    first = np.flatnonzero(flagged)
    rows = np.concatenate([first, rows]).astype(int)
    is_random = np.concatenate([np.zeros(len(first), bool), is_random])
    score, which = uncertainty(np.nan_to_num(proba[rows]), thresholds, card["mode"])
    n_copies = df.loc[copies, "duplicate_of"].value_counts()
    out_rows = []
    for k, (r, rnd) in enumerate(zip(rows, is_random, strict=True)):
        pred = [t for t in str(df.at[r, THEMES_COLUMN]).split(";") if t]
        probs = "; ".join(f"{t} {proba[r, themes.index(t)]:.2f}" for t in pred)
        t = themes[which[k]]
        safeguarding = bool(flagged[r])
        if safeguarding:
            why = f"safeguarding: {df.at[r, SAFEGUARDING_REASON]} (pass to your safeguarding lead)"
        elif rnd:
            why = "random sample (measures accuracy without bias)"
        elif tone_proba is not None and tone_rank[r] < theme_rank[r]:
            why = f"least sure of the tone: {df.at[r, TONE_COLUMN]} at {tone_score[r]:.2f}"
        elif card["mode"] == "single":
            why = f"least sure: {t} at {score[k]:.2f}"
        else:
            why = f"least sure: {t} at {proba[r, which[k]]:.2f}, threshold {thresholds[which[k]]:.2f}"
        c = int(n_copies.get(df.at[r, idc], 0))
        if c:
            why += f"; {c} other answer(s) copy this one"
        out_rows.append(
            {
                "id": df.at[r, idc],
                "text": df.at[r, txc],
                **({"question": str(df.at[r, asked]).strip()} if asked else {}),
                "predicted_themes": ";".join(pred),
                "probabilities": probs,
                **({"predicted_tone": _tone_shown(df, r, tone_cols)} if has_tone else {}),
                "why": why,
                "reviewed_themes": "",
                **({"reviewed_tone": ""} if has_tone else {}),
                "reviewer": "",
                "notes": "",
                "selected_as": "safeguarding" if safeguarding else "random" if rnd else "uncertain",
                "model_version": str(card.get("version") or ""),
                "text_sha256": hashes[r],
                "labelled_file": str(Path(labelled_path).resolve()),  # import finds it from any folder
            }
        )
    columns = REVIEW_COLUMNS[:2] + (["question"] if asked else []) + REVIEW_COLUMNS[2:] + BOOK_COLUMNS
    if has_tone:
        columns.insert(columns.index("why"), "predicted_tone")
        columns.insert(columns.index("reviewed_themes") + 1, "reviewed_tone")
    table = pd.DataFrame(out_rows, columns=columns)
    about = pd.DataFrame(
        [
            ("labelled_file", str(labelled_path)),
            ("labelled_sha256", sha256_file(Path(labelled_path))),
            ("model_version", str(card.get("version") or "")),
            ("created", _now()),
            ("answers", str(len(table))),
            ("random_share", str(share)),
            ("seed", str(seed)),
            (
                "how to review",
                "Write the right theme ids in reviewed_themes, separated by ';' (ids are on the themes "
                "sheet; the cell offers them, and you can type several). Put your name in reviewer. Leave "
                "reviewed_themes empty to skip an answer. Do not edit the columns after notes."
                + (
                    " reviewed_tone: positive, neutral or negative when predicted_tone is wrong (or to confirm it); "
                    "empty keeps no tone verdict."
                    if has_tone
                    else ""
                ),
            ),
        ],
        columns=["key", "value"],
    )
    if table_format(output) == "csv":
        write_table(table, output)
    else:
        write_bytes(
            output,
            review_xlsx_bytes(table, themes_sheet_table(themes, card, taxonomy_path or config.project.taxonomy), about),
        )
    return ExportResult(
        rows=table,
        path=output,
        uncertain=int((~is_random).sum()) - len(first),
        safeguarding=len(first),
        random=int(is_random.sum()),
        candidates=int(eligible.sum()),
        skipped_copies=int((labelled & copies).sum()),
        skipped_reviewed=int((labelled & ~copies & reviewed).sum()),
        skipped_not_labelled=int((~labelled).sum()),
    )


def _tone_shown(df: pd.DataFrame, r: int, tone_cols: list[str]) -> str:
    """The predicted tone and its probability, e.g. ``negative 0.81``."""
    tone = str(df.at[r, TONE_COLUMN])
    p = pd.to_numeric(df.at[r, TONE_PREFIX + tone], errors="coerce") if TONE_PREFIX + tone in tone_cols else None
    return f"{tone} {p:.2f}" if tone and p is not None and p == p else tone


def review_xlsx_bytes(table: pd.DataFrame, themes: pd.DataFrame, about: pd.DataFrame) -> bytes:
    """The review workbook: a drop-down of theme ids on ``reviewed_themes`` (free text allowed, for several)."""
    first = io.BytesIO()
    write_xlsx({REVIEW_SHEET: table, THEMES_SHEET: themes, ABOUT_SHEET: about}, first, cut_long=True)
    wb = load_workbook(io.BytesIO(first.getvalue()))
    ws = wb[REVIEW_SHEET]
    col = {c: i + 1 for i, c in enumerate(table.columns)}
    letter = ws.cell(row=1, column=col["reviewed_themes"]).column_letter
    last = max(len(table) + 1, 2)
    # Excel list validation offers one value per pick and cannot multi-select: the error alert is off, so
    # "theme_a;theme_b" can be typed; the import checks every id.
    dv = DataValidation(
        type="list",
        formula1=f"={THEMES_SHEET}!$A$2:$A${len(themes) + 1}",
        allow_blank=True,
        showErrorMessage=False,
        showInputMessage=True,
        promptTitle="Theme ids",
        prompt="Pick a theme id, or type several separated by ';'",
    )
    dv.add(f"{letter}2:{letter}{last}")
    ws.add_data_validation(dv)
    widths = {
        "id": 12,
        "text": 70,
        "predicted_themes": 28,
        "probabilities": 30,
        "why": 40,
        "reviewed_themes": 30,
        "reviewer": 14,
        "notes": 30,
    }
    if "question" in col:
        widths["question"] = 30
    if "reviewed_tone" in col:
        widths["predicted_tone"] = widths["reviewed_tone"] = 16
        tone_letter = ws.cell(row=1, column=col["reviewed_tone"]).column_letter
        tv = DataValidation(type="list", formula1='"' + ",".join(TONES) + '"', allow_blank=True)
        tv.add(f"{tone_letter}2:{tone_letter}{last}")
        ws.add_data_validation(tv)
    for c, w in widths.items():
        ws.column_dimensions[ws.cell(row=1, column=col[c]).column_letter].width = w
    for row in ws.iter_rows(min_row=2, min_col=col["text"], max_col=col["text"]):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    for cell in ws[1]:
        cell.font = Font(bold=True)
    ws.freeze_panes = "C2"
    wb[THEMES_SHEET].column_dimensions["A"].width = 26
    wb[THEMES_SHEET].column_dimensions["C"].width = 90
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# --- importing reviews ------------------------------------------------------------------------------------


@dataclass
class ImportResult:
    added: int
    already_stored: int
    skipped_blank: int
    rows: int
    audit_path: Path
    problems: list[str] = field(default_factory=list)


def _named_labelled(df: pd.DataFrame) -> Path | None:
    named = sorted({v for v in df.get("labelled_file", pd.Series([], dtype=str)) if str(v).strip()})
    return Path(named[0]) if len(named) == 1 else None


def labelled_file_of(path: Path) -> Path | None:
    """The labelled file a review file names (its ``labelled_file`` column), or None when it names none or
    cannot be read (the import then says what is wrong)."""
    try:
        df, _ = read_table(
            Path(path), sheet=REVIEW_SHEET if table_format(path) == "xlsx" else 0, written_by_consult=True
        )
    except (ConsultError, OSError, ValueError):
        return None
    return _named_labelled(df)


def import_reviews(
    path: Path,
    config: Config,
    *,
    labelled_path: Path | None = None,
    reviewer: str | None = None,
    audit_path: Path | None = None,
    taxonomy_path: Path | None = None,
    model_path: Path | None = None,
) -> ImportResult:
    """Check every row of a filled-in review file, then append the accepted reviews to the audit store.

    Nothing is written when any row is wrong: the error lists every bad row and what to do.
    """
    path = Path(path)
    df, _ = read_table(path, sheet=REVIEW_SHEET if table_format(path) == "xlsx" else 0, written_by_consult=True)
    need = [c for c in ("id", "reviewed_themes") if c not in df.columns]
    if need:
        raise ConsultError(
            f"{path} has no {', '.join(need)} column(s) (columns: {', '.join(df.columns)})",
            "Import the file written by 'consult review export', with its column names unchanged",
        )
    if labelled_path is None:
        labelled_path = _named_labelled(df)
        if labelled_path is None:
            raise ConsultError(
                f"{path} does not name one labelled file it was exported from", "Give it with --labelled FILE"
            )
    if not Path(labelled_path).is_file():
        raise ConsultError(
            f"Labelled file {labelled_path} (that {path} was exported from) not found",
            "Give its current path with --labelled FILE",
        )
    lab, _ = read_table(Path(labelled_path), written_by_consult=True)
    idc, txc = config.ingest.id_column, config.ingest.text_column
    qc = question_column_in(list(lab.columns), config.ingest)
    if idc not in lab.columns or txc not in lab.columns or not theme_columns(lab):
        raise ConsultError(
            f"{labelled_path} is not a labelled file", "Give the output of 'consult label' with --labelled"
        )
    model_themes = theme_columns(lab)
    allowed = set(model_themes) | _left_out_themes(lab, Path(model_path or config.retrain.model))
    taxonomy_path = taxonomy_path or config.project.taxonomy
    if taxonomy_path is not None:
        allowed |= set(load_taxonomy(taxonomy_path).ids)
    else:  # the frame the labelling model was trained with
        allowed |= _frame_themes(lab, Path(model_path or config.retrain.model))
    names = _theme_lookup(allowed, lab, Path(model_path or config.retrain.model), taxonomy_path)
    by_id = {str(i).strip(): r for r, i in enumerate(lab[idc])}
    problems: list[str] = []
    accepted: dict[str, tuple[int, list[str], dict[str, Any]]] = {}
    blank = 0
    time = _now()
    source_sha = sha256_file(path)
    labelled_sha = sha256_file(Path(labelled_path))
    for r, row in df.iterrows():
        line = int(r) + 2  # the spreadsheet's row number (row 1 is the header)
        cell = str(row["reviewed_themes"]).strip()
        aid = str(row["id"]).strip()
        tone_cell = str(row.get("reviewed_tone", "")).strip().lower()
        where = f"row {line} (id {aid or '?'})"
        if not cell:
            if tone_cell:
                problems.append(
                    f"{where}: reviewed_tone '{tone_cell}' without reviewed_themes — write the themes too "
                    "(copy predicted_themes when they are right)"
                )
                continue
            blank += 1
            continue
        if tone_cell and tone_cell not in TONES:
            problems.append(f"{where}: reviewed_tone '{tone_cell}' is not positive, neutral or negative")
            continue
        if not aid:
            problems.append(f"row {line}: no id — restore the id the export wrote")
            continue
        if aid not in by_id:
            problems.append(
                f"{where}: id not in {labelled_path} — restore the exported id or give the right --labelled file"
            )
            continue
        # Ids (or, whole, the names people know the themes by, even names holding ';' or ',') separated by ';'.
        written = split_label_names(cell, ";", names)
        bad = [c for c in _BAD_IN_CELL if any(c in w for w in written if w not in names)]
        if bad:
            shown = ", ".join(repr(c) for c in bad)
            problems.append(f"{where}: reviewed_themes '{cell}' contains {shown} — separate theme ids with ';'")
            continue
        themes = list(dict.fromkeys(names.get(w, w) for w in written))
        unknown = [t for t in themes if t not in allowed]
        if unknown:
            problems.append(
                f"{where}: unknown theme id(s) {', '.join(repr(u) for u in unknown)} — use ids from the themes sheet"
            )
            continue
        lr = by_id[aid]
        text = str(lab.at[lr, txc])
        th = text_sha256(text)
        if "text_sha256" in df.columns and str(row["text_sha256"]).strip() and str(row["text_sha256"]).strip() != th:
            problems.append(f"{where}: the answer's text in {labelled_path} changed since export — export again")
            continue
        who = str(row.get("reviewer", "")).strip() or (reviewer or "")
        if not who:
            problems.append(f"{where}: no reviewer — write a name in the reviewer column or pass --reviewer")
            continue
        sel = str(row.get("selected_as", "")).strip()
        if sel not in ("", *SELECTED):
            problems.append(
                f"{where}: selected_as '{sel}' is not one of {', '.join(SELECTED)} — restore the exported value"
            )
            continue
        if aid in accepted and (
            sorted(accepted[aid][1]) != sorted(themes) or accepted[aid][2].get("reviewed_tone", "") != tone_cell
        ):
            first = accepted[aid][0]
            problems.append(
                f"{where}: conflicts with row {first} for the same id ({';'.join(accepted[aid][1])}) — keep one verdict"
            )
            continue
        predicted = [t for t in str(lab.at[lr, THEMES_COLUMN]).split(";") if t] if THEMES_COLUMN in lab.columns else []
        probs = {}
        for t in model_themes:
            v = pd.to_numeric(lab.at[lr, PROB_PREFIX + t], errors="coerce")
            if v == v:
                probs[t] = float(v)
        rec = {
            "review_key": review_key(aid, th, themes, who, tone_cell),
            "answer_id": aid,
            "text_sha256": th,
            "text": text,
            "predicted_themes": predicted,
            "reviewed_themes": themes,
            "probabilities": probs,
            "predicted_tone": str(lab.at[lr, TONE_COLUMN]) if TONE_COLUMN in lab.columns else "",
            "reviewed_tone": tone_cell,
            "selected_as": sel or "unknown",
            "reviewer": who,
            "notes": str(row.get("notes", "")).strip(),
            "reviewed_at": time,
            "model_version": str(lab.at[lr, "model_version"]) if "model_version" in lab.columns else "",
            "source_file": str(path),
            "source_sha256": source_sha,
            "labelled_file": str(labelled_path),
            "labelled_sha256": labelled_sha,
        }
        if qc:
            rec["question"] = str(lab.at[lr, qc]).strip()  # for retraining a model that reads questions
        accepted.setdefault(aid, (line, themes, rec))
    if problems:
        raise ConsultError(
            f"{path}: {len(problems)} row(s) cannot be imported; nothing was written:\n  " + "\n  ".join(problems),
            "Fix those rows in the file and import it again",
        )
    store = AuditStore(Path(audit_path or config.review.audit_path))
    added, already = store.append([v[2] for v in accepted.values()])
    return ImportResult(added=added, already_stored=already, skipped_blank=blank, rows=len(df), audit_path=store.path)
