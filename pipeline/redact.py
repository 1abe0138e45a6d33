"""Redaction: find personal items in answer text and replace them by placeholders.

One :class:`Redactor` serves every text meant for publication: ``consult redact``, report quotes, campaign
excerpts, discovery examples. Analysts' review files keep the full text. What is caught (kind → placeholder):

- ``email`` (also spelt out: "jo dot b at gmail dot com") → ``[email]``; ``link`` (``https://…``,
  ``www.…``, ``site.com/path``) → ``[link]``;
- ``phone``: UK numbers in the usual forms and international numbers starting with ``+`` → ``[phone]``;
- ``postcode``: full UK postcodes (district codes alone, "E8", are kept) → ``[postcode]``;
- ``address``: a house number and street ("14 Elm Grove", "45 high street"), flat numbers ("flat 4",
  "Flat 12B, 45 High Street", "Flat B, 77 ..."), a block and its street ("34 Ashby Court, Dalston Lane") →
  ``[address]``;
- ``date``: dates written with numbers ("03/07/1985"), full dates in words ("5th May 1994", "May 5, 1994"), a day
  and a month ("14 November", "9th Jan", "the twenty-first of March"; "on 12/08"), with a weekday before it
  ("Saturday 17 August"), and anything after "born", "DOB", "date of birth" → ``[date]``;
- ``ni_number`` → ``[ni number]``; ``plate`` (UK vehicle registrations) → ``[plate]``;
- ``reference``: crime and case references with or without separators ("CRIS 12345/21", "crime ref
  5012345678", "01/123456/24", "24*00981234", "Ref BTP 2311 0098 4", "1234 of 05/06") and officers' collar
  numbers ("PC 4321", "shoulder number 512", "4471SW", "officer 4471", "his number was 1937") → ``[reference]``;
- ``handle``: ``@handles``, handles without ``@`` after snapchat, insta, tiktok and the like, and, in an answer
  about something online, words built like user names ("bbu2", "samd.films") → ``[handle]``;
- ``name`` → ``[name]``: spaCy's PERSON entities (and ORG entities made only of known names); names after titles
  and ranks in any case ("DC smith", "insp. mcbride", "Herr Schröder"); names after or before a relation or
  role ("my ex darren wright", "Leanne, my flatmate", "my IDVA, Farah", "the officer, Tomasz", "a man called
  Tom"); first names of the name lists (:mod:`pipeline.names`: many origins) written in capitals, or in lower case
  when they are not common words; a name's surname and particles ("Siobhán Ní Bhriain"); names known by other
  cues ("(Jenkins)", "Grace (19)", "my name is favour", "everyone calls him smokey", "- Sumaira, pharmacist");
  and every full name found elsewhere in the same file (``names``), matched as a whole.

Never redacted as names: the entity ruler's places and organisations (``places``), names built like places
("… Road", "… Lane", "… High Street", "… Common", "… Hill", "… Park", "… Hospital", "… Council", ...) and
``redact.keep_names`` (names that are public in context). An address or phone number inside them still is.

Redaction is a safeguard, not a guarantee: read what you publish. ``bench/redaction.py`` measures it.
"""

from __future__ import annotations

import copy
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import regex
from spacy.lang.en.stop_words import STOP_WORDS

from .config import EntitiesConfig
from .entities import load_spacy, parse_entities, read_entity_names
from .errors import ConsultError
from .guards import check_output_path
from .names import (
    common_first_names,
    common_words,
    country_names,
    country_places,
    fold,
    frequent_name_lists,
    name_lists,
    non_noun_words,
    noun_only_words,
)
from .scan import _column, open_input, scan_file
from .stream import TableWriter

PLACEHOLDERS = {
    "email": "[email]",
    "link": "[link]",
    "phone": "[phone]",
    "postcode": "[postcode]",
    "address": "[address]",
    "date": "[date]",
    "ni_number": "[ni number]",
    "plate": "[plate]",
    "reference": "[reference]",
    "handle": "[handle]",
    "name": "[name]",
}
KINDS = tuple(PLACEHOLDERS)

# --- contact details, numbers and addresses ------------------------------------------------------------------
EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
_AT = r"(?:\s*[\[(]\s*at\s*[\])]\s*|\s+at\s+)"
_SPELT_DOT = r"(?:\s*[\[(]\s*dot\s*[\])]\s*|\s+(?:dot|underscore|dash|hyphen)\s+)"
_TLD = r"(?:com|org|net|gov|edu|ac|co|uk|ie|io|me|info)\b"
# "jo dot b at gmail dot com", "jo at gmail dot com", "jo.b at gmail.com" (a local part with . _ or a digit).
SPELT_EMAIL_RE = re.compile(
    rf"\b[\w+-]+(?:(?:{_SPELT_DOT}|[._])[\w+-]+)*{_AT}[\w-]+(?:(?:{_SPELT_DOT}|\.)[\w-]+)*{_SPELT_DOT}{_TLD}"
    rf"|\b[\w+-]*[._\d][\w.+-]*{_AT}[\w-]+(?:\.[\w-]+)*\.{_TLD}",
    re.IGNORECASE,
)
URL_RE = re.compile(r"(?:\bhttps?://|\bwww\.)\S+|\b[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}/\S*", re.IGNORECASE)
# A leading 0 or +44/0044 (optionally "(0)"), then 9-10 digits with spaces, dots, dashes or brackets between.
UK_PHONE_RE = re.compile(r"(?<![\w+])\(?(?:(?:\+|00)\s?44\s?(?:\(0\)\s?)?|0)(?:[\s().-]{0,2}\d){9,10}(?!\d)")
INTL_PHONE_RE = re.compile(r"(?<![\w+])\+\d(?:[\s().-]{0,2}\d){7,14}(?!\d)")
POSTCODE_RE = re.compile(r"\b(?:GIR ?0AA|[A-Z]{1,2}\d[A-Z\d]?\s?\d[ABD-HJLNP-UW-Z]{2})\b", re.IGNORECASE)
DATE_RE = re.compile(r"(?<![\w/.-])(?:\d{1,2}[/.-]\d{1,2}[/.-](?:\d{4}|\d{2})|\d{4}-\d{1,2}-\d{1,2})(?![\w/-]|\.\d)")
_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|"
    r"oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_DAY = r"\d{1,2}(?:st|nd|rd|th)?"
