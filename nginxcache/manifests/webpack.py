"""webpack-manifest-plugin: a flat {"main.js": "/static/main.62fdc95fff1a65cd54cd.js"}.

Values carry webpack's publicPath, unhashed outputs too ("index.html" ->
"/static/index.html"): an absolute value is the URL path itself, a relative one is below
the served prefix. An output counts as hashed only when its file name carries a hex
[contenthash] its key does not (hashtoken.hex_hash); source maps never do: webpack names
them after their asset's hash while their content changes on its own. The plugin's
default removeKeyHash strips hex runs from keys, so a copied file already named
`legacy.0123456789abcdef0123.js` looks hashed here; only webpack's stats know better.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nginxcache.hashtoken import hex_hash
from nginxcache.manifests._common import expect_object, expect_string, url_parts
from nginxcache.model import Entry, ManifestFormat, ManifestReading, in_build_dir, key_path
from nginxcache.quoting import check_asset_path

REASON = "value differs from its key in webpack's manifest.json (a renamed, hashed output)"


def looks_like(data: Any) -> bool:
    return isinstance(data, dict) and bool(data) and all(isinstance(v, str) for v in data.values())


def url_path(value: str, file: Path, where: str) -> str:
    """The URL path of a manifest value: drops a CDN origin and webpack's 'auto/' publicPath.
    A value urlsplit would misread is refused (see url_parts)."""
    parts = url_parts(value, file, where)
    if parts is not None:
        return parts.path
    return value.removeprefix("auto/")


def read(data: Any, file: Path) -> ManifestReading:
    name = str(file)
    manifest = expect_object(data, file)
    hashed: list[Entry] = []
    unhashed: list[tuple[Entry, str]] = []
    for key, raw_value in manifest.items():
        where = key_path(key)
        value = url_path(expect_string(raw_value, file, key), file, where)
        check_asset_path(value.removeprefix("/"), file=name, key_path=where)
        entry = Entry(value, where)
        if value.endswith(".map"):
            unhashed.append((entry, "a source map: webpack names it after its asset's hash, not its own content"))
        elif hex_hash(value, key) is None:
            unhashed.append((entry, "listed by webpack's manifest.json, but its name carries no [contenthash]"))
        else:
            hashed.append(entry)
    return in_build_dir(ManifestFormat.WEBPACK, file, hashed, unhashed, REASON)
