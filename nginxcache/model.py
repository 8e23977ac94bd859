"""Values that flow through the pipeline: manifests -> classify -> policy -> render.

Per-asset data stays in plain tuples and lists: a manifest may hold a million entries.
"""

from __future__ import annotations

import json
import re
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import NamedTuple, overload


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
    LINKS = "links"  # query-string versions the site's own HTML and CSS link, each verified against its file


class Strategy(StrEnum):
    MAP = "map"  # map $uri in http {}: per-file precision at any size
    EXACT = "exact"  # one `location =` per hashed file: server part only, small sites
    REGEX = "regex"  # one regex location, only when the tree proves it catches no unhashed file


class Entry(NamedTuple):
    """One asset path a manifest speaks of, and where it says so."""

    path: str  # relative to the served root; webpack may give an absolute URL path
    key_path: str  # JSON key path inside the manifest, e.g. ["paths"]["app.css"]
    query: str | None = None  # query-string versions (Laravel Mix `id=...`): the exact $args


class Entries(Sequence[Entry]):
    """A big manifest's entries column by column: the paths as the manifest's own strings,
    and each entry's JSON key path made only when a message or `explain` asks for it
    (a million Entry tuples and key-path strings would cost more than the manifest)."""

    __slots__ = ("paths", "_keys", "_head")

    def __init__(
        self, paths: list[str], keys: Sequence[str | int] | Iterable[str], head: tuple[str | int, ...] = ()
    ) -> None:
        self.paths = paths
        self._keys = keys  # entry i sits at head + (keys[i],); an iterable becomes a list when first asked
        self._head = head

    def where(self, index: int) -> str:
        return key_path(*self._head, self.entry_keys()[index])

    def entry_keys(self) -> Sequence[str | int]:
        """Each entry's last JSON key (Django: the original's name), in entry order."""
        if not isinstance(self._keys, Sequence):
            self._keys = list(self._keys)
        return self._keys

    def __len__(self) -> int:
        return len(self.paths)

    @overload
    def __getitem__(self, index: int) -> Entry: ...
    @overload
    def __getitem__(self, index: slice) -> list[Entry]: ...
    def __getitem__(self, index: int | slice) -> Entry | list[Entry]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        return Entry(self.paths[index], self.where(index))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (Entries, list)):
            return len(self) == len(other) and list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]


@dataclass(frozen=True, slots=True)
class ManifestReading:
    """What one manifest says: which outputs are content-hashed, and why."""

    format: ManifestFormat
    file: str
    build_root: Path  # local directory the relative paths are relative to
    hashed: Sequence[Entry]  # a list, or Entries for manifests that may be huge
    hashed_reason: str  # why the manifest's hashed entries count as hashed
    unhashed: list[tuple[Entry, str]] = field(default_factory=list)  # listed, but not hashed
    manifest_relpath: str | None = None  # the manifest's own path below build_root
    # Django's paths are relative to STATIC_ROOT wherever the manifest is; other tools'
    # relative paths are relative to their build directory, which may sit below --root.
    paths_relative_to_root: bool = False
    served_by_design: bool = False  # Angular's ngsw.json: its service worker fetches it
    # None of the JSON text's strings holds a control character, quote, backslash or lone
    # surrogate: the text has no DEL and none of the escapes that make one (JSON must
    # escape them), so no name needs that check.
    plain_strings: bool = False