# "5th May 1994", "5 of may, 94", "May 5th, 1994": a day, a month and a year.
WORD_DATE_RE = re.compile(
    rf"\b(?:(?:the\s+)?{_DAY}\s+(?:of\s+)?{_MONTH},?\s+(?:\d{{4}}|'\d{{2}})|{_MONTH}\s+{_DAY},?\s+\d{{4}})\b",
    re.IGNORECASE,
)
# A day and month without a year, after a preposition ("on 3 June", "since 4th November", "on the 12th of March").
SHORT_DATE_RE = re.compile(
    rf"\b(?:on|since|from|until|till|by|before|after|(?:mon|tues|wednes|thurs|fri|satur|sun)day,?)\s+((?:the\s+)?{_DAY}\s+(?:of\s+)?{_MONTH}(?!\w)|{_MONTH}\s+{_DAY}\b)",
    re.IGNORECASE,
)
# A day and a month anywhere ("listed for 14 November, then 3 February", "9th Jan he phoned"); "2 may" and
# "3 march" only with an ordinal or in capitals, as they are more often a number and a verb.
DAY_MONTH_RE = re.compile(
    rf"(?<![\w/.£$€-])(?:[12]\d|3[01]|0?[1-9])(st|nd|rd|th)?\s+(?:of\s+)?({_MONTH})(?![\w/-])", re.IGNORECASE
)
# A day and month as numbers after a preposition ("on 12/08", "since 3/11"), not "24/7" nor "10/10" (a score).
NUMBER_DATE_RE = re.compile(
    r"\b(?:on|since|from|until|till|between|dated)\s+"
    r"((?:[12]\d|3[01]|0?[1-9])[/.](?:1[0-2]|0?[1-9]))(?![\w/-]|[.,]\d)",
    re.IGNORECASE,
)
# A date of birth: after "born", "DOB", "date of birth", even without a year ("born on the 5th of May").
DOB_RE = re.compile(
    rf"\b(?:born|d\.?o\.?b\.?|date\s+of\s+birth|birthday)\b\s*(?:is|was|on|:|-)?\s*(?:the\s+)?"
    rf"((?:{_DAY}\s+(?:of\s+)?{_MONTH}|{_MONTH}\s+{_DAY})(?:,?\s+(?:\d{{4}}|'?\d{{2}}))?|\d{{1,2}}[/.-]\d{{1,2}}[/.-]\d{{2,4}})",
    re.IGNORECASE,
)
# National Insurance numbers: two letters, six digits (grouped any way, spaces or dashes), a letter A-D; after
# "NI" or "national insurance" the final letter may be missing.
# Any registration after "reg", "registration", "number plate" (Northern Irish, older or foreign formats).
CUE_PLATE_RE = re.compile(
    r"\b(?:reg(?:istration)?(?:\s+(?:number|no\.?|plate))?|number\s*plate|plate(?:\s+number)?)\s*(?:is|was|:|-)?\s*"
    r"((?=[A-Z0-9 ]{4,9}\b)[A-Z]{1,3}\s?\d{1,4}(?:\s?[A-Z]{1,3})?|\d{1,4}\s?[A-Z]{1,3})\b",
    re.IGNORECASE,
)
NI_RE = re.compile(
    r"\b[A-Z]{2}(?:[\s-]?\d){6}[\s-]?[A-D]\b"
    r"|(?<=\bNI\s)[A-Z]{2}(?:[\s-]?\d){6}\b|(?<=national insurance number\s)[A-Z]{2}(?:[\s-]?\d){6}\b"
    r"|(?<=\bNI number\s)[A-Z]{2}(?:[\s-]?\d){6}\b|(?<=\bNI no\s)[A-Z]{2}(?:[\s-]?\d){6}\b",
    re.IGNORECASE,
)
PLATE_RE = re.compile(r"\b(?i:[A-Z]{2}\d{2}\s?[A-Z]{3})\b|\b[A-Z]\d{1,3}\s?[A-Z]{3}\b")
_REF_CUE = (
    r"(?:CRIS|CAD|URN|(?:crime|case|incident|log|occurrence|report|reference|ref|complaint|investigation|job"
    r"|report\s+id|case\s+id)"
    r"(?:\s+(?:reference|ref|number|no|num))?)"
)
REFERENCE_RE = re.compile(
    rf"\b{_REF_CUE}\.?(?:\s*(?:number|no\.?|num|is|was|given|[:#-])){{0,3}}\s*"
    r"(?!\d{1,2}(?![\w/*-]))(?=[A-Za-z0-9/-]*\d)(?:[A-Za-z]{1,4}-)?[A-Za-z0-9]*\d[A-Za-z0-9]*"
    r"(?:[/*-][A-Za-z0-9]+|\s\d{3,}(?![\w/]))*"
    r"|(?<![\w/])(?=(?:[A-Za-z/*-]*\d){5})[A-Za-z0-9]+(?:[/*][A-Za-z0-9]+)+(?![\w/])"
    # a long number, or a code of capitals and a long number, with no cue ("CF2403118842", "204155231")
    r"|(?<![\w£$€.,/+-])(?-i:[A-Z]{0,4})[1-9]\d{7,}(?![\w/-]|[.,]\d)"
    r"|(?<![\w/-])(?=(?:[A-Za-z-]*\d){6})[A-Za-z0-9]+(?:-[A-Za-z0-9]+){2,}(?![\w-])"
    # an officer's collar or shoulder number
    r"|\b(?:PC|DC|PCSO|PS|DS|Sgt|(?:collar|shoulder|badge|warrant|driver|licence|license)\s+(?:number|no\.?|num)?(?:\s+(?:is|was|:))?)"
    r"(?:\s?(?-i:[A-Z]{2,5}))?\s?#?\d{2,6}[A-Z]{0,3}\b"
    # a Met shoulder number, digits and the two letters of a command ("4471SW", "0842HA")
    r"|(?<![\w/])(?-i:\d{3,5}[A-Z]{2})(?![\w/])",
    re.IGNORECASE,
)
# A reference in groups of digits after its cue, a force's letters or a bracket ("my case (22 000 61 45 99)", "Ref
# BTP 2311 0098 4"): eight digits or more.
SPACED_REFERENCE_RE = re.compile(
    rf"\b{_REF_CUE}\b[^\n\d]{{0,12}}?\(?((?=(?:\d\s?){{8}})\d{{2,6}}(?:\s\d{{1,6}}){{1,5}})(?![\w/])", re.IGNORECASE
)
# "PC Smith (number 5519)": a number in brackets after a name.
BRACKET_NUMBER_RE = re.compile(
    r"(?<=\()(?:number|no\.?|collar|shoulder|badge)\s*#?\d{2,6}[A-Z]{0,3}(?=\))", re.IGNORECASE
)
_ORDINAL_WORDS = (
    r"(?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|eleventh|twelfth|thirteenth|fourteenth|"
    r"fifteenth|sixteenth|seventeenth|eighteenth|nineteenth|twentieth|twenty[- ]\w+|thirtieth|thirty[- ]first)"
)
# A day in words and a month: "on the twenty-first of March", "the fourteenth of July 1985".
ORDINAL_DATE_RE = re.compile(
    rf"\b(?:the\s+)?{_ORDINAL_WORDS}\s+(?:of\s+)?{_MONTH}(?:,?\s+\d{{4}})?(?!\w)", re.IGNORECASE
)
# An officer's number given as such: "his number was 1937", "collar number 4471".
COLLAR_RE = re.compile(
    r"(?i)\b(?:his|her|their|(?:collar|shoulder|badge|warrant|epaulette)|officer'?s)\s+(?:number|no\.?|num)\s*"
    r"(?:was|is|:|-)?\s*(\d{3,6}[A-Z]{0,2})\b"
)
# "job number 4522 of 12 March", "456 of 02/11/22": a log number and its day.
LOG_OF_DATE_RE = re.compile(
    rf"(?i)(?<![\w/])\d{{3,5}}\s+of\s+(?:\d{{1,2}}[/.]\d{{1,2}}(?:[/.]\d{{2,4}})?|(?:the\s+)?{_DAY}\s+(?:of\s+)?{_MONTH})"
    r"(?![\w/])"
)
# "officer 4471 was rude": a role, then a number of three to six digits.
ROLE_NUMBER_RE = re.compile(
    r"(?i)\b(?:officer|constable|sergeant|inspector|pcso|detective)\s(\d{3,6}(?-i:[A-Z]{0,2}))\b"
    r"(?!\s*(?:of\b|officers|years|yrs|times|%))"
)
# A weekday just before a date joins it: "(Saturday 17 August)", "Fri 3rd May".
WEEKDAY_BEFORE_RE = re.compile(
    r"(?i)\b(?:mon|tues?|wed(?:nes)?|thu(?:rs?)?|fri|sat(?:ur)?|sun)(?:day)?\.?,?[ \t]+(?:the[ \t]+)?$"
)
# A date of birth in words: "nineteenth of april two thousand and three".
DOB_WORDS_RE = re.compile(
    rf"\b(?:born|d\.?o\.?b\.?|date\s+of\s+birth|birthday)\b\s*(?:is|was|on|:|-)?\s*(?:the\s+)?"
    rf"({_ORDINAL_WORDS}\s+(?:of\s+)?{_MONTH}(?:,?\s+(?:(?:nineteen|two\s+thousand)(?:\s+and)?(?:\s+[a-z-]+){{0,2}}|\d{{4}}))?)",
    re.IGNORECASE,
)
HANDLE_RE = re.compile(r"(?<![\w@.])@\w(?:[\w.]*\w)?")
# A user name written without "@": a word with an underscore in it ("rate_em_tw3", "tee.jayy_x").
UNDERSCORE_HANDLE_RE = re.compile(r"(?<![\w@.])[^\W_][\w.]*_[\w.]*[^\W_]|(?<![\w@.])[^\W_][\w.]*[^\W_]_+(?![\w])")
# A handle without "@": after a platform's name ("her snapchat is jess_xo99", "tiktok: kaybaby2007").
_PLATFORM = (
    r"(?:snapchat|snap|sc|insta|instagram|ig|tiktok|tik\s?tok|twitter|facebook|fb|telegram|whatsapp|discord|kik|"
    r"onlyfans|youtube|twitch|threads|reddit|bumble|tinder|hinge|grindr|linkedin)"
)
# "username was lfc.lad.99", "gamertag: xXslayerXx".
USERNAME_RE = regex.compile(
    r"(?i)\b(?:user(?:\s?name)?|handle|gamer\s?tag|profile\s+name|account\s+name|screen\s?name|(?:his|her|their|the)\s+"
    r"(?:accounts?|profiles?|pages?))\s*(?:is|was|:|-|=|,)?\s*['\"\u2018\u201c]?@?"
    r"(?!(?:called|named)\b)([\p{L}\d_.]{3,40})"
    # "an account called bexleyheath.baddies", "the page is called southside.exposed": a dotted or numbered name
    r"|\b(?:accounts?|profiles?|pages?|group\s?chats?)\s+(?:is\s+|was\s+)?(?:called|named)\s+['\"\u2018\u201c]?@?"
    r"((?=[\p{L}\d_.]*[\d_.])[\p{L}\d_.]{3,40})"
)
# "dkbarnes93 on twitter", "mohussain__ on insta": a name with digits, dots or underscores, then its platform.
HANDLE_ON_RE = regex.compile(
    rf"(?<![\w@.])((?=[\p{{L}}\d_.]*[\d_])(?=[\p{{L}}\d_.]*\p{{L}}{{3}})[\p{{L}}\d_.]{{4,40}})\s+(?i:on|via)\s+(?i:{_PLATFORM})\b"
)
# "goes by 'scouse' on insta", "on whatsapp as 'K-Dogg'": a name in quotes or after "as"/"by", next to a platform.
QUOTED_HANDLE_RE = regex.compile(
    rf"(?i)\b(?:as|by)\s+['\"\u2018\u201c]([\p{{L}}\d_.-]{{3,40}})['\"\u2019\u201d]\s+on\s+{_PLATFORM}\b"
    rf"|\b{_PLATFORM}\s+as\s+['\"\u2018\u201c]([\p{{L}}\d_.-]{{3,40}})['\"\u2019\u201d]"
)
# "52 Heathway, Dagenham, RM10 8AA": a number and a capitalised name before a town and a postcode.
ADDRESS_BEFORE_POSTCODE_RE = regex.compile(
    r"(?<![\w/.-])(\d{1,4}[A-Za-z]?\s+\p{Lu}[\p{L}'-]+(?:\s+\p{Lu}[\p{L}'-]+)?)"
    r"(?=,\s*(?:\p{Lu}[\p{L}' -]+,?\s*)?(?:[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2})\b)"
)
# A dating profile's name and age in quotes: "'Will, 34, Canary Wharf'", "'Chester, 29'".
_OPEN_Q = "'\"\u2018\u201c"
_CLOSE_Q = "'\"\u2019\u201d"
# A nickname or pseudonym in quotes after the words that give one: "they call him 'Tiny'", "a girl I'll call
# 'Tee'", "known as 'Uncle Ray'", "nicknamed 'gold'" (not after "called me": that is mostly an insult).
NICKNAME_RE = regex.compile(
    r"(?i:\b(?:call(?:s|ed|ing)?|nicknamed|dubbed)\s+(?:(?:him|her|them|himself|herself|themselves)\s+)?"
    r"|\b(?:i'?ll|i\s+will|i\s+shall|let'?s|lets|we'?ll)\s+(?:call|say)\s+(?:(?:her|him|them)\s+)?"
    r"|\b(?:known|goes|go|went)\s+(?:as|by)\s+|\bnicknamed\s+"
    r"|\b(?:man|woman|guy|girl|boy|lad|bloke|geezer|person|someone|fella|teacher|coach|officer)\s+(?:called|named)\s+)"
    rf"[{_OPEN_Q}]([^{_CLOSE_Q}\n]{{1,24}}?)[{_CLOSE_Q}]"
)
# A nickname without quotes: "friends call her Bunny", "everyone calls him Big Mo".
BARE_NICKNAME_RE = regex.compile(
    r"(?i:\b(?:call(?:s|ed)?|nicknamed)\s+(?:him|her|them)\s+)(\p{Lu}[\p{L}\p{M}'\u2019-]*(?:[ \t]\p{Lu}[\p{L}\p{M}'\u2019-]*)?)"
)
# The same in lower case: "everyone calls him smokey", "we call him big dave", "everyone calls me chi".
LOWER_NICKNAME_RE = regex.compile(
    r"\b(?:call(?:s|ed|ing)?|nicknamed)[ \t]+(?:him|her|me|them|us)[ \t]+((?:(?:big|little|lil|uncle|auntie|aunty|young)[ \t]+)?"
    r"(\p{Ll}[\p{Ll}'\u2019-]+))\b(?![ \t]+(?:a|an|the|out|back|up)\b)"
)
# "a man everyone calls Stretch", "the lad they call Little T".
EVERYONE_CALLS_RE = regex.compile(
    r"(?i:\b(?:man|woman|guy|lad|girl|boy|bloke|someone|person|one|fella)[ \t]+(?:that[ \t]+|who[ \t]+)?"
    r"(?:everyone|everybody|they|people|we|the[ \t]+\w+)[ \t]+call(?:s|ed)?[ \t]+)"
    r"(\p{Lu}[\p{L}\p{M}'\u2019-]*(?:[ \t]\p{Lu}[\p{L}\p{M}'\u2019-]*)?)"
)
# A form label, then the person: "Victim: me (Robyn Ashford)", "Suspect: Tyler Sheerness".
LABELLED_PERSON_RE = regex.compile(
    r"(?i:\b(?:victim|suspect|offender|perpetrator|abuser|complainant|witness|client|patient|contact|respondent)"
    r"\s*[:\-\u2013]\s*(?:me\s*\(\s*)?)(\p{Lu}[\p{L}\p{M}'\u2019-]+(?:[ \t]\p{Lu}[\p{L}\p{M}'\u2019-]+){0,2})"
)
# A full name and an age between commas: "Chelsea Amoah, 19, attacked".
NAME_AGE_RE = regex.compile(
    r"\b(\p{Lu}[\p{Ll}\p{M}'\u2019-]+[ \t]\p{Lu}[\p{L}\p{M}'\u2019-]+),[ \t]*\d{1,2}[ \t]*(?:,|\)|years?\b|yrs?\b|y/?o\b)"
)
# A surname given as such: "surname Lamb", "the surname Wood", "last name is Haddington".
SURNAME_CUE_RE = regex.compile(
    r"(?i:\b(?:surname|last\s+name|family\s+name)(?:\s+(?:is|was|of))?\s*[:\-]?\s+)"
    r"((?:[\p{L}][\p{L}'\u2019]*(?:-[\p{L}][\p{L}'\u2019]*)?))"
)
# A sign-off line, then the writer's name alone on the next line ("Thanks\nRuksana Siddiqui\nCaseworker").
SIGN_OFF_RE = regex.compile(
    r"(?im)^[ \t]*(?:thanks|thank\s+you|many\s+thanks|regards|kind\s+regards|best\s+regards|warm\s+regards|"
    r"best\s+wishes|best|cheers|sincerely|yours\s+sincerely|yours\s+faithfully|yours\s+truly|love|one\s+love|"
    r"respectfully|take\s+care|with\s+thanks)[ \t]*[,.!]?[ \t]*\n[ \t]*"
    r"(\p{Lu}[\p{L}\p{M}'\u2019-]+(?:[ \t]+\p{Lu}[\p{L}\p{M}'\u2019-]+){0,2})[ \t]*(?:,|$)"
)
# A name closing the answer, then who the writer is: "... both. - Sumaira, pharmacist", "Gemma, centre coordinator."
SIGN_END_RE = regex.compile(
    r"(?:[.!?][ \t]+|\n[ \t]*|[-\u2013\u2014~][ \t]*)(\p{Lu}[\p{Ll}\p{M}'\u2019-]+(?:[ \t]+\p{Lu}[\p{L}\p{M}'\u2019-]+)?)"
    r"[ \t]*,[ \t]*[^\n.!?,]{2,40}[.!]?\s*$"
)
# A nickname in quotes or brackets between two parts of a name: "Lamar 'Smokey' Richards", "Mrs X (Lucky) Y".
_BETWEEN_RE = regex.compile(
    rf"[ \t]+[{_OPEN_Q}(]([\p{{L}}][\p{{L}}\p{{M}}'\u2019-]*(?:[ \t][\p{{L}}][\p{{L}}\p{{M}}'\u2019-]*)?)[{_CLOSE_Q})]"
    r"(?:[ \t]+(\p{Lu}[\p{L}\p{M}'\u2019-]+))?"
)
# One name and an age, at the start of a line or after a dash: "Sky, 16, care experienced", "- Mali, 16".
NAME_ALONE_AGE_RE = regex.compile(
    r"(?m)(?:^|[-\u2013\u2014][ \t]*)(\p{Lu}[\p{Ll}\p{M}'\u2019-]+),[ \t]*\d{1,2}[ \t]*(?:,|\)|$|\.|years?\b|yrs?\b|y/?o\b)"
)
# A first name, then an aside about the name: "joe (i wont give his surname)", "devon (thats his name not the
# place)", "Parveen (not her real name)".
NAME_ASIDE_RE = regex.compile(
    r"(?<![\p{L}'])(\p{L}[\p{L}\p{M}'\u2019-]+)[ \t]*\((?i:[ \t]*(?:i[ \t]+(?:won'?t|wont|will[ \t]+not|won\u2019t|"
    r"can'?t|cant|can\u2019t|am[ \t]+not|'?m[ \t]+not)[ \t]+(?:give|giving|say|name|put)|not|that'?s|thats|that\u2019s|"
    r"it'?s|its|it\u2019s|is|she|he|they)[ \t]+(?:\S+[ \t]+){0,2}?(?:his|her|their)[ \t]+(?:real[ \t]+|full[ \t]+|first[ \t]+|sur|last[ \t]+)?name)"
)
# Someone spoken to at the start of a sentence, without a comma: "ruby if you read this thank u".
READ_THIS_RE = regex.compile(
    r"(?:^|(?<=[.!?]\s)|(?<=[.!?]\s\s))(\p{L}[\p{L}\p{M}'\u2019-]+),?[ \t]+(?i:if[ \t]+(?:you|u)(?:'re|\u2019re|re|[ \t]+are|[ \t]+r)?"
    r"[ \t]+(?:ever[ \t]+)?(?:read|reading|see|seeing)[ \t]+this)",
    regex.MULTILINE,
)
# One word in brackets, alone or with a hedge: "the officer on the desk (Rich, I think)", "[ref] (Jenkins)",
# "Me (Kat)", "her boyfriend (Llewelyn-Jones, he's from Cardiff)".
BRACKETED_NAME_RE = regex.compile(
    r"\((\p{Lu}[\p{Ll}\p{M}'\u2019]+(?:-\p{Lu}[\p{Ll}\p{M}'\u2019]+)?)[ \t]*(?:\)|,[ \t]*(?i:i[ \t]+think|i[ \t]+believe|"
    r"not[ \t]+sure|maybe|apparently|he|she|they|his|her|my|from|aged?|\d))"
)
# Surnames built as Gaelic ones are: "MacAulay", "McAllister", "O'Hare-Mensah", "O'HARE".
CLAN_NAME_RE = regex.compile(
    r"(?<![\p{L}'\u2019])(?:Ma?c\p{Lu}\p{Ll}+|MA?C\p{Lu}{3,}|O['\u2019](?:\p{Lu}\p{Ll}+|\p{Lu}{3,})|Fitz\p{Lu}\p{Ll}+)"
    r"(?:-\p{Lu}[\p{L}'\u2019]+)?(?!['\u2019]?s\b|\p{L})"
)
_CLAN_NOT_NAMES = frozenset("macbook mcflurry mcdonald mcdonalds".split())  # brands, not surnames
# A single name and an age in brackets: "One patient last month, Grace (19), begged me".
NAME_BRACKET_AGE_RE = regex.compile(r"(?<![\p{L}'])(\p{Lu}[\p{Ll}\p{M}'\u2019-]+)[ \t]*\((?:aged?[ \t]*)?\d{1,2}\)")
# What a badge or lanyard said: 'name badge "Adebola"', "his name badge said t. wood", "on his badge - Lucas".
BADGE_RE = regex.compile(
    r"(?i:\b(?:badge|name[ \t]*tag|lanyard)(?:[ \t]+(?:said|says|read|reads|was|is|showed|shows))?[ \t]*[:\-\u2013]?[ \t]*)"
    r"[\"'\u2018\u201c]?((?:\p{L}\.[ \t]?)?\p{L}[\p{L}\p{M}'\u2019-]+)"
)
# A name in brackets after a phone number or e-mail address: "ring me on 07700 900123 (Hodan)".
_CONTACT = rf"(?:{EMAIL_RE.pattern}|{UK_PHONE_RE.pattern}|{INTL_PHONE_RE.pattern})"
NAME_BEFORE_CONTACT_RE = regex.compile(
    rf"(?<![\p{{L}}'])(\p{{Lu}}[\p{{Ll}}\p{{M}}'\u2019-]+(?:[ \t]\p{{Lu}}[\p{{Ll}}\p{{M}}'\u2019-]+)?),?[ \t]+(?:on|at)[ \t]+{_CONTACT}"
)
NAME_AFTER_CONTACT_RE = regex.compile(
    rf"{_CONTACT}[ \t]*\((\p{{Lu}}[\p{{L}}\p{{M}}'\u2019-]+(?:[ \t]\p{{Lu}}[\p{{L}}\p{{M}}'\u2019-]+)?)\)"
)
PROFILE_NAME_RE = regex.compile(r"['\"\u2018\u201c](\p{Lu}[\p{L}'-]+),\s*\d{2}\b")
# In an answer about something online, a word built like a user name: letters with digits, dots or underscores
# ("bbu2", "samd.films", "ratinguni.bton").
ONLINE_RE = regex.compile(
    rf"(?i)\b(?:{_PLATFORM}|online|accounts?|profiles?|pages?|handles?|user\s?names?|followers?|follow(?:ed|ing)?|dms?|"
    r"posted|posts|group\s?chats?|gc|stories|story|messaged|app|apps)\b"
)
SHAPED_HANDLE_RE = regex.compile(
    r"(?<![\w@./'\u2019-])(?=[\p{L}\d_.]*\p{L}{3})(?=[\p{L}\d_.]*[\d_.])\p{L}[\p{L}\d_.]{2,39}(?<!\.)(?![\w@/]|\.\w)"
)
# A group chat or page named in quotes: 'a group chat called "ldn lads no snakes"'.
GROUP_NAME_RE = regex.compile(
    r"(?i:\b(?:group\s?chats?|gcs?|groups?|chats?|servers?|channels?|pages?|accounts?)\s+"
    r"(?:(?:(?:was|is)\s+)?(?:called|named)\s+|(?:was|is)\s+))"
    rf"[{_OPEN_Q}]([^{_CLOSE_Q}\n]{{2,40}}?)[{_CLOSE_Q}]"
)
# "jayden.x.07": three or more parts joined by dots, not a web address or an abbreviation ("i.e.").
DOTTED_HANDLE_RE = regex.compile(r"(?<![\w.@/])(?=[\p{L}\d_.]*\p{L}{3})[\p{L}\d_]+(?:\.[\p{L}\d_]+){2,}(?![\w@/]|\.\w)")
HANDLE_CUE_RE = regex.compile(
    rf"(?i)\b{_PLATFORM}(?:\s+(?:name|handle|username|user\s?name|account|acc|id|page|profile))?"
    r"(?:\s*(?:is|was|=|:|-|,|called|named|as|under)\s*|\s+)(?:(?:is|was|called|named|he's|she's|hes|shes|he\s+is|she\s+is)\s+)?@?"
    rf"(?!{_PLATFORM}\b)([\p{{L}}\d_.]{{3,40}})"
)
_STREET_WORDS = (
    r"Road|Rd|Street|St|Lane|Ln|Avenue|Ave|Grove|Close|Drive|Dr|Way|Place|Pl|Court|Ct|Crescent|Gardens|"
    r"Terrace|Hill|Square|Sq|Mews|Row|Walk|Rise|Parade|Park|Green|Vale|View|Estate|Gate|Broadway|Cl|Cres|Gdns|Tce|"
    r"Chase|Mount|Boulevard|Approach|Croft|Fold|Meadows?|Path|Dene|Glade|Orchard|Paddock|Ridge|"
    r"Spinney|Wynd|House|Tower|Mansions|Lodge|Buildings"
)
# Words that end a street's name and nothing else ("Dalston Lane", not "Aylesbury Estate" or "Harold Hill").
_STRONG_STREET = (
    r"Road|Rd|Street|Lane|Avenue|Close|Drive|Way|Crescent|Terrace|Grove|Place|Gardens|Mews|Row|Walk|Parade|Square"
)
ADDRESS_RE = regex.compile(
    r"(?i)(?:\b(?:flat|apartment|apt|unit|room)\s+(?:\d+[a-z]?|(?-i:[A-Z])),?\s+(?:(?:[\p{L}'\u2019-]+\s+){0,2}"
    r"(?:House|Court|Tower|Point|Heights|Mansions|Lodge|Buildings|Block),?\s+)?|(?<![\d/])\d{1,2}/\d{1,2},?\s+)?"
    r"\b\d{1,4}[a-z]?,?\s+"
    rf"((?:[\p{{L}}'\u2019-]+\s+){{1,3}})(?:{_STREET_WORDS})\b(?:[ \t]+(?-i:North|South|East|West)\b)?"
    r"|\b(?:flat|apartment|apt|unit)\s*(?:no\.?\s*|number\s*)?\d+[a-z]?\b"
    rf"(?:,?\s+(?:(?!(?:on|in|the|of|and|at|to|by|near|off|a)\b)[\p{{L}}'\u2019-]+\s+){{1,3}}"
    rf"(?:{_STREET_WORDS}|Point|Heights)\b"
    # "Flat 7, Bancroft House, Cephas Street": the block, then its street
    rf"(?:,?\s+(?-i:\p{{Lu}}[\p{{L}}'\u2019-]+\s+){{1,3}}(?-i:{_STRONG_STREET})\b)?"
    # "flat 47 Tangmere": a block's name alone
    r"|[ \t]+(?-i:\p{Lu}\p{Ll}{3,})(?=[ \t]+(?:on|in|off|near|by)\b|[,.]))?"
    # "Dunstable Road, number 118", "the block behind the station, number 41"
    rf"|\b(?-i:\p{{Lu}}[\p{{L}}'\u2019-]+\s+){{1,3}}(?:{_STREET_WORDS}),?\s+(?:no\.?|number)\s*\d{{1,4}}[a-z]?\b"
    r"|(?<=\b(?:block|station|estate|building|house),?\s+)(?:no\.?|number)\s*\d{1,4}[a-z]?\b"
    # "a house at number 31 on our road"
    r"|(?<=\b(?:at|lives|live|living)\s+)(?:no\.?|number)\s*\d{1,4}[a-z]?\b(?=\s+(?:on|in|down|up|along)\s+(?:our|the|my|his|her|their|that|this)\b)"
)
_BLOCK_STREET_RE = regex.compile(rf",?[ \t]+(?:\p{{Lu}}[\p{{L}}'\u2019-]+[ \t]+){{1,3}}(?:{_STRONG_STREET})\b")
_UNITS = frozenset(
    "minutes minute mins min hours hour hrs hr seconds secs days day weeks week months month years year yrs miles "
    "mile metres meters km yards people times storey floors floor".split()
)
# Going or being taken somewhere, just before a place ("take our children to", "moved back to").
_MOVED_TO_RE = regex.compile(
    r"(?i:\b(?:take|takes|took|taken|taking|go|goes|went|gone|going|move|moved|moving|moves|fled|flee|"
    r"fly|flew|flown|travel(?:l?ed)?|return(?:ed)?|sent|send|deported|back|holiday|trip|abroad|home)"
    r"(?:[ \t]+(?:\w+[ \t]+){0,3}?)?[ \t]*(?:to|from)[ \t]+)$"
)
# "King George V", "Royal Parks": what follows these words is a place or body, not a person.
_AFTER_ROYALTY_RE = regex.compile(r"\b(?:King|Queen|Prince|Princess|Duke|Duchess|Royal|Saint|St\.?)[ \t]+$")
# Courts named after their town ("Woolwich Crown Court") and a year before a place are no street address.
_COURT_RE = regex.compile(r"(?i)\b(?:crown|county|magistrates'?|family|youth|coroner'?s|high|civil|combined)\s+court$")
_YEAR_FIRST_RE = regex.compile(r"(?:19|20)\d\d\b,")

