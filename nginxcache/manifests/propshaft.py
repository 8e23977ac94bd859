"""Rails Propshaft: public/assets/.manifest.json, flat {"application.css":
"application-6d58c9e6.css"} (<= 1.1) or {"application.css": {"digested_path": ...,
"integrity": ...}} (>= 1.2).

Propshaft inserts "-<digest>" (8 hex of sha1 today, the full 40 in early versions) before
the extension, or before `.js.map` for source maps, whose digest is their own. A file
already named `*-<digest>.digested.ext` (jsbundling, cssbundling) is mapped to itself and
is hashed by its own name, but for its source map (`.digested.js.map`), named after the
bundle's hash, which revalidates as esbuild's and webpack's maps do. Anything else mapped
to itself (an extensionless file) is not hashed.
Detected by its file name, or by the >= 1.2 shape.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from nginxcache.errors import ManifestError
from nginxcache.hashtoken import inserted_digest
from nginxcache.manifests._common import expect_object, expect_string, json_type
from nginxcache.model import Entry, ManifestFormat, ManifestReading, in_build_dir, key_path
from nginxcache.quoting import check_asset_path

FILE_NAME = ".manifest.json"
REASON = "digested name in Propshaft's .manifest.json (a digest inserted into the logical path, or a `-<digest>.digested` name)"
# Propshaft's own patterns: `\.(\w+(\.map)?)$` (>= 1.0; earlier `\.(\w+)$`), Ruby's \w is ASCII.
_EXTENSIONS = (re.compile(r"\.[A-Za-z0-9_]+\.map$"), re.compile(r"\.[A-Za-z0-9_]+$"))
_ALREADY_DIGESTED = re.compile(r"-[0-9a-zA-Z_-]{7,128}\.digested")
_DIGEST_LENGTHS = range(7, 129)


def looks_like(data: Any) -> bool:
    """The >= 1.2 object form; the flat form is a webpack manifest's shape."""
    return (
        isinstance(data, dict)
        and bool(data)
        and all(isinstance(value, dict) and isinstance(value.get("digested_path"), str) for value in data.values())
    )


def is_digested(logical: str, digested: str) -> bool:
    if digested == logical:
        return _ALREADY_DIGESTED.search(logical) is not None
    return any(inserted_digest(logical, digested, ext, _DIGEST_LENGTHS) for ext in _EXTENSIONS)


def read(data: Any, file: Path) -> ManifestReading:
    name = str(file)
    manifest = expect_object(data, file)
    hashed: list[Entry] = []
    unhashed: list[tuple[Entry, str]] = []
    for logical, value in manifest.items():
        if isinstance(value, str):
            where, digested = key_path(logical), value
        elif isinstance(value, dict):
            where = key_path(logical, "digested_path")
            digested = expect_string(value.get("digested_path"), file, logical, "digested_path")
        else:
            raise ManifestError(f"expected a string or an object, found {json_type(value)}", file=file, key_path=key_path(logical))
        check_asset_path(logical, file=name, key_path=where)
        check_asset_path(digested, file=name, key_path=where)
        if digested == logical and digested.endswith(".map") and _ALREADY_DIGESTED.search(logical):
            unhashed.append((Entry(digested, where), "a source map named after its bundle's .digested hash, not its own content"))
        elif is_digested(logical, digested):
            hashed.append(Entry(digested, where))
        else:
            unhashed.append((Entry(digested, where), "Propshaft's .manifest.json maps it to a name without a digest"))
    return in_build_dir(ManifestFormat.PROPSHAFT, file, hashed, unhashed, REASON)
