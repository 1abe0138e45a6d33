"""Text features of the theme model: what a Pipeline makes of answers before the classifier sees them.

Text normalisation (the clean stage's, as a Pipeline step), word tokens (spaCy's tokenizer of the data's language,
or a Unicode word regex), word and character n-gram TF-IDF blocks (plus, opt-in, sentence embeddings), and
:class:`QuestionFeatures`: a copy of the features per question when the answers say which question they respond to.
:func:`model_input` is what a theme Pipeline takes; :func:`pipeline_input` gives it for a fitted Pipeline.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any, TypeAlias

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import FeatureUnion
from sklearn.utils.validation import check_is_fitted
from spacy.tokenizer import Tokenizer

from .clean import normalise_text
from .config import ModelConfig
from .embeddings import SentenceEmbeddings
from .entities import blank_pipeline
from .errors import ConsultError
from .provenance import package_versions

_WORD = re.compile(r"(?u)\b\w+\b")


ModelInput: TypeAlias = Sequence[str] | pd.DataFrame


def model_input(texts: Sequence[str], questions: Sequence[str] | None = None) -> ModelInput:
    """What a theme Pipeline takes: the answers' texts or, with the question each answers, a frame of both."""
    if questions is None:
        return list(texts)
    return pd.DataFrame({"text": [str(t) for t in texts], "question": [str(q) for q in questions]})


def texts_and_questions(X: ModelInput) -> tuple[list[str], list[str] | None]:
    if isinstance(X, pd.DataFrame):
        return X["text"].tolist(), X["question"].tolist()
    return list(X), None


class TextNormaliser(TransformerMixin, BaseEstimator):
    """The clean stage's normalisation as a Pipeline step (stateless)."""

    def fit(self, X: ModelInput, y: Any = None) -> TextNormaliser:
        return self

    def transform(self, X: ModelInput) -> ModelInput:
        if isinstance(X, pd.DataFrame):
            out = X.copy()
            out["text"] = [normalise_text(x) for x in X["text"]]
            return out
        return [normalise_text(x) for x in X]


class SpacyTokenizer:
    """Word tokens from a blank spaCy pipeline of ``lang`` (picklable; the tokenizer is built lazily).

    spaCy's rule-based tokenizer splits the text at whitespace and tokenises each piece on its own, so each
    distinct piece is tokenised once and cached (same tokens, several times faster). Languages with their own
    segmenter (Chinese, Japanese, Thai, ...) are tokenised whole."""

    _cache_limit = 500_000

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self._tok: Any = None
        self._pieces: dict[str, list[str]] | None = None

    def __getstate__(self) -> dict[str, Any]:
        return {"lang": self.lang}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.lang = state["lang"]
        self._tok = None
        self._pieces = None

    def _words(self, text: str) -> list[str]:
        return [t.text for t in self._tok(text) if not (t.is_punct or t.is_space)]

    def __call__(self, text: str) -> list[str]:
        if self._tok is None:
            self._tok = blank_pipeline(self.lang).tokenizer
            self._pieces = {} if type(self._tok) is Tokenizer else None
        pieces = self._pieces
        if pieces is None:
            return self._words(text)
        out: list[str] = []
        for piece in text.split():
            words = pieces.get(piece)
            if words is None:
                words = self._words(piece)
                if len(pieces) < self._cache_limit:
                    pieces[piece] = words
            out.extend(words)
        return out


class RegexTokenizer:
    """Unicode word tokens (letters and digits), for any language that separates words with spaces."""

    def __call__(self, text: str) -> list[str]:
        return _WORD.findall(text)


