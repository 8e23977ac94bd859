"""Query-string versions (`/js/app.js?id=...`) shared by the Laravel Mix and webassets
readers: a version counts only when a browser sends it to nginx byte for byte.
"""

from __future__ import annotations

import re

# RFC 3986 query characters a browser sends unchanged (WHATWG's special-query set also
# encodes "'"), or percent-escapes: nginx's $args holds the raw query, never decoded.
_QUERY = re.compile(r"(?:[A-Za-z0-9\-._~!$&()*+,;=:@/?]|%[0-9A-Fa-f]{2})+")


def query_problem(query: str) -> str | None:
    """Why `query` cannot be matched against nginx's $args exactly, or None."""
    if not query:
        return "its query string is empty"
    if not _QUERY.fullmatch(query):
        return "its query string holds characters a browser would percent-encode, so no request would match it"
    return None
