"""Vite's build manifest: dist/manifest.json (<= 4), dist/.vite/manifest.json (>= 5),
Laravel's public/build/manifest.json.

Every chunk's `file`, `css[]` and `assets[]` is an output. Vite names them
`[name]-[hash]` by default (hex hash up to Vite 4, base64url from 5), so a name cannot be
split on '-': an output counts as unhashed only when its name is its chunk's own name or
source name, which happens when a project configures names without [hash].
"""

from __future__ import annotations

import posixpath
from pathlib import Path
from typing import Any

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


def _carries_no_hash(output: str, chunk: dict[str, Any]) -> bool:
    base = posixpath.basename(output)
    stem = base.split(".", 1)[0]
    src = chunk.get("src")
    return (isinstance(src, str) and posixpath.basename(src) == base) or stem == chunk.get("name")


def read(data: Any, file: Path) -> ManifestReading:
    name = str(file)
    chunks = expect_object(data, file)
    hashed: list[Entry] = []
    unhashed: list[tuple[Entry, str]] = []
    seen: set[str] = set()

    def add(output: str, chunk: dict[str, Any], *where: str | int) -> None:
        entry = Entry(check_asset_path(output, file=name, key_path=key_path(*where)), key_path(*where))
        if output in seen:
            return
        seen.add(output)
        if where[-1] == "file" and _carries_no_hash(output, chunk):
            unhashed.append((entry, "its name is the chunk's own name: no [hash] in Vite's file names"))
        else:
            hashed.append(entry)

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
        hashed=hashed,
        hashed_reason=REASON,
        unhashed=unhashed,
        manifest_relpath=file.relative_to(build_root).as_posix(),
    )
