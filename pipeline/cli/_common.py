"""What every command shares: user-error handling, config options, console output, progress."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from ..clean import has_built_in_phrases
from ..config import Config, load_config
from ..errors import ConsultError
from ..label import config_for_labelled
from ..progress import Progress as StageProgress

F = TypeVar("F", bound=Callable[..., Any])

# No console markup: messages and tables carry file names, column names and theme names, where "[b]" is text.
out = Console(markup=False)
err = Console(stderr=True, markup=False)

ConfigOpt = Annotated[
    Path | None,
    typer.Option(
        "--config", "-c", help="Settings file (TOML). Default: the workspace's consult.toml (see 'consult init')."
    ),
]
# Set by the app's --workspace option (see pipeline.cli): the workspace every command resolves paths against.
WORKSPACE: dict[str, Path | None] = {"root": None}
SetOpt = Annotated[
    list[str] | None, typer.Option("--set", help="Override a setting, e.g. --set model.cv_folds=3 (repeatable).")
]
TextColOpt = Annotated[
    str | None,
    typer.Option("--text-column", help="Column with the answers [config: ingest.text_column, default 'text']."),
]
QuestionColOpt = Annotated[
    str | None,
    typer.Option(
        "--question-column",
        help="Column saying which question each answer responds to, read when the file has it; '' for none "
        "[config: ingest.question_column, default 'question'].",
    ),
]
LabelsColOpt = Annotated[
    str | None,
    typer.Option("--labels-column", help="Column with themes [config: ingest.labels_column, default 'labels']."),
]
SepOpt = Annotated[
    str | None,
    typer.Option("--sep", help="Separator between themes in a cell [config: ingest.label_separator, default ';']."),
]
ThemeColsOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--theme-column",
        metavar="<column>",
        help="Labels as 0/1 columns, one per theme, instead of a labels column: a column name, or FIRST..LAST for "
        "every column between (repeatable) [config: ingest.theme_columns].",
        show_default=False,
    ),
]
EncodingOpt = Annotated[
    str | None,
    typer.Option(
        "--encoding",
        help="Text encoding of a CSV, TSV or JSONL input, e.g. cp866 or latin-1 [config: ingest.encoding, default "
        "'auto': UTF-8/16/32 with a byte-order mark, UTF-8, or Windows-1252; nothing else is guessed].",
    ),
]
SkipRowsOpt = Annotated[
    int | None,
    typer.Option(
        "--skip-rows",
        min=0,
        help="Title rows above the header to skip (CSV, XLSX) [config: ingest.skip_rows; 0 = detect them].",
    ),
]
IdColOpt = Annotated[
    str | None, typer.Option("--id-column", help="Column with answer ids [config: ingest.id_column, default 'id'].")
]


def handle_errors(func: F) -> F:
    """Turn a ConsultError into one line on stderr and exit code 1 (no traceback)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ConsultError as e:
            err.print(Text.assemble(("Error:", "bold red"), f" {e}"), highlight=False, soft_wrap=True)
            raise typer.Exit(code=1) from None
        except KeyboardInterrupt:
            err.print("Interrupted; nothing was written.")
            raise typer.Exit(code=130) from None

    return wrapper  # type: ignore[return-value]


def make_config(
    config: Path | None,
    overrides: list[str] | None,
    *,
    text_column: str | None = None,
    id_column: str | None = None,
    question_column: str | None = None,
    labels_column: str | None = None,
    separator: str | None = None,
    theme_columns: list[str] | None = None,
    encoding: str | None = None,
    labelled: Path | None = None,
    skip_rows: int | None = None,
) -> Config:
    """The settings of this run: the workspace's (or ``config``), ``--set`` overrides, column options; for a
    labelled file, the columns recorded beside it unless given here."""
    extra = [f"ingest.theme_columns={_quote(theme_columns)}"] if theme_columns else []
    for key, value in (
        ("ingest.text_column", text_column),
        ("ingest.id_column", id_column),
        ("ingest.question_column", question_column),
        ("ingest.labels_column", labels_column),
        ("ingest.label_separator", separator),
        ("ingest.encoding", encoding),
        ("ingest.skip_rows", skip_rows),
    ):
        if value is not None:
            extra.append(f"{key}={_quote(value)}")
    cfg = load_config(config, [*(overrides or []), *extra], workspace=WORKSPACE["root"])
    if labelled is not None:
        given = [k for k, v in (("id_column", id_column), ("text_column", text_column)) if v is not None]
        given += ["question_column"] if question_column is not None else []
        cfg = config_for_labelled(cfg, labelled, given)
    return cfg


def _quote(value: str | int | list[str]) -> str:
    """A value as the JSON that ``--set`` parses."""
    return json.dumps(value)


def note_language(cfg: Config, lang: str) -> None:
    """Say when the data's language has no built-in non-substantive phrases (only neutral ones apply)."""
    if cfg.clean.non_substantive == "auto" and not has_built_in_phrases(lang):
        say(
            f"no built-in phrases for answers that say nothing in language '{lang}': only '-', 'n/a' and the like "
            "are flagged; set clean.non_substantive to a list of patterns for more"
        )


def say(msg: str) -> None:
    # Never broken into lines by the console: a path or command line in a message stays whole to copy.
    err.print(Text.assemble(("·", "dim"), f" {msg}"), highlight=False, soft_wrap=True)


class RateColumn(ProgressColumn):
    """Answers per second."""

    def render(self, task: Task) -> Text:
        return Text(f"{task.speed:,.0f} answers/s" if task.speed else "", style="dim")


def _bars() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        RateColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=True,
        disable=not sys.stderr.isatty(),
    )


@contextmanager
def progress_bar(description: str) -> Iterator[tuple[Callable[[int], None], Callable[[int], None]]]:
    """Yields (on_start(total), tick(n)); draws a bar on a terminal, stays quiet otherwise."""
    with _bars() as bar:
        task = bar.add_task(description, total=None)

        def on_start(total: int) -> None:
            bar.update(task, total=total)

        def tick(n: int) -> None:
            bar.advance(task, n)

        yield on_start, tick


class _StageBars(StageProgress):
    def __init__(self, bar: Progress) -> None:
        self.bar = bar
        self.task: TaskID | None = None

    def stage(self, name: str, total: int | None) -> None:
        if self.task is not None:
            self.bar.update(self.task, visible=False)
        self.task = self.bar.add_task(name, total=total)

    def tick(self, n: int) -> None:
        if self.task is not None:
            self.bar.advance(self.task, n)


@contextmanager
def stage_bars() -> Iterator[StageProgress]:
    """A bar per stage (total: answers; with rate and time left), on a terminal only."""
    with _bars() as bar:
        yield _StageBars(bar)
