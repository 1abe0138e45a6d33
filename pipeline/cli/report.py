"""consult report | demo."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from ..errors import ConsultError
from ..label import label_file, taxonomy_of_labelled
from ..modelstore import check_model_output, is_model_dir
from ..registry import current_version, is_registry
from ..report import CountsResult, report_file
from ..report.render import summary_markdown
from ..retrain import retrain
from ..tables import read_table
from ..taxonomy import load_taxonomy
from ..workspace import DEFAULT_TAXONOMY_FILE, find_workspace
from ._common import (
    WORKSPACE,
    ConfigOpt,
    IdColOpt,
    SetOpt,
    TextColOpt,
    handle_errors,
    make_config,
    out,
    say,
    stage_bars,
)
from .train_label_evaluate import scores_table

TaxOpt = Annotated[
    Path | None,
    typer.Option("--taxonomy", "-t", help="Theme file for theme names [config: project.taxonomy; else the model's]."),
]


def counts_table(res: CountsResult, title: str) -> Table:
    b = res.basis
    t = Table(
        title=title,
        caption=f"{b.counted} counted of {b.answers} answers "
        f"({b.non_substantive} non-substantive, {b.empty} empty, {b.duplicates_excluded} campaign copies left out)",
    )
    for c in ("rank", "theme", "count", "share", "95% interval"):
        t.add_column(c, justify="left" if c == "theme" else "right")
    for r in res.counts.itertuples(index=False):
        t.add_row(str(r.rank), str(r.name), str(r.count), f"{r.share:.1%}", f"{r.ci_low:.1%}–{r.ci_high:.1%}")
    return t


def _taxonomy(path: Path | None):  # type: ignore[no-untyped-def]
    return load_taxonomy(path) if path is not None else None


def _split(values: list[str] | None) -> list[str]:
    return [v.strip() for item in values or [] for v in item.split(",") if v.strip()]


@handle_errors
def report_cmd(
    labelled: Annotated[Path, typer.Argument(help="Output of 'consult label'.", show_default=False)],
    output: Annotated[
        Path,
        typer.Option(
            "--output", "-o", help="Folder for the report (replaced if it holds an earlier report).", show_default=False
        ),
    ],
    by: Annotated[
        list[str] | None,
        typer.Option("--by", help="Column to break counts down by, e.g. borough (repeatable, or comma-separated)."),
    ] = None,
    compare: Annotated[
        Path | None, typer.Option("--compare", help="Previous round: its labelled file or report folder.")
    ] = None,
    count_duplicates: Annotated[
        bool, typer.Option("--count-duplicates", help="Count every copy of a campaign answer (default: once).")
    ] = False,
    group_map: Annotated[
        Path | None,
        typer.Option(
            "--group-map",
            help="CSV mapping values of the --by columns to larger groups (first column value, second group), e.g. "
            "boroughs to policing areas, when groups are too small to show.",
        ),
    ] = None,
    title: Annotated[
        str | None, typer.Option("--title", help="Report title [config: project.title; default: from the file name].")
    ] = None,
    taxonomy: TaxOpt = None,
    text_column: TextColOpt = None,
    id_column: IdColOpt = None,
    config: ConfigOpt = None,
    set_: SetOpt = None,
) -> None:
    """Theme counts with intervals, breakdowns by group, co-occurrence, places, quotes and change since the
    last round: CSV tables, report.xlsx, PNG charts and report.html in the output folder; a summary here."""
    cfg = make_config(config, set_, text_column=text_column, id_column=id_column, labelled=labelled)
    with stage_bars() as progress:
        rep = report_file(
            labelled,
            output,
            _taxonomy(taxonomy or cfg.project.taxonomy) or taxonomy_of_labelled(labelled),
            cfg,
            by=_split(by),
            compare=compare,
            count_duplicates=count_duplicates,
            title=title,
            group_map=group_map,
            progress=progress,
        )
    for note in rep.notes:
        say(note)
    out.print(summary_markdown(rep, output), markup=False, highlight=False, soft_wrap=True)


@handle_errors
def demo_cmd(
    data_dir: Annotated[
        Path | None, typer.Option("--data", help="Folder with the shipped corpus [default: the workspace's data/].")
    ] = None,
    model: Annotated[
        Path | None, typer.Option("--model", "-m", help="Model registry to write [config: retrain.model].")
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Folder for outputs [default: the workspace's data/output].")
    ] = None,
    config: ConfigOpt = None,
    set_: SetOpt = None,
) -> None:
    """The main job on the shipped data: train the default model, label the new answers, print theme counts.

    The model is version v0001 of the registry, trained without the held-out answers (retrain.held_out_fraction),
    so 'consult retrain' after reviewing compares versions fairly. When MODEL already is a registry, its current
    version is used as it is: retraining is 'consult retrain''s job."""
    cfg = make_config(config, set_)
    root = WORKSPACE["root"] or find_workspace() or Path.cwd()
    data_dir = data_dir or root / "data"
    model = model or cfg.retrain.model
    output = output or root / "data" / "output"
    tax_path = cfg.project.taxonomy or DEFAULT_TAXONOMY_FILE
    base = data_dir / "consultation_labelled.csv"
    new_answers = data_dir / "consultation_new.csv"
    for needed in ([] if is_registry(model) else [base]) + [new_answers]:
        if not needed.is_file():  # before training replaces the model
            raise ConsultError(
                f"{needed} not found", f"Give the folder with the shipped corpus with --data (now {data_dir})"
            )
    if is_registry(model):
        say(
            f"{model} holds reviewed versions: labelling with its current version {current_version(model)} "
            "(run 'consult retrain' to train a new one)"
        )
    else:
        if is_model_dir(model):  # a plain model an earlier demo wrote: replaced by a registry
            check_model_output(model, base, tax_path)
            shutil.rmtree(model)
        say(f"training on {base}, without its held-out answers, as version v0001 of the registry {model}")
        res = retrain(cfg, model_root=model, base_path=base, taxonomy_path=tax_path, use_reviews=False, progress=say)
        out.print(
            scores_table("cross-validated scores", {"consult": res.card["cv_scores"], **res.card["cv_baselines"]})
        )
    labelled = output / "consultation_new_labelled.csv"
    with stage_bars() as progress:
        label_file(new_answers, labelled, model, cfg, progress=progress)
    say(f"labelled answers → {labelled}")
    segments = [c for c in ("borough", "respondent_type", "age_band") if c in read_table(labelled)[0].columns]
    rep = report_file(labelled, output / "report", _taxonomy(tax_path), cfg, by=segments)
    out.print(counts_table(rep.counts, "theme counts: new answers"))
    say(f"report → {output / 'report' / 'report.html'} (tables, workbook and charts beside it)")


def register(app: typer.Typer) -> None:
    app.command("report")(report_cmd)
    app.command("demo")(demo_cmd)
