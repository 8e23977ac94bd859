"""webpack's stats.json (`webpack --json=stats.json`, or `stats.toJson()`): every emitted
asset with `info.immutable`, webpack's own word that the name carries a content hash.

Read alone: the assets marked immutable are hashed, every other asset is listed unhashed.
With webpack-manifest-plugin's manifest.json, `apply_stats` corrects that manifest's
guesses by name: a file copied under a name that only looks hashed (`legacy.0123....js`)
is downgraded, a chunk whose key carries its hash is upgraded. Names are relative to
webpack's output.path and served at `publicPath` (an absolute one, or a CDN URL's path,
makes the entry an absolute URL path like the manifest's values). Multi-compiler stats
(`children`), asset groups and `related` assets (source maps, .gz) are read too.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

from nginxcache.errors import ManifestError
from nginxcache.manifests._common import expect_object, expect_string, url_parts
from nginxcache.model import Entry, ManifestFormat, ManifestReading, key_path
from nginxcache.quoting import check_asset_path

REASON = "marked immutable by webpack's stats.json (info.immutable: its name carries a content hash)"
NOT_IMMUTABLE = "webpack's stats.json does not mark it immutable (info.immutable): its name carries no hash of webpack's"
NOT_IN_STATS = "not among the assets of webpack's stats.json: no evidence that webpack hashed its name"


def looks_like(data: Any) -> bool:
    if not isinstance(data, dict):
        return False
    if isinstance(data.get("assets"), list):
        return all(isinstance(asset, dict) for asset in data["assets"])
    children = data.get("children")
    return isinstance(children, list) and bool(children) and all(looks_like(child) for child in children)


def _served_prefix(public_path: Any, file: Path, where: str) -> str:
    """What webpack puts before an asset's name in its URL, as a URL path ("" if relative)."""
    if not isinstance(public_path, str) or public_path in ("", "auto"):
        return ""
    parts = url_parts(public_path, file, where)
    path = parts.path if parts is not None else public_path
    if not path.startswith("/"):
        return ""  # relative to the page: the names are below the served prefix
    return path if path.endswith("/") else path + "/"


def _assets(items: list[Any], file: Path, *where: str | int) -> Iterator[tuple[dict[str, Any], tuple[str | int, ...]]]:
    """Every asset object of a stats `assets` list, with its key path, groups and
    `related` assets included."""
    for i, raw in enumerate(items):
        asset = expect_object(raw, file, *where, i)
        if "name" in asset:
            yield asset, (*where, i)
        for nested in ("children", "related"):
            if isinstance(asset.get(nested), list):
                yield from _assets(asset[nested], file, *where, i, nested)


def _compilations(stats: dict[str, Any], file: Path, *where: str | int) -> Iterator[tuple[dict[str, Any], tuple[str | int, ...]]]:
    if "assets" in stats or "children" not in stats:
        yield stats, where
    children = stats.get("children")
    if isinstance(children, list):
        for i, child in enumerate(children):
            yield from _compilations(expect_object(child, file, *where, "children", i), file, *where, "children", i)


def _build_root(stats: dict[str, Any], file: Path) -> Path:
    """webpack's output.path on this machine: the stats file's directory when it is that
    directory (BundleAnalyzerPlugin's generateStatsFile) or the directory of that name
    beside it (`webpack --json` in the project root); else the stats file's directory."""
    output_path = stats.get("outputPath")
    if not isinstance(output_path, str) or not output_path:
        return file.parent
    pure = PureWindowsPath(output_path) if "\\" in output_path else PurePosixPath(output_path)
    if file.parent.name == pure.name:
        return file.parent
    for k in range(len(pure.parts) - 1, 0, -1):
        candidate = file.parent.joinpath(*pure.parts[-k:])
        if candidate.is_dir():
            return candidate
    return file.parent


def read(data: Any, file: Path) -> ManifestReading:
    name = str(file)
    stats = expect_object(data, file)
    hashed: dict[str, Entry] = {}
    unhashed: dict[str, tuple[Entry, str]] = {}
    for compilation, where in _compilations(stats, file):
        if "assets" not in compilation:
            continue
        public_where = key_path(*where, "publicPath") if "publicPath" in compilation else key_path("publicPath")
        prefix = _served_prefix(compilation.get("publicPath", stats.get("publicPath")), file, public_where)
        items = compilation["assets"]
        if not isinstance(items, list):
            expect_string(items, file, *where, "assets")  # raises: names the key path
        for asset, asset_where in _assets(items, file, *where, "assets"):
            asset_name = expect_string(asset["name"], file, *asset_where, "name")
            path_part, question, query = asset_name.partition("?")
            entry_key = key_path(*asset_where, "name")
            check_asset_path(path_part, file=name, key_path=entry_key)
            entry = Entry(prefix + path_part, entry_key, query if question else None)
            info = expect_object(asset.get("info", {}), file, *asset_where, "info")
            if info.get("immutable") is True:
                unhashed.pop(entry.path, None)
                hashed.setdefault(entry.path, entry)
            elif entry.path not in hashed:
                unhashed.setdefault(entry.path, (Entry(prefix + path_part, entry_key), NOT_IMMUTABLE))
    root = _build_root(stats, file)
    try:
        manifest_relpath: str | None = file.relative_to(root).as_posix()
    except ValueError:
        manifest_relpath = None
    return ManifestReading(
        format=ManifestFormat.WEBPACK_STATS,
        file=name,
        build_root=root,
        hashed=list(hashed.values()),
        hashed_reason=REASON,
        unhashed=list(unhashed.values()),
        manifest_relpath=manifest_relpath,
    )


