"""Django ManifestStaticFilesStorage: STATIC_ROOT/staticfiles.json, versions 1.0 and 1.1.

`paths` maps each original (unhashed, still served) to its hashed copy: only the values are
content-hashed.

A big site's manifest holds a million entries, so they stay in columns (`Entries`) and the
values are checked as asset paths in bulk, with every other URI, by classify. The originals
are evidence only (they name the entry in messages): they never reach the config.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import islice
from operator import eq
from pathlib import Path
from typing import Any

from nginxcache.errors import ManifestError, UnsafeEntryError
from nginxcache.manifests._common import expect_object, expect_string
from nginxcache.model import Entries, Entry, ManifestFormat, ManifestReading, key_path
from nginxcache.quoting import check_asset_path, first_too_long, shown

VERSIONS = ("1.0", "1.1")
REASON = "hashed copy named by Django's staticfiles.json (value of paths)"
SELF = "staticfiles.json maps it to itself"


def looks_like(data: Any) -> bool:
    return isinstance(data, dict) and isinstance(data.get("paths"), dict) and "version" in data


def read(data: Any, file: Path) -> ManifestReading:
    name = str(file)
    manifest = expect_object(data, file)
    version = manifest.get("version")
    if version not in VERSIONS:
        raise ManifestError(
            f"unsupported staticfiles.json version {version!r} (known: {', '.join(VERSIONS)})",
            file=file,
            key_path=key_path("version"),
        )
    paths = expect_object(manifest.get("paths"), file, "paths")
    originals: Iterable[str] = paths.keys()  # a list only when a message needs one
    hashed_names = list(paths.values())
    if {*map(type, hashed_names)} - {str}:
        for original, value in paths.items():
            expect_string(value, file, "paths", original)
    too_long = first_too_long(hashed_names)  # classify checks every other rule in bulk, not this one
    if too_long is not None:
        i, problem = too_long
        original = next(islice(paths.keys(), i, None))
        raise UnsafeEntryError(f"entry {shown(hashed_names[i])} {problem}; refused", file=name, key_path=key_path("paths", original))
    unhashed: list[tuple[Entry, str]] = []
    if any(map(eq, originals, hashed_names)):  # rare: a file left unhashed
        for original in [o for o, h in paths.items() if o == h]:
            where = key_path("paths", original)
            unhashed.append((Entry(check_asset_path(original, file=name, key_path=where), where), SELF))
        originals = [o for o, h in paths.items() if o != h]
        hashed_names = [h for o, h in paths.items() if o != h]
    return ManifestReading(
        format=ManifestFormat.DJANGO,
        file=name,
        build_root=file.parent,
        hashed=Entries(hashed_names, originals, ("paths",)),
        hashed_reason=REASON,
        unhashed=unhashed,
        manifest_relpath=file.name,
        paths_relative_to_root=True,
    )
