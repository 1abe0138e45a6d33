"""Workspaces (consult init), columns told once (the labelled file's sidecar), hints that run as printed, and the
README's round trip after the main job, in a temporary workspace outside the repository."""

from __future__ import annotations

import shlex
import shutil
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from pipeline.cli import _common, app
from pipeline.config import load_config
from pipeline.errors import ConsultError
from pipeline.registry import current_version, list_versions
from pipeline.workspace import DEFAULTS_DIR, find_workspace, init_workspace

from .conftest import ROOT

runner = CliRunner()
FAST = [
    "model.cv_folds=3",
    "model.c_grid=[0.3]",
    "model.nb_member=false",
    "model.bootstrap=0",
    "model.tokenizer=regex",
    "report.redact_with_ner=false",
]
SETS = [x for kv in FAST for x in ("--set", kv)]


def run(*args: str | Path) -> tuple[int, str]:
    _common.WORKSPACE["root"] = None  # as a fresh process: no workspace unless --workspace says so
    res = runner.invoke(app, [str(a) for a in args])
    return res.exit_code, res.output


def hints(text: str) -> list[list[str]]:
    """The command lines consult printed as hints (after 'then: ' or quoted in a message)."""
    found = []
    for line in text.splitlines():  # messages are never wrapped: a hint is on one line
        if "then: consult " in line:
            found.append(shlex.split(line.split("then: ", 1)[1]))
        for part in line.split("'consult ")[1:]:
            found.append(["consult", *shlex.split(part.split("'", 1)[0])])
    return found


def test_init_creates_a_workspace_and_refuses_a_second(tmp_path: Path) -> None:
    ws = tmp_path / "round 2"
    code, text = run("init", ws, "--text-column", "Q3 - Your answer", "--id-column", "Response ID", "--title", "VAWG")
    assert code == 0, text
    assert all((ws / d).is_dir() for d in ("data", "models", "reviews", "reports"))
    assert (ws / "themes.yaml").read_bytes() == (DEFAULTS_DIR / "themes.yaml").read_bytes()
    cfg = load_config(workspace=ws)
    assert (cfg.ingest.text_column, cfg.ingest.id_column, cfg.project.title) == (
        "Q3 - Your answer",
        "Response ID",
        "VAWG",
    )
    assert cfg.project.taxonomy == ws.resolve() / "themes.yaml"
    assert cfg.retrain.model == ws.resolve() / "models" / "default"
    assert cfg.review.audit_path == ws.resolve() / "reviews" / "audit.jsonl"
    code, text = run("init", ws)
    assert code == 1 and "already is a workspace" in text


def test_paths_resolve_against_the_workspace_from_any_folder_inside(tmp_path: Path, monkeypatch) -> None:
    ws = tmp_path / "ws"
    init_workspace(ws)
    deep = ws / "data" / "incoming" / "march"
    deep.mkdir(parents=True)
    monkeypatch.chdir(deep)
    assert find_workspace() == ws.resolve()
    cfg = load_config()
    assert cfg.retrain.model == ws.resolve() / "models" / "default"  # never data/incoming/march/models/...
    assert cfg.project.taxonomy == ws.resolve() / "themes.yaml"
    assert cfg.entities.patterns == DEFAULTS_DIR / "entities.yaml"  # not in the workspace: the shipped one


