"""From what the manifests say (and, where it is on this machine, the build tree) to the
set of content-hashed URIs, each with the evidence for its verdict.

A file is hashed only on a manifest's evidence: a name that merely looks hashed is not.
URIs are in nginx's decoded `$uri` form: the served prefix plus the path as on disk.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from nginxcache.errors import UnsafeEntryError
from nginxcache.model import Classification, ManifestReading

NOT_LISTED = "not listed as a hashed output by any manifest: revalidated"


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


def _tree_uris(build_root: Path, prefix: str) -> Iterator[str]:
    """URIs of the files below build_root, as nginx would serve them under `prefix`.

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
                        yield uri
        except OSError:
            continue


def _manifest_uris(reading: ManifestReading, prefix: str, local_root: Path | None) -> set[str]:
    """Where the manifest itself would be served: below --root if it lies there."""
    uris = {prefix + reading.manifest_relpath} if reading.manifest_relpath else set()
    if local_root is not None:
        try:
            uris.add(prefix + Path(reading.file).resolve().relative_to(local_root.resolve()).as_posix())
        except ValueError:
            pass
    return uris


def classify(
    readings: Iterable[ManifestReading],
    prefix: str,
    *,
    serve_manifest: bool = False,
    scan_tree: bool = True,
    local_root: Path | None = None,
) -> Classification:
    """`local_root`: the served directory when it is on this machine (--root); else each
    manifest's own build directory stands for it."""
    readings = list(readings)
    hashed: dict[str, tuple[str, str, str]] = {}
    unhashed: dict[str, tuple[str, str, str]] = {}
    denied: list[str] = []
    for reading in readings:
        for entry, reason in reading.unhashed:
            uri = to_uri(entry.path, prefix, file=reading.file, key_path=entry.key_path)
            unhashed.setdefault(uri, (reading.file, entry.key_path, reason))
        for entry in reading.hashed:
            uri = to_uri(entry.path, prefix, file=reading.file, key_path=entry.key_path)
            hashed.setdefault(uri, (reading.file, entry.key_path, reading.hashed_reason))
        if not serve_manifest:
            denied.extend(_manifest_uris(reading, prefix, local_root))

    for uri, (file, where, _) in unhashed.items():
        if uri in hashed:
            other_file, other_where, _ = hashed[uri]
            raise UnsafeEntryError(
                f"{uri!r} is hashed per {other_file} at {other_where} but unhashed per {file} at {where}",
                file=file,
            )

    warnings: list[str] = []
    by_lower: dict[str, set[str]] = {}
    for uri in (*hashed, *unhashed):
        by_lower.setdefault(uri.lower(), set()).add(uri)
    trees = [local_root] if local_root is not None else list(dict.fromkeys(r.build_root for r in readings))
    trees = [tree for tree in trees if tree.is_dir()]
    if scan_tree and trees:
        missing = set(hashed)
        for tree in trees:
            for uri in _tree_uris(tree, prefix):
                missing.discard(uri)
                names = by_lower.get(uri.lower())
                if names is not None:
                    names.add(uri)
        if missing:
            sample = ", ".join(sorted(missing)[:3])
            warnings.append(f"{len(missing)} hashed file(s) named by the manifest are not on disk here: {sample}")
    # nginx compares map string keys without regard to case: where two names differ only in
    # case, the hashed ones become case-sensitive regex keys so the other name is not caught.
    case_sensitive = frozenset(uri for names in by_lower.values() if len(names) > 1 for uri in names if uri in hashed)

    return Classification(
        hashed_uris=sorted(hashed),
        case_sensitive_uris=case_sensitive,
        denied_uris=sorted(set(denied) - set(hashed)),
        evidence=hashed,
        unhashed_evidence=unhashed,
        warnings=warnings,
    )


def explain(classification: Classification, uri: str) -> tuple[bool, str]:
    """(hashed?, why) for one decoded URI."""
    if uri in classification.evidence:
        file, where, reason = classification.evidence[uri]
        return True, f"{reason}: {file} at {where}"
    if uri in classification.unhashed_evidence:
        file, where, reason = classification.unhashed_evidence[uri]
        return False, f"{reason}: {file} at {where}"
    return False, NOT_LISTED
