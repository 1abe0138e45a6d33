"""The theme taxonomy: a YAML file listing themes (id, name, definition, include/exclude examples)."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .errors import ConsultError

# Review files separate themes with ';' and refuse ',' and '|' (a likely wrong separator), so no id holds them.
FORBIDDEN_IN_IDS = ";|,\n"


class Theme(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1)
    name: str = ""
    definition: str = ""
    include: list[str] = Field(default_factory=list)
    exclude: list[str] = Field(default_factory=list)

    @field_validator("id")
    @classmethod
    def _no_separator(cls, v: str) -> str:
        if v != v.strip() or any(c in v for c in FORBIDDEN_IN_IDS):
            raise ValueError("theme ids must not contain ';', '|', ',', newlines or surrounding spaces")
        return v


class Taxonomy(BaseModel):
    model_config = ConfigDict(extra="forbid")

    themes: list[Theme]

    @field_validator("themes")
    @classmethod
    def _unique(cls, v: list[Theme]) -> list[Theme]:
        ids = [t.id for t in v]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"duplicate theme ids: {', '.join(dupes)}")
        if not v:
            raise ValueError("no themes")
        return v

    @property
    def ids(self) -> list[str]:
        return [t.id for t in self.themes]

    def get(self, theme_id: str) -> Theme | None:
        return next((t for t in self.themes if t.id == theme_id), None)


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


def from_ids(ids: list[str]) -> Taxonomy:
    """A bare taxonomy for labels taken from the data."""
    return Taxonomy(themes=[Theme(id=i, name=i) for i in ids])


def split_labels(cell: str, sep: str) -> list[str]:
    """Themes in one labels cell, trimmed and in Unicode NFC (so "ü" typed as u + ¨ is the same theme), without
    blanks or repeats, in their order."""
    seen: list[str] = []
    for part in str(cell or "").split(sep):
        p = unicodedata.normalize("NFC", part).strip()
        if p and p not in seen:
            seen.append(p)
    return seen