class CharWbNgrams:
    """scikit-learn's ``char_wb`` analyzer: character n-grams inside space-padded, lower-cased words."""

    def __init__(self, ngram_range: tuple[int, int]) -> None:
        self.ngram_range = (int(ngram_range[0]), int(ngram_range[1]))

    def word(self, word: str) -> list[str]:
        w = f" {word} "
        n_chars = len(w)
        out: list[str] = []
        for n in range(self.ngram_range[0], self.ngram_range[1] + 1):
            if n_chars <= n:  # a short word counts once, whole
                out.append(w)
                break
            out.extend(w[i : i + n] for i in range(n_chars - n + 1))
        return out

    def __call__(self, text: str) -> list[str]:
        return [g for w in text.lower().split() for g in self.word(w)]


class CharTfidfVectorizer(TfidfVectorizer):
    """TF-IDF over :class:`CharWbNgrams`, with a fast ``transform``: each distinct word is cut into n-grams and
    looked up in the vocabulary once, then cached (answers repeat the same words). Same output as the plain
    vectorizer; the cache is not pickled."""

    _cache_limit = 500_000

    def __getstate__(self) -> dict[str, Any]:
        state = super().__getstate__()
        state.pop("_word_ids", None)
        return state

    def transform(self, raw_documents: Any) -> Any:
        check_is_fitted(self, "vocabulary_")
        if not isinstance(self.analyzer, CharWbNgrams):
            return super().transform(raw_documents)
        vocab = self.vocabulary_
        cache: dict[str, list[int]] = self.__dict__.setdefault("_word_ids", {})
        cut = self.analyzer.word
        indices: list[int] = []
        indptr = [0]
        for doc in raw_documents:
            for word in doc.lower().split():
                ids = cache.get(word)
                if ids is None:
                    ids = [vocab[g] for g in cut(word) if g in vocab]
                    if len(cache) < self._cache_limit:
                        cache[word] = ids
                indices.extend(ids)
            indptr.append(len(indices))
        counts = sp.csr_matrix(
            (np.ones(len(indices), dtype=self.dtype), np.asarray(indices, dtype=np.int64), np.asarray(indptr)),
            shape=(len(indptr) - 1, len(vocab)),
        )
        counts.sum_duplicates()
        return self._tfidf.transform(counts, copy=False)


def build_features(config: ModelConfig, lang: str) -> FeatureUnion:
    tokenizer: Callable[[str], list[str]] = SpacyTokenizer(lang) if config.tokenizer == "spacy" else RegexTokenizer()
    tokenizer("")  # load it now: a language spaCy cannot tokenise fails before any training
    common: dict[str, Any] = {
        "lowercase": True,
        "min_df": config.min_df,
        "max_df": config.max_df,
        "sublinear_tf": config.sublinear_tf,
        "dtype": np.float32,
    }
    word = TfidfVectorizer(
        tokenizer=tokenizer,
        token_pattern=None,
        ngram_range=tuple(config.word_ngram_range),
        max_features=config.max_features_word,
        **common,
    )
    char = CharTfidfVectorizer(
        analyzer=CharWbNgrams(tuple(config.char_ngram_range)),  # type: ignore[arg-type]
        max_features=config.max_features_char,
        **common,
    )
    blocks: list[tuple[str, Any]] = [("word", word), ("char", char)]
    if not config.sentence_model:
        return FeatureUnion(blocks)
    blocks.append(("sentence", SentenceEmbeddings(config.sentence_model)))
    return FeatureUnion(blocks, transformer_weights={"sentence": config.sentence_weight})


