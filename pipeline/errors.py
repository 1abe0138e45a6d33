"""User-facing errors: each names the problem and the fix, in one line.

Library code raises ``ConsultError``; only the CLI turns it into a message and exit code 1.
"""

from __future__ import annotations


class ConsultError(Exception):
    """A problem the user can fix (bad input, missing model, wrong option)."""

    def __init__(self, problem: str, fix: str = "") -> None:
        self.problem = problem.rstrip(".")
        self.fix = fix.rstrip(".")
        super().__init__(str(self))

    def __str__(self) -> str:
        return f"{self.problem}. {self.fix}." if self.fix else f"{self.problem}."