# --- places and organisations that are never names -----------------------------------------------------------
_PLACE_SUFFIX = (
    r"Road|Rd|Street|St|Lane|Avenue|Ave|Grove|Close|Drive|Way|Place|Court|Crescent|Gardens|Terrace|Hill|Square|"
    r"Mews|Row|Walk|Rise|Parade|Park|Green|Common|Heath|Rye|Marshes|Fields|Wharf|Junction|Cross|Circus|Bridge|"
    r"Broadway|Market|Estate|Station|Hospital|School|College|University|Academy|Council|Centre|Center|Library|"
    r"Church|Cathedral|Mosque|Gurdwara|Temple|Synagogue|Trust|Aid|Support|Service|Services|Police|Project|"
    r"Network|Partnership|Foundation|Association|Housing|Line|Tower|House|Hall|Village|Town|Wood|Forest|Lido|"
    r"Mall|Shopping Centre|Court|Clinic|Surgery|Prison|Barracks|Sisters|Matters|Alliance|Union|Society|Side|Moor|"
    r"Valley|Quay|Quays|Pier|Airport|Infirmary|Masjid|Down|Downs|Vale|End|Bay|Dock|Docks|Point|Heights|Meadows|"
    r"Mill|Mills|Gate|Circle|Mile|Bus Station|Retail Park|Leisure Centre|Arena|Stadium|Theatre|Museum|Gallery|"
    r"Club|Bar|Pub|Hotel|Inn|Cafe|Café|Restaurant|Shop|Store|Supermarket|Refuge|Hostel|Shelter|Oak|Arch|Sabha|"
    r"Mandir|Chapel|Abbey|Priory|Minster|Gurudwara|Basilica|Oratory|Cemetery|Crematorium|Embankment|Canal|Reservoir|"
    r"Group|Hub|Kitchen|Solicitors|Chambers|Forum|Collective|Initiative|Programme|Campaign|Nursery|Primary|Pastors|"
    r"Uni|Meadow|Hills|General|Royal|Dock|Review|Inquiry|Report|Commission|Act|Law|Scheme|Fund"
)
_SAINT = r"\bSt\.?\s+\p{Lu}[\p{L}\p{M}]+(?:'s|\u2019s|'|\u2019)?"
"""A saint's name: "St Thomas'", "St Luke's"."""
# Capitalised words ending in a place or body word ("Clapham Common", "Women's Aid", "King's College
# Hospital", "Harold Hill", "Kilburn High Road"), "St Thomas'", and "the X estate".
_CONNECTORS = ("and", "&", "of", "the", "upon", "on", "in", "de", "la")
"""Lower-case words inside a place's name ("Barking and Dagenham", "Kingston upon Thames")."""
PLACE_RE = regex.compile(
    rf"\b(?:St\.?\s+)?(?:\p{{Lu}}[\p{{L}}\p{{M}}'\u2019&-]*\s+(?:(?:{'|'.join(_CONNECTORS)})\s+)?){{1,4}}"
    rf"(?:High\s+(?:Street|Road)|{_PLACE_SUFFIX})\b"
    rf"|{_SAINT}"
    r"|\bOur\s+Lady\s+of\s+(?:the\s+)?\p{Lu}[\p{L}\p{M}]+(?:\s+\p{Lu}[\p{L}\p{M}]+)?"
    r"|\b(?i:the)\s+\p{Lu}[\p{L}\p{M}'\u2019-]+\s+(?i:estate)\b"
    # "University of Warwick", "Cathedral of St Sophia"
    r"|\b(?:University|College|Cathedral|Church|Museum|Palace|Isle|Port|Bank|Vale|Forest)\s+of\s+(?:the\s+)?"
    r"(?:St\.?\s+)?\p{Lu}[\p{L}\p{M}'\u2019-]+(?:\s+\p{Lu}[\p{L}\p{M}'\u2019-]+)?"
    # Welsh names of places and bodies begin with the word for what they are: "Ysgol Glantaf", "Heol Gerrig",
    # "Ynys Môn", "Heddlu Gogledd Cymru", "Tŷ Hafan".
    r"|\b(?:Ysgol|Heol|Ffordd|Stryd|Neuadd|Canolfan|Parc|Ynys|Tŷ|Pont|Cwm|Blaenau|Maes|Plas|Llys|Capel|Eglwys|Afon|"
    r"Castell|Heddlu|Prifysgol|Coleg|Ysbyty|Cyngor)(?:\s+\p{Lu}[\p{L}\p{M}'\u2019-]+){1,3}"
    # "the Marcus Garvey centre", "Charlie Brown youth project": a body named after someone, in lower case.
    r"|\b(?:\p{Lu}[\p{L}\p{M}'\u2019-]+\s+){1,3}(?:(?:youth|community|women's|family|support|drop-in)\s+)?"
    r"(?:project|centre|center|club|group|hub|trust|foundation|charity|building|campus)\b"
)
SAINT_RE = regex.compile(_SAINT)
# The same in lower case, when no word of it is a first name ("clapham common", "kilburn high road").
LOWER_PLACE_RE = regex.compile(
    r"\b(?:\p{Ll}[\p{L}\p{M}'\u2019-]+\s+){1,2}(?:high\s+(?:street|road)|road|street|lane|avenue|common|heath|"
    r"rye|marshes|hill|park|estate|station|hospital|council|broadway|junction|side|moor|valley|quays?|pier|"
    r"airport|infirmary|masjid|vale|bay|docks?|heights|meadows|mills?|retail\s+park|bus\s+station)\b"
)


# --- names ---------------------------------------------------------------------------------------------------
def _folded(words: Iterable[str]) -> frozenset[str]:
    return frozenset(fold(w) for w in words)


# Month and day names are first names too ("May", "June"); as capitalised words they are far more often dates.
_HAN_NAME_RE = regex.compile(r"(?<!\p{Han})\p{Han}{2,4}(?!\p{Han})")
_CALENDAR = _folded(
    "january february march april may june july august september october november december monday tuesday "
    "wednesday thursday friday saturday sunday".split()
)
_TOKEN_RE = regex.compile(r"[\p{L}\p{M}][\p{L}\p{M}\d'\u2019-]*[\p{L}\p{M}\d]|[\p{L}]")
# Titles and ranks: the words after them are names when they are not common words ("insp. mcbride", "DC smith").
STRONG_TITLES = _folded(
    "mr mrs ms mx miss dr prof pc dc ds di dci dsi dsu ps sgt insp supt pcso cllr det herr frau hr fr monsieur "
    "madame mademoiselle mme mlle señor señora señorita sr sra srta don doña signor signora signorina sig dott "
    "dhr mevr mevrouw meneer senhor senhora pani pan".split()
)
# Police titles: after one written in capitals, a lower-case noun is a surname ("DC haworth"); not after "Dr".
_POLICE_TITLES = frozenset("pc dc ds di dci dsi dsu ps sgt insp supt pcso".split())
# Police ranks among the role words: a capitalised word after one is a person even where a town has its name.
_RANKS = _folded(
    "officer constable detective sergeant sargeant sargent sergant seargent sarge sgnt sargant serjeant inspector "
    "inspecter superintendent".split()
)
# Role words: a following word is a name only when it is capitalised or a known name that is not a common word.
WEAK_TITLES = _folded(
    "officer constable detective sergeant sargeant sargent sergant seargent sarge sgnt sargant serjeant inspector "
    "inspecter superintendent "
    "councillor doctor nurse professor uncle aunty "
    "auntie aunt nan nana gran grandma grandad cousin imam pastor reverend rev rabbi sheikh father sister coach "
    "kommissar "
    "kommissarin polizist polizistin inspecteur inspectrice agente".split()
)
_RELATIONS = _folded(
    "husband wife partner ex boyfriend girlfriend bf gf fiance fiancé fiancée son daughter child kid neighbour "
    "neighbor friend mate bestie flatmate housemate roommate colleague coworker co-worker boss manager landlord "
    "landlady brother sister bro sis mum mom mam mother dad father stepdad stepmum stepfather stepmother uncle "
    "grandson granddaughter grandchild grandkid grandkids granddad grandpa grandmum nanny stepsister stepbrother "
    "godmother godfather goddaughter godson half-sister half-brother sister-in-law brother-in-law mother-in-law "
    "father-in-law daughter-in-law son-in-law "
    "akka thambi thangachi bhabi bhabhi bhai bhaiya didi baji abla nani dadi khala khalu phupho phuppo mamu chacha "
    "chachi taid nain mammy granny grandmum "
    "coordinator co-ordinator director chair chairperson secretary lead practitioner organiser organizer "
    "aunty m8 cuz hun youngest eldest oldest middle twin twins kids children daughters sons cousins friends "
    "mates sisters brothers nieces nephews neighbours aunt auntie cousin nan nana gran grandma grandad grandmother grandfather niece nephew carer teacher tutor "
    "coach therapist counsellor counselor idva isva caseworker advocate solicitor lawyer barrister gp midwife "
    "supervisor advisor adviser receptionist volunteer bouncer instructor lecturer mentor "
    "trainer interpreter translator caretaker cleaner guard steward chaplain warden keyworker handler owner champion "
    "worker officer detective sergeant inspector constable pcso nurse doctor stepson stepdaughter twin girl boy "
    "lad babe bae hubby wifey missus fella bff pal buddy abuser attacker stalker perpetrator rapist ex-partner "
    "ex-husband ex-wife ex-boyfriend ex-girlfriend nachbar nachbarin nachbarn mann ehemann frau ehefrau freund "
    "freundin partnerin sohn tochter bruder schwester vater mutter kollege kollegin vermieter vermieterin voisin "
    "voisine mari femme ami amie copain copine fils fille frère sœur père mère compagnon compagne collègue "
    "propriétaire vecino vecina marido esposo esposa amigo amiga novio novia hijo hija hermano hermana padre "
    "madre pareja compañero compañera casero casera vicino vicina marito moglie amico amica ragazzo ragazza "
    "figlio figlia fratello sorella compagno compagna buurman buurvrouw man vrouw vriend vriendin zoon dochter "
    "broer zus vader moeder huisbaas vizinho vizinha mulher namorado namorada filho filha irmã irmão pai mãe "
    "companheiro companheira".split()
)
_OWNERS = _folded(
    "my our her his their your a the an me mein meine meinem meinen meiner unser unsere mon ma notre mi mis "
    "nuestro nuestra mio mia nostro nostra mijn onze ons meu minha nosso nossa".split()
)
_FILLERS = _folded(["there", "here", "then", "now", "too"])
_MODIFIERS = _folded(
    "ex former old best new late current older younger little big step support key social year yr years".split()
)
_CALLED = _folded(
    "called named name's known genannt namens appelé appelée nommé nommée llamado llamada chiamato chiamata "
    "genaamd chamado chamada".split()
)
# Verbs that follow a person: "Kayleigh said", "Marcus was the one".
_PERSON_VERBS = _folded(
    "said says told tells asked asks was is has had texted messaged rang called came went helped reported kept "
    "keeps took takes got gets shouted screamed hit hits threatened follows followed knows knew lives lived works "
    "worked wants wanted tried tries stayed started stopped agreed replied laughed cried who and".split()
)
_PARTICLES = _folded("ní nic ó o' mac mc ap ab bin bint ibn al el van von de da di du le la del della dos das".split())
# Lower-case titles that are also words: a name must be known to follow them ("pc smith" but "pc was slow").
_AMBIGUOUS_TITLES = _folded(["pc", "dc", "ds", "di", "ps", "det", "dr", "ms", "pan", "fr", "hr", "sr", "don", "sig"])
# Words before a first name that make it part of a place or body's name ("Queen Mary", "St George").
_INSTITUTION_WORDS = _folded(
    ["queen", "king", "prince", "princess", "saint", "st", "duke", "duchess", "lady", "lord", "royal"]
)
_COLOURS = _folded(["black", "white", "silver", "grey", "gray", "red", "blue", "green", "dark", "light"])
# Verbs after which a word that is not in the dictionary is a person ("deji went", "kemi knows").
_STRONG_VERBS = _folded(
    "said says told tells texted messaged rang went came helped reported shouted screamed threatened followed "
    "knows knew lives works wants tried stayed laughed cried grabbed hit hits punched attacked raped".split()
)
_PLACE_LABELS = frozenset(["GPE", "LOC", "FAC"])
# Verbs that say the word before them was a person's name, not "will" the modal ("my ex will is ...").
_FINITE_VERBS = _folded(
    "is was has had hit hits told tells said says keeps kept took takes does did texted called rang came went "
    "threatened broke got gets lives lived works worked saw heard found met wrote".split()
)
# More that only people do, after a first name that is also a word ("Grace visited", "Florence couldn't").
_PEOPLE_ONLY_VERBS = _folded("visited phoned couldn't couldnt wouldn't wouldnt".split())
# What "my name is ..." ends with when no name is given.
_NOT_A_NAME_GIVEN = _folded(
    "irrelevant unimportant private confidential withheld anonymous unknown known given here there below above "
    "attached same mine public important needed required redacted".split()
)
# Verbs after which "will"/"may" is the modal ("a man called will be ...").
_BASE_VERBS = _folded("be have do not never always come go get make take tell say call ring help".split())
_NATIONS = _folded(
    "welsh scottish irish english british african caribbean polish romanian asian indian pakistani bangladeshi "
    "somali nigerian ghanaian turkish kurdish chinese black white muslim sikh hindu jewish christian catholic".split()
)
# Irregular verb forms that are also first names: never names in lower case after a relation ("my husband ran").
_IRREGULAR_VERBS = _folded("ran said bore will may can sang saw wore won lay".split())
_COMPASS = _folded("north south east west central inner outer".split())
_AFTER_SPOKEN_TO = _folded("she he they if about to and or when what because cos for on".split())
# Words after which a word is not a name in "X and I" ("in London and I", "the job and I").
_NOT_BEFORE_NAMES = _folded(
    "in at on to from near by the a an my our his her their this that of for into around".split()
)
_SPOKEN_TO = _folded(
    "ask asked tell told text texted ring rang phone phoned message messaged dm warned thanked reported met blocked "
    "dated married".split()
)
_CONTRACTION = re.compile(r"'(?:m|d|re|ve|ll|s|t)$|n't$|^(?:wouldnt|couldnt|shouldnt|hadnt|hasnt|havent|arent|werent)$")
_NOT_NAMES = _folded(
    "and or the a an of to in on at is was who from with for by as but not no yes it he she they we i you".split()
)
# Words that are never more of a name next to it.
_NOT_PARTS = frozenset().union(
    STOP_WORDS, _NOT_NAMES, _RELATIONS, STRONG_TITLES, WEAK_TITLES, _PERSON_VERBS, _CALENDAR, _NATIONS
)
# Words for the people an answer is about, before a name between commas ("A patient, Blessing, disclosed").
_PEOPLE = _folded(
    "patient patients resident residents customer customers client clients pupil pupils student students member "
    "members tenant tenants guest guests user punter passenger passengers victim victims survivor survivors "
    "witness witnesses lady woman women man men girl girls boy boys guy lad person someone mother father staff "
    "them us".split()
)
_VEHICLES = _folded("bus coach train tube police fire ambulance taxi tram ferry rail railway".split())
_PLACE_PREPOSITIONS = _folded("in near around outside through across towards toward via inside".split())
_NOT_PLACE_VERBS = _folded("believe believed believes confide confided trust trusted interest interested".split())
_PLACE_NOUNS = _folded(
    "station ward wards halls hall bridge estate estates campus market area areas village town centre center "
    "school academy library mosque church interchange junction roundabout metro tube overground uni university college "
    "high shopping leisure park road district ward's branch neighbourhood community communities schools colleges "
    "hospitals stations estates academies parks".split()
)


