"""Rails Sprockets: public/assets/.sprockets-manifest-<hex>.json (3 and 4), legacy
manifest-<hex>.json (2.x).

{"files": {"application-<digest>.js": {"logical_path": "application.js", "digest": ...}},
 "assets": {"application.js": "application-<digest>.js"}}. `files` also keeps earlier
builds' outputs (still on disk, still content-addressed). A name is hashed only when it is
its logical path with "-<hex digest>" (md5, sha1 or sha256) inserted before the last
extension and, where `files` gives one, that digest is the entry's `digest`. The digest is
of the compiled asset and Sprockets' environment, not of the bytes alone: it is not checked
against the file.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from nginxcache.hashtoken import inserted_digest
from nginxcache.manifests._common import expect_object, expect_string
from nginxcache.model import Entry, ManifestFormat, ManifestReading, key_path
from nginxcache.quoting import check_asset_path

FILE_NAME = re.compile(r"(?:\.sprockets-manifest|manifest)-[0-9a-f]{16,64}\.json")
REASON = "digested name in Sprockets' manifest (the logical path with its digest inserted)"
_LAST_EXTENSION = re.compile(r"\.[^./]+$")
_DIGEST_LENGTHS = range(32, 129)  # md5 (Sprockets 2) .. sha256 (3+) in hex
_NAMELESS = re.compile(r"-[0-9a-f]{32,128}\.[^./]+$")


def looks_like(data: Any) -> bool:
    return (
        isinstance(data, dict)
        and isinstance(data.get("files"), dict)
        and isinstance(data.get("assets"), dict)
        and all(isinstance(info, dict) for info in data["files"].values())
    )


def _digest_of(logical: str | None, digested: str) -> str | None:
    if logical is not None:
        return inserted_digest(logical, digested, _LAST_EXTENSION, _DIGEST_LENGTHS)
    found = _NAMELESS.search(digested)
    return found.group()[1:].split(".")[0] if found else None


def read(data: Any, file: Path) -> ManifestReading:
    name = str(file)
    manifest = expect_object(data, file)
    files = expect_object(manifest.get("files", {}), file, "files")
    assets = expect_object(manifest.get("assets", {}), file, "assets")
    hashed: dict[str, Entry] = {}
    unhashed: dict[str, tuple[Entry, str]] = {}
    for digested, raw_info in files.items():
        where = key_path("files", digested)
        check_asset_path(digested, file=name, key_path=where)
        info = expect_object(raw_info, file, "files", digested)
        logical = expect_string(info["logical_path"], file, "files", digested, "logical_path") if "logical_path" in info else None
        recorded = expect_string(info["digest"], file, "files", digested, "digest") if "digest" in info else None
        token = _digest_of(logical, digested)
        if token is None:
            unhashed[digested] = (Entry(digested, where), "listed by Sprockets' manifest, but its name carries no digest")
        elif recorded is not None and recorded != token:
            unhashed[digested] = (Entry(digested, where), f"its name's digest is not the manifest's digest {recorded!r}")
        else:
            hashed[digested] = Entry(digested, where)
    for logical, raw_digested in assets.items():
        where = key_path("assets", logical)
        digested = expect_string(raw_digested, file, "assets", logical)
        check_asset_path(digested, file=name, key_path=where)
        check_asset_path(logical, file=name, key_path=where)
        if digested in hashed or digested in unhashed:
            continue
        if _digest_of(logical, digested) is None:
            unhashed[digested] = (Entry(digested, where), "Sprockets' manifest maps it to a name without a digest")
        else:
            hashed[digested] = Entry(digested, where)
    return ManifestReading(
        format=ManifestFormat.SPROCKETS,
        file=name,
        build_root=file.parent,
        hashed=list(hashed.values()),
        hashed_reason=REASON,
        unhashed=list(unhashed.values()),
        manifest_relpath=file.name,
    )
