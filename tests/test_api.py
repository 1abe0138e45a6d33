"""The Python API: the example in docs/api.md (and the README) runs as written, and every exported name is a
documented entry function."""

from __future__ import annotations

import contextlib
import inspect
import io
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import pipeline

ROOT = Path(__file__).resolve().parents[1]
API_DOC = ROOT / "docs" / "api.md"

# A quick training recipe for the test's workspace: the example's code is unchanged, only its settings are.
QUICK = """\
[model]
cv_folds = 2
c_grid = [1.0]
nb_member = false
bootstrap = 0

[entities]
n_process = 1
"""


def _python_blocks(path: Path) -> list[str]:
    return re.findall(r"```python\n(.*?)```", path.read_text(encoding="utf-8"), flags=re.S)


def test_readme_example_is_the_docs_example() -> None:
    example = _python_blocks(API_DOC)[0]
    assert example in _python_blocks(ROOT / "README.md")
    assert len(example.strip().splitlines()) <= 10


def test_docs_example_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "data").mkdir()
    for name in ("consultation_labelled.csv", "consultation_new.csv"):
        shutil.copy(ROOT / "data" / name, tmp_path / "data" / name)
    (tmp_path / "consult.toml").write_text(QUICK, encoding="utf-8")
    monkeypatch.chdir(tmp_path)

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(_python_blocks(API_DOC)[0], str(API_DOC), "exec"), {"__name__": "__main__"})

    new = pd.read_csv(tmp_path / "data" / "consultation_new.csv", dtype=str, keep_default_na=False)
    labelled = pd.read_csv(tmp_path / "labelled.csv", dtype=str, keep_default_na=False)
    assert labelled["id"].tolist() == new["id"].tolist()
    themes = json.loads((tmp_path / "models" / "mine" / "model-card.json").read_text(encoding="utf-8"))["themes"]
    printed = dict(re.findall(r"^(\S+)\s+(\d+)$", out.getvalue(), flags=re.M))
    assert printed and set(printed) <= set(themes)
    counted = labelled["themes"].str.split(";").explode()
    for theme, n in printed.items():
        assert int(n) == (counted == theme).sum()


def test_every_exported_name_is_documented() -> None:
    doc = API_DOC.read_text(encoding="utf-8")
    for name in pipeline.__all__:
        obj = getattr(pipeline, name)
        assert f"`{name}" in doc, f"{name} is exported but not in docs/api.md"
        if inspect.isfunction(obj):
            assert obj.__doc__, f"{name} has no docstring"
    assert pipeline.__doc__
    assert pipeline.retrain.__module__ == "pipeline.retrain"
    assert pipeline.report_file.__module__.startswith("pipeline.report")


def test_import_pipeline_leaves_optional_extras_alone() -> None:
    # spaCy is the default path (the tokenizer of the theme model); Dask and sentence embeddings are extras.
    code = "import sys, pipeline; print(sorted(m for m in ('dask', 'distributed', 'sentence_transformers') if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