def _shouting(text: str) -> bool:
    """Is the text written mostly in capitals (which then say nothing about names)?"""
    letters = [c for c in text if c.isalpha()]
    return bool(letters) and sum(c.isupper() for c in letters) > 0.6 * len(letters)


def _common(word: str, common: frozenset[str]) -> bool:
    """Is ``word`` (folded) a common word, allowing for the usual inflections ("asked", "texted", "lives")."""
    if word in common:
        return True
    for a, b in (("our", "or"), ("isation", "ization"), ("ise", "ize"), ("yse", "yze"), ("tre", "ter"), ("ogue", "og")):
        if a in word and word.replace(a, b) in common:
            return True
    for suffix, repl in (("ies", "y"), ("ied", "y"), ("es", ""), ("s", ""), ("ed", ""), ("ed", "e"), ("d", ""),
                         ("ing", ""), ("ing", "e"), ("ly", ""), ("er", ""), ("est", "")):  # fmt: skip
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            stem = word[: -len(suffix)] + repl
            if stem in common or (len(stem) > 3 and stem[-1] == stem[-2] and stem[:-1] in common):
                return True
    return False


@dataclass(frozen=True)
class Item:
    """A personal item: ``text[start:end]`` of ``kind``."""

    start: int
    end: int
    kind: str


@dataclass
class _Tok:
    start: int
    end: int
    text: str
    key: str  # folded, without a possessive 's
    cap: bool
    sent_start: bool


def _tokens(text: str) -> list[_Tok]:
    out: list[_Tok] = []
    prev_end = 0
    for m in _TOKEN_RE.finditer(text):
        word, start, end = m.group(), m.start(), m.end()
        if word.endswith(("'s", "\u2019s")):
            word, end = word[:-2], end - 2
        elif word.endswith(("'", "\u2019")):
            word, end = word[:-1], end - 1
        gap = text[prev_end:start]
        sent_start = not out or bool(re.search(r"[.!?\n:;\"“(]\s*$", gap))
        out.append(_Tok(start, end, word, fold(word), word[:1].isupper(), sent_start))
        prev_end = m.end()
    return out


def name_patterns(names: Iterable[str]) -> re.Pattern[str] | None:
    """One case-insensitive whole-phrase pattern for the given full names ("Sarah Jones", "Tomasz")."""
    alts = sorted({" ".join(n.split()) for n in names if len(n.strip()) >= 2}, key=len, reverse=True)
    if not alts:
        return None
    body = "|".join(r"\s+".join(re.escape(w) for w in a.split(" ")) for a in alts)
    return re.compile(r"(?<![\w])(?:" + body + r")(?![\w])", re.IGNORECASE)


_PHRASE_TOKEN = regex.compile(r"[\p{L}\p{M}\p{N}]+|&")


class PhraseSet:
    """Known phrases (place and organisation names), matched as whole words ignoring case and accents, in time
    linear in the text whatever the number of phrases (thousands of town names)."""

    def __init__(self, phrases: Iterable[str]) -> None:
        self._set: set[tuple[str, ...]] = set()
        for p in phrases:
            key = tuple(fold(w) for w in _PHRASE_TOKEN.findall(p))
            if key and len(" ".join(key)) >= 3:
                self._set.add(key)
        self._longest = max((len(k) for k in self._set), default=0)

    def __bool__(self) -> bool:
        return bool(self._set)

    def finditer(self, text: str) -> list[tuple[int, int]]:
        """(start, end) of every longest phrase in ``text``, left to right, not overlapping."""
        toks = [(m.start(), m.end(), fold(m.group())) for m in _PHRASE_TOKEN.finditer(text)]
        out, i = [], 0
        while i < len(toks):
            for n in range(min(self._longest, len(toks) - i), 0, -1):
                if tuple(t[2] for t in toks[i : i + n]) in self._set:
                    out.append((toks[i][0], toks[i + n - 1][1]))
                    i += n
                    break
            else:
                i += 1
        return out

    def search(self, text: str) -> bool:
        return bool(self.finditer(text))

    def fullmatch(self, text: str) -> bool:
        spans = self.finditer(text)
        return len(spans) == 1 and spans[0] == (len(text) - len(text.lstrip()), len(text.rstrip()))


def phrase_pattern(phrases: Iterable[str]) -> PhraseSet | None:
    """The known place and organisation names (never redacted as names), or None when there are none."""
    found = PhraseSet(phrases)
    return found if found else None


def redact_contacts(text: str) -> str:
    """``text`` with e-mail addresses and phone numbers replaced: for answer ids, which must stay traceable."""
    s = EMAIL_RE.sub(PLACEHOLDERS["email"], str(text))
    s = UK_PHONE_RE.sub(PLACEHOLDERS["phone"], s)
    return INTL_PHONE_RE.sub(PLACEHOLDERS["phone"], s)


def _pattern_items(text: str) -> list[Item]:
    items: list[Item] = []

    def add(rx: Any, kind: str, group: int = 0) -> None:
        for m in rx.finditer(text):
            a, b = m.span(group)
            if a >= 0 and b > a:
                items.append(Item(a, b, kind))

    add(EMAIL_RE, "email")
    add(SPELT_EMAIL_RE, "email")
    add(URL_RE, "link")
    add(DOB_RE, "date", 1)
    add(DOB_WORDS_RE, "date", 1)
    add(BRACKET_NUMBER_RE, "reference")
    add(WORD_DATE_RE, "date")
    add(SHORT_DATE_RE, "date", 1)
    add(DATE_RE, "date")
    add(ORDINAL_DATE_RE, "date")
    for m in DAY_MONTH_RE.finditer(text):
        if m.group(1) or not regex.fullmatch(r"may|mar(?:ch)?\.?", m.group(2)):
            full_stop = m.group(2).endswith(".") and len(m.group(2)) > 4  # "30 April." ends a sentence
            items.append(Item(m.start(), m.end() - full_stop, "date"))
    for m in NUMBER_DATE_RE.finditer(text):
        if m.group(1) not in ("24/7", "9/11", "7/7") and not m.group(1).endswith("/10"):  # not scores out of 10
            items.append(Item(m.start(1), m.end(1), "date"))
    add(UK_PHONE_RE, "phone")
    add(INTL_PHONE_RE, "phone")
    add(NI_RE, "ni_number")
    add(POSTCODE_RE, "postcode")
    add(PLATE_RE, "plate")
    add(CUE_PLATE_RE, "plate", 1)
    add(REFERENCE_RE, "reference")
    add(SPACED_REFERENCE_RE, "reference", 1)
    for m in ADDRESS_BEFORE_POSTCODE_RE.finditer(text):
        items.append(Item(m.start(1), m.end(1), "address"))
    for m in ADDRESS_RE.finditer(text):
        words = (m.group(1) or "").split()
        if any(w.casefold() in _NOT_NAMES or w.casefold() in STOP_WORDS or w.isdigit() for w in words):
            continue  # "10 of the road", "2 and the street": not a street name
        if any(w.casefold() in _UNITS for w in words):
            continue  # "a 10 minutes walk", "2 hours park and ride"
        if _COURT_RE.search(m.group()) or _YEAR_FIRST_RE.match(m.group()):
            continue  # "convicted 2022, Woolwich Crown Court": a year and a court, not a house on a street
        end = m.end()
        if regex.search(r"(?i:court|house|tower|lodge|mansions|buildings|point|heights)$", m.group()):
            street = _BLOCK_STREET_RE.match(text, end)  # "34 Ashby Court, Dalston Lane": the block's street
            end = street.end() if street else end
        items.append(Item(m.start(), end, "address"))
    add(HANDLE_RE, "handle")
    add(UNDERSCORE_HANDLE_RE, "handle")
    add(COLLAR_RE, "reference", 1)
    add(ROLE_NUMBER_RE, "reference", 1)
    add(LOG_OF_DATE_RE, "reference")
    for n, it in enumerate(items):
        if it.kind == "date":
            day = WEEKDAY_BEFORE_RE.search(text, max(0, it.start - 16), it.start)
            if day is not None:
                items[n] = Item(day.start(), it.end, "date")
    return items


