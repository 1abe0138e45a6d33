"""consult: free-text consultation answers → reviewed theme labels and theme counts.

The Python API is one entry function per stage, the same functions the ``consult`` commands call (see
``docs/api.md``)::

    from pathlib import Path
    from pipeline import label_file, load_config, train_file

    config = load_config()  # the workspace's consult.toml, else the shipped defaults
    train_file(Path("data/consultation_labelled.csv"), Path("models/mine"), config)
    label_file(Path("data/consultation_new.csv"), Path("labelled.csv"), Path("models/mine"), config)

Stages, one module each: ``ingest`` (:func:`validate`, :func:`load_answers`) → ``clean`` (:func:`clean_file`)
→ ``entities`` (:func:`entities_file`) → ``train`` (:func:`train_file`) → ``label`` (:func:`label_file`,
:func:`label_answers`) → ``evaluate`` (:func:`evaluate_file`) → ``review`` (:func:`export_for_review`,
:func:`import_reviews`) → ``retrain`` (:func:`retrain`) → ``report`` (:func:`report_file`); beside them
``redact`` (:func:`redact_file`), ``safeguarding`` (:func:`safeguarding_file`) and ``discover``
(:func:`discover_file`). Bad input raises :class:`ConsultError` (``problem`` and ``fix``). The CLI
(``pipeline.cli``) only wires these functions.

``report_file``, ``redact_file`` and ``discover_file`` are loaded on first use: their modules import spaCy
(and with it torch, when installed), which would make ``import pipeline`` take seconds.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from .config import Config, load_config
from .errors import ConsultError
from .evaluate import evaluate_file
from .ingest import load_answers, validate
from .label import label_answers, label_file
from .modelstore import load_model
from .provenance import __version__
from .retrain import retrain
from .review import export_for_review, import_reviews
from .safeguarding import safeguarding_file
from .scan import clean_file, entities_file
from .train import train_file
from .workspace import init_workspace

if TYPE_CHECKING:
    from .discover import discover_file
    from .redact import redact_file
    from .report import report_file

# name -> module of the entry functions whose modules import spaCy, loaded on first use (PEP 562)
_ON_FIRST_USE = {"discover_file": ".discover", "redact_file": ".redact", "report_file": ".report"}


def __getattr__(name: str) -> Any:
    if name in _ON_FIRST_USE:
        value = getattr(import_module(_ON_FIRST_USE[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_ON_FIRST_USE))


__all__ = [
    "Config",
    "ConsultError",
    "__version__",
    "clean_file",
    "discover_file",
    "entities_file",
    "evaluate_file",
    "export_for_review",
    "import_reviews",
    "init_workspace",
    "label_answers",
    "label_file",
    "load_answers",
    "load_config",
    "load_model",
    "redact_file",
    "report_file",
    "retrain",
    "safeguarding_file",
    "train_file",
    "validate",
]
