"""consult review export | import | check."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Annotated

import typer

from ..audit import AuditStore
from ..candidate_review import export_candidate
from ..errors import ConsultError
from ..label import model_for_labelled
from ..review import export_for_review, import_reviews, labelled_file_of
from ._common import ConfigOpt, IdColOpt, SetOpt, TextColOpt, handle_errors, make_config, say

app = typer.Typer(
    rich_markup_mode=None,  # option help uses [brackets] for config keys and defaults
    help="Review the answers the model is least sure of, and keep every verdict in an audit store.",
    no_args_is_help=True,
)

ModelOpt = Annotated[
    Path | None,
    typer.Option("--model", "-m", help="Model (registry or directory) that labelled the file [config: retrain.model]."),
]
AuditOpt = Annotated[Path | None, typer.Option("--audit", help="Audit store [config: review.audit_path].")]
TaxonomyOpt = Annotated[
    Path | None,
    typer.Option(
        "--taxonomy", "-t", help="Theme file (YAML) [config: project.taxonomy; else the one in the model card]."
    ),
]


@app.command("export")
@handle_errors
def export_cmd(
    labelled: Annotated[Path, typer.Argument(help="Output of 'consult label'.", show_default=False)],
    n: Annotated[int, typer.Option("-n", help="How many answers to review.")] = 200,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Review file: .xlsx (sheets with theme list) or .csv [default: review.xlsx beside the audit store].",
        ),
    ] = None,
    random_share: Annotated[
        float | None, typer.Option("--random-share", help="Share drawn at random [config: review.random_share, 0.2].")
    ] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="Seed of the random slice [config: review.seed].")] = None,
    model: ModelOpt = None,
    taxonomy: TaxonomyOpt = None,
    audit: AuditOpt = None,
    discovery: Annotated[
        Path | None, typer.Option("--discovery", help="Folder of 'consult discover' (with --candidate).")
    ] = None,
    candidate: Annotated[
        str | None,
        typer.Option("--candidate", help="Export this candidate's answers (e.g. C01) instead, most typical first."),
    ] = None,
    text_column: TextColOpt = None,
    id_column: IdColOpt = None,
    config: ConfigOpt = None,
    set_: SetOpt = None,
) -> None:
    """Write the N answers to review: least sure first, plus a random slice; campaign copies offered once.
    Answers flagged for safeguarding come before them all (selected_as = safeguarding), whatever N is.
    With --discovery and --candidate: the answers of one candidate theme, for reviewers to confirm it."""
    cfg = make_config(config, set_, text_column=text_column, id_column=id_column, labelled=labelled)
    output = output or Path(audit or cfg.review.audit_path).parent / "review.xlsx"
    if (discovery is None) != (candidate is None):
        raise ConsultError(
            "--candidate and --discovery go together",
            "Give both, e.g. --discovery data/output/discovery --candidate C01",
        )
    if discovery is not None and candidate is not None:
        ce = export_candidate(
            labelled, discovery, candidate, output, cfg, n=n, taxonomy_path=taxonomy, audit_path=audit
        )
        say(
            f"{len(ce.rows)} answers of {candidate} → {ce.path} (of {ce.members}; not offered: {ce.skipped_copies} "
            f"campaign copies, {ce.skipped_reviewed} already reviewed, {ce.left_for_later} beyond -n {n})"
        )
        say(
            "write the new theme's id (after 'consult taxonomy add') or the right themes in reviewed_themes, "
            "then: " + shlex.join(["consult", "review", "import", str(ce.path)])
        )
        return
    res = export_for_review(
        labelled,
        output,
        cfg,
        n=n,
        model_path=model_for_labelled(labelled, model, cfg),
        random_share=random_share,
        seed=seed,
        taxonomy_path=taxonomy,
        audit_path=audit,
    )
    say(
        f"{len(res.rows)} answers → {res.path}: {res.safeguarding} flagged for safeguarding (first, whatever -n is), "
        f"{res.uncertain} least sure, {res.random} at random "
        f"(from {res.candidates} candidates; not offered: {res.skipped_copies} campaign copies, "
        f"{res.skipped_reviewed} already reviewed, {res.skipped_not_labelled} empty or non-substantive)"
    )
    hint = ["consult", "review", "import", str(res.path)]
    if audit is not None:
        hint += ["--audit", str(audit)]
    if config is not None:
        hint += ["--config", str(config)]
    say("fill in reviewed_themes (ids separated by ';') and reviewer, then: " + shlex.join(hint))


@app.command("import")
@handle_errors
def import_cmd(
    file: Annotated[Path, typer.Argument(help="A filled-in review file.", show_default=False)],
    labelled: Annotated[
        Path | None, typer.Option("--labelled", help="Labelled file it was exported from [default: named in the file].")
    ] = None,
    reviewer: Annotated[
        str | None, typer.Option("--reviewer", help="Reviewer for rows whose reviewer cell is empty.")
    ] = None,
    model: ModelOpt = None,
    taxonomy: TaxonomyOpt = None,
    audit: AuditOpt = None,
    text_column: TextColOpt = None,
    id_column: IdColOpt = None,
    config: ConfigOpt = None,
    set_: SetOpt = None,
) -> None:
    """Check every row, then append the reviews to the audit store (nothing is written if a row is wrong)."""
    named = labelled or labelled_file_of(file)
    cfg = make_config(config, set_, text_column=text_column, id_column=id_column, labelled=named)
    res = import_reviews(
        file,
        cfg,
        labelled_path=labelled,
        reviewer=reviewer,
        audit_path=audit,
        taxonomy_path=taxonomy,
        model_path=model_for_labelled(named, model, cfg) if named is not None else model,
    )
    say(
        f"{res.added} review(s) added to {res.audit_path}; {res.already_stored} already there; "
        f"{res.skipped_blank} blank row(s) skipped (of {res.rows})"
    )


@app.command("check")
@handle_errors
def check_cmd(
    audit: AuditOpt = None,
    reseal: Annotated[
        bool,
        typer.Option(
            "--reseal",
            help="Accept the store as it is now (its hash chain must hold) and write its head file again, e.g. "
            "after restoring the store from a backup without its head.",
        ),
    ] = False,
    config: ConfigOpt = None,
    set_: SetOpt = None,
) -> None:
    """Check the audit store: every record's hash chain, and its head file (which notices removed last records)."""
    cfg = make_config(config, set_)
    store = AuditStore(audit or cfg.review.audit_path)
    if reseal:
        n, before = store.reseal()
        was = "" if before is None else f" (the old head counted {before})"
        say(f"{store.path}: head file {store.head_path.name} written for {n} record(s){was}")
        return
    if not store.path.exists() and not store.head_path.exists():
        raise ConsultError(f"There is no audit store at {store.path}", "Give its path with --audit")
    records = store.records()
    counted = store.read_head()
    if counted is None:
        head = "not written yet (the next import writes it)"
    elif int(counted["records"]) < len(records):
        head = f"counts {counted['records']} (an import stopped before writing it; the next import does)"
    else:
        head = "matches"
    say(f"{store.path}: {len(records)} record(s), hash chain intact, head file {head}")
