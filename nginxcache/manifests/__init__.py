"""Manifest readers, one module per build tool, and `load_manifest` which picks one."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

from nginxcache.errors import ManifestError
from nginxcache.manifests import django, vite, webpack
from nginxcache.model import ManifestFormat, ManifestReading

READERS: dict[ManifestFormat, Callable[[Any, Path], ManifestReading]] = {
    ManifestFormat.DJANGO: django.read,
    ManifestFormat.VITE: vite.read,
    ManifestFormat.WEBPACK: webpack.read,
}


def detect(data: Any, path: Path) -> ManifestFormat:
    """Tell which build tool wrote `data` from its file name and shape."""
    if path.name == "staticfiles.json" or django.looks_like(data):
        return ManifestFormat.DJANGO
    if vite.looks_like(data):
        return ManifestFormat.VITE
    if webpack.looks_like(data):
        return ManifestFormat.WEBPACK
    if isinstance(data, dict) and not data:
        raise ManifestError("empty manifest: cannot tell which build tool wrote it; pass --format", file=path)
    raise ManifestError(
        "not a manifest nginxcache knows (Django staticfiles.json, Vite or webpack manifest.json); "
        "pass --format if it is one",
        file=path,
    )


def read_json(path: Path) -> Any:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ManifestError("no such file", file=path) from None
    except IsADirectoryError:
        raise ManifestError("is a directory, not a manifest file", file=path) from None
    except OSError as exc:
        raise ManifestError(f"cannot read: {exc.strerror}", file=path) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ManifestError(f"not UTF-8 (byte {exc.start})", file=path) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ManifestError(f"invalid JSON at column {exc.colno}: {exc.msg}", file=path, line=exc.lineno) from None
    except RecursionError:
        raise ManifestError("invalid JSON: nested too deeply", file=path) from None


def load_manifest(path: Path, fmt: ManifestFormat | None = None) -> ManifestReading:
    data = read_json(path)
    return READERS[fmt or detect(data, path)](data, path)
