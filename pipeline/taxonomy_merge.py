"""Adding themes to a taxonomy file: ``consult taxonomy add FILE`` (e.g. candidates from ``consult discover``).

:func:`add_themes` checks everything before writing: the new file is a valid taxonomy, the chosen ids exist in
it, and no new theme clashes with an existing one (same id, or same name ignoring case). The taxonomy file is
then rewritten atomically. When its theme list is the last thing in the file (as in ``configs/themes.yaml``)
the new themes are appended as text, so its comments and layout stay; otherwise the whole file is written
again from its parsed content (comments are lost, and the command says so).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from .atomic import atomic_path
from .errors import ConsultError
from .guards import check_writable
from .taxonomy import Taxonomy, Theme, load_taxonomy

__all__ = ["AddResult", "add_themes"]


@dataclass
class AddResult:
    added: list[str]
    path: Path
    kept_layout: bool
    """True when the file's comments and layout were kept (the new themes appended as text)."""


def _name_key(name: str) -> str:
    return " ".join(name.casefold().split())


def add_themes(taxonomy_path: Path, new_path: Path, only: list[str] | None = None) -> AddResult:
    """Add the themes of ``new_path`` (all, or those whose ids are in ``only``) to ``taxonomy_path``."""
    taxonomy_path, new_path = Path(taxonomy_path), Path(new_path)
    if new_path.exists() and taxonomy_path.exists() and taxonomy_path.resolve() == new_path.resolve():
        raise ConsultError(f"{new_path} is the taxonomy file itself", "Give the file of new themes to add")
    current = load_taxonomy(taxonomy_path)
    new = load_taxonomy(new_path)
    chosen = new.themes
    if only:
        unknown = [i for i in only if new.get(i) is None]
        if unknown:
            raise ConsultError(
                f"{new_path} has no theme {', '.join(repr(u) for u in unknown)} (it has: {', '.join(new.ids)})",
                "Give ids from that file with --only (edit the file first to rename a candidate)",
            )
        chosen = [t for t in new.themes if t.id in only]
    clashes = []
    names = {_name_key(t.name): t.id for t in current.themes if t.name}
    for t in chosen:
        if current.get(t.id) is not None:
            clashes.append(f"id '{t.id}' is already a theme")
        elif t.name and _name_key(t.name) in names:
            clashes.append(f"'{t.id}' has the name '{t.name}' of theme '{names[_name_key(t.name)]}'")
    if clashes:
        raise ConsultError(
            f"Cannot add to {taxonomy_path}: " + "; ".join(clashes) + "; nothing was changed",
            f"Rename those themes (id and name) in {new_path}, or leave them out with --only",
        )
    check_writable(taxonomy_path)
    merged = Taxonomy(themes=[*current.themes, *chosen])
    text = taxonomy_path.read_text(encoding="utf-8")
    appended = _append_as_text(text, chosen)
    kept = appended is not None and _parses_to(appended, merged)
    out = appended if kept and appended is not None else _dump(merged)
    with atomic_path(taxonomy_path) as tmp:
        tmp.write_text(out, encoding="utf-8")
    return AddResult(added=[t.id for t in chosen], path=taxonomy_path, kept_layout=kept)


def _dump(tax: Taxonomy) -> str:
    data = {"themes": [t.model_dump() for t in tax.themes]}
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


def _append_as_text(text: str, themes: list[Theme]) -> str | None:
    """``text`` with the themes appended to its block list, indented like its items; None when the list is not
    a block list at the end of the file."""
    items = re.findall(r"(?m)^([ \t]*)- id:", text)
    if not items or not re.search(r"(?m)^themes:\s*$", text):
        return None
    indent = items[-1]
    block = yaml.safe_dump([t.model_dump() for t in themes], sort_keys=False, allow_unicode=True, width=100)
    block = "".join(indent + line if line.strip() else line for line in block.splitlines(keepends=True))
    return text.rstrip("\n") + "\n" + block


def _parses_to(text: str, expected: Taxonomy) -> bool:
    try:
        return Taxonomy.model_validate(yaml.safe_load(text)) == expected
    except (yaml.YAMLError, ValueError):
        return False
