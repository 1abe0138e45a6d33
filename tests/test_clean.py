from __future__ import annotations

import numpy as np
import pytest
from pydantic import ValidationError

from pipeline.clean import (
    NonSubstantive,
    clean,
    find_duplicates,
    has_built_in_phrases,
    non_substantive_patterns,
    normalise_text,
)
from pipeline.config import CleanConfig


def test_normalise_repairs_and_strips() -> None:
    assert normalise_text("I donâ€™t feel safe") == "I don't feel safe"  # mojibake repaired, quotes straightened
    assert normalise_text("<p>More <b>lighting</b></p>&amp; CCTV") == "More lighting & CCTV"
    assert normalise_text("see https://example.org/x?y=1 and www.met.police.uk now") == "see and now"
    assert normalise_text("  a\t\nb\u200b  c ") == "a b c"
    assert normalise_text(None) == ""  # type: ignore[arg-type]
    assert normalise_text("x" * 50, max_chars=10) == "x" * 10


def test_non_substantive() -> None:
    ns = NonSubstantive(non_substantive_patterns(CleanConfig().non_substantive, "en"))
    for t in ["n/a", "N/A.", "No comment", "nothing to add", "See above", "-", "...", "Nothing else.", "no"]:
        assert ns(t), t
    for t in ["No more cuts to patrols", "Nothing will change until vetting does", "CCTV"]:
        assert not ns(t), t


def test_non_substantive_phrases_follow_the_language() -> None:
    de = NonSubstantive(non_substantive_patterns("auto", "de"))
    for t in [
        "Nichts.",
        "k.A.",
        "n.a.",
        "Keine Angaben",
        "siehe oben",
        "Weiß ich nicht",
        "Ich weiß es nicht",
        "nein danke",
        "-",
    ]:
        assert de(t), t
    for t in ["Nichts gegen die Polizei, aber mehr Licht", "Keine Streife im Park", "nothing"]:
        assert not de(t), t
    fr = NonSubstantive(non_substantive_patterns("auto", "fr"))
    assert fr("Rien à ajouter") and fr("Sans objet") and not fr("Rien ne change")
    # A language without built-in phrases gets the neutral ones only; a list replaces the built-ins.
    pl = NonSubstantive(non_substantive_patterns("auto", "pl"))
    assert pl("n/a") and pl("...") and not pl("nie wiem") and not pl("nothing")
    assert not has_built_in_phrases("pl") and has_built_in_phrases("de") and has_built_in_phrases("xx")
    assert NonSubstantive(non_substantive_patterns(["nie wiem", "brak"], "pl"))("Nie wiem.")
    # "xx" (any language): the union.
    xx = NonSubstantive(non_substantive_patterns("auto", "xx"))
    assert xx("nichts") and xx("nothing") and xx("rien")


def test_language_sets_what_clean_flags() -> None:
    texts = ["Nichts", "nothing", "Mehr Licht im Park"]
    assert clean(["1", "2", "3"], texts, lang="de").df["flag_non_substantive"].tolist() == [True, False, False]
    assert clean(["1", "2", "3"], texts, lang="en").df["flag_non_substantive"].tolist() == [False, True, False]


def test_bad_non_substantive_pattern_is_a_config_error() -> None:
    with pytest.raises(ValidationError, match="not a regular expression"):
        CleanConfig(non_substantive=["(unclosed"])
    with pytest.raises(ValidationError):
        CleanConfig(non_substantive="everything")  # type: ignore[arg-type]


def test_exact_and_near_duplicates_point_at_first_id() -> None:
    campaign = "I support the campaign for safer streets and demand proper funding for lighting in every park now"
    texts = [
        campaign,
        "Short answer",
        campaign.upper() + "!!",  # exact after folding case and punctuation
        campaign.replace("proper", "propper"),  # near-copy with a typo
        "A completely different answer about the night bus from Brixton being unsafe after midnight",
        "Short answer",  # short repeats are not campaigns
    ]
    ids = ["a", "b", "c", "d", "e", "f"]
    assert find_duplicates(ids, texts, min_words=8, similarity=92) == ["", "", "a", "a", "", ""]


def _duplicates_by_every_pair(ids: list[str], texts: list[str], min_words: int, similarity: float) -> list[str]:
    """The plain definition: an answer repeats the first earlier one with the same folded text, else the first
    earlier distinct text it nearly matches (then that one's own first answer), compared with every one."""
    from rapidfuzz import fuzz

    from pipeline.clean import _dedup_key

    keys = [_dedup_key(t) for t in texts]
    root = list(range(len(texts)))
    firsts: list[int] = []  # first answer of each distinct long text so far
    for i, k in enumerate(keys):
        if len(k.split()) < min_words:
            continue
        same = [j for j in firsts if keys[j] == k]
        if same:
            root[i] = same[0]
            continue
        near = [j for j in firsts if fuzz.ratio(k, keys[j]) >= similarity]
        if near:
            root[i] = root[near[0]]
        firsts.append(i)
    root = [root[r] for r in root]
    return [ids[r] if r != i else "" for i, r in enumerate(root)]


