"""Word lists for finding names: first names and surnames of many origins, and the common words of a language.

Names come from the person providers of `Faker <https://pypi.org/project/Faker/>`_ (MIT): about 21,000 first
names and 21,000 surnames in Latin script from 80 locales (British, Irish, Welsh, Nigerian, Ghanaian, Kenyan,
Indian, Pakistani, Polish, Turkish, Romanian, Portuguese, Vietnamese, romanised Chinese, ...). Common words
are the English dictionary that the spaCy English pipeline ships for its lemmatizer (WordNet's lemmas, with
irregular forms) plus spaCy's stop words; for other languages only the stop words. A lower-case word is taken
for a name only when it is a known name and not a common word, so "will", "grace" and "mark" stay words.
"""

from __future__ import annotations

import contextlib
import gzip
import importlib
import pkgutil
import unicodedata
from functools import lru_cache
from pathlib import Path

import regex
import spacy
from spacy.lookups import Lookups
from spacy.strings import get_string_id

_LATIN = regex.compile(r"^[\p{Latin}\p{M}'\u2019 .-]+$")
# Slang and chat words that no dictionary lists and some name lists do.
_CHAT = frozenset(
    "innit uni telly women men children people feet teeth mice geese lol omg ok okay tho thru u ur ppl pls plz thx ta ya yeah yep yeh nah nope hi hiya hello bye gonna "
    "wanna gotta dunno cos coz cuz tbh idk imo fyi btw asap aka etc ie eg vs im ive id ill dont cant wont didnt "
    "isnt wasnt doesnt hes shes theyre youre mum mam nan gran bro sis bruv fam mate".split()
)


