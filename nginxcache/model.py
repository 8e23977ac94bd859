"""Values that flow through the pipeline: manifests -> classify -> policy -> render.

Per-asset data stays in plain tuples and lists: a manifest may hold a million entries.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import NamedTuple


class ManifestFormat(StrEnum):
    DJANGO = "django"
    VITE = "vite"
    WEBPACK = "webpack"
    WEBPACK_STATS = "webpack-stats"  # webpack's stats.json: assets[].info.immutable
    ENCORE = "encore"  # Symfony Webpack Encore: manifest.json + entrypoints.json
    MIX = "mix"  # Laravel Mix mix-manifest.json: query-string versions
    WEBASSETS = "webassets"  # webassets / Flask-Assets JSON manifest: query-string versions
    SPROCKETS = "sprockets"  # Rails Sprockets .sprockets-manifest-*.json, legacy manifest-*.json
    PROPSHAFT = "propshaft"  # Rails Propshaft .manifest.json
    CRA = "cra"  # Create React App asset-manifest.json
    PARCEL = "parcel"  # parcel-reporter-bundle-manifest parcel-manifest.json
    ESBUILD = "esbuild"  # esbuild metafile
    ANGULAR = "angular"  # Angular service worker ngsw.json
    SCAN = "scan"  # nginxcache scan DIR: hashes verified against the files' contents


class Strategy(StrEnum):
    MAP = "map"  # map $uri in http {}: per-file precision at any size
    EXACT = "exact"  # one `location =` per hashed file: server part only, small sites
    REGEX = "regex"  # one regex location, only when the tree proves it catches no unhashed file


class Entry(NamedTuple):
    """One asset path a manifest speaks of, and where it says so."""

    path: str  # relative to the served root; webpack may give an absolute URL path
    key_path: str  # JSON key path inside the manifest, e.g. ["paths"]["app.css"]
    query: str | None = None  # query-string versions (Laravel Mix `id=...`): the exact $args


@dataclass(frozen=True, slots=True)
class ManifestReading:
    """What one manifest says: which outputs are content-hashed, and why."""

    format: ManifestFormat
    file: str
    build_root: Path  # local directory the relative paths are relative to
    hashed: list[Entry]
    hashed_reason: str  # why the manifest's hashed entries count as hashed
    unhashed: list[tuple[Entry, str]] = field(default_factory=list)  # listed, but not hashed
    manifest_relpath: str | None = None  # the manifest's own path below build_root
    # Django's paths are relative to STATIC_ROOT wherever the manifest is; other tools'
    # relative paths are relative to their build directory, which may sit below --root.
    paths_relative_to_root: bool = False
    served_by_design: bool = False  # Angular's ngsw.json: its service worker fetches it


def in_build_dir(
    fmt: ManifestFormat, file: Path, hashed: list[Entry], unhashed: list[tuple[Entry, str]], reason: str
) -> ManifestReading:
    """The common case: a manifest written into the build directory it describes."""
    return ManifestReading(
        format=fmt,
        file=str(file),
        build_root=file.parent,
        hashed=hashed,
        hashed_reason=reason,
        unhashed=unhashed,
        manifest_relpath=file.name,
    )


@dataclass(frozen=True, slots=True)
class CachePolicy:
    hashed_cache_control: str
    unhashed_cache_control: str

    @classmethod
    def from_ages(cls, hashed_max_age: int, unhashed_max_age: int) -> CachePolicy:
        unhashed = "no-cache" if unhashed_max_age <= 0 else f"public, max-age={unhashed_max_age}"
        return cls(f"public, max-age={hashed_max_age}, immutable", unhashed)


@dataclass(frozen=True, slots=True)
class Classification:
    """Every hashed URI (decoded `$uri` form) with its evidence, and what is not served."""

    hashed_uris: list[str]  # sorted, unique
    case_sensitive_uris: frozenset[str]  # hashed URIs that equal another name up to case
    denied_uris: list[str]  # build manifests under the root: 404
    evidence: dict[str, tuple[str, str, str]]  # uri -> (manifest file, key path, reason)
    unhashed_evidence: dict[str, tuple[str, str, str]]
    warnings: list[str]
    versioned: list[tuple[str, str]] = field(default_factory=list)  # (uri, exact $args), sorted
    immutable_prefixes: list[str] = field(default_factory=list)  # URI prefixes vouched for by the user
    gzip_siblings: bool = False  # the tree has .gz files beside sources
    brotli_siblings: bool = False
    tree_uris: list[str] | None = None  # every file of the local tree, when it was read


_PLAIN_KEY = re.compile(r'[^"\\\x00-\x1f\x7f\u2028\u2029\ud800-\udfff]*')


def _json_key(part: str | int) -> str:
    if isinstance(part, str) and _PLAIN_KEY.fullmatch(part):
        return f'["{part}"]'  # what json.dumps gives, without its cost per entry
    return f"[{json.dumps(part, ensure_ascii=False)}]"


def key_path(*parts: str | int) -> str:
    """JSON key path as a user can read it: ["paths"]["admin/css/base.css"]."""
    return "".join(map(_json_key, parts))
