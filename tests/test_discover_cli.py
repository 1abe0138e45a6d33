"""The discovery loop on the command line: consult discover, taxonomy add, review export --candidate, and the
end to end path from a theme the model does not know to a retrained version that knows it."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.label import PROB_PREFIX
from pipeline.modelstore import load_model
from pipeline.registry import current_version
from pipeline.taxonomy import load_taxonomy

from ._review_helpers import FAST
from .test_classify import COURT, LIGHT, PATROL
from .test_discover import NOISE, POTHOLES, labelled_frame

runner = CliRunner()

TAXONOMY = """# Our coding frame (this comment must survive 'taxonomy add').
themes:
  - id: light
    name: Street lighting
    definition: Lights and dark places.
  - id: court
    name: Courts
  - id: other
    name: Other
"""


def sets(tmp: Path, *extra: str) -> list[str]:
    out = []
    for s in [
        *FAST,
        f"retrain.model={json.dumps(str(tmp / 'models' / 'default'))}",
        f"review.audit_path={json.dumps(str(tmp / 'audit.jsonl'))}",
        f"retrain.base_data={json.dumps(str(tmp / 'base.csv'))}",
        "discover.min_size=4",
        *extra,
    ]:
        out += ["--set", s]
    return out


@pytest.fixture
def folder(tmp_path: Path) -> tuple[Path, Path]:
    src = tmp_path / "labelled.csv"
    labelled_frame().to_csv(src, index=False)
    res = runner.invoke(app, ["discover", str(src), "-o", str(tmp_path / "disc"), *sets(tmp_path)])
    assert res.exit_code == 0, res.output
    return src, tmp_path / "disc"


def test_discover_command(folder: tuple[Path, Path]) -> None:
    src, disc = folder
    cands = pd.read_csv(disc / "candidates.csv", dtype=str, keep_default_na=False)
    assert cands["candidate"].tolist() == ["C01", "C02"]
    assign = pd.read_csv(disc / "assignments.csv", dtype=str, keep_default_na=False)
    assert assign["id"].tolist() == pd.read_csv(src, dtype=str)["id"].tolist()
    for f in ("candidates.csv", "taxonomy_candidates.yaml", "discovery.html"):  # spaCy NER on (the default)
        text = (disc / f).read_text(encoding="utf-8-sig")
        assert "07700" not in text and "Dave" not in text, f


def test_discover_errors(tmp_path: Path) -> None:
    res = runner.invoke(app, ["discover", str(tmp_path / "missing.csv"), "-o", str(tmp_path / "out")])
    assert res.exit_code == 1 and "not found" in res.output and "Traceback" not in res.output
    raw = tmp_path / "raw.csv"
    raw.write_text("id,text\n1,hello\n", encoding="utf-8")
    res = runner.invoke(app, ["discover", str(raw), "-o", str(tmp_path / "out")])
    assert res.exit_code == 1 and "not a labelled file" in res.output
    res = runner.invoke(app, ["discover", str(raw), "-o", str(tmp_path / "out"), "--set", "discover.min_size=1"])
    assert res.exit_code == 1 and "discover.min_size" in res.output
    assert not (tmp_path / "out").exists()


def test_taxonomy_add_keeps_comments_and_refuses_clashes(folder: tuple[Path, Path], tmp_path: Path) -> None:
    _, disc = folder
    tax = tmp_path / "themes.yaml"
    tax.write_text(TAXONOMY, encoding="utf-8")
    new = load_taxonomy(disc / "taxonomy_candidates.yaml")
    first = new.ids[0]
    res = runner.invoke(
        app, ["taxonomy", "add", str(disc / "taxonomy_candidates.yaml"), "-t", str(tax), "--only", first]
    )
    assert res.exit_code == 0, res.output
    text = tax.read_text(encoding="utf-8")
    assert text.startswith(TAXONOMY) and "this comment must survive" in text
    assert load_taxonomy(tax).ids == ["light", "court", "other", first]
    # The same again: an id clash, refused, file unchanged.
    res = runner.invoke(app, ["taxonomy", "add", str(disc / "taxonomy_candidates.yaml"), "-t", str(tax)])
    assert (
        res.exit_code == 1 and f"id '{first}' is already a theme" in res.output and "nothing was changed" in res.output
    )
    assert tax.read_text(encoding="utf-8") == text
    # A name clash (case and spaces ignored) is refused too.
    clash = tmp_path / "clash.yaml"
    clash.write_text("themes:\n  - id: lamps\n    name: street  LIGHTING\n", encoding="utf-8")
    res = runner.invoke(app, ["taxonomy", "add", str(clash), "-t", str(tax)])
    assert res.exit_code == 1 and "the name 'street  LIGHTING' of theme 'light'" in res.output
    res = runner.invoke(app, ["taxonomy", "add", str(clash), "-t", str(tax), "--only", "nope"])
    assert res.exit_code == 1 and "has no theme 'nope'" in res.output and "lamps" in res.output
    assert tax.read_text(encoding="utf-8") == text


def test_taxonomy_add_to_a_flow_style_file(tmp_path: Path) -> None:
    tax = tmp_path / "t.yaml"
    tax.write_text('{"themes": [{"id": "a"}, {"id": "b"}]}', encoding="utf-8")
    new = tmp_path / "n.yaml"
    new.write_text("themes:\n- id: c\n  name: C\n", encoding="utf-8")
    res = runner.invoke(app, ["taxonomy", "add", str(new), "-t", str(tax)])
    assert res.exit_code == 0 and "comments and layout were not kept" in res.output
    assert load_taxonomy(tax).ids == ["a", "b", "c"]


def test_review_export_of_a_candidate(folder: tuple[Path, Path], tmp_path: Path) -> None:
    src, disc = folder
    cands = pd.read_csv(disc / "candidates.csv", dtype=str, keep_default_na=False)
    noise = cands.loc[cands["keywords"].str.contains("music"), "candidate"].item()
    out = tmp_path / "rev.csv"
    res = runner.invoke(
        app,
        ["review", "export", str(src), "--discovery", str(disc), "--candidate", noise, "-o", str(out), *sets(tmp_path)],
    )
    assert res.exit_code == 0, res.output
    rev = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert set(rev["id"]) == {f"n{k}" for k in range(len(NOISE))}  # the copies c1, c2 are not offered
    assert (rev["selected_as"] == "candidate").all() and "2 other answer(s) copy this one" in rev.set_index("id").at[
        "n0", "why"
    ]
    assert "2 campaign copies" in res.output
    xlsx = tmp_path / "rev.xlsx"
    res = runner.invoke(
        app, ["review", "export", str(src), "--discovery", str(disc), "--candidate", noise, "-o", str(xlsx), "-n", "3"]
    )
    assert res.exit_code == 0 and xlsx.is_file() and "6 beyond -n 3" in res.output
    res = runner.invoke(
        app, ["review", "export", str(src), "--discovery", str(disc), "--candidate", "C99", "-o", str(out)]
    )
    assert res.exit_code == 1 and "no candidate 'C99'" in res.output and "C01" in res.output
    res = runner.invoke(app, ["review", "export", str(src), "--candidate", noise, "-o", str(out)])
    assert res.exit_code == 1 and "go together" in res.output


def _base(path: Path) -> None:
    other = [
        "the council tax is far too high",
        "bins are never collected on time",
        "the library opening hours are too short",
        "parking permits cost too much",
        "the swimming pool is always closed",
        "planning permission takes months",
        "the bus fares went up again",
        "my rent keeps going up",
        "recycling rules are confusing",
    ]
    texts = LIGHT + PATROL + COURT + other
    labels = ["light"] * 9 + ["patrol"] * 9 + ["court"] * 9 + ["other"] * 9
    pd.DataFrame({"id": [f"b{i:02d}" for i in range(len(texts))], "text": texts, "labels": labels}).to_csv(
        path, index=False
    )


NEW_ROUND_NOISE = [
    "loud music from the flat upstairs every night",
    "the neighbours play loud music until 3am",
    "noise from parties keeps us awake",
    "constant noise and loud music next door",
    "late night parties and loud music on our street",
    "music and noise from the bar every night",
    "parties with loud music every weekend",
    "noise and loud music complaints are ignored",
    "the loud music and noise never stop",
    "noise from house parties and music at night",
]


def test_end_to_end_a_new_theme_is_learnt(tmp_path: Path) -> None:
    """A theme the model does not know: discovered, added to the taxonomy, its answers reviewed, retrained."""
    tax = tmp_path / "themes.yaml"
    tax.write_text(
        TAXONOMY.replace("  - id: other", "  - id: patrol\n    name: Patrols\n  - id: other"), encoding="utf-8"
    )
    _base(tmp_path / "base.csv")
    s = sets(tmp_path)
    res = runner.invoke(app, ["retrain", "--taxonomy", str(tax), *s])
    assert res.exit_code == 0, res.output
    root = tmp_path / "models" / "default"
    assert current_version(root) == "v0001"
    new = tmp_path / "round2.csv"
    texts = NEW_ROUND_NOISE + POTHOLES + ["the street lights are broken again", "the court delayed my case"]
    pd.DataFrame({"id": [f"r{i:02d}" for i in range(len(texts))], "text": texts}).to_csv(new, index=False)
    labelled = tmp_path / "round2_labelled.csv"
    res = runner.invoke(app, ["label", str(new), "-o", str(labelled), "-m", str(root), "--no-entities", *s])
    assert res.exit_code == 0, res.output
    disc = tmp_path / "disc"
    # A model trained on 36 answers is unsure of everything: look at answers below 0.7 (the default is 0.5).
    res = runner.invoke(
        app, ["discover", str(labelled), "-o", str(disc), "--taxonomy", str(tax), "--max-confidence", "0.7", *s]
    )
    assert res.exit_code == 0, res.output
    cands = pd.read_csv(disc / "candidates.csv", dtype=str, keep_default_na=False)
    assign = pd.read_csv(disc / "assignments.csv", dtype=str, keep_default_na=False)
    noise_ids = {f"r{i:02d}" for i in range(len(NEW_ROUND_NOISE))}
    best = max(cands["candidate"], key=lambda c: len(noise_ids & set(assign.loc[assign["candidate"] == c, "id"])))
    members = set(assign.loc[assign["candidate"] == best, "id"])
    assert len(noise_ids & members) >= 8
    # The analyst names the theme before adding it.
    cand_file = disc / "taxonomy_candidates.yaml"
    data = yaml.safe_load(cand_file.read_text(encoding="utf-8"))
    sid = cands.set_index("candidate").at[best, "suggested_id"]
    entry = next(t for t in data["themes"] if t["id"] == sid)
    entry.update(id="noise", name="Noise and loud music")
    chosen = tmp_path / "chosen.yaml"
    chosen.write_text(yaml.safe_dump({"themes": [entry]}), encoding="utf-8")
    rev = tmp_path / "rev.csv"
    res = runner.invoke(
        app, ["review", "export", str(labelled), "--discovery", str(disc), "--candidate", best, "-o", str(rev), *s]
    )
    assert res.exit_code == 0, res.output
    filled = pd.read_csv(rev, dtype=str, keep_default_na=False)
    filled["reviewed_themes"] = ["noise" if i in noise_ids else "" for i in filled["id"]]
    filled["reviewer"] = "ann"
    filled.to_csv(rev, index=False)
    # Before the theme is in the taxonomy, the import refuses it.
    res = runner.invoke(app, ["review", "import", str(rev), "--taxonomy", str(tax), *s])
    assert res.exit_code == 1 and "unknown theme id(s) 'noise'" in res.output
    res = runner.invoke(app, ["taxonomy", "add", str(chosen), "-t", str(tax)])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["review", "import", str(rev), "--taxonomy", str(tax), *s])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["retrain", "--taxonomy", str(tax), "--force", *s])
    assert res.exit_code == 0, res.output
    assert current_version(root) == "v0002"
    model = load_model(root / "v0002")
    assert "noise" in model.themes and "noise" not in load_model(root / "v0001").themes
    p = model.pipeline.predict_proba(["loud music and noise from the party next door all night"])[0]
    assert model.themes[int(p.argmax())] == "noise"
    labelled2 = tmp_path / "again.csv"
    res = runner.invoke(app, ["label", str(new), "-o", str(labelled2), "-m", str(root), "--no-entities", *s])
    assert res.exit_code == 0, res.output
    again = pd.read_csv(labelled2, dtype=str, keep_default_na=False)
    assert PROB_PREFIX + "noise" in again.columns
    assert (again.loc[again["id"].isin(noise_ids), "themes"] == "noise").mean() >= 0.8
