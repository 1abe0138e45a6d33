"""Filesystem guards: an output path is checked before any work is done, so that a run never ends in an error
after minutes of work, and never overwrites one of its inputs."""

from __future__ import annotations

import tempfile
from pathlib import Path

from .errors import ConsultError
from .formats import table_format

__all__ = ["check_not_input", "check_output_path", "check_writable"]


def check_writable(target: Path, *, folder: bool = False) -> None:
    """Refuse, before any work, an output that is a folder (or, for ``folder``, a file), that sits under a file,
    or whose nearest existing folder cannot be written to."""
    target = Path(target)
    if target.is_dir() and not folder:
        raise ConsultError(f"Output {target} is a folder", "Give a file name, e.g. -o results/out.csv")
    if folder and target.exists() and not target.is_dir():
        raise ConsultError(f"Output {target} is a file, not a folder", "Give a new folder name")
    parent = target.parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        raise ConsultError(f"Cannot write {target}: {parent} is a file, not a folder", "Choose another output path")
    try:  # a real write: permissions alone do not tell (read-only mounts, /proc, root)
        with tempfile.TemporaryFile(dir=parent):
            pass
    except OSError:
        raise ConsultError(
            f"Cannot write {target}: {parent} is not writable", "Write to a folder you can write to"
        ) from None


def check_output_path(output: Path, *inputs: Path) -> None:
    """Refuse to overwrite an input, unknown output formats and unwritable paths, before any work is done."""
    table_format(output)
    check_writable(Path(output))
    check_not_input(output, *inputs)


def check_not_input(output: Path, *inputs: Path | None) -> None:
    """Refuse an output path that is one of the inputs."""
    for p in inputs:
        if p is not None and Path(p).exists() and Path(output).exists() and Path(output).resolve() == Path(p).resolve():
            raise ConsultError(f"Output {output} is the input file", "Write to a new file; inputs are never modified")
