"""Redaction measured on hand-written, annotated answers (bench/data/redaction/*.jsonl).

For each set, every annotated personal item (each occurrence of its text) counts as caught when every letter
and digit of it is inside a redacted span, and every annotated place or organisation counts as damaged when
any redacted span overlaps it. The texts of a set are redacted together, as ``consult redact`` does a file.
Prints one JSON line per set: recall per kind and overall, names' recall, and the share of places and
organisations damaged; with ``--set all``, a last line for the held-out sets taken together (``"set":
"held_out"``).

    python bench/redaction.py [--set dev|test|all] [--show]   # --show lists what got through, on stderr
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.config import load_config  # noqa: E402
from pipeline.redact import redact_texts  # noqa: E402

DATA = ROOT / "bench" / "data" / "redaction"
# Sets whose misses were read while writing the rules, and sets that were only ever measured.
DEVELOPMENT = [
    "dev",
    "dev2",
    "dev3",
    "dev4",
    "test2",
    "test3",
    "test4",
    "test5",
    "test9",
    "test10",
    "test11",
    "test13",
    "test14",
    "test15",
    "test19",
    "test20",
    "test21",
    "test23",
    "test25",
    "test30",
]
HELD_OUT = [
    "test",
    "test6",
    "test7",
    "test8",
    "test12",
    "test16",
    "test17",
    "test18",
    "test22",
    "test24",
    "test26",
    "test27",
    "test28",
    "test29",
    "test31",
    "test32",
]
GOALS = {"recall": 0.97, "name_recall": 0.95, "damaged": 0.03}


def occurrences(text: str, part: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in re.finditer(re.escape(part), text)]


def covered(start: int, end: int, text: str, spans: list[tuple[int, int]]) -> bool:
    return all(any(a <= k < b for a, b in spans) for k in range(start, end) if text[k].isalnum())


def summary(name: str, found: Counter, caught: Counter, keep_total: int, keep_damaged: int) -> dict:
    """The figures of one set (or several together) from its counts."""
    total, hits = sum(found.values()), sum(caught.values())
    out = {
        "bench": "redaction",
        "set": name,
        "items": total,
        "recall": round(hits / total, 4) if total else None,
        "name_recall": round(caught["name"] / found["name"], 4) if found["name"] else None,
        "recall_by_kind": {k: round(caught[k] / found[k], 4) for k in sorted(found)},
        "items_by_kind": dict(sorted(found.items())),
        "places_and_orgs": keep_total,
        "damaged": round(keep_damaged / keep_total, 4) if keep_total else None,
        "damaged_count": keep_damaged,
        "goal": GOALS,
    }
    out["meets_goal"] = bool(
        out["recall"] is not None
        and out["recall"] >= GOALS["recall"]
        and (out["name_recall"] or 0) >= GOALS["name_recall"]
        and (out["damaged"] or 0) <= GOALS["damaged"]
    )
    return out


def score(name: str, rows: list[dict], show: bool, pooled: dict | None = None) -> dict:
    cfg = load_config(ROOT / "configs" / "consult.toml")
    t0 = time.perf_counter()
    res = redact_texts([r["text"] for r in rows], cfg)
    seconds = time.perf_counter() - t0
    found, caught = Counter(), Counter()
    keep_total = keep_damaged = 0
    for r, items in zip(rows, res.items, strict=True):
        spans = [(i.start, i.end) for i in items]
        for p in r["personal"]:
            for a, b in occurrences(r["text"], p["text"]):
                found[p["kind"]] += 1
                if covered(a, b, r["text"], spans):
                    caught[p["kind"]] += 1
                elif show:
                    print(f"LEAK {r['id']} {p['kind']}: {p['text']!r} in {res.texts[rows.index(r)]!r}", file=sys.stderr)
        for k in r.get("keep", []):
            for a, b in occurrences(r["text"], k["text"]):
                keep_total += 1
                if any(s < b and a < e for s, e in spans):
                    keep_damaged += 1
                    if show:
                        print(f"DAMAGE {r['id']}: {k['text']!r} in {res.texts[rows.index(r)]!r}", file=sys.stderr)
    if pooled is not None:  # counts of several sets taken together
        pooled["found"].update(found)
        pooled["caught"].update(caught)
        pooled["keep_total"] += keep_total
        pooled["keep_damaged"] += keep_damaged
        pooled["answers"] += len(rows)
        pooled["sets"] += 1
    out = summary(name, found, caught, keep_total, keep_damaged)
    out.update(
        held_out=name in HELD_OUT,
        answers=len(rows),
        answers_with_personal_items=sum(bool(r["personal"]) for r in rows),
        seconds=round(seconds, 2),
    )
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--set",
        default="all",
        help="dev, dev2, dev3, dev4, test2, test3, test4, test5, test9, test10, test11, test13, test14, test15, test19, test20, test21, test23, test25, test30 (development), test, test6, test7, test8, test12, test16, test17, test18, test22, test24, test26, test27, test28, test29, test31, test32 (held out) or all (default)",
    )
    ap.add_argument("--show", action="store_true", help="list leaks and damaged places on stderr")
    args = ap.parse_args()
    names = [*DEVELOPMENT, *HELD_OUT] if args.set == "all" else [args.set]
    pooled: dict = {
        "found": Counter(),
        "caught": Counter(),
        "keep_total": 0,
        "keep_damaged": 0,
        "answers": 0,
        "sets": 0,
    }
    for name in names:
        path = DATA / f"{name}.jsonl"
        if not path.is_file():
            print(json.dumps({"bench": "redaction", "set": name, "skipped": f"{path} not found"}))
            continue
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        print(json.dumps(score(name, rows, args.show, pooled if name in HELD_OUT else None), ensure_ascii=False))
    if args.set == "all" and pooled["sets"]:
        out = summary("held_out", pooled["found"], pooled["caught"], pooled["keep_total"], pooled["keep_damaged"])
        out.update(sets=pooled["sets"], answers=pooled["answers"])
        print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
