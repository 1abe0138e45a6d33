"""Rebuild ``pipeline/data/names500.tsv.gz``: the first names and surnames that rank among the 500 most frequent
of at least one country, one ``first|last<TAB>NAME<TAB>RANK`` line each (its best rank), in Latin script, from the lists the
``names-dataset`` package ships (Philippe Remy; Apache-2.0; counts of the names of 105 countries' public Facebook
profiles, no other data of any person). consult ships this small extract instead of depending on names-dataset
(55 MB wheel, 3 GB of memory to load), of which it uses only names and ranks. Install names-dataset (the ``lists``
extra) to run this script.

    python bench/build_names.py [--rank 500]        # prints JSON: names per list, bytes
"""

from __future__ import annotations

import argparse
import gzip
import json
import pickle
from importlib import metadata, resources
from pathlib import Path

import regex

OUT = Path(__file__).resolve().parent.parent / "pipeline" / "data" / "names500.tsv.gz"
LATIN = regex.compile(r"^[\p{Latin}\p{M}'\u2019 .-]+$")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rank", type=int, default=500, help="keep names ranked this high or higher in some country")
    args = ap.parse_args()
    root = resources.files("names_dataset") / "v3"
    lines, counts = [], {}
    for kind in ("first", "last"):
        with (root / f"{kind}_names.pkl.gz").open("rb") as raw, gzip.open(raw) as f:
            table = pickle.load(f)  # the package's own data file: name -> {"rank": {country: rank}, ...}
        best = {name: min((info.get("rank") or {}).values(), default=10**9) for name, info in table.items()}
        names = sorted(n for n, r in best.items() if LATIN.match(n) and len(n) >= 2 and r <= args.rank)
        counts[kind] = len(names)
        lines += [f"{kind}\t{name}\t{best[name]}\n" for name in names]
        del table
    OUT.write_bytes(gzip.compress("".join(lines).encode("utf-8"), compresslevel=9, mtime=0))
    version = metadata.version("names-dataset")
    print(json.dumps({"names": counts, "rank": args.rank, "bytes": OUT.stat().st_size, "names_dataset": version}))


if __name__ == "__main__":
    main()
