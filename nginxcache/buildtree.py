"""The served tree as nginx sees it: every file below --root with its URI, the symlinks nginx
will refuse or that lead outside the root, and the precompressed siblings (`.gz`, `.br`)
that decide gzip_static and brotli_static.

The walk never leaves the root: a symlink to `/` is reported, not followed.
"""

from __future__ import annotations

import gzip
import os
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path


class Symlinks(StrEnum):
    """nginx's `disable_symlinks` for the served location (checked below the root only)."""

    REFUSE = "on"  # no symlink below the root is followed: nothing outside it can be served
    OWNER = "if_not_owner"  # followed when the link and its target have the same owner
    FOLLOW = "off"  # nginx's own default: every symlink is followed, wherever it leads


@dataclass(slots=True)
class ServedTree:
    """The files nginx serves below a root, by URI, and the symlinks it met on the way."""

    files: dict[str, str] = field(default_factory=dict)  # URI -> filesystem path
    leaving: list[tuple[str, str]] = field(default_factory=list)  # (URI, target) of links out of the root
    refused: list[str] = field(default_factory=list)  # URIs of links inside the root nginx refuses


def served_files(root: Path, prefix: str, symlinks: Symlinks = Symlinks.FOLLOW) -> ServedTree:
    """The files below `root` as nginx serves them under `prefix` with `disable_symlinks
    <symlinks> from=$document_root`: a link is followed only where that allows and only
    while it stays inside the root (owner checks are nginx's to make: OWNER follows links
    inside the root); each real directory is walked once."""
    tree = ServedTree()
    try:
        top = os.path.realpath(root)
        info = os.stat(top)
    except OSError:
        return tree
    inside = top.rstrip("/") + "/"
    seen = {(info.st_dev, info.st_ino)}
    stack = [(top, prefix)]
    while stack:
        directory, uri_dir = stack.pop()
        try:
            entries = list(os.scandir(directory))
        except OSError:
            continue
        for entry in entries:
            uri = uri_dir + entry.name
            try:
                if entry.is_symlink():
                    target = os.path.realpath(entry.path)
                    if target != top and not target.startswith(inside):
                        tree.leaving.append((uri, target))
                        if symlinks is Symlinks.FOLLOW and entry.is_file():
                            tree.files[uri] = entry.path  # nginx serves it, wherever it is
                        continue  # refused by nginx; and never walked, whatever the setting
                    if symlinks is Symlinks.REFUSE:
                        tree.refused.append(uri)
                        continue
                    if target == top:
                        continue  # the root again
                if entry.is_dir():
                    found = entry.stat()
                    if (found.st_dev, found.st_ino) not in seen:
                        seen.add((found.st_dev, found.st_ino))
                        stack.append((entry.path, uri + "/"))
                elif entry.is_file():
                    tree.files[uri] = entry.path
            except OSError:
                continue
    tree.leaving.sort()
    tree.refused.sort()
    return tree


@dataclass(frozen=True, slots=True)
class Precompressed:
    """What the tree's `.gz` and `.br` files beside their sources say."""

    gzip_siblings: bool = False
    brotli_siblings: bool = False
    stale_gzip: list[str] = field(default_factory=list)  # URIs of .gz files that are not their source


def precompressed(files: Mapping[str, str]) -> Precompressed:
    """`files`: URI -> filesystem path, as served_files gives them."""
    gzip_siblings = brotli_siblings = False
    stale = []
    for uri, path in files.items():
        if uri.endswith(".gz") and uri[:-3] in files:
            gzip_siblings = True
            if not same_after_gunzip(path, files[uri[:-3]]):
                stale.append(uri)
        elif uri.endswith(".br") and uri[:-3] in files:
            brotli_siblings = True
    return Precompressed(gzip_siblings, brotli_siblings, sorted(stale))


_CHUNK = 1 << 16


def same_after_gunzip(compressed: str, source: str) -> bool:
    """Whether `compressed` inflates to exactly `source`'s bytes. Read a chunk at a time and
    stopped at the first difference, so a gzip bomb beside a small file costs one chunk past
    the source's length, never its inflated size."""
    try:
        with gzip.open(compressed, "rb") as inflated, open(source, "rb") as original:
            while True:
                want = original.read(_CHUNK)
                got = inflated.read(len(want) or 1)
                if got != want:
                    return False
                if not want:
                    return True
    except (OSError, EOFError, zlib.error):
        return False
