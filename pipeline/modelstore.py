"""Model directories: the whole sklearn Pipeline in ``model.joblib`` beside ``model-card.json``.

joblib files run code when loaded, so :func:`load_model` loads only a file whose SHA-256 matches the one
its card records, and only with the scikit-learn version it was saved with. A model is read from a model
directory or from the current version of a registry (``models/<name>/``, see :mod:`pipeline.registry`).
"""

from __future__ import annotations

import hashlib
import io
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import joblib
import sklearn

from .atomic import atomic_dir, check_space, usual_permissions
from .errors import ConsultError
from .features import ModelInput, pipeline_input, pipeline_questions
from .guards import check_writable
from .provenance import sha256_file

MODEL_FILE = "model.joblib"
CARD_FILE = "model-card.json"
CARD_SCHEMA = 1
CURRENT_FILE = "CURRENT"
VERSION_NAME = re.compile(r"^v(\d{4,})$")


@dataclass
class LoadedModel:
    pipeline: Any
    card: dict[str, Any]
    path: Path

    @property
    def themes(self) -> list[str]:
        return list(self.card["themes"])

    @property
    def mode(self) -> str:
        return str(self.card["mode"])

    @property
    def version(self) -> str:
        return str(self.card.get("version") or self.path.name)

    @property
    def questions(self) -> list[str]:
        """The questions the model has per-question features for ([]: it reads the text alone)."""
        return pipeline_questions(self.pipeline)


def model_input_for(model: LoadedModel, texts: Sequence[str], questions: Sequence[str] | None) -> ModelInput:
    """The model's input for ``texts``: with the question each responds to, if the model reads them (it refuses
    input without them, naming the model)."""
    return pipeline_input(model.pipeline, texts, questions, f"Model {model.version}")


def check_model_output(model_dir: Path, *inputs: Path | None) -> None:
    """Refuse, before any work, a model folder that would replace something other than a model: a registry, a
    file, a folder with other files in it, or a folder holding one of the ``inputs``."""
    model_dir = Path(model_dir)
    check_writable(model_dir, folder=True)
    if (model_dir / "CURRENT").is_file():
        raise ConsultError(
            f"{model_dir} is a model registry (versions and a CURRENT pointer); writing a model over it would replace every version",
            "Write to another folder with -o, or add a version with 'consult retrain'",
        )
    if model_dir.is_dir():
        for p in inputs:
            if p is not None and model_dir.resolve() in Path(p).resolve().parents:
                raise ConsultError(
                    f"The input {p} is inside the model folder {model_dir}, which training replaces as a whole",
                    "Keep data outside the model folder, or write the model to another folder with -o",
                )
        other = sorted(p.name for p in model_dir.iterdir() if p.name not in (MODEL_FILE, CARD_FILE))
        if other and not is_model_dir(model_dir):
            raise ConsultError(
                f"{model_dir} exists and is not a consult model directory",
                "Choose a new or empty folder for -o, so nothing else is overwritten",
            )
        if other:
            raise ConsultError(
                f"{model_dir} holds files besides the model ({', '.join(other[:5])}); training replaces the folder "
                "as a whole and would delete them",
                "Move them out, or write the model to another folder with -o",
            )