class Redactor:
    """Finds and replaces personal items (see the module doc).

    ``names``: full names known to be people in this file (e.g. every PERSON entity of a labelled file); each
    is redacted wherever it appears as a whole. ``nlp``: a spaCy pipeline whose PERSON (and name-only ORG)
    entities are redacted. ``places``: place and organisation names that are never names (the entity ruler's
    list, ``redact.keep_names``). ``common``: common words of the language (:func:`pipeline.names.common_words`),
    needed to tell lower-case names from words (default: those of the default English pipeline).
    ``use_name_lists``: use the first-name and surname lists.
    """

    def __init__(
        self,
        names: Iterable[str] = (),
        nlp: Any = None,
        places: Iterable[str] = (),
        *,
        common: frozenset[str] | None = None,
        nouns_only: frozenset[str] | None = None,
        non_nouns: frozenset[str] | None = None,
        use_name_lists: bool = True,
    ) -> None:
        self.nlp = nlp
        self.common = _default_common() if common is None else common
        self.nouns_only = _default_nouns() if nouns_only is None else nouns_only
        self.non_nouns = _default_non_nouns() if non_nouns is None else non_nouns
        places = list(places)
        self.first, self.last = name_lists() if use_name_lists else (frozenset(), frozenset())
        if use_name_lists:
            # The frequent names of 105 countries, less the words of the known places and the language's verbs,
            # adjectives and adverbs, which those lists hold by the thousand ("Trust", "Bright", "Mean").
            not_names = self.non_nouns | {fold(w) for p in places for w in regex.split(r"[\s-]+", p) if len(w) >= 3}
            not_names |= STRONG_TITLES | WEAK_TITLES | _INSTITUTION_WORDS  # "St", "Dr", "Queen" are names somewhere
            not_names |= _folded(w for w in regex.split(r"[|\s]+", _PLACE_SUFFIX) if w.isalpha())  # "Council"
            # A name that is also a noun of the dictionary must rank among the 150 most frequent somewhere ("Faisal",
            # not "Juno").
            faker_first, faker_last = self.first, self.last
            for attr, more in zip(("first", "last"), frequent_name_lists(), strict=True):
                keep = {k for k, r in more.items() if k not in not_names and (r <= 150 or k not in self.common)}
                setattr(self, attr, getattr(self, attr) | keep)
            self.frequent_only = (self.first | self.last) - (faker_first | faker_last)
        else:
            self.frequent_only = frozenset()
        self.common_first = common_first_names() if use_name_lists else frozenset()
        self.places = phrase_pattern(places)
        self.names = name_patterns(n for n in names if not (self.places and self.places.fullmatch(n.strip())))

    # -- public ---------------------------------------------------------------------------------------------
    def __call__(self, text: str) -> str:
        return self.redact(text)[0]

    def without_ner(self) -> Redactor:
        """The same redactor without its spaCy pipeline (names, places and lists shared, nothing rebuilt)."""
        other = copy.copy(self)
        other.nlp = None
        return other

    def redact_all(self, texts: Sequence[str], batch_size: int = 256) -> list[str]:
        """Each text redacted, as :meth:`__call__` does one; the spaCy pipeline runs over them in batches."""
        clean = ["" if t is None else str(t) for t in texts]
        if self.nlp is None or "ner" not in getattr(self.nlp, "pipe_names", ()):
            return [apply(t, self.items(t)) for t in clean]
        docs = self.nlp.pipe(clean, batch_size=batch_size)
        return [apply(t, self.items(t, entity_spans(d))) for t, d in zip(clean, docs, strict=True)]

    def redact(self, text: str) -> tuple[str, Counter[str]]:
        """The redacted text and how many items of each kind were replaced."""
        text = "" if text is None else str(text)
        items = self.items(text)
        return apply(text, items), Counter(it.kind for it in items)

    def items(self, text: str, ents: list[tuple[int, int, str]] | None = None) -> list[Item]:
        """The personal items of ``text``, in order, without overlaps (adjacent names merged). ``ents``: the
        text's entities as (start, end, label), when the spaCy pipeline has already been run over it."""
        if not text:
            return []
        items = _pattern_items(text)
        items += self._handles(text)
        structural, listed_places = self._kept_spans(text)
        taken = [(i.start, i.end) for i in items]

        def inside(a: int, b: int, spans: list[tuple[int, int]]) -> bool:
            return any(ka <= a and b <= kb for ka, kb in spans)

        if ents is None and self.nlp is not None:
            ents = entity_spans(self.nlp(text))
        context, listed = self._name_spans(text, ents)
        # A surname alone is weak evidence: not inside what the tagger calls a place ("Wigan", "Bristol").
        tagged_places = [(a, b) for a, b, label in ents or [] if label in _PLACE_LABELS]
        listed = [(a, b) for a, b in listed if (a, b) not in self._surnamed or not inside(a, b, tagged_places)]

        # A name found by its context stands inside a known place's name when it starts with a common first name
        # ("Chelsea, my cousin") or follows a title ("Mr KINGSLEY"), and inside a name built like a place when
        # that is a common first name and a surname ("her stepdad is Gavin Cross", not "asked Brent Council").
        def built_like_a_place(a: int, b: int) -> bool:
            first = fold(text[a:b].split()[0])
            return (a, b) not in self._called and any(
                ka <= a and b <= kb and not (first in self.common_first and fold(text[ka:kb].split()[-1]) in self.last)
                for ka, kb in structural
            )

        def before_a_body(b: int) -> bool:  # "asked Kingston police", "Ealing council said"
            return bool(
                re.match(r"[ \t]+(?:police|council|borough|station|hospital|uni|university|college)\b", text[b:])
            )

        names = [
            (a, b)
            for a, b in context
            if not built_like_a_place(a, b)
            and not (before_a_body(b) and text[a : a + 1].isupper())
            and (
                not inside(a, b, listed_places)
                or fold(text[a:b].split()[0]) in self.common_first
                or (a, b) in self._titled
            )
        ]

        # A first name, then a surname that is also a place ("Hannah Moss", "Jack Wigan"): the place does not hide it.
        def surname_place(a: int, b: int, ka: int, kb: int) -> bool:
            words = text[a:b].split()
            return (
                len(words) == 2
                and fold(words[0]) in self.common_first
                and b - len(words[1]) <= ka < kb <= b
                and not regex.search(r"(?:\b(?i:the)|\p{Lu}[\p{L}'\u2019-]*)\s+$", text[:a])
                and not regex.match(r"\s+\p{Lu}", text[b:])
            )

        # "at the Etihad", "the Royal Gwent": a name found by the lists or the tagger after "the" is a place or a
        # body, unless it is a family ("the Okonkwos").
        def after_the(a: int, b: int) -> bool:
            last = fold(text[a:b].split()[-1])
            family = (last.endswith("s") and last[:-1] in self.last) or bool(
                re.match(r"[ \t]+(?:family|household|brothers|sisters|boys|girls|kids|twins)\b", text[b:], re.I)
            )
            return bool(re.search(r"\b(?i:the)[ \t]+$", text[:a])) and not family

        # A known place that is a name here ("my friends Chelsea and Aoife") says nothing of its neighbours.
        places_here = [(ka, kb) for ka, kb in listed_places if not any(a < kb and ka < b for a, b in names)]
        names += [
            (a, b)
            for a, b in listed
            if not inside(a, b, structural)
            and not after_the(a, b)
            and not any(ka < b and a < kb and not surname_place(a, b, ka, kb) for ka, kb in listed_places)
            and not self._placed(text, a, b, structural + places_here)
            and not self._moved_to(text, a, b, tagged_places)
        ]
        # Platforms ("reported to insta") and what follows "King", "Queen", "Royal" ("King George V") are no people.
        names = [
            (a, b)
            for a, b in names
            if not re.fullmatch(_PLATFORM, fold(text[a:b])) and not _AFTER_ROYALTY_RE.search(text[max(0, a - 12) : a])
        ]
        items += [Item(a, b, "name") for a, b in names if not inside(a, b, taken)]
        return self._grown(text, _merge(items, text), [*structural, *listed_places])

    # -- parts ----------------------------------------------------------------------------------------------
    def _name_part(self, t: _Tok, cap: bool) -> bool:
        """Could ``t``, next to a name, be more of it: a word no dictionary has, written in the name's case
        ("Jaspreet Kaur", "Abimbola Adeyemi-Cole"), and not a known place when capitalised?"""
        k = t.key
        return (
            len(k) >= 3
            and t.cap == cap
            and not t.text.isupper()
            and bool(regex.fullmatch(r"[\p{L}\p{M}'\u2019-]+", t.text))
            and k not in _NOT_PARTS
            and not self._is_common(k)
            and not (cap and self.places is not None and self.places.fullmatch(t.text))
        )

    def _grown(self, text: str, items: list[Item], kept: list[tuple[int, int]]) -> list[Item]:
        """Names grown by a word on either side that can only be more of the name ("Jaspreet [name]",
        "Abimbola [name]", "j. [name]"), then every other mention in the answer of a word of a name ("Ffion Morgan
        ... Ffion said"; a name that is also a word only where it is capitalised inside a sentence)."""
        if not any(it.kind == "name" for it in items) or _shouting(text):
            return items
        toks = _tokens(text)

        def free(a: int, b: int) -> bool:
            return not any(x < b and a < y for x, y in kept) and not any(it.start < b and a < it.end for it in items)

        out: list[Item] = []
        for it in items:
            if it.kind == "name":
                a, b = it.start, it.end
                inner = [t for t in toks if a <= t.start and t.end <= b]
                after = next((t for t in toks if t.start >= b), None)
                before = next((t for t in reversed(toks) if t.end <= a), None)
                if (
                    inner
                    and after
                    and text[b : after.start] == " "
                    and free(after.start, after.end)
                    and self._name_part(after, inner[-1].cap)
                    and not after.sent_start
                ):
                    b = after.end
                if inner and before and free(before.start, before.end):
                    gap = text[before.end : a]
                    if gap == " " and self._name_part(before, inner[0].cap) and not inner[0].sent_start:
                        a = before.start
                    elif gap == ". " and len(before.text) == 1 and before.text.islower() and before.key != "i":
                        a = before.start  # "j. thompson"
                it = Item(a, b, "name")
            out.append(it)
        words: dict[str, set[str]] = {}
        for it in out:
            if it.kind == "name":
                for t in toks:
                    if it.start <= t.start and t.end <= it.end and len(t.key) >= 3 and t.key not in STOP_WORDS:
                        words.setdefault(t.key, set()).add(t.text)
        more = []
        for ti, t in enumerate(toks):
            # The word itself, or its plural ("more mandys please" after "mandy").
            key = t.key if t.key in words else t.key[:-1] if t.key.endswith("s") and t.key[:-1] in words else None
            if key is None or not free(t.start, t.end) or any(it.start < t.end and t.start < it.end for it in out):
                continue
            if t.text.isupper() and t.text not in words[key]:
                continue  # "the bmw man" is no reason to take "BMW"
            nt = toks[ti + 1] if ti + 1 < len(toks) else None
            same_word = (
                t.text in words[key]
                and key not in STOP_WORDS
                and key not in self.non_nouns
                and key in self.first
                and (t.sent_start or (nt is not None and nt.key in _FINITE_VERBS))
            )
            if self._is_common(key) and not (t.cap and not t.sent_start) and not same_word:
                continue  # "jordan ... jordan is 6ft 4" spreads; "Grace ... by grace" does not
            more.append(Item(t.start, t.end, "name"))
        return _merge(out + more, text) if more or out != items else out

    def _handles(self, text: str) -> list[Item]:
        out = []
        for m in [*HANDLE_CUE_RE.finditer(text), *USERNAME_RE.finditer(text)]:
            g = 1 if m.group(1) is not None else 2
            h = m.group(g).rstrip(".")
            key = fold(h)
            if not h or key in _NOT_NAMES or key in _RELATIONS or re.fullmatch(_PLATFORM, key):
                continue
            looks_like_handle = bool(re.search(r"[\d_.]", h)) or not _common(key, self.common)
            if looks_like_handle:
                out.append(Item(m.start(g), m.start(g) + len(h), "handle"))
        for m in HANDLE_ON_RE.finditer(text):
            out.append(Item(m.start(1), m.end(1), "handle"))
        for m in QUOTED_HANDLE_RE.finditer(text):
            g = 1 if m.group(1) else 2
            if fold(m.group(g)) not in _RELATIONS:
                out.append(Item(m.start(g), m.end(g), "handle"))
        for m in PROFILE_NAME_RE.finditer(text):
            out.append(Item(m.start(1), m.end(1), "name"))
        for m in DOTTED_HANDLE_RE.finditer(text):
            last = m.group().rsplit(".", 1)[-1]
            if not re.fullmatch(_TLD, last, re.IGNORECASE):  # "met.police.uk" is an address, not a handle
                out.append(Item(m.start(), m.end(), "handle"))
        for m in GROUP_NAME_RE.finditer(text):
            out.append(Item(m.start(1), m.end(1), "handle"))
        if ONLINE_RE.search(text):
            out += [
                Item(m.start(), m.end(), "handle")
                for m in SHAPED_HANDLE_RE.finditer(text)
                if self._handle_shaped(m.group())
            ]
        return out

    def _handle_shaped(self, word: str) -> bool:
        """Is ``word`` (letters with digits, dots or underscores) a user name rather than a domain, a typo without a
        space after a full stop ("police.They"), a year or a form ("year11", "covid19")?"""
        parts = [p for p in word.split(".") if p]
        if "." in word and (
            re.fullmatch(_TLD, parts[-1], re.IGNORECASE)
            or parts[-1][:1].isupper()
            or all(fold(p) in self.common for p in parts)
        ):
            return False
        if not re.search(r"[\d_]|\.\w", word):
            return False  # "down." at the end of a sentence
        m = re.fullmatch(r"([^\W\d_]+)(\d+)", word)
        if m and (
            self._is_common(fold(m.group(1)))
            or len(m.group(1)) <= 2
            or m.group(1).isupper()
            or fold(m.group(1)) == "covid"
        ):
            return False  # "year11", "covid19", "MP3", "A1"
        return not re.fullmatch(r"[A-Z\d_.]+", word)  # "BTP23000114592", "CRIS_123": references

    def _kept_spans(self, text: str) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
        """(names built like places, known places): spans where a name is not a person's."""
        spans = [m.span() for m in PLACE_RE.finditer(text)]
        spans += [m.span() for m in SAINT_RE.finditer(text)]  # "At St Lukes": PLACE_RE took "At St" as a street
        titled = text.title() if _shouting(text) else ""
        if len(titled) == len(text):  # in capitals, "SELLY OAK STATION" is built like "Selly Oak Station"
            # Not "CHERYL FROM THE COUNCIL": what follows the last stop word, if no common first name is in it
            # ("FOLLOWED FROM SELLY OAK STATION" → "SELLY OAK STATION").
            for m in PLACE_RE.finditer(titled):
                parts = list(regex.finditer(r"\S+", m.group()))
                words = [fold(p.group()) for p in parts]
                stops = [i for i, w in enumerate(words[:-1]) if w in STOP_WORDS and w not in _CONNECTORS]
                start = stops[-1] + 1 if stops else 0
                if len(words) - start >= 2 and not any(w in self.common_first for w in words[start:-1]):
                    spans.append((m.start() + parts[start].start(), m.end()))
        for m in LOWER_PLACE_RE.finditer(text):
            if not any(fold(w) in self.first for w in m.group().split()[:-1]):
                spans.append(m.span())
        known = self.places.finditer(text) if self.places is not None else []
        return spans, known

    def _is_common(self, key: str) -> bool:
        return key in _NOT_NAMES or _common(key, self.common)

    def _placed(self, text: str, a: int, b: int, places: list[tuple[int, int]]) -> bool:
        """Does the context say that the capitalised ``text[a:b]``, found by the lists or the tagger, is a place?"""
        if not text[a : a + 1].isupper():
            return False
        # "outside Nando's and the bars" is a place; "outside Sarah's house" is not.
        if text[b : b + 2] in ("'s", "\u2019s") and not re.match(
            r"\s*(?:[,.;:!?)]|$|(?:and|or|in|on|at|near|to|for|where|which|with|by|opposite|then)\b)", text[b + 2 :]
        ):
            return False
        start = max(0, a - 40)
        before = _tokens(text[start:a])
        after = _tokens(text[b : b + 40])
        gap_after = text[b : b + (after[0].start if after else 0)]
        if (
            before
            and before[-1].key in _PLACE_PREPOSITIONS
            and text[start + before[-1].end : a] == " "
            and (len(before) < 2 or before[-2].key not in _NOT_PLACE_VERBS)
        ):
            return True
        # "through Perry Barr", "in Great Barr": one capitalised word between the preposition and the name.
        if (
            len(before) >= 2
            and before[-1].cap
            and text[start + before[-1].end : a] == " "
            and text[start + before[-2].end : start + before[-1].start] == " "
            and (
                before[-2].key in _PLACE_PREPOSITIONS
                or before[-1].key
                in ("great", "little", "upper", "lower", "new", "old", "north", "south", "east", "west")
            )
        ):
            return True
        if re.match(r",\s*(?:[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2})\b", text[b:]):
            return True  # the town before a postcode
        # "Digbeth station", "Digbeth coach station"
        if after and gap_after == " " and not after[0].cap:
            if after[0].key in _PLACE_NOUNS:
                return True
            second = after[1] if len(after) > 1 else None
            if second is not None and not second.cap and second.key in _PLACE_NOUNS and after[0].key in _VEHICLES:
                return True
        # Joined to a known place by "and" ("Wigan and Leigh"); a comma alone is often an apposition ("the gym
        # on Blackstock Road, Hakan, ...").
        for x, y in places:
            gap = text[b:x] if x >= b else text[y:a] if y <= a else None
            if gap is not None and re.fullmatch(r",? (?:and|&) ", gap):
                return True
        # In a list of known places ("Sandwell, Dudley, Walsall and Wolverhampton"): next to two of them.
        chain = sorted([(a, b), *places])
        at = chain.index((a, b))
        for lo in (at - 2, at - 1, at):
            trio = chain[lo : lo + 3] if lo >= 0 else []
            if len(trio) == 3 and all(
                re.fullmatch(r", |,? (?:and|&) ", text[trio[k][1] : trio[k + 1][0]]) for k in range(2)
            ):
                return True
        return False

    @staticmethod
    def _moved_to(text: str, a: int, b: int, tagged_places: list[tuple[int, int]]) -> bool:
        """Is ``text[a:b]`` a place the tagger saw, where someone goes or is taken ("take our children to
        Jordan", "moved back to Devon")?"""
        if not any(ka <= a and b <= kb for ka, kb in tagged_places):
            return False
        return bool(_MOVED_TO_RE.search(text[max(0, a - 60) : a]))

    def _hyphen_last(self, key: str) -> set[str]:
        """``{key}`` when it is a hyphenated surname of known parts ("pryce-jones"), else empty."""
        parts = [p for p in key.split("-") if p]
        return {key} if len(parts) > 1 and all(p in self.last or p in self.first for p in parts) else set()

    def _known(self, key: str) -> bool:
        """A first name or surname of the lists (also each part of "mensah-boateng", or "okonkwos")."""
        if key in self.first or key in self.last:
            return True
        parts = [p for p in key.split("-") if p]
        if len(parts) > 1 and all(p in self.first or p in self.last for p in parts):
            return True
        return key.endswith("s") and key[:-1] in self.last

    def _first_and_surname(self, toks: list[_Tok], text: str, i: int) -> tuple[int, int] | None:
        """(start, end) of "cody braithwaite" at ``toks[i]``: a first name of the lists (even one that is a word)
        and a surname after it that is no word; else None."""
        t = toks[i]
        if i + 1 >= len(toks) or t.key not in self.first or t.key in _INSTITUTION_WORDS:
            return None  # not "Royal Parks", "King George"
        nb = toks[i + 1]
        if t.key in STOP_WORDS and not (t.cap and nb.cap and not t.text.isupper()):
            return None  # "Will Prentice", not "will be"
        # A surname that is also a word goes with a common first name when both are capitalised ("Will Prentice").
        surname_word = (
            t.cap
            and nb.cap
            and nb.key in self.last
            and not t.sent_start
            or (t.cap and nb.cap and t.key in self.common_first and nb.key in self.last)
        )
        if (
            text[t.end : nb.start] != " "
            or (self._is_common(nb.key) and not surname_word)
            or nb.key in STOP_WORDS
            or len(nb.key) < 3
            or (re.fullmatch(r"[A-Z]{2,5}s?", nb.text) and not t.text.isupper())  # "Council CCTV"
        ):
            return None
        return t.start, nb.end

    def _name_like(self, t: _Tok, *, strong: bool, title: bool = False) -> bool:
        """Could ``t`` be (part of) a name here? ``strong``: the context says a name follows; ``title``: a title
        or rank does, so even a name that is also a word counts ("DC smith", "pcso grace")."""
        k = t.key
        if k in _NOT_NAMES or k in _RELATIONS or k in STRONG_TITLES or len(k) < 2:
            return False
        if k in STOP_WORDS and not (strong and t.cap and k in self.first):  # "my boyfriend Will"
            return False
        if _CONTRACTION.search(k) or (not t.cap and k in _PERSON_VERBS):
            return False
        known = self._known(k)
        if re.fullmatch(r"[A-Z]{2,5}s?", t.text) and not (known and title) and not getattr(self, "_shouting", False):
            return False  # an acronym (CPS, IDVA, ISVAs, RUI), unless a title says otherwise
        if strong and (t.cap or (known and (title or not self._is_common(k)))):
            return True
        if strong and known and k in self.first and k not in _IRREGULAR_VERBS:
            return True  # "my cousin maria", "her name is ruby", "my girl sky"
        if t.cap:
            return known or not self._is_common(k)
        if known and not self._is_common(k):
            return True
        return strong and not self._is_common(k)

    def _extend(self, toks: list[_Tok], text: str, i: int, j: int) -> tuple[int, int]:
        """(start, end) token indices of the name at toks[i:j], with surnames, initials and particles after it
        and particles and first names before it ("Siobhán Ní Bhriain", "pc t harding", "gwenllïan ap rhys")."""

        def joined(a: int) -> bool:  # toks[a - 1] and toks[a] are separated by spaces (or an initial's dot)
            return bool(re.fullmatch(r"\.? ?|[ \t]+", text[toks[a - 1].end : toks[a].start]))

        while j < len(toks) and j - i < 4 and joined(j):
            t, prev = toks[j], toks[j - 1]
            if t.key in _PARTICLES and j + 1 < len(toks) and joined(j + 1) and toks[j + 1].key not in _NOT_NAMES:
                j += 2
                continue
            if len(prev.key) == 1 and prev.key.isalpha():  # an initial: the surname follows
                if self._name_like(t, strong=True):
                    j += 1
                    continue
                break
            if t.key in _NOT_NAMES or t.key in _RELATIONS or t.key in STOP_WORDS or t.key in _PERSON_VERBS:
                break
            if (
                t.cap
                and prev.cap
                and not t.sent_start
                and (self._known(t.key) or not self._is_common(t.key) or t.key in self.nouns_only)
            ):
                j += 1
            elif not t.cap and not prev.cap and (t.key in self.last or self._hyphen_last(t.key)):
                j += 1  # "darren wright", "ellis pryce-jones"
            elif not t.cap and not prev.cap and self._known(t.key) and not self._is_common(t.key):
                j += 1
            else:
                break
        while i > 0 and joined(i):
            prev = toks[i - 1]
            if len(prev.text) == 1 and prev.text.isupper() and prev.text not in "AI":
                i -= 1  # an initial before the name ("R J Hewitt")
            elif prev.key in _PARTICLES and i > 1 and joined(i - 1) and not self._is_common(toks[i - 2].key):
                i -= 2
            elif prev.cap and toks[i].cap and self._known(prev.key) and not self._is_common(prev.key):
                i -= 1
            else:
                break
        return i, j

    def _name_spans(
        self, text: str, ents: list[tuple[int, int, str]] | None = None
    ) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
        """(names found by context, names found by lists and NER): the first are kept even inside a known
        place's name ("Chelsea, my cousin"), the second are not."""
        self._surnamed: set[tuple[int, int]] = set()
        self._titled: set[tuple[int, int]] = set()
        self._called: set[tuple[int, int]] = (
            set()
        )  # "a customer called Ollie Green": a person, even if built like a place
        toks = _tokens(text)
        self._shouting = _shouting(text)
        if self._shouting:  # capitals say nothing
            for t in toks:
                t.cap = False
        n = len(toks)
        context: list[tuple[int, int]] = []
        listed: list[tuple[int, int]] = []

        def one_of(x: int) -> bool:  # toks[x] is the "of" of "one of"
            return toks[x].key == "of" and x >= 1 and toks[x - 1].key == "one"

        def take(j: int, strong: bool, into: list[tuple[int, int]], title: bool = False) -> None:
            if j < n and len(toks[j].key) == 1 and toks[j].key not in ("a", "i") and j + 1 < n:
                surname = toks[j + 1]
                clear = surname.cap or (self._known(surname.key) and not self._is_common(surname.key)) or title
                if toks[j].key.isalpha() and clear and self._name_like(surname, strong=True, title=title):
                    a, b = self._extend(toks, text, j, j + 2)  # an initial, then the surname
                    into.append((toks[a].start, toks[b - 1].end))
                elif title and toks[j].text.isalpha() and toks[j].text.isupper():
                    into.append((toks[j].start, toks[j].end))  # "Dr M are the most helpful": the initial alone
                return
            if j < n and self._name_like(toks[j], strong=strong, title=title):
                a, b = self._extend(toks, text, j, j + 1)
                # After a clear cue, a lower-case surname that is no word goes with it ("named ellis pryce-jones").
                if strong and b < n and b == j + 1 and not toks[j].cap and not toks[b].cap:
                    nb = toks[b]
                    if (
                        text[toks[j].end : nb.start] == " "
                        and (not self._is_common(nb.key) or (nb.key in self.nouns_only and nb.key in self.last))
                        and nb.key not in STOP_WORDS
                        and nb.key not in _PERSON_VERBS
                        and len(nb.key) >= 3
                    ):
                        b += 1
                # After a title, a capitalised word that follows the name is its surname ("PC Gwenllïan Prys").
                if (
                    title
                    and strong
                    and toks[j].cap
                    and b < n
                    and b - a == 1
                    and toks[b].cap
                    and text[toks[b - 1].end : toks[b].start] == " "
                    and toks[b].key not in STOP_WORDS
                    and toks[b].key not in _NOT_NAMES
                    and toks[b].key not in _RELATIONS
                    and toks[b].key not in STRONG_TITLES
                    and not regex.fullmatch(_PLACE_SUFFIX, toks[b].text)
                ):
                    b += 1
                into.append((toks[a].start, toks[b - 1].end))
                if title:
                    self._titled.add(into[-1])

        for i, t in enumerate(toks):
            k = t.key
            nxt = toks[i + 1] if i + 1 < n else None
            prev = toks[i - 1] if i > 0 else None
            # Titles and ranks: "DC smith", "insp. mcbride", "Det Sgt Kowalski", "detective constable ahmed".
            if k in STRONG_TITLES or k in WEAK_TITLES:
                j = i + 1
                while j < n and (toks[j].key in STRONG_TITLES or toks[j].key in WEAK_TITLES):
                    j += 1
                if (
                    j < n
                    and toks[j].start - toks[j - 1].end <= 3
                    and not re.search(r"[\n!?;:]", text[toks[j - 1].end : toks[j].start])
                    and not (toks[j - 1].key in WEAK_TITLES and "." in text[toks[j - 1].end : toks[j].start])
                ):
                    nk = toks[j].key
                    strong = any(toks[x].key in STRONG_TITLES for x in range(i, j))
                    if strong and not t.cap and k in _AMBIGUOUS_TITLES:  # "pc" and "ms" are words too
                        strong = self._known(nk) or len(nk) == 1 or not (self._is_common(nk) or nk in STOP_WORDS)
                    ranked = any(toks[x].key in _RANKS and toks[x].key != "officer" for x in range(i, j))
                    if (
                        strong
                        or toks[j].cap
                        or (self._known(nk) and (ranked or not self._is_common(nk)) and nk not in STOP_WORDS)
                    ):
                        rank = any(toks[x].key in _RANKS for x in range(i, j))  # "Detective Sergeant Moss"
                        before = len(context)
                        take(j, True, context, title=strong or (rank and toks[j].cap))
                        if toks[j].cap and (strong or rank):  # "Sgt Ward and PC Hill": people, not a "… Hill"
                            self._called.update(context[before:])
                        tj = toks[j]
                        if (
                            len(context) == before
                            and k in _POLICE_TITLES
                            and t.text[:1].isupper()
                            and not tj.cap
                            and tj.text.isalpha()
                            and len(tj.key) >= 3
                            and tj.key not in STOP_WORDS
                            and tj.key not in self.non_nouns
                            and tj.key not in _NOT_NAMES
                            and tj.key not in _PERSON_VERBS
                            and not tj.key.endswith(("ed", "ing", "ly"))
                            and tj.key not in ("screen", "world", "game", "games", "gamer", "keyboard", "monitor")
                        ):
                            context.append((tj.start, tj.end))  # "DC haworth made comments"
                            self._titled.add(context[-1])
                    elif self._known(nk) and nk not in _PERSON_VERBS and nk not in STOP_WORDS:
                        take(j, True, context, title=True)  # "Sergeant mills", "officer grant"
                    elif (
                        toks[j].text.isalpha()
                        and len(nk) >= 3
                        and not self._is_common(nk)
                        and nk not in STOP_WORDS
                        and nk not in _NATIONS
                    ):
                        take(j, True, context, title=True)  # "officer bukola": no word of the language
            # Relations and roles: "my ex darren wright", "my IDVA, Farah", "the officer, Tomasz".
            possessive = text[t.end : t.end + 2] in ("'s", "\u2019s")
            if k in _RELATIONS and prev is not None and not possessive:
                back = i - 1
                while back >= 0 and toks[back].key in _MODIFIERS | _RELATIONS:
                    back -= 1
                if back >= 1 and toks[back].key not in _OWNERS and toks[back - 1].key in _OWNERS:
                    back -= 1  # "the youth worker", "my case worker"
                owned = back >= 0 and (
                    toks[back].key in _OWNERS
                    or (
                        regex.sub(r"['\u2019]s$", "", toks[back].key) in _RELATIONS
                        and toks[back].key[-2:-1] in "'\u2019"
                    )
                )  # "my partner", "my mum's partner"
                if owned and nxt is not None:
                    j = i + 1
                    while j < n and toks[j].key in _RELATIONS | _MODIFIERS | _FILLERS:
                        j += 1
                    if j + 1 < n and toks[j].key == "in" and toks[j + 1].key == "law":  # "my brother in law X"
                        j += 2
                    copula = j < n and toks[j].key in ("is", "was", "called", "named")
                    if copula:
                        j += 1
                    two_unknown = (
                        j + 1 < n
                        and text[toks[j].end : toks[j + 1].start] == " "
                        and not any(self._is_common(x.key) or x.key in STOP_WORDS for x in toks[j : j + 2])
                    )
                    if copula and j < n and not (toks[j].cap or self._known(toks[j].key) or two_unknown):
                        j = n  # "my daughter was assulted": after "was", only a clear name ("is olumide balogun")
                    if (
                        j < n
                        and toks[j].start - toks[j - 1].end <= 3
                        and not re.search(r"[\n.!?;:]", text[toks[j - 1].end : toks[j].start])
                    ):
                        appositive = "," in text[toks[j - 1].end : toks[j].start]
                        if toks[back].key in ("the", "a", "an") and not toks[j].cap and not appositive:
                            before = len(context)
                            take(j, False, context)  # "the officer asked": only a clear name
                            nk = toks[j].key
                            if (
                                len(context) == before
                                and nk in self.first
                                and nk not in self.frequent_only
                                and nk not in STOP_WORDS
                                and (nk in self.common_first or nk not in self.non_nouns)  # not "the girl come and"
                                and text[toks[j - 1].end : toks[j].start] == " "
                                and (
                                    (
                                        j + 1 < n
                                        and toks[j + 1].key in _FINITE_VERBS | {"let", "who", "and", "she", "he"}
                                    )
                                    or re.match(r"\s*(?:[,.!?]|$)", text[toks[j].end :])
                                )
                            ):
                                context.append((toks[j].start, toks[j].end))  # "the receptionist carol and she"
                        else:
                            before = len(context)
                            take(j, True, context)
                            if toks[j].cap and toks[back].key not in ("the", "a", "an"):
                                self._titled.update(context[before:])  # "mi cousin Errol": even a village's name
                            if (
                                len(context) == before
                                and (toks[j].key in self.first or toks[j].key in self.last)
                                and toks[j].key not in _NOT_NAMES
                                and (toks[j].key not in STOP_WORDS or toks[j].key not in self.frequent_only)
                                and j + 1 < n
                                and toks[j + 1].key in _FINITE_VERBS
                                and text[toks[j].end : toks[j + 1].start] == " "
                            ):
                                context.append((toks[j].start, toks[j].end))  # "my ex will is", "my brother mo is"
            # "brother of Luxmi Sivarajah", "the mum of Ama": a relation, then whose.
            if (
                k in _RELATIONS
                and not k.endswith("s")  # not "Sisters of Frida"
                and nxt is not None
                and nxt.key == "of"
                and i + 2 < n
                and (
                    toks[i + 2].cap
                    or (  # "the mum of blessing who is 16"
                        toks[i + 2].key in self.first
                        and toks[i + 2].key not in STOP_WORDS
                        and re.match(r"\s*(?:[,(.]|$|who\b|is\b|was\b|and\b)", text[toks[i + 2].end :])
                    )
                )
                and text[nxt.end : toks[i + 2].start] == " "
            ):
                before = len(context)
                take(i + 2, True, context)
                if len(context) == before and not toks[i + 2].cap:
                    context.append((toks[i + 2].start, toks[i + 2].end))
            # "Leanne, my flatmate", "Farah (my IDVA)"; not "in north london, my friend".
            if (
                nxt is not None
                and (
                    re.fullmatch(r"\s*[,(]\s*|[ \t]+[-\u2013\u2014][ \t]+", text[t.end : nxt.start] or "x")
                    or (t.cap and text[t.end : nxt.start] == " ")
                )
                and nxt.key in _OWNERS
                and not (prev is not None and prev.key in _NOT_BEFORE_NAMES | _COMPASS)
            ):
                j = i + 2
                while (
                    j < n
                    and toks[j].key in _MODIFIERS
                    and not (toks[j].key == "old" and toks[j - 1].key in ("year", "yr"))
                ):
                    j += 1
                is_relation = (
                    j < n
                    and (toks[j].key in _RELATIONS or (toks[j].key == "old" and toks[j - 1].key in ("year", "yr")))
                ) or (j > i + 2 and toks[j - 1].key in _RELATIONS)  # "Kostas, my ex, ..."
                # "Grace, the victim care officer at ...": up to three words before the role, in one phrase.
                k2 = j
                while not is_relation and t.cap and k2 < min(n, j + 3) and toks[k2].key not in STOP_WORDS:
                    if re.search(r"[^\s\w'-]", text[toks[k2 - 1].end : toks[k2].start]):
                        break
                    is_relation = toks[k2].key in _RELATIONS and k2 > j
                    k2 += 1
                # Without a comma or bracket, only a name of the lists or no word: not "Treated my son well".
                bare = text[t.end : nxt.start] == " "
                bracket = "(" in text[t.end : nxt.start]
                if (
                    is_relation
                    and (self._name_like(t, strong=True) or (bracket and k in self.first and k not in _NOT_NAMES))
                    and not (bare and k not in self.first and self._is_common(k))
                ):
                    a, _ = self._extend(toks, text, i, i + 1)
                    context.append((toks[a].start, t.end))
                    if nxt.key not in ("the", "a", "an") and any(
                        x < n and toks[x].key in _RELATIONS for x in (i + 2, i + 3)
                    ):
                        self._titled.add(context[-1])  # "Kingsley my ex uses ...": a person, even a town's name
            # "CHIDINMA IS MY DAUGHTER", "Oleksandra is a Ukrainian woman": a name said to be a relative or a person.
            if (
                t.sent_start
                and i + 3 < n
                and nxt is not None
                and nxt.key in ("is", "was")
                and toks[i + 2].key in ("my", "our", "a", "an", "his", "her")
                and k not in STOP_WORDS
                and k not in _NOT_NAMES
                and (k in self.first or not self._is_common(k))
            ):
                x = i + 3
                while (
                    x < n
                    and x < i + 6
                    and toks[x].key not in _RELATIONS
                    and toks[x].key not in _PEOPLE
                    and (
                        toks[x].key in _MODIFIERS
                        or toks[x].key in _NATIONS
                        or toks[x].key.endswith(("an", "ish", "ese", "i"))
                    )
                ):
                    x += 1  # "a young Ukrainian woman"
                if x < n and (toks[x].key in _RELATIONS or toks[x].key in _PEOPLE) and not toks[x].key.endswith("s"):
                    context.append((t.start, t.end))
                    self._titled.add(context[-1])
            # "the man is rajesh", "the guy was Tomasz": a first name of the lists after a word for a person.
            if (
                k in ("is", "was")
                and prev is not None
                and prev.key in _PEOPLE
                and i >= 2
                and toks[i - 2].key in ("the", "this", "that")
                and nxt is not None
                and nxt.key in self.first
                and not self._is_common(nxt.key)
            ):
                take(i + 1, True, context)
            # "a man called Tom", "her name is jade".
            # "calling himself 'Austin'", "a fake name (Jay)".
            if nxt is not None and (
                (
                    k in ("himself", "herself", "themselves")
                    and prev is not None
                    and prev.key in ("calling", "calls", "called")
                )
                or (k == "name" and re.fullmatch(r"\s*[(\"'\u2018\u201c]\s*", text[t.end : nxt.start]))
            ):
                take(i + 1, True, context)
            if k in _CALLED and nxt is not None:
                # "a customer called Ollie Green": after a word for a person, even a name built like a place.
                person = any(toks[x].key in _PEOPLE or toks[x].key in _RELATIONS for x in range(max(0, i - 3), i))
                before = len(context)
                take(i + 1, nxt.cap or self._known(nxt.key) or not self._is_common(nxt.key), context)
                after = toks[i + 2].key if i + 2 < n else ""
                if (
                    person
                    and len(context) == before
                    and nxt.key in self.first
                    and nxt.key not in _NOT_NAMES
                    and after not in _BASE_VERBS
                ):
                    context.append((nxt.start, nxt.end))  # "a boy in year 11 called will keeps grabbing girls"
                if person and nxt.cap:  # a person even inside a place's name or a listed place ("someone called Deri")
                    self._called.update(context[before:])
                    self._titled.update(context[before:])
            elif (
                nxt is not None
                and prev is not None
                and (
                    (k == "as" and prev.key in ("known", "know", "him", "her", "them", "himself", "herself"))
                    or (k == "by" and prev.key in ("goes", "go", "went"))
                    or (k == "for" and prev.key in ("ask", "asked", "asking"))
                )
                and (nxt.cap or self._known(nxt.key))
                and nxt.key not in STOP_WORDS
            ):
                take(i + 1, True, listed if k == "for" else context, title=nxt.cap)  # not "Ask for Angela"
            elif k == "name" and nxt is not None:
                before_name = len(context)
                if (
                    (nxt.cap and prev is not None and re.fullmatch(r"\s*,\s*", text[prev.end : t.start]))
                    or (re.match(r"\s*[:,\-\u2013]", text[t.end : nxt.start]))
                    or text[t.end : t.end + 2]
                    in (
                        "'s",
                        "\u2019s",
                    )
                ):
                    take(i + 1, True, context)  # "name: precious mensah-boateng", "my name's Victoria Ashworth"
                elif t.sent_start and nxt.cap:
                    take(i + 1, True, context)  # "Name Kemi Adeyinka."
                elif (
                    prev is not None
                    and prev.key in ("full", "real", "actual", "legal", "first", "maiden")
                    and (nxt.cap or nxt.key in self.first or not self._is_common(nxt.key))
                    and nxt.key not in STOP_WORDS
                ):
                    take(i + 1, True, context)  # "my full name Sarah Bellingham", "real name david parkes"
                else:  # "her name is jade", "his name on the app was shahid"
                    for j in range(i + 1, min(i + 6, n - 1)):
                        if re.search(r"[.!?;:()\n]", text[t.end : toks[j].start]):
                            break  # not "her name used) says: it is good"
                        if toks[j].key in ("is", "was", "s"):
                            take(j + 1, True, context)
                            given = toks[j + 1]
                            if (
                                len(context) == before_name
                                and given.text.isalpha()
                                and given.key not in STOP_WORDS
                                and given.key not in _NOT_NAMES
                                and given.key not in _NOT_A_NAME_GIVEN
                                and given.key not in _PERSON_VERBS
                                and not given.key.endswith(("ed", "ing"))
                                and re.match(r"\s*(?:[,.!?;:)]|$|and\b|but\b)", text[given.end :])
                            ):
                                context.append((given.start, given.end))  # "my name is favour": a noun after "is"
                            break
                self._titled.update(context[before_name:])  # "real name kingsley boateng": even a town's name
            # "I'm Ffion", "its kez": introductions, when the word is no common word (or a capitalised first name).
            intro = k in ("i'm", "im", "it's", "its") or (k == "is" and prev is not None and prev.key == "this")
            he_is = k in ("hes", "shes") or (k in ("he", "she") and text[t.end : t.end + 2] in ("'s", "\u2019s"))
            he_is = he_is or (k in ("is", "was") and prev is not None and prev.key in ("he", "she"))
            if he_is and nxt is not None and nxt.cap and nxt.key in self.first:
                take(i + 1, True, context)  # "He's Gareth Haigh, from Castleford"
            if intro and nxt is not None and nxt.key not in STOP_WORDS and nxt.key not in _NATIONS:
                punct_after = bool(re.match(r"\s*[,.!?;:\-\u2013]|\s*$", text[nxt.end :]))
                if (nxt.cap and (nxt.key in self.first or not self._is_common(nxt.key))) or (
                    not nxt.cap and not self._is_common(nxt.key) and (nxt.key in self.first or punct_after)
                ):
                    take(i + 1, True, context)  # "I'm Ffion", "its kez, im 15", not "its lovley in the day"
            # "ask jade", "told grace": someone spoken to.
            if k in _SPOKEN_TO and nxt is not None and nxt.key in self.first and nxt.key not in STOP_WORDS:
                after = toks[i + 2].key if i + 2 < n else ""
                clear = not self._is_common(nxt.key) or nxt.cap
                if clear or after in _AFTER_SPOKEN_TO or re.match(r"\s*[,.!?]|\s*$", text[nxt.end :]):
                    take(i + 1, True, context, title=True)  # "ask jade she was there", not "asked young people"
            # "Rojda from the community centre", "Adebayo at the Victim Support office": who someone is.
            if (
                t.cap
                and t.sent_start
                and i + 2 < n
                and nxt is not None
                and nxt.key in ("from", "at")
                and (toks[i + 2].key in ("the", "my", "our", "his", "her") or (nxt.key == "from" and toks[i + 2].cap))
                and not self._is_common(k)
            ):
                take(i, True, listed)  # also "Gurpreet from Sikh Women's Aid ran ..."
            elif (  # "Thanks to Age UK and Helen at Solihull Council"
                t.cap
                and not t.sent_start
                and k in self.common_first
                and nxt is not None
                and nxt.key in ("from", "at")
                and i + 2 < n
                and toks[i + 2].cap
                and text[t.end : nxt.start] == " "
                and (prev is None or prev.key not in _INSTITUTION_WORDS | _PLACE_PREPOSITIONS | {"to", "from", "at"})
            ):
                take(i, True, listed)
            # "lee from the flat upstairs", "..., will from the rugby team": a first name of the lists, at the start
            # of a sentence or after a comma, then where the person is from.
            if (
                k in self.first
                and k not in _NOT_NAMES
                and (t.sent_start or (prev is not None and re.fullmatch(r"\s*,\s*", text[prev.end : t.start])))
                and i + 2 < n
                and nxt is not None
                and nxt.key in ("from", "at")
                and text[t.end : nxt.start] == " "
                and (
                    toks[i + 2].key in ("the", "my", "our", "his", "her", "their", "work", "school", "uni", "church")
                    or (toks[i + 2].cap and text[: t.start].strip() == "" and text[t.start : t.start + 1].isupper())
                )
            ):
                a, _ = self._extend(toks, text, i, i + 1)  # even a first name that is a word ("will from the team")
                context.append((toks[a].start, t.end))
            # "A patient, Blessing, disclosed", "one of our residents, rose, was": a first name between commas after
            # a word for a person.
            if (
                prev is not None
                and (
                    k in self.first
                    or (t.cap and not t.sent_start and not self._is_common(k))
                    or (t.cap and not t.sent_start and any(one_of(x) for x in range(max(0, i - 5), i)))
                )
                and (k not in STOP_WORDS or (t.cap and not t.sent_start))
                and re.fullmatch(r"\s*,\s*", text[prev.end : t.start])
                and any(
                    (toks[x].key in _RELATIONS or toks[x].key in _PEOPLE or one_of(x))  # "one of our baristas, Honor,"
                    and not re.search(
                        r"[.;:!?]", text[toks[x].end : t.start]
                    )  # not "the manager said no; in london, paris"
                    for x in range(max(0, i - 5), i)
                )
            ):
                _, e = self._extend(toks, text, i, i + 1)  # "A boy in my year, Reece Fenwick-Lowe, shares"
                person = any(toks[x].key in _RELATIONS or toks[x].key in _PEOPLE for x in range(max(0, i - 5), i))
                if e < n and re.fullmatch(r"\s*,\s*(?:\d{1,2}\s*,\s*)?", text[toks[e - 1].end : toks[e].start]):
                    if person and (k in self.first or not self._is_common(k)):
                        take(i, True, context, title=True)
                    else:  # only "one of our ..." says a person: a known place stays ("one of our sites, Brixton,")
                        take(i, True, listed)
            # ", Harjit, lets drivers": a name between commas, followed by what it does.
            if (
                t.cap
                and not t.sent_start
                and prev is not None
                and nxt is not None
                and re.fullmatch(r"\s*,\s*", text[prev.end : t.start])
                and re.fullmatch(r"\s*,\s*", text[t.end : nxt.start])
                and not nxt.cap
                and nxt.key not in STOP_WORDS
                and not self._is_common(k)
            ):
                take(i, True, listed)
            elif (  # "a club in vauxhall, leon, saw a guy": the same in lower case, before what a person does
                not t.cap
                and prev is not None
                and nxt is not None
                and k in self.first
                and k not in self.frequent_only
                and k not in STOP_WORDS
                and re.fullmatch(r"\s*,\s*", text[prev.end : t.start])
                and re.fullmatch(r"\s*,\s*", text[t.end : nxt.start])
                and nxt.key in _FINITE_VERBS | _STRONG_VERBS
            ):
                context.append((t.start, t.end))
            # "Yonas, who runs the cafe": a relative clause about a person.
            if (
                t.cap
                and nxt is not None
                and nxt.key == "who"
                and not self._is_common(k)
                and re.fullmatch(r"\s*,?\s*", text[t.end : nxt.start])
            ):
                take(i, True, listed)
            # "Daniel Kowalczyk" in any case: a first name then a surname of the lists.
            if (
                k in self.first
                and k not in STOP_WORDS
                and k not in _INSTITUTION_WORDS
                and nxt is not None
                and nxt.key in self.last | self._hyphen_last(nxt.key)
                and text[t.end : nxt.start] == " "
                and nxt.key not in STOP_WORDS
                and nxt.key not in _PERSON_VERBS
                and (t.cap or not (self._is_common(k) and self._is_common(nxt.key)))
            ):
                take(i, True, listed)
            # "chelsea n paris are my cousins", "faith and joy (twins in my year)", "me jade n kels": first names
            # joined by "and", said to be people.
            if (
                k in self.first
                and k not in STOP_WORDS
                and nxt is not None
                and nxt.key in ("and", "n", "&")
                and i + 2 < n
                and toks[i + 2].key not in STOP_WORDS
            ):
                with_me = prev is not None and prev.key == "me" and text[prev.end : t.start] == " "
                second = toks[i + 2].key in self.first or (with_me and not self._is_common(toks[i + 2].key))
                following = [x.key for x in toks[i + 3 : i + 8]]
                people = (
                    len(following) >= 3
                    and following[0] in ("are", "were")
                    and following[1] in ("my", "our", "his", "her", "both", "the")
                    and any(w in _RELATIONS or w in _PEOPLE for w in following[2:])
                ) or bool(
                    regex.match(
                        r"(?i)[ \t]*\((?:the[ \t]+)?(?:twins|sisters|brothers|cousins|friends|best[ \t]+friends|my|both)\b",
                        text[toks[i + 2].end :],
                    )
                )
                if second and (people or with_me):
                    for x in (i, i + 2):
                        if not any(a <= toks[x].start < b for a, b in context):
                            context.append((toks[x].start, toks[x].end))
                            self._titled.add(context[-1])
            # "one girl lan is only 17", "the boy jayden said": a word for a person, a first name, then a verb.
            if (
                prev is not None
                and prev.key in ("girl", "boy", "man", "woman", "lady", "guy", "lad", "bloke", "fella")
                and k in self.first
                and k not in STOP_WORDS
                and k not in _NOT_NAMES
                and nxt is not None
                and nxt.key in _FINITE_VERBS
                and text[prev.end : t.start] == " "
                and text[t.end : nxt.start] == " "
            ):
                context.append((t.start, t.end))
            # "me and rachel", "me n jess", "kemi and me".
            if k in ("and", "n", "&") and prev is not None and nxt is not None:
                if prev.key in ("me", "i"):
                    take(i + 1, True, context)
                elif (
                    nxt.key in ("me", "i")
                    and prev.key not in _NOT_NAMES
                    and text[prev.end : t.start] == " "
                    and (i < 2 or toks[i - 2].key not in _NOT_BEFORE_NAMES or toks[i - 2].end < prev.start - 3)
                ):  # "kemi and me", not "in London and I"
                    a, _ = self._extend(toks, text, i - 1, i)
                    if self._name_like(prev, strong=True):
                        context.append((toks[a].start, prev.end))
            # "ayo's mum", "sky's dad": someone's relative.
            possessive_name = text[t.end : t.end + 2] in ("'s", "\u2019s")
            if (
                possessive_name
                and nxt is not None
                and nxt.key in _RELATIONS
                and k not in _OWNERS
                and (t.cap or self._known(k))
                and self._name_like(t, strong=True)
            ):
                a, _ = self._extend(toks, text, i, i + 1)
                context.append((toks[a].start, t.end))
            elif (  # "jordans mum", "kemis dad": the same without the apostrophe
                k.endswith("s")
                and k not in STOP_WORDS
                and len(k) >= 4
                and k[:-1] in self.first
                and k[:-1] not in self.frequent_only
                and (k[:-1] in self.common_first or not self._is_common(k[:-1]))
                and nxt is not None
                and nxt.key in _RELATIONS
                and text[t.end : nxt.start] == " "
                and (prev is None or prev.key not in _OWNERS)
            ):
                context.append((t.start, t.end))
                self._titled.add(context[-1])
            # Sign-offs: "- Carol" at the end, "thanks, grace", "Thank you grace".
            if (
                (
                    i >= n - 3
                    and (
                        re.search(r"(?:\n|[-\u2013\u2014~]\s*)$", text[: t.start])  # not a one-word answer ("Helpful")
                        or (
                            prev is not None
                            and prev.key in ("thanks", "thank", "you", "cheers", "regards", "love", "from")
                        )
                    )
                    and (i == n - 1 or all(x.cap for x in toks[i:]))
                )
                and (t.cap or self._known(k))
                and (k in self.first or not self._is_common(k))
            ):
                take(i, True, context)  # not "Support.\nAdvice."
            # "thanks jo and the ladies", "Thank you Grace at ...": who is thanked, anywhere in the answer.
            thanked = prev is not None and (
                prev.key in ("thanks", "cheers", "ta", "thx")
                or (prev.key == "you" and i >= 2 and toks[i - 2].key == "thank")
            )
            if (
                thanked
                and prev is not None
                and re.fullmatch(r",? ", text[prev.end : t.start])
                and k in self.first
                and k not in STOP_WORDS
                and k not in _NOT_NAMES
                and (nxt is None or nxt.key in ("and", "at", "from", "for", "x", "xx", "xxx", "again", "so"))
            ):
                take(i, True, listed)
            # "Karen, you know who you are": someone spoken to at the start of a sentence.
            if (
                t.cap
                and t.sent_start
                and nxt is not None
                and re.fullmatch(r", ?", text[t.end : nxt.start])
                and (
                    nxt.key in ("you", "thank", "thanks")
                    or (nxt.key == "if" and i + 2 < n and toks[i + 2].key in ("you", "you're", "youre", "u"))
                )
                and (k in self.first or not self._is_common(k))
                and k not in STOP_WORDS
                and k not in _NOT_NAMES
            ):
                take(i, True, listed)
            # "... was handled. Holly": a first name of the lists alone at the end, after a full stop.
            if (
                i == n - 1
                and t.cap
                and t.sent_start
                and k in self.first
                and re.search(r"[.!?]\s*$", text[: t.start])
                and re.fullmatch(r"[\s.!]*", text[t.end :])
            ):
                take(i, True, context, title=True)
            # "Hi. Patience here.": who is writing.
            if (
                t.cap
                and t.sent_start
                and nxt is not None
                and nxt.key == "here"
                and k in self.first
                and re.match(r"[.,!\s]*(?:$|[.,!])", text[nxt.end :])
            ):
                take(i, True, context, title=True)
            # "deji went to the station": a word that is no word, doing what people do.
            if (
                not t.cap
                and nxt is not None
                and nxt.key in _STRONG_VERBS
                and nxt.start - t.end <= 2
                and len(k) >= 3
                and not self._is_common(k)
                and k not in STOP_WORDS
                and (prev is None or prev.key not in _OWNERS)
            ):
                take(i, True, listed)
            # A name of the lists at the start of a sentence, doing what people do ("Fernandes was good.").
            if (
                t.cap
                and t.sent_start
                and self._known(k)
                and not self._is_common(k)
                and nxt is not None
                and nxt.key in (_STRONG_VERBS if k in self.frequent_only else _PERSON_VERBS)
                and nxt.key not in ("and", "who")
                and text[t.end : nxt.start] == " "
            ):
                take(i, True, listed)
            # A first name that is also a word, at the start of a sentence, doing what only people do ("Grace visited
            # four times", "Florence couldn't explain").
            if (
                t.cap
                and t.sent_start
                and k in self.common_first
                and self._is_common(k)
                and nxt is not None
                and nxt.key in _STRONG_VERBS | _PEOPLE_ONLY_VERBS
                and text[t.end : nxt.start] == " "
            ):
                context.append((t.start, t.end))
            # "Conrad Villiers-Hart", "grace okafor": a first name of the lists, even one that is a word, then a
            # surname that is no word.
            pair = self._first_and_surname(toks, text, i)
            if (
                pair is not None
                and t.cap == toks[i + 1].cap
                and (
                    t.cap
                    or self._shouting
                    or not self._is_common(k)
                    or (k in self.common_first and not self._known(toks[i + 1].key) and len(toks[i + 1].key) >= 4)
                )
                and not (t.sent_start and not t.cap and not self._shouting)
            ):
                listed.append(pair)
            # A surname of the lists, capitalised inside a sentence ("the Okonkwos", "reported Kowalczyk").
            if t.cap and not t.sent_start and k not in self.first and self._known(k) and not self._is_common(k):
                before = len(listed)
                take(i, True, listed)
                self._surnamed.update(listed[before:])
            # A first name of the lists: capitalised anywhere, or in lower case when it is not a common word.
            if k in self.first and k not in _NOT_NAMES and k not in _CALENDAR and k not in STOP_WORDS:
                if prev is not None and (prev.key in _INSTITUTION_WORDS or prev.key in _COLOURS):
                    continue  # "Queen Mary", "King Edward", "a black Mercedes"
                if prev is not None and prev.key in ("for", "of", "&") and i >= 2 and toks[i - 2].cap and t.cap:
                    continue  # "Hope for Justice", "Friends of Grace": inside a body's name
                followed = nxt is not None and nxt.key in _PERSON_VERBS and nxt.start - t.end <= 2
                # A name only the frequent-names list has ("rehab", "prem", "mis" are names somewhere) needs more:
                # capitals inside a sentence, or a verb only people do after it ("deji said").
                rare = k in self.frequent_only
                acts = nxt is not None and nxt.key in _STRONG_VERBS and nxt.start - t.end <= 2
                if (
                    t.cap
                    and (not self._is_common(k) or followed)
                    and (not rare or acts or not t.sent_start)
                    or not t.cap
                    and not self._is_common(k)
                    and len(k) >= 3
                    and (not rare or acts)
                ):
                    take(i, True, listed)
        if ents is None and self.nlp is not None:
            ents = entity_spans(self.nlp(text))
        listed += self.ner_names(text, ents or [])
        if self.names is not None:
            listed += [m.span() for m in self.names.finditer(text)]
        # Cues in the text itself: a nickname in quotes, a surname given as such, the name under a sign-off.
        for m in NICKNAME_RE.finditer(text):
            words = m.group(1).split()
            if 0 < len(words) <= 3 and not all(fold(w) in STOP_WORDS or fold(w) in _NOT_NAMES for w in words):
                context.append(m.span(1))
                self._titled.add(m.span(1))
        for m in LOWER_NICKNAME_RE.finditer(text):
            w = fold(m.group(2))
            if (
                w not in STOP_WORDS
                and w not in _NOT_NAMES
                and (
                    not self._is_common(w)
                    or (w in self.first and w not in self.frequent_only and w not in self.non_nouns)
                )
            ):
                context.append(m.span(1))
                self._titled.add(m.span(1))
        for rx in (BARE_NICKNAME_RE, LABELLED_PERSON_RE, NAME_AGE_RE, EVERYONE_CALLS_RE):
            for m in rx.finditer(text):
                if fold(m.group(1).split()[0]) not in STOP_WORDS:
                    context.append(m.span(1))
                    self._titled.add(m.span(1))
                    self._called.add(m.span(1))
        for m in [*NAME_AFTER_CONTACT_RE.finditer(text), *NAME_BEFORE_CONTACT_RE.finditer(text)]:
            w = fold(m.group(1).split()[0])
            if w not in STOP_WORDS and w not in _NOT_NAMES and (w in self.first or not self._is_common(w)):
                listed.append(m.span(1))
        for m in NAME_ASIDE_RE.finditer(text):  # "joe (i wont give his surname)", "devon (thats his name)"
            w = fold(m.group(1))
            if w not in STOP_WORDS and w not in _NOT_NAMES and w not in _RELATIONS and w not in _PEOPLE:
                context.append(m.span(1))
                self._titled.add(m.span(1))
        for m in READ_THIS_RE.finditer(text):  # "ruby if you read this thank u"
            w = fold(m.group(1))
            if w not in STOP_WORDS and w not in _NOT_NAMES and (w in self.first or not self._is_common(w)):
                context.append(m.span(1))
        for m in BRACKETED_NAME_RE.finditer(text):  # "(Jenkins)", "(Rich, I think)": a name, unless a place
            w = fold(m.group(1))
            parts = w.split("-")
            if (
                w not in STOP_WORDS
                and w not in _NOT_NAMES
                and (
                    (self._known(w) and (w in self.common_first or not self._is_common(w)))
                    or (len(parts) == 2 and all(self._known(x) or not self._is_common(x) for x in parts))
                )
            ):
                listed.append(m.span(1))
        for m in CLAN_NAME_RE.finditer(text):
            if fold(m.group()) not in _CLAN_NOT_NAMES:
                listed.append(m.span())
        for m in NAME_BRACKET_AGE_RE.finditer(text):  # "Grace (19)"
            w = fold(m.group(1))
            if (
                w not in STOP_WORDS
                and w not in _NOT_NAMES
                and w not in _CALENDAR
                and (w in self.first or not self._is_common(w))
            ):
                (context if w in self.common_first else listed).append(m.span(1))
        for m in BADGE_RE.finditer(text):  # 'name badge "Adebola"'
            w = fold(m.group(1).split()[-1].split(".")[-1] or m.group(1))
            if (
                w not in STOP_WORDS
                and w not in _NOT_NAMES
                and w not in STRONG_TITLES
                and w not in WEAK_TITLES
                and w not in ("number", "no", "num")
            ):
                context.append(m.span(1))
        for m in NAME_ALONE_AGE_RE.finditer(text):  # an age says it is a person, even one named like a country
            w = fold(m.group(1))
            if w not in STOP_WORDS and w not in _NOT_NAMES and w not in _CALENDAR:
                context.append(m.span(1))
                self._titled.add(m.span(1))
        for m in SURNAME_CUE_RE.finditer(text):
            w = fold(m.group(1))
            if w not in STOP_WORDS and w not in _NOT_NAMES and len(w) >= 2:
                context.append(m.span(1))
                self._titled.add(m.span(1))
        for m in SIGN_END_RE.finditer(text):
            first = fold(m.group(1).split()[0])
            dash = bool(re.search(r"[-\u2013\u2014~][ \t]*$", text[: m.start(1)]))
            if first not in _NOT_NAMES and (
                (first in self.first and first not in self.frequent_only) or (dash and not self._is_common(first))
            ):
                listed.append(m.span(1))
        for m in SIGN_OFF_RE.finditer(text):
            first = fold(m.group(1).split()[0])
            if first in self.first or not self._is_common(first):
                listed.append(m.span(1))
        # A nickname between the parts of a name: "Lamar 'Smokey' Richards", "Mrs Begum (Lucky) Khan".
        for _, b in list(context + listed):
            m = _BETWEEN_RE.match(text, b)
            if m is None or not m.group(2) or fold(m.group(1)) in STOP_WORDS:
                continue
            last = fold(m.group(2))
            if self._known(last) or not self._is_common(last):
                context += [m.span(1), m.span(2)]
        # Names listed with a name are names: "Hodan, Faduma and Amina", "me and jess n sky".
        found = context + listed
        changed = True
        while changed:
            changed = False
            for a, b in list(found):
                for ti, t in enumerate(toks):
                    if any(x <= t.start and t.end <= y for x, y in found):
                        continue
                    gap = text[b : t.start] if t.start >= b else text[t.end : a]
                    if not re.fullmatch(r"(?i)\s*(?:,|and|&|n|or)\s*|\s*,\s*(?:and|&)\s*", gap or "x"):
                        continue
                    if t.key in STOP_WORDS or _CONTRACTION.search(t.key) or t.key in STRONG_TITLES:
                        continue  # not "Dr" of "Dr Croft and Dr Bohane"
                    if t.end <= a and ti > 0 and toks[ti - 1].key in _OWNERS:
                        continue  # "one of our baristas, Honor": an owned noun, not a name in a list
                    if t.cap and t.sent_start and not gap.strip().startswith(","):
                        continue  # "Come and listen": only a list ("Hodan, Faduma and Amina") starts with a name
                    pair = self._first_and_surname(toks, text, ti) if t.start >= b else None
                    if pair is not None:
                        listed.append(pair)
                        found.append(pair)
                        changed = True
                    elif (
                        (
                            not self._is_common(t.key)
                            or (t.cap and t.key in self.first)
                            or (  # "(kemi n ruby)", "[name] and lucas)": a first name closing a list of names
                                t.key in self.first
                                and t.key not in _IRREGULAR_VERBS
                                and t.start >= b
                                and re.match(r"\s*(?:[),.;!?]|$)", text[t.end :])
                            )
                        )
                        and not any(c.isdigit() for c in t.key)
                        and not re.fullmatch(r"[A-Z]{2,5}s?", t.text)
                    ):
                        listed.append((t.start, t.end))
                        found.append((t.start, t.end))
                        changed = True
        # A short run of Chinese characters in an answer written in Latin script is a name given in characters
        # ("I'm Mei Ling (李美玲)").
        han = [m.span() for m in _HAN_NAME_RE.finditer(text)]
        if han and len(regex.findall(r"\p{Latin}", text)) > 20:
            listed += han
        # A name found once in the answer is redacted wherever the answer repeats it ("Amber ... Amber's").
        seen = {text[a:b] for a, b in context + listed if b - a >= 3}
        if seen:  # matched as written: "Grace" does not make every "grace" a name, but "grace" found so does
            rx = re.compile(
                r"(?<!\w)(?:" + "|".join(re.escape(w) for w in sorted(seen, key=len, reverse=True)) + r")(?!\w)"
            )
            listed += [m.span() for m in rx.finditer(text)]
        return context, listed

    def ner_names(self, text: str, ents: Iterable[tuple[int, int, str]]) -> list[tuple[int, int]]:
        """The entities that are names: PERSON ones (unless made of common words only, such as "Domestic
        Abuse"), and ORG, GPE, ... ones made only of known names that are not common words ("KOWALSKI")."""
        out = []
        for start, end, label in ents:
            words = [fold(w) for w in regex.findall(r"[\p{L}\p{M}'\u2019-]+", text[start:end])]
            if not words:
                continue
            known = [w in self.first or w in self.last for w in words]
            if label == "PERSON":
                if any(c.isdigit() for c in text[start:end]) or re.fullmatch(r"[A-Z]{2,6}s?", text[start:end]):
                    continue  # "Tel 020 7946 0381", "VAWG": not names
                if words[0] == "the" and len(words) > 1:
                    continue  # "The William Morris", "The Edward Lear": pubs named after people
                if (
                    all(self._is_common(w) for w in words)
                    and (words[0] not in self.first or words[0] in self.frequent_only)
                    and not (len(words) > 1 and all(w in self.nouns_only for w in words))
                ):
                    continue  # "Domestic Abuse", "Safer Streets"; not "Mei Ling" (nouns only, as names are)
                at_start = bool(re.search(r"(?:^|[.!?\n:;\"'(])\s*$", text[:start]))
                if len(words) == 1 and at_start and self._is_common(words[0]):
                    continue  # "Said 'that's not a police matter'", "Parks in Walthamstow"
                if not any(c.isupper() for c in text[start:end]) and all(self._is_common(w) for w in words):
                    continue  # "dick pics": lower-case words the tagger took for a name
                out.append((start, end))
            elif (
                label in ("ORG", "PRODUCT", "WORK_OF_ART")
                and all(known)
                and len(words) <= 3
                and not any(self._is_common(w) for w in words)
                and (
                    (text[start:end].isupper() and len(text[start:end]) >= 5)  # "KOWALSKI", not "CICA"
                    or "-" in text[start:end]
                    or (len(words) > 1 and words[0] in self.first and words[0] not in self.frequent_only)
                )
            ):
                out.append((start, end))  # "KOWALSKI", "Mensah-Boateng", "Chiamaka Okonkwo" tagged as bodies
        return out

    def file_names(self, texts: Iterable[str], ents: Iterable[list[tuple[int, int, str]]]) -> list[str]:
        """Full names to redact wherever they appear in the file: each name entity's text, when it is two or
        more words or a known first name or surname that is not a common word (one wrong single-word tag must
        not spread through the file), and never a place of ``places``."""
        found: set[str] = set()
        for text, es in zip(texts, ents, strict=True):
            for a, b in self.ner_names(text, es):
                name = " ".join(text[a:b].split())
                words = [fold(w) for w in name.split()]
                if self.places is not None and self.places.search(name):
                    continue
                if len(words) >= 2 or (
                    words
                    and (words[0] in self.first or words[0] in self.last)
                    and words[0] not in self.frequent_only  # "Rehab", "Prem": names somewhere, words here
                    and not self._is_common(words[0])
                ):
                    found.add(name)
        return sorted(found)

    def with_names(self, names: Iterable[str]) -> Redactor:
        """This redactor, also redacting ``names`` wherever they appear."""
        known = [] if self.names is None else [self.names.pattern]
        new = name_patterns(names)
        if new is not None:
            known.append(new.pattern)
        self.names = re.compile("|".join(f"(?:{p})" for p in known), re.IGNORECASE) if known else None
        return self


