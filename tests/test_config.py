from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.config import Config, load_config, resolve_paths
from pipeline.errors import ConsultError

from .conftest import ROOT


def test_shipped_config_documents_exactly_the_defaults() -> None:
    # The repository is the demo's workspace: its paths are read from the repository's folder.
    shipped = load_config(ROOT / "configs" / "consult.toml", workspace=ROOT)
    assert shipped.model_dump() == resolve_paths(Config(), ROOT).model_dump()
    text = (ROOT / "configs" / "consult.toml").read_text()
    for section, values in Config().model_dump().items():
        for key in values:
            assert f"\n{key} =" in text, f"{section}.{key} missing from configs/consult.toml"


def test_overrides_are_parsed_as_json() -> None:
    cfg = load_config(None, ["model.c_grid=[0.5, 2]", "model.cv_folds=3", "ingest.text_column=answer"])
    assert cfg.model.c_grid == [0.5, 2.0] and cfg.model.cv_folds == 3 and cfg.ingest.text_column == "answer"


@pytest.mark.parametrize(
    ("override", "match"),
    [
        ("model.nope=1", "model.nope"),
        ("model.cv_folds=1", "model.cv_folds"),
        ("modelcv", "no '='"),
        ("model.word_ngram_range=[2,1]", "word_ngram_range"),
    ],
)
def test_bad_settings_are_named(override: str, match: str) -> None:
    with pytest.raises(ConsultError, match=match):
        load_config(None, [override])


def test_bad_config_file(tmp_path: Path) -> None:
    p = tmp_path / "c.toml"
    p.write_text("[model\n")
    with pytest.raises(ConsultError, match="not valid TOML"):
        load_config(p)
