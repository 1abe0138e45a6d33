"""consult train | label | evaluate."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from ..atomic import write_bytes
from ..errors import ConsultError
from ..evaluate import evaluate_file
from ..guards import check_not_input, check_writable
from ..label import label_file
from ..modelstore import CARD_FILE, MODEL_FILE, read_card
from ..registry import resolve_model_dir
from ..train import train_file
from ._common import (
    ConfigOpt,
    EncodingOpt,
    IdColOpt,
    LabelsColOpt,
    QuestionColOpt,
    SepOpt,
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


def scores_table(title: str, rows: dict[str, dict[str, Any] | None]) -> Table:
    """One row per system (model, baselines), one column per summary score, with 95% intervals."""
    keys = ["micro_f1", "macro_f1", "samples_f1", "accuracy"]
    present = [k for k in keys if any(s and k in s for s in rows.values())]
    t = Table(title=title)
    t.add_column("system")
    for k in present:
        t.add_column(k.replace("_", "-"), justify="right")
    for name, s in rows.items():
        if not s:
            continue
        cells = []
        for k in present:
            v = s.get(k)
            if not v:
                cells.append("")
            elif v.get("ci95"):
                cells.append(f"{v['value']:.3f} [{v['ci95'][0]:.3f}–{v['ci95'][1]:.3f}]")
            else:
                cells.append(f"{v['value']:.3f}")
        t.add_row(name, *cells)
    return t


def per_theme_table(scores: dict[str, Any]) -> Table:
    t = Table(title="per theme")
    for c in ("theme", "precision", "recall", "f1", "support"):
        t.add_column(c, justify="left" if c == "theme" else "right")
    for r in scores["per_theme"]:
        t.add_row(r["theme"], f"{r['precision']:.3f}", f"{r['recall']:.3f}", f"{r['f1']:.3f}", str(r["support"]))
    return t


@handle_errors
def train_cmd(
    data: Annotated[Path, typer.Argument(help="Labelled answers (text and labels columns).", show_default=False)],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Model directory to write [config: retrain.model].")
    ] = None,
    taxonomy: Annotated[
        Path | None,
        typer.Option(
            "--taxonomy",
            "-t",
            help="Theme file (YAML); labels must come from it, and its names, definitions and include examples are "
            "learnt too (model.theme_texts). Default: project.taxonomy of the workspace, else themes from the data.",
        ),
    ] = None,
    text_column: TextColOpt = None,
    id_column: IdColOpt = None,
    encoding: EncodingOpt = None,
    question_column: QuestionColOpt = None,
    labels_column: LabelsColOpt = None,
    separator: SepOpt = None,
    theme_columns: ThemeColsOpt = None,
    skip_rows: SkipRowsOpt = None,
    config: ConfigOpt = None,
    set_: SetOpt = None,
) -> None:
    """Train a theme classifier on labelled answers and save it with a model card; with a tone column
    (ingest.tone_column), a tone classifier too."""
    cfg = make_config(
        config,
        set_,
        text_column=text_column,
        id_column=id_column,
        question_column=question_column,
        labels_column=labels_column,
        separator=separator,
        theme_columns=theme_columns,
        encoding=encoding,
        skip_rows=skip_rows,
    )
    output = output or cfg.retrain.model
    card = train_file(data, output, cfg, taxonomy or cfg.project.taxonomy, progress=say)
    cv = card["cv_scores"]
    out.print(
        scores_table(
            f"cross-validated ({card['training']['cv_folds']} folds, {card['mode']})",
            {"consult": cv, **card["cv_baselines"]},
        )
    )
    out.print(per_theme_table(cv))
    cal = card.get("cv_calibration") or {}
    if cal.get("ece") is not None:
        say(f"cross-validated calibration: expected calibration error {cal['ece']:.3f}, Brier score {cal['brier']:.3f}")
    tone = card.get("tone")
    if tone:
        out.print(
            scores_table(
                f"tone, cross-validated ({', '.join(f'{k} {v}' for k, v in tone['label_counts'].items())})",
                {"consult": tone["cv_scores"], **tone["cv_baselines"]},
            )
        )
    say(
        f"model saved to {output} (trained in {card['training']['train_seconds']:.1f}s, C={card['training']['best_C']})"
    )


@handle_errors
def label_cmd(
    file: Annotated[
        Path, typer.Argument(help="Answers to label (a table file, or a folder of Parquet parts).", show_default=False)
    ],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Labelled file; its extension sets the format.", show_default=False)
    ],
    model: Annotated[
        Path | None, typer.Option("--model", "-m", help="Model (registry or directory) [config: retrain.model].")
    ] = None,
    entities: Annotated[
        bool, typer.Option("--entities/--no-entities", help="Run spaCy NER and the domain ruler.")
    ] = True,
    jobs: Annotated[
        int | None,
        typer.Option("--jobs", "-j", min=0, help="Processes for NER; 0 = one per core [config: entities.n_process]."),
    ] = None,
    engine: Annotated[
        str,
        typer.Option(
            "--engine", help="local: this machine; dask: partitions on a Dask cluster (pip install -e '.[dask]')."
        ),
    ] = "local",
    scheduler: Annotated[
        str | None,
        typer.Option(
            "--scheduler",
            help="With --engine dask: address of a running scheduler (tcp://HOST:8786); default: a local cluster "
            "with one worker per core.",
        ),
    ] = None,
    text_column: TextColOpt = None,
    id_column: IdColOpt = None,
    encoding: EncodingOpt = None,
    question_column: QuestionColOpt = None,
    skip_rows: SkipRowsOpt = None,
    config: ConfigOpt = None,
    set_: SetOpt = None,
) -> None:
    """Label every answer with themes, probabilities, confidence, entities, clean-stage flags and, when the
    model has one, tone. Files of any size are read and written in chunks (Parquet is the fastest format for big
    runs)."""
    cfg = make_config(
        config,
        set_,
        text_column=text_column,
        id_column=id_column,
        question_column=question_column,
        encoding=encoding,
        skip_rows=skip_rows,
    )
    model = model or cfg.retrain.model
    if scheduler is not None and engine != "dask":
        raise ConsultError("--scheduler is for --engine dask", "Add --engine dask, or leave out --scheduler")
    with stage_bars() as progress:
        res = label_file(
            file,
            output,
            model,
            cfg,
            with_entities=entities,
            jobs=jobs,
            engine=engine,
            scheduler=scheduler,
            progress=progress,
            on_note=say,
        )
    card = read_card(resolve_model_dir(model))
    note_language(cfg, str(card.get("language") or "xx"))
    if res.unseen_questions:
        say(
            f"{res.unseen_questions} of {res.rows} answers respond to a question the model was not trained on; they are labelled from their text alone"
        )
    if card.get("tone") is None:
        say("the model has no tone classifier (trained without a tone column): no tone columns added")
    say(
        f"{res.rows} rows → {output}: {res.labelled} labelled, {res.rows - res.labelled} empty or non-substantive (kept, flagged)"
    )


@handle_errors
def evaluate_cmd(
    model_dir: Annotated[Path, typer.Argument(help="Model directory.", show_default=False)],
    data: Annotated[Path, typer.Argument(help="Labelled answers held out from training.", show_default=False)],
    json_out: Annotated[Path | None, typer.Option("--json", "-j", help="Write all figures as JSON here.")] = None,
    train: Annotated[
        Path | None,
        typer.Option("--train", help="Training data for the baselines [default: the path in the model card]."),
    ] = None,
    text_column: TextColOpt = None,
    id_column: IdColOpt = None,
    encoding: EncodingOpt = None,
    question_column: QuestionColOpt = None,
    labels_column: LabelsColOpt = None,
    separator: SepOpt = None,
    theme_columns: ThemeColsOpt = None,
    skip_rows: SkipRowsOpt = None,
    config: ConfigOpt = None,
    set_: SetOpt = None,
) -> None:
    """Score a model on labelled data: micro, macro, samples F1 with 95% intervals, per theme, baselines and
    calibration of the probabilities."""
    cfg = make_config(
        config,
        set_,
        text_column=text_column,
        id_column=id_column,
        question_column=question_column,
        labels_column=labels_column,
        separator=separator,
        theme_columns=theme_columns,
        encoding=encoding,
        skip_rows=skip_rows,
    )
    if json_out is not None:
        check_writable(json_out)
        model_files = [Path(model_dir) / MODEL_FILE, Path(model_dir) / CARD_FILE]
        check_not_input(json_out, data, train, *model_files)
    res = evaluate_file(model_dir, data, cfg, train)
    rows = {"consult": res["model_scores"], **(res["baselines"] or {})}
    out.print(scores_table(f"{data} ({res['rows_scored']} answers, {res['mode']})", rows))
    out.print(per_theme_table(res["model_scores"]))
    cal = res["calibration"]
    if cal["ece"] is not None:
        what = "predicted theme's probability" if res["mode"] == "single" else "theme probabilities"
        say(f"calibration of the {what}: expected calibration error {cal['ece']:.3f}, Brier score {cal['brier']:.3f}")
    if res.get("baselines_note"):
        say(res["baselines_note"])
    if json_out is not None:
        write_bytes(json_out, (json.dumps(res, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))
        say(f"figures written to {json_out}")


def register(app: typer.Typer) -> None:
    app.command("train")(train_cmd)
    app.command("label")(label_cmd)
    app.command("evaluate")(evaluate_cmd)
