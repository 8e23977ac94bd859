"""NC113: `expires` values nginx refuses, or (through a map) silently ignores."""

from __future__ import annotations

from collections.abc import Iterator

from nginxcache.lint.context import LintContext
from nginxcache.lint.findings import Severity
from nginxcache.lint.rules.registry import Hit, rule
from nginxcache.lint.semantics import expires_problem, parse_expires

HELP = "valid: off, epoch, max, [modified] 1y2M3w4d5h6m7s (units once each, in this order), -1h, @15h30m"


@rule("NC113", Severity.ERROR, "invalid expires value (nginx -t fails, or a map value makes nginx send nothing)")
def invalid_expires(ctx: LintContext) -> Iterator[Hit]:
    reported: set[int] = set()
    for node in ctx.tree.walk():
        if node.name != "expires" or not node.args:
            continue
        problem = expires_problem(node.args)
        if problem:
            yield Hit(node, f"expires {' '.join(node.args)}: {problem} (nginx -t fails); {HELP}")
            continue
        value = node.args[-1]
        if "$" not in value:
            continue
        modified = len(node.args) == 2
        for definition in ctx.evaluator.feeding_maps(value):
            entries = [*definition.entries, *([definition.default] if definition.default else [])]
            for entry in entries:
                if "$" in entry.value or entry.value == "" or id(entry.node) in reported:
                    continue
                parsed = parse_expires(entry.value, modified=modified)
                if isinstance(parsed, str):
                    reported.add(id(entry.node))
                    yield Hit(
                        entry.node,
                        f'map ${definition.variable} gives "{entry.value}" for {entry.key}, which feeds '
                        f"{node.show()} ({node.where}): {parsed}, so nginx silently sends no Expires and no "
                        f"Cache-Control for it; {HELP}",
                    )
