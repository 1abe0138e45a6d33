"""Report numbers against a small example worked out by hand (tests/report_examples.py)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from pipeline.config import Config
from pipeline.errors import ConsultError
from pipeline.report import build_report, theme_counts
from pipeline.report.analysis import suppressed_groups
from pipeline.report.stats import benjamini_hochberg, two_proportion_z, wilson_interval

from .report_examples import TAXONOMY, hand_example, previous_round, sized_groups

# z for 95%: 1.959964, z² = 3.841459.
Z2 = 3.841459


def cfg(**report: object) -> Config:
    c = Config()
    c.report = c.report.model_copy(update={"redact_with_ner": False, **report})
    return c


def by_theme(table: pd.DataFrame) -> dict[str, dict[str, object]]:
    return {r["theme"]: r for r in table.to_dict("records")}


# ------------------------------------------------------------------------------------------ statistics


def test_wilson_by_hand() -> None:
    # k=2, n=10: p=0.2, 1 + z²/n = 1.384146, centre = (0.2 + z²/20)/1.384146 = 0.392073/1.384146 = 0.28326,
    # half = 1.959964·sqrt(0.016 + z²/400)/1.384146 = 1.959964·0.160011/1.384146 = 0.22657 -> (0.0567, 0.5098)
    assert wilson_interval(2, 10) == pytest.approx((0.0567, 0.5098), abs=1e-4)
    # Same from scipy's own Wilson interval.
    from scipy.stats import binomtest

    ci = binomtest(2, 10).proportion_ci(method="wilson")
    assert wilson_interval(2, 10) == pytest.approx((ci.low, ci.high), abs=1e-9)
    # k=0 and k=n stay inside [0, 1]; n=0 has no interval.
    lo, hi = wilson_interval(0, 10)
    assert lo == 0 and hi == pytest.approx(Z2 / 10 / (1 + Z2 / 10), abs=1e-6)  # = z²/(n+z²) = 0.2775
    assert wilson_interval(10, 10)[1] == pytest.approx(1)
    assert all(math.isnan(v) for v in wilson_interval(0, 0))


def test_two_proportion_z_by_hand() -> None:
    # 8/10 against 2/10: pooled p = 0.5, se = sqrt(0.5·0.5·(1/10 + 1/10)) = 0.223607, z = 0.6/0.223607 = 2.6833;
    # two-sided p = 2·(1 - Φ(2.6833)) = 0.00729. z² = 7.2 = the chi-square of [[8, 2], [2, 8]]
    # (E = 5 in every cell: 4 · 3²/5 = 7.2).
    z, p = two_proportion_z(8, 10, 2, 10)
    assert z == pytest.approx(2.6833, abs=1e-4) and p == pytest.approx(0.00729, abs=1e-5)
    assert z * z == pytest.approx(7.2)
    assert two_proportion_z(0, 10, 0, 10) == (0.0, 1.0)  # no variance: nothing to test


def test_benjamini_hochberg_by_hand() -> None:
    # m = 4, sorted p = 0.0073, 0.0073, 1, 1 -> p·m/rank = 0.0292, 0.0146, 1.333, 1; running minimum from the
    # top, capped at 1 -> 0.0146, 0.0146, 1, 1.
    q = benjamini_hochberg([1.0, 0.0073, 1.0, 0.0073])
    assert q == pytest.approx([1.0, 0.0146, 1.0, 0.0146])


# ------------------------------------------------------------------------------------------ counts


def test_theme_counts_shares_intervals_expected_by_hand() -> None:
    res = theme_counts(hand_example(), TAXONOMY)
    b = res.basis
    # 24 answers = 20 counted + 1 empty + 1 non-substantive + 2 campaign copies left out.
    assert (b.answers, b.counted, b.empty, b.non_substantive, b.duplicate_copies, b.duplicates_excluded) == (
        24,
        20,
        1,
        1,
        2,
        2,
    )
    t = by_theme(res.counts)
    # safety: 10 of 20 = 0.5; Wilson: 1 + z²/20 = 1.192073, centre = (0.5 + 0.096036)/1.192073 = 0.5,
    # half = 1.959964·sqrt(0.0125 + z²/1600)/1.192073 = 1.959964·0.122069/1.192073 = 0.20070 -> (0.2993, 0.7007).
    # expected = 10 answers with p 0.8 + 10 with p 0.1 = 9.0, so count - expected = 1.0.
    assert (t["safety"]["count"], t["safety"]["share"]) == (10, 0.5)
    assert (t["safety"]["ci_low"], t["safety"]["ci_high"]) == pytest.approx((0.2993, 0.7007), abs=1e-4)
    assert (t["safety"]["expected"], t["safety"]["count_minus_expected"]) == (9.0, 1.0)
    # lighting: 8 of 20 = 0.4; centre = (0.4 + 0.096036)/1.192073 = 0.41612,
    # half = 1.959964·sqrt(0.012 + z²/1600)/1.192073 = 0.19731 -> (0.2188, 0.6134); expected = 8·0.8 + 12·0.1 = 7.6.
    assert (t["lighting"]["count"], t["lighting"]["share"]) == (8, 0.4)
    assert (t["lighting"]["ci_low"], t["lighting"]["ci_high"]) == pytest.approx((0.2188, 0.6134), abs=1e-4)
    assert t["lighting"]["expected"] == 7.6
    assert res.counts["theme"].tolist() == ["safety", "lighting"] and res.counts["rank"].tolist() == [1, 2]
    assert t["safety"]["name"] == "Feeling safe" and set(res.counts["base"]) == {20}


def test_duplicates_counted_once_or_every_copy() -> None:
    df = hand_example()
    once = by_theme(theme_counts(df).counts)
    every = theme_counts(df, count_duplicates=True)
    # c1 and c2 copy n1 (safety;lighting): counted only with count_duplicates -> 12 of 22 and 10 of 22.
    assert (once["safety"]["count"], once["safety"]["base"]) == (10, 20)
    e = by_theme(every.counts)
    assert (e["safety"]["count"], e["lighting"]["count"], e["safety"]["base"]) == (12, 10, 22)
    assert every.basis.duplicates_excluded == 0 and every.basis.counted == 22
    rep = build_report(df, cfg(), TAXONOMY)
    camp = rep.campaigns.to_dict("records")
    assert len(camp) == 1 and camp[0]["original_id"] == "n1"
    assert (camp[0]["copies"], camp[0]["answers_in_campaign"]) == (2, 3)


def test_every_answer_counted_even_when_flags_overlap() -> None:
    df = hand_example()
    df.loc[df["id"] == "c1", "flag_non_substantive"] = True  # a copy that is also non-substantive counts once
    b = theme_counts(df).basis
    assert b.counted + b.empty + b.non_substantive + b.duplicates_excluded == b.answers == 24
    assert (b.non_substantive, b.duplicates_excluded) == (2, 1)


def test_not_a_labelled_table() -> None:
    with pytest.raises(ConsultError, match="not a labelled file"):
        theme_counts(pd.DataFrame({"id": ["1"], "text": ["hi"]}))


# ------------------------------------------------------------------------------------------ groups


def test_over_and_under_representation_by_hand() -> None:
    rep = build_report(hand_example(), cfg(), TAXONOMY, by=["area"])
    tab = rep.groups["area"]
    cell = {(r["group"], r["theme"]): r for r in tab.to_dict("records")}
    # safety, North 8/10 vs the rest (South) 2/10: z = +2.6833, p = 0.0073 (see test_two_proportion_z_by_hand);
    # South is the mirror image: z = -2.6833. lighting: 4/10 vs 4/10, z = 0, p = 1.
    # Benjamini-Hochberg over the 4 tests of the column: q = 0.0146, 0.0146, 1, 1 (test_benjamini_hochberg_by_hand).
    # q < 0.05 -> North over-represented on safety, South under-represented; lighting not flagged.
    north, south = cell[("North", "safety")], cell[("South", "safety")]
    assert (north["answers"], north["count"], north["share"], north["share_all"]) == (10, 8, 0.8, 0.5)
    assert north["lift"] == 1.6  # 0.8 / 0.5
    assert north["z"] == pytest.approx(2.683, abs=1e-3) and south["z"] == pytest.approx(-2.683, abs=1e-3)
    assert north["p"] == pytest.approx(0.0073, abs=1e-4)
    assert north["q"] == pytest.approx(0.0146, abs=1e-4) and south["q"] == pytest.approx(0.0146, abs=1e-4)
    assert (north["signal"], south["signal"]) == ("over", "under")
    light = cell[("North", "lighting")]
    assert (light["count"], light["z"], light["q"], light["signal"]) == (4, 0.0, 1.0, "")
    assert (north["ci_low"], north["ci_high"]) == pytest.approx(wilson_interval(8, 10), abs=1e-4)


def test_alpha_is_the_stated_threshold() -> None:
    # With alpha = 0.01 the same q = 0.0146 is no longer below the threshold.
    tab = build_report(hand_example(), cfg(alpha=0.01), TAXONOMY, by=["area"]).groups["area"]
    assert (tab["signal"] == "").all()


def test_small_groups_are_suppressed() -> None:
    df = sized_groups({"Big": 12, "Mid": 11, "Tiny": 3, "Wee": 2})
    tab = build_report(df, cfg(), TAXONOMY, by=["area"]).groups["area"]
    hidden = tab[tab["suppressed"]]
    assert set(hidden["group"]) == {"Tiny", "Wee"}
    assert (hidden["answers"] == "<10").all()
    assert hidden[["count", "share", "ci_low", "ci_high", "lift", "z", "q"]].isna().all().all()
    assert (hidden["signal"] == "").all()
    shown = tab[~tab["suppressed"]]
    assert set(shown["group"]) == {"Big", "Mid"} and set(shown["answers"]) == {12, 11}
    # Suppressed groups still count in the totals (every answer counted) and in the "rest" of each test.
    assert shown["share_all"].iloc[0] == pytest.approx((df["themes"] == shown["theme"].iloc[0]).mean(), abs=1e-4)


def test_a_single_small_group_takes_the_next_smallest_with_it() -> None:
    # Big 12 + Mid 11 + Tiny 3: hiding Tiny alone would let anyone subtract Big and Mid from the total.
    assert suppressed_groups(pd.Series({"Big": 12, "Mid": 11, "Tiny": 3}), 10) == {"Tiny", "Mid"}
    assert suppressed_groups(pd.Series({"Big": 12, "Mid": 11}), 10) == set()
    tab = build_report(sized_groups({"Big": 12, "Mid": 11, "Tiny": 3}), cfg(), TAXONOMY, by=["area"]).groups["area"]
    assert set(tab.loc[tab["suppressed"], "group"]) == {"Tiny", "Mid"}


def test_min_group_size_is_configurable() -> None:
    tab = build_report(hand_example(), cfg(min_group_size=11), TAXONOMY, by=["area"]).groups["area"]
    assert tab["suppressed"].all()  # North and South have 10 counted answers each


def test_unknown_or_id_like_by_column() -> None:
    with pytest.raises(ConsultError, match="'region'.*not a column"):
        build_report(hand_example(), cfg(), TAXONOMY, by=["region"])
    with pytest.raises(ConsultError, match="'themes'.*not a column"):
        build_report(hand_example(), cfg(), TAXONOMY, by=["themes"])
    many = hand_example().assign(respondent=lambda d: "r" + d["id"].astype(str))
    with pytest.raises(ConsultError, match="different values"):
        build_report(many, cfg(max_groups=10), TAXONOMY, by=["respondent"])


def test_an_input_column_starting_with_p_is_not_a_theme() -> None:
    df = hand_example()
    df.insert(3, "p_code", "E8")  # an input column, before the ones labelling adds
    rep = build_report(df, cfg(), TAXONOMY, by=["p_code"])
    assert rep.counts.counts["theme"].tolist() == ["safety", "lighting"]


@pytest.mark.parametrize(("column", "what"), [("text", "answers' text"), ("id", "answers' ids")])
def test_text_and_id_columns_are_never_groups(column: str, what: str) -> None:
    # Even a file small enough to pass max_groups: the answers themselves would become group names.
    small = hand_example().head(5)
    with pytest.raises(ConsultError, match=f"'{column}' given with --by holds the {what}"):
        build_report(small, cfg(), TAXONOMY, by=[column])


# ------------------------------------------------------------------------------------------ the rest


def test_cooccurrence() -> None:
    rep = build_report(hand_example(), cfg(), TAXONOMY)
    m = rep.cooccurrence.set_index("theme")
    # Both themes: n1-n4 and s1-s2 -> 6. Diagonal = counts.
    assert m.loc["safety", "lighting"] == 6 and m.loc["safety", "safety"] == 10 and m.loc["lighting", "lighting"] == 8
    pair = rep.pairs.iloc[0]
    # lift = 6·20/(10·8) = 1.5
    assert (pair["both"], pair["share_of_a"], pair["share_of_b"], pair["lift"]) == (6, 0.6, 0.75, 1.5)


def test_places_and_organisations_per_theme() -> None:
    ents = build_report(hand_example(), cfg(), TAXONOMY).entities
    safety = ents[ents["theme"] == "safety"]
    # safety answers: n1-n3 mention Hackney, n2-n3 Transport for London, s1-s2 Lambeth; PERSON never listed,
    # nor the phone number, address and name tagged ORG and FAC in n5-n6.
    assert safety[["entity", "answers"]].values.tolist() == [
        ["Hackney", 3],
        ["Lambeth", 2],
        ["Transport for London", 2],
    ]
    assert "PERSON" not in set(ents["label"]) and "Sarah Jones" not in set(ents["entity"])


def test_quotes_are_confident_not_duplicates_and_at_most_three() -> None:
    q = build_report(hand_example(), cfg(), TAXONOMY).quotes
    assert q.groupby("theme").size().max() <= 3 and set(q["theme"]) == {"safety", "lighting"}
    assert not set(q["id"]) & {"n1", "c1", "c2", "e1", "x1"}  # copied, copies, empty, non-substantive
    assert q["id"].is_unique and (q["probability"] >= 0.5).all()


def test_compare_with_previous_round_by_hand() -> None:
    before = theme_counts(previous_round()).counts
    c = by_theme(build_report(hand_example(), cfg(), TAXONOMY, previous=before).compare)
    # safety: 2/20 -> 10/20. Pooled p = 12/40 = 0.3, se = sqrt(0.3·0.7·(1/20 + 1/20)) = 0.144914,
    # z = (0.5 - 0.1)/0.144914 = 2.7603, p = 0.00577; lighting: 8/20 -> 8/20, z = 0, p = 1.
    # Benjamini-Hochberg over 2 themes: q(safety) = 0.00577·2/1 = 0.0115 < 0.05 -> "up".
    s = c["safety"]
    assert (s["count_before"], s["count_now"], s["change"], s["share_before"], s["share_now"]) == (2, 10, 8, 0.1, 0.5)
    assert s["change_points"] == 40.0
    assert s["z"] == pytest.approx(2.760, abs=1e-3) and s["q"] == pytest.approx(0.0115, abs=1e-4)
    assert s["signal"] == "up"
    lt = c["lighting"]
    assert (lt["change"], lt["z"], lt["q"], lt["signal"]) == (0, 0.0, 1.0, "")


def test_provenance() -> None:
    rep = build_report(hand_example(), cfg(), TAXONOMY, source={"input_file": "x.csv", "input_sha256": "abc"})
    p = dict(zip(rep.provenance["field"], rep.provenance["value"], strict=True))
    assert (p["input_file"], p["input_sha256"], p["model_version"]) == ("x.csv", "abc", "m-test-1")
    assert (p["answers"], p["answers_counted"], p["empty_excluded"], p["non_substantive_excluded"]) == (
        "24",
        "20",
        "1",
        "1",
    )
    assert p["duplicate_copies_excluded"] == "2" and p["generated"].endswith("UTC")


def test_theme_without_probability_column_is_still_counted() -> None:
    df = hand_example()
    df.loc[df["id"] == "s9", "themes"] = "noise"  # e.g. added by a reviewer
    t = by_theme(theme_counts(df).counts)
    assert t["noise"]["count"] == 1 and np.isnan(t["noise"]["expected"])


def test_summary_lists_signals_of_several_by_columns_strongest_first() -> None:
    # Two --by columns with signals: their tables share index labels; the summary merges them, by |z|.
    from pipeline.report.render import summary_markdown

    df = hand_example()
    df["area_copy"] = df["area"]
    rep = build_report(df, cfg(), TAXONOMY, by=["area", "area_copy"])
    area, copy = rep.groups["area"], rep.groups["area_copy"]
    flagged = area["signal"] != ""
    area.loc[flagged, "z"] = [1.0, -3.0]  # North, South: made unequal so the order across tables is mixed
    copy.loc[flagged, "z"] = [2.0, -2.0]
    lines = [ln for ln in summary_markdown(rep).splitlines() if ln.startswith("- area")]
    assert [ln.split(":")[0] for ln in lines] == [
        "- area = South",
        "- area_copy = North",
        "- area_copy = South",
        "- area = North",
    ]
