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

``import pipeline`` loads spaCy (the theme model's tokenizer); it never loads the optional extras (Dask,
sentence embeddings).
"""

from __future__ import annotations

from .config import Config, load_config
from .discover import discover_file
from .errors import ConsultError
from .evaluate import evaluate_file
from .ingest import load_answers, validate
from .label import label_answers, label_file
from .modelstore import load_model
from .provenance import __version__
from .redact import redact_file
from .report import report_file
from .retrain import retrain
from .review import export_for_review, import_reviews
from .safeguarding import safeguarding_file
from .scan import clean_file, entities_file
from .train import train_file
from .workspace import init_workspace

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