def in_build_dir(
    fmt: ManifestFormat, file: Path, hashed: Sequence[Entry], unhashed: list[tuple[Entry, str]], reason: str
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


class CdnHeader(StrEnum):
    """Which header carries a CDN's lifetime for unhashed files (`--cdn-header`)."""

    CACHE_CONTROL = "cache-control"  # s-maxage in Cache-Control: every shared cache reads it
    CDN_CACHE_CONTROL = "cdn-cache-control"  # RFC 9213's own header: browsers keep no-cache


@dataclass(frozen=True, slots=True)
class CachePolicy:
    hashed_cache_control: str
    unhashed_cache_control: str
    # A missing file's 404, never kept by a CDN: `private` too, as Fastly ignores no-store
    missing_cache_control: str = "no-store, private"
    unhashed_cdn_cache_control: str | None = None  # CDN-Cache-Control on unhashed files (RFC 9213)

    @classmethod
    def from_ages(
        cls,
        hashed_max_age: int,
        unhashed_max_age: int,
        *,
        cdn_max_age: int | None = None,
        stale_while_revalidate: int | None = None,
        cdn_header: CdnHeader = CdnHeader.CACHE_CONTROL,
        missing_max_age: int = 0,
    ) -> CachePolicy:
        """The header values for content-hashed files, every other file and a missing one.

        `cdn_max_age` lets shared caches (a CDN) keep unhashed files that long while browsers
        still revalidate: `s-maxage` beside `max-age=0` (no-cache would bind the CDN too), or
        a CDN-Cache-Control header of its own. `stale_while_revalidate` goes with that
        lifetime (the CDN's, else the browser's)."""
        stale = f", stale-while-revalidate={stale_while_revalidate}" if stale_while_revalidate else ""
        browser = f"public, max-age={unhashed_max_age}" if unhashed_max_age > 0 else None
        cdn_header_value = None
        if cdn_max_age is None:
            unhashed = f"{browser}{stale}" if browser else "no-cache"
        elif cdn_header is CdnHeader.CACHE_CONTROL:
            unhashed = f"{browser or 'public, max-age=0'}, s-maxage={cdn_max_age}{stale}"
        else:
            unhashed = browser or "no-cache"
            cdn_header_value = f"max-age={cdn_max_age}{stale}"
        missing = f"max-age={missing_max_age}" if missing_max_age > 0 else "no-store, private"
        return cls(f"public, max-age={hashed_max_age}, immutable", unhashed, missing, cdn_header_value)


class EntryLines(NamedTuple):
    """The hashed map's entry lines (`    "PREFIX+NAME" 1;`) of `names`, sorted, as classify
    made them for its bulk checks. Render writes them as they are, but the lines of `dropped`
    (names classify then found not to be hashed) and of case twins (written as regex keys)."""

    text: str
    names: list[str]
    dropped: frozenset[str]


class PrefixRule(NamedTuple):
    """Everything below a URI prefix is content-addressed (`immutable`), or carved out of
    a longer-lived prefix again (`not immutable`). The longest prefix that matches decides."""

    prefix: str  # a URI prefix, '/'-terminated
    immutable: bool
    reason: str  # the evidence, for explain: the framework's own server, or the user


@dataclass(frozen=True, slots=True)
class Pages:
    """How the site's pages are found, when nginxcache serves a whole site (a framework's
    or a generator's output) rather than an asset directory. Paths are below the prefix."""

    clean_urls: bool = False  # /about answers about.html or about/index.html
    not_found: str | None = None  # the site's own 404 page (404.html): sent with status 404
    spa_fallback: str | None = None  # a missing navigation URL (no extension) gets this page, 200

    @property
    def any(self) -> bool:
        return self.clean_urls or self.not_found is not None or self.spa_fallback is not None


class UriList(Sequence[str]):
    """Sorted, unique URIs that share a prefix, kept as the prefix and the sorted rest of
    each: for a manifest served at its mount the rest are the manifest's own strings, so a
    million URIs cost one list, and the map's entries are written with one join per chunk."""

    __slots__ = ("prefix", "rest", "_ascii", "entry_lines", "_longest")

    def __init__(
        self,
        prefix: str,
        rest: list[str],
        *,
        ascii: bool | None = None,
        entry_lines: EntryLines | None = None,
        longest: int | None = None,
    ) -> None:
        self.prefix = prefix
        self.rest = rest  # sorted, unique
        self._ascii = ascii  # every rest is ASCII, when the caller already knows
        self.entry_lines = entry_lines  # when classify made them: see EntryLines
        self._longest = longest  # when the caller already knows it

    def longest(self) -> int:
        """The longest URI's length in bytes (0 when empty)."""
        if self._longest is None:
            rest = self.rest
            most = max(map(len, rest) if self.is_ascii() else map(len, map(str.encode, rest)), default=-1)
            self._longest = len(self.prefix.encode()) + most if most >= 0 else 0
        return self._longest

    def is_ascii(self) -> bool:
        if self._ascii is None:
            self._ascii = all(map(str.isascii, self.rest))
        return self._ascii

    @classmethod
    def of(cls, uris: Sequence[str]) -> UriList:
        return cls("", sorted(set(uris)))

    def __len__(self) -> int:
        return len(self.rest)

    @overload
    def __getitem__(self, index: int) -> str: ...
    @overload
    def __getitem__(self, index: slice) -> list[str]: ...
    def __getitem__(self, index: int | slice) -> str | list[str]:
        if isinstance(index, slice):
            return [self.prefix + rest for rest in self.rest[index]]
        return self.prefix + self.rest[index]

    def __iter__(self) -> Iterator[str]:
        return map(self.prefix.__add__, self.rest)

    def index(self, uri: object, start: int = 0, stop: int | None = None) -> int:
        if isinstance(uri, str) and uri.startswith(self.prefix):
            rest = uri[len(self.prefix) :]
            i = bisect_left(self.rest, rest)
            if i < len(self.rest) and self.rest[i] == rest and start <= i < (len(self.rest) if stop is None else stop):
                return i
        raise ValueError(f"{uri!r} is not in the list")

    def __contains__(self, uri: object) -> bool:
        try:
            self.index(uri)
        except ValueError:
            return False
        return True

    def __eq__(self, other: object) -> bool:
        if isinstance(other, UriList):
            return list(self) == list(other)
        if isinstance(other, list):
            return list(self) == other
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"UriList({self.prefix!r}, {len(self.rest)} URIs)"


@dataclass(frozen=True, slots=True)
class Classification:
    """Every hashed URI (decoded `$uri` form) with its evidence, and what is not served."""

    hashed_uris: UriList  # sorted, unique
    case_sensitive_uris: frozenset[str]  # hashed URIs that equal another name up to case
    denied_uris: list[str]  # build manifests under the root: 404
    evidence: Mapping[str, tuple[str, str, str]]  # hashed uri -> (manifest file, key path, reason), looked up on demand
    unhashed_evidence: dict[str, tuple[str, str, str]]
    warnings: list[str]
    versioned: list[tuple[str, str]] = field(default_factory=list)  # (uri, exact $args), sorted
    versioned_evidence: Mapping[tuple[str, str], tuple[str, str, str]] = field(default_factory=dict)  # -> (file, where, reason)
    prefix_rules: list[PrefixRule] = field(default_factory=list)  # longest prefix first
    # Files below an immutable prefix that a manifest says are not hashed (Angular's
    # hashTable disagreeing with the name): the contradicting evidence wins.
    contradicted_uris: list[str] = field(default_factory=list)
    gzip_siblings: bool = False  # the tree has .gz files beside sources
    brotli_siblings: bool = False
    tree_uris: list[str] | None = None  # every file of the local tree, when it was read
    missing_uris: list[str] = field(default_factory=list)  # hashed URIs the tree that was read lacks


def immutable_prefixes(classification: Classification) -> list[str]:
    """The prefixes served immutable, without the carve-outs (the exact and regex strategies)."""
    return [rule.prefix for rule in classification.prefix_rules if rule.immutable]


_PLAIN_KEY = re.compile(r'[^"\\\x00-\x1f\x7f\u2028\u2029\ud800-\udfff]*')


def _json_key(part: str | int) -> str:
    if isinstance(part, str) and _PLAIN_KEY.fullmatch(part):
        return f'["{part}"]'  # what json.dumps gives, without its cost per entry
    return f"[{json.dumps(part, ensure_ascii=False)}]"


def key_path(*parts: str | int) -> str:
    """JSON key path as a user can read it: ["paths"]["admin/css/base.css"]."""
    return "".join(map(_json_key, parts))
