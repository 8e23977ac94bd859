"""From what the manifests say (and, where it is on this machine, the build tree) to the
set of content-hashed URIs, each with the evidence for its verdict.

A file is hashed only on a manifest's evidence: a name that merely looks hashed is not.
URIs are in nginx's decoded `$uri` form: the served prefix plus the path as on disk.
"""

from __future__ import annotations

import gzip
from collections import Counter
import re
import os
import posixpath
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from nginxcache.errors import UnsafeEntryError
from nginxcache.model import Classification, ManifestReading

NOT_LISTED = "not listed as a hashed output by any manifest: revalidated"
SERVICE_WORKERS = ("sw.js", "service-worker.js", "serviceworker.js", "ngsw-worker.js", "firebase-messaging-sw.js")
WEB_MANIFESTS = ("manifest.webmanifest", "site.webmanifest")


def to_uri(path: str, prefix: str, *, file: str, key_path: str) -> str:
    """The decoded URI of a manifest entry served below `prefix`."""
    if path.startswith("/"):
        if not path.startswith(prefix):
            raise UnsafeEntryError(
                f"entry {path!r} lies outside the served prefix {prefix!r} (check --prefix)",
                file=file,
                key_path=key_path,
            )
        return path
    return prefix + path


_MAYBE_SPECIAL = re.compile(r"\.(?:html?|webmanifest)$", re.IGNORECASE)


def always_revalidated(uri: str, service_workers: Sequence[str]) -> str | None:
    """Why a file must revalidate whatever its name says, or None."""
    name = uri[uri.rfind("/") + 1 :]
    if name not in service_workers and name.lower() not in WEB_MANIFESTS and not _MAYBE_SPECIAL.search(name):
        return None
    lower = name.lower()
    if lower.endswith((".html", ".htm")):
        return "an HTML page: always revalidated, it names the current build's assets"
    if name in service_workers:
        return "a service worker: always revalidated, browsers check it for updates"
    if lower.endswith(".webmanifest") or lower in WEB_MANIFESTS:
        return "a web app manifest: always revalidated"
    return None


def is_dotfile(uri: str) -> bool:
    """Matches the server part's dotfile location: a segment starting with '.', but
    /.well-known/."""
    return "/." in uri and any(seg.startswith(".") and seg != ".well-known" for seg in uri.split("/"))


def _tree_files(build_root: Path, prefix: str) -> Iterator[tuple[str, str]]:
    """(URI, filesystem path) of the files below build_root, as nginx serves them.

    Symlinked directories are followed, as nginx does, each real directory once.
    """
    stack = [(build_root, prefix)]
    seen: set[tuple[int, int]] = set()
    while stack:
        directory, uri_dir = stack.pop()
        try:
            info = directory.stat()
            if (info.st_dev, info.st_ino) in seen:
                continue
            seen.add((info.st_dev, info.st_ino))
            with os.scandir(directory) as entries:
                for entry in entries:
                    uri = uri_dir + entry.name
                    if entry.is_dir():
                        stack.append((Path(entry.path), uri + "/"))
                    else:
                        yield uri, entry.path
        except OSError:
            continue


def mount_prefix(reading: ManifestReading, prefix: str, local_root: Path | None) -> str:
    """Where a manifest's relative paths are served: its build directory's place below
    --root (a Vite bundle in STATIC_ROOT/dist/ is served at /static/dist/)."""
    if reading.paths_relative_to_root or local_root is None:
        return prefix
    try:
        below = reading.build_root.resolve().relative_to(local_root.resolve()).as_posix()
    except ValueError:
        return prefix
    return prefix if below == "." else f"{prefix}{below}/"


def _manifest_uris(reading: ManifestReading, prefix: str, local_root: Path | None) -> set[str]:
    """Where the manifest itself would be served: below --root if it lies there."""
    if reading.served_by_design:
        return set()
    uris = {prefix + reading.manifest_relpath} if reading.manifest_relpath else set()
    if local_root is not None:
        try:
            uris.add(prefix + Path(reading.file).resolve().relative_to(local_root.resolve()).as_posix())
        except ValueError:
            pass
    return uris


def _stale_gzip(path: str, source: str) -> bool:
    try:
        with gzip.open(path, "rb") as compressed, open(source, "rb") as original:
            return compressed.read() != original.read()
    except (OSError, EOFError, gzip.BadGzipFile):
        return True


