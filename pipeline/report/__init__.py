"""Stage 6 — report: theme counts a plan team can act on.

:func:`build_report` computes every table from a labelled table (``consult label`` output);
:func:`write_report` writes them as CSV files, one XLSX workbook, PNG charts, one self-contained HTML page
and a Markdown summary, all at once (into a temporary folder moved into place); :func:`report_file` does
both from file paths. The numbers are in :mod:`.analysis`, the formulas in :mod:`.stats`, the output
formats in :mod:`.render`.
"""

from .build import CountsResult, Report, build_report, previous_tone, report_file, theme_counts, write_report

__all__ = ["CountsResult", "Report", "build_report", "previous_tone", "report_file", "theme_counts", "write_report"]
