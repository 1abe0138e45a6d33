"""Prediction speed of a saved theme model in one process: answers per second of its probabilities (and of the
tone model's from the same features, when it carries one) on real NHS feedback comments.

The texts are the first N comments of /work/shared/data/nhs_fft_phase1/feedback.csv (repeated when N is larger),
normalised as ``consult label`` does. The model is the one given (train it with ``consult train``); best of
--repeats runs (the first run fills the tokenisers' caches), and the first. Prints JSON; also the SHA-256 of the probabilities, so two versions of the code can be checked
to give the same output.

    python bench/predict_speed.py MODEL_DIR [--n 10000] [--repeats 3] [--batch 2000]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.modelstore import load_model  # noqa: E402

DATA = Path("/work/shared/data/nhs_fft_phase1/feedback.csv")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model", type=Path)
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--batch", type=int, default=2000)
    args = ap.parse_args()
    if not DATA.is_file():
        print(json.dumps({"skipped": f"{DATA} not found"}))
        return
    texts = pd.read_csv(DATA)["text"].fillna("").astype(str).tolist()
    texts = (texts * (args.n // len(texts) + 1))[: args.n]
    model = load_model(args.model)
    pipe = model.pipeline
    clf = pipe.named_steps["classify"]
    tone = getattr(clf, "tone", None)
    times = []
    proba = np.zeros(0)
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        parts = []
        for start in range(0, len(texts), args.batch):
            batch = texts[start : start + args.batch]
            if tone is None:
                parts.append(pipe.predict_proba(batch))
            else:  # as `consult label` does: the features once, for themes and tone
                X = pipe[:-1].transform(batch)
                parts += [clf.predict_proba(X), tone.pipeline.named_steps["classify"].predict_proba(X)]
        times.append(time.perf_counter() - t0)
        proba = np.vstack([p[:, :1] for p in parts])
    digest = hashlib.sha256(np.round(np.concatenate([p.ravel() for p in parts]), 12).tobytes()).hexdigest()
    print(
        json.dumps(
            {
                "model": str(args.model),
                "answers": len(texts),
                "tone": tone is not None,
                "seconds_first_run": round(times[0], 3),
                "answers_per_second_first_run": round(len(texts) / times[0], 1),
                "seconds_best": round(min(times), 3),
                "answers_per_second_best": round(len(texts) / min(times), 1),
                "probabilities_sha256": digest,
                "rows": int(proba.shape[0]),
            }
        )
    )


if __name__ == "__main__":
    main()
