"""Inline suppression, like flake8's noqa: `# nginxcache: ignore NC101` (several codes
separated by commas or spaces; none: every code) on the finding's line, or alone on the line
before it."""

from __future__ import annotations

import re
from collections.abc import Iterable

from nginxcache.lint.findings import Finding

_IGNORE = re.compile(r"nginxcache:\s*ignore\b(.*)", re.IGNORECASE)
_CODE = re.compile(r"\b[A-Za-z]{2}\d{3}\b")

ALL = None  # a bare ignore: every code
Suppressions = dict[str, dict[int, frozenset[str] | None]]


def suppressions(comments: dict[str, dict[int, list[str]]], code_lines: dict[str, set[int]]) -> Suppressions:
    """file -> line -> the codes ignored on that line (None: all), from the comments of the
    tree; a comment alone on its line also covers the next line."""
    table: Suppressions = {}
    for file, lines in comments.items():
        for line, texts in lines.items():
            covered = [line] if line in code_lines.get(file, set()) else [line, line + 1]
            for text in texts:
                found = _IGNORE.search(text)
                if not found:
                    continue
                codes = frozenset(code.upper() for code in _CODE.findall(found.group(1)))
                for target in covered:
                    previous = table.setdefault(file, {}).get(target, frozenset())
                    table[file][target] = ALL if not codes or previous is ALL else previous | codes
    return table


def is_suppressed(finding: Finding, table: Suppressions) -> bool:
    lines = table.get(finding.file, {})
    if finding.line not in lines:
        return False
    codes = lines[finding.line]
    return codes is ALL or finding.code in codes


def unsuppressed(findings: Iterable[Finding], table: Suppressions) -> list[Finding]:
    return [finding for finding in findings if not is_suppressed(finding, table)]


_CONTENT_ADDRESSED = re.compile(r"nginxcache:\s*content-addressed\b", re.IGNORECASE)


def content_addressed_lines(comments: dict[str, dict[int, list[str]]], code_lines: dict[str, set[int]]) -> dict[str, set[int]]:
    """file -> the lines a `# nginxcache: content-addressed` comment declares (its own, or the
    next when it stands alone): a location there serves URLs that change with the content."""
    table: dict[str, set[int]] = {}
    for file, lines in comments.items():
        for line, texts in lines.items():
            if any(_CONTENT_ADDRESSED.search(text) for text in texts):
                covered = [line] if line in code_lines.get(file, set()) else [line, line + 1]
                table.setdefault(file, set()).update(covered)
    return table
