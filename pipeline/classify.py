"""Stage 4 — themes: a scikit-learn multi-label (or single-label) theme classifier.

The saved object is one sklearn ``Pipeline``: text normalisation → word and character n-gram TF-IDF (plus, when
the answers say which question they respond to, a copy of those features per question: :class:`QuestionFeatures`)
→ :class:`ThemeClassifier` (one linear model per theme, optionally averaged with an NB-SVM member;
probabilities calibrated on out-of-fold scores; per-theme decision thresholds). Text preparation travels
with the model, so it cannot drift between training and labelling.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.optimize import minimize_scalar
from scipy.special import expit, log_softmax, logit, softmax
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import FeatureUnion
from sklearn.svm import LinearSVC
from sklearn.utils.validation import check_is_fitted

from .clean import normalise_text
from .config import ModelConfig

_WORD = re.compile(r"(?u)\b\w+\b")


# --- text preparation -------------------------------------------------------------------------------------


ModelInput = Sequence[str] | pd.DataFrame


def model_input(texts: Sequence[str], questions: Sequence[str] | None = None) -> ModelInput:
    """What a theme Pipeline takes: the answers' texts or, with the question each answers, a frame of both."""
    if questions is None:
        return list(texts)
    return pd.DataFrame({"text": [str(t) for t in texts], "question": [str(q) for q in questions]})


def _texts_and_questions(X: ModelInput) -> tuple[list[str], list[str] | None]:
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
            from spacy.tokenizer import Tokenizer

            from .entities import blank_pipeline

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
    from .embeddings import SentenceEmbeddings

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
        texts, questions = _texts_and_questions(X)
        self.questions_ = self._choose(questions)
        return self._augment(self.features.fit_transform(texts).tocsr(), questions)

    def transform(self, X: ModelInput) -> sp.csr_matrix:
        check_is_fitted(self, "questions_")
        texts, questions = _texts_and_questions(X)
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
    from .modelstore import package_versions

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


# --- the classifier ----------------------------------------------------------------------------------------


def class_weights(y: np.ndarray, scheme: str) -> dict[int, float] | None:
    """``balanced``: n / (k * n_c); ``balanced_sqrt``: its square root (halfway to no weighting); ``none``."""
    if scheme == "none":
        return None
    classes, counts = np.unique(y, return_counts=True)
    w = len(y) / (len(classes) * counts.astype(float))
    if scheme == "balanced_sqrt":
        w = np.sqrt(w)
    return {int(c): float(v) for c, v in zip(classes, w, strict=True)}


def _base_estimator(config: ModelConfig, C: float, y: np.ndarray) -> BaseEstimator:
    cw = class_weights(y, config.class_weight)
    if config.estimator == "svm":
        return LinearSVC(C=C, class_weight=cw, dual="auto", max_iter=5000, random_state=config.random_state)
    solver = "saga" if len(np.unique(y)) > 2 else "lbfgs"  # the faster of the two for each case
    return LogisticRegression(C=C, class_weight=cw, max_iter=2000, solver=solver, random_state=config.random_state)


def _compact(est: Any) -> Any:
    """Keep a fitted linear model's weights in float32, as the features are: half the model's size, and scores
    that differ from float64 weights by rounding only."""
    est.coef_ = np.asarray(est.coef_, dtype=np.float32)
    return est


def _scores(est: Any, X: Any) -> np.ndarray:
    s = est.decision_function(X)
    return s.reshape(-1, 1) if s.ndim == 1 else s


@dataclass
class Platt:
    """Sigmoid calibration of one theme's scores: p = 1 / (1 + exp(-(a * s + b)))."""

    a: float = 1.0
    b: float = 0.0

    @classmethod
    def fit(cls, scores: np.ndarray, y: np.ndarray) -> Platt:
        if y.min() == y.max():
            return cls(0.0, 10.0 if y.max() else -10.0)
        lr = LogisticRegression(C=1e4, solver="lbfgs").fit(scores.reshape(-1, 1), y)
        return cls(float(lr.coef_[0, 0]), float(lr.intercept_[0]))

    def __call__(self, scores: np.ndarray) -> np.ndarray:
        return expit(self.a * scores + self.b)


