"""consult report | demo."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from ..label import label_file
from ..report import CountsResult, report_file
from ..taxonomy import DEFAULT_TAXONOMY, load_taxonomy
from ..train import train_file
from ._common import ConfigOpt, SetOpt, handle_errors, load_config, out, progress_bar, say
from .model_cmds import scores_table

TaxOpt = Annotated[
    Path | None, typer.Option("--taxonomy", "-t", help="Theme file for theme names [default: configs/themes.yaml if present].")
]


def counts_table(res: CountsResult, title: str) -> Table:
    t = Table(title=title, caption=f"{res.substantive} substantive of {res.answers} answers "
              f"({res.non_substantive} non-substantive, {res.empty} empty)")
    for c in ("rank", "theme", "count", "share"):
        t.add_column(c, justify="left" if c == "theme" else "right")
    for r in res.counts.itertuples(index=False):
        t.add_row(str(r.rank), str(r.name), str(r.count), f"{r.share:.1%}")
    return t


def _taxonomy(path: Path | None):  # type: ignore[no-untyped-def]
    if path is not None:
        return load_taxonomy(path)
    return load_taxonomy(DEFAULT_TAXONOMY) if DEFAULT_TAXONOMY.is_file() else None


@handle_errors
def report_cmd(
    labelled: Annotated[Path, typer.Argument(help="Output of 'consult label'.", show_default=False)],
    output: Annotated[Path, typer.Option("--output", "-o", help="Folder for the report files.", show_default=False)],
    taxonomy: TaxOpt = None,
) -> None:
    """Theme counts and shares of the substantive answers, ranked; written as CSV and printed."""
    res = report_file(labelled, output, _taxonomy(taxonomy))
    out.print(counts_table(res, f"themes in {labelled.name}"))
    say(f"written to {output / 'theme_counts.csv'}")


@handle_errors
def demo_cmd(
    data_dir: Annotated[Path, typer.Option("--data", help="Folder with the shipped corpus.")] = Path("data"),
    model: Annotated[Path, typer.Option("--model", "-m", help="Model directory to write.")] = Path("models/default"),
    output: Annotated[Path, typer.Option("--output", "-o", help="Folder for outputs.")] = Path("data/output"),
    config: ConfigOpt = None,
    set_: SetOpt = None,
) -> None:
    """The main job on the shipped data: train the default model, label the new answers, print theme counts."""
    cfg = load_config(config, set_)
    tax_path = DEFAULT_TAXONOMY if DEFAULT_TAXONOMY.is_file() else None
    say(f"training on {data_dir / 'consultation_labelled.csv'}")
    card = train_file(data_dir / "consultation_labelled.csv", model, cfg, tax_path, progress=say)
    out.print(scores_table("cross-validated scores", {"consult": card["cv_scores"], **card["cv_baselines"]}))
    labelled = output / "consultation_new_labelled.csv"
    with progress_bar("labelling") as (start, tick):
        label_file(data_dir / "consultation_new.csv", labelled, model, cfg, tick=tick, on_start=start)
    say(f"labelled answers → {labelled}")
    res = report_file(labelled, output / "report", _taxonomy(None))
    out.print(counts_table(res, "theme counts: new answers"))
    say(f"report → {output / 'report'}")


def register(app: typer.Typer) -> None:
    app.command("report")(report_cmd)
    app.command("demo")(demo_cmd)
