"""Redaction: replace names, e-mail addresses, phone numbers, UK postcodes and social handles by placeholders.

Used for every piece of answer text that goes into a report (quotes, campaign excerpts). What is caught:

- e-mail addresses → ``[email]``;
- UK phone numbers in the usual forms (``07700 900123``, ``07700900123``, ``020 7946 0123``,
  ``(020) 7946 0123``, ``+44 7700 900123``, ``+44 (0)20 7946 0123``, ``0044 ...``) and other international
  numbers starting with ``+`` → ``[phone]``;
- full UK postcodes (``E8 1AB``, ``sw1a 1aa``) → ``[postcode]``; district codes alone (``E8``) are kept;
- ``@handles`` → ``[handle]``;
- names → ``[name]``: every PERSON entity found anywhere in the labelled file (and each capitalised word of
  it, so "Sarah" is caught after "Sarah Jones"), names after a title (Mr, Mrs, Ms, Dr, PC, Sgt, Cllr, ...)
  or a relation ("my neighbour Dave", "a man called Tom"), and, when a spaCy pipeline is given, the
  PERSON entities it finds in the text itself. A name found wholly inside a known place or organisation
  name (``places``: e.g. "Elizabeth" in "Elizabeth line") is kept.

Redaction is a safeguard, not a guarantee: a name that is not capitalised, not tagged and not after a
title or relation word gets through. Read quotes before publishing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

PLACEHOLDERS = {
    "email": "[email]",
    "phone": "[phone]",
    "postcode": "[postcode]",
    "name": "[name]",
    "handle": "[handle]",
}

EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
# A leading 0 or +44/0044 (optionally "(0)"), then 9-10 digits with spaces, dots, dashes or brackets between.
UK_PHONE_RE = re.compile(r"(?<![\w+])\(?(?:(?:\+|00)\s?44\s?(?:\(0\)\s?)?|0)(?:[\s().-]{0,2}\d){9,10}(?!\d)")
INTL_PHONE_RE = re.compile(r"(?<![\w+])\+\d(?:[\s().-]{0,2}\d){7,14}(?!\d)")
POSTCODE_RE = re.compile(r"\b(?:GIR ?0AA|[A-Z]{1,2}\d[A-Z\d]?\s?\d[ABD-HJLNP-UW-Z]{2})\b", re.IGNORECASE)
HANDLE_RE = re.compile(r"(?<![\w@])@[A-Za-z0-9_]{2,}")
_NAME_WORD = r"[A-Z][a-zA-Z'\u2019-]+"
TITLE_RE = re.compile(
    r"\b(?:Mr|Mrs|Ms|Mx|Miss|Dr|Prof|PC|DC|DS|DI|DCI|Sgt|Sergeant|Inspector|Constable|Officer|Cllr|Councillor)"
    rf"\.?\s+{_NAME_WORD}(?:\s+{_NAME_WORD})?"
)
RELATION_RE = re.compile(
    r"\b((?:[Mm]y|[Oo]ur|[Hh]er|[Hh]is|[Tt]heir)\s+(?:ex-?)?(?:husband|wife|partner|son|daughter|neighbou?r|friend|"
    r"boyfriend|girlfriend|brother|sister|mum|mom|dad|mother|father|cousin|colleague|carer|ex|landlord)|"
    r"\b(?:called|named))\s+"
    rf"({_NAME_WORD}(?:\s+{_NAME_WORD})?)"
)


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
    s = UK_PHONE_RE.sub(PLACEHOLDERS["phone"], s)
    s = INTL_PHONE_RE.sub(PLACEHOLDERS["phone"], s)
    s = POSTCODE_RE.sub(PLACEHOLDERS["postcode"], s)
    s = HANDLE_RE.sub(PLACEHOLDERS["handle"], s)
    spans: list[tuple[int, int]] = []
    if nlp is not None:
        spans += [(e.start_char, e.end_char) for e in nlp(s).ents if e.label_ == "PERSON"]
    spans += [m.span() for m in TITLE_RE.finditer(s)]
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
