"""The served tree as nginx sees it: every file below --root with its URI, and the
precompressed siblings (`.gz`, `.br`) that decide gzip_static and brotli_static."""

from __future__ import annotations

import gzip
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path


def served_files(build_root: Path, prefix: str) -> Iterator[tuple[str, str]]:
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
            if _stale_gzip(path, files[uri[:-3]]):
                stale.append(uri)
        elif uri.endswith(".br") and uri[:-3] in files:
            brotli_siblings = True
    return Precompressed(gzip_siblings, brotli_siblings, stale)


def _stale_gzip(path: str, source: str) -> bool:
    try:
        with gzip.open(path, "rb") as compressed, open(source, "rb") as original:
            return compressed.read() != original.read()
    except (OSError, EOFError, gzip.BadGzipFile):
        return True