def apply(text: str, items: Iterable[Item]) -> str:
    """``text`` with each item (in order, not overlapping) replaced by its kind's placeholder."""
    out, pos = [], 0
    for it in items:
        out += [text[pos : it.start], PLACEHOLDERS[it.kind]]
        pos = it.end
    out.append(text[pos:])
    return "".join(out)


def entity_spans(doc: Any) -> list[tuple[int, int, str]]:
    """(start, end, label) of a spaCy Doc's entities."""
    return [(e.start_char, e.end_char, e.label_) for e in doc.ents]


def _default_non_nouns() -> frozenset[str]:
    """Verbs, adjectives and adverbs of the default spaCy pipeline's dictionary."""
    try:
        return non_noun_words(EntitiesConfig().spacy_model)
    except (ImportError, OSError):
        return frozenset()


def _default_nouns() -> frozenset[str]:
    """Noun-only words of the default spaCy pipeline's dictionary (see :func:`pipeline.names.noun_only_words`)."""
    try:
        return noun_only_words(EntitiesConfig().spacy_model)
    except (ImportError, OSError):
        return frozenset()


def _default_common() -> frozenset[str]:
    """Common words of the default spaCy pipeline (English), or none when it is not installed."""
    try:
        return common_words(EntitiesConfig().spacy_model)
    except (ImportError, OSError):
        return frozenset()


