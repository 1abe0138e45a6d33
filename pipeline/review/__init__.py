"""Stage 6 — human review: export the answers worth checking, import the verdicts into the audit store.

- :mod:`pipeline.review.selection` chooses which answers to review (least sure first, then a seeded random slice);
- :mod:`pipeline.review.sheet` writes the review sheet and reads it back, checking every row before import;
- :mod:`pipeline.audit` is the audit store the verdicts go to (hash-chained JSON lines), which retrain reads.
"""

from ..audit import AuditStore, latest_reviews, review_key, text_sha256
from .selection import select_for_review, tone_uncertainty, uncertainty
from .sheet import ExportResult, ImportResult, export_for_review, import_reviews, labelled_file_of

__all__ = [
    "AuditStore",
    "ExportResult",
    "ImportResult",
    "export_for_review",
    "import_reviews",
    "labelled_file_of",
    "latest_reviews",
    "review_key",
    "select_for_review",
    "text_sha256",
    "tone_uncertainty",
    "uncertainty",
]
