"""Query-string versions a site's own pages link (`_static/x.css?v=3fa2b1c0`), each checked
against the linked file's bytes: only a verified version counts as hashed.

Sphinx links its static files with `?v=` and the crc32 of the file's bytes with every '\\r'
removed (sphinx/builders/html/_assets.py, `_file_checksum_inner`); django-compressor's
CssAbsoluteFilter writes `url(img.png?<12 hex>)`, the md5 of the content only under
COMPRESS_CSS_HASHING_METHOD = "content" (its default, "mtime", hashes the modification time,
which no content check can confirm). Generic `?v=`, `?ver=`, `?id=` or bare `?X` versions
count when X is the start of the file's md5, sha1 or sha256 (hex or base64url) or its crc32.

A version that does not verify is not listed, so the file revalidates: a stale `?v=` that
names old bytes must not make new bytes immutable. nginx matches such an entry only with
exactly that `$args`; the file without the query revalidates.
"""

from __future__ import annotations

import base64
import hashlib
import html
import posixpath
import re
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

from nginxcache.buildtree import Symlinks, served_files
from nginxcache.manifests._versions import query_problem
from nginxcache.model import Entry, ManifestFormat, ManifestReading
from nginxcache.quoting import asset_path_problem

REASON = "linked with a query-string version verified against the file's content by nginxcache"
MIN_VERSION = 8  # shorter values (`?v=2`, `?v=1.4`) are release numbers, not digests
VERSION_KEYS = frozenset({"v", "ver", "version", "id", "h", "hash"})
DIGESTS = ("md5", "sha1", "sha256", "sha384", "sha512")

_PAGE_SUFFIXES = (".html", ".htm", ".xhtml")
_ATTRIBUTE = re.compile(rb"""(?i)\b(href|src|srcset)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>"']+))""")
_CSS_URL = re.compile(rb"""(?i)url\(\s*(?:"([^"]*)"|'([^']*)'|([^)\s"']*))\s*\)""")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")
_HEX = re.compile(r"[0-9a-fA-F]+")
_CR = b"\r"
_B64URL = re.compile(r"[0-9A-Za-z_-]+")


@dataclass(frozen=True, slots=True)
class LinkVersions:
    """What find_query_versions found."""

    reading: ManifestReading  # format LINKS; hashed: one Entry per verified (file, exact query)
    unverified: list[tuple[str, str]]  # (url as linked, why it does not count)
    notes: list[str] = field(default_factory=list)  # pages skipped, names refused
    pages_read: int = 0  # HTML pages and stylesheets read for links


def find_query_versions(root: Path, prefix: str = "/", *, max_file_bytes: int = 16 << 20) -> LinkVersions:
    """Every `?version` the HTML and CSS below `root` (served at URL `prefix`) link to a file
    of the same tree, verified against that file's bytes. Each page is read once and each
    linked file hashed once; symlinks are followed only while they stay inside `root`."""
    mount = prefix if prefix.endswith("/") else prefix + "/"
    files = {uri[1:]: path for uri, path in served_files(root, "/", Symlinks.OWNER).files.items()}
    digests: dict[str, dict[str, str] | str] = {}  # relpath -> digests, or why none
    hashed: dict[tuple[str, str], Entry] = {}
    unverified: list[tuple[str, str]] = []
    notes: list[str] = []
    pages = 0
    for page in sorted(files):
        is_page = page.endswith(_PAGE_SUFFIXES)
        if not (is_page or page.endswith(".css")):
            continue
        data = _read(files[page], max_file_bytes)
        if data is None:
            notes.append(f"{page!r}: bigger than {max_file_bytes} bytes or unreadable, its links not read")
            continue
        pages += 1
        for raw in _links(data, is_page):
            url = html.unescape(raw) if is_page else raw
            if "?" not in url or _SCHEME.match(url) or url.startswith("//"):
                continue  # no version, or another site's
            path, _, query = url.partition("#")[0].partition("?")
            target = _resolve(unquote(path), page, mount)
            where = f"{page}: {url}"
            if target is None:
                unverified.append((where, "leads outside the served root"))
                continue
            if target not in files:
                continue  # a link to nothing (or a route the server makes): nothing to cache
            problem = query_problem(query) or _version_problem(query)
            if problem is None:
                known = digests.get(target)
                if known is None:
                    known = digests[target] = _digests(files[target], max_file_bytes)
                problem = known if isinstance(known, str) else _mismatch(_version(query), known)
            if problem is not None:
                unverified.append((where, problem))
                continue
            name_problem = asset_path_problem(target)
            if name_problem is not None:
                notes.append(f"{where}: the file's name {name_problem}; not listed")
                continue
            hashed.setdefault((target, query), Entry(target, where, query))
    reading = ManifestReading(
        format=ManifestFormat.LINKS,
        file=str(root),
        build_root=root,
        hashed=sorted(hashed.values()),
        hashed_reason=REASON,
        manifest_relpath=None,
        paths_relative_to_root=False,
    )
    return LinkVersions(reading, unverified, notes, pages)