def test_outside_any_workspace_the_shipped_defaults_apply(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert find_workspace() is None
    cfg = load_config()
    assert cfg.entities.patterns == DEFAULTS_DIR / "entities.yaml" and cfg.entities.patterns.is_file()
    assert cfg.project.taxonomy is None  # a model of your own is never mixed with the shipped police themes
    code, text = run("models", "list")
    assert code == 1 and "is not a model registry" in text  # a clear message, not a crash, from any folder


def test_workspace_option_and_a_folder_that_is_not_one(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    init_workspace(ws, text_column="answer")
    assert load_config(workspace=ws).ingest.text_column == "answer"
    with pytest.raises(ConsultError, match="not a consult workspace"):
        load_config(workspace=tmp_path / "nowhere")
    code, text = run("--workspace", tmp_path, "models", "list")
    assert code == 1 and "consult init" in text


def test_the_repository_is_the_demos_workspace() -> None:
    assert find_workspace(ROOT / "pipeline" / "cli") == ROOT
    cfg = load_config()
    assert cfg.retrain.base_data == ROOT / "data" / "consultation_labelled.csv"
    assert (DEFAULTS_DIR / "themes.yaml").read_bytes() == (ROOT / "configs" / "themes.yaml").read_bytes()
    assert (DEFAULTS_DIR / "entities.yaml").read_bytes() == (ROOT / "configs" / "entities.yaml").read_bytes()


def _fill(review: Path, agree: bool = True) -> int:
    """Fill a review workbook as an analyst would: the model's themes (when they agree) and a name."""
    wb = load_workbook(review)
    ws = wb["review"]
    head = [c.value for c in ws[1]]
    pred, rev, who = head.index("predicted_themes"), head.index("reviewed_themes"), head.index("reviewer")
    n = 0
    for row in ws.iter_rows(min_row=2):
        row[rev].value = (row[pred].value or "other") if agree else "other"
        row[who].value = "ann"
        n += 1
    wb.save(review)
    return n


def test_round_trip_after_the_main_job_in_a_workspace_outside_the_repository(tmp_path: Path, monkeypatch) -> None:
    """The README's loop: demo's model → label an XLSX with its own column names → review export → filled →
    import (the printed hint, as printed) → retrain → the new version is current. Columns are told once."""
    ws = tmp_path / "consultation"
    assert ROOT not in ws.resolve().parents
    init_workspace(ws)
    for name in ("consultation_labelled.csv", "consultation_new.csv"):
        shutil.copyfile(ROOT / "data" / name, ws / "data" / name)
    monkeypatch.chdir(ws)
    code, text = run("demo", *SETS)
    assert code == 0, text
    root = ws / "models" / "default"
    assert list_versions(root) == ["v0001"] and current_version(root) == "v0001"
    from pipeline.modelstore import read_card

    card = read_card(root / "v0001")
    assert card["held_out"]["answers"] > 0  # v0001 never saw the held-out answers
    assert card["taxonomy"]["themes"]  # the frame travels with the model

    # Her own file, from her own folder, with her own column names (told once, to label).
    mine = ws / "data" / "mine.xlsx"
    new = pd.read_csv(ws / "data" / "consultation_new.csv", dtype=str, keep_default_na=False).head(80)
    new.rename(columns={"id": "Response ID", "text": "Q3 - Your answer", "borough": "Borough"}).to_excel(
        mine, index=False
    )
    desk = ws / "reports" / "desk"
    desk.mkdir()
    monkeypatch.chdir(desk)
    code, text = run(
        "label", mine, "-o", "mine_labelled.xlsx", "--text-column", "Q3 - Your answer", "--id-column", "Response ID",
        "--no-entities",
    )  # fmt: skip
    assert code == 0, text
    code, text = run("review", "export", "mine_labelled.xlsx", "-n", "12")
    assert code == 0, text
    review = ws / "reviews" / "review.xlsx"
    assert review.is_file()
    assert _fill(review) >= 12
    printed = [h for h in hints(text) if h[:3] == ["consult", "review", "import"]]
    assert printed, text
    monkeypatch.chdir(tmp_path)  # the hint runs as printed, from another folder too
    code, text = run(*printed[0][1:])
    assert code == 0 and "added" in text, text
    monkeypatch.chdir(desk)
    code, text = run("retrain", *SETS)
    assert code == 0, text
    assert current_version(root) == "v0002", text
    assert "is now the current version" in " ".join(text.split())
    code, text = run("report", "mine_labelled.xlsx", "-o", "report", "--by", "Borough", "--title", "Round 2")
    assert code == 0, text
    assert "# Round 2" in text


def test_hints_printed_by_a_refused_retrain_run_as_printed(tmp_path: Path, monkeypatch) -> None:
    """A version kept out says why in plain words, and the command it offers works."""
    from ._review_helpers import base_corpus

    ws = tmp_path / "ws"
    init_workspace(ws)
    base_corpus(ws / "data" / "labelled.csv")
    monkeypatch.chdir(ws)
    sets = [*SETS, "--set", "retrain.held_out_fraction=0.3", "--set", "model.theme_texts=false"]
    sets += ["--set", 'project.taxonomy=""']  # themes from the data
    code, text = run("retrain", *sets)
    assert code == 0 and "it is the first version" in text, text
    from pipeline.retrain import held_out
    from pipeline.review import AuditStore

    from .test_retrain import review

    df = pd.read_csv(ws / "data" / "labelled.csv", dtype=str, keep_default_na=False)
    swap = {"light": "court", "court": "patrol", "patrol": "light"}
    salt = load_config().retrain.held_out_salt
    AuditStore(ws / "reviews" / "audit.jsonl").append(
        [
            review(r.id, r.text, [swap[x] for x in r.labels.split(";")])
            for r in df.itertuples()
            if not held_out(r.id, 0.3, salt)
        ]
    )
    code, text = run("retrain", *sets)
    flat = " ".join(text.split())
    assert code == 0 and "NOT current" in flat and "scores worse than the current version v0001" in flat, text
    offered = [h for h in hints(text) if h[:3] == ["consult", "models", "promote"]]
    assert offered == [["consult", "models", "promote", "v0002"]], text
    code, text = run(*offered[0][1:])
    assert code == 0 and current_version(ws / "models" / "default") == "v0002", text


def test_a_plain_model_that_may_have_seen_the_held_out_answers_never_wins_by_it(tmp_path: Path, monkeypatch) -> None:
    """A model trained on every answer (consult train) is adopted as v0001; the held-out comparison would favour it,
    so it does not gate the next version, and the message says so in plain words."""
    from ._review_helpers import base_corpus

    ws = tmp_path / "ws"
    init_workspace(ws)
    base_corpus(ws / "data" / "labelled.csv")
    monkeypatch.chdir(ws)
    sets = [*SETS, "--set", "retrain.held_out_fraction=0.3", "--set", 'project.taxonomy=""']
    code, text = run("train", "data/labelled.csv", *sets)
    assert code == 0, text
    code, text = run("retrain", *sets)
    flat = " ".join(text.split())
    assert code == 0 and current_version(ws / "models" / "default") == "v0002", text
    assert "may have trained on the held-out answers" in flat and "not gated" in flat
