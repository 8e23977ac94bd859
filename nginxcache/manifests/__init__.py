"""Manifest readers, one module per build tool, and `load_manifest` which picks one."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from nginxcache.errors import ManifestError
from nginxcache.manifests import (
    angular,
    cra,
    django,
    encore,
    esbuild,
    mix,
    parcel,
    propshaft,
    sprockets,
    vite,
    webassets,
    webpack,
    webpack_stats,
)
from nginxcache.model import ManifestFormat, ManifestReading

READERS: dict[ManifestFormat, Callable[[Any, Path], ManifestReading]] = {
    ManifestFormat.DJANGO: django.read,
    ManifestFormat.VITE: vite.read,
    ManifestFormat.WEBPACK: webpack.read,
    ManifestFormat.WEBPACK_STATS: webpack_stats.read,
    ManifestFormat.ENCORE: encore.read,
    ManifestFormat.MIX: mix.read,
    ManifestFormat.WEBASSETS: webassets.read,
    ManifestFormat.SPROCKETS: sprockets.read,
    ManifestFormat.PROPSHAFT: propshaft.read,
    ManifestFormat.CRA: cra.read,
    ManifestFormat.PARCEL: parcel.read,
    ManifestFormat.ESBUILD: esbuild.read,
    ManifestFormat.ANGULAR: angular.read,
}

# File names only one tool writes. A flat {name: URL} map (Parcel, old CRA, Propshaft <= 1.1,
# webassets) has webpack-manifest-plugin's shape: only its name tells them apart.
_BY_NAME: dict[str, ManifestFormat] = {
    mix.FILE_NAME: ManifestFormat.MIX,
    parcel.FILE_NAME: ManifestFormat.PARCEL,
    cra.FILE_NAME: ManifestFormat.CRA,
    angular.FILE_NAME: ManifestFormat.ANGULAR,
    propshaft.FILE_NAME: ManifestFormat.PROPSHAFT,
}


def detect(data: Any, path: Path) -> ManifestFormat:
    """Tell which build tool wrote `data` from its file name and shape."""
    name = path.name
    if name == "staticfiles.json" or django.looks_like(data):
        return ManifestFormat.DJANGO
    if name in _BY_NAME:
        return _BY_NAME[name]
    if sprockets.FILE_NAME.fullmatch(name) or sprockets.looks_like(data):
        return ManifestFormat.SPROCKETS
    if name.startswith(webassets.FILE_PREFIX):
        return ManifestFormat.WEBASSETS
    if webpack_stats.looks_like(data):  # before Encore: a full stats.json has `entrypoints` too
        return ManifestFormat.WEBPACK_STATS
    if encore.looks_like_entrypoints(data) or (webpack.looks_like(data) and encore.is_encore_build(path)):
        return ManifestFormat.ENCORE
    for fmt, looks_like in _BY_SHAPE:
        if looks_like(data):
            return fmt
    if isinstance(data, dict) and not data:
        raise ManifestError("empty manifest: cannot tell which build tool wrote it; pass --manifest-format", file=path)
    raise ManifestError(
        "not a manifest nginxcache knows (Django staticfiles.json; Vite, webpack or Encore manifest.json; "
        "webpack stats.json; mix-manifest.json; Sprockets or Propshaft manifest; asset-manifest.json; "
        "parcel-manifest.json; esbuild metafile; ngsw.json); pass --manifest-format if it is one",
        file=path,
    )


# Most specific shape first: Vite and webpack accept the widest ones.
_BY_SHAPE: tuple[tuple[ManifestFormat, Callable[[Any], bool]], ...] = (
    (ManifestFormat.ANGULAR, angular.looks_like),
    (ManifestFormat.ESBUILD, esbuild.looks_like),
    (ManifestFormat.WEBPACK_STATS, webpack_stats.looks_like),
    (ManifestFormat.CRA, cra.looks_like),
    (ManifestFormat.PROPSHAFT, propshaft.looks_like),
    (ManifestFormat.MIX, mix.looks_like),
    (ManifestFormat.VITE, vite.looks_like),
    (ManifestFormat.WEBPACK, webpack.looks_like),
)


# The JSON escapes that make a character no name may hold: a quote, a backslash, a control
# character, a lone surrogate. \u00e9 or an escaped pair for an emoji do not (Django's
# json.dumps escapes every non-ASCII character).
_UNSAFE_ESCAPE = re.compile(  # every branch starts at the backslash: the search skips to each one
    rb'\\(?:["\\bfnrt]|u(?:00[01][0-9a-fA-F]|007[fF]|0022|005[cC]|[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F]))'
    rb"|(?<!\\u[dD][89abAB][0-9a-fA-F]{2}\\)u[dD][c-fC-F][0-9a-fA-F]{2})"
)


def read_json(path: Path) -> Any:
    return _read_json(path)[0]


def _read_json(path: Path) -> tuple[Any, bool]:
    """(the parsed JSON, whether its text is free of backslashes and DEL: see
    ManifestReading.plain_strings)."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ManifestError("no such file", file=path) from None
    except IsADirectoryError:
        raise ManifestError("is a directory, not a manifest file", file=path) from None
    except OSError as exc:
        raise ManifestError(f"cannot read: {exc.strerror}", file=path) from None
    plain = b"\x7f" not in raw and (b"\\" not in raw or not _UNSAFE_ESCAPE.search(raw))
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ManifestError(f"not UTF-8 (byte {exc.start})", file=path) from None
    del raw  # a big manifest: its bytes and its text need not both stay while it is parsed
    try:
        return json.loads(text), plain
    except json.JSONDecodeError as exc:
        raise ManifestError(f"invalid JSON at column {exc.colno}: {exc.msg}", file=path, line=exc.lineno) from None
    except RecursionError:
        raise ManifestError("invalid JSON: nested too deeply", file=path) from None


