"""consult discover | taxonomy add."""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from ..discover import ASSIGNMENTS_FILE, CANDIDATES_FILE, HTML_FILE, TAXONOMY_FILE, discover_file
from ..paths import TAXONOMY as DEFAULT_TAXONOMY
from ..taxonomy import load_taxonomy
from ..taxonomy_merge import add_themes
from ._common import ConfigOpt, IdColOpt, SetOpt, TextColOpt, handle_errors, make_config, out, say

taxonomy_app = typer.Typer(
    rich_markup_mode=None,
    help="Edit the theme taxonomy (YAML): add the candidate themes you keep.",
    no_args_is_help=True,
)


@handle_errors
def discover_cmd(
    labelled: Annotated[Path, typer.Argument(help="Output of 'consult label'.", show_default=False)],
    output: Annotated[
        Path,
        typer.Option(
            "--output",
            "-o",
            help="Folder for the candidates (replaced if it holds an earlier discovery).",
            show_default=False,
        ),
    ],
    taxonomy: Annotated[
        Path | None,
        typer.Option(
            "--taxonomy",
            "-t",
            help="Theme file: names of existing themes, and ids a suggested id must not take "
            "[default: configs/themes.yaml if present].",
        ),
    ] = None,
    catch_all: Annotated[
        str | None, typer.Option("--catch-all", help="The catch-all theme [config: discover.catch_all, 'other'].")
    ] = None,
    max_confidence: Annotated[
        float | None,
        typer.Option(
            "--max-confidence",
            help="Also look at answers below this confidence [config: discover.max_confidence, 0.5].",
        ),
    ] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="Seed of the grouping [config: discover.seed].")] = None,
    text_column: TextColOpt = None,
    id_column: IdColOpt = None,
    config: ConfigOpt = None,
    set_: SetOpt = None,
) -> None:
    """Group the answers the model cannot place (only the catch-all theme, or low confidence) into candidate
    new themes: candidates.csv, assignments.csv, taxonomy_candidates.yaml and discovery.html in the folder."""
    extra = [
        f"discover.{k}={json.dumps(v)}"
        for k, v in (("catch_all", catch_all), ("max_confidence", max_confidence), ("seed", seed))
        if v is not None
    ]
    cfg = make_config(config, [*(set_ or []), *extra], text_column=text_column, id_column=id_column, labelled=labelled)
    taxonomy = taxonomy or cfg.project.taxonomy
    tax = (
        load_taxonomy(taxonomy) if taxonomy else load_taxonomy(DEFAULT_TAXONOMY) if DEFAULT_TAXONOMY.is_file() else None
    )
    disc = discover_file(labelled, output, cfg, tax, progress=say)
    t = Table(title=f"candidate themes in {labelled}")
    for c in ("candidate", "suggested id", "answers", "keywords", "closest themes"):
        t.add_column(c, justify="right" if c == "answers" else "left")
    for r in disc.candidates.itertuples(index=False):
        t.add_row(
            r.candidate, r.suggested_id, str(r.size), ", ".join(str(r.keywords).split("; ")[:5]), r.closest_themes
        )
    out.print(t)
    say(
        f"→ {output}: {CANDIDATES_FILE}, {ASSIGNMENTS_FILE} (every answer), {TAXONOMY_FILE}, {HTML_FILE}. "
        "Review a candidate: "
        + shlex.join(["consult", "review", "export", str(labelled), "--discovery", str(output), "--candidate", "C01"])
    )


@taxonomy_app.command("add")
@handle_errors
def taxonomy_add_cmd(
    file: Annotated[
        Path,
        typer.Argument(help="Themes to add, e.g. taxonomy_candidates.yaml of 'consult discover'.", show_default=False),
    ],
    taxonomy: Annotated[
        Path | None,
        typer.Option(
            "--taxonomy",
            "-t",
            help="Taxonomy file to add them to [config: project.taxonomy; else configs/themes.yaml].",
        ),
    ] = None,
    only: Annotated[
        list[str] | None,
        typer.Option("--only", help="Add only this theme id of FILE (repeatable, or comma-separated)."),
    ] = None,
) -> None:
    """Add themes to the taxonomy; refuses, changing nothing, a theme whose id or name is already there."""
    chosen = [v.strip() for item in only or [] for v in item.split(",") if v.strip()]
    taxonomy = taxonomy or make_config(None, None).project.taxonomy or DEFAULT_TAXONOMY
    res = add_themes(taxonomy, file, chosen or None)
    say(f"added {len(res.added)} theme(s) to {res.path}: {', '.join(res.added)}")
    if not res.kept_layout:
        say(f"{res.path} was written again from its content: its comments and layout were not kept")
    say(
        "label reviewed answers with the new id(s) (consult review export --candidate …, then review import), "
        "then: " + shlex.join(["consult", "retrain", "--taxonomy", str(res.path)])
    )


def register(app: typer.Typer) -> None:
    app.command("discover")(discover_cmd)
    app.add_typer(taxonomy_app, name="taxonomy")
