"""Reports on small groups: every group under the suppression size is said plainly, --group-map joins values into
larger groups; the campaign table shows theme names; the title comes from --title or the workspace."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pipeline.tables import write_table

from .report_examples import hand_example, sized_groups, write_taxonomy
from .test_report_cli import NO_NER, run

BOROUGHS = {"Camden": 4, "Hackney": 5, "Islington": 6, "Lambeth": 7, "Southwark": 8}
AREAS = {"Camden": "North", "Hackney": "North", "Islington": "North", "Lambeth": "South", "Southwark": "South"}


def _labelled(tmp_path: Path) -> Path:
    lab = tmp_path / "labelled.csv"
    write_table(sized_groups(BOROUGHS), lab)
    return lab


def test_every_group_too_small_is_said_plainly_and_group_map_fixes_it(tmp_path: Path) -> None:
    lab = _labelled(tmp_path)
    code, text = run("report", lab, "-o", tmp_path / "r1", "--by", "area", *NO_NER)
    assert code == 0, text
    flat = " ".join(text.split())
    assert "every group of 'area' has fewer than 10 counted answers" in flat and "--group-map FILE" in flat
    assert "No group stands out" not in flat
    html = (tmp_path / "r1" / "report.html").read_text(encoding="utf-8")
    assert "Every group of area has fewer than 10" in html and "--group-map" in html
    assert "No group differs" not in html and 'data-chart="heatmap"' not in html  # no empty heatmap
    assert not list((tmp_path / "r1").rglob("heatmap_*.png"))

    gm = tmp_path / "areas.csv"
    pd.DataFrame({"borough": list(AREAS), "area": list(AREAS.values())}).to_csv(gm, index=False)
    code, text = run("report", lab, "-o", tmp_path / "r2", "--by", "area", "--group-map", gm, *NO_NER)
    assert code == 0, text
    by = pd.read_csv(tmp_path / "r2" / "by_area.csv", keep_default_na=False)
    assert set(by["group"]) == {"North", "South"} and not by["suppressed"].astype(bool).any()
    assert set(by.groupby("group")["answers"].first()) == {15}
    assert "every group of" not in " ".join(text.split())
    assert (tmp_path / "r2" / "charts").exists() or list((tmp_path / "r2").rglob("heatmap_*.png"))


def test_a_broken_group_map_is_refused_clearly(tmp_path: Path) -> None:
    lab = _labelled(tmp_path)
    gm = tmp_path / "one.csv"
    gm.write_text("borough\nCamden\n", encoding="utf-8")
    code, text = run("report", lab, "-o", tmp_path / "r", "--by", "area", "--group-map", gm, *NO_NER)
    assert code == 1 and "needs two columns" in text


def test_campaign_table_shows_theme_names_and_title_comes_from_option_or_workspace(tmp_path: Path, monkeypatch) -> None:
    lab = tmp_path / "labelled.csv"
    write_table(hand_example(), lab)
    tax = write_taxonomy(tmp_path / "themes.yaml")
    code, text = run("report", lab, "-o", tmp_path / "r", "-t", tax, "--title", "VAWG round 2", *NO_NER)
    assert code == 0 and "# VAWG round 2" in text, text
    camp = pd.read_csv(tmp_path / "r" / "campaigns.csv", keep_default_na=False)
    assert camp["themes"].tolist() == ["Feeling safe; Street lighting"]
    assert "VAWG round 2" in (tmp_path / "r" / "report.html").read_text(encoding="utf-8")

    from pipeline.workspace import init_workspace

    ws = tmp_path / "ws"
    init_workspace(ws, title="Police plan consultation", taxonomy=tax)
    monkeypatch.chdir(ws)
    code, text = run("report", lab, "-o", tmp_path / "r3", *NO_NER)
    assert code == 0 and "# Police plan consultation" in text, text
