"""The ``consult`` command line: thin commands over the pipeline's importable functions."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Annotated

import typer

# One module per command group: data (init, validate, clean, entities, redact, safeguarding), train_label_evaluate,
# report (report, demo), models (the models group, retrain), discover (discover, the taxonomy group), review.
from . import _common, data, discover, models, report, review, train_label_evaluate

app = typer.Typer(
    rich_markup_mode=None,  # option help uses [brackets] for config keys and defaults
    name="consult",
    help="Turn free-text consultation answers into reviewed theme labels and theme counts.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _workspace(
    workspace: Annotated[
        Path | None,
        typer.Option(
            "--workspace",
            "-w",
            envvar="CONSULT_WORKSPACE",
            help="Workspace folder (made by 'consult init') whose settings and paths every command uses. "
            "Default: the nearest folder upwards from here holding consult.toml or configs/consult.toml; "
            "outside any, the shipped defaults.",
        ),
    ] = None,
) -> None:
    _common.WORKSPACE["root"] = workspace


data.register(app)
train_label_evaluate.register(app)
report.register(app)
models.register(app)
discover.register(app)
app.add_typer(review.app, name="review")


def main() -> None:
    _stop_cleanly_on_signals()
    app()


def _stop_cleanly_on_signals() -> None:
    """SIGTERM and SIGHUP (a closed terminal, a job scheduler's stop) end a command as Ctrl-C does: temporary
    files are removed and nothing is half-written."""

    def stop(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), stop)


__all__ = ["app", "main"]