def fit_temperature(scores: np.ndarray, y: np.ndarray) -> float:
    """Softmax temperature minimising the log loss of single-label scores."""

    def nll(log_t: float) -> float:
        return float(-log_softmax(scores / np.exp(log_t), axis=1)[np.arange(len(y)), y].mean())

    res = minimize_scalar(nll, bounds=(-5.0, 5.0), method="bounded")
    return float(np.exp(res.x))


def nb_ratios(X: Any, Y: np.ndarray, alpha: float = 1.0) -> np.ndarray:
    """Naive-Bayes log-count ratio of every feature for every theme, shape (themes, features): how much more
    often the feature occurs in answers with the theme than in answers without it (on presence counts)."""
    B = X.copy().tocsr()
    B.data[:] = 1.0
    pos = np.asarray(B.T @ Y.astype(np.float32)).T  # (themes, features)
    neg = np.asarray(B.sum(axis=0)).ravel()[None, :] - pos
    p = alpha + pos
    q = alpha + neg
    return (np.log(p / p.sum(axis=1, keepdims=True)) - np.log(q / q.sum(axis=1, keepdims=True))).astype(np.float32)


@dataclass
class NBMember:
    """The second member of the ensemble: NB-SVM (Wang & Manning 2012). For each theme the features are scaled
    by their naive-Bayes log-count ratios and a linear SVM is fitted on them; the ratios are then folded into
    its weights, so scoring is one sparse-dense product, as cheap as the first member."""

    coef: np.ndarray  # (themes, features), float32
    intercept: np.ndarray  # (themes,)

    @classmethod
    def fit(cls, X: Any, Y: np.ndarray, config: ModelConfig, C: float, mode: str) -> NBMember:
        """One SVM per theme. Single-label: each answer weighted by its theme's class weight, as the one-vs-rest
        models of the first member are; multi-label: each theme's own balanced weights."""
        X = X.tocsr()
        ratios = nb_ratios(X, Y)
        sample_weight = None
        if mode == "single":
            y_all = Y.argmax(axis=1)
            cw = class_weights(y_all, config.class_weight)
            sample_weight = None if cw is None else np.array([cw[int(c)] for c in y_all])
        coef = np.zeros((Y.shape[1], X.shape[1]), dtype=np.float32)
        intercept = np.zeros(Y.shape[1])
        for j in range(Y.shape[1]):
            y = Y[:, j]
            if y.min() == y.max():
                intercept[j] = 1e3 if y.max() else -1e3
                continue
            svm = LinearSVC(
                C=C,
                class_weight=None if mode == "single" else class_weights(y, config.class_weight),
                dual="auto",
                max_iter=5000,
                random_state=config.random_state,
            )
            svm.fit(X @ sp.diags(ratios[j]), y, sample_weight=sample_weight)
            coef[j] = svm.coef_.ravel() * ratios[j]
            intercept[j] = svm.intercept_[0]
        return cls(coef, intercept)

    def scores(self, X: Any) -> np.ndarray:
        return np.asarray(X @ self.coef.T, dtype=np.float64) + self.intercept


def calibrate_scores(calibration: list[Platt] | float, scores: np.ndarray, mode: str) -> np.ndarray:
    """Probabilities from raw scores: softmax with temperature (single-label) or Platt per theme."""
    if mode == "single":
        return softmax(scores / float(calibration), axis=1)  # type: ignore[arg-type]
    return np.column_stack([cal(scores[:, j]) for j, cal in enumerate(calibration)])  # type: ignore[union-attr]


def _decided(proba: np.ndarray, weights: np.ndarray) -> np.ndarray:
    return (proba * weights).argmax(axis=1)


def _logit(p: np.ndarray) -> np.ndarray:
    return logit(np.clip(p, 1e-6, 1 - 1e-6))


def fit_top_calibration(proba: np.ndarray, Y: np.ndarray, weights: np.ndarray) -> Platt | None:
    """Single-label: a Platt map from the logit of the decided theme's probability to the share of such
    decisions that are right, fitted on out-of-fold probabilities. ``None`` when the fitted map does not
    increase (too few or uninformative rows): then the probabilities are left as they are."""
    if len(proba) == 0 or proba.shape[1] < 2:
        return None
    rows = np.arange(len(proba))
    d = _decided(proba, weights)
    top = Platt.fit(_logit(proba[rows, d]), Y[rows, d].astype(int))
    return top if top.a > 0 else None


