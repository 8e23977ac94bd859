"""Vite's build manifest: dist/manifest.json (<= 4), dist/.vite/manifest.json (>= 5),
Laravel's public/build/manifest.json.

Every chunk's `file`, `css[]` and `assets[]` is an output. Vite names them
`[name]-[hash]` by default (hex hash up to Vite 4, base64url from 5), so a name cannot be
split on '-'. An output counts as hashed only when its name ends in a hash token
(hashtoken.vite_hash) and is not a source file's own name: configs may drop [hash].
"""

from __future__ import annotations

import posixpath
from pathlib import Path
from typing import Any

from nginxcache.hashtoken import vite_hash
from nginxcache.manifests._common import expect_object, expect_string, expect_string_list
from nginxcache.model import Entry, ManifestFormat, ManifestReading, key_path
from nginxcache.quoting import check_asset_path

REASON = "output file listed in Vite's manifest.json"


def looks_like(data: Any) -> bool:
    return (
        isinstance(data, dict)
        and bool(data)
        and all(isinstance(chunk, dict) and isinstance(chunk.get("file"), str) for chunk in data.values())
    )


def read(data: Any, file: Path) -> ManifestReading:
    name = str(file)
    chunks = expect_object(data, file)
    source_names = {
        posixpath.basename(chunk["src"]) for chunk in chunks.values() if isinstance(chunk, dict) and isinstance(chunk.get("src"), str)
    }
    outputs: dict[str, Entry] = {}
    unhashed: dict[str, tuple[Entry, str]] = {}

    def add(output: str, chunk: dict[str, Any], *where: str | int) -> None:
        entry = Entry(check_asset_path(output, file=name, key_path=key_path(*where)), key_path(*where))
        outputs.setdefault(output, entry)
        base = posixpath.basename(output)
        # Any occurrence that shows the name carries no hash decides: unhashed is the safe side.
        if base in source_names or vite_hash(output) is None:
            unhashed.setdefault(output, (entry, "listed by Vite's manifest, but its name carries no [hash]"))

    for chunk_key, chunk_value in chunks.items():
        chunk = expect_object(chunk_value, file, chunk_key)
        add(expect_string(chunk.get("file"), file, chunk_key, "file"), chunk, chunk_key, "file")
        for listed in ("css", "assets"):
            if listed in chunk:
                for i, output in enumerate(expect_string_list(chunk[listed], file, chunk_key, listed)):
                    add(output, chunk, chunk_key, listed, i)

    build_root = file.parent.parent if file.parent.name == ".vite" else file.parent
    return ManifestReading(
        format=ManifestFormat.VITE,
        file=name,
        build_root=build_root,
        hashed=[entry for output, entry in outputs.items() if output not in unhashed],
        hashed_reason=REASON,
        unhashed=list(unhashed.values()),
        manifest_relpath=file.relative_to(build_root).as_posix(),
    )
