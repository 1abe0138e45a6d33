"""consult: free-text consultation answers → reviewed theme labels and theme counts.

Stages, one module each: ``ingest`` → ``clean`` → ``entities`` → ``classify``/``train`` → ``label`` →
``evaluate`` → ``report``. The CLI (``pipeline.cli``) only wires them.
"""

from __future__ import annotations

from .config import Config, load_config
from .errors import ConsultError
from .label import label_answers, label_file
from .modelstore import load_model, save_model
from .train import train_file, train_model

__version__ = "0.1.0"
__all__ = [
    "Config",
    "ConsultError",
    "label_answers",
    "label_file",
    "load_config",
    "load_model",
    "save_model",
    "train_file",
    "train_model",
    "__version__",
]
