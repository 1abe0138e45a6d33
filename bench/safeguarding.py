"""The safeguarding flag measured on hand-written, labelled answers (bench/data/safeguarding/*.jsonl).

``dev`` is the set the rules were developed on and the classifier is trained on (shipped as
``pipeline/data/safeguarding_train.jsonl``, so its figure is in-sample); ``test.jsonl`` was written separately,
by another writer who saw neither the rules nor the dev set, and is the held-out figure. Prints one JSON line per set: recall,
precision and F1 of the flag with Wilson 95% intervals, recall per reason, and how often the flagged reason
is the labelled one.

    python bench/safeguarding.py [--set dev|test|all] [--show]   # --show lists misses and false alarms on stderr
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.report.stats import wilson_interval  # noqa: E402
from pipeline.safeguarding import TRAINING_DATA, flag_answers  # noqa: E402

DATA = ROOT / "bench" / "data" / "safeguarding"
GOALS = {"recall": 0.90, "precision": 0.70}


def score(name: str, rows: list[dict], show: bool) -> dict:
    t0 = time.perf_counter()
    got = flag_answers([r["text"] for r in rows])
    seconds = time.perf_counter() - t0
    tp = sum(r["flag"] and g.flag for r, g in zip(rows, got, strict=True))
    fp = sum((not r["flag"]) and g.flag for r, g in zip(rows, got, strict=True))
    fn = sum(r["flag"] and not g.flag for r, g in zip(rows, got, strict=True))
    by_reason, caught = Counter(), Counter()
    same_reason = 0
    for r, g in zip(rows, got, strict=True):
        if r["flag"]:
            by_reason[r["reason"]] += 1
            caught[r["reason"]] += g.flag
            same_reason += g.flag and g.reason == r["reason"]
        if show and r["flag"] != g.flag:
            what = "MISS" if r["flag"] else f"FALSE ALARM ({g.reason}: {g.evidence!r})"
            print(f"{what} {r['id']} [{r['reason'] or r.get('note', '')}] {r['text']!r}", file=sys.stderr)
    recall = tp / (tp + fn) if tp + fn else None
    precision = tp / (tp + fp) if tp + fp else None
    f1 = 2 * recall * precision / (recall + precision) if recall and precision else 0.0
    out = {
        "bench": "safeguarding",
        "set": name,
        "answers": len(rows),
        "disclosures": tp + fn,
        "flagged": tp + fp,
        "recall": round(recall, 4) if recall is not None else None,
        "recall_ci95": [round(x, 4) for x in wilson_interval(tp, tp + fn)] if tp + fn else None,
        "precision": round(precision, 4) if precision is not None else None,
        "precision_ci95": [round(x, 4) for x in wilson_interval(tp, tp + fp)] if tp + fp else None,
        "f1": round(f1, 4),
        "recall_by_reason": {k: round(caught[k] / by_reason[k], 4) for k in sorted(by_reason)},
        "reason_agrees": round(same_reason / tp, 4) if tp else None,
        "false_alarms": fp,
        "answers_per_second": round(len(rows) / seconds) if seconds else None,
        "goal": GOALS,
    }
    out["meets_goal"] = bool((recall or 0) >= GOALS["recall"] and (precision or 0) >= GOALS["precision"])
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--set", default="all", help="dev, test or all (default)")
    ap.add_argument("--show", action="store_true", help="list misses and false alarms on stderr")
    args = ap.parse_args()
    for name in ["dev", "test"] if args.set == "all" else [args.set]:
        path = TRAINING_DATA if name == "dev" else DATA / f"{name}.jsonl"
        if not path.is_file():
            print(json.dumps({"bench": "safeguarding", "set": name, "skipped": f"{path} not found"}))
            continue
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        print(json.dumps(score(name, rows, args.show)))


if __name__ == "__main__":
    main()
