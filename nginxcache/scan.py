"""Sites without a manifest (`nginxcache scan DIR`): find file names that carry a hash and
check it against the file's bytes; only a verified hash counts as hashed.

A name can look hashed without being so: `vendor.0123456789ab.js` copied from elsewhere, a
file edited after it was named, a Vite or esbuild hash that is no plain digest of the file.
Such look-alikes revalidate unless the user vouches for them with `--trust-pattern`.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from nginxcache.errors import ManifestError
from nginxcache.hashtoken import vite_hash
from nginxcache.model import Entry, ManifestFormat, ManifestReading
from nginxcache.quoting import check_asset_path

REASON = "its name carries a digest of its content, verified by nginxcache scan (or trusted by --trust-pattern)"
LOOKALIKE_KEY = "look-alike: unverified hash-like name"
TRUSTED_KEY = "trusted: matches --trust-pattern, not verified"

TRUNCATED_ALGORITHMS = ("md5", "sha256", "sha1")  # tried in this order
TRUNCATED_LENGTHS = (8, 10, 12, 16, 20)
FULL_ALGORITHMS = {32: "md5", 40: "sha1", 64: "sha256", 96: "sha384", 128: "sha512"}
KNOWN_LENGTHS = frozenset(TRUNCATED_LENGTHS) | FULL_ALGORITHMS.keys()
MIN_TOKEN = 8
# Which tool writes such names, for the report.
SCHEME_NOTES = {
    "md5[:12]": "Django's hashed names",
    "sha256": "Hugo resources.Fingerprint default",
    "md5": "e.g. Hugo Fingerprint \"md5\"",
    "sha384": "e.g. Hugo Fingerprint \"sha384\"",
    "sha512": "e.g. Hugo Fingerprint \"sha512\"",
}

_CHUNK = 1 << 20
_MAX_GUNZIPPED = 1 << 30  # a .gz that inflates beyond this is not verified (decompression bomb)
_ALNUM_RUN = re.compile(r"[0-9A-Za-z]+")
_HEX = frozenset("0123456789abcdefABCDEF")
_COPY_SUFFIXES = (".map", ".gz", ".br")


def scan_format() -> ManifestFormat:
    return ManifestFormat.SCAN


@dataclass(frozen=True, slots=True)
class ScanResult:
    """What a scan found. Relative paths use '/', are sorted, and passed check_asset_path."""

    reading: ManifestReading  # hashed: verified and trusted files; unhashed: untrusted look-alikes
    verified: list[tuple[str, str]]  # (relative path, scheme such as "md5[:12]")
    lookalikes: list[tuple[str, str]]  # (relative path, why it could not be verified); revalidate
    trusted: list[str]  # look-alikes counted as hashed only because of --trust-pattern
    files_scanned: int = 0
    notes: list[str] = field(default_factory=list)  # symlinks not followed, unreadable directories


def scan(directory: Path, *, trust_pattern: re.Pattern[str] | None = None) -> ScanResult:
    """Scan every file below `directory` (symlinks followed as nginx does, each real
    directory once). `trust_pattern` must match a look-alike's whole relative path
    (re.fullmatch) to make it count as hashed."""
    name = str(directory)
    if not directory.is_dir():
        raise ManifestError("cannot scan: not a directory", file=name)
    notes: list[str] = []
    verified: list[tuple[str, str]] = []
    lookalikes: list[tuple[str, str]] = []
    trusted: list[str] = []
    files_scanned = 0
    for relpath, fspath in _tree_files(directory, notes):
        files_scanned += 1
        verdict = _examine(os.path.basename(relpath), fspath)
        if verdict is None:
            continue
        check_asset_path(relpath, file=name, key_path=relpath)
        is_verified, detail = verdict
        if is_verified:
            verified.append((relpath, detail))
        elif trust_pattern is not None and trust_pattern.fullmatch(relpath):
            trusted.append(relpath)
        else:
            lookalikes.append((relpath, detail))
    verified.sort()
    lookalikes.sort()
    trusted.sort()
    hashed = sorted(
        [Entry(path, f"verified: {scheme}") for path, scheme in verified] + [Entry(path, TRUSTED_KEY) for path in trusted]
    )
    reading = ManifestReading(
        format=scan_format(),
        file=name,
        build_root=directory,
        hashed=hashed,
        hashed_reason=REASON,
        unhashed=[(Entry(path, LOOKALIKE_KEY), why) for path, why in lookalikes],
        manifest_relpath=None,
        # Paths are relative to the scanned directory: below a local --root, it is served
        # at its place there (classify.mount_prefix).
        paths_relative_to_root=False,
    )
    return ScanResult(reading, verified, lookalikes, trusted, files_scanned, notes)


def format_report(result: ScanResult) -> str:
    """Human-readable summary: counts per scheme, then every look-alike and trusted file."""
    lines = [f"nginxcache scan {result.reading.file}"]
    plain = result.files_scanned - len(result.verified) - len(result.lookalikes) - len(result.trusted)
    lines.append(f"  {result.files_scanned} files scanned")
    lines.append(f"  {len(result.verified)} hashed: name verified against the content (immutable)")
    per_scheme: dict[str, int] = {}
    for _, scheme in result.verified:
        per_scheme[scheme] = per_scheme.get(scheme, 0) + 1
    for scheme, count in sorted(per_scheme.items(), key=lambda item: (-item[1], item[0])):
        note = SCHEME_NOTES.get(scheme.split(" ")[0])
        lines.append(f"    {count:>7}  {scheme}" + (f"  ({note})" if note else ""))
    lines.append(f"  {len(result.trusted)} trusted: unverified, hashed only because of --trust-pattern (immutable)")
    lines.extend(f"    {path}" for path in result.trusted)
    lines.append(f"  {len(result.lookalikes)} look-alikes: the name looks hashed but does not verify (revalidate)")
    lines.extend(f"    {path}: {why}" for path, why in result.lookalikes)
    lines.append(f"  {plain} other files: no hash in the name (revalidate)")
    if result.notes:
        lines.append(f"  {len(result.notes)} notes:")
        lines.extend(f"    {note}" for note in result.notes)
    return "\n".join(lines) + "\n"


def _tree_files(root: Path, notes: list[str]) -> Iterator[tuple[str, str]]:
    """(relative path, filesystem path) of every regular file below root, sorted per
    directory. Symlinked directories are followed after all real ones, each real directory
    once, so loops end and a real path wins over an alias."""
    info = root.stat()
    top = os.path.realpath(root)
    inside = top.rstrip("/") + "/"
    seen: dict[tuple[int, int], str] = {(info.st_dev, info.st_ino): "."}
    stack: list[tuple[str, str]] = [(str(root), "")]
    linked: list[tuple[str, str, tuple[int, int]]] = []
    while stack or linked:
        if not stack:
            path, rel, key = linked.pop(0)
            if os.path.realpath(path) != top and not os.path.realpath(path).startswith(inside):
                notes.append(f"{rel[:-1]!r}: symlink to a directory outside the scanned one: not followed")
                continue
            if key in seen:
                notes.append(
                    f"{rel[:-1]!r}: symlink to a directory already scanned as {seen[key]!r} (a loop or an alias): "
                    "not followed again, its files there revalidate"
                )
                continue
            seen[key] = rel[:-1]
            stack.append((path, rel))
        directory, rel = stack.pop()
        try:
            with os.scandir(directory) as listing:
                entries = sorted(listing, key=lambda entry: entry.name)
        except OSError as error:
            notes.append(f"{rel[:-1] or '.'!r}: directory cannot be read ({error.strerror}): its files are not listed")
            continue
        subdirs: list[tuple[str, str]] = []
        for entry in entries:
            relpath = rel + entry.name
            try:
                if entry.is_dir():
                    target = entry.stat()
                    key = (target.st_dev, target.st_ino)
                    if entry.is_symlink():
                        linked.append((entry.path, relpath + "/", key))
                    elif key not in seen:
                        seen[key] = relpath
                        subdirs.append((entry.path, relpath + "/"))
                elif entry.is_file():
                    if entry.is_symlink() and not os.path.realpath(entry.path).startswith(inside):
                        notes.append(f"{relpath!r}: symlink to a file outside the scanned directory, skipped")
                        continue
                    yield relpath, entry.path
                elif entry.is_symlink() and not os.path.exists(entry.path):
                    notes.append(f"{relpath!r}: broken symlink, skipped")
            except OSError as error:
                notes.append(f"{relpath!r}: cannot be examined ({error.strerror}), skipped")
        stack.extend(reversed(subdirs))


def _tokens(basename: str) -> tuple[list[str], list[str]]:
    """(hex tokens of a length a known scheme writes, tokens that look like a hash).

    A token is a maximal run of letters and digits, so it may sit between any separators
    (Django's `.HASH#x.txt`). Hex tokens are tried whatever their letters; they look like a
    hash only with a letter and a digit (not a date, not a word). Base64url hashes (Vite >= 5,
    which may contain '-' or '_') are found where hashtoken.vite_hash finds them.
    """
    candidates: list[str] = []
    hash_like: list[str] = []
    for run in _ALNUM_RUN.findall(basename):
        if len(run) < MIN_TOKEN or not set(run) <= _HEX:
            continue
        if len(run) in KNOWN_LENGTHS:
            candidates.append(run)
        if any(c.isdigit() for c in run) and any(c.isalpha() for c in run):
            hash_like.append(run)
    names = [basename] + [basename[: -len(suffix)] for suffix in _COPY_SUFFIXES if basename.endswith(suffix)]
    for name in names:
        token = vite_hash(name)
        if token is None or token in hash_like:
            continue
        bare = token.replace("-", "").replace("_", "")
        has_letter = any(c.isalpha() for c in bare)
        if has_letter and (any(c.isdigit() for c in bare) or (bare.lower() != bare and bare.upper() != bare)):
            hash_like.append(token)  # not random merely for a '-' in `my-long-name`
    return candidates, hash_like


def _algorithms_for(candidates: list[str]) -> set[str]:
    algorithms: set[str] = set()
    for token in candidates:
        if len(token) in TRUNCATED_LENGTHS:
            algorithms.update(TRUNCATED_ALGORITHMS)
        if len(token) in FULL_ALGORITHMS:
            algorithms.add(FULL_ALGORITHMS[len(token)])
    return algorithms


def _digests(path: str, algorithms: set[str], *, gunzip: bool = False) -> dict[str, str]:
    """Hex digests of a file's bytes (or of its gunzipped bytes), read in chunks."""
    hashers = {algorithm: hashlib.new(algorithm, usedforsecurity=False) for algorithm in algorithms}
    total = 0
    with gzip.open(path, "rb") if gunzip else open(path, "rb") as stream:
        while chunk := stream.read(_CHUNK):
            total += len(chunk)
            if gunzip and total > _MAX_GUNZIPPED:
                raise OSError(f"decompresses to more than {_MAX_GUNZIPPED >> 20} MiB")
            for hasher in hashers.values():
                hasher.update(chunk)
    return {algorithm: hasher.hexdigest() for algorithm, hasher in hashers.items()}


def _match(candidates: list[str], digests: dict[str, str]) -> str | None:
    """The scheme whose digest one of the tokens is, or None."""
    for token in candidates:
        value = token.lower()
        if len(value) in FULL_ALGORITHMS and digests.get(FULL_ALGORITHMS[len(value)]) == value:
            return FULL_ALGORITHMS[len(value)]
        if len(value) in TRUNCATED_LENGTHS:
            for algorithm in TRUNCATED_ALGORITHMS:
                if digests[algorithm][: len(value)] == value:
                    return f"{algorithm}[:{len(value)}]"
    return None


def _why_not(token: str) -> str:
    if not set(token) <= _HEX:
        return f"{token!r} is not hex: a Vite/Rollup or esbuild hash is no plain digest of the file and cannot be checked"
    if len(token) in FULL_ALGORITHMS:
        return f"{token!r} is not the {FULL_ALGORITHMS[len(token)]} of the content"
    if len(token) in TRUNCATED_LENGTHS:
        return f"{token!r} is not the first {len(token)} hex of the content's md5, sha256 or sha1"
    return f"{token!r}: no known scheme writes {len(token)} hex digits"


def _examine(basename: str, fspath: str) -> tuple[bool, str] | None:
    """None for a name without a hash-like token; (True, scheme) when a token is the
    content's digest; (False, why) for a look-alike."""
    candidates, hash_like = _tokens(basename)
    if not candidates and not hash_like:
        return None
    problem = ""
    if candidates:
        algorithms = _algorithms_for(candidates)
        try:
            scheme = _match(candidates, _digests(fspath, algorithms))
            if scheme is None and basename.endswith(".gz"):
                try:
                    scheme = _match(candidates, _digests(fspath, algorithms, gunzip=True))
                except (OSError, EOFError, zlib.error):
                    scheme = None
                if scheme is not None:
                    scheme += " of the gunzipped content"
        except OSError as error:
            scheme, problem = None, f"cannot be read ({error.strerror or error})"
        if scheme is not None:
            return True, scheme
    if not hash_like:
        return None  # a date or a word made of hex letters that is no digest either: not listed
    if problem:
        return False, problem
    why = "; ".join(_why_not(token) for token in hash_like)
    if basename.endswith(".br"):
        why += " (a brotli copy: its content is not checked)"
    elif basename.endswith(".gz"):
        why += " (nor of its gunzipped content)"
    return False, why
