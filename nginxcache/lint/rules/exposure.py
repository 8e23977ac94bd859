"""NC108: build manifests served to the public. They list every asset of the build, source
names included, and nothing on the page needs them."""

from __future__ import annotations

import os
import posixpath
from collections.abc import Iterator

from nginxcache.lint.context import LintContext
from nginxcache.lint.findings import Severity
from nginxcache.lint.rules.registry import Hit, rule
from nginxcache.lint.semantics import (
    blocks_of,
    find_location,
    is_prefix,
    location_spec,
    nearest,
    serving_problem,
)
from nginxcache.lint.tree import Node

MANIFEST_NAMES = ("staticfiles.json", "mix-manifest.json", "entrypoints.json", "asset-manifest.json",
                  "parcel-manifest.json", ".manifest.json")
# What a location's own pattern says when it is written for a build manifest.
MANIFEST_WORDS = ("staticfiles.json", "mix-manifest", "entrypoints.json", "asset-manifest", "parcel-manifest",
                  "sprockets-manifest", ".manifest.json", ".vite")
MAX_DEPTH = 6
MAX_ENTRIES = 50_000


def is_build_manifest(relpath: str) -> bool:
    name = posixpath.basename(relpath)
    if name in MANIFEST_NAMES:
        return True
    if name.startswith(".sprockets-manifest-") and name.endswith(".json"):
        return True
    return ".vite" in relpath.split("/")[:-1]


def _manifests_below(directory: str) -> Iterator[str]:
    """Relative paths of build manifests below a local directory (bounded walk)."""
    entries = 0
    for current, dirs, files in os.walk(directory):
        depth = os.path.relpath(current, directory).count(os.sep)
        if depth >= MAX_DEPTH:
            dirs[:] = []
        for name in files:
            entries += 1
            relpath = os.path.relpath(os.path.join(current, name), directory).replace(os.sep, "/")
            if is_build_manifest(relpath):
                yield relpath
        entries += len(dirs)
        if entries > MAX_ENTRIES:
            return


def _served_directories(server: Node) -> Iterator[tuple[str, str]]:
    """(local directory, URI prefix it is served at) for the server's root and aliases."""
    for block in blocks_of(server):
        alias = block.children("alias")
        if alias and alias[0].args and is_prefix(block):
            yield alias[0].args[0], location_spec(block)[1].rstrip("/") + "/"
            continue
        root = block.children("root")
        if root and root[0].args:
            prefix = location_spec(block)[1] if is_prefix(block) else "/"
            if not prefix.startswith("/"):
                prefix = "/"
            yield root[0].args[0] + prefix.rstrip("/"), prefix if prefix.endswith("/") else prefix + "/"
    inherited = nearest(server, "root")
    if inherited is not None and inherited.args and inherited.parent is not server:
        yield inherited.args[0], "/"


@rule("NC108", Severity.WARNING, "a build manifest is publicly served")
def manifest_served(ctx: LintContext) -> Iterator[Hit]:
    reported: dict[Node, list[str]] = {}
    for server in ctx.servers:
        candidates: list[tuple[str, str]] = []  # (uri, where it comes from)
        if ctx.served is not None:
            candidates += [(uri, ctx.served.source) for uri in sorted(ctx.served.manifest_uris)]
        for directory, prefix in _served_directories(server):
            if "$" in directory or not os.path.isabs(directory) or not os.path.isdir(directory):
                continue
            base = directory if directory.endswith("/") else directory + "/"
            for relpath in _manifests_below(directory):
                candidates.append((prefix + relpath, f"the file {base}{relpath}"))
        for uri, origin in candidates:
            target = find_location(server, uri)
            if serving_problem(target) is None:
                reported.setdefault(target, []).append(f"{uri} ({origin})")
    for node in ctx.tree.walk():
        if node.name != "location" or node.block is None or node.is_root:
            continue
        modifier, pattern = location_spec(node)
        text = pattern.lower().replace("\\", "")
        named = modifier != "@" and any(word in text for word in MANIFEST_WORDS)
        if named and serving_problem(node) is None and not _denies_inside(node) and node not in reported:
            reported[node] = ["named by its own pattern"]
    for target, uris in reported.items():
        where = target.show() if not target.is_root else f"the {target.name}-level file"
        yield Hit(
            target,
            f"{where} serves build manifests ({', '.join(uris[:3])}): they list every asset and source name "
            "of the build and no page needs it; answer 404 (location = /…/manifest.json { return 404; })",
        )


def _denies_inside(location: Node) -> bool:
    return any(serving_problem(child) is not None for child in location.walk() if child.name == "location")