def _merge(items: list[Item], text: str) -> list[Item]:
    """Overlapping items become one (the earlier, longer one's kind); names next to names become one."""
    order = {k: i for i, k in enumerate(KINDS)}
    items = sorted(items, key=lambda it: (it.start, -(it.end - it.start), order[it.kind]))
    out: list[Item] = []
    for it in items:
        if out and it.start < out[-1].end:
            last = out[-1]
            if it.end > last.end:
                out[-1] = Item(last.start, it.end, last.kind)
            continue
        if out and out[-1].kind == "name" == it.kind and re.fullmatch(r"[ \t]*", text[out[-1].end : it.start]):
            out[-1] = Item(out[-1].start, it.end, "name")
            continue
        out.append(it)
    return out


def redact(
    text: str,
    names: re.Pattern[str] | Iterable[str] | None = None,
    nlp: Any = None,
    places: Iterable[str] = (),
) -> str:
    """``text`` with personal items replaced (a :class:`Redactor` without common words; see the module doc)."""
    if not text:
        return ""
    r = Redactor([] if names is None or isinstance(names, re.Pattern) else names, nlp, places)
    if isinstance(names, re.Pattern):
        r.names = names
    return r(text)


# --- a whole file ----------------------------------------------------------------------------------------------
def place_names(patterns: Any) -> list[str]:
    """Every canonical name and alias of the entity ruler's file (places, transport, agencies): never names."""
    if patterns is None:
        return []
    try:
        data, _ = read_entity_names(patterns)
    except (ConsultError, OSError):
        return []  # the entities stage reports a missing or broken file; here it only means fewer places kept
    names: set[str] = set()
    for entries in data.values():
        if not isinstance(entries, dict):
            continue
        for canonical, aliases in entries.items():
            names |= {str(canonical), *(str(a) for a in aliases or [])}
    return sorted(names)


