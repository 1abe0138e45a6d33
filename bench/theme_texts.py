"""Do theme descriptions (or sentence embeddings) help a model trained on few answers? A setting on vs off.

With ``model.theme_texts`` each theme's name (and, from a taxonomy, its definition and include examples) is
learnt as one more answer of that theme. This matters most at the start of a consultation, when only a few
hundred answers are labelled. For each dataset and training size, random training subsets (several seeds)
are drawn, a model is trained with and without the descriptions, and macro-F1 is measured on a fixed test set.
``--compare sentence_model`` instead compares the default (no sentence embeddings, theme descriptions on)
with ``model.sentence_model = "all-MiniLM-L6-v2"`` on the same subsets.

  * shipped (data/consultation_labelled.csv with configs/themes.yaml, multi-label, 12 themes): a fixed 30% of
    answers (seeded) is the test set; training sizes 50, 100, 200, 400.
  * nhs_fft_phase1 ``label`` (9 themes) and ``subcategory`` (44), single-label, no taxonomy (the names are the
    label strings): train subsets of split == train, test = split == test; sizes 200, 500, 1000, 2000.
    Skipped, with a JSON note, when ../shared is absent.

Training uses the fast recipe of bench/active_learning.py (3 folds, C=0.3, regex tokens). Prints one JSON line
per dataset, size and setting, then a summary line per dataset.

    python bench/theme_texts.py [--seeds 3] [--quick] [--compare theme_texts|sentence_model]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.active_learning import FAST, NHS, SHIPPED, to_matrix  # noqa: E402
from pipeline import evaluate as ev  # noqa: E402
from pipeline.config import load_config  # noqa: E402
from pipeline.taxonomy import Taxonomy, load_taxonomy, split_labels  # noqa: E402
from pipeline.train import train_model  # noqa: E402
from pipeline.trainingdata import prepare_training_data  # noqa: E402

# The config overrides for off and on of each compared setting.
SETTINGS = {
    "theme_texts": {False: ["model.theme_texts=false"], True: ["model.theme_texts=true"]},
    "sentence_model": {False: [], True: ['model.sentence_model="all-MiniLM-L6-v2"']},
}


def curve(
    name: str,
    train: pd.DataFrame,
    test: pd.DataFrame,
    target: str,
    sep: str,
    taxonomy: Taxonomy | None,
    sizes: list[int],
    seeds: int,
    compare: str = "theme_texts",
) -> dict[str, Any]:
    test_labels = [split_labels(c, sep) for c in test[target]]
    out: dict[str, list[float]] = {}
    for on in (False, True):
        cfg = load_config(None, [*FAST, *SETTINGS[compare][on]])
        means = []
        for size in sizes:
            scores = []
            for seed in range(seeds):
                rows = train.iloc[np.random.default_rng(seed).choice(len(train), size=size, replace=False)]
                data = prepare_training_data(
                    rows["id"].tolist(), rows["text"].tolist(), rows[target].tolist(), sep, taxonomy, 2
                )
                pipe, _ = train_model(data, cfg, "en")
                clf = pipe.named_steps["classify"]
                themes = sorted({t for lab in test_labels for t in lab} | set(data.themes))
                Y = to_matrix(test_labels, themes)
                own = clf.decide(pipe.predict_proba(test["text"].tolist()))
                pred = np.zeros_like(Y)
                for j, t in enumerate(data.themes):
                    pred[:, themes.index(t)] = own[:, j]
                scores.append(float(ev.headline(ev.score(Y, pred, themes, clf.mode, bootstrap=0))["macro_f1"]))
            means.append(float(np.mean(scores)))
            line = {"bench": "theme_texts", "dataset": name, compare: on, "train_answers": size}
            print(json.dumps({**line, "macro_f1": round(means[-1], 4), "per_seed": [round(s, 4) for s in scores]}))
            sys.stdout.flush()
        out["with" if on else "without"] = means
    gain = [round(w - o, 4) for w, o in zip(out["with"], out["without"], strict=True)]
    return {
        "bench": "theme_texts",
        "dataset": name,
        "compare": compare,
        "train_answers": sizes,
        "seeds": seeds,
        "gain_macro_f1": gain,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="one seed, the two smallest sizes")
    ap.add_argument("--compare", choices=sorted(SETTINGS), default="theme_texts", help="the setting turned on")
    args = ap.parse_args()
    seeds = 1 if args.quick else args.seeds
    cut = 2 if args.quick else None

    df = pd.read_csv(SHIPPED, dtype=str, keep_default_na=False)
    test_mask = np.random.default_rng(0).random(len(df)) < 0.3
    taxonomy = load_taxonomy(ROOT / "configs" / "themes.yaml")
    summary = curve(
        "shipped",
        df[~test_mask],
        df[test_mask],
        "labels",
        ";",
        taxonomy,
        [50, 100, 200, 400][:cut],
        seeds,
        args.compare,
    )
    print(json.dumps(summary), flush=True)
    if not NHS.is_file():
        print(json.dumps({"bench": "theme_texts", "dataset": "nhs_fft_phase1", "skipped": f"{NHS} not found"}))
        return
    nhs = pd.read_csv(NHS, dtype=str, keep_default_na=False)
    train, test = nhs[nhs["split"] == "train"], nhs[nhs["split"] == "test"]
    for target in ("label", "subcategory"):
        sizes = [200, 500, 1000, 2000][:cut]
        print(
            json.dumps(
                curve(f"nhs_fft_phase1/{target}", train, test, target, "\x1f", None, sizes, seeds, args.compare)
            ),
            flush=True,
        )


if __name__ == "__main__":
    main()
