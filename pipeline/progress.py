"""Progress of long work, in answers: a stage has a name and a total; work ticks as answers are done.

The pipeline reports to a :class:`Progress`; the CLI draws it (rich bars with rate and time left), a notebook
or test can pass nothing.
"""

from __future__ import annotations


class Progress:
    """Does nothing; the CLI's subclass draws bars."""

    def stage(self, name: str, total: int | None) -> None:
        """A new stage over ``total`` answers (None: not known yet)."""

    def tick(self, n: int) -> None:
        """``n`` more answers done in the current stage."""
