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
        if _time_of_day_misread(value):
            minutes = value[1:]
            yield Hit(
                node,
                f"expires {value} is a time of day (00:{_two_digits(minutes)} every day), not {minutes} from now: "
                f"responses are kept until the next 00:{_two_digits(minutes)}, up to 24 hours; write expires {minutes}",
                Severity.WARNING,
            )
            continue
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


def _time_of_day_misread(value: str) -> bool:
    """`expires @30m`: nginx's `@` names a time of day, so a value without hours (in the first
    hour after midnight) is almost always `30m` misread as "for 30 minutes"."""
    parsed = parse_expires(value, modified=False) if value.startswith("@") else None
    return parsed is not None and not isinstance(parsed, str) and "h" not in value[1:] and parsed.seconds < 3600


def _two_digits(minutes_and_seconds: str) -> str:
    """`30m` -> `30`, `5m30s` -> `05:30`: the clock time nginx reads."""
    parsed = parse_expires("@" + minutes_and_seconds, modified=False)
    seconds = parsed.seconds if not isinstance(parsed, str) else 0
    text = f"{seconds // 60:02d}"
    return text + (f":{seconds % 60:02d}" if seconds % 60 else "")