class _StatsPaths:
    """Finds the stats path naming the same file as a manifest path: equal, else the
    longest one that ends it at a '/', else the only one it ends (the manifest plugin's
    publicPath may differ from webpack's)."""

    def __init__(self, paths: Iterable[str]) -> None:
        self.exact: dict[str, str] = {}
        self.by_suffix: dict[str, str] = {}
        for path in paths:
            relative = path.removeprefix("/")
            self.exact.setdefault(relative, path)
            parts = relative.split("/")
            for i in range(1, len(parts)):
                suffix = "/".join(parts[i:])
                # two files end the same way: neither is evidence for a shorter name
                self.by_suffix[suffix] = path if self.by_suffix.get(suffix, path) == path else ""

    def match(self, path: str) -> str | None:
        parts = path.removeprefix("/").split("/")
        for i in range(len(parts)):
            found = self.exact.get("/".join(parts[i:]))
            if found is not None:
                return found
        return self.by_suffix.get("/".join(parts)) or None


def apply_stats(readings: list[ManifestReading], stats_reading: ManifestReading) -> list[ManifestReading]:
    """The manifest readings corrected by webpack's stats (a WEBPACK_STATS reading).

    A hashed entry that stats do not mark immutable, or do not list, is downgraded to
    unhashed with the reason. An unhashed entry that stats mark immutable is upgraded:
    it moves into an extra reading of the stats file (evidence: the stats key path),
    appended after the corrected readings, so classify sees it hashed exactly once.
    Readings with query-string versions are left as they are.
    """
    immutable = {entry.path: entry for entry in stats_reading.hashed if entry.query is None}
    not_immutable = {entry.path for entry, _ in stats_reading.unhashed}
    stats_paths = _StatsPaths([*immutable, *sorted(not_immutable)])
    corrected: list[ManifestReading] = []
    upgraded: dict[str, Entry] = {}
    for reading in readings:
        hashed: list[Entry] = []
        unhashed: list[tuple[Entry, str]] = []
        for entry in reading.hashed:
            found = None if entry.query is not None else stats_paths.match(entry.path)
            if entry.query is not None or found in immutable:
                hashed.append(entry)
            else:
                unhashed.append((entry, NOT_IMMUTABLE if found is not None else NOT_IN_STATS))
        for entry, why in reading.unhashed:
            found = stats_paths.match(entry.path)
            if found in immutable:
                upgraded.setdefault(entry.path, immutable[found]._replace(path=entry.path))
            else:
                unhashed.append((entry, why))
        corrected.append(dataclasses.replace(reading, hashed=hashed, unhashed=unhashed))
    if upgraded:
        base = readings[0]
        corrected.append(
            dataclasses.replace(
                stats_reading,
                build_root=base.build_root,
                hashed=list(upgraded.values()),
                unhashed=[],
                manifest_relpath=None,
            )
        )
    return corrected


# Readings of webpack-manifest-plugin output that webpack's stats can correct.
CORRECTABLE = frozenset({ManifestFormat.WEBPACK, ManifestFormat.ENCORE, ManifestFormat.CRA})


def combine_stats(readings: list[ManifestReading]) -> list[ManifestReading]:
    """`render manifest.json stats.json`: the manifests corrected by the stats given with
    them (apply_stats); a stats.json given alone, or with no webpack manifest, stays as read.
    """
    stats = [reading for reading in readings if reading.format is ManifestFormat.WEBPACK_STATS]
    manifests = [reading for reading in readings if reading.format in CORRECTABLE]
    if not stats or not manifests:
        return readings
    if len(stats) > 1:
        raise ManifestError(
            f"more than one webpack stats file ({', '.join(r.file for r in stats)}): give the one of this build",
            file=stats[1].file,
        )
    corrected = iter(apply_stats(manifests, stats[0]))
    combined = [
        next(corrected) if reading.format in CORRECTABLE else reading
        for reading in readings
        if reading.format is not ManifestFormat.WEBPACK_STATS
    ]
    return [*combined, *corrected]  # and the stats' upgrades, if any
