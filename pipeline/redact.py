"""Redaction: replace names, contact details, addresses and reference numbers by placeholders.

Used for every piece of answer text that goes into a report (quotes, campaign excerpts, places and
organisations, answer ids). What is caught:

- e-mail addresses, also spelt out ("jo.b at gmail dot com") → ``[email]``;
- web links (``https://…``, ``www.…``, ``site.com/path``: a path can name someone) → ``[link]``;
- UK phone numbers in the usual forms (``07700 900123``, ``07700900123``, ``020 7946 0123``,
  ``(020) 7946 0123``, ``+44 7700 900123``, ``+44 (0)20 7946 0123``, ``0044 ...``) and other international
  numbers starting with ``+`` → ``[phone]``;
- full UK postcodes (``E8 1AB``, ``sw1a 1aa``) → ``[postcode]``; district codes alone (``E8``) are kept;
- house-number addresses (``14 Elm Grove``, ``Flat 3, 45 High Street``) → ``[address]``;
- dates written with numbers (``03/07/1985``, ``12.04.1990``, ``1985-07-03``) → ``[date]``;
- National Insurance numbers (``QQ 12 34 56 C``) → ``[ni number]``;
- UK vehicle registrations (``AB12 CDE``, ``A123 BCD``) → ``[plate]``;
- crime and case references (``CRIS 12345/21``, ``ref: AB123``, ``01/123456/24``: a code with a slash and at
  least five digits) and officers' collar numbers (``PC 4321``) → ``[reference]``;
- ``@handles`` (``@lucy.harris.90``) → ``[handle]``;
- names → ``[name]``: every PERSON entity found anywhere in the labelled file (and each capitalised word of
  it, so "Sarah" is caught after "Sarah Jones"), names after a title (Mr, Mrs, Ms, Dr, PC, Sgt, Cllr, ...,
  and Herr, Frau, Monsieur, Mme, Señora, Signora, Dhr, Senhor, ... of the languages with built-in phrases;
  after Mr, Mrs, Ms and Mx also when written in lower case: "mr patel") or a relation ("my neighbour
  Dave", "a man called Tom", "meine Nachbarin Petra", "mon voisin Paul"), and, when a spaCy pipeline is
  given, the PERSON entities it finds in the text itself. Names may have accented letters ("Siobhán Ní Bhriain"). A name found wholly
  inside a known place or organisation name (``places``: e.g. "Elizabeth" in "Elizabeth line") is kept.

Redaction is a safeguard, not a guarantee: a name that is neither capitalised nor after a title, not tagged
and not after a relation word ("my neighbour dave") gets through. Read quotes before publishing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import regex

PLACEHOLDERS = {
    "email": "[email]",
    "link": "[link]",
    "phone": "[phone]",
    "postcode": "[postcode]",
    "address": "[address]",
    "date": "[date]",
    "ni": "[ni number]",
    "plate": "[plate]",
    "reference": "[reference]",
    "name": "[name]",
    "handle": "[handle]",
}

EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
_AT = r"(?:\s*[\[(]\s*at\s*[\])]\s*|\s+at\s+)"
_SPELT_DOT = r"(?:\s*[\[(]\s*dot\s*[\])]\s*|\s+dot\s+)"
_TLD = r"(?:com|org|net|gov|edu|ac|co|uk|ie|io|me|info)\b"
# "jo at gmail dot com" (the last dot spelt out), or "jo.b at gmail.com" (a local part with . _ or a digit).
SPELT_EMAIL_RE = re.compile(
    rf"\b[\w.+-]+{_AT}[\w-]+(?:(?:{_SPELT_DOT}|\.)[\w-]+)*{_SPELT_DOT}{_TLD}"
    rf"|\b[\w+-]*[._\d][\w.+-]*{_AT}[\w-]+(?:\.[\w-]+)*\.{_TLD}",
    re.IGNORECASE,
)
URL_RE = re.compile(r"(?:\bhttps?://|\bwww\.)\S+|\b[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}/\S*", re.IGNORECASE)
# A leading 0 or +44/0044 (optionally "(0)"), then 9-10 digits with spaces, dots, dashes or brackets between.
UK_PHONE_RE = re.compile(r"(?<![\w+])\(?(?:(?:\+|00)\s?44\s?(?:\(0\)\s?)?|0)(?:[\s().-]{0,2}\d){9,10}(?!\d)")
INTL_PHONE_RE = re.compile(r"(?<![\w+])\+\d(?:[\s().-]{0,2}\d){7,14}(?!\d)")
POSTCODE_RE = re.compile(r"\b(?:GIR ?0AA|[A-Z]{1,2}\d[A-Z\d]?\s?\d[ABD-HJLNP-UW-Z]{2})\b", re.IGNORECASE)
DATE_RE = re.compile(r"(?<![\w/.-])(?:\d{1,2}[/.-]\d{1,2}[/.-](?:\d{4}|\d{2})|\d{4}-\d{1,2}-\d{1,2})(?![\w/-]|\.\d)")
NI_RE = re.compile(r"\b[A-Z]{2}\s?\d{2}\s?\d{2}\s?\d{2}\s?[A-D]\b", re.IGNORECASE)
PLATE_RE = re.compile(r"\b(?:[A-Z]{2}\d{2}\s?[A-Z]{3}|[A-Z]\d{1,3}\s?[A-Z]{3})\b")
REFERENCE_RE = re.compile(
    r"\b(?:CRIS|CAD|URN|crime\s+(?:reference|ref|number|no)\.?|ref(?:erence)?(?:\s+(?:number|no)\.?)?)"
    r"\s*(?:[:#]|no\.?)?\s*(?=[A-Za-z0-9/-]*\d)[A-Za-z0-9]+(?:[/-][A-Za-z0-9]+)*"
    r"|(?<![\w/])(?=(?:[A-Za-z/-]*\d){5})[A-Za-z0-9]+(?:/[A-Za-z0-9]+)+(?![\w/])"
    r"|\b(?:PC|DC|PCSO|PS|DS|Sgt)\s?\d{2,6}\b",  # an officer's collar number
    re.IGNORECASE,
)
HANDLE_RE = re.compile(r"(?<![\w@.])@\w(?:[\w.]*\w)?")
_NAME_WORD = r"\p{Lu}[\p{L}\p{M}'\u2019-]+"
_STREET = (
    r"(?:Road|Rd|Street|St|Lane|Ln|Avenue|Ave|Grove|Close|Drive|Dr|Way|Place|Pl|Court|Ct|Crescent|Gardens|"
    r"Terrace|Hill|Square|Sq|Mews|Row|Walk|Rise|Parade|Park|Green|Vale|View|Estate)"
)
ADDRESS_RE = regex.compile(
    r"(?:\b(?:Flat|Apartment|Apt|Unit)\s+\d+[A-Za-z]?,?\s+)?\b\d{1,4}[A-Za-z]?,?\s+"
    rf"(?:{_NAME_WORD}\s+){{1,3}}{_STREET}\b|\b(?:Flat|Apartment|Apt)\s+\d+[A-Za-z]?\b"
)
# Titles before a name, in English and in the languages with built-in phrases (de, fr, es, it, nl, pt).
_TITLES = (
    r"Mr|Mrs|Ms|Mx|Miss|Dr|Prof|PC|DC|DS|DI|DCI|Sgt|Sergeant|Inspector|Constable|Officer|Cllr|Councillor|"
    r"Herr|Frau|Hr|Fr|Kommissar|Kommissarin|Polizist|Polizistin|Monsieur|Madame|Mademoiselle|Mme|Mlle|"
    r"Inspecteur|Inspectrice|Señor|Señora|Señorita|Sr|Sra|Srta|Don|Doña|Agente|Signor|Signora|Signorina|Sig|"
    r"Dott|Dhr|Mevr|Mevrouw|Meneer|Senhor|Senhora"
)
TITLE_RE = regex.compile(rf"\b(?:{_TITLES})\.?\s+{_NAME_WORD}(?:\s+{_NAME_WORD}){{0,2}}")
# Titles that are nearly always followed by a name, so a lower-case word after them is one ("mr patel").
LOWER_TITLE_RE = regex.compile(r"(?i:\b(?:mr|mrs|ms|mx))\.?\s+(\p{Ll}[\p{L}\p{M}'\u2019-]+)")
# "my neighbour Dave" and "a man called Tom", in the same languages.
_RELATIONS = (
    r"(?:[Mm]y|[Oo]ur|[Hh]er|[Hh]is|[Tt]heir)\s+(?:ex[-\s]?)?(?:husband|wife|partner|son|daughter|neighbou?r|"
    r"friend|boyfriend|girlfriend|brother|sister|mum|mom|dad|mother|father|cousin|colleague|carer|ex|landlord)|"
    r"(?:[Mm]ein(?:e|em|en|er)?|[Uu]nser(?:e|em|en|er)?)\s+(?:Ex-?)?(?:Nachbar(?:in|n)?|Mann|Ehemann|Frau|"
    r"Ehefrau|Freund(?:in)?|Partner(?:in)?|Sohn|Tochter|Bruder|Schwester|Vater|Mutter|Kolleg(?:e|in)|"
    r"Vermieter(?:in)?)|"
    r"(?:[Mm]on|[Mm]a|[Nn]otre)\s+(?:ex-?)?(?:voisine?|mari|femme|amie?|copain|copine|fils|fille|frère|sœur|"
    r"père|mère|compagnon|compagne|collègue|propriétaire)|"
    r"(?:[Mm]i|[Nn]uestr[oa])\s+(?:ex\s?)?(?:vecin[oa]|marido|espos[oa]|amig[oa]|novi[oa]|hij[oa]|herman[oa]|"
    r"padre|madre|pareja|compañer[oa]|caser[oa])|"
    r"(?:[Mm]i[oa]|[Nn]ostr[oa])\s+(?:ex\s?)?(?:vicin[oa]|marito|moglie|amic[oa]|ragazz[oa]|figli[oa]|fratello|"
    r"sorella|padre|madre|compagn[oa])|"
    r"(?:[Mm]ijn|[Oo]nze?)\s+(?:ex-?)?(?:buurman|buurvrouw|man|vrouw|vriend|vriendin|zoon|dochter|broer|zus|"
    r"vader|moeder|partner|huisbaas)|"
    r"(?:[Mm]eu|[Mm]inha|[Nn]oss[oa])\s+(?:ex-?)?(?:vizinh[oa]|marido|esposa|mulher|amig[oa]|namorad[oa]|"
    r"filh[oa]|irmã|irmão|pai|mãe|companheir[oa])|"
    r"(?:called|named|genannt|namens|appelée?|nommée?|llamad[oa]|chiamat[oa]|genaamd|chamad[oa])"
)
RELATION_RE = regex.compile(rf"\b({_RELATIONS})\s+({_NAME_WORD}(?:\s+{_NAME_WORD})?)")
# Lower-case words after such a title that are not names ("mr and mrs smith").
_NOT_NAMES = frozenset(
    ["and", "or", "the", "a", "an", "of", "to", "in", "on", "at", "is", "was", "who", "from", "with"]
)


def redact_contacts(text: str) -> str:
    """``text`` with e-mail addresses and phone numbers replaced: for answer ids, which must stay traceable."""
    s = EMAIL_RE.sub(PLACEHOLDERS["email"], str(text))
    s = UK_PHONE_RE.sub(PLACEHOLDERS["phone"], s)
    return INTL_PHONE_RE.sub(PLACEHOLDERS["phone"], s)


def name_patterns(names: Iterable[str]) -> re.Pattern[str] | None:
    """One case-sensitive whole-word pattern for the given names and the capitalised words in them."""
    words: set[str] = set()
    for name in names:
        name = name.strip()
        if len(name) < 2:
            continue
        words.add(name)
        for part in re.split(r"\s+", name):
            part = part.strip(".,'\u2019")
            if len(part) >= 2 and part[0].isupper() and part.replace("-", "").replace("'", "").isalpha():
                words.add(part)
    if not words:
        return None
    alts = sorted(words, key=len, reverse=True)  # longest first: "Sarah Jones" before "Sarah"
    return re.compile(r"(?<![\w])(?:" + "|".join(re.escape(w) for w in alts) + r")(?![\w])")


def phrase_pattern(phrases: Iterable[str]) -> re.Pattern[str] | None:
    """Case-insensitive whole-word pattern for known place and organisation names (never redacted as names)."""
    alts = sorted({p.strip() for p in phrases if len(p.strip()) >= 3}, key=len, reverse=True)
    if not alts:
        return None
    return re.compile(r"(?<![\w])(?:" + "|".join(re.escape(p) for p in alts) + r")(?![\w])", re.IGNORECASE)


class Redactor:
    """Redacts texts. ``names``: known person names (e.g. every PERSON entity of the file); ``nlp``: a spaCy
    pipeline whose PERSON entities are redacted too; ``places``: known place and organisation names (e.g. the
    entity ruler's boroughs, stations, lines, agencies) — a name found wholly inside one of them is kept, so
    "Elizabeth line" stays while "Elizabeth" alone is redacted."""

    def __init__(self, names: Iterable[str] = (), nlp: Any = None, places: Iterable[str] = ()) -> None:
        self.names = name_patterns(names)
        self.nlp = nlp
        self.places = phrase_pattern(places)

    def __call__(self, text: str) -> str:
        return redact(text, self.names, self.nlp, self.places)


def redact(
    text: str,
    names: re.Pattern[str] | Iterable[str] | None = None,
    nlp: Any = None,
    places: re.Pattern[str] | None = None,
) -> str:
    """``text`` with contact details, postcodes and names replaced by placeholders (see the module doc)."""
    if not text:
        return ""
    if names is not None and not isinstance(names, re.Pattern):
        names = name_patterns(names)
    s = EMAIL_RE.sub(PLACEHOLDERS["email"], str(text))
    s = URL_RE.sub(PLACEHOLDERS["link"], s)
    s = SPELT_EMAIL_RE.sub(PLACEHOLDERS["email"], s)
    s = DATE_RE.sub(PLACEHOLDERS["date"], s)
    s = UK_PHONE_RE.sub(PLACEHOLDERS["phone"], s)
    s = INTL_PHONE_RE.sub(PLACEHOLDERS["phone"], s)
    s = NI_RE.sub(PLACEHOLDERS["ni"], s)
    s = POSTCODE_RE.sub(PLACEHOLDERS["postcode"], s)
    s = PLATE_RE.sub(PLACEHOLDERS["plate"], s)
    s = REFERENCE_RE.sub(PLACEHOLDERS["reference"], s)
    s = ADDRESS_RE.sub(PLACEHOLDERS["address"], s)
    s = HANDLE_RE.sub(PLACEHOLDERS["handle"], s)
    spans: list[tuple[int, int]] = []
    if nlp is not None:
        spans += [(e.start_char, e.end_char) for e in nlp(s).ents if e.label_ == "PERSON"]
    spans += [m.span() for m in TITLE_RE.finditer(s)]
    spans += [m.span() for m in LOWER_TITLE_RE.finditer(s) if m.group(1).casefold() not in _NOT_NAMES]
    spans += [m.span(2) for m in RELATION_RE.finditer(s)]
    if names is not None:
        spans += [m.span() for m in names.finditer(s)]
    if places is not None:
        kept = [m.span() for m in places.finditer(s)]
        spans = [(a, b) for a, b in spans if not any(ka <= a and b <= kb for ka, kb in kept)]
    out, pos = [], 0
    for a, b in sorted(spans):
        if b <= pos:
            continue
        a = max(a, pos)
        if out and a == pos and out[-1] == PLACEHOLDERS["name"]:
            pos = b  # overlapping or adjacent spans become one placeholder
            continue
        out += [s[pos:a], PLACEHOLDERS["name"]]
        pos = b
    out.append(s[pos:])
    return "".join(out)