def make_redactor(config: Any, nlp: Any = None, places: Iterable[str] = ()) -> Redactor:
    """The redactor of ``config`` (a :class:`pipeline.config.Config`): places from the entity ruler and
    ``redact.keep_names``, the common words and name lists of the data's language. ``nlp`` is kept on it for
    texts redacted one at a time."""
    rc = config.redact
    return Redactor(
        [],
        nlp,
        [
            *place_names(config.entities.patterns),
            *rc.keep_names,
            *country_places(tuple(rc.place_countries)),
            *country_names(),
            *places,
        ],
        common=common_words(config.entities.spacy_model),
        nouns_only=noun_only_words(config.entities.spacy_model),
        non_nouns=non_noun_words(config.entities.spacy_model),
        use_name_lists=rc.name_lists,
    )


@dataclass
class RedactionResult:
    texts: list[str]
    items: list[list[Item]]
    """The items replaced in each text (offsets into the original text)."""
    counts: Counter[str]
    """Items replaced, by kind, over all texts."""

    @property
    def rows_changed(self) -> int:
        return sum(bool(i) for i in self.items)


def redact_texts(
    texts: list[str], config: Any, *, nlp: Any = None, tick: Any = None, batch_size: int = 256
) -> RedactionResult:
    """Redact a file's texts: NER runs once over them (when ``redact.ner`` and a pipeline is given or
    loadable), full names found anywhere are redacted everywhere, then each text is redacted."""
    if nlp is None and config.redact.ner:
        nlp = load_spacy(config.entities.spacy_model, ner=True)
    redactor = make_redactor(config)
    clean = ["" if t is None else str(t) for t in texts]
    ents: list[list[tuple[int, int, str]]] = [[] for _ in clean]
    if nlp is not None and "ner" in nlp.pipe_names:
        for i, doc in enumerate(nlp.pipe(clean, batch_size=batch_size)):
            ents[i] = entity_spans(doc)
    redactor.with_names(redactor.file_names(clean, ents))
    found: list[list[Item]] = []
    for text, es in zip(clean, ents, strict=True):
        found.append(redactor.items(text, es))
        if tick is not None:
            tick(1)
    counts = Counter(it.kind for items in found for it in items)
    return RedactionResult([apply(t, i) for t, i in zip(clean, found, strict=True)], found, counts)


@dataclass
class RedactFileSummary:
    rows: int
    rows_changed: int
    counts: Counter[str]
    """Items replaced, by kind, over the whole file."""


def redact_file(input_path: Any, output_path: Any, config: Any, *, progress: Any = None) -> RedactFileSummary:
    """Read an answers file of any size in chunks, redact its text column and write every column, in order, to
    ``output_path`` (through a temporary file moved into place only when every row is done). Three passes: the
    input checks ``label`` makes; NER over each chunk, keeping only the entity spans of each answer and the full
    names found (which are then redacted wherever they appear in the file); and the redaction, written as it
    goes. ``progress``: a :class:`pipeline.progress.Progress` told each pass and its answers."""
    check_output_path(Path(output_path), Path(input_path))
    source = open_input(Path(input_path), config)
    scan = scan_file(source, config, "xx", progress, campaigns=False)
    text_column = config.ingest.text_column
    nlp = load_spacy(config.entities.spacy_model, ner=True) if config.redact.ner else None
    redactor = make_redactor(config)
    spans: dict[int, list[tuple[int, int, str]]] = {}  # by row number; rows without entities hold nothing
    if nlp is not None and "ner" in nlp.pipe_names:
        if progress:
            progress.stage("finding names", scan.rows)
        names: set[str] = set()
        for chunk in source.chunks():
            texts = _column(chunk, text_column).astype(str).tolist()
            ents = [entity_spans(doc) for doc in nlp.pipe(texts, batch_size=256)]
            names.update(redactor.file_names(texts, ents))
            spans.update((int(r), e) for r, e in zip(chunk.index, ents, strict=True) if e)
            if progress:
                progress.tick(len(chunk))
        redactor.with_names(sorted(names))
    if progress:
        progress.stage("redacting", scan.rows)
    summary = RedactFileSummary(scan.rows, 0, Counter())
    with TableWriter(Path(output_path), sheet_name="redacted") as writer:
        for chunk in source.chunks():
            chunk = chunk.reindex(columns=scan.columns, fill_value="")
            texts = _column(chunk, text_column).astype(str).tolist()
            out = []
            for r, text in zip(chunk.index, texts, strict=True):
                items = redactor.items(text, spans.pop(int(r), []))
                summary.rows_changed += bool(items)
                summary.counts.update(it.kind for it in items)
                out.append(apply(text, items))
            chunk = chunk.copy()
            chunk[text_column] = out
            writer.write(chunk)
            if progress:
                progress.tick(len(chunk))
    return summary


# Entity labels of the entity ruler and spaCy that name places and bodies, never people.
PLACE_LABELS = ("BOROUGH", "AREA", "STATION", "TRANSPORT", "AGENCY", "SCHEME")


def labelled_file_redactor(df: Any, config: Any, nlp: Any = None) -> Redactor:
    """The redactor for texts taken from a labelled file (report quotes, campaign excerpts, discovery examples):
    the configured one (:func:`make_redactor`), also keeping the places the file's ``entities`` column tagged and
    redacting its people's full names (PERSON entities) wherever they appear."""
    people: set[str] = set()
    places: set[str] = set()
    if "entities" in getattr(df, "columns", []):
        for cell in df["entities"].fillna("").astype(str):
            for label, name in parse_entities(cell):
                if label == "PERSON":
                    people.add(name)
                elif label in PLACE_LABELS:
                    places.add(name)
    r = make_redactor(config, nlp, sorted(places))
    names = sorted(people)
    return r.with_names(r.file_names(names, [[(0, len(n), "PERSON")] for n in names]))