def classify(
    readings: Iterable[ManifestReading],
    prefix: str,
    *,
    serve_manifest: bool = False,
    scan_tree: bool = True,
    local_root: Path | None = None,
    kept: Iterable[ManifestReading] = (),
    immutable_prefixes: Sequence[str] = (),
    service_workers: Sequence[str] = SERVICE_WORKERS,
) -> Classification:
    """`local_root`: the served directory when it is on this machine (--root); else each
    manifest's own build directory stands for it. `kept`: manifests of earlier builds
    whose hashed files stay immutable while they are on disk (rolling deploys)."""
    readings, kept = list(readings), list(kept)
    service_workers = frozenset(service_workers)
    hashed: dict[str, tuple[str, str, str]] = {}
    unhashed: dict[str, tuple[str, str, str]] = {}
    versioned: dict[tuple[str, str], tuple[str, str, str]] = {}
    denied: set[str] = set()
    kept_uris: set[str] = set()
    for reading in (*readings, *kept):
        is_kept = reading in kept
        mount = mount_prefix(reading, prefix, local_root)
        reason = f"hashed in an earlier build ({reading.file}), kept for pages still open" if is_kept else reading.hashed_reason
        for entry, why in reading.unhashed:
            if not is_kept:
                uri = to_uri(entry.path, mount, file=reading.file, key_path=entry.key_path)
                unhashed.setdefault(uri, (reading.file, entry.key_path, why))
        for entry in reading.hashed:
            uri = to_uri(entry.path, mount, file=reading.file, key_path=entry.key_path)
            if entry.query is not None:
                versioned.setdefault((uri, entry.query), (reading.file, entry.key_path, reason))
            elif uri not in hashed:
                hashed[uri] = (reading.file, entry.key_path, reason)
                if is_kept:
                    kept_uris.add(uri)
        if not serve_manifest and not is_kept:
            denied |= _manifest_uris(reading, mount, local_root)

    for uri, (file, where, _) in unhashed.items():
        if uri in hashed and uri not in kept_uris:
            other_file, other_where, _ = hashed[uri]
            raise UnsafeEntryError(
                f"{uri!r} is hashed per {other_file} at {other_where} but unhashed per {file} at {where}",
                file=file,
            )
        hashed.pop(uri, None)  # an earlier build's verdict never overrides the current one
    for uri in list(hashed):
        why = "a dotfile: not served (404)" if is_dotfile(uri) else always_revalidated(uri, service_workers)
        if why:
            file, where, _ = hashed.pop(uri)
            unhashed[uri] = (file, where, why)

    warnings: list[str] = []
    trees = [local_root] if local_root is not None else list(dict.fromkeys(r.build_root for r in readings))
    trees = [tree for tree in trees if tree.is_dir()]
    tree_uris: list[str] | None = None
    gzip_siblings = brotli_siblings = False
    # Groups of names equal up to case; only names that collide are kept (a million
    # lowercase strings are cheap, a million sets are not).
    lowered = Counter(uri.lower() for uri in (*hashed, *unhashed))
    by_lower: dict[str, set[str]] = {low: set() for low, n in lowered.items() if n > 1}
    for uri in (*hashed, *unhashed):
        names = by_lower.get(uri.lower())
        if names is not None:
            names.add(uri)
    files: dict[str, str] = {}
    if scan_tree:
        for tree in trees:
            files.update(_tree_files(tree, prefix))
    # A manifest alone, away from its build, tells nothing of missing files.
    is_build_tree = bool(files) and (local_root is not None or not hashed or any(uri in files for uri in hashed))
    if files:
        hashed_by_lower = {uri.lower(): uri for uri in hashed}  # only when a tree is read
        for uri in files:
            low = uri.lower()
            if low in lowered and uri not in hashed and uri not in unhashed:
                by_lower.setdefault(low, set()).update((uri, hashed_by_lower.get(low, uri)))
        stale = []
        for uri, path in files.items():
            if uri.endswith(".gz") and uri[:-3] in files:
                gzip_siblings = True
                if _stale_gzip(path, files[uri[:-3]]):
                    stale.append(uri)
            elif uri.endswith(".br") and uri[:-3] in files:
                brotli_siblings = True
        if stale:
            warnings.append(f"{len(stale)} .gz file(s) do not decompress to their current source: {', '.join(stale[:3])}")
    if is_build_tree:
        tree_uris = sorted(files)
        for uri in kept_uris - files.keys():
            del hashed[uri]  # an earlier build's file that is gone: nothing to keep
        missing = [uri for uri in hashed if uri not in files]
        if missing:
            sample = ", ".join(sorted(missing)[:3])
            warnings.append(f"{len(missing)} hashed file(s) named by the manifest are not on disk here: {sample}")
    # nginx compares map string keys without regard to case: where two names differ only in
    # case, the hashed ones become case-sensitive regex keys so the other name is not caught.
    case_sensitive = frozenset(uri for names in by_lower.values() if len(names) > 1 for uri in names if uri in hashed)

    return Classification(
        hashed_uris=sorted(hashed),
        case_sensitive_uris=case_sensitive,
        denied_uris=sorted(denied - hashed.keys()),
        evidence=hashed,
        unhashed_evidence=unhashed,
        warnings=warnings,
        versioned=sorted(versioned),
        immutable_prefixes=sorted(immutable_prefixes),
        gzip_siblings=gzip_siblings,
        brotli_siblings=brotli_siblings,
        tree_uris=tree_uris,
    )


def explain(classification: Classification, uri: str, query: str = "") -> tuple[bool, str]:
    """(hashed?, why) for one decoded URI and its raw query string."""
    if (uri, query) in {pair for pair in classification.versioned if pair[0] == uri}:
        return True, "a query-string version the manifest names (the exact ?args match)"
    if uri in classification.evidence:
        file, where, reason = classification.evidence[uri]
        return True, f"{reason}: {file} at {where}"
    for prefix in classification.immutable_prefixes:
        if uri.startswith(prefix):
            return True, f"below --immutable-prefix {prefix} (vouched for by the user)"
    if uri in classification.unhashed_evidence:
        file, where, reason = classification.unhashed_evidence[uri]
        return False, f"{reason}: {file} at {where}"
    if any(pair[0] == uri for pair in classification.versioned):
        return False, "versioned by query string, but this request's ?args do not match the manifest's"
    return False, NOT_LISTED


def verify_regex(classification: Classification, pattern: re.Pattern[str]) -> tuple[list[str], list[str]]:
    """(unhashed files the pattern would catch, hashed files it misses), from the tree.

    The regex strategy is allowed only when the first list is empty: a pattern that catches
    a file which merely looks hashed gives it a year of caching.
    """
    assert classification.tree_uris is not None
    hashed = set(classification.hashed_uris)
    offenders = [uri for uri in classification.tree_uris if uri not in hashed and pattern.search(uri)]
    missed = [uri for uri in classification.hashed_uris if not pattern.search(uri)]
    return offenders, missed
