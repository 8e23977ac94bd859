"""The one way any string reaches nginx config, and the rules an asset path must meet.

nginx's tokenizer (ngx_conf_read_token) unescapes \\" \\' \\\\ \\t \\r \\n inside and outside
quotes and keeps any other backslash; `$` starts a variable in values but is literal in
exact locations and map keys.
"""

from __future__ import annotations

import re

from nginxcache.errors import UnsafeEntryError

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_NGINX_ESCAPES = {'"': '"', "'": "'", "\\": "\\", "t": "\t", "r": "\r", "n": "\n"}


def unsafe_reason(value: str, *, expands_variables: bool = False) -> str | None:
    """Why `value` cannot be written into nginx config, or None when it can."""
    if _CONTROL.search(value):
        return "contains a control character"
    if _SURROGATE.search(value):
        return "is not valid Unicode (lone surrogate)"
    if expands_variables and "$" in value:
        return "contains '$', which nginx would expand as a variable here"
    return None


def nginx_quote(value: str, *, expands_variables: bool = False) -> str:
    """Quote `value` as one nginx token that nginx reads back as exactly `value`.

    `expands_variables` is for argument positions where nginx expands `$name` (root,
    alias, add_header values...): there a `$` cannot be escaped, so it is refused.
    """
    reason = unsafe_reason(value, expands_variables=expands_variables)
    if reason:
        raise UnsafeEntryError(f"{value!r} {reason}")
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def nginx_unescape(token: str) -> str:
    """What nginx makes of a token's characters (quotes already removed)."""
    if "\\" not in token:
        return token
    out: list[str] = []
    i = 0
    while i < len(token):
        char = token[i]
        if char == "\\" and i + 1 < len(token) and token[i + 1] in _NGINX_ESCAPES:
            out.append(_NGINX_ESCAPES[token[i + 1]])
            i += 2
        else:
            out.append(char)
            i += 1
    return "".join(out)


# Fast path: relative, no control characters or surrogates, no '.', '..' or empty segment.
_SAFE_SEGMENT = r"(?!\.\.?(?:/|\Z))[^/\x00-\x1f\x7f\ud800-\udfff]+"
_SAFE_PATH = re.compile(rf"{_SAFE_SEGMENT}(?:/{_SAFE_SEGMENT})*")


def asset_path_problem(path: object) -> str | None:
    """Why a manifest entry cannot be an asset path relative to the served root, or None.

    nginx matches the decoded, normalised `$uri`: `.`/`..` segments are resolved and
    slashes merged before a map or location sees them, so such entries could never match
    and may point outside the root. Absolute paths escape the root.
    """
    if isinstance(path, str) and _SAFE_PATH.fullmatch(path):
        return None
    if not isinstance(path, str):
        return f"is a {type(path).__name__}, not a string"
    if not path:
        return "is empty"
    reason = unsafe_reason(path)
    if reason:
        return reason
    if path.startswith("/"):
        return "is an absolute path"
    for segment in path.split("/"):
        if segment in (".", ".."):
            return f"has a '{segment}' segment"
        if segment == "":
            return "has an empty path segment ('//' or a trailing '/')"
    return None


def check_asset_path(path: object, *, file: str, key_path: str) -> str:
    """Return `path` when it is a safe relative asset path, else raise naming the entry."""
    problem = asset_path_problem(path)
    if problem:
        raise UnsafeEntryError(f"entry {path!r} {problem}; refused", file=file, key_path=key_path)
    assert isinstance(path, str)
    return path
