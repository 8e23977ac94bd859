"""webassets / Flask-Assets: the JSON manifest (`manifest='json:...'`), written in the
assets directory: {"gen/plain.js": "9b843719", "gen/packed.%(version)s.js": "626a1277"}.

Keys are bundle outputs below the assets directory, values their versions (8 hex of md5
with the default `versions='hash'`). An output named with `%(version)s` carries the
version in its file name; any other is versioned by the query string webassets appends
with `url_expire` (`/static/gen/plain.js?9b843719`), so it is hashed only with that
exact query. Detected by its file name (`.webassets-manifest*`) or `--format webassets`:
its shape alone (a flat map of strings) is a webpack manifest's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nginxcache.manifests._common import expect_object, expect_string
from nginxcache.manifests._versions import query_problem
from nginxcache.model import Entry, ManifestFormat, ManifestReading, in_build_dir, key_path
from nginxcache.quoting import check_asset_path

FILE_PREFIX = ".webassets-manifest"
VERSION_PLACEHOLDER = "%(version)s"
REASON = "versioned by webassets' manifest (the version in the name, or the exact ?version query url_expire adds)"


def read(data: Any, file: Path) -> ManifestReading:
    name = str(file)
    manifest = expect_object(data, file)
    hashed: list[Entry] = []
    unhashed: list[tuple[Entry, str]] = []
    for output, raw_version in manifest.items():
        where = key_path(output)
        version = expect_string(raw_version, file, output)
        problem = query_problem(version)
        if VERSION_PLACEHOLDER in output:
            path = check_asset_path(output.replace(VERSION_PLACEHOLDER, version), file=name, key_path=where)
            if problem or "/" in version:
                unhashed.append((Entry(path, where), f"webassets' version {version!r} is not a plain version token"))
            else:
                hashed.append(Entry(path, where))
        else:
            path = check_asset_path(output, file=name, key_path=where)
            if problem:
                unhashed.append((Entry(path, where), f"versioned by webassets' manifest, but {problem}"))
            else:
                hashed.append(Entry(path, where, version))
    return in_build_dir(ManifestFormat.WEBASSETS, file, hashed, unhashed, REASON)
