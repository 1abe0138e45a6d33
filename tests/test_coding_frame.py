"""Any real coding frame: theme names with commas, semicolons, slashes, ampersands, quotes, brackets or non-Latin
letters work in train, label, review files, reports and retrain."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import yaml

from pipeline.taxonomy import Taxonomy, Theme, split_labels, theme_key

from .test_classify import COURT, LIGHT, PATROL
from .test_workspace import SETS, run

NAMES = [
    "Staff listening, understanding & involving patients",  # comma, ampersand (the NHS framework's own)
    "Lighting; streets (at night)",  # semicolon, brackets
    "Courts/\"justice\" [CPS] 'delays'",  # slash, quotes, square brackets
    "Безопасность",  # non-Latin letters
]


def test_theme_keys_are_safe_stable_and_idempotent() -> None:
    for name in [*NAMES, "Environment/ facilities", "=SUM(A1)", "a|b", " x "]:
        k = theme_key(name)
        assert not any(c in k for c in ";,|\n\t") and k == k.strip() and k[0] not in "=+-@"
        assert theme_key(k) == k and theme_key(name) == k  # the same key on every run and machine
    assert (
        theme_key("Безопасность") == "Безопасность"
        and theme_key("Environment/ facilities") == "Environment/ facilities"
    )
    assert theme_key(NAMES[0]) != theme_key(NAMES[0] + "!")  # a hash keeps similar names apart


def test_cells_name_themes_by_name_even_with_the_separator_inside() -> None:
    tax = Taxonomy(themes=[Theme(id=n) for n in NAMES])
    cell = f"{NAMES[1]};{NAMES[0]}; Безопасность"
    assert split_labels(cell, ";", tax) == [theme_key(NAMES[1]), theme_key(NAMES[0]), "Безопасность"]


def _corpus(path: Path) -> Path:
    texts = LIGHT + PATROL + COURT
    labels = [NAMES[1]] * 9 + [NAMES[0]] * 9 + [NAMES[2]] * 9
    texts += ["мне небезопасно на улице ночью", "небезопасно в парке", "ночью небезопасно у станции"]
    labels += [NAMES[3]] * 3
    texts += ["dark streets and nobody listens to us"]
    labels += [f"{NAMES[1]};{NAMES[0]}"]
    pd.DataFrame({"id": [f"r{i:02d}" for i in range(len(texts))], "text": texts, "labels": labels}).to_csv(
        path, index=False
    )
    return path


def test_a_frame_with_any_names_through_train_label_review_report_and_retrain(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)  # outside any workspace
    tax = tmp_path / "frame.yaml"
    tax.write_text(
        yaml.safe_dump({"themes": [{"id": n, "definition": f"answers about {n}"} for n in NAMES]}, allow_unicode=True),
        encoding="utf-8",
    )
    data = _corpus(tmp_path / "base.csv")
    model = tmp_path / "models" / "frame"
    sets = [*SETS, "--set", "retrain.held_out_fraction=0.0", "--set", "model.min_label_count=2"]
    code, text = run("retrain", "--model", model, "--data", data, "--taxonomy", tax, "--audit", "audit.jsonl", *sets)
    assert code == 0, text
    from pipeline.modelstore import read_card

    card = read_card(model / "v0001")
    keys = [theme_key(n) for n in NAMES]
    assert card["themes"] == keys  # taxonomy order
    assert [card["theme_names"][k] for k in keys] == NAMES

    new = tmp_path / "new.csv"
    pd.DataFrame(
        {"id": ["n1", "n2", "n3"], "text": ["the street lights are broken", "staff never listen", "the court delay"]}
    ).to_csv(new, index=False)
    code, text = run("label", new, "-o", "labelled.csv", "--model", model, "--no-entities")
    assert code == 0, text
    lab = pd.read_csv("labelled.csv", dtype=str, keep_default_na=False)
    for cell in lab["themes"]:
        parts = [p for p in cell.split(";") if p]
        assert all(p in keys for p in parts) and parts == [k for k in keys if k in parts]  # taxonomy order

    code, text = run("review", "export", "labelled.csv", "-n", "3", "-o", "review.csv", "--audit", "audit.jsonl")
    assert code == 0, text
    rev = pd.read_csv("review.csv", dtype=str, keep_default_na=False)
    # A reviewer may write keys, or names people know (even one holding ';' or ','), whole.
    rev["reviewed_themes"] = [NAMES[1], f"{NAMES[0]};{keys[3]}", keys[2]][: len(rev)]
    rev["reviewer"] = "ann"
    rev.to_csv("review.csv", index=False)
    code, text = run("review", "import", "review.csv", "--audit", "audit.jsonl")
    assert code == 0 and "3 review(s) added" in text, text
    from pipeline.review import AuditStore

    stored = {r["answer_id"]: r["reviewed_themes"] for r in AuditStore(tmp_path / "audit.jsonl").records()}
    assert sorted(map(tuple, stored.values())) == sorted([(keys[1],), (keys[0], keys[3]), (keys[2],)])

    code, text = run("retrain", "--model", model, "--data", data, "--audit", "audit.jsonl", *sets)
    assert code == 0, text
    second = read_card(model / "v0002")
    assert second["theme_names"][keys[0]] == NAMES[0]
    # No --taxonomy and no workspace: retrain learns from the frame v0001 was trained with (names, definitions).
    assert "using the taxonomy v0001 was trained with" in text
    assert second["taxonomy"]["themes"] == card["taxonomy"]["themes"]
    assert second["taxonomy"]["themes"][0]["definition"] == f"answers about {NAMES[0]}"
    assert second["training"]["theme_texts"] == card["training"]["theme_texts"]

    code, text = run("report", "labelled.csv", "-o", "report")
    assert code == 0, text
    counts = pd.read_csv(tmp_path / "report" / "theme_counts.csv", dtype=str, keep_default_na=False)
    assert set(counts["name"]) <= set(NAMES) and len(counts)
