"""Tiny labelled tables, built by hand, for the report tests (no model is trained)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pipeline.taxonomy import Taxonomy, Theme

TAXONOMY = Taxonomy(themes=[Theme(id="safety", name="Feeling safe"), Theme(id="lighting", name="Street lighting")])

# Personal details written into the answers; none may reach a report.
SECRETS = [
    "Sarah Jones",
    "Sarah",
    "Jones",
    "Okafor",
    "Dave",
    "jo.bloggs@example.com",
    "07700 900123",
    "020 7946 0123",
    "+44 7700 900456",
    "E8 1AB",
    "SW1A 1AA",
    "03/07/1985",
    "QQ 12 34 56 C",
    "12345/21",
    "AB12 CDE",
    "14 Elm Grove",
    "ahmed.k",
    "siobhan.murphy",
    "Siobhán",
    "Bhriain",
    "patel",
    "lucy.harris",
    "0555",
    "0999",
    "9 Station Road",
]
_FILLER = "The path by the canal has no lights and I do not feel safe there after dark at all. " * 5
_TEXTS = {
    "n1": "Sarah Jones here: the underpass by E8 1AB is dark and I do not feel safe walking home at night.",
    "n2": "Please call me on 07700 900123, the alley behind the station is frightening after dark.",
    "n3": "Mr Okafor from the council promised lights last year and nothing happened, it still feels unsafe.",
    "n4": "My neighbour Dave was followed home from the bus stop, the lamps on our road are broken.",
    "s1": "Email jo.bloggs@example.com about the lights by the park, they are off and I feel unsafe there.",
    "s2": "Ring 020 7946 0123 or +44 7700 900456, the subway near SW1A 1AA needs lights and patrols.",
    "n5": "My DOB is 03/07/1985, NI number QQ 12 34 56 C; my report CRIS 12345/21 went nowhere and I feel unsafe.",
    "n6": "He drives AB12 CDE and lives at 14 Elm Grove; write to ahmed.k at gmail dot com or see "
    "facebook.com/siobhan.murphy.7 about how unsafe it is.",
    "n7": "DC Siobhán Ní Bhriain and mr patel were kind, and @lucy.harris.90 posted that it is unsafe.",
    # The phone number straddles the 400-character cut of a quote.
    "n8": _FILLER[:388] + " Call 020 7946 0555 any time.",
    # A CSV cell a spreadsheet would run as a formula: written with an apostrophe, read back without it.
    "s3": "- more patrols and lights in the park, please",
}


def row(
    i: str,
    area: str,
    themes: list[str],
    *,
    text: str | None = None,
    dup: str = "",
    empty: bool = False,
    non_sub: bool = False,
    entities: str = "",
) -> dict[str, object]:
    p = {t: (0.8 if t in themes else 0.1) for t in ("safety", "lighting")}
    substantive = not (empty or non_sub)
    return {
        "id": i,
        "text": "" if empty else (text or _TEXTS.get(i) or f"answer {i} about {' and '.join(themes) or 'nothing'}"),
        "area": area,
        "themes": ";".join(themes) if substantive else "",
        "p_safety": p["safety"] if substantive else "",
        "p_lighting": p["lighting"] if substantive else "",
        "confidence": 0.6 if substantive else "",
        "entities": entities,
        "flag_empty": empty,
        "flag_non_substantive": non_sub,
        "flag_too_long": False,
        "duplicate_of": dup,
        "status": "empty" if empty else "non_substantive" if non_sub else "labelled",
        "model_version": "m-test-1",
    }


def hand_example() -> pd.DataFrame:
    """24 answers. Counted by default: 20 (10 North, 10 South); plus 1 empty, 1 non-substantive and 2 copies
    of n1 (a campaign), which are counted only with count_duplicates.

    safety:   North n1-n8 (8 of 10), South s1-s2 (2 of 10)  -> 10 of 20
    lighting: North n1-n4 (4 of 10), South s1-s4 (4 of 10)  ->  8 of 20
    Probabilities: 0.8 when the answer carries the theme, 0.1 when not.
    """
    rows = []
    for k in range(1, 11):
        themes = [t for t, on in (("safety", k <= 8), ("lighting", k <= 4)) if on]
        ents = (
            "PERSON:Sarah Jones; BOROUGH:Hackney"
            if k == 1
            else "BOROUGH:Hackney; AGENCY:Transport for London"
            if k <= 3
            # Personal data the tagger took for places and organisations: never listed in a report.
            else "ORG:+44 (0)20 7946 0999; FAC:9 Station Road; ORG:DC Siobhán Ní Bhriain"
            if k in (5, 6)
            else ""
        )
        rows.append(row(f"n{k}", "North", themes, entities=ents))
    for k in range(1, 11):
        themes = [t for t, on in (("safety", k <= 2), ("lighting", k <= 4)) if on]
        rows.append(row(f"s{k}", "South", themes, entities="BOROUGH:Lambeth" if k <= 2 else ""))
    rows.append(row("e1", "North", [], empty=True))
    rows.append(row("x1", "South", [], non_sub=True, text="n/a"))
    rows.append(row("c1", "North", ["safety", "lighting"], text=_TEXTS["n1"], dup="n1"))
    rows.append(row("c2", "North", ["safety", "lighting"], text=_TEXTS["n1"], dup="n1"))
    return pd.DataFrame(rows)


def previous_round() -> pd.DataFrame:
    """20 answers: safety 2 of 20, lighting 8 of 20 (no exclusions)."""
    rows = [
        row(f"p{k}", "North", [t for t, on in (("safety", k <= 2), ("lighting", k <= 8)) if on]) for k in range(1, 21)
    ]
    return pd.DataFrame(rows)


def sized_groups(sizes: dict[str, int]) -> pd.DataFrame:
    """Answers in groups of the given sizes; every third answer carries safety, the others lighting."""
    rows = []
    for g, n in sizes.items():
        for k in range(n):
            rows.append(row(f"{g}{k}", g, ["safety"] if k % 3 == 0 else ["lighting"]))
    return pd.DataFrame(rows)


def write_taxonomy(path: Path) -> Path:
    path.write_text(
        "themes:\n  - id: safety\n    name: Feeling safe\n  - id: lighting\n    name: Street lighting\n",
        encoding="utf-8",
    )
    return path
