"""A finding: one problem at one place, a small sortable value (flake8's Violation)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"  # nginx refuses it, or users get stale or wrong content
    WARNING = "warning"  # a missed win, a fragile setup, a silent surprise
    NOTE = "note"  # works as meant, but simpler written otherwise: never fails a run

    @property
    def rank(self) -> int:
        """Higher is worse: --fail-on LEVEL fails on findings of this rank and above."""
        return {"note": 0, "warning": 1, "error": 2}[self.value]


@dataclass(frozen=True, slots=True, order=True)
class Finding:
    file: str
    line: int
    col: int
    code: str
    severity: Severity
    message: str
