"""`nginxcache lint`: read an nginx config tree and run every rule on it (see engine.py).

The names below load the engine when first used: `render` and the other commands import
this package's small modules (findings, report) without paying for the rules and crossplane.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nginxcache.lint.engine import (
        RULES,
        ConfigError,
        Finding,
        LintOptions,
        LintResult,
        Severity,
        all_codes,
        lint,
        parse_codes,
    )

__all__ = ["ConfigError", "Finding", "LintOptions", "LintResult", "RULES", "Severity", "all_codes", "lint", "parse_codes"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from nginxcache.lint import engine

        return getattr(engine, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
