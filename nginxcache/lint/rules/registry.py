"""The rule registry: each rule is a function registered with its code and severity by the
`rule` decorator, and yields Hits (where, what) that become Findings."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from nginxcache.lint.findings import Severity
from nginxcache.lint.tree import Node

if TYPE_CHECKING:
    from nginxcache.lint.context import LintContext


@dataclass(frozen=True, slots=True)
class Hit:
    node: Node
    message: str
    severity: Severity | None = None  # None: the rule's own; a rule may say less of a milder case


Check = Callable[["LintContext"], Iterable[Hit]]


@dataclass(frozen=True, slots=True)
class Rule:
    code: str
    severity: Severity
    summary: str
    check: Check


RULES: dict[str, Rule] = {}


def rule(code: str, severity: Severity, summary: str) -> Callable[[Check], Check]:
    """Register the decorated function as rule `code`."""

    def register(check: Check) -> Check:
        if code in RULES:
            raise ValueError(f"rule {code} registered twice")
        RULES[code] = Rule(code, severity, summary, check)
        return check

    return register
