"""Every default path, written once.

Relative paths are read against the workspace (see :func:`pipeline.config.resolve_paths`); the shipped
resources are files of the installed package, used outside a workspace and copied into a new one.
"""

from __future__ import annotations

from pathlib import Path

DEFAULTS_DIR = Path(__file__).parent / "defaults"
"""The shipped resources, inside the installed package."""
SHIPPED_TAXONOMY = DEFAULTS_DIR / "themes.yaml"
SHIPPED_ENTITIES = DEFAULTS_DIR / "entities.yaml"

TAXONOMY = Path("configs/themes.yaml")
"""The repository's taxonomy (for commands run in the repository without a workspace setting)."""
ENTITIES = Path("configs/entities.yaml")
"""Entity-ruler patterns (``entities.patterns``)."""
MODEL = Path("models/default")
"""The model registry train, label, review and retrain use unless told otherwise (``retrain.model``)."""
BASE_DATA = Path("data/consultation_labelled.csv")
"""The base labelled answers retraining starts from (``retrain.base_data``)."""
AUDIT = Path("data/reviews/audit.jsonl")
"""The audit store of accepted reviews (``review.audit_path``)."""

# In a new workspace (``consult init``): its settings file names these, relative to the workspace.
WORKSPACE_TAXONOMY = Path("themes.yaml")
WORKSPACE_AUDIT = Path("reviews/audit.jsonl")
WORKSPACE_BASE_DATA = Path("data/labelled.csv")
