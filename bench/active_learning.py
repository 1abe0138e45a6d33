"""Does reviewing the least-sure answers first pay? A simulated review loop, uncertainty vs random.

For each dataset: start from a small random labelled seed, then each round "review" N more answers from the
unlabelled pool — chosen by ``pipeline.review.select_for_review`` with random_share=0 (the least-sure ones,
exactly as ``consult review export`` ranks them) or at random — reveal their gold labels, retrain, and score
macro-F1 on a fixed test set the loop never sees. Several seeds; the curves are averaged.

  * nhs_fft_phase1 (../shared/data/nhs_fft_phase1/feedback.csv): pool = split == train, test = split == test,
    target ``label`` (9 themes, single-label). Skipped, with a JSON note, when the file is absent.
  * shipped (data/consultation_labelled.csv, multi-label): a fixed 30% of answers (seeded) is the test set;
    a seed of 100, then 8 rounds of 25 (200 reviewed, a third of the pool). Reviewing most of a small pool
    makes both strategies end on the same answers, and so the same score, whatever the order.

Training uses the project's classifier with a fast recipe (3 folds, C=0.3, no bootstrap, regex tokens,
n_jobs=1; the rest, the NB-SVM member included, as configured). Prints one JSON line per round and
strategy, then a summary line per dataset with how many fewer reviewed answers uncertainty-first needs to
reach the random strategy's final macro-F1. Plot: bench/output/active_learning.png.

    python bench/active_learning.py [--seeds 10] [--quick]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline import evaluate as ev  # noqa: E402
from pipeline.config import load_config  # noqa: E402
from pipeline.review import select_for_review  # noqa: E402
from pipeline.taxonomy import split_labels  # noqa: E402
from pipeline.train import train_model  # noqa: E402
from pipeline.trainingdata import prepare_training_data  # noqa: E402

NHS = ROOT.parent / "shared" / "data" / "nhs_fft_phase1" / "feedback.csv"
SHIPPED = ROOT / "data" / "consultation_labelled.csv"
OUT = ROOT / "bench" / "output"
FAST = [
    "model.cv_folds=3",
    "model.c_grid=[0.3]",
    "model.bootstrap=0",
    "model.tokenizer=regex",
    "model.n_jobs=1",
]


def to_matrix(labels: list[list[str]], themes: list[str]) -> np.ndarray:
    col = {t: j for j, t in enumerate(themes)}
    Y = np.zeros((len(labels), len(themes)), dtype=np.int8)
    for r, lab in enumerate(labels):
        for t in lab:
            if t in col:
                Y[r, col[t]] = 1
    return Y


def simulate(
    name: str,
    pool_texts: list[str],
    pool_labels: list[list[str]],
    test_texts: list[str],
    test_labels: list[list[str]],
    seed_size: int,
    per_round: int,
    rounds: int,
    seeds: list[int],
    mode: str,
) -> dict[str, Any]:
    cfg = load_config(None, [*FAST, f"model.mode={mode}"])
    themes = sorted({t for lab in pool_labels + test_labels for t in lab})
    Yte = to_matrix(test_labels, themes)
    curves: dict[str, list[list[float]]] = {"uncertainty": [], "random": []}
    sizes = [seed_size + r * per_round for r in range(rounds + 1)]
    for seed in seeds:
        start = np.random.default_rng(seed).choice(len(pool_texts), size=seed_size, replace=False)
        for strategy in ("uncertainty", "random"):
            rng = np.random.default_rng(1000 + seed)
            chosen = np.zeros(len(pool_texts), dtype=bool)
            chosen[start] = True
            curve = []
            for r in range(rounds + 1):
                t0 = time.perf_counter()
                idx = np.flatnonzero(chosen)
                data = prepare_training_data(
                    [str(i) for i in idx],
                    [pool_texts[i] for i in idx],
                    [";".join(pool_labels[i]) for i in idx],
                    ";",
                    None,
                    2,
                )
                pipe, _ = train_model(data, cfg, "en")
                clf = pipe.named_steps["classify"]
                pred_own = clf.decide(pipe.predict_proba(test_texts))
                pred = np.zeros_like(Yte)
                for j, t in enumerate(data.themes):
                    pred[:, themes.index(t)] = pred_own[:, j]
                macro = ev.headline(ev.score(Yte, pred, themes, mode, bootstrap=0))["macro_f1"]
                curve.append(macro)
                print(
                    json.dumps(
                        {
                            "bench": "active_learning",
                            "dataset": name,
                            "strategy": strategy,
                            "seed": seed,
                            "round": r,
                            "labelled": int(chosen.sum()),
                            "reviewed": int(chosen.sum()) - seed_size,
                            "macro_f1": round(macro, 4),
                            "seconds": round(time.perf_counter() - t0, 1),
                        }
                    ),
                    flush=True,
                )
                if r == rounds:
                    break
                rest = np.flatnonzero(~chosen)
                if strategy == "uncertainty":
                    proba = pipe.predict_proba([pool_texts[i] for i in rest])
                    rows, _ = select_for_review(proba, clf.thresholds_, clf.mode, per_round, 0.0, seed)
                    picked = rest[rows]
                else:
                    picked = rng.choice(rest, size=min(per_round, len(rest)), replace=False)
                chosen[picked] = True
            curves[strategy].append(curve)
    mean = {s: np.mean(np.array(c), axis=0) for s, c in curves.items()}
    reviewed = [s - seed_size for s in sizes]
    target = float(mean["random"][-1])
    reach = next((i for i, v in enumerate(mean["uncertainty"]) if v >= target), None)
    interp = None
    if reach is not None:
        if reach == 0:
            interp = 0.0
        else:  # linear interpolation between the two rounds around the crossing
            a, b = mean["uncertainty"][reach - 1], mean["uncertainty"][reach]
            interp = reviewed[reach - 1] + (target - a) / (b - a) * per_round if b > a else float(reviewed[reach])
    return {
        "bench": "active_learning_summary",
        "dataset": name,
        "mode": mode,
        "themes": len(themes),
        "pool": len(pool_texts),
        "test": len(test_texts),
        "seed_size": seed_size,
        "per_round": per_round,
        "rounds": rounds,
        "seeds": seeds,
        "reviewed": reviewed,
        "macro_f1_uncertainty": [round(float(v), 4) for v in mean["uncertainty"]],
        "macro_f1_random": [round(float(v), 4) for v in mean["random"]],
        "random_final_macro_f1": round(target, 4),
        "uncertainty_final_macro_f1": round(float(mean["uncertainty"][-1]), 4),
        "reviewed_random_needs": reviewed[-1],
        "reviewed_uncertainty_needs_round": reviewed[reach] if reach is not None else None,
        "reviewed_uncertainty_needs_interpolated": round(interp) if interp is not None else None,
        "fewer_reviewed": (reviewed[-1] - round(interp)) if interp is not None else None,
        "fewer_reviewed_share": round(1 - interp / reviewed[-1], 3) if interp is not None else None,
    }


def plot(summaries: list[dict[str, Any]]) -> Path | None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if not summaries:
        return None
    fig, axes = plt.subplots(1, len(summaries), figsize=(6 * len(summaries), 4.2), squeeze=False)
    for ax, s in zip(axes[0], summaries, strict=True):
        ax.plot(s["reviewed"], s["macro_f1_uncertainty"], "o-", label="least sure first")
        ax.plot(s["reviewed"], s["macro_f1_random"], "s--", label="random")
        ax.axhline(s["random_final_macro_f1"], color="grey", lw=0.8, ls=":")
        ax.set_title(f"{s['dataset']} ({s['mode']}, seed {s['seed_size']}, {len(s['seeds'])} runs)")
        ax.set_xlabel("answers reviewed")
        ax.set_ylabel("macro-F1 on held-out test")
        ax.legend()
        ax.grid(alpha=0.3)
    fig.tight_layout()
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / "active_learning.png"
    fig.savefig(path, dpi=120)
    return path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--quick", action="store_true", help="fewer rounds, one seed (a smoke run)")
    args = ap.parse_args()
    seeds = list(range(1 if args.quick else args.seeds))
    summaries = []
    if NHS.is_file():
        df = pd.read_csv(NHS, dtype=str, keep_default_na=False)
        tr, te = df[df["split"] == "train"], df[df["split"] == "test"]
        summaries.append(
            simulate(
                "nhs_fft_phase1",
                tr["text"].tolist(),
                [[x] for x in tr["label"]],
                te["text"].tolist(),
                [[x] for x in te["label"]],
                seed_size=200,
                per_round=200,
                rounds=3 if args.quick else 5,
                seeds=seeds,
                mode="single",
            )
        )
        print(json.dumps(summaries[-1]), flush=True)
    else:
        print(json.dumps({"bench": "active_learning", "dataset": "nhs_fft_phase1", "skipped": f"{NHS} not found"}))
    df = pd.read_csv(SHIPPED, dtype=str, keep_default_na=False)
    # Non-substantive answers (no theme) are never offered for review by the export: keep them out here too.
    df = df[df["labels"].str.strip() != ""].reset_index(drop=True)
    test = np.random.default_rng(0).random(len(df)) < 0.3
    labels = [split_labels(c, ";") for c in df["labels"]]
    summaries.append(
        simulate(
            "shipped_corpus",
            df.loc[~test, "text"].tolist(),
            [lab for lab, t in zip(labels, test, strict=True) if not t],
            df.loc[test, "text"].tolist(),
            [lab for lab, t in zip(labels, test, strict=True) if t],
            seed_size=100,
            per_round=25,
            rounds=3 if args.quick else 8,
            seeds=seeds,
            mode="multilabel",
        )
    )
    print(json.dumps(summaries[-1]), flush=True)
    path = plot(summaries)
    print(json.dumps({"bench": "active_learning", "plot": str(path)}))


if __name__ == "__main__":
    main()
