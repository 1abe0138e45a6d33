"""Campaign (near-copy) detection: the linear MinHash LSH method against the quadratic all-pairs one.

Builds 10,000 answers spliced from the shipped data (bench/synth.py) with planted campaigns: an answer and
copies of it with words dropped, a sign-off added, case or punctuation changed. A row counts as found when
``duplicate_of`` names an earlier row of its own campaign. Prints JSON: recall, precision and seconds of each
method, and their differences in points (the goal: the new method within 1 point of the old on both).

    python bench/campaigns.py [--n 10000] [--seed 0]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from synth import synthetic  # noqa: E402

from pipeline.clean import clean_texts, find_duplicates  # noqa: E402
from pipeline.config import CleanConfig  # noqa: E402


def score(dup_of: list[str], ids: list[str], group: list[int]) -> dict:
    row_of = {i: r for r, i in enumerate(ids)}
    seen: set[int] = set()
    truth = []
    for g in group:
        truth.append(g >= 0 and g in seen)
        if g >= 0:
            seen.add(g)
    flagged = [d != "" for d in dup_of]
    right = [f and group[r] >= 0 and group[row_of[dup_of[r]]] == group[r] for r, f in enumerate(flagged)]
    tp = sum(right)
    return {
        "recall": round(tp / max(1, sum(truth)), 4),
        "precision": round(tp / max(1, sum(flagged)), 4),
        "planted_copies": sum(truth),
        "flagged": sum(flagged),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    df, group = synthetic(args.n, seed=args.seed)
    cfg = CleanConfig()
    cleaned = clean_texts(df["text"].tolist(), cfg, 20_000, "en")
    eligible = ~(cleaned["flag_empty"] | cleaned["flag_non_substantive"]).to_numpy()
    ids = df["id"].tolist()
    res = {"answers": args.n, "similarity": cfg.near_duplicate_similarity, "min_words": cfg.duplicate_min_words}
    for method in ("all_pairs", "lsh"):
        t0 = time.perf_counter()
        dup = find_duplicates(
            ids,
            cleaned["clean_text"].tolist(),
            min_words=cfg.duplicate_min_words,
            similarity=cfg.near_duplicate_similarity,
            eligible=eligible,
            method=method,
        )
        res[method] = {**score(dup, ids, group), "seconds": round(time.perf_counter() - t0, 2)}
        if method == "all_pairs":
            reference = dup
    res["lsh_rows_differing_from_all_pairs"] = sum(a != b for a, b in zip(reference, dup, strict=True))
    for k in ("recall", "precision"):
        res[f"{k}_difference_points"] = round(100 * (res["lsh"][k] - res["all_pairs"][k]), 2)
    res["within_1_point"] = all(abs(res[f"{k}_difference_points"]) <= 1 for k in ("recall", "precision"))
    print(json.dumps(res, indent=2))


if __name__ == "__main__":
    main()