def recalibrate_top(proba: np.ndarray, weights: np.ndarray, top: Platt) -> np.ndarray:
    """The decided theme gets ``top``'s probability and the other themes share the rest in proportion to their
    own, so rows still sum to one and no decision changes (where the map would change one, the decided theme
    keeps just enough probability to stay decided)."""
    n, k = proba.shape
    if n == 0 or k < 2:
        return proba
    rows = np.arange(n)
    d = _decided(proba, weights)
    p = proba[rows, d]
    rest = proba.sum(axis=1) - p
    weighted = proba * weights
    weighted[rows, d] = -np.inf
    m = weighted.max(axis=1) / np.maximum(weights[d], 1e-300)
    # decided stays decided: w_d * q > w_j * p_j * (1 - q) / rest for all j  <=>  q > m / (rest + m)
    q_min = m / np.maximum(rest + m, 1e-300)
    q = np.maximum(top(_logit(p)), q_min * (1 + 1e-9) + 1e-12)
    q = np.where(rest > 0, np.minimum(q, 1.0), p)
    out = proba * ((1 - q) / np.where(rest > 0, rest, 1.0))[:, None]
    out[rows, d] = q
    return out


def combine_members(scores: Sequence[np.ndarray], calibrations: Sequence[list[Platt] | float], mode: str) -> np.ndarray:
    """The ensemble's probabilities: the mean of each member's calibrated probabilities."""
    probs = [calibrate_scores(cal, s, mode) for s, cal in zip(scores, calibrations, strict=True)]
    return probs[0] if len(probs) == 1 else np.mean(probs, axis=0)


