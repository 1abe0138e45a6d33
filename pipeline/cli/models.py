"""consult retrain, and consult models list | show | promote | rollback | history."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from ..errors import ConsultError
from ..modelstore import read_card
from ..registry import current_version, history, is_registry, list_versions, promote, rollback, version_dir
from ..retrain import retrain
from ._common import ConfigOpt, SetOpt, handle_errors, make_config, out, say

app = typer.Typer(help="Model versions: list, show, promote, roll back.", no_args_is_help=True, rich_markup_mode=None)

RootOpt = Annotated[Path | None, typer.Option("--model", "-m", help="Model registry [config: retrain.model].")]


def _registry(root: Path | None) -> Path:
    root = root or make_config(None, None).retrain.model
    if not is_registry(root):
        raise ConsultError(f"{root} is not a model registry (no versions)", "Create one with 'consult retrain'")
    return root


def _f1(card: dict[str, Any], key: str) -> str:
    fig = (card.get("comparison") or {}).get(key) or {}
    v = fig.get("macro_f1_new")
    return "" if v is None else f"{v:.3f}"


def _decision(card: dict[str, Any]) -> str:
    if card.get("adopted"):
        return "adopted"
    p = card.get("promotion") or {}
    if not p:
        return ""
    if card.get("parent_version") is None and p.get("promoted"):
        return "first version"
    return "promoted" if p.get("promoted") else "kept out"


@app.command("list")
@handle_errors
def list_cmd(model: RootOpt = None) -> None:
    """Every version, its parent, its scores and which one is current."""
    root = _registry(model)
    cur = current_version(root)
    t = Table(title=str(root))
    for c in ("", "version", "parent", "created", "train rows", "cv macro-F1", "held-out macro-F1", "promotion"):
        t.add_column(c)
    for v in list_versions(root):
        card = read_card(root / v)
        cv = (card.get("cv_scores") or {}).get("macro_f1", {}).get("value")
        t.add_row(
            "*" if v == cur else "",
            v,
            str(card.get("parent_version") or ""),
            str(card.get("created", "")),
            str(card.get("training_data", {}).get("rows_used", "")),
            "" if cv is None else f"{cv:.3f}",
            _f1(card, "held_out"),
            _decision(card),
        )
    out.print(t)


@app.command("show")
@handle_errors
def show_cmd(
    version: Annotated[str, typer.Argument(help="e.g. v0002", show_default=False)], model: RootOpt = None
) -> None:
    """Print a version's model card (JSON)."""
    out.print_json(json.dumps(read_card(version_dir(_registry(model), version))))


@app.command("promote")
@handle_errors
def promote_cmd(
    version: Annotated[str, typer.Argument(help="e.g. v0002", show_default=False)], model: RootOpt = None
) -> None:
    """Make a version current (whatever its scores)."""
    model = _registry(model)
    e = promote(model, version)
    say(f"{model}: current version {e['from']} → {e['to']}")


@app.command("rollback")
@handle_errors
def rollback_cmd(model: RootOpt = None) -> None:
    """Make current again the version that was current before this one."""
    model = _registry(model)
    e = rollback(model)
    say(f"{model}: rolled back {e['from']} → {e['to']}")


@app.command("history")
@handle_errors
def history_cmd(model: RootOpt = None) -> None:
    """Every promotion and rollback, oldest first."""
    for e in history(_registry(model)):
        out.print(f"{e['time']}  {e['action']:<8} {e['from'] or '-'} → {e['to']}  {e['reason']}", highlight=False)


@handle_errors
def retrain_cmd(
    model: Annotated[Path | None, typer.Option("--model", "-m", help="Model registry [config: retrain.model].")] = None,
    data: Annotated[
        Path | None, typer.Option("--data", help="Base labelled answers [config: retrain.base_data].")
    ] = None,
    audit: Annotated[Path | None, typer.Option("--audit", help="Audit store [config: review.audit_path].")] = None,
    taxonomy: Annotated[
        Path | None, typer.Option("--taxonomy", "-t", help="Theme file (YAML) the labels must come from.")
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Make the new version current even if it scores worse.")
    ] = False,
    config: ConfigOpt = None,
    set_: SetOpt = None,
) -> None:
    """Train a new version on the base data plus every review; it becomes current only if not worse."""
    cfg = make_config(config, set_)
    res = retrain(
        cfg, model_root=model, base_path=data, audit_path=audit, taxonomy_path=taxonomy, force=force, progress=say
    )
    root = model or cfg.retrain.model
    for name in ("held_out", "random_review_slice"):
        f = res.comparison.get(name, {})
        if f.get("answers"):
            cur = f.get("macro_f1_current")
            say(
                f"{name} ({f['answers']} answers{'' if f.get('gated') else ', not gated'}): macro-F1 new "
                f"{f['macro_f1_new']:.3f}" + ("" if cur is None else f", current {cur:.3f}")
            )
    if res.promoted:
        say(f"{res.version} is now the current version of {root}: {res.reason}")
    else:
        say(f"{res.version} is saved in {root} but NOT current; {res.parent} stays current because {res.reason}")
    if res.advice:
        where = "" if model is None else f" --model {root}"
        say(res.advice.replace("VERSION", res.version + where).replace("rollback'", f"rollback{where}'"))


def register(app_: typer.Typer) -> None:
    app_.command("retrain")(retrain_cmd)
    app_.add_typer(app, name="models")
