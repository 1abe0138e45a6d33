"""`consult label` as bench/throughput.py runs it: the same function, with progress printed as JSON lines on
stderr (stage, answers done, seconds since start), so a run stopped early still tells its rate.

    python bench/label_run.py INPUT OUTPUT MODEL_DIR [--entities] [--engine local|dask] [--jobs N]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.config import load_config  # noqa: E402
from pipeline.label import label_file  # noqa: E402
from pipeline.progress import Progress  # noqa: E402


class Lines(Progress):
    def __init__(self) -> None:
        self.t0, self.name, self.done, self.last = time.perf_counter(), "", 0, 0.0

    def stage(self, name: str, total: int | None) -> None:
        self.name, self.done = name, 0
        self._print(total=total)

    def tick(self, n: int) -> None:
        self.done += n
        self._print()

    def _print(self, **extra: object) -> None:
        row = {"stage": self.name, "done": self.done, "seconds": round(time.perf_counter() - self.t0, 1), **extra}
        print(json.dumps(row), file=sys.stderr, flush=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("input", type=Path)
    ap.add_argument("output", type=Path)
    ap.add_argument("model", type=Path)
    ap.add_argument("--entities", action="store_true")
    ap.add_argument("--engine", default="local")
    ap.add_argument("--jobs", type=int, default=None)
    args = ap.parse_args()
    res = label_file(
        args.input,
        args.output,
        args.model,
        load_config(None, []),
        with_entities=args.entities,
        jobs=args.jobs,
        engine=args.engine,
        progress=Lines(),
    )
    print(json.dumps({"done": True, "rows": res.rows, "seconds": res.seconds}), file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
