"""Positive evidence that an output's name carries a content hash.

A manifest says which outputs a build wrote, not whether their names carry a hash: a
config with `entryFileNames: 'theme.js'` or webpack's `[name].bundle.js` lists unhashed
outputs beside hashed ones. Without a recognisable hash token an output is not cached
long: failing safe costs a revalidation, failing the other way serves stale code.
"""

from __future__ import annotations

import posixpath
import re

_BASE64URL = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
_HEX_RUN = re.compile(r"(?<![0-9a-fA-F])[0-9a-fA-F]{8,64}(?![0-9a-fA-F])")
VITE_HASH_LENGTHS = range(8, 33)


def _looks_random(token: str) -> bool:
    """Not a word or a date: a letter, and a digit, mixed case, '_' or '-'."""
    has_letter = any(c.isalpha() for c in token)
    has_digit = any(c.isdigit() for c in token)
    mixed_case = any(c.isupper() for c in token) and any(c.islower() for c in token)
    return has_letter and (has_digit or mixed_case or "_" in token or "-" in token)


def vite_hash(output: str) -> str | None:
    """The [hash] of a Vite/Rollup output name (`name-HASH.ext`, `name.HASH.ext`), or None.

    Vite <= 4 hashes are hex, Vite >= 5 base64url (which may contain '-'), 8 characters
    unless configured otherwise.
    """
    stem = posixpath.splitext(posixpath.basename(output))[0]
    for length in VITE_HASH_LENGTHS:
        if len(stem) <= length or stem[-length - 1] not in "-.":
            continue
        token = stem[-length:]
        if set(token) <= _BASE64URL and _looks_random(token):
            return token
    return None


def hex_hash(output: str, key: str = "") -> str | None:
    """A hex hash run (webpack [contenthash], 8+ characters) in the output's file name that
    its manifest key does not also carry, or None."""
    base, key_base = posixpath.basename(output), posixpath.basename(key)
    for found in _HEX_RUN.finditer(base):
        token = found.group()
        if token not in key_base and any(c.isdigit() for c in token) and any(c.isalpha() for c in token):
            return token
    return None
