"""Model directories: the whole sklearn Pipeline in ``model.joblib`` beside ``model-card.json``.

joblib files run code when loaded, so :func:`load_model` loads only a file whose SHA-256 matches the one
its card records, and only with the scikit-learn version it was saved with.
"""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import joblib

from .atomic import atomic_dir, check_space, usual_permissions
from .errors import ConsultError
from .tables import check_writable

MODEL_FILE = "model.joblib"
CARD_FILE = "model-card.json"
CARD_SCHEMA = 1


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def package_versions(packages: tuple[str, ...]) -> dict[str, str]:
    """Installed version of each package ("not installed" when absent)."""
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for pkg in packages:
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = "not installed"
    return out


def library_versions() -> dict[str, str]:
    import platform

    libs = ("consult", "scikit-learn", "numpy", "scipy", "spacy", "pandas", "joblib")
    return {"python": platform.python_version(), **package_versions(libs)}


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
        from .classify import pipeline_questions

        return pipeline_questions(self.pipeline)


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
    import sklearn

    from .registry import resolve_model_dir

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
    except Exception as e:  # a corrupt or incompatible pickle
        raise ConsultError(
            f"Cannot load {path} ({type(e).__name__}: {e})", "Retrain the model with 'consult train'"
        ) from None
    return LoadedModel(pipeline=pipeline, card=card, path=model_dir)
