"""Create React App: build/asset-manifest.json, {"files": {"main.js":
"/static/js/main.e34f65af.js", ...}, "entrypoints": ["static/js/main.e34f65af.js"]}
(react-scripts >= 3.2), or the same `files` map at the top level before.

Values carry the homepage / PUBLIC_URL like webpack-manifest-plugin's (webpack.url_path).
An output is hashed when its name carries a hex [contenthash]; where the key is the output
itself (chunks: "static/js/16.b02aa0ef.chunk.js") the key cannot show the hash came from
the source's name, as it can for "main.js", and CRA copies no file through webpack, so
the name alone decides. `index.html`, `service-worker.js` and source maps revalidate.
`entrypoints` repeats names of `files`: checked, not added.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nginxcache.hashtoken import hex_hash
from nginxcache.manifests import webpack
from nginxcache.manifests._common import expect_object, expect_string, expect_string_list
from nginxcache.model import Entry, ManifestFormat, ManifestReading, in_build_dir, key_path
from nginxcache.quoting import check_asset_path

FILE_NAME = "asset-manifest.json"
REASON = "output listed by Create React App's asset-manifest.json with a [contenthash] in its name"


def looks_like(data: Any) -> bool:
    """The react-scripts >= 3.2 shape; the older flat map is detected by its file name."""
    return (
        isinstance(data, dict)
        and isinstance(data.get("files"), dict)
        and isinstance(data.get("entrypoints"), list)
        and all(isinstance(value, str) for value in data["files"].values())
    )


def read(data: Any, file: Path) -> ManifestReading:
    name = str(file)
    manifest = expect_object(data, file)
    nested = isinstance(manifest.get("files"), dict) or "entrypoints" in manifest
    where_files: tuple[str, ...] = ("files",) if nested else ()
    files = expect_object(manifest.get("files"), file, "files") if nested else manifest
    hashed: list[Entry] = []
    unhashed: list[tuple[Entry, str]] = []
    for key, raw_value in files.items():
        where = key_path(*where_files, key)
        value = webpack.url_path(expect_string(raw_value, file, *where_files, key), file, where)
        check_asset_path(value.removeprefix("/"), file=name, key_path=where)
        entry = Entry(value, where)
        names_itself = value == key or value.endswith("/" + key)
        if value.endswith(".map"):
            unhashed.append((entry, "a source map: webpack names it after its asset's hash, not its own content"))
        elif (hex_hash(value) if names_itself else hex_hash(value, key)) is None:
            unhashed.append((entry, "listed by asset-manifest.json, but its name carries no [contenthash]"))
        else:
            hashed.append(entry)
    if nested and "entrypoints" in manifest:
        for i, path in enumerate(expect_string_list(manifest["entrypoints"], file, "entrypoints")):
            where = key_path("entrypoints", i)
            check_asset_path(webpack.url_path(path, file, where).removeprefix("/"), file=name, key_path=where)
    return in_build_dir(ManifestFormat.CRA, file, hashed, unhashed, REASON)
