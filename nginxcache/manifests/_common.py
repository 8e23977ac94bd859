"""Small checks every reader shares, each raising ManifestError with the JSON key path."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import SplitResult, urlsplit

from nginxcache.errors import ManifestError, UnsafeEntryError
from nginxcache.model import key_path
from nginxcache.quoting import unsafe_reason


def expect_object(value: Any, file: Path, *where: str | int) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ManifestError(f"expected a JSON object, found {json_type(value)}", file=file, key_path=key_path(*where) or None)
    return value


def expect_string(value: Any, file: Path, *where: str | int) -> str:
    if not isinstance(value, str):
        raise ManifestError(f"expected a string, found {json_type(value)}", file=file, key_path=key_path(*where))
    return value


def expect_string_list(value: Any, file: Path, *where: str | int) -> list[str]:
    if not isinstance(value, list):
        raise ManifestError(f"expected a list of strings, found {json_type(value)}", file=file, key_path=key_path(*where))
    return [expect_string(item, file, *where, i) for i, item in enumerate(value)]


def json_type(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean", type(None): "null"}.get(
        type(value), "a number"
    )


def url_parts(value: str, file: Path, where: str) -> SplitResult | None:
    """The parts of a manifest value that is a URL (a CDN origin, `//host/path`), or None
    when it is a path.

    urlsplit drops tabs and line breaks wherever they are and spaces before the scheme, and
    cuts the value at '#', without a word: a value holding any of them would be read as
    another file's. They are refused, naming the entry, as in a path."""
    reason = unsafe_reason(value)
    if reason:
        raise UnsafeEntryError(f"entry {value!r} {reason}; refused", file=file, key_path=where)
    parts = urlsplit(value)
    if not (parts.scheme or parts.netloc):
        return None
    if "#" in value:
        raise UnsafeEntryError(
            f"entry {value!r} is a URL with a fragment ('#'), which is never part of a request; refused",
            file=file,
            key_path=where,
        )
    if value.startswith(" "):
        raise UnsafeEntryError(f"entry {value!r} is a URL with spaces before it; refused", file=file, key_path=where)
    return parts
