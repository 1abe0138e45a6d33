"""The opt-in sentence-embedding block (model.sentence_model) with the real packaged all-MiniLM-L6-v2."""

from __future__ import annotations

import json
import pickle
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipeline import embeddings
from pipeline.config import ModelConfig
from pipeline.embeddings import SentenceEmbeddings, model_dir
from pipeline.errors import ConsultError
from pipeline.features import build_features
from pipeline.modelstore import CARD_FILE

from .test_classify import COURT, LIGHT, PATROL
from .test_cli import FAST, _assert_clean_failure, run

pytest.importorskip("sentence_transformers", reason="the embeddings extra is not installed")
MODEL = "all-MiniLM-L6-v2"


@pytest.fixture(scope="module", autouse=True)
def _cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Unpack the packaged model into a temporary cache, not the user's."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CONSULT_CACHE", str(tmp_path_factory.mktemp("cache")))
        yield


@pytest.fixture(scope="module")
def block() -> SentenceEmbeddings:
    return SentenceEmbeddings(MODEL).fit(["x"])


def test_off_by_default() -> None:
    assert [name for name, _ in build_features(ModelConfig(), "en").transformer_list] == ["word", "char"]


def test_unit_vectors_that_place_paraphrases_together(block: SentenceEmbeddings) -> None:
    texts = [
        "I feel unsafe walking home at night",
        "Walking alone after dark scares me",
        "The police website is hard to use",
    ]
    E = block.transform(texts).toarray()
    assert E.shape == (3, 384) and E.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(E, axis=1), 1.0, atol=1e-5)
    sim = E @ E.T
    assert sim[0, 1] > sim[0, 2] + 0.2  # no word in common, same meaning
    again = block.transform([texts[2], texts[0], texts[2]]).toarray()  # repeats are encoded once, rows kept
    np.testing.assert_allclose(again, E[[2, 0, 2]], atol=1e-6)
    assert block.transform([]).shape == (0, 384)


def test_a_model_directory_works_like_the_packaged_name(block: SentenceEmbeddings) -> None:
    by_dir = SentenceEmbeddings(str(model_dir(MODEL))).fit(["x"])
    assert by_dir.weights_sha256_ == block.weights_sha256_
    text = ["more street lights on the way to the station"]
    np.testing.assert_allclose(by_dir.transform(text).toarray(), block.transform(text).toarray(), atol=1e-6)


def test_pickled_without_weights_and_refused_when_weights_differ(block: SentenceEmbeddings) -> None:
    blob = pickle.dumps(block)
    assert len(blob) < 10_000  # the name and the weights' hash, not 90 MB of weights
    again = pickle.loads(blob)
    assert again.weights_sha256_ == block.weights_sha256_
    np.testing.assert_array_equal(
        again.transform(["dark streets"]).toarray(), block.transform(["dark streets"]).toarray()
    )
    other = pickle.loads(blob)
    other.weights_sha256_ = "0" * 64
    with pytest.raises(ConsultError, match="other weights"):
        other.transform(["dark streets"])


def test_a_missing_model_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConsultError, match="neither a packaged model"):
        model_dir(str(tmp_path / "nope"))
    with pytest.raises(ConsultError, match="not a sentence-transformers model directory"):
        model_dir(str(tmp_path))
    data = tmp_path / "train.csv"
    pd.DataFrame({"id": ["a", "b", "c", "d"], "text": LIGHT[:2] + PATROL[:2], "labels": ["l", "l", "p", "p"]}).to_csv(
        data, index=False
    )
    out = tmp_path / "m"
    code, text = run("train", data, "-o", out, "--set", f'model.sentence_model="{tmp_path / "nope"}"')
    _assert_clean_failure(code, text, "model.sentence_model")
    assert not out.exists()


def test_train_and_label_with_sentence_embeddings(tmp_path: Path) -> None:
    texts = LIGHT + PATROL + COURT
    labels = ["light"] * 9 + ["patrol"] * 9 + ["court"] * 9
    data = tmp_path / "train.csv"
    pd.DataFrame({"id": [f"r{i}" for i in range(27)], "text": texts, "labels": labels}).to_csv(data, index=False)
    model = tmp_path / "model"
    code, text = run("train", data, "-o", model, *FAST, "--set", f'model.sentence_model="{MODEL}"')
    assert code == 0, text
    assert "sentence embeddings" in text
    card = json.loads((model / CARD_FILE).read_text())
    assert card["sentence_model"]["name"] == MODEL and card["sentence_model"]["dimensions"] == 384
    assert len(card["sentence_model"]["sha256"]) == 64
    assert set(card["sentence_model"]["versions"]) == {"sentence-transformers", "transformers", "torch"}
    new = tmp_path / "new.csv"
    # Each is labelled wrongly by the n-gram features alone (checked): the embeddings carry the meaning.
    answers = [
        "The magistrates postponed the hearing",
        "",
        "You cannot see a thing by the river after sunset",
        "Nobody in uniform ever walks round here",
    ]
    pd.DataFrame({"id": ["n1", "n2", "n3", "n4"], "text": answers}).to_csv(new, index=False)
    out = tmp_path / "out.csv"
    code, text = run("label", new, "-o", out, "--model", model)
    assert code == 0, text
    got = pd.read_csv(out, keep_default_na=False)
    assert got["id"].tolist() == ["n1", "n2", "n3", "n4"]
    assert got["themes"].tolist() == ["court", "", "light", "patrol"]
    assert str(got.loc[1, "flag_empty"]) in ("True", "1")


def test_a_packaged_model_that_is_not_the_upstream_one_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONSULT_CACHE", str(tmp_path))
    monkeypatch.setitem(embeddings.UPSTREAM_SHA256, MODEL, {"model.safetensors": "0" * 64})
    with pytest.raises(ConsultError, match="does not hold the upstream model.safetensors"):
        model_dir(MODEL)
    assert not list((tmp_path / "sentence-models").iterdir())  # nothing half-unpacked is left
