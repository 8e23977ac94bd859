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
    unless configured otherwise. A chunk's name may be its hash alone (`[hash].js`).
    """
    stem = posixpath.splitext(posixpath.basename(output))[0]
    if len(stem) == HASH_ALONE_LENGTH and set(stem) <= _BASE64URL and _hash_alone(stem):
        return stem  # a chunk named by its hash alone (SvelteKit, Nuxt: `Bjy-W4x2.js`)
    for length in VITE_HASH_LENGTHS:
        if len(stem) <= length or stem[-length - 1] not in "-.":
            continue
        token = stem[-length:]
        if set(token) <= _BASE64URL and _looks_random(token):
            return token
    return None


# Rollup's and Rolldown's default [hash] length: a chunk named `[hash].js` has exactly this.
HASH_ALONE_LENGTH = 8


def _hash_alone(stem: str) -> bool:
    """A whole stem that is a hash rather than a word: a digit beside letters, or capitals
    past the first letter beside small ones (`Bjy-W4x2`, `BOTueOaN`; not `Makefile`,
    `my-compo` or `--_-_-_-`). About a quarter of real hashes fail this: they revalidate."""
    letters = [c for c in stem if c.isalpha()]
    if len(letters) + sum(c.isdigit() for c in stem) < 6:
        return False
    if any(c.isdigit() for c in stem):
        return bool(letters)
    return any(c.isupper() for c in stem[1:]) and any(c.islower() for c in stem)


def hex_hash(output: str, key: str = "") -> str | None:
    """A hex hash run (webpack [contenthash], 8+ characters) in the output's file name that
    its manifest key does not also carry, or None."""
    base, key_base = posixpath.basename(output), posixpath.basename(key)
    for found in _HEX_RUN.finditer(base):
        token = found.group()
        if token not in key_base and any(c.isdigit() for c in token) and any(c.isalpha() for c in token):
            return token
    return None


_BASE32 = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
BASE32_HASH_LENGTH = 8


def base32_hash(output: str, source: str = "") -> str | None:
    """The [hash] of an esbuild output name (`name-HASH.ext`, `name.HASH.ext`), or None.

    esbuild writes 8 characters of RFC 4648 base32 (A-Z, 2-7). About one hash in five
    has no digit, so, unlike `vite_hash`, a token of letters alone counts; instead the
    token must end the stem after '-' or '.' with a non-empty name before it, hold at
    least 4 distinct characters (not `AAAAAAAA` or `XXXXXXXX` placeholders) and not
    occur in the name of the `source` file the output was built from (an entry
    `src/app-LEGACYJS.js` keeps its name under esbuild's default `[dir]/[name]`).
    """
    stem = posixpath.splitext(posixpath.basename(output))[0]
    length = BASE32_HASH_LENGTH
    if len(stem) < length + 2 or stem[-length - 1] not in "-.":
        return None
    token = stem[-length:]
    if not set(token) <= _BASE32 or len(set(token)) < 4:
        return None
    if token in posixpath.basename(source):
        return None
    return token


_HEX = frozenset("0123456789abcdef")


def inserted_digest(logical: str, digested: str, ext: re.Pattern[str], lengths: range) -> str | None:
    """The lowercase hex digest that Rails' asset pipelines insert into `logical` to name
    `digested` ("app.js" -> "app-<digest>.js"; `ext` matches what the digest goes
    before), or None when `digested` is not exactly that.

    The manifest's own mapping of the logical name to this name is the evidence, as for
    Django's staticfiles.json: no letter-and-digit test, which would drop 2% of the
    8-character digests Propshaft writes.
    """
    found = ext.search(logical)
    if found is None:
        return None
    head, tail = logical[: found.start()] + "-", logical[found.start() :]
    if not (digested.startswith(head) and digested.endswith(tail)):
        return None
    token = digested[len(head) : len(digested) - len(tail)]
    if len(token) not in lengths or not set(token) <= _HEX:
        return None
    return token
