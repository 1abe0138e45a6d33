"""Entities from the real spaCy English pipeline plus the domain ruler."""

from __future__ import annotations

import pytest

from pipeline.config import EntitiesConfig
from pipeline.entities import EntityExtractor, format_entities, parse_entities
from pipeline.errors import ConsultError


@pytest.fixture(scope="module")
def extractor() -> EntityExtractor:
    return EntityExtractor(EntitiesConfig())


def test_real_model_only_loads_ner(extractor: EntityExtractor) -> None:
    assert "parser" not in extractor.nlp.pipe_names and "tagger" not in extractor.nlp.pipe_names
    assert extractor.nlp.pipe_names[-1] == "ner"


def test_domain_and_statistical_entities(extractor: EntityExtractor) -> None:
    texts = [
        "I was followed off the Victoria line at Brixton and British Transport Police never called back.",
        "The CPS dropped it and the Met said it was a civil matter. I met him in Hackney.",
        "Sarah Jones from Croydon told TfL about the night bus.",
        "",
    ]
    ents = extractor.extract(texts)
    got = [{(e.label, e.canonical) for e in row} for row in ents]
    assert {("TRANSPORT", "Victoria line"), ("STATION", "Brixton"), ("AGENCY", "British Transport Police")} <= got[0]
    assert {
        ("AGENCY", "Crown Prosecution Service"),
        ("AGENCY", "Metropolitan Police Service"),
        ("BOROUGH", "Hackney"),
    } <= got[1]
    # "met" the verb is not the Met
    assert sum(1 for row in ents[1] if row.canonical == "Metropolitan Police Service") == 1
    assert ("BOROUGH", "Croydon") in got[2] and ("AGENCY", "Transport for London") in got[2]
    assert any(label == "PERSON" for label, _ in got[2])  # from spaCy's statistical NER
    assert ents[3] == []


def test_format_round_trip(extractor: EntityExtractor) -> None:
    ents = extractor.extract(["Reported to the IOPC in Lambeth"])[0]
    assert parse_entities(format_entities(ents)) == [
        ("AGENCY", "Independent Office for Police Conduct"),
        ("BOROUGH", "Lambeth"),
    ]


def test_blank_pipeline_for_another_language() -> None:
    ex = EntityExtractor(EntitiesConfig(spacy_model="blank:de"))
    ents = ex.extract(["Ich wurde in Hackney belästigt und die Metropolitan Police hat nichts getan."])[0]
    assert {(e.label, e.canonical) for e in ents} == {("BOROUGH", "Hackney"), ("AGENCY", "Metropolitan Police Service")}


def test_missing_model_is_a_clear_error() -> None:
    with pytest.raises(ConsultError, match="not installed"):
        EntityExtractor(EntitiesConfig(spacy_model="xx_no_such_model"))
