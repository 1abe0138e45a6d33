"""Do entity features help the theme classifier? Cross-validated macro-F1 with and without them.

The entity stage (spaCy NER + the domain ruler of configs/entities.yaml) tags places, people, agencies...
This bench appends one feature per entity label (and optionally per named entity, e.g. BOROUGH:Camden) to the
word and character n-grams, trains with the project's defaults on the shipped corpus and prints the
cross-fitted micro and macro-F1 of each variant over several fold seeds, one JSON line each.

The classifier ships without entity features because this measurement shows they do not help (see
docs/model.md); rerun it when the corpus or the ruler changes.

    python bench/entity_features.py [--seeds 3] [--data data/consultation_labelled.csv]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction import DictVectorizer
from sklearn.pipeline import FeatureUnion

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline import evaluate as ev  # noqa: E402
from pipeline import train as tr  # noqa: E402
from pipeline.config import load_config  # noqa: E402
from pipeline.entities import Entity, EntityExtractor, spacy_language  # noqa: E402


class EntityFeatures(TransformerMixin, BaseEstimator):
    """Binary features: entity labels present (``L=BOROUGH``) and, with ``names``, the entities themselves."""

    def __init__(self, found: dict[str, list[Entity]], weight: float = 1.0, names: bool = True) -> None:
        self.found = found
        self.weight = weight
        self.names = names

    def _dicts(self, X: list[str]) -> list[dict[str, float]]:
        out = []
        for text in X:
            d: dict[str, float] = {}
            for e in self.found.get(text, []):
                d[f"L={e.label}"] = 1.0
                if self.names:
                    d[f"E={e}"] = 1.0
            out.append(d)
        return out

    def fit(self, X: list[str], y: Any = None) -> EntityFeatures:
        self.vec_ = DictVectorizer().fit(self._dicts(X))
        return self

    def transform(self, X: list[str]) -> Any:
        return self.weight * self.vec_.transform(self._dicts(X))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=ROOT / "data" / "consultation_labelled.csv")
    ap.add_argument("--seeds", type=int, default=3)
    args = ap.parse_args()
    cfg = load_config(ROOT / "configs" / "consult.toml", ["model.bootstrap=0"])
    cfg.entities.patterns = ROOT / "configs" / "entities.yaml"
    df = pd.read_csv(args.data, dtype=str, keep_default_na=False)
    data = tr.prepare_training_data(df["id"].tolist(), df["text"].tolist(), df["labels"].tolist(), ";", None, 2)
    lang = spacy_language(cfg.entities.spacy_model)
    # Entities of the normalised texts (the classifier's features see normalised text), found once.
    from pipeline.features import TextNormaliser

    # Theme descriptions (model.theme_texts) are training rows too: their entities are found the same way.
    norm = TextNormaliser().transform(data.texts + [t for _, t in data.theme_docs])
    found = dict(zip(norm, EntityExtractor(cfg.entities).extract(norm), strict=True))
    share = float(np.mean([bool(found[t]) for t in norm[: len(data.texts)]]))
    plain = tr.build_features
    variants: list[tuple[str, float, bool] | None] = [None, ("labels", 0.3, False), ("labels+names", 0.3, True)]
    variants.append(("labels+names", 1.0, True))
    for variant in variants:
        if variant is None:
            tr.build_features = plain
        else:
            _, w, names = variant
            tr.build_features = lambda c, lg, w=w, names=names: FeatureUnion(
                [*plain(c, lg).transformer_list, ("entities", EntityFeatures(found, w, names))]
            )
        macro, micro = [], []
        for seed in range(args.seeds):
            cfg.model.random_state = seed
            _, report = tr.train_model(data, cfg, lang)
            head = ev.headline(report["cv_scores"])
            macro.append(head["macro_f1"])
            micro.append(head["micro_f1"])
        print(
            json.dumps(
                {
                    "bench": "entity_features",
                    "data": str(args.data.name),
                    "answers_with_entities": round(share, 3),
                    "features": "n-grams" if variant is None else f"n-grams + entity {variant[0]} x{variant[1]}",
                    "cv_macro_f1_mean": round(float(np.mean(macro)), 4),
                    "cv_micro_f1_mean": round(float(np.mean(micro)), 4),
                    "cv_macro_f1_by_seed": [round(m, 4) for m in macro],
                }
            ),
            flush=True,
        )
    tr.build_features = plain


if __name__ == "__main__":
    main()
