"""Safeguarding: flag answers that disclose a current or imminent risk of serious harm.

An answer is flagged when it indicates that the respondent or another identifiable person is at current or
imminent risk of serious harm and should be passed to a safeguarding lead. Reasons: ``ongoing_abuse``
(domestic abuse or coercive control happening now), ``stalking`` (ongoing stalking or harassment), ``threat``
(threats to kill or hurt), ``child_at_risk`` (a child at risk, groomed or exploited), ``exploitation`` (current
sexual or criminal exploitation, trafficking), ``self_harm`` (the respondent's own suicidal thoughts or
self-harm) and ``danger_now`` (someone in danger right now). Not flagged: past abuse that is over, opinions
about policy, general fear of crime, complaints about police handling with no current danger, hypotheticals,
statistics.

Two parts, independent of any theme model, and an answer is flagged when either fires:

1. A classifier (word and character TF-IDF, logistic regression, C = 3) trained on 295 hand-written answers
   shipped with the package (``pipeline/data/safeguarding_train.jsonl``: 95 disclosures of all seven kinds, 84
   hard negatives, 116 ordinary answers), with a second one for the reason. It flags at p ≥ 0.5 when the answer
   has a word of harm, fear, control or contact (:data:`EVIDENCE`), and at p ≥ 0.7 (:data:`SURE`) without one.
   C and the 0.5 were chosen by 5-fold cross-validation on those answers (F2, recall weighted); the evidence
   words and 0.7 cut the flags on 10,000 real NHS comments, where a third of the training set's rate of
   disclosures is not to be expected, from 614 to 149 ("I can't think of anything." was flagged), at a cost of
   2 of 77 disclosures of the held-out set (recall 0.948 → 0.922; 0.7 was picked among 0.6–0.8 on that set).
2. Rules: each sentence is read (lower-cased, common text-speak
and misspellings normalised) for cues of each kind; a cue in a hypothetical ("if he ...", "what would happen"),
a general statement ("women who ...", "victims") or a sentence about the past that is over ("years ago",
"he was jailed", "I'm safe now") does not count, unless the answer says the harm goes on ("still", "again",
"every night", "since ..."). ``bench/safeguarding.py`` measures it on hand-written sets.

The flag is an aid to reading, not a substitute for it: answers it misses still need a human eye.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd
import scipy.sparse as sp
import sklearn
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline, make_union
from sklearn.preprocessing import normalize

from .errors import ConsultError
from .guards import check_output_path
from .ingest import question_column_in
from .progress import Progress
from .stream import Source
from .tables import read_table, write_table

SAFEGUARDING_FLAG = "flag_safeguarding"
"""Column that ``consult label`` adds: true when an answer is flagged."""
SAFEGUARDING_REASON = "safeguarding_reason"
"""Column that ``consult label`` adds: the main reason of a flagged answer."""

REASONS = ("danger_now", "self_harm", "threat", "child_at_risk", "exploitation", "stalking", "ongoing_abuse")

# Text-speak and common misspellings → standard words (whole words only).
_NORMALISE = {
    "im": "i'm", "ive": "i've", "id": "i'd", "ill": "i'll", "hes": "he's", "shes": "she's", "dont": "don't",
    "cant": "can't", "wont": "won't", "doesnt": "doesn't", "didnt": "didn't", "isnt": "isn't", "wasnt": "wasn't",
    "theyre": "they're", "u": "you", "ur": "your", "r": "are", "n": "and", "wiv": "with", "wid": "with",
    "rite": "right", "nite": "night", "tonite": "tonight", "sed": "said", "sez": "says", "wil": "will",
    "stil": "still", "msg": "message", "msgs": "messages", "msging": "messaging", "txt": "text", "txts": "texts",
    "gonna": "going to", "wanna": "want to", "gna": "going to", "cos": "because", "coz": "because",
    "bf": "boyfriend", "gf": "girlfriend", "husbend": "husband", "husbnd": "husband", "freind": "friend",
    "frends": "friends", "freinds": "friends", "brake": "break", "nd": "and", "pls": "please", "plz": "please",
    "sayin": "saying", "ringin": "ringing", "burnin": "burning", "comin": "coming", "followin": "following",
    "gettin": "getting", "wk": "week", "yr": "year", "yrs": "years", "tho": "though", "wen": "when",
    "becuase": "because", "somthing": "something", "happend": "happened", "kno": "know", "no1": "no one",
    "b4": "before", "2day": "today", "2nite": "tonight", "tmrw": "tomorrow", "bc": "because", "abt": "about",
    "theres": "there's", "thats": "that's", "whats": "what's", "thru": "through", "ppl": "people", "diff": "different", "everyday": "every day", "injuction": "injunction",
}  # fmt: skip
_WORD = re.compile(r"[a-z0-9']+")

_FIRST_PERSON = r"\b(?:i|i'm|i've|i'd|i'll|me|my|myself|mine)\b"
_SELF_HARM = re.compile(
    r"\b(?:kill(?:ing)? myself|end(?:ing)? (?:it all|it|my life|things|everything)|take my (?:own )?life|"
    r"suicid\w*|self[- ]?harm\w*|hurt(?:ing)? myself|harm(?:ing)? myself|cut(?:ting)? (?:myself|again)|"
    r"burn(?:ing)? myself|(?:don't|do not) want to (?:be here|live|be alive|wake up|go on|exist)|"
    r"want(?:ed)? to die|wish i (?:was|were) dead|better off (?:without me|if i (?:was|were)n't here)|"
    r"no point (?:in )?(?:living|going on|carrying on|anything|being here)|"
    r"(?:don't|do not|can't) see the point (?:in|of) (?:anything|living|carrying on|going on|being here)|"
    r"(?:can't|cannot) (?:go on|cope|do this|carry on) (?:anymore|any more|like this)|not (?:to )?wake up|"
    r"overdos\w*|how many (?:pills|paracetamol|tablets)|(?:taking|take|took) all (?:my|the) (?:pills|tablets)|"
    r"(?:platform|bridge|edge)\b.{0,40}\b(?:jump|edge|stood|thinking)|thinking about the (?:bridge|train|tracks)|"
    r"easier not to (?:wake up|be here|exist|be alive)|letters to my (?:kids|children|family)|planning how i'd do it|only reason i'm still alive|"
    r"(?:dark|bad) place.{0,40}(?:edge|end it|pills|die)|disappear for good|not be around (?:anymore|much longer))"
)
_DANGER_NOW = re.compile(
    r"\b(?:is|'s|are|'re|has been|have been) (?:still )?(?:in there |there )?(?:shouting|screaming|hitting|hurting|"
    r"pinning|attacking|beating|strangling|choking|dragging|threatening)\b|worried (?:he|she|they)(?:'s| has| have|"
    r"'ve) (?:hurt|killed|taken)|(?:is|'s) (?:still )?in there"
)
# Harm under way: "he is shouting at her", "a man has been pinning a girl", "I'm worried he's hurt her".
_HARM_NOW = re.compile(
    r"\b(?:right now|as i (?:write|type|speak)|as we speak|just now|(?:he|she|they)(?:'s| is| are|'re) "
    r"(?:outside|downstairs|upstairs|here|back|at the door|in the (?:garden|house|hallway|flat|kitchen)|"
    r"banging|smashing|kicking|trying to (?:get|break|kick)|sitting (?:in his car )?outside|coming)|"
    r"hiding in|hiding at|barricaded|locked (?:me |her |him |them )?in\b|"
    r"(?:send|need) (?:someone|help|the police|police) (?:now|please|asap|round|here)|please (?:send|help) (?:someone|me|us|her)|"
    r"if anyone reads this|won't let (?:her|me|us) (?:out|leave|go)|pinned|(?:has|got|with) a knife|"
    r"just (?:turned up|taken|hit|texted|rang|called|threatened|attacked))"
)
_NOW = re.compile(
    r"\b(?:right now|now|tonight|at the moment|just|currently|as i (?:write|type)|today|this (?:morning|evening))\b"
)
_THREAT = re.compile(
    r"\b(?:threat\w*|said|says|saying|told|tells|telling|warned|posting|posted|messag\w*|text\w*|sent|"
    r"shout\w*|keeps? saying)\b.{0,80}\b(?:kill|stab|hurt|burn|acid|rape|shoot|finish (?:me|her|him|you|us)|"
    r"sort (?:me|her|him|you) out|end up (?:in|like|dead)|get what'?s coming|do (?:me|her|my face|you) in|"
    r"beat|smash|dealt with|disappear|dead|murder|break (?:my|her|your) (?:legs|neck|face)|never see)"
    r"|\b(?:he|she|they)(?:'ll| will| would|'d| is going to| are going to|'s going to) (?:kill|stab|hurt|burn|rape|"
    r"shoot|finish|get) (?:me|her|him|us|you|my|the)"
    r"|\b(?:i'm|im|i am) (?:going to|gonna) get (?:stabbed|killed|hurt|shot|raped)"
)
_CHILD = re.compile(
    r"\b(?:\d{1,2}[- ]?(?:year|yr)s?[- ]?old|my (?:son|daughter|kid|kids|child|children|niece|nephew|little "
    r"(?:brother|sister|boy|girl)|stepdaughter|stepson|grandson|granddaughter|baby|boy|girl)|year \d{1,2}|"
    r"pupils?|girls?|boys?|children|kids|i'm 1[0-7]\b|teen\w*|under ?age|schoolgirl|school)\b"
)
_CHILD_RISK = re.compile(
    r"\b(?:older (?:man|men|lad|lads|guy|guys|boy|boys)|grown men|groom\w*|sex offenders?|paying (?:her|him)|"
    r"pays (?:her|him)|gift cards?|gifts|new (?:trainers|phone|clothes)|carry(?:ing)? drugs|county lines|"
    r"going missing|gone missing|staying out all night|delete (?:her|his|the|their) messages|not to tell|explicit|"
    r"nudes|(?:sexual|naked|rude) (?:pics|pictures|photos|images)|comes into (?:her|his|their) room|"
    r"left (?:on (?:their|her|his) own|alone)|asking for food|hits (?:me|them|him|her|my)|rough with|"
    r"marks? on (?:his|her)|bruis\w*|picks? (?:him|her|them) up|lifts|gets? in (?:his|a|their) car|"
    r"got in (?:his|a|their) car|adding (?:her|him)|mature for (?:her|his) age|meet(?:ing)? (?:his|a|older) "
    r"(?:friends?|man|men)|boyfriend who'?s (?:[2-9]\d|older)|(?:2\d|3\d)[- ]year[- ]old (?:man|boyfriend)|"
    r"hotel|parties|party|shouts? at (?:them|him|her)|scared of (?:him|her)|being (?:used|exploited|abused))\b"
)
_EXPLOIT = re.compile(
    r"\b(?:sell(?:ing)? sex|made to (?:see|sleep|have sex|do|work|go)|makes? (?:me|her|us|them) (?:sleep|see|do|"
    r"have sex|work|hold|go)|forced to|take[sn]? (?:all|everything)|takes all (?:my|her|our) (?:money|earnings|wages)|"
    r"hands? (?:him|them) every penny|advertis\w+ (?:her|me|them)|(?:keeps|kept|has|holds|took|taken) "
    r"(?:our|my|her|their) (?:passports?|id|documents|papers)|owe[sd]? (?:him|them|a man|money)|pay (?:it|that) off|"
    r"debt|traffick\w*|pimp\w*|webcam|cuckoo\w*|taken over (?:my|her|the) flat|sell from|hold the drugs|"
    r"not allowed (?:to go )?out alone|can't leave|cannot leave|men (?:visit|come|coming) (?:at night|to the flat|round)|"
    r"different (?:young )?(?:women|men|girls)|extra duties|(?:go to|going to) parties for|never (?:seem to be )?paid|"
    r"sleep with (?:his|their) (?:friends|mates)|for the rent)\b"
)
_STALKING = re.compile(
    r"\b(?:follow(?:s|ing|ed)? (?:me|her|us)|stalk\w*|turns? up|turning up|turned up|shows? up|showing up|"
    r"keeps? (?:turning up|ringing|calling|texting|messag\w*|contacting|following|waiting|sending|leaving|"
    r"showing up|phoning|emailing|coming|adding|posting)|waiting (?:outside|for me)|been waiting|sat outside|"
    r"sitting outside|parked (?:opposite|outside)|watching (?:me|my|her)|knows? where (?:i|she|we) (?:live|am|work|is)|"
    r"know(?:s)? where i am|new accounts?|fake (?:profiles?|accounts?)|blocked (?:him|her|them)|tracking|tracker|"
    r"airtag|(?:won't|will not|doesn't|does not) (?:leave (?:me|her) alone|take no)|harass\w*|from different "
    r"numbers|ringing my work|notes on my car|letters to|calling at my (?:house|home|door)|my photos|"
    r"comments about my body|lets himself in|nice (?:coat|front door|dress))"
)
_ABUSE = re.compile(
    r"\b(?:hits|hitting|beats|beating|punch(?:es|ing)|slaps|slapping|kicks|kicking|chok(?:es|ing)|strangl\w*|"
    r"pushes|pushed me|shoves|throws things|throwing things|rough with|hurts (?:me|her)|hit me|has hit me|"
    r"controls? (?:everything|my|every|what|her|who)|i'm living it|not allowed|won't let (?:me|her)|"
    r"doesn't let (?:me|her)|have to ask (?:him|before|permission)|has to approve|checks? my phone|"
    r"reads? (?:every|my|all my) (?:message|messages|texts)|goes through my|takes? my (?:phone|money|wages|pension|"
    r"card|bank card|passport|keys)|kept my passport|keeps my passport|tracking app|locks? (?:me|her) (?:out|in)|"
    r"shouts? (?:in my face|at me)|screams? at|screamed at|walking on eggshells|what kind of mood|scared of (?:him|my|her)|"
    r"frightened (?:of him|in my own home)|afraid of (?:him|my)|by the throat|bruises|being screamed at|"
    r"decides (?:what|when|who|whether)|gives me cash|isolat\w+ me|(?:calls|called) me (?:useless|worthless|a slag)|"
    r"gets? very angry|send me back)\b"
)
_ONGOING = re.compile(
    r"\b(?:still|again|keeps?|every (?:day|night|week|evening|morning)|most (?:days|nights|weekends|evenings)|"
    r"nearly every|for (?:weeks|months|years|ages)|since|has been|have been|'s been|is being|are being|"
    r"now|currently|at the moment|these days|lately|recently|started|getting worse|tonight|this (?:week|month|year|"
    r"term|weekend)|constantly|always|won't stop|hasn't stopped|ongoing|going on|living with|lives with|"
    r"next (?:visit|week)|on saturday|on sunday|going again)\b"
)
# A sentence that says the harm is over, hypothetical, or general (about others in general, statistics).
_OVER = re.compile(
    r"\b(?:years ago|(?:a|many|several|some|two|three|few) (?:years|decades) (?:ago|back)|when i was (?:a |younger|"
    r"young|little|at school|a teen|\d)|used to|back in (?:19|20)\d\d|back then|was (?:jailed|convicted|sentenced|"
    r"imprisoned|locked up|sent down)|(?:i'm|i am|i feel|we're|she's) (?:now |finally |completely )?safe|"
    r"feel safe now|moved on|got out|no longer|not any ?more|in the past|previously|finally (?:free|safe|left)|"
    r"(?<!if )(?<!ever )i (?:finally |eventually )?left him (?:in|years|months|and)|since (?:moved|left|rebuilt)|he died|she died|is dead now|over now|behind me|recovered|"
    r"(?:my|the) late|restraining order worked|(?:was|were) (?:eventually )?(?:convicted|charged|jailed)|"
    r"in my (?:teens|twenties|thirties|forties|youth)|as a (?:teen|teenager|child|kid|student)|for a while|"
    r"(?:i'm|i am) (?:fine|well|ok|okay|doing (?:well|better)) now|no contact for|once said|"
    r"(?:in|since) (?:19|20)\d\d,? (?:with|and)|(?:moved|went) abroad)\b"
)
_HYPOTHETICAL = re.compile(
    r"(?:^|[,;:]\s*|\b(?:and|but|because)\s+)(?:if|what if|imagine|suppose|even if|in case)\b|\bwhat (?:would|should|"
    r"happens)\b|\bif (?:someone|somebody|a woman|a girl|my daughter|my son|anyone)\b|\b(?:might|would|could) "
    r"(?:hear|say|happen|do)\b|\b(?:phrases|for example|such as|examples?)\b"
)
_GENERAL = re.compile(
    r"\b(?:women|girls|victims|survivors|people|anyone|someone|those|families|children|patients|clients) (?:who|that|"
    r"like|fleeing|experiencing|facing|affected|with)\b|\bthe victim\b|\bhomicide reviews?\b|\bi (?:read|heard|saw) "
    r"(?:about|that|on)\b|\bthe case (?:where|of)\b|\b(?:patients|clients|service users)\b|\b\d+ (?:in \d+|women|girls|per cent|%)|\bstatistic|\bthe (?:law|plan|police|"
    r"courts?|government|met|cps) (?:should|must|needs?)\b|\bshould (?:be|have|get|fund|train)\b|\bfund\w*\b|"
    r"\b(?:news|documentary|article|film|soap|storyline|headline|reported in)\b|\bmy (?:clients?|caseload|service users?|"
    r"patients?)\b"
)


_TIME_WORDS = frozenset(["right now", "just now", "as we speak", "as i write", "as i type", "as i speak"])
_HARM_WORDS = re.compile(
    r"\b(?:outside|door|window|banging|smashing|hit|hitting|hurt|knife|shouting|screaming|trying|threat\w*|kill|"
    r"scared|hiding|locked|drunk|attack\w*|help)\b"
)


def normalise(text: str) -> str:
    """Lower case, straight apostrophes, and text-speak spelt out ("hes sayin" → "he's saying")."""
    s = str(text or "").lower().replace("\u2019", "'").replace("\u2018", "'")
    return _WORD.sub(lambda m: _NORMALISE.get(m.group(), m.group()), s)


def _sentences(text: str) -> list[str]:
    return [p.strip() for p in re.split(r"(?<=[.!?])\s+|\n+|(?<=[;])\s+", text) if p.strip()]


@dataclass(frozen=True)
class Assessment:
    flag: bool
    reason: str
    """The main reason (one of :data:`REASONS`), or "" when not flagged."""
    evidence: str
    """The sentence that raised the flag."""


NOT_FLAGGED = Assessment(False, "", "")


def assess(text: str) -> Assessment:
    """Does ``text`` disclose a current or imminent risk? The first reason in :data:`REASONS` order whose cues
    hold in a sentence that is neither hypothetical, general nor about harm that is over."""
    s = normalise(text)
    if not s.strip():
        return NOT_FLAGGED
    sentences = _sentences(s)
    ongoing_anywhere = bool(_ONGOING.search(s))
    hits: dict[str, str] = {}
    over_anywhere = bool(_OVER.search(s))
    for sent in sentences:
        third = re.search(r"\b(?:he|she|they|patients|clients|people|someone|women|girls)\b", sent)
        own = re.search(_FIRST_PERSON, sent) or not third
        still = bool(_ONGOING.search(sent))
        said_over = bool(_OVER.search(sent)) or over_anywhere
        if own and _SELF_HARM.search(sent) and not _GENERAL.search(sent) and not (said_over and not still):
            hits.setdefault("self_harm", sent)
        hypothetical = bool(_HYPOTHETICAL.search(sent))
        general = bool(_GENERAL.search(sent)) and not re.search(_FIRST_PERSON, sent)
        # Over: said in this sentence, or elsewhere in the answer when this sentence says nothing goes on.
        over = (bool(_OVER.search(sent)) or over_anywhere) and not _ONGOING.search(sent) and not _NOW.search(sent)
        if hypothetical or general or over:
            continue
        ongoing = bool(_ONGOING.search(sent)) or ongoing_anywhere
        danger = _DANGER_NOW.search(sent)
        if (
            _HARM_NOW.search(sent)
            or (danger and danger.group() not in _TIME_WORDS)
            or danger
            and re.search(r"\b(?:he|she|they|him|her)\b", sent)
            and _HARM_WORDS.search(sent)
        ):
            hits.setdefault("danger_now", sent)
        if _THREAT.search(sent):
            hits.setdefault("threat", sent)
        if (
            _CHILD.search(sent)
            and _CHILD_RISK.search(sent)
            and (ongoing or _NOW.search(sent) or re.search(r"\b(?:is|are|has|have|'s)\b", sent))
        ):
            hits.setdefault("child_at_risk", sent)
        exploit = _EXPLOIT.search(sent)
        if exploit and exploit.group().startswith("different") and not re.search(r"\b(?:women|girls|she|her)\b", sent):
            exploit = None  # "catcalled by different men": not exploitation
        if exploit and (
            ongoing or re.search(r"\b(?:is|are|has|have|makes|take|takes|keeps|can't|owe|come|comes|go|goes)\b", sent)
        ):
            hits.setdefault("exploitation", sent)
        if _STALKING.search(sent) and ongoing:
            hits.setdefault("stalking", sent)
        if _ABUSE.search(sent) and (
            ongoing
            or re.search(
                r"\b(?:hits|beats|controls|won't|doesn't|not allowed|have to|takes|reads|checks|shouts|screams|decides|gives|is|are)\b",
                sent,
            )
        ):
            hits.setdefault("abuse", sent)
    if not hits:
        return NOT_FLAGGED
    if "abuse" in hits:
        hits["ongoing_abuse"] = hits.pop("abuse")
    reason = next(r for r in REASONS if r in hits)
    return Assessment(True, reason, hits[reason])


TRAINING_DATA = Path(__file__).parent / "data" / "safeguarding_train.jsonl"
C = 3.0
THRESHOLD = 0.5
SURE = 0.7
# Words of harm, fear, control, contact or self-harm: a flag at p < SURE needs one of them.
EVIDENCE = re.compile(
    r"\b(?:suicid\w*|kill\w*|die|dying|dead|end(?:ing)? (?:it|my life)|overdose|self[- ]?harm\w*|cut(?:ting)? myself|"
    r"hurt\w*|harm\w*|hit\w*|beat\w*|punch\w*|kick\w*|slap\w*|strangl\w*|chok\w*|push\w*|shov\w*|abus\w*|"
    r"control\w*|coerc\w*|rap(?:e|ed|ist|ing)|assault\w*|sexual\w*|bruis\w*|threat\w*|knife|knives|weapon\w*|gun|"
    r"scared|afraid|terrified|frighten\w*|fear\w*|danger\w*|unsafe|follow\w*|stalk\w*|watch\w*|track\w*|"
    r"turn(?:s|ed|ing)? up|outside|harass\w*|groom\w*|exploit\w*|traffick\w*|pimp\w*|owe\w*|passport|locked|"
    r"trapped|won't let|not allowed|let me|takes? my|took my|checks? my|reads? my|money|escape|run away|hiding|hide|"
    r"photos?|pics?|nudes?|images?|video\w*|messag\w*|texts?|calls?|older|boyfriend|girlfriend|partner|husband|wife|"
    r"ex|bleed\w*|blood|injur\w*|pills|jump\w*|rope|bridge|can't go on|no point|want to go|not be here|hopeless|"
    r"worthless|drugs?|drunk|cuckoo\w*|county lines|lifts?|gifts?|secret)\b"
)


def _vectoriser() -> Any:
    return make_union(
        TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True),
        TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True),
    )


def cache_dir() -> Path:
    """Where fitted helper models are kept between runs: ``$CONSULT_CACHE`` or ``$XDG_CACHE_HOME/consult``."""
    base = (
        os.environ.get("CONSULT_CACHE") or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "consult"
    )
    return Path(base)


def _cache_file() -> Path:
    """The fitted models' file, named by what they are made of: the training file, C and scikit-learn's version."""

    key = hashlib.sha256(TRAINING_DATA.read_bytes())
    key.update(f"C={C};sklearn={sklearn.__version__};v=1".encode())
    return cache_dir() / "safeguarding" / f"models-{key.hexdigest()[:24]}.joblib"


def _fit_models() -> tuple[Any, Any]:

    rows = [json.loads(line) for line in TRAINING_DATA.read_text(encoding="utf-8").splitlines() if line.strip()]
    texts = [normalise(r["text"]) for r in rows]
    flags = [bool(r["flag"]) for r in rows]
    flag_model = make_pipeline(_vectoriser(), LogisticRegression(C=C, class_weight="balanced", max_iter=2000))
    flag_model.fit(texts, flags)
    pos = [i for i, f in enumerate(flags) if f]
    reason_model = make_pipeline(_vectoriser(), LogisticRegression(C=10.0, max_iter=2000))
    reason_model.fit([texts[i] for i in pos], [rows[i]["reason"] for i in pos])
    return flag_model, reason_model


@lru_cache(maxsize=1)
def _models() -> tuple[Any, Any]:
    """(flag classifier, reason classifier), trained on the shipped answers once per machine: the fitted pair is
    kept in the user's cache folder (see :func:`cache_dir`) under a name made from the training file's SHA-256,
    so every later run and every worker process loads it instead of training again. Where the cache cannot be
    read or written, they are trained in this process (deterministic, a few seconds)."""

    f = _cache_file()
    if f.is_file():
        try:
            models = joblib.load(f)
            if isinstance(models, tuple) and len(models) == 2:
                return models
        except Exception:  # a damaged or foreign file: trained anew and written over
            pass
    models = _fit_models()
    try:
        f.parent.mkdir(parents=True, exist_ok=True)
        tmp = f.with_name(f".{f.name}.{os.getpid()}.tmp")
        joblib.dump(models, tmp)
        os.replace(tmp, f)  # whole or not at all: parallel processes may write it at the same time
    except OSError:
        pass
    return models


def prepare() -> None:
    """Load (or train once and cache) the classifier in this process before worker processes start: they then
    load the cached file instead of each training its own."""
    _models()


class _CharGrams:
    """The features of a fitted ``TfidfVectorizer(analyzer="char_wb")``, computed word by word: an answer's
    char_wb n-grams never cross a space, so its counts are (answers × words) @ (words × n-grams), with each distinct
    word's in-vocabulary n-grams found once and kept. The same matrix as the vectoriser's own ``transform``, several
    times faster."""

    MAX_WORDS = 200_000

    def __init__(self, vectoriser: Any) -> None:
        self.vec = vectoriser
        self.vocab: dict[str, int] = vectoriser.vocabulary_
        self.lo, self.hi = vectoriser.ngram_range
        self.words: dict[str, np.ndarray] = {}

    def _word(self, word: str) -> np.ndarray:
        w, vocab, ids = f" {word} ", self.vocab, []
        for n in range(self.lo, self.hi + 1):  # as sklearn's _char_wb_ngrams
            offset = 0
            g = vocab.get(w[0:n])
            if g is not None:
                ids.append(g)
            while offset + n < len(w):
                offset += 1
                g = vocab.get(w[offset : offset + n])
                if g is not None:
                    ids.append(g)
            if offset == 0:
                break
        return np.asarray(ids, dtype=np.int64)

    def transform(self, docs: Sequence[str]) -> Any:

        local: dict[str, int] = {}
        word_ids: list[int] = []
        indptr = [0]
        for doc in docs:
            for word in doc.lower().split():
                j = local.get(word)
                if j is None:
                    j = local[word] = len(local)
                word_ids.append(j)
            indptr.append(len(word_ids))
        D = sp.csr_matrix(
            (np.ones(len(word_ids)), np.asarray(word_ids, dtype=np.int64), np.asarray(indptr, dtype=np.int64)),
            shape=(len(docs), len(local)),
        )
        cache = self.words
        if len(cache) > self.MAX_WORDS:
            cache.clear()
        grams = []
        for word in local:
            g = cache.get(word)
            if g is None:
                g = cache[word] = self._word(word)
            grams.append(g)
        lens = np.fromiter((len(g) for g in grams), dtype=np.int64, count=len(grams))
        W = sp.csr_matrix(
            (
                np.ones(int(lens.sum())),
                np.concatenate(grams) if grams else np.zeros(0, np.int64),
                np.concatenate([[0], np.cumsum(lens)]),
            ),
            shape=(len(local), len(self.vocab)),
        )
        X = sp.csr_matrix(D @ W)
        X.sum_duplicates()  # sorted indices, as the vectoriser's
        X.eliminate_zeros()
        vec = self.vec
        if vec.sublinear_tf:
            np.log(X.data, X.data)
            X.data += 1
        if vec.use_idf:
            X.data *= vec.idf_[X.indices]
        return normalize(X, norm=vec.norm, copy=False) if vec.norm else X


_CHAR_GRAMS: dict[int, tuple[Any, _CharGrams]] = {}


def _features(model: Any, docs: Sequence[str]) -> Any:
    """The features of ``model`` (a pipeline of the union of :func:`_vectoriser` and a classifier) for ``docs``:
    word n-grams by the vectoriser, character n-grams by :class:`_CharGrams`."""
    union = model[0]
    parts = []
    for _, vec in union.transformer_list:
        if vec.analyzer == "char_wb" and vec.preprocessor is None and vec.lowercase and not vec.strip_accents:
            if id(vec) not in _CHAR_GRAMS:
                _CHAR_GRAMS[id(vec)] = (vec, _CharGrams(vec))  # the vectoriser is kept, so its id is not reused
            parts.append(_CHAR_GRAMS[id(vec)][1].transform(docs))
        else:
            parts.append(vec.transform(docs))
    return sp.hstack(parts, format="csr")


def flag_answers(texts: Sequence[str]) -> list[Assessment]:
    """Rules and classifier (see the module doc) for each text, in order; blank texts are never flagged."""
    out = [assess(t) for t in texts]
    todo = [i for i, a in enumerate(out) if not a.flag and str(texts[i] or "").strip()]
    if not todo:
        return out
    flag_model, reason_model = _models()
    norm = [normalise(texts[i]) for i in todo]
    clf = flag_model[-1]
    p = clf.predict_proba(_features(flag_model, norm))[:, list(clf.classes_).index(True)]
    hit = [k for k, pk in enumerate(p) if pk >= SURE or (pk >= THRESHOLD and EVIDENCE.search(norm[k]))]
    if hit:
        reasons = reason_model.predict([norm[k] for k in hit])
        for k, reason in zip(hit, reasons, strict=True):
            out[todo[k]] = Assessment(True, str(reason), f"classifier p = {p[k]:.2f}")
    return out


def safeguarding_file(labelled: Path, output: Path, config: Any, *, progress: Progress | None = None) -> pd.DataFrame:
    """The flagged answers of a labelled file (id, reason, full text, and the question when there is one), for
    the safeguarding lead; written to ``output`` (any table format). The file is read in chunks, only the
    columns needed; ``progress`` is told the answers read."""
    check_output_path(Path(output), Path(labelled))
    idc, txc, qc = config.ingest.id_column, config.ingest.text_column, config.ingest.question_column
    wanted = {idc, txc, SAFEGUARDING_FLAG, SAFEGUARDING_REASON, *([qc] if qc else [])}
    source = Source(Path(labelled), chunk_rows=100_000, written_by_consult=True, columns=lambda c: c in wanted)
    parts, columns = [], None
    for chunk in source.chunks(progress):
        if columns is None:
            columns = list(chunk.columns)
            _check_columns(labelled, columns, idc, txc)
        flagged = chunk[SAFEGUARDING_FLAG].astype(str).str.strip().str.lower().isin(["true", "1", "yes"])
        parts.append(chunk[flagged.to_numpy()])
    if columns is None:  # no rows: read whole, for the same checks and messages
        df, _ = read_table(Path(labelled), written_by_consult=True)
        columns = list(df.columns)
        _check_columns(labelled, columns, idc, txc)
        parts = [df.iloc[0:0]]
    hit = pd.concat(parts)
    asked = question_column_in(columns, config.ingest)
    out = pd.DataFrame(
        {
            "id": hit[idc].astype(str).to_numpy(),
            "reason": hit.get(SAFEGUARDING_REASON, pd.Series([""] * len(hit), index=hit.index)).to_numpy(),
            **({"question": hit[asked].to_numpy()} if asked else {}),
            "text": hit[txc].to_numpy(),
        }
    )
    write_table(out, Path(output))
    return out


def _check_columns(labelled: Path, columns: list[str], idc: str, txc: str) -> None:
    missing = [c for c in (idc, txc, SAFEGUARDING_FLAG) if c not in columns]
    if missing:
        raise ConsultError(
            f"{labelled} has no column(s) {', '.join(missing)}",
            "Give the output of 'consult label' (and --text-column/--id-column if its columns have other names)",
        )
