"""Angular's service worker manifest: dist/<app>/browser/ngsw.json.

`hashTable` maps every URL the service worker caches to the sha1 of its content: the
hash is of the bytes, not in the name, so it says nothing about how long a URL may be
cached. A URL is hashed only when its name carries a hash: `main.<hex>.js` (webpack
builder, hashtoken.hex_hash) or `main-<BASE32>.js` (esbuild `application` builder,
hashtoken.base32_hash). A base32 token of letters alone (one real hash in five) counts
only for the builder's own names (main, polyfills, styles, scripts, chunk, worker, and
media/), so a file copied from public/ named `app-STANDARD.css` is not taken for one.
`index.html`, `ngsw-worker.js`, `favicon.ico`, `manifest.webmanifest` revalidate.

ngsw.json itself is fetched by the service worker and must stay served: manifest_relpath
is None. URLs carry the app's base href ("/main-U3BHGLBB.js"): like webpack's values, an
absolute one is the URL path itself and must lie under --prefix.
"""

from __future__ import annotations

import posixpath
from pathlib import Path
from typing import Any

from nginxcache.hashtoken import base32_hash, hex_hash
from nginxcache.manifests._common import expect_object, expect_string
from nginxcache.model import Entry, ManifestFormat, ManifestReading, key_path
from nginxcache.quoting import check_asset_path

FILE_NAME = "ngsw.json"
REASON = "listed in Angular's ngsw.json with the build's hash in its name"
BUILDER_NAMES = frozenset({"main", "polyfills", "styles", "scripts", "chunk", "worker"})


def looks_like(data: Any) -> bool:
    return isinstance(data, dict) and isinstance(data.get("hashTable"), dict) and "configVersion" in data


def name_carries_hash(url: str) -> bool:
    if hex_hash(url) is not None:
        return True
    token = base32_hash(url)
    if token is None:
        return False
    stem = posixpath.splitext(posixpath.basename(url))[0][: -len(token) - 1]
    return any(c.isdigit() for c in token) or stem in BUILDER_NAMES or posixpath.basename(posixpath.dirname(url)) == "media"


def read(data: Any, file: Path) -> ManifestReading:
    name = str(file)
    manifest = expect_object(data, file)
    table = expect_object(manifest.get("hashTable"), file, "hashTable")
    hashed: list[Entry] = []
    unhashed: list[tuple[Entry, str]] = []
    for url, content_hash in table.items():
        where = key_path("hashTable", url)
        expect_string(content_hash, file, "hashTable", url)
        path = url.removeprefix("./")
        check_asset_path(path.removeprefix("/"), file=name, key_path=where)
        entry = Entry(path, where)
        if name_carries_hash(path):
            hashed.append(entry)
        else:
            unhashed.append((entry, "listed in ngsw.json's hashTable (a hash of its content), but its name carries no hash"))
    return ManifestReading(
        format=ManifestFormat.ANGULAR,
        file=name,
        build_root=file.parent,
        hashed=hashed,
        hashed_reason=REASON,
        unhashed=unhashed,
        manifest_relpath=None,
        served_by_design=True,  # the service worker fetches ngsw.json
    )
