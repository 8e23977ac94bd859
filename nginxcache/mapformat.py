"""The hashed map's entry line, `    "KEY" 1;`: how a key is written, and the grammar that
reads one back. classify builds these lines for its bulk checks, render writes them and
validate proves them, so all three take the line's shape from here."""

from __future__ import annotations

import re
from typing import NamedTuple

from nginxcache.quoting import nginx_quote

_PCRE_LITERAL = re.compile(r"[A-Za-z0-9/_\x80-\U0010ffff]")

ENTRY_TAIL = '" 1;\n'  # what follows a plain key on its line


def entry_head(prefix: str) -> str:
    """What comes before a plain key's name on its line: `    "PREFIX`."""
    return f'    "{prefix}'


def plain_entry_lines(prefix: str, names: list[str]) -> str:
    """`    "PREFIX+NAME" 1;` for each name, by one join: names that need no escaping."""
    if not names:
        return ""
    head, tail = entry_head(prefix), ENTRY_TAIL
    separator = tail + head
    framed = names.copy()  # the head and tail go on the first and last name, not on the whole text
    framed[0] = head + framed[0]
    framed[-1] = framed[-1] + tail
    return separator.join(framed)


def quoted_entry_lines(keys: list[str]) -> str:
    """One entry line per map key, each key through nginx_quote."""
    return "".join(f"    {nginx_quote(key)} 1;\n" for key in keys)


def pcre_literal(text: str) -> str:
    """A regex matching exactly `text`: every ASCII punctuation character escaped."""
    return "".join(c if _PCRE_LITERAL.match(c) else "\\" + c for c in text)


def map_key(uri: str, case_sensitive: bool) -> str:
    """The map key for a URI: itself (nginx compares string keys without regard to case), or
    a case-sensitive regex matching exactly it."""
    # \z, not $: PCRE's $ also matches before a final newline (a name ending in %0A).
    return f"~^{pcre_literal(uri)}\\z" if case_sensitive else uri


def prefix_key(prefix: str) -> str:
    """A case-sensitive regex map key for everything below a URI prefix."""
    return f"~^{pcre_literal(prefix)}"


def versioned_key(uri: str, query: str) -> str:
    """The `"$uri?$args"` map key of one query-string version: a case-sensitive regex, since
    `?id=ABC` or a file `App.js` must not pass for `app.js?id=abc`."""
    return f"~^{pcre_literal(f'{uri}?{query}')}\\z"


class EntryChunk(NamedTuple):
    """Consecutive entry lines of the hashed map.

    `keys` is None for a run of plain keys written by one join (each `"PREFIX+REST" 1;`,
    nothing to escape); otherwise the map keys of the lines, in order, each through
    nginx_quote (case-sensitive regex keys, names with a quote or backslash)."""

    text: str
    line_count: int
    keys: list[str] | None


def quoted_chunk(keys: list[str]) -> EntryChunk:
    return EntryChunk(quoted_entry_lines(keys), len(keys), keys)


# The grammar of one entry, exactly as render writes it: a complete statement on its own
# line, whose key (a URI or a case-sensitive regex of one: never `default`, `include`,
# `hostnames` or `volatile`) is one double-quoted token with only \\ and \" escaped.
_KEY = r'(?:/|~\^/)(?:[^"\\\x00-\x1f\x7f]|\\["\\])*+'
# The first line that is not an entry (possessive: no backtracking state across 80 MB).
NOT_AN_ENTRY = re.compile(rf'^(?!    "{_KEY}" 1;$)', re.MULTILINE)
ENTRY_KEYS = re.compile(rf'^    "({_KEY})" 1;$', re.MULTILINE)