@pytest.mark.parametrize("similarity", [80.0, 92.0])
def test_near_duplicates_match_the_all_pairs_definition(similarity: float) -> None:
    # Answers of very different lengths, some edited copies of others (words swapped at random, harder than
    # real campaign edits): the all-pairs method is the reference, the linear one (MinHash LSH candidates)
    # must find the same copies; both must point only at answers at least ``similarity`` alike.
    rng = np.random.default_rng(1)
    vocab = [
        "safe",
        "street",
        "lights",
        "patrol",
        "police",
        "station",
        "night",
        "bus",
        "park",
        "women",
        "report",
        "abuse",
        "court",
        "trust",
    ]
    texts: list[str] = []
    for _ in range(400):
        if texts and rng.random() < 0.3:
            words = rng.choice(texts).split()
            for _ in range(int(rng.integers(0, 3))):  # a few edits
                words[int(rng.integers(len(words)))] = str(rng.choice(vocab))
            texts.append(" ".join(words))
        else:
            texts.append(" ".join(rng.choice(vocab, size=int(rng.integers(4, 60)))))
    ids = [f"r{i}" for i in range(len(texts))]
    want = _duplicates_by_every_pair(ids, texts, 8, similarity)
    assert find_duplicates(ids, texts, min_words=8, similarity=similarity, method="all_pairs") == want
    got = find_duplicates(ids, texts, min_words=8, similarity=similarity)
    assert sum(g != "" for g in want) > 50
    # LSH is tuned for the default 92: exact there; at 80 at most 2% of the copies are missed.
    missed = sum(g != w for g, w in zip(got, want, strict=True))
    assert missed == 0 if similarity == 92.0 else missed <= 0.02 * sum(w != "" for w in want)
    assert all(g in ("", w) for g, w in zip(got, want, strict=True))  # never a wrong answer pointed at


def test_clean_flags_every_row() -> None:
    res = clean(["1", "2", "3", "4"], ["", "n/a", "Please fund refuges", "   "], lang="en").df
    assert res["flag_empty"].tolist() == [True, False, False, True]
    assert res["flag_non_substantive"].tolist() == [False, True, False, False]
    assert len(res) == 4


def test_ascii_fast_path_matches_ftfy() -> None:
    # Plain ASCII skips ftfy; what ftfy would still change there (terminal escapes) is removed the same way.
    assert normalise_text("\x1b[31mred\x1b[0m alert &amp; more\r\nlines") == "red alert & more lines"
    assert normalise_text("caf\u00c3\u00a9 ok") == "caf\u00e9 ok"  # non-ASCII still goes through ftfy


def test_kept_texts_spilled_to_a_temporary_file_give_the_same_copies(monkeypatch: pytest.MonkeyPatch) -> None:
    # The resolver keeps the folded texts later answers compare with; past SPILL_BYTES they go to an unnamed
    # temporary file. Spilling after every few bytes must find exactly the copies found in memory.
    import pipeline.nearcopy as nearcopy

    rng = np.random.default_rng(7)
    base = ["Please light the path by the canal, women walk there at night and feel unsafe 💡", "Más policías"]
    texts = [
        f"{rng.choice(base)} {' '.join(rng.choice(['bus', 'park', 'late', 'café'], size=int(rng.integers(6, 12))))}"
        for _ in range(300)
    ]
    ids = [f"r{i}" for i in range(len(texts))]
    in_memory = find_duplicates(ids, texts, min_words=8, similarity=92)
    monkeypatch.setattr(nearcopy, "SPILL_BYTES", 64)
    store = nearcopy.TextStore(3, spill_bytes=4)
    for i, t in enumerate(["añadir 💡", "b" * 10, "ç"]):
        store.put(i, t)
    assert [store.get(i) for i in range(3)] == ["añadir 💡", "b" * 10, "ç"] and store._file is not None
    store.close()
    spilled: list[int] = []
    put = nearcopy.TextStore.put

    def counting_put(self: nearcopy.TextStore, row: int, text: str) -> None:
        put(self, row, text)
        spilled.append(self._file is not None)

    monkeypatch.setattr(nearcopy.TextStore, "put", counting_put)
    assert find_duplicates(ids, texts, min_words=8, similarity=92) == in_memory
    assert sum(x != "" for x in in_memory) > 20 and any(spilled)
