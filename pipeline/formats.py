"""Table file formats, known by their extension."""

from __future__ import annotations

from pathlib import Path

from .errors import ConsultError

__all__ = ["FORMATS", "SUPPORTED", "TEXT_FORMATS", "table_format"]

TEXT_FORMATS = {".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".txt": "tsv"}
FORMATS = {
    **TEXT_FORMATS,
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".parquet": "parquet",
}
SUPPORTED = "CSV, TSV, XLSX, JSONL or Parquet (.csv .tsv .xlsx .jsonl .parquet)"


def table_format(path: Path) -> str:
    """The format of a table file by its extension (``csv``, ``tsv``, ``xlsx``, ``jsonl``, ``parquet``)."""
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ConsultError(f"Unknown file format '{path.suffix or path.name}' for {path}", f"Use {SUPPORTED}")
    return fmt
