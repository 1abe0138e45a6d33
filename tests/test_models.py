"""Model versions: registry layout, promote and rollback, label uses the current version."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd
import pytest
import sklearn
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.errors import ConsultError
from pipeline.modelstore import CARD_FILE, MODEL_FILE, load_model, save_model
from pipeline.registry import (
    adopt_plain_model,
    current_version,
    history,
    is_registry,
    list_versions,
    promote,
    resolve_model_dir,
    rollback,
    save_version,
)

from ._review_helpers import FAST, base_corpus, fake_model

runner = CliRunner()


def run(*args: str | Path) -> tuple[int, str]:
    res = runner.invoke(app, [str(a) for a in args], env={"COLUMNS": "400"})
    return res.exit_code, res.output


def registry_with(root: Path, n: int) -> Path:
    for _ in range(n):
        save_version({"stub": True}, {"themes": ["a", "b"], "mode": "multilabel", "versions": {}}, root)
    return root


def test_versions_are_numbered_and_not_current_until_promoted(tmp_path: Path) -> None:
    root = registry_with(tmp_path / "default", 2)
    assert list_versions(root) == ["v0001", "v0002"] and is_registry(root) and current_version(root) is None
    card = json.loads((root / "v0002" / CARD_FILE).read_text())
    assert card["version"] == "v0002" and card["name"] == "default"
    with pytest.raises(ConsultError, match="none is current"):
        resolve_model_dir(root)
    promote(root, "v0001")
    assert resolve_model_dir(root) == root / "v0001"


def test_rollback_walks_back_through_promotions(tmp_path: Path) -> None:
    root = registry_with(tmp_path / "default", 3)
    promote(root, "v0001")
    promote(root, "v0002")
    promote(root, "v0003")
    assert rollback(root)["to"] == "v0002" and current_version(root) == "v0002"
    assert rollback(root)["to"] == "v0001" and current_version(root) == "v0001"
    with pytest.raises(ConsultError, match="no earlier current version"):
        rollback(root)
    promote(root, "v0003")
    assert rollback(root)["to"] == "v0001"
    assert [e["action"] for e in history(root)] == ["promote"] * 3 + ["rollback"] * 2 + ["promote", "rollback"]
    with pytest.raises(ConsultError, match="has no version 'v0009'"):
        promote(root, "v0009")


def test_a_registry_is_never_overwritten_by_a_plain_model(tmp_path: Path) -> None:
    root = registry_with(tmp_path / "default", 1)
    promote(root, "v0001")
    with pytest.raises(ConsultError, match="is a model registry"):
        save_model({"stub": True}, {"themes": ["a"], "mode": "multilabel", "versions": {}}, root)
    assert list_versions(root) == ["v0001"]


def test_plain_model_directory_is_adopted_as_v0001(tmp_path: Path) -> None:
    plain = fake_model(tmp_path / "default", ["a", "b"], [0.5, 0.5], version="")
    adopt_plain_model(plain)
    assert list_versions(plain) == ["v0001"] and current_version(plain) == "v0001"
    assert json.loads((plain / "v0001" / CARD_FILE).read_text())["version"] == "v0001"


def test_cli_retrain_label_list_promote_rollback(tmp_path: Path) -> None:
    """The whole loop from the command line, with a real (tiny) model."""
    base = base_corpus(tmp_path / "base.csv")
    root = tmp_path / "models" / "default"
    sets = [x for kv in FAST for x in ("--set", kv)] + ["--set", "retrain.held_out_fraction=0.3"]
    code, text = run("retrain", "--model", root, "--data", base, "--audit", tmp_path / "audit.jsonl", *sets)
    assert code == 0, text
    assert "v0001 is now the current version" in text and "it is the first version" in text
    code, text = run("retrain", "--model", root, "--data", base, "--audit", tmp_path / "audit.jsonl", "--force", *sets)
    assert code == 0 and "v0002 is now the current version" in text, text
    new = tmp_path / "new.csv"
    pd.DataFrame({"id": ["n1", "n2"], "text": ["the lamps are broken", "the court took years"]}).to_csv(
        new, index=False
    )
    code, text = run("label", new, "-o", tmp_path / "lab.csv", "--model", root, "--no-entities")
    assert code == 0, text
    assert set(pd.read_csv(tmp_path / "lab.csv")["model_version"]) == {"v0002"}
    code, text = run("models", "list", "--model", root)
    assert code == 0 and "v0001" in text and "v0002" in text
    code, text = run("models", "show", "v0002", "--model", root)
    assert code == 0 and json.loads(text)["parent_version"] == "v0001"
    code, text = run("models", "rollback", "--model", root)
    assert code == 0 and current_version(root) == "v0001", text
    run("label", new, "-o", tmp_path / "lab2.csv", "--model", root, "--no-entities")
    assert set(pd.read_csv(tmp_path / "lab2.csv")["model_version"]) == {"v0001"}
    code, text = run("label", new, "-o", tmp_path / "lab3.csv", "--model", root / "v0002", "--no-entities")
    assert code == 0 and set(pd.read_csv(tmp_path / "lab3.csv")["model_version"]) == {"v0002"}
    code, text = run("models", "promote", "v0002", "--model", root)
    assert code == 0 and current_version(root) == "v0002"
    code, text = run("models", "promote", "v0042", "--model", root)
    assert code == 1 and "has no version 'v0042'" in text


def test_a_model_saved_before_the_model_code_moved_is_refused_with_the_fix(tmp_path: Path) -> None:
    d = save_model({"stub": True}, {"themes": ["a", "b"], "mode": "multilabel", "versions": {}}, tmp_path / "old")
    # A pickle of a class in a module that has since gone (as pipeline.classify went: split by concept).
    blob = b"cpipeline.gone_module\nThemeClassifier\n."
    (d / MODEL_FILE).write_bytes(blob)
    card = json.loads((d / CARD_FILE).read_text())
    card["model_sha256"] = hashlib.sha256(blob).hexdigest()
    card["versions"] = {"scikit-learn": sklearn.__version__}
    (d / CARD_FILE).write_text(json.dumps(card))
    with pytest.raises(ConsultError) as e:
        load_model(d)
    assert "earlier consult" in e.value.problem and "pipeline.gone_module" in e.value.problem
    assert "consult train" in e.value.fix
