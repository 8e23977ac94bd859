"""Angular's service worker manifest: dist/<app>/browser/ngsw.json.

ngsw.json lists every file the service worker caches, the build's outputs and the files
copied from public/ alike: it is evidence that a file exists, not that its name changes with
its content. A file copied from public/ named `legacy.0123abcd.js` merely looks hashed, and a
year of caching would serve it stale after its next edit. So a URL counts as hashed only on
evidence:
- the esbuild `application` builder's own names with its hash, `main-<BASE32>.js`
  (main, polyfills, styles, scripts, chunk, worker, and media/): public/ cannot produce them
  without naming a file exactly like the builder's output;
- a hex token in the name that is a prefix of the file's SHA-1, which `hashTable` gives: the
  name is then a digest of the content, whoever wrote it.
Anything else listed revalidates, the webpack builder's `main.<hex>.js` and named lazy chunks
included (their hashes are no plain digest of the file): failing safe costs a 304.
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
REASON = (
    "listed in Angular's ngsw.json with the esbuild builder's own name and hash, or with a hex in its name "
    "that hashTable shows is the SHA-1 of its content"
)
NOT_EVIDENCE = (
    "listed in ngsw.json (every file is), but neither the builder's own name and hash nor a "
    "digest of its content is in its name: revalidated"
)
BUILDER_NAMES = frozenset({"main", "polyfills", "styles", "scripts", "chunk", "worker"})


def looks_like(data: Any) -> bool:
    return isinstance(data, dict) and isinstance(data.get("hashTable"), dict) and "configVersion" in data


def builder_output(url: str) -> bool:
    """The esbuild application builder's own output name: `main-<BASE32>.js`, `media/x-<BASE32>.png`."""
    token = base32_hash(url)
    if token is None:
        return False
    stem = posixpath.splitext(posixpath.basename(url))[0][: -len(token) - 1]
    return stem in BUILDER_NAMES or posixpath.basename(posixpath.dirname(url)) == "media"


def digest_in_name(url: str, sha1: str) -> bool:
    """A hex token of the name (8 or more characters) that the content's SHA-1 starts with."""
    token = hex_hash(url)
    return token is not None and sha1.lower().startswith(token.lower())


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
        if builder_output(path) or digest_in_name(path, content_hash):
            hashed.append(entry)
        else:
            unhashed.append((entry, NOT_EVIDENCE))
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