@lru_cache(maxsize=200_000)
def fold(word: str) -> str:
    """Lower case without accents: the key names are looked up by ("Siobhán" and "siobhan" → "siobhan")."""
    decomposed = unicodedata.normalize("NFKD", word.casefold().replace("\u2019", "'"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _values(v: object) -> list[str]:
    if isinstance(v, dict):
        return [k for k in v if isinstance(k, str)]
    if isinstance(v, list | tuple | set | frozenset):
        return [x for x in v if isinstance(x, str)]
    return []


@lru_cache(maxsize=1)
def name_lists() -> tuple[frozenset[str], frozenset[str]]:
    """(first names, surnames), folded. Empty sets when Faker is not installed."""
    try:
        people = importlib.import_module("faker.providers.person")
    except ImportError:
        return frozenset(), frozenset()
    first: set[str] = set()
    last: set[str] = set()
    for info in pkgutil.iter_modules(people.__path__):
        try:
            mod = importlib.import_module(f"faker.providers.person.{info.name}")
        except ImportError:  # a locale module that needs something not installed
            continue
        provider = getattr(mod, "Provider", None)
        if provider is None:
            continue
        for attr, value in vars(provider).items():
            target = first if "first_name" in attr else last if "last_name" in attr else None
            if target is None:
                continue
            for name in _values(value):
                if _LATIN.match(name):
                    for part in regex.split(r"[\s-]+", name):
                        if len(part) >= 2:
                            target.add(fold(part))
    return frozenset(first), frozenset(last)


NAMES_FILE = Path(__file__).parent / "data" / "names500.tsv.gz"
"""First names and surnames among the 500 most frequent of at least one of 105 countries,
``first|last<TAB>NAME<TAB>BEST RANK`` per line: names-dataset's lists (Apache-2.0,
https://github.com/philipperemy/name-dataset), extracted by ``bench/build_names.py``."""


@lru_cache(maxsize=1)
def frequent_name_lists() -> tuple[dict[str, int], dict[str, int]]:
    """(first names, surnames) of :data:`NAMES_FILE`, folded, each with its best rank: the names many people of
    some country have ("Rajesh", "Ffion", "Parveen"), which Faker's lists lack. Their word parts, as for
    :func:`name_lists`."""
    first: dict[str, int] = {}
    last: dict[str, int] = {}
    with gzip.open(NAMES_FILE, "rt", encoding="utf-8") as f:
        for line in f:
            kind, name, rank = line.rstrip("\n").split("\t")
            target = first if kind == "first" else last
            for part in regex.split(r"[\s-]+", name):
                if len(part) >= 2:
                    key = fold(part)
                    target[key] = min(target.get(key, int(rank)), int(rank))
    return first, last


# Locales whose first-name lists hold the names commonly given in the UK and Ireland (en_US's list is the census's
# most frequent names). The lists of all 80 locales together also hold rare names that are mostly places here
# ("Bristol", "Bedford", "Torry"): only these decide whether a town's name may be a person's.
_COMMON_FIRST_LOCALES = ("en_GB", "en_IE", "en_US", "en_NZ")


@lru_cache(maxsize=1)
def country_names() -> frozenset[str]:
    """The world's countries and territories by their English names (Faker's list: "China", "Nigeria"), except
    those that are commonly given first names ("Georgia", "Jordan"). Empty when Faker is not installed."""
    try:
        provider = importlib.import_module("faker.providers.address.en").Provider
    except ImportError:
        return frozenset()
    first = common_first_names()  # "Georgia", "Jordan": left to the context, as for towns
    return frozenset(str(c) for c in getattr(provider, "countries", ()) if fold(str(c)) not in first)


@lru_cache(maxsize=1)
def common_first_names() -> frozenset[str]:
    """First names commonly given in English-speaking countries, folded (Faker's en_GB, en_IE, en_US and en_NZ
    lists, about 1,700). Empty when Faker is not installed."""
    out: set[str] = set()
    for locale in _COMMON_FIRST_LOCALES:
        try:
            provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
        except (ImportError, AttributeError):
            continue
        for attr in ("first_names", "first_names_male", "first_names_female"):
            out |= {fold(n) for n in _values(getattr(provider, attr, None))}
    return frozenset(out)


def common_words(spacy_model: str) -> frozenset[str]:
    """Common words of the pipeline's language, folded: its lemmatizer's dictionary (when it ships one) and stop
    words. Only the package's files are read; nothing is loaded onto the pipeline."""
    return _lexicon(spacy_model)[0]


def non_noun_words(spacy_model: str) -> frozenset[str]:
    """The dictionary's verbs, adjectives and adverbs (with irregular forms: "ran", "young"): a lower-case word
    among them is not a name after a relation word ("my husband ran up debts")."""
    return _lexicon(spacy_model)[2]


def noun_only_words(spacy_model: str) -> frozenset[str]:
    """The dictionary's words that are only nouns, never verbs, adjectives or adverbs: the dictionary lists many
    surnames and first names this way ("macleod", "wright", "sarah"), so after a first name they may be surnames."""
    return _lexicon(spacy_model)[1]


@lru_cache(maxsize=8)
def _lexicon(spacy_model: str) -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    words: set[str] = set(_CHAT)
    lang = "xx"
    path: Path | None = None
    if spacy_model.startswith("blank:"):
        lang = spacy_model.split(":", 1)[1]
    else:
        try:
            if Path(spacy_model).is_dir():
                path = Path(spacy_model)
            elif spacy.util.is_package(spacy_model):
                pkg = spacy.util.get_package_path(spacy_model)
                metas = sorted(pkg.glob("*/meta.json")) or [pkg / "meta.json"]
                path = metas[0].parent
            if path is not None:
                lang = str(spacy.util.get_model_meta(path)["lang"])
        except (OSError, ValueError, KeyError):
            path = None
    with contextlib.suppress(ImportError, KeyError, ValueError):
        words |= {fold(w) for w in spacy.util.get_lang_class(lang).Defaults.stop_words}
    lookups = path / "lemmatizer" / "lookups" / "lookups.bin" if path is not None else None
    nouns: set[str] = set()
    others: set[str] = set()
    if lookups is not None and lookups.is_file():
        tables = Lookups().from_disk(lookups.parent)
        if tables.has_table("lemma_index"):
            index = tables.get_table("lemma_index")
            for pos, pos_words in index.items():
                target = nouns if pos == get_string_id("noun") else others
                target |= {fold(w) for w in pos_words if isinstance(w, str) and "_" not in w}
        for table_name in ("lemma_index", "lemma_exc"):
            if not tables.has_table(table_name):
                continue
            for pos_words in tables.get_table(table_name).values():
                if isinstance(pos_words, dict):
                    words |= {fold(w) for w in pos_words if "_" not in w}
                    for forms in pos_words.values():
                        words |= {fold(f) for f in forms if isinstance(f, str)}
                else:
                    words |= {fold(w) for w in pos_words if isinstance(w, str) and "_" not in w}
    if tables_read := bool(nouns):
        exc = set()
        for pos, pos_words in tables.get_table("lemma_exc").items() if tables.has_table("lemma_exc") else []:
            if isinstance(pos_words, dict):
                exc |= {fold(w) for w in pos_words}
                if pos != get_string_id("noun"):
                    others |= {fold(w) for w in pos_words}
        nouns -= others | exc | set(_CHAT)
    return frozenset(words), frozenset(nouns if tables_read else ()), frozenset(others)


PLACES_FILE = Path(__file__).parent / "data" / "places500.tsv.gz"
"""Towns, cities and neighbourhoods of 500 people or more, ``COUNTRY<TAB>NAME`` per line: GeoNames' cities500
(CC BY 4.0, https://www.geonames.org/), extracted by ``bench/build_places.py``."""


@lru_cache(maxsize=4)
def country_places(countries: tuple[str, ...]) -> frozenset[str]:
    """Names of the towns, cities and neighbourhoods (population 500 or more) of the given countries (ISO codes
    such as "GB"), from GeoNames (:data:`PLACES_FILE`). A place that is also a commonly given first name
    (:func:`common_first_names`: "Ashley", "Shirley") is left out, so it can still be redacted as a person."""
    if not countries:
        return frozenset()
    wanted = {c.upper() for c in countries}
    first = common_first_names()
    out = set()
    with gzip.open(PLACES_FILE, "rt", encoding="utf-8") as f:
        for line in f:
            cc, _, name = line.rstrip("\n").partition("\t")
            if cc in wanted and len(name) >= 3 and fold(name) not in first:
                out.add(name)
    return frozenset(out)