class ThemeClassifier(ClassifierMixin, BaseEstimator):
    """Linear theme models with calibrated probabilities and tuned decisions.

    ``mode="multilabel"``: one binary model per theme; a theme is predicted when its probability reaches its
    threshold, and a row with none gets its most probable theme. ``mode="single"``: one model over all
    themes; the prediction is the theme with the highest weighted probability.

    With ``nb_C`` set, an :class:`NBMember` is fitted too and the probabilities are the mean of the two
    members' calibrated probabilities.

    Single-label, ``top_calibration_`` (when set) recalibrates the decided theme's probability and rescales the
    others (:func:`recalibrate_top`).

    Calibration and thresholds are set by :func:`train_model` from out-of-fold predictions; ``fit`` alone
    fits the linear models and keeps whatever calibration is already set.

    ``tone``: a fitted :class:`pipeline.tone.ToneModel` carried with the themes (trained on its own labels,
    prefit: ``fit`` leaves it as it is), or None.
    """

    def __init__(
        self,
        config: ModelConfig | None = None,
        C: float = 1.0,
        mode: str = "multilabel",
        nb_C: float | None = None,
        tone: Any = None,
    ) -> None:
        self.config = config
        self.C = C
        self.mode = mode
        self.nb_C = nb_C
        self.tone = tone

    @property
    def _cfg(self) -> ModelConfig:
        return self.config or ModelConfig()

    def fit(self, X: Any, Y: np.ndarray) -> ThemeClassifier:
        Y = np.asarray(Y)
        self.__dict__.pop("_stacked_cache", None)
        if sp.issparse(X) and X.dtype != np.float64:
            X = sp.csr_matrix(X, dtype=np.float64)  # liblinear needs float64: convert once, not once per theme
        self.n_themes_ = Y.shape[1]
        if self.mode == "single":
            y = Y.argmax(axis=1)
            self.estimators_ = [_compact(_base_estimator(self._cfg, self.C, y).fit(X, y))]
        else:
            self.estimators_ = []
            for j in range(Y.shape[1]):
                y = Y[:, j]
                if y.min() == y.max():  # a theme present in every row, or in none
                    self.estimators_.append(float(y.max()))
                else:
                    self.estimators_.append(_compact(_base_estimator(self._cfg, self.C, y).fit(X, y)))
        self.nb_ = NBMember.fit(X, Y, self._cfg, self.nb_C, self.mode) if self.nb_C is not None else None
        if not hasattr(self, "calibration_"):
            self.calibration_: list[Platt] | float = (
                1.0 if self.mode == "single" else [Platt() for _ in range(self.n_themes_)]
            )
        if self.nb_ is not None and not hasattr(self, "nb_calibration_"):
            self.nb_calibration_: list[Platt] | float = self.calibration_
        if not hasattr(self, "thresholds_"):
            self.thresholds_ = np.full(self.n_themes_, self._cfg.default_threshold if self.mode != "single" else 1.0)
        if not hasattr(self, "top_calibration_"):
            self.top_calibration_: Platt | None = None
        return self

    def decision_scores(self, X: Any) -> np.ndarray:
        """Raw linear scores, shape (n, themes)."""
        if self.mode == "single":
            est = self.estimators_[0]
            s = _scores(est, X)
            if s.shape[1] == 1:  # binary problem: sklearn gives one column
                s = np.hstack([-s, s])
            out = np.full((s.shape[0], self.n_themes_), -1e3)
            out[:, est.classes_] = s
            return out
        # One sparse-dense product for all themes instead of one decision_function call per theme.
        W, b, fixed = self._stacked()
        out = np.empty((X.shape[0], self.n_themes_))
        fitted = np.flatnonzero(np.isnan(fixed))
        if len(fitted):
            out[:, fitted] = np.asarray(X @ W.T) + b
        for j in np.flatnonzero(~np.isnan(fixed)):
            out[:, j] = 1e3 if fixed[j] else -1e3
        return out

    def _stacked(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Multi-label: the binary models' weights as one matrix, their intercepts, and the constant themes
        (NaN where a model was fitted). Built once and cached; the cache is not pickled."""
        cached = self.__dict__.get("_stacked_cache")
        if cached is None:
            models = [e for e in self.estimators_ if not isinstance(e, float)]
            W = np.vstack([m.coef_.reshape(1, -1) for m in models]) if models else np.zeros((0, 0))
            b = np.array([float(np.ravel(m.intercept_)[0]) for m in models])
            fixed = np.array([e if isinstance(e, float) else np.nan for e in self.estimators_], dtype=float)
            cached = self.__dict__["_stacked_cache"] = (W, b, fixed)
        return cached

    def __getstate__(self) -> dict[str, Any]:
        state = super().__getstate__()
        state.pop("_stacked_cache", None)
        return state

    def member_scores(self, X: Any) -> list[np.ndarray]:
        """Raw scores of each ensemble member: the linear models, then the NB-SVM member if there is one."""
        out = [self.decision_scores(X)]
        if getattr(self, "nb_", None) is not None:
            out.append(self.nb_.scores(X))
        return out

    def predict_proba(self, X: Any) -> np.ndarray:
        """Calibrated probability of each theme, shape (n, themes)."""
        scores = self.member_scores(X)
        cals = [self.calibration_] + ([self.nb_calibration_] if len(scores) > 1 else [])
        proba = combine_members(scores, cals, self.mode)
        top = getattr(self, "top_calibration_", None)  # absent in models saved before it existed
        return proba if top is None else recalibrate_top(proba, self.thresholds_, top)

    def decide(self, proba: np.ndarray) -> np.ndarray:
        """Binary theme matrix from probabilities (thresholds, at least one theme per row)."""
        return decide(proba, self.thresholds_, self.mode)

    def predict(self, X: Any) -> np.ndarray:
        return self.decide(self.predict_proba(X))


def decide(proba: np.ndarray, thresholds: np.ndarray, mode: str) -> np.ndarray:
    """Multi-label: themes at or above their threshold, else the most probable one.
    Single-label: the theme with the highest ``proba * weight`` (``thresholds`` holds the weights)."""
    n, k = proba.shape
    out = np.zeros((n, k), dtype=np.int8)
    if n == 0:
        return out
    if mode == "single":
        out[np.arange(n), (proba * thresholds).argmax(axis=1)] = 1
        return out
    out[:] = proba >= thresholds
    none = out.sum(axis=1) == 0
    out[np.flatnonzero(none), proba[none].argmax(axis=1)] = 1
    return out


# --- tuning on out-of-fold predictions ---------------------------------------------------------------------


def tune_thresholds(proba: np.ndarray, Y: np.ndarray, grid: np.ndarray | None = None) -> np.ndarray:
    """Per-theme threshold maximising that theme's F1 on out-of-fold probabilities."""
    grid = np.round(np.arange(0.05, 0.951, 0.025), 3) if grid is None else grid
    th = np.empty(Y.shape[1])
    for j in range(Y.shape[1]):
        y = Y[:, j].astype(bool)
        pred = proba[:, j][None, :] >= grid[:, None]  # (grid, n)
        tp = (pred & y).sum(axis=1)
        fp = (pred & ~y).sum(axis=1)
        fn = (~pred & y).sum(axis=1)
        f1 = 2 * tp / np.maximum(2 * tp + fp + fn, 1)
        best = np.flatnonzero(f1 == f1.max())
        th[j] = grid[best[len(best) // 2]]  # middle of the best plateau
    return th


def macro_f1_single(y: np.ndarray, pred: np.ndarray, k: int) -> float:
    """Macro-F1 over the classes present in ``y`` (fast: one bincount)."""
    cm = np.bincount(y * k + pred, minlength=k * k).reshape(k, k)
    tp = np.diag(cm).astype(float)
    denom = cm.sum(axis=0) + cm.sum(axis=1)
    present = cm.sum(axis=1) > 0
    f1 = np.divide(2 * tp, denom, out=np.zeros(k), where=denom > 0)
    return float(f1[present].mean()) if present.any() else 0.0


def tune_class_weights(proba: np.ndarray, y: np.ndarray, rounds: int = 3) -> np.ndarray:
    """Single-label: per-class multiplicative weights on probabilities, by coordinate ascent on macro-F1."""
    n, k = proba.shape
    w = np.ones(k)
    grid = np.exp(np.linspace(np.log(0.25), np.log(4.0), 17))
    best = macro_f1_single(y, (proba * w).argmax(1), k)
    rows = np.arange(n)
    for _ in range(rounds):
        improved = False
        for j in range(k):
            # Only class j's weight moves: each row goes to j or stays with its best other class (argmax's
            # tie rule: the lower index wins), so one pass over the other classes serves the whole grid.
            others = proba * w
            others[:, j] = -np.inf
            other = others.argmax(axis=1)
            other_score = others[rows, other]
            keep = w[j]
            for g in grid:
                sj = proba[:, j] * g
                pred = np.where((sj > other_score) | ((sj == other_score) & (j < other)), j, other)
                f = macro_f1_single(y, pred, k)
                if f > best + 1e-9:
                    best, keep, improved = f, g, True
            w[j] = keep
        if not improved:
            break
    return w


def cv_splits(Y: np.ndarray, mode: str, folds: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Stratified (single) or iteratively stratified (multi-label) folds. A theme with fewer answers than folds
    is missing from some test folds but, with at least two answers, from no training fold; it does not lower
    the number of folds for the other themes."""
    n = Y.shape[0]
    folds = max(2, min(folds, n, int(Y.sum(axis=0).max()) if mode == "single" else n))
    X_dummy = np.zeros((n, 1))
    if mode == "single":
        with warnings.catch_warnings():  # "the least populated class has only k members": expected, see above
            warnings.simplefilter("ignore", UserWarning)
            return list(StratifiedKFold(folds, shuffle=True, random_state=seed).split(X_dummy, Y.argmax(1)))
    from iterstrat.ml_stratifiers import MultilabelStratifiedKFold

    return list(MultilabelStratifiedKFold(n_splits=folds, shuffle=True, random_state=seed).split(X_dummy, Y))


def fit_calibration(scores: np.ndarray, Y: np.ndarray, mode: str) -> list[Platt] | float:
    if mode == "single":
        return fit_temperature(scores, Y.argmax(1))
    return [Platt.fit(scores[:, j], Y[:, j]) for j in range(Y.shape[1])]


def tune_decisions(proba: np.ndarray, Y: np.ndarray, mode: str, config: ModelConfig, tune: bool = True) -> np.ndarray:
    """Thresholds (multi-label) or class weights (single-label); defaults when ``tune`` is False."""
    if not tune:
        return np.ones(Y.shape[1]) if mode == "single" else np.full(Y.shape[1], config.default_threshold)
    if mode == "single":
        return tune_class_weights(proba, Y.argmax(1))
    return tune_thresholds(proba, Y)
