"""How fast can a sentence encoder label on this machine? Measured speed against the arithmetic bound.

Times the opt-in sentence model (``model.sentence_model``) on the NHS test answers, measures the machine's
float32 matrix-multiply rate with torch, and prints one JSON line with both and the bound they imply:
a transformer needs about 2 FLOPs per parameter (embeddings excluded) per token, so

    answers/s <= matmul FLOP/s / (2 * parameters * mean tokens per answer)

The bound is optimistic (attention, tokenising and pooling are left out), so it says whether a speed goal is
reachable at all, not what a tuned runtime would reach.

    python bench/encoder_speed.py [--sentence-model all-MiniLM-L6-v2] [--limit 2000]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATA = ROOT.parent / "shared" / "data" / "nhs_fft_phase1" / "feedback.csv"


def matmul_flops(threads: int, n: int = 2048, reps: int = 10) -> float:
    import torch

    torch.set_num_threads(threads)
    a, b = torch.randn(n, n), torch.randn(n, n)
    for _ in range(2):
        a @ b
    t = time.perf_counter()
    for _ in range(reps):
        a @ b
    return 2 * n**3 * reps / (time.perf_counter() - t)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sentence-model", default="all-MiniLM-L6-v2")
    ap.add_argument("--limit", type=int, default=2000, help="answers to encode (the test split's first N)")
    ap.add_argument("--batch-size", type=int, default=64)
    args = ap.parse_args()
    if not DATA.is_file():
        print(json.dumps({"bench": "encoder_speed", "skipped": f"{DATA} not found"}))
        return
    import numpy as np
    import pandas as pd
    import torch

    from pipeline.embeddings import load_sentence_model

    df = pd.read_csv(DATA, keep_default_na=False)
    texts = df.loc[df["split"] == "test", "text"].astype(str).tolist()[: args.limit]
    threads = len(os.sched_getaffinity(0))
    torch.set_num_threads(threads)
    enc, _ = load_sentence_model(args.sentence_model)
    tokens = np.array(
        [len(enc.tokenizer(t, truncation=True, max_length=enc.max_seq_length)["input_ids"]) for t in texts]
    )
    params = sum(p.numel() for n, p in enc.named_parameters() if "embeddings" not in n)
    enc.encode(texts[:64], batch_size=args.batch_size)  # warm up
    t = time.perf_counter()
    enc.encode(texts, batch_size=args.batch_size)
    measured = len(texts) / (time.perf_counter() - t)
    flops = matmul_flops(threads)
    bound = flops / (2 * params * tokens.mean())
    print(
        json.dumps(
            {
                "bench": "encoder_speed",
                "sentence_model": args.sentence_model,
                "answers": len(texts),
                "mean_tokens": round(float(tokens.mean()), 1),
                "parameters_without_embeddings": int(params),
                "matmul_gflops": round(flops / 1e9, 1),
                "answers_per_second": round(measured),
                "bound_answers_per_second": round(bound),
                "goal_answers_per_second": 5000,
                "cpus": threads,
            }
        )
    )


if __name__ == "__main__":
    main()
