"""Text features: fast character n-grams equal to sklearn's, per-question feature copies, cached spaCy tokens."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import FeatureUnion

from pipeline.features import CharTfidfVectorizer, CharWbNgrams, QuestionFeatures, SpacyTokenizer, model_input

from .test_classify import COURT, LIGHT, PATROL


@pytest.mark.parametrize("ngrams", [(1, 1), (2, 5), (3, 6)])
def test_fast_char_features_equal_sklearn_char_wb(ngrams: tuple[int, int]) -> None:
    train = LIGHT + PATROL + COURT
    new = ["Dark STATION  lights\tat night", "", "zzqx unseen words", "a", "Straße café"]
    kw = {"min_df": 1, "sublinear_tf": True, "dtype": np.float32}
    ref = TfidfVectorizer(analyzer="char_wb", ngram_range=ngrams, **kw).fit(train)
    fast = CharTfidfVectorizer(analyzer=CharWbNgrams(ngrams), **kw).fit(train)
    assert fast.vocabulary_ == ref.vocabulary_
    for _ in range(2):  # second pass runs from the word cache
        assert abs(fast.transform(new) - ref.transform(new)).max() == 0


def test_question_features_copy_an_answers_features_into_its_questions_block() -> None:
    texts = ["dark park", "dark street", "more patrols", "patrols please", "dark park", "no patrols"]
    questions = ["Q1", "Q1", "Q1", "Q2", "Q2", "Q3"]
    words = lambda: FeatureUnion([("w", TfidfVectorizer())])  # noqa: E731
    qf = QuestionFeatures(words(), weight=0.5, min_answers=2, max_questions=10)
    M = qf.fit_transform(model_input(texts, questions)).toarray()
    B = TfidfVectorizer().fit_transform(texts).toarray()
    d = B.shape[1]
    assert qf.questions_ == ["Q1", "Q2"]  # Q3 has one answer, fewer than min_answers
    assert M.shape == (6, 3 * d)
    np.testing.assert_allclose(M[:, :d], B, rtol=1e-6)  # the shared copy
    for row, q in enumerate(questions):
        for block, name in enumerate(["Q1", "Q2"], start=1):
            want = 0.5 * B[row] if q == name else np.zeros(d)
            np.testing.assert_allclose(M[row, block * d : (block + 1) * d], want, rtol=1e-6)
    # Unseen questions and input without questions get the shared copy only.
    np.testing.assert_allclose(qf.transform(model_input(["dark park"], ["Q9"])).toarray()[0, d:], 0)
    plain = qf.transform(["dark park"]).toarray()
    assert plain.shape == (1, 3 * d) and not plain[0, d:].any()
    assert QuestionFeatures(words(), 0.5, 2, max_questions=1).fit(model_input(texts, questions)).questions_ == ["Q1"]
    assert QuestionFeatures(words(), weight=0.0, min_answers=1).fit_transform(model_input(texts, questions)).shape == (
        6,
        d,
    )


@pytest.mark.parametrize("lang", ["en", "de", "fr", "zh"])
def test_cached_spacy_tokens_equal_tokenising_the_whole_text(lang: str) -> None:
    import spacy

    texts = [
        *LIGHT,
        "Im Park gibt es nachts kein Licht (z.B. am Bahnhof)!",
        "a\u00a0b  c\n\nd\t e",
        "e-mail: x@y.com http://a.b/c?d=e :-) U.K. don't can't",
        "«Bonjour», l'été — c'est ça...",
        "公园晚上没有灯。",
        "",
    ]
    whole = spacy.blank(lang).tokenizer
    tok = SpacyTokenizer(lang)
    for _ in range(2):  # cold, then from the cache
        for t in texts:
            assert tok(t) == [w.text for w in whole(t) if not (w.is_punct or w.is_space)], t
    assert (tok._pieces is None) == (lang == "zh")  # a language with its own segmenter is tokenised whole
