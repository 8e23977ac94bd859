"""Inline suppression, like flake8's noqa: `# nginxcache: ignore NC101` (several codes
separated by commas or spaces; none: every code) on the finding's line or the line before."""

from __future__ import annotations

import re
from collections.abc import Iterable

from nginxcache.lint.findings import Finding

_IGNORE = re.compile(r"nginxcache:\s*ignore\b(.*)", re.IGNORECASE)
_CODE = re.compile(r"\b[A-Za-z]{2}\d{3}\b")

ALL = None  # a bare ignore: every code
Suppressions = dict[str, dict[int, frozenset[str] | None]]


def suppressions(comments: dict[str, dict[int, list[str]]]) -> Suppressions:
    """file -> line -> the codes ignored there (None: all), from the comments of the tree."""
    table: Suppressions = {}
    for file, lines in comments.items():
        for line, texts in lines.items():
            for text in texts:
                found = _IGNORE.search(text)
                if not found:
                    continue
                codes = frozenset(code.upper() for code in _CODE.findall(found.group(1)))
                previous = table.setdefault(file, {}).get(line, frozenset())
                if not codes or previous is ALL:
                    table[file][line] = ALL
                else:
                    table[file][line] = previous | codes
    return table


def is_suppressed(finding: Finding, table: Suppressions) -> bool:
    lines = table.get(finding.file, {})
    for line in (finding.line, finding.line - 1):
        if line in lines:
            codes = lines[line]
            if codes is ALL or finding.code in codes:
                return True
    return False


def unsuppressed(findings: Iterable[Finding], table: Suppressions) -> list[Finding]:
    return [finding for finding in findings if not is_suppressed(finding, table)]