def _read(path: str, limit: int) -> bytes | None:
    try:
        with open(path, "rb") as stream:
            data = stream.read(limit + 1)
    except OSError:
        return None
    return data if len(data) <= limit else None


def _links(data: bytes, is_page: bool) -> list[str]:
    """The URLs a page (attributes, srcset candidates, inline url()) or a stylesheet links."""
    found: list[bytes] = []
    if is_page:
        for match in _ATTRIBUTE.finditer(data):
            value = match.group(2) or match.group(3) or match.group(4) or b""
            if match.group(1).lower() == b"srcset":
                found.extend(part.split()[0] for part in value.split(b",") if part.split())
            else:
                found.append(value.strip())
    found.extend((match.group(1) or match.group(2) or match.group(3) or b"").strip() for match in _CSS_URL.finditer(data))
    return [url.decode("utf-8", "replace") for url in found if b"?" in url]


def _resolve(path: str, page: str, mount: str) -> str | None:
    """The linked file's path below the root, or None when the link leaves the root."""
    if path.startswith("/"):
        if not path.startswith(mount):
            return None
        joined = path[len(mount) :]
    else:
        joined = posixpath.join(posixpath.dirname(page), path)
    normal = posixpath.normpath(joined) if joined else "."
    if normal == ".." or normal.startswith("../") or normal.startswith("/"):
        return None
    return normal


def _version(query: str) -> str:
    key, equals, value = query.partition("=")
    return value if equals else key


def _version_problem(query: str) -> str | None:
    if "&" in query or ";" in query:
        return "the query string holds more than one parameter: not a plain version"
    key, equals, value = query.partition("=")
    if equals and key.lower() not in VERSION_KEYS:
        return f"the query parameter {key!r} is not a version parameter ({', '.join(sorted(VERSION_KEYS))} or bare)"
    version = value if equals else key
    if len(version) < MIN_VERSION or not _B64URL.fullmatch(version):
        return f"{version!r} is no digest (a release number or a word): it cannot be checked against the content"
    return None


def _digests(path: str, limit: int) -> dict[str, str] | str:
    """Every digest form a version may take, from one read of the file; or why not."""
    data = _read(path, limit)
    if data is None:
        return f"the linked file is bigger than {limit} bytes or unreadable: not checked"
    forms: dict[str, str] = {
        "crc32": f"{zlib.crc32(data):08x}",
        "crc32 without carriage returns (Sphinx)": f"{zlib.crc32(data.translate(None, _CR)):08x}",
    }
    for algorithm in DIGESTS:
        raw = hashlib.new(algorithm, data, usedforsecurity=False).digest()
        forms[algorithm] = raw.hex()
        forms[f"{algorithm} base64url"] = base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
    return forms


def _mismatch(version: str, forms: dict[str, str]) -> str | None:
    """None when `version` is one of the content's digests (or a prefix of one, 8+ characters)."""
    for name, value in forms.items():
        if name.startswith("crc32"):
            if version.lower() == value:
                return None
        elif name.endswith("base64url"):
            if value.startswith(version):
                return None
        elif _HEX.fullmatch(version) and value.startswith(version.lower()):
            return None
    return f"{version!r} is not the content's crc32, nor the start of its md5, sha1 or sha256 (hex or base64url)"
