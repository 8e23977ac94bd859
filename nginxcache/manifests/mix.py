"""Laravel Mix: public/mix-manifest.json, {"/js/app.js": "/js/app.js?id=<md5 hex>"}.

`mix.version()` never renames a file: the version is the query string (`id=` and the md5 of
the content, Mix 6), so an output is hashed only together with that exact query (Entry.query,
nginx's $args). Keys and values are paths below the public directory, written with a
leading '/'. Values of the webassets kind (`/static/gen/plain.js?80de908f`) read the same way.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nginxcache.hashtoken import hex_hash
from nginxcache.manifests._common import expect_object, expect_string, url_parts
from nginxcache.manifests._versions import query_problem
from nginxcache.model import Entry, ManifestFormat, ManifestReading, in_build_dir, key_path
from nginxcache.quoting import check_asset_path

FILE_NAME = "mix-manifest.json"
REASON = "versioned by Laravel Mix's mix-manifest.json (the exact ?id= query it names, or a hash in the name)"


def looks_like(data: Any) -> bool:
    """Every key a '/' path and every value that path, at least one with a '?version'."""
    if not isinstance(data, dict) or not data:
        return False
    versioned = False
    for key, value in data.items():
        if not (key.startswith("/") and isinstance(value, str) and (value == key or value.startswith(key + "?"))):
            return False
        versioned = versioned or value != key
    return versioned


def split_version(value: str, file: Path, where: str) -> tuple[str, str | None]:
    """(path, query or None) of a manifest value; a CDN origin is dropped. A URL urlsplit
    would misread is refused (see url_parts)."""
    parts = url_parts(value, file, where)  # refuses a control character in any value, URL or not
    if parts is not None and value.startswith(("http://", "https://", "//")):
        return parts.path, (parts.query if "?" in value else None)
    path, question, query = value.partition("?")
    return path, (query if question else None)


def read(data: Any, file: Path) -> ManifestReading:
    name = str(file)
    manifest = expect_object(data, file)
    hashed: list[Entry] = []
    unhashed: list[tuple[Entry, str]] = []
    for key, raw_value in manifest.items():
        where = key_path(key)
        path, query = split_version(expect_string(raw_value, file, key), file, where)
        relative = check_asset_path(path.removeprefix("/"), file=name, key_path=where)
        if query is not None:
            problem = query_problem(query)
            if problem:
                unhashed.append((Entry(relative, where), f"versioned by mix-manifest.json, but {problem}"))
            else:
                hashed.append(Entry(relative, where, query))
        elif hex_hash(path, key) is not None and path != key:
            hashed.append(Entry(relative, where))
        else:
            unhashed.append((Entry(relative, where), "mix-manifest.json gives it no ?id= version and its name carries no hash"))
    return in_build_dir(ManifestFormat.MIX, file, hashed, unhashed, REASON)