# What each format's file is called, for messages.
_DESCRIBED: dict[ManifestFormat, str] = {
    ManifestFormat.DJANGO: "Django's staticfiles.json",
    ManifestFormat.VITE: "a Vite manifest",
    ManifestFormat.WEBPACK: "a webpack manifest.json",
    ManifestFormat.WEBPACK_STATS: "webpack's stats.json",
    ManifestFormat.ENCORE: "a Symfony Encore manifest",
    ManifestFormat.MIX: "a Laravel Mix mix-manifest.json",
    ManifestFormat.WEBASSETS: "a webassets manifest",
    ManifestFormat.SPROCKETS: "a Sprockets manifest",
    ManifestFormat.PROPSHAFT: "a Propshaft manifest",
    ManifestFormat.CRA: "a Create React App asset-manifest.json",
    ManifestFormat.PARCEL: "a parcel-manifest.json",
    ManifestFormat.ESBUILD: "an esbuild metafile",
    ManifestFormat.ANGULAR: "Angular's ngsw.json",
}


def load_manifest(path: Path, fmt: ManifestFormat | None = None) -> ManifestReading:
    """Read a manifest as `fmt`, or as the format detected from its name and content."""
    if fmt is not None and fmt not in READERS:
        raise ManifestError(f"--manifest-format {fmt.value} is not a manifest format: use --scan DIR for a directory", file=path)
    data, plain = _read_json(path)
    if fmt is None:
        reading = READERS[detect(data, path)](data, path)
    else:
        try:
            reading = READERS[fmt](data, path)
        except ManifestError as exc:
            raise _misnamed(data, path, fmt) or exc from None
    return dataclasses.replace(reading, plain_strings=plain)


def _misnamed(data: Any, path: Path, fmt: ManifestFormat) -> ManifestError | None:
    """When a manifest forced to `fmt` is clearly another tool's, an error that says so
    (rather than the first key the wrong reader stumbled on)."""
    try:
        actual = detect(data, path)
    except ManifestError:
        return None
    if actual is fmt:
        return None
    return ManifestError(
        f"this looks like {_DESCRIBED[actual]}, not {_DESCRIBED[fmt]}: drop --manifest-format to detect it, "
        f"or give --manifest-format {actual.value}",
        file=path,
    )
