"""The one way any string reaches nginx config, and the rules an asset path must meet.

nginx's tokenizer (ngx_conf_read_token) unescapes \\" \\' \\\\ \\t \\r \\n inside and outside
quotes and keeps any other backslash; `$` starts a variable in values but is literal in
exact locations and map keys.
"""

from __future__ import annotations

import re

from nginxcache.errors import UnsafeEntryError

# What "a control character" means for every name and value: C0 and C1 controls and DEL;
# U+2028 and U+2029, line breaks to Python's splitlines(), JavaScript and many editors; and
# Unicode's Bidi_Control characters, which reorder how the text around them is displayed (a
# name that reads as another in a review, a diff or a terminal: "Trojan Source").
CONTROL_CHARACTERS = "\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069"  # a regex class body
_CONTROL = re.compile(f"[{CONTROL_CHARACTERS}]")
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


# nginx reads its config through a 4096-byte buffer (NGX_CONF_BUFFER in ngx_conf_file.c) and
# refuses a token that does not fit in it whole: "too long parameter ... started". Measured
# with `nginx -t` on Debian's nginx 1.22.1, growing the key one byte at a time: a map entry
# `"KEY" 1;`, a `location = "KEY" {`, a regex map key `"~^...\\z" 1;` each take at most 4093
# bytes between the quotes (4094 is refused), counted as in the file: escapes included.
# tests/test_hostile_manifests.py measures it again wherever nginx is installed.
NGINX_MAX_QUOTED_BYTES = 4093

# The longest an entry may be, in bytes, written as in its longest form: a case-sensitive regex
# key `"~^PREFIX+NAME\\z"` (it becomes one when another file's name equals it up to case, which
# the manifest alone does not decide), where every ASCII punctuation character is escaped
# (`.` is written `\\.`, a quote `\\\"`). 4000 leaves the `~^`, the `\\z` and 88 bytes of
# prefix (`/static/` takes 8) within nginx's 4093. No build tool writes names this long: a
# path is at most 4096 bytes on Linux, a name 255.
MAX_NAME_BYTES = 4000
_REGEX_ESCAPED = re.compile(r"[^A-Za-z0-9/_\x80-\U0010ffff]")  # what mapformat.pcre_literal escapes
_ALWAYS_FITS = MAX_NAME_BYTES // 4  # characters: none is written in more than 4 bytes


def written_bytes(name: str) -> int:
    """The bytes `name` takes inside the quotes of a case-sensitive regex map key (its
    longest form in the config): UTF-8, each escaped character 3 bytes, 4 for '"' and '\\'."""
    escaped = len(_REGEX_ESCAPED.findall(name))
    return len(name.encode("utf-8", "surrogatepass")) + 2 * escaped + name.count('"') + name.count("\\")


def length_problem(name: str) -> str | None:
    """Why `name` is too long for nginx, or None."""
    if len(name) <= _ALWAYS_FITS:
        return None
    size = written_bytes(name)
    if size <= MAX_NAME_BYTES:
        return None
    return (
        f"is {size} bytes as written in nginx config (escapes included): over the {MAX_NAME_BYTES}-byte limit "
        f"on names (nginx refuses a parameter over {NGINX_MAX_QUOTED_BYTES} bytes)"
    )


def shown(value: object) -> str:
    """`value` as an error message shows it: its repr, the middle of a long one left out."""
    text = repr(value)
    return text if len(text) <= 200 else f"{text[:100]}...{text[-60:]} ({len(str(value))} characters)"


def first_too_long(names: list[str]) -> tuple[int, str] | None:
    """(index, why) of the first name too long for nginx, or None: one C-level pass while
    every name is short enough to fit whatever its characters (a million of them in 30 ms)."""
    if not names or max(map(len, names)) <= _ALWAYS_FITS:
        return None
    for i, name in enumerate(names):
        problem = length_problem(name)
        if problem:
            return i, problem
    return None


# Fast path: relative, short, no control characters or surrogates, no '.', '..' or empty segment.
_SAFE_SEGMENT = rf"(?!\.\.?(?:/|\Z))[^/{CONTROL_CHARACTERS}\ud800-\udfff]+"
_SAFE_PATH = re.compile(rf"{_SAFE_SEGMENT}(?:/{_SAFE_SEGMENT})*")


def asset_path_problem(path: object) -> str | None:
    """Why a manifest entry cannot be an asset path relative to the served root, or None.

    nginx matches the decoded, normalised `$uri`: `.`/`..` segments are resolved and
    slashes merged before a map or location sees them, so such entries could never match
    and may point outside the root. Absolute paths escape the root. A name too long for
    nginx's parameter limit would make nginx refuse the whole config.
    """
    if isinstance(path, str) and len(path) <= _ALWAYS_FITS and _SAFE_PATH.fullmatch(path):
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
    return length_problem(path)


def check_asset_path(path: object, *, file: str, key_path: str) -> str:
    """Return `path` when it is a safe relative asset path, else raise naming the entry."""
    problem = asset_path_problem(path)
    if problem:
        raise UnsafeEntryError(f"entry {shown(path)} {problem}; refused", file=file, key_path=key_path)
    assert isinstance(path, str)
    return path
