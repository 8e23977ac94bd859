"""Every lint rule, one function each, registered by code in RULES on import."""

from nginxcache.lint.rules import (  # noqa: F401  (importing registers the rules)
    caching,
    compression,
    directives,
    expires,
    exposure,
    headers,
    locations,
    maps,
)
from nginxcache.lint.rules.registry import RULES, Hit, Rule, rule

__all__ = ["RULES", "Hit", "Rule", "rule"]
