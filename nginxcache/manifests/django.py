"""Django ManifestStaticFilesStorage: STATIC_ROOT/staticfiles.json, versions 1.0 and 1.1.

`paths` maps each original (unhashed, still served) to its hashed copy: only the values are
content-hashed. See ../shared/FORMATS.md.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nginxcache.errors import ManifestError
from nginxcache.manifests._common import expect_object, expect_string
from nginxcache.model import Entry, ManifestFormat, ManifestReading, key_path
from nginxcache.quoting import check_asset_path

VERSIONS = ("1.0", "1.1")
REASON = "hashed copy named by Django's staticfiles.json (value of paths)"


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
    hashed: list[Entry] = []
    unhashed: list[tuple[Entry, str]] = []
    in_paths = key_path("paths")
    for original, hashed_name in paths.items():
        where = in_paths + key_path(original)
        check_asset_path(original, file=name, key_path=where)
        check_asset_path(expect_string(hashed_name, file, "paths", original), file=name, key_path=where)
        if hashed_name == original:
            unhashed.append((Entry(hashed_name, where), "staticfiles.json maps it to itself"))
        else:
            hashed.append(Entry(hashed_name, where))
    return ManifestReading(
        format=ManifestFormat.DJANGO,
        file=name,
        build_root=file.parent,
        hashed=hashed,
        hashed_reason=REASON,
        unhashed=unhashed,
        manifest_relpath=file.name,
        paths_relative_to_root=True,
    )