def save_model(pipeline: Any, card: dict[str, Any], model_dir: Path) -> Path:
    """Write the model and its card into ``model_dir``: made beside it, then swapped in whole (see
    :func:`pipeline.atomic.atomic_dir`). The model is serialised in memory first, so a disk without room for
    it is refused before anything is written."""
    model_dir = Path(model_dir)
    check_model_output(model_dir)
    buf = io.BytesIO()
    joblib.dump(pipeline, buf, compress=3)
    blob = buf.getvalue()
    card = dict(card)
    card["card_schema"] = CARD_SCHEMA
    card["model_file"] = MODEL_FILE
    card["model_sha256"] = hashlib.sha256(blob).hexdigest()
    card_bytes = (json.dumps(card, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    check_space(model_dir, len(blob) + len(card_bytes))
    with atomic_dir(model_dir) as tmp:
        (tmp / MODEL_FILE).write_bytes(blob)
        (tmp / CARD_FILE).write_bytes(card_bytes)
        for f in (MODEL_FILE, CARD_FILE):
            usual_permissions(tmp / f)
    return model_dir


def is_model_dir(path: Path) -> bool:
    return (Path(path) / CARD_FILE).is_file()


def read_card(model_dir: Path) -> dict[str, Any]:
    model_dir = Path(model_dir)
    if not model_dir.is_dir() or not is_model_dir(model_dir):
        raise ConsultError(
            f"{model_dir} is not a consult model directory (no {CARD_FILE})",
            "Train one with 'consult train DATA -o DIR' and pass that DIR",
        )
    try:
        card = json.loads((model_dir / CARD_FILE).read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ConsultError(
            f"{model_dir / CARD_FILE} is not valid JSON", "Retrain the model with 'consult train'"
        ) from None
    for key in ("themes", "mode", "model_sha256", "versions"):
        if key not in card:
            raise ConsultError(f"{model_dir / CARD_FILE} lacks '{key}'", "Retrain the model with 'consult train'")
    return card


def load_model(model_dir: Path) -> LoadedModel:
    """Load a model directory after checking the file's SHA-256 and the scikit-learn version.

    A model registry (``models/<name>/`` with versions) loads its current version."""
    model_dir = resolve_model_dir(Path(model_dir))
    card = read_card(model_dir)
    path = model_dir / card.get("model_file", MODEL_FILE)
    if not path.is_file():
        raise ConsultError(f"{model_dir} has a card but no {path.name}", "Retrain the model with 'consult train'")
    digest = sha256_file(path)
    if digest != card["model_sha256"]:
        raise ConsultError(
            f"{path} does not match the SHA-256 in its model card (the file was changed or replaced); refusing to load it",
            "Retrain the model with 'consult train', or restore the original file",
        )
    saved = card["versions"].get("scikit-learn")
    if saved != sklearn.__version__:
        raise ConsultError(
            f"{model_dir} was saved with scikit-learn {saved} but {sklearn.__version__} is installed",
            f"Install scikit-learn=={saved} (pip install -e . pins it) or retrain the model",
        )
    try:
        pipeline = joblib.load(path)
    except ModuleNotFoundError as e:
        if (e.name or "").startswith("pipeline."):  # e.g. pipeline.classify, split by concept
            raise ConsultError(
                f"{path} was saved by an earlier consult, whose model code ({e.name}) has since moved",
                f"Retrain it: 'consult train DATA -o {model_dir}' (or 'consult retrain' for a registry)",
            ) from None
        raise ConsultError(f"Cannot load {path} ({e})", "Retrain the model with 'consult train'") from None
    except Exception as e:  # a corrupt or incompatible pickle
        raise ConsultError(
            f"Cannot load {path} ({type(e).__name__}: {e})", "Retrain the model with 'consult train'"
        ) from None
    return LoadedModel(pipeline=pipeline, card=card, path=model_dir)


# --- where a model is read from: a model directory, or the current version of a registry ---------------


def is_registry(path: Path) -> bool:
    path = Path(path)
    return (
        path.is_dir()
        and not is_model_dir(path)
        and (
            (path / CURRENT_FILE).is_file()
            or any(VERSION_NAME.match(p.name) and is_model_dir(p) for p in path.iterdir())
        )
    )


def list_versions(root: Path) -> list[str]:
    """Version names in order (v0001, v0002, ...)."""
    root = Path(root)
    if not root.is_dir():
        return []
    found = [p.name for p in root.iterdir() if VERSION_NAME.match(p.name) and is_model_dir(p)]
    return sorted(found, key=lambda v: int(v[1:]))


def current_version(root: Path) -> str | None:
    f = Path(root) / CURRENT_FILE
    if not f.is_file():
        return None
    v = f.read_text(encoding="utf-8").strip()
    if not is_model_dir(Path(root) / v):
        raise ConsultError(
            f"{f} names version '{v}', which is not a model directory in {root}",
            f"Point it at an existing version with 'consult models promote VERSION --model {root}'",
        )
    return v


def resolve_model_dir(path: Path) -> Path:
    """The model directory to load: ``path`` itself if it is one, else the current version of a registry."""
    path = Path(path)
    if is_model_dir(path):
        return path
    if not path.exists():
        raise ConsultError(f"Model {path} does not exist{_models_near(path)}", "Give one of those with --model")
    if is_registry(path):
        v = current_version(path)
        if v is None:
            raise ConsultError(
                f"{path} has model versions but none is current (no {CURRENT_FILE} file)",
                f"Choose one with 'consult models promote VERSION --model {path}'",
            )
        return path / v
    return path  # load_model reports what is missing


def _models_near(path: Path) -> str:
    """What there is instead of a missing model: the versions of the registry it would be in, else the models
    and registries beside it."""
    parent = path.parent
    if is_registry(parent):
        cur = current_version(parent)
        listed = ", ".join(f"{v}{' (current)' if v == cur else ''}" for v in list_versions(parent))
        return f"; {parent} has versions {listed or 'none'}"
    if parent.is_dir():
        found = sorted(str(p) for p in parent.iterdir() if p.is_dir() and (is_model_dir(p) or is_registry(p)))
        if found:
            return f"; models in {parent}: {', '.join(found)}"
    return f" (and {parent} holds no models)"
