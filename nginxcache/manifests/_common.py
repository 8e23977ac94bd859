"""Small checks every reader shares, each raising ManifestError with the JSON key path."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nginxcache.errors import ManifestError
from nginxcache.model import key_path


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
