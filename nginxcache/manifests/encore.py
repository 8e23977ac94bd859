"""Symfony Webpack Encore: public/build/manifest.json (webpack-manifest-plugin, keys like
"build/app.js") plus entrypoints.json beside it ({"entrypoints": {"app": {"js": [...]}}}).

manifest.json is read by webpack.py's rules (a [contenthash] in the name that the key does
not carry); entrypoints.json must only name files that manifest.json lists, else the two
come from different builds. entrypoints.json alone: its files count as hashed when their
names carry a hex [contenthash] (Encore's `enableVersioning()`: `[name].[contenthash:8]`).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from nginxcache.errors import ManifestError
from nginxcache.hashtoken import hex_hash
from nginxcache.manifests import webpack
from nginxcache.manifests._common import expect_object, expect_string_list
from nginxcache.model import Entry, ManifestFormat, ManifestReading, key_path
from nginxcache.quoting import check_asset_path

MANIFEST_NAME = "manifest.json"
ENTRYPOINTS_NAME = "entrypoints.json"
REASON = "output named by Symfony Encore's manifest.json with a [contenthash] its key does not carry"
ENTRYPOINTS_REASON = "listed by Symfony Encore's entrypoints.json with a [contenthash] in its name"


def looks_like_entrypoints(data: Any) -> bool:
    """{"entrypoints": {name: {"js": [...], "css": [...]}}}; CRA's `entrypoints` is a list."""
    return (
        isinstance(data, dict)
        and isinstance(data.get("entrypoints"), dict)
        and all(isinstance(files, dict) for files in data["entrypoints"].values())
    )


def is_encore_build(path: Path) -> bool:
    """manifest.json or entrypoints.json with the other one beside it."""
    other = {MANIFEST_NAME: ENTRYPOINTS_NAME, ENTRYPOINTS_NAME: MANIFEST_NAME}.get(path.name)
    return other is not None and (path.parent / other).is_file()


def _entrypoint_files(data: Any, file: Path) -> list[tuple[str, str]]:
    """(URL path, key path) of every file entrypoints.json lists, in order."""
    entrypoints = expect_object(expect_object(data, file).get("entrypoints"), file, "entrypoints")
    listed: list[tuple[str, str]] = []
    for entry_name, by_type in entrypoints.items():
        for file_type, files in expect_object(by_type, file, "entrypoints", entry_name).items():
            for i, value in enumerate(expect_string_list(files, file, "entrypoints", entry_name, file_type)):
                where = key_path("entrypoints", entry_name, file_type, i)
                path = webpack.url_path(value, file, where)
                check_asset_path(path.removeprefix("/"), file=str(file), key_path=where)
                listed.append((path, where))
    return listed


def read(data: Any, file: Path) -> ManifestReading:
    from nginxcache.manifests import read_json  # the package imports this module

    if file.name == ENTRYPOINTS_NAME:
        entrypoints_file, entrypoints_data = file, data
        manifest_file = file.parent / MANIFEST_NAME
        manifest_data = read_json(manifest_file) if manifest_file.is_file() else None
    else:
        manifest_file, manifest_data = file, data
        entrypoints_file = file.parent / ENTRYPOINTS_NAME
        entrypoints_data = read_json(entrypoints_file) if entrypoints_file.is_file() else None

    if manifest_data is None:
        return _read_entrypoints_alone(entrypoints_data, entrypoints_file)
    reading = webpack.read(manifest_data, manifest_file)
    if entrypoints_data is not None:
        known = {entry.path for entry in reading.hashed} | {entry.path for entry, _ in reading.unhashed}
        for path, where in _entrypoint_files(entrypoints_data, entrypoints_file):
            if path not in known:
                raise ManifestError(
                    f"lists {path!r}, which {manifest_file.name} beside it does not: the two files come from different builds",
                    file=entrypoints_file,
                    key_path=where,
                )
    return dataclasses.replace(reading, format=ManifestFormat.ENCORE, hashed_reason=REASON)


def _read_entrypoints_alone(data: Any, file: Path) -> ManifestReading:
    hashed: dict[str, Entry] = {}
    unhashed: dict[str, tuple[Entry, str]] = {}
    for path, where in _entrypoint_files(data, file):
        if path in hashed or path in unhashed:
            continue  # the runtime chunk is listed by every entry
        entry = Entry(path, where)
        if path.endswith(".map"):
            unhashed[path] = (entry, "a source map: webpack names it after its asset's hash, not its own content")
        elif hex_hash(path) is None:
            unhashed[path] = (entry, "listed by Encore's entrypoints.json, but its name carries no [contenthash]")
        else:
            hashed[path] = entry
    return ManifestReading(
        format=ManifestFormat.ENCORE,
        file=str(file),
        build_root=file.parent,
        hashed=list(hashed.values()),
        hashed_reason=ENTRYPOINTS_REASON,
        unhashed=list(unhashed.values()),
        manifest_relpath=file.name,
    )
