"""Discovery: which answers are unplaced, the candidates found, keywords, every answer accounted for, copies
once, redaction, determinism, the written folder and its errors."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from pipeline.config import Config, load_config
from pipeline.discover import (
    Discovery,
    class_tfidf,
    discover,
    discover_file,
    suggest_id,
    unplaced_reasons,
)
from pipeline.errors import ConsultError
from pipeline.taxonomy import load_taxonomy

NOISE = [
    "loud music from the flat upstairs every night",
    "the neighbours play loud music until 3am",
    "noise from parties keeps us awake at night",
    "constant noise and loud music from the house next door",
    "late night parties and noise on our street",
    "the noise from the bar and its music at night",
    "parties with loud music every weekend",
    "noise complaints about loud music are ignored",
    "my neighbour Dave plays loud music, call me on 07700 900123",
]
POTHOLES = [
    "potholes on the road are dangerous for cyclists",
    "the road surface is full of potholes",
    "fix the potholes on the main road",
    "deep potholes in the road by the school",
    "nobody repairs the potholes in our road",
    "the road near the shops has huge potholes",
    "potholes damage cars on this road",
    "report the potholes and the road surface",
]
LIGHT = [
    "the park has no lights at night",
    "street lamps are broken on my road",
    "better lighting near the station",
    "install more lights on the canal path",
    "fix the broken lamps by the bus stop",
    "more lights in the high street",
]
THEMES = ["light", "court", "other"]


def labelled_frame() -> pd.DataFrame:
    """A table shaped like 'consult label' output: lighting placed; two new topics in the catch-all."""
    rows = []

    def add(
        i: str, text: str, themes: str, p: tuple[float, float, float], conf: float, dup: str = "", st: str = "labelled"
    ) -> None:
        ok = st == "labelled"
        rows.append(
            {
                "id": i,
                "text": text,
                "themes": themes if ok else "",
                "p_light": p[0] if ok else math.nan,
                "p_court": p[1] if ok else math.nan,
                "p_other": p[2] if ok else math.nan,
                "confidence": conf if ok else math.nan,
                "entities": "PERSON:Dave" if "Dave" in text else "",
                "flag_empty": st == "empty",
                "flag_non_substantive": st == "non_substantive",
                "flag_too_long": False,
                "duplicate_of": dup,
                "status": st,
                "model_version": "v0001",
            }
        )

    for k, t in enumerate(LIGHT):
        add(f"l{k}", t, "light", (0.9, 0.05, 0.05), 0.9)
    for k, t in enumerate(NOISE):
        add(f"n{k}", t, "other", (0.1, 0.1, 0.8), 0.8)
    for k, t in enumerate(POTHOLES):
        add(f"p{k}", t, "other", (0.15, 0.05, 0.8), 0.8)
    add("c1", NOISE[0], "other", (0.1, 0.1, 0.8), 0.8, dup="n0")  # campaign copies of n0
    add("c2", NOISE[0], "other", (0.1, 0.1, 0.8), 0.8, dup="n0")
    add("u1", "the court and the lights, not sure", "court", (0.4, 0.45, 0.15), 0.3)  # unsure: unplaced
    add("e1", "", "", (0, 0, 0), 0, st="empty")
    add("s1", "n/a", "", (0, 0, 0), 0, st="non_substantive")
    return pd.DataFrame(rows)


def cfg(*extra: str) -> Config:
    return load_config(None, ["discover.redact_with_ner=false", "discover.min_size=4", *extra])


@pytest.fixture(scope="module")
def found() -> Discovery:
    return discover(labelled_frame(), cfg())


def test_unplaced_are_catch_all_only_no_theme_or_low_confidence() -> None:
    df = pd.DataFrame(
        {
            "themes": ["other", "light;other", "light", "light", "", "", ""],
            "confidence": [0.9, 0.9, 0.2, 0.8, 0.5, math.nan, math.nan],
            "flag_empty": [False, False, False, False, False, True, False],
            "flag_non_substantive": [False, False, False, False, False, False, True],
            "status": ["labelled"] * 5 + ["empty", "non_substantive"],
        }
    )
    out, why = unplaced_reasons(df, Config().discover)
    assert out.tolist() == [True, False, True, False, True, False, False]
    assert why[0] == "only theme is the catch-all 'other'" and why[2].startswith("confidence 0.20 below 0.5")
    assert why[1].startswith("placed by the model: light;other") and why[5] == "empty answer"
    off, _ = unplaced_reasons(df, load_config(None, ["discover.max_confidence=0"]).discover)
    assert off.tolist() == [True, False, False, False, True, False, False]


def test_class_tfidf_by_hand() -> None:
    # 3 answers, terms (a, b): answer 0 = a a, answer 1 = a b, answer 2 = b b; group 0 = answers 0 and 1.
    counts = sp.csr_matrix(np.array([[2, 0], [1, 1], [0, 2]]))
    W = class_tfidf(counts, np.array([0, 0, -1]), 1)
    # tf in group 0: a 3/4, b 1/4; f(a) = f(b) = 3; A = 6 words / 2 classes = 3; idf = log(1 + 3/3) = log 2.
    assert W.shape == (1, 2)
    assert W[0, 0] == pytest.approx(0.75 * math.log(2)) and W[0, 1] == pytest.approx(0.25 * math.log(2))


def test_suggested_ids_are_unique_and_valid() -> None:
    assert suggest_id(["loud music", "noise", "parties"], set()) == "loud_music_noise"
    assert suggest_id(["noise"], {"noise"}) == "noise_2"
    assert suggest_id([], set()) == "new_theme"


def test_finds_the_two_new_topics(found: Discovery) -> None:
    c = found.candidates
    assert len(c) == 2
    a = found.assignments
    groups = {cid: set(a.loc[a["candidate"] == cid, "id"]) for cid in c["candidate"]}
    noise = {f"n{k}" for k in range(len(NOISE))} | {"c1", "c2"}
    holes = {f"p{k}" for k in range(len(POTHOLES))}
    assert sorted(map(frozenset, groups.values()), key=len) == sorted([frozenset(holes), frozenset(noise)], key=len)
    by_id = c.set_index("candidate")
    noise_c = next(k for k, v in groups.items() if "n0" in v)
    kw = by_id.at[noise_c, "keywords"].split("; ")
    assert 3 <= len(kw) <= 10 and {"music", "noise", "loud"} <= set(kw) and "the" not in kw
    holes_c = next(k for k, v in groups.items() if "p0" in v)
    assert "potholes" in by_id.at[holes_c, "keywords"].split("; ")[:2]
    assert "potholes" in by_id.at[holes_c, "suggested_id"]
    assert by_id.at[noise_c, "closest_themes"].startswith("light")  # "other" is never listed as a theme
    # Campaign copies count once: size is distinct answers; the copies are counted beside it.
    assert by_id.at[noise_c, "size"] == len(NOISE) and by_id.at[noise_c, "copies"] == 2
    assert found.taxonomy is not None and [t.id for t in found.taxonomy.themes] == c["suggested_id"].tolist()


def test_every_answer_is_accounted_for_in_order(found: Discovery) -> None:
    df = labelled_frame()
    a = found.assignments
    assert a["id"].tolist() == df["id"].tolist()
    assert (a["reason"].str.len() > 0).all()
    r = a.set_index("id")["reason"]
    assert r["l0"].startswith("not looked at: placed by the model: light")
    assert r["e1"] == "not looked at: empty answer" and "non-substantive" in r["s1"]
    assert r["c1"].startswith("copy of n0; in candidate")
    assert a.set_index("id").at["u1", "candidate"] == ""  # unplaced but in no group of min_size
    assert "in no candidate" in r["u1"] and "confidence 0.30" in r["u1"]
    placed = ~a["unplaced"]
    assert (a.loc[placed, "candidate"] == "").all() and a.loc[~placed, "map_x"].notna().all()


def test_representative_answers_are_redacted(found: Discovery) -> None:
    cells = " ".join(found.candidates.filter(like="example_").astype(str).to_numpy().ravel())
    assert "07700" not in cells and "Dave" not in cells
    assert "[phone]" in cells and "[name]" in cells  # the answer was shown, redacted
    assert all("07700" not in x and "Dave" not in x for t in found.taxonomy.themes for x in t.include)  # type: ignore[union-attr]


def _files(folder: Path) -> dict[str, bytes]:
    return {n: (folder / n).read_bytes() for n in ("candidates.csv", "assignments.csv", "taxonomy_candidates.yaml")}


def test_written_folder_is_deterministic_and_complete(tmp_path: Path) -> None:
    src = tmp_path / "labelled.csv"
    labelled_frame().to_csv(src, index=False)
    first = discover_file(src, tmp_path / "one", cfg())
    discover_file(src, tmp_path / "two", cfg())
    assert _files(tmp_path / "one") == _files(tmp_path / "two")
    names = sorted(p.name for p in (tmp_path / "one").iterdir())
    assert names == [
        ".consult-discovery",
        "about.csv",
        "assignments.csv",
        "candidates.csv",
        "charts",
        "discovery.html",
        "taxonomy_candidates.yaml",
    ]
    tax = load_taxonomy(tmp_path / "one" / "taxonomy_candidates.yaml")
    assert tax.ids == first.candidates["suggested_id"].tolist()
    for name, blob in _files(tmp_path / "one").items():
        assert b"07700" not in blob and b"Dave" not in blob, name
    page = (tmp_path / "one" / "discovery.html").read_text(encoding="utf-8")
    assert "07700" not in page and "Dave" not in page and "data:image/png;base64," in page
    # Run again into the same folder: replaced as a whole.
    discover_file(src, tmp_path / "one", cfg("discover.seed=3"))
    assert not list(tmp_path.glob(".one.*"))


def test_sizes_and_seed_do_not_lose_answers(tmp_path: Path) -> None:
    df = labelled_frame()
    for extra in (["discover.seed=7"], ["discover.model_weight=0"], ["discover.min_size=20"]):
        d = discover(df, cfg(*extra))
        assert d.assignments["id"].tolist() == df["id"].tolist()
        in_cand = (d.assignments["candidate"] != "").sum()
        assert in_cand == int(d.candidates["size"].sum() + d.candidates["copies"].sum())
    assert len(discover(df, cfg("discover.min_size=20")).candidates) == 0


def test_nothing_unplaced_writes_an_empty_discovery(tmp_path: Path) -> None:
    df = labelled_frame()
    df = df[df["themes"] == "light"]
    src = tmp_path / "placed.csv"
    df.to_csv(src, index=False)
    d = discover_file(src, tmp_path / "out", cfg())
    assert d.candidates.empty and not d.assignments["unplaced"].any()
    assert "No candidate" in (tmp_path / "out" / "discovery.html").read_text(encoding="utf-8")
    assert load_taxonomy.__name__  # the YAML holds an empty list, which is not a taxonomy to add
    assert "themes: []" in (tmp_path / "out" / "taxonomy_candidates.yaml").read_text(encoding="utf-8")


def test_refuses_a_file_that_is_not_labelled_and_a_foreign_folder(tmp_path: Path) -> None:
    raw = tmp_path / "raw.csv"
    pd.DataFrame({"id": ["1"], "text": ["hello"]}).to_csv(raw, index=False)
    with pytest.raises(ConsultError, match="not a labelled file"):
        discover_file(raw, tmp_path / "out", cfg())
    assert not (tmp_path / "out").exists()
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "notes.txt").write_text("mine")
    src = tmp_path / "labelled.csv"
    labelled_frame().to_csv(src, index=False)
    with pytest.raises(ConsultError, match="not empty and does not hold an earlier discovery"):
        discover_file(src, busy, cfg())
    assert [p.name for p in busy.iterdir()] == ["notes.txt"]


def test_config_section_is_strict() -> None:
    with pytest.raises(ConsultError, match="discover.max_confidnce"):
        load_config(None, ["discover.max_confidnce=0.3"])
    with pytest.raises(ConsultError, match="discover.max_confidence"):
        load_config(None, ["discover.max_confidence=2"])
    shipped = load_config(Path("configs/consult.toml"))
    assert shipped.discover == Config().discover  # the documented file holds the defaults


def test_answers_flagged_for_safeguarding_are_never_shown() -> None:
    df = labelled_frame()
    flagged = {"n0", "n1", "n2", "n3"}
    df["flag_safeguarding"] = df["id"].isin(flagged)
    got = discover(df, cfg())
    cells = " ".join(got.candidates.filter(like="example_").astype(str).to_numpy().ravel())
    assert cells.strip()
    for i in flagged:
        assert df.set_index("id").at[i, "text"] not in cells
    # They still count: discovery groups them with the others.
    a = got.assignments.set_index("id")
    assert all(a.at[i, "candidate"] != "" for i in flagged)
