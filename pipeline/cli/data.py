"""consult init | validate | clean | entities | redact | safeguarding: the commands on the answers themselves."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from ..entities import spacy_language
from ..guards import check_output_path
from ..ingest import validate
from ..redact import redact_file
from ..safeguarding import safeguarding_file
from ..scan import clean_file, entities_file
from ..workspace import init_workspace
from ._common import (
    ConfigOpt,
    EncodingOpt,
    IdColOpt,
    QuestionColOpt,
    SetOpt,
    SkipRowsOpt,
    TextColOpt,
    ThemeColsOpt,
    handle_errors,
    make_config,
    note_language,
    out,
    say,
    stage_bars,
)

InFile = Annotated[Path, typer.Argument(help="Answers file: .csv .tsv .xlsx .jsonl or .parquet.", show_default=False)]
OutFile = Annotated[
    Path, typer.Option("--output", "-o", help="Output file; its extension sets the format.", show_default=False)
]


@handle_errors
def validate_cmd(
    file: InFile,
    text_column: TextColOpt = None,
    id_column: IdColOpt = None,
    encoding: EncodingOpt = None,
    question_column: QuestionColOpt = None,
    theme_columns: ThemeColsOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    skip_rows: SkipRowsOpt = None,
    config: ConfigOpt = None,
    set_: SetOpt = None,
) -> None:
    """Report rows, empty and duplicate answers, encoding and columns of FILE, without processing it."""
    cfg = make_config(
        config,
        set_,
        text_column=text_column,
        id_column=id_column,
        question_column=question_column,
        theme_columns=theme_columns,
        encoding=encoding,
        skip_rows=skip_rows,
    )
    with stage_bars() as progress:
        rep = validate(file, cfg.ingest, progress)
    if as_json:
        out.print_json(json.dumps(dataclasses.asdict(rep)))
        return
    t = Table(title=f"{file}", show_header=False)
    for k, v in dataclasses.asdict(rep).items():
        if k == "path" or v is None:
            continue
        t.add_row(
            k.replace("_", " "),
            ", ".join(map(str, v))
            if isinstance(v, list)
            else "; ".join(f"{q or '(blank)'}: {n}" for q, n in v.items())
            if isinstance(v, dict)
            else repr(v)
            if k == "delimiter"
            else str(v),
        )
    out.print(t)


@handle_errors
def clean_cmd(
    file: InFile,
    output: OutFile,
    text_column: TextColOpt = None,
    id_column: IdColOpt = None,
    encoding: EncodingOpt = None,
    config: ConfigOpt = None,
    set_: SetOpt = None,
) -> None:
    """Normalise text and flag empty, non-substantive and repeated (campaign) answers; keeps every row. Files of
    any size are read and written in chunks."""
    cfg = make_config(config, set_, text_column=text_column, id_column=id_column, encoding=encoding)
    check_output_path(output, file)
    lang = spacy_language(cfg.entities.spacy_model) if cfg.clean.non_substantive == "auto" else "xx"
    note_language(cfg, lang)
    with stage_bars() as progress:
        res = clean_file(file, output, cfg, lang, progress)
    say(
        f"{res.rows} rows → {output}: {res.empty} empty, {res.non_substantive} non-substantive, {res.repeats} "
        "repeats of an earlier answer"
    )


@handle_errors
def entities_cmd(
    file: InFile,
    output: OutFile,
    text_column: TextColOpt = None,
    id_column: IdColOpt = None,
    encoding: EncodingOpt = None,
    config: ConfigOpt = None,
    set_: SetOpt = None,
) -> None:
    """Find places, transport, agencies, people and organisations (spaCy NER + domain ruler). Files of any size
    are read and written in chunks."""
    cfg = make_config(config, set_, text_column=text_column, id_column=id_column, encoding=encoding)
    check_output_path(output, file)
    with stage_bars() as progress:
        rows, found = entities_file(file, output, cfg, "xx", progress)
    say(f"{rows} rows → {output}: {found} entities")


@handle_errors
def redact_cmd(
    file: InFile,
    output: OutFile,
    text_column: TextColOpt = None,
    id_column: IdColOpt = None,
    no_ner: Annotated[
        bool, typer.Option("--no-ner", help="Find names without spaCy NER [config: redact.ner].")
    ] = False,
    config: ConfigOpt = None,
    set_: SetOpt = None,
) -> None:
    """Write FILE with its text column redacted (names, contact details, addresses, references); every column
    and row kept, in order. The same redaction as report quotes. Files of any size are read and written in
    chunks."""
    cfg = make_config(config, set_, text_column=text_column, id_column=id_column)
    if no_ner:
        cfg.redact.ner = False
    with stage_bars() as progress:
        res = redact_file(file, output, cfg, progress=progress)
    kinds = ", ".join(f"{n} {k}" for k, n in sorted(res.counts.items(), key=lambda x: -x[1])) or "nothing"
    say(f"{res.rows} rows → {output}: {res.rows_changed} answers changed; replaced {kinds}")
    say("redaction is a safeguard, not a guarantee: read what you publish")


@handle_errors
def safeguarding_cmd(
    labelled: Annotated[Path, typer.Argument(help="Output of 'consult label'.", show_default=False)],
    output: OutFile,
    text_column: TextColOpt = None,
    id_column: IdColOpt = None,
    config: ConfigOpt = None,
    set_: SetOpt = None,
) -> None:
    """List the answers flagged for safeguarding (id, reason, full text) for your safeguarding lead. The flag is
    an aid, not a substitute for reading every answer."""
    cfg = make_config(config, set_, text_column=text_column, id_column=id_column, labelled=labelled)
    with stage_bars() as progress:
        res = safeguarding_file(labelled, output, cfg, progress=progress)
    by = res["reason"].value_counts()
    say(
        f"{len(res)} flagged answer(s) → {output}"
        + (": " + ", ".join(f"{n} {r}" for r, n in by.items()) if len(res) else "")
    )
    if len(res):
        say("this file holds full, unredacted disclosures: keep it where only the safeguarding lead can read it")


@handle_errors
def init_cmd(
    folder: Annotated[Path, typer.Argument(help="Folder for the workspace (created if missing).", show_default=False)],
    title: Annotated[str, typer.Option("--title", help="Report title [default: the folder's name].")] = "",
    taxonomy: Annotated[
        Path | None,
        typer.Option("--taxonomy", "-t", help="Theme file (YAML) to copy in [default: the shipped police themes]."),
    ] = None,
    text_column: Annotated[str, typer.Option("--text-column", help="Column with the answers.")] = "text",
    id_column: Annotated[str, typer.Option("--id-column", help="Column with answer ids.")] = "id",
    labels_column: Annotated[str, typer.Option("--labels-column", help="Column with themes.")] = "labels",
    question_column: Annotated[
        str, typer.Option("--question-column", help="Column naming the question, when files have one.")
    ] = "question",
) -> None:
    """Create a consultation workspace: consult.toml (columns, taxonomy, model, audit store, report settings), a
    copy of the taxonomy, and data/ models/ reviews/ reports/. Commands run anywhere inside it use it."""
    made = init_workspace(
        folder,
        title=title,
        taxonomy=taxonomy,
        id_column=id_column,
        text_column=text_column,
        labels_column=labels_column,
        question_column=question_column,
    )
    say(f"workspace created in {folder}: " + ", ".join(p.name for p in made))
    say(
        f"put your labelled answers in {folder / 'data' / 'labelled.csv'} (columns as in consult.toml) and your "
        "themes in themes.yaml; then, anywhere inside the workspace, train version v0001 (the held-out answers "
        "kept out) with: consult retrain"
    )


def register(app: typer.Typer) -> None:
    app.command("init")(init_cmd)
    app.command("redact")(redact_cmd)
    app.command("safeguarding")(safeguarding_cmd)
    app.command("validate")(validate_cmd)
    app.command("clean")(clean_cmd)
    app.command("entities")(entities_cmd)