class QuestionFeatures(TransformerMixin, BaseEstimator):
    """Text features, plus a copy of them for each frequent question of the training answers, filled only in
    the rows answering that question and scaled by ``weight`` (feature augmentation, Daumé III 2007).

    The shared copy learns what words mean in any answer, a question's copy what they mean under that question
    ("nothing" to "what was good?" and to "what could be better?"). Answers to a question not in the list, and
    input without questions, get the shared features only.
    """

    def __init__(
        self, features: FeatureUnion, weight: float = 0.5, min_answers: int = 30, max_questions: int = 10
    ) -> None:
        self.features = features
        self.weight = weight
        self.min_answers = min_answers
        self.max_questions = max_questions

    def _choose(self, questions: list[str] | None) -> list[str]:
        if questions is None or self.weight <= 0:
            return []
        counts = pd.Series(questions).value_counts()
        counts = counts[(counts >= self.min_answers) & (counts.index.astype(str).str.strip() != "")]
        return sorted(counts.index[: self.max_questions].astype(str))

    def fit(self, X: ModelInput, y: Any = None) -> QuestionFeatures:
        self.fit_transform(X)
        return self

    def fit_transform(self, X: ModelInput, y: Any = None, **fit_params: Any) -> sp.csr_matrix:
        texts, questions = texts_and_questions(X)
        self.questions_ = self._choose(questions)
        return self._augment(self.features.fit_transform(texts).tocsr(), questions)

    def transform(self, X: ModelInput) -> sp.csr_matrix:
        check_is_fitted(self, "questions_")
        texts, questions = texts_and_questions(X)
        return self._augment(self.features.transform(texts).tocsr(), questions)

    def _augment(self, B: sp.csr_matrix, questions: list[str] | None) -> sp.csr_matrix:
        k = len(self.questions_)
        if not k:
            return B
        n, d = B.shape
        if questions is None:
            return sp.hstack([B, sp.csr_matrix((n, k * d), dtype=B.dtype)], format="csr")
        block = {q: j for j, q in enumerate(self.questions_)}
        row_block = np.array([block.get(str(q), -1) for q in questions], dtype=np.int64)
        # The copy holds each answered row's entries, scaled, shifted into its question's block: built from
        # B's arrays directly (no matrix product).
        lengths = np.diff(B.indptr)
        asked = row_block >= 0
        entries = np.repeat(asked, lengths)
        shift = np.repeat(row_block[asked] * d, lengths[asked])
        indptr = np.concatenate([[0], np.cumsum(np.where(asked, lengths, 0))])
        copy = sp.csr_matrix(
            (B.data[entries] * B.dtype.type(self.weight), B.indices[entries].astype(np.int64) + shift, indptr),
            shape=(n, k * d),
        )
        return sp.hstack([B, copy], format="csr")


def pipeline_questions(pipe: Any) -> list[str]:
    """The questions a theme Pipeline has features for ([]: it takes texts alone, not :func:`model_input` with
    questions; so do models saved before questions were read)."""
    return list(getattr(pipe.named_steps.get("features"), "questions_", None) or [])


def sentence_block(pipe: Any) -> dict[str, Any] | None:
    """The sentence-embedding block of a theme Pipeline, for its card: model name, weights' SHA-256, dimensions
    and the versions of the libraries that ran it (``None`` without one)."""
    features = pipe.named_steps.get("features")
    union = getattr(features, "features", features)
    for _, block in getattr(union, "transformer_list", []):
        if hasattr(block, "weights_sha256_"):
            return {
                "name": block.model,
                "sha256": block.weights_sha256_,
                "dimensions": block.dim_,
                "versions": package_versions(("sentence-transformers", "transformers", "torch")),
            }
    return None


def pipeline_input(
    pipe: Any, texts: Sequence[str], questions: Sequence[str] | None, name: str = "This model"
) -> ModelInput:
    """What the fitted theme (or tone) Pipeline ``pipe`` takes for ``texts``: with the question each responds to
    when it reads questions, else the texts alone. A Pipeline that reads questions refuses input without them."""
    asked = pipeline_questions(pipe)
    if not asked:
        return list(texts)
    if questions is None:
        raise ConsultError(
            f"{name} reads the question each answer responds to (it was trained on {len(asked)}: "
            f"{', '.join(asked[:3])}{' ...' if len(asked) > 3 else ''}), and this file has no question column",
            "Add the column (named 'question', or name it with --set ingest.question_column=NAME)",
        )
    return model_input(texts, questions)
