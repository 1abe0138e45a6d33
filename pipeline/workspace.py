"""Consultation workspaces: a folder holding ``consult.toml`` (or ``configs/consult.toml``, as the repository
does), its taxonomy, and ``data/ models/ reviews/ reports/``.

Every command finds the workspace by looking upwards from the current folder (or takes ``--workspace DIR``) and
resolves every relative path of its settings against the workspace, never the current folder. Outside any
workspace the shipped defaults apply, read from the installed package (``pipeline/defaults/``).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from .errors import ConsultError
from .taxonomy import load_taxonomy

WORKSPACE_FILE = "consult.toml"
FOLDERS = ("data", "models", "reviews", "reports")
DEFAULTS_DIR = Path(__file__).parent / "defaults"
DEFAULT_TAXONOMY_FILE = DEFAULTS_DIR / "themes.yaml"
DEFAULT_ENTITIES_FILE = DEFAULTS_DIR / "entities.yaml"

__all__ = ["DEFAULTS_DIR", "config_file", "find_workspace", "init_workspace", "workspace_root"]


def config_file(root: Path) -> Path | None:
    """The settings file of a workspace folder, or None when ``root`` is not a workspace."""
    for f in (Path(root) / WORKSPACE_FILE, Path(root) / "configs" / WORKSPACE_FILE):
        if f.is_file():
            return f
    return None


def find_workspace(start: Path | None = None) -> Path | None:
    """The nearest folder at or above ``start`` (default: the current folder) that is a workspace."""
    here = Path(start or Path.cwd()).resolve()
    for d in (here, *here.parents):
        if config_file(d) is not None:
            return d
    return None


def workspace_root(explicit: Path | None = None) -> Path | None:
    """``explicit`` (checked) or the workspace found upwards from the current folder; None outside any."""
    if explicit is None:
        return find_workspace()
    root = Path(explicit).resolve()
    if config_file(root) is None:
        raise ConsultError(
            f"{explicit} is not a consult workspace (no {WORKSPACE_FILE} in it)",
            f"Create one with 'consult init {explicit}', or leave out --workspace",
        )
    return root


def _toml_str(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a valid TOML basic string


def init_workspace(
    folder: Path,
    *,
    title: str = "",
    taxonomy: Path | None = None,
    id_column: str = "id",
    text_column: str = "text",
    labels_column: str = "labels",
    question_column: str = "question",
) -> list[Path]:
    """Create a workspace in ``folder``: ``consult.toml``, a copy of the taxonomy, and the four folders.
    Refuses a folder that already is one. Returns what was created."""
    folder = Path(folder)
    if (folder / WORKSPACE_FILE).exists():
        raise ConsultError(f"{folder} already is a workspace ({folder / WORKSPACE_FILE} exists)", "Use it as it is")
    source = Path(taxonomy) if taxonomy is not None else DEFAULT_TAXONOMY_FILE
    if not source.is_file():
        raise ConsultError(f"Taxonomy file {source} not found", "Give an existing YAML theme file with --taxonomy")
    load_taxonomy(source)  # refuse a broken taxonomy before writing anything
    folder.mkdir(parents=True, exist_ok=True)
    made = []
    for name in FOLDERS:
        (folder / name).mkdir(exist_ok=True)
        made.append(folder / name)
    tax = folder / "themes.yaml"
    shutil.copyfile(source, tax)
    made.append(tax)
    text = f"""# consult workspace settings. Every relative path here is read from this folder, whatever folder a
# command runs in. Every key is optional; see the shipped configs/consult.toml for all keys and defaults.

[project]
title = {_toml_str(title or folder.resolve().name)}   # report title (consult report --title overrides it)
taxonomy = "themes.yaml"      # the coding frame: theme names, definitions, examples (train, review, report, retrain)

[ingest]
id_column = {_toml_str(id_column)}
text_column = {_toml_str(text_column)}
labels_column = {_toml_str(labels_column)}
question_column = {_toml_str(question_column)}

[review]
audit_path = "reviews/audit.jsonl"  # append-only, hash-chained store of accepted reviews

[retrain]
model = "models/default"      # model registry: train, label, review and retrain use it unless told otherwise
base_data = "data/labelled.csv"  # the base labelled answers retraining starts from

[report]
min_group_size = 10           # groups smaller than this are suppressed in breakdowns
"""
    (folder / WORKSPACE_FILE).write_text(text, encoding="utf-8")
    made.append(folder / WORKSPACE_FILE)
    return made
