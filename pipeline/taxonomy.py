"""The theme taxonomy: a YAML file listing themes (id, name, definition, include/exclude examples).

Any real coding frame works: a theme's id or name may hold commas, semicolons, slashes, ampersands, quotes,
brackets or any script. Wherever themes are stored in files (the ``themes`` cell, ``p_<theme>`` columns, review
files, the audit store) a theme is written as its *key* (:func:`theme_key`): the id itself when no character in it
can break a cell of theme ids, else an id derived from it (its words and a short hash, stable across runs and
machines). Names are kept in the model card and shown to people.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .errors import ConsultError

# Theme cells separate keys with ';' and review files refuse ',' and '|' (a likely wrong separator): no key holds
# them, nor a line break or tab. A leading = + - @ would make a spreadsheet read the cell as a formula.
BREAKING = ";|,\n\r\t"
FORBIDDEN_IN_IDS = BREAKING  # the characters a key never holds (for code that makes ids of its own)


def theme_key(label: str) -> str:
    """The key a theme is stored under: ``label`` (trimmed, NFC) when it is safe in a cell of theme ids, else its
    words joined by ``_`` plus the first 6 hex digits of its SHA-256 (e.g. "Staff listening, understanding &
    involving patients" → "staff_listening_understanding_involving_patients_5c0b0e"). Idempotent."""
    s = unicodedata.normalize("NFC", str(label)).strip()
    if s and not any(c in s for c in BREAKING) and s[0] not in "=+-@":
        return s
    words = "_".join(re.findall(r"\w+", s.lower()))[:48].strip("_")
    return f"{words or 'theme'}_{hashlib.sha256(s.encode('utf-8')).hexdigest()[:6]}"


class Theme(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1)
    name: str = ""
    definition: str = ""
    include: list[str] = Field(default_factory=list)
    exclude: list[str] = Field(default_factory=list)

    @field_validator("id")
    @classmethod
    def _trimmed(cls, v: str) -> str:
        v = unicodedata.normalize("NFC", v).strip()
        if not v:
            raise ValueError("theme ids must not be blank")
        return v

    @property
    def key(self) -> str:
        """How the theme is stored in files (see :func:`theme_key`)."""
        return theme_key(self.id)

    @property
    def label(self) -> str:
        """What people see: the name, else the id."""
        return self.name or self.id


class Taxonomy(BaseModel):
    model_config = ConfigDict(extra="forbid")

    themes: list[Theme]

    @field_validator("themes")
    @classmethod
    def _unique(cls, v: list[Theme]) -> list[Theme]:
        ids = [t.key for t in v]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"duplicate theme ids: {', '.join(dupes)}")
        if not v:
            raise ValueError("no themes")
        return v

    @property
    def ids(self) -> list[str]:
        """Theme keys, in taxonomy order (what models, labelled files and reviews hold)."""
        return [t.key for t in self.themes]

    def get(self, theme_id: str) -> Theme | None:
        """The theme with this key or id."""
        k = theme_key(theme_id)
        return next((t for t in self.themes if t.key == k), None)

    def lookup(self) -> dict[str, str]:
        """Every way a label cell may name a theme (key, id, name; NFC, trimmed) → its key."""
        out: dict[str, str] = {}
        for t in self.themes:
            for form in (t.name, t.id, t.key):
                if form.strip():
                    out.setdefault(unicodedata.normalize("NFC", form).strip(), t.key)
        return out


def load_taxonomy(path: Path) -> Taxonomy:
    path = Path(path)
    if not path.is_file():
        raise ConsultError(
            f"Taxonomy file {path} not found",
            "Pass an existing YAML theme file with --taxonomy (or set project.taxonomy in consult.toml)",
        )
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        return Taxonomy.model_validate(data)
    except yaml.YAMLError as e:
        raise ConsultError(f"Taxonomy file {path} is not valid YAML ({e})", "Fix its syntax") from None
    except ValidationError as e:
        first = e.errors()[0]
        where = ".".join(str(x) for x in first["loc"])
        raise ConsultError(
            f"Taxonomy file {path} is invalid at '{where}': {first['msg']}", "See configs/themes.yaml for the shape"
        ) from None


def card_taxonomy(card: dict[str, Any]) -> Taxonomy | None:
    """The taxonomy a model card keeps (names, definitions, examples), or None when it has none."""
    themes = (card.get("taxonomy") or {}).get("themes")
    return Taxonomy.model_validate({"themes": themes}) if themes else None


def taxonomy_for(path: Path | None, card: dict[str, Any] | None = None) -> Taxonomy | None:
    """The taxonomy at ``path`` when given, else the one the model ``card`` was trained with, else None."""
    if path is not None:
        return load_taxonomy(path)
    return card_taxonomy(card or {})


def from_ids(ids: list[str], names: dict[str, str] | None = None) -> Taxonomy:
    """A bare taxonomy for labels taken from the data (``names`` by key, e.g. from a model card)."""
    names = names or {}
    return Taxonomy(themes=[Theme(id=i, name=names.get(i, i)) for i in ids])


def split_label_names(cell: str, sep: str, known: Iterable[str] = ()) -> list[str]:
    """Themes in one labels cell as written, trimmed and in Unicode NFC (so "ü" typed as u + ¨ is the same theme),
    without blanks or repeats, in their order. A ``known`` name that holds the separator ("Access; waiting") is
    recognised whole when the cell has it."""
    names = {unicodedata.normalize("NFC", k).strip() for k in known}
    parts = str(cell or "").split(sep)
    seen: list[str] = []
    i = 0
    while i < len(parts):
        j = next(
            (
                j
                for j in range(len(parts), i + 1, -1)
                if unicodedata.normalize("NFC", sep.join(parts[i:j])).strip() in names
            ),
            i + 1,
        )
        p = unicodedata.normalize("NFC", sep.join(parts[i:j])).strip()
        if p and p not in seen:
            seen.append(p)
        i = j
    return seen


def split_labels(cell: str, sep: str, taxonomy: Taxonomy | None = None) -> list[str]:
    """Theme keys (:func:`theme_key`) in one labels cell, in their order. With a taxonomy, a cell may name a
    theme by its id or its name, even one holding the separator."""
    lookup = taxonomy.lookup() if taxonomy is not None else {}
    out: list[str] = []
    for name in split_label_names(cell, sep, lookup):
        k = lookup.get(name) or theme_key(name)
        if k not in out:
            out.append(k)
    return out
