"""How long consult takes to refuse hostile files: huge headers, huge lines, unknown encodings.

Each case writes a file into a temporary folder, runs ``consult validate`` on it in a fresh process (as a user
would, so the time includes Python and the imports) and, separately, times the read alone in this process.
One JSON line per case: the case, the file size, the exit code, the first words of the error, whether the
command printed a traceback, the seconds for the read alone and for the whole command (about 2 s of which is
starting Python and importing pandas, scikit-learn and spaCy). The bar is "refused in under a second" for the
read.

    python bench/hostile_inputs.py
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.config import IngestConfig  # noqa: E402
from pipeline.errors import ConsultError  # noqa: E402
from pipeline.ingest import load_answers  # noqa: E402


def wide_csv(p: Path) -> Path:
    p = p / "wide.csv"
    header = ",".join(f"c{i}" for i in range(1_000_000))
    p.write_text(f"id,text,{header}\n1,hello" + "," * 1_000_000 + "\n")
    return p


def wide_jsonl(p: Path) -> Path:
    p = p / "wide.jsonl"
    p.write_text(json.dumps({"id": 1, "text": "hi", **{f"c{i}": i for i in range(1_000_000)}}) + "\n")
    return p


def wide_parquet(p: Path) -> Path:
    import pyarrow as pa
    import pyarrow.parquet as pq

    p = p / "wide.parquet"
    pq.write_table(pa.table({"id": ["1"], "text": ["hi"], **{f"c{i}": [i] for i in range(20_000)}}), p)
    return p


def long_line(p: Path) -> Path:
    p = p / "long.csv"
    p.write_bytes(b"id,text\n1," + b"x" * 50_000_000 + b"\n")
    return p


def json_array(p: Path) -> Path:
    p = p / "array.jsonl"
    p.write_text(json.dumps([{"id": i, "text": "an answer about street lights " * 4} for i in range(200_000)]))
    return p


def dos_cyrillic(p: Path) -> Path:
    p = p / "dos.csv"
    rows = "".join(f"{i},ответ номер {i} про освещение улиц\n" for i in range(200_000))
    p.write_bytes(("id,text\n" + rows).encode("cp866"))
    return p


RAISED = {"max_line_bytes": 100_000_000}  # so that the column limit, not the line limit, is what refuses
CASES: list[tuple[str, Callable[[Path], Path], dict[str, int]]] = [
    ("csv header of 1,000,000 columns", wide_csv, {}),
    ("csv header of 1,000,000 columns, line limit raised", wide_csv, RAISED),
    ("jsonl object of 1,000,000 keys", wide_jsonl, {}),
    ("jsonl object of 1,000,000 keys, line limit raised", wide_jsonl, RAISED),
    ("parquet of 20,000 columns", wide_parquet, {}),
    ("csv line of 50 MB", long_line, {}),
    ("one 30 MB JSON array as .jsonl", json_array, {}),
    ("200,000 rows of DOS Cyrillic (cp866)", dos_cyrillic, {}),
]


def main() -> None:
    with tempfile.TemporaryDirectory() as d:
        for name, make, limits in CASES:
            path = make(Path(d))
            t0 = time.perf_counter()
            try:
                load_answers(path, IngestConfig(**limits))
                error = ""
            except ConsultError as e:
                error = str(e)
            read_s = time.perf_counter() - t0
            t0 = time.perf_counter()
            r = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "pipeline",
                    "validate",
                    str(path),
                    *(f"--set=ingest.{k}={v}" for k, v in limits.items()),
                ],
                cwd=ROOT,
                capture_output=True,
                text=True,
            )
            cmd_s = time.perf_counter() - t0
            print(
                json.dumps(
                    {
                        "case": name,
                        "bytes": path.stat().st_size,
                        "exit_code": r.returncode,
                        "error": " ".join(error.replace(str(path), "FILE").split()[:14]),
                        "traceback": "Traceback" in r.stderr,
                        "read_seconds": round(read_s, 3),
                        "command_seconds": round(cmd_s, 3),
                    },
                    ensure_ascii=False,
                ),
                flush=True,
            )


if __name__ == "__main__":
    main()
