"""Size of the light install: a fresh clone, `make setup` (a new python3.11 venv and the default path only: no
torch, no Dask, no dev tools), then the venv's size and its largest packages, as JSON.

    python bench/install_size.py [--target setup|setup-dev|setup-embeddings] [--keep]

Needs git, make, python3.11 and the package index; takes a minute or two.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOAL_MB = 900


def size_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink()) / 2**20


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--target", default="setup", choices=["setup", "setup-dev", "setup-embeddings"])
    ap.add_argument("--keep", action="store_true", help="keep the clone (its path is printed)")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="consult-install-"))
    clone = work / "consult"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
    t0 = time.perf_counter()
    subprocess.run(["make", args.target], cwd=clone, check=True, stdout=subprocess.DEVNULL)
    seconds = time.perf_counter() - t0
    venv = clone / ".venv"
    site = next((venv / "lib").glob("python3*/site-packages"))
    by_package: dict[str, float] = {}
    for p in site.iterdir():
        name = p.name.split("-")[0] if p.name.endswith((".dist-info", ".libs")) else p.name
        by_package[name] = by_package.get(name, 0.0) + (size_mb(p) if p.is_dir() else p.stat().st_size / 2**20)
    largest = sorted(by_package.items(), key=lambda kv: -kv[1])[:15]
    pycache = sum(size_mb(p) for p in site.rglob("__pycache__"))
    total = size_mb(venv)
    print(
        json.dumps(
            {
                "date": dt.date.today().isoformat(),
                "command": f"make {args.target}",
                "venv_mb": round(total, 1),
                "goal_mb": GOAL_MB,
                "within_goal": total <= GOAL_MB,
                "install_seconds": round(seconds, 1),
                "pycache_mb": round(pycache, 1),
                "largest_mb": {k: round(v, 1) for k, v in largest},
            },
            indent=2,
        )
    )
    if args.keep:
        print(f"kept: {clone}")
    else:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
