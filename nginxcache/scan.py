"""Sites without a manifest (`nginxcache scan DIR`): find file names that carry a hash and
check it against the file's bytes; only a verified hash counts as hashed.

A name can look hashed without being so: `vendor.0123456789ab.js` copied from elsewhere, a
file edited after it was named, a Vite or esbuild hash that is no plain digest of the file.
Such look-alikes revalidate unless the user vouches for them with `--trust-pattern`.

Verified: hex md5/sha1/sha256 prefixes and full md5..sha512 (Django, Hugo, webpack-style
names), base64url digests cut to any length (Eleventy's bundle plugin: sha256, 10
characters), MkDocs Material's scripts (sha256 of the script with its map inline). Not
verifiable here: Rollup/Vite/Rolldown and Turbopack hashes (xxh3-128) and esbuild's
(xxhash64; a chunk's also covers its imports' hashes): each look-alike's reason says which.
"""

from __future__ import annotations

import base64
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
    vouched: dict[str, str] = {}  # filesystem path -> scheme of a file another file's digest covers
    undecided: list[tuple[str, str, str]] = []  # (relpath, fspath, why) of look-alikes
    for relpath, fspath in _tree_files(directory, notes):
        files_scanned += 1
        verdict = _examine(os.path.basename(relpath), fspath)
        if verdict is None:
            continue
        check_asset_path(relpath, file=name, key_path=relpath)
        is_verified, detail, also = verdict
        if is_verified:
            verified.append((relpath, detail))
            if also is not None:
                vouched[also] = f"{detail.split(' (')[0]} ({MATERIAL_SCHEME}: the map is inline in the hashed text)"
        else:
            undecided.append((relpath, fspath, detail))
    for relpath, fspath, detail in undecided:
        if fspath in vouched:
            verified.append((relpath, vouched[fspath]))
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


# Base64url digests (Eleventy's bundle plugin: sha256, base64url, first 10) may be cut to
# any length: a token of length L is tried against the first L characters of each.
BASE64_ALGORITHMS = ("sha256", "sha1", "md5", "sha384", "sha512")
_B64_RUN = re.compile(r"[0-9A-Za-z_-]{8,86}")
_B64URL = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
_BASE32 = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
_BASE38 = frozenset("0123456789abcdefghijklmnopqrstuvwxyz-_")
_MAX_WHOLE_READ = 64 << 20  # a .js read whole to rebuild MkDocs Material's hashed text
_MAP_MARK = b"sourceMappingURL="
# What MkDocs Material's build (tools/build/transform/index.ts, digest()) hashed: esbuild's
# output with its source map inline, before the link to the .map file replaced it.
_INLINE_MAP = b"data:application/json;base64,"
MATERIAL_SCHEME = "MkDocs Material"


@dataclass(frozen=True, slots=True)
class _Tokens:
    """The tokens of one name worth checking against its content."""

    hex: list[str]  # hex runs of a length a known scheme writes
    b64: list[str]  # base64url tokens: the whole stem, the last '.' part, or after the last '-'
    hash_like: list[str]  # tokens that look like a hash: listed as look-alikes unless one verifies


def _stems(basename: str) -> list[str]:
    """The name without its extension, also without a copy suffix (`.gz`, `.br`, `.map`) first."""
    names = [basename] + [basename[: -len(suffix)] for suffix in _COPY_SUFFIXES if basename.endswith(suffix)]
    return [os.path.splitext(name)[0] if "." in name.lstrip(".") else name for name in names]


def _random_enough(token: str, *, strict: bool) -> bool:
    """A letter and a digit; unless `strict`, mixed case will do (Vite's `BdSJMAQq`). Not a
    word or a date, nor `OpenSans-Regular` when the token is a whole stem (`strict`)."""
    bare = token.replace("-", "").replace("_", "")
    has_letter = any(c.isalpha() for c in bare)
    if not has_letter:
        return False
    if any(c.isdigit() for c in bare):
        return True
    return not strict and bare.lower() != bare and bare.upper() != bare


def _class_changes(token: str) -> int:
    """How often the kind of character (upper, lower, digit, '-' or '_') changes: about every
    other character in a random token, a few times in a name made of words."""
    kinds = ["u" if c.isupper() else "l" if c.islower() else "d" if c.isdigit() else "s" for c in token]
    return sum(a != b for a, b in zip(kinds, kinds[1:], strict=False))


def _tokens(basename: str) -> _Tokens:
    """The tokens to try: hex runs anywhere (Django's `.HASH#x.txt`), and base64url ones found
    whole although they may hold '-' and '_': a stem that is only the hash (Eleventy's
    `bundle/AbC-dE_f01.css`, SvelteKit's `Bjy-W4x2.js`), the part after the stem's last '.'
    (Turbopack's `lab-sans.11-qpgoi9m2f1.woff2`: the hash is `11-qpgoi9m2f1`), or a Vite
    `name-HASH` (hashtoken.vite_hash). Hex tokens are tried whatever their letters and look
    like a hash only with a letter and a digit."""
    hex_tokens: list[str] = []
    b64: list[str] = []
    hash_like: list[str] = []
    for run in _ALNUM_RUN.findall(basename):
        if len(run) < MIN_TOKEN or not set(run) <= _HEX:
            continue
        if len(run) in KNOWN_LENGTHS:
            hex_tokens.append(run)
        if any(c.isdigit() for c in run) and any(c.isalpha() for c in run):
            hash_like.append(run)
    for stem in _stems(basename):
        last = stem.rpartition(".")[2]
        dashed = vite_hash(stem + ".x")
        if dashed is not None and last != stem and dashed in last and _B64_RUN.fullmatch(last):
            dashed = None  # Turbopack's `name.11-qpgoi9m2f1`: the hash is all after the '.'
        for token, strict in ((dashed, False), (last, True), (stem, True)):
            if token is None or not _B64_RUN.fullmatch(token) or token in b64:
                continue
            if set(token) <= _HEX and token in hex_tokens and token.lower() == token:
                continue  # already tried as hex (`Ff78D59b` is tried both ways: base64 minds case)
            if not _random_enough(token, strict=False):
                continue  # `bootstrap-icons`, `settings`: never opened
            b64.append(token)  # an Eleventy hash has no digit one time in ten: tried all the same
            if strict and (
                not _random_enough(token, strict=True)
                or 2 * _class_changes(token) < len(token)
                or (dashed is not None and dashed in token)
            ):
                # Tried, but `OpenSans-Regular` or `SelectFilter2` is no look-alike to report,
                # and `bg-BiBVL8_2` is reported by its Vite hash `BiBVL8_2`.
                continue
            if not any(token in other or other in token for other in hash_like):
                hash_like.append(token)
    return _Tokens(hex_tokens, b64, hash_like)


def _algorithms_for(tokens: _Tokens) -> set[str]:
    algorithms: set[str] = set(BASE64_ALGORITHMS) if tokens.b64 else set()
    for token in tokens.hex:
        if len(token) in TRUNCATED_LENGTHS:
            algorithms.update(TRUNCATED_ALGORITHMS)
        if len(token) in FULL_ALGORITHMS:
            algorithms.add(FULL_ALGORITHMS[len(token)])
    return algorithms


def _digests(path: str, algorithms: set[str], *, gunzip: bool = False) -> dict[str, bytes]:
    """Digests of a file's bytes (or of its gunzipped bytes), read once, in chunks, every
    algorithm fed from the same chunk."""
    hashers = {algorithm: hashlib.new(algorithm, usedforsecurity=False) for algorithm in algorithms}
    total = 0
    with gzip.open(path, "rb") if gunzip else open(path, "rb") as stream:
        while chunk := stream.read(_CHUNK):
            total += len(chunk)
            if gunzip and total > _MAX_GUNZIPPED:
                raise OSError(f"decompresses to more than {_MAX_GUNZIPPED >> 20} MiB")
            for hasher in hashers.values():
                hasher.update(chunk)
    return {algorithm: hasher.digest() for algorithm, hasher in hashers.items()}


def _digests_of(data: bytes, algorithms: set[str]) -> dict[str, bytes]:
    return {algorithm: hashlib.new(algorithm, data, usedforsecurity=False).digest() for algorithm in algorithms}


def _match(tokens: _Tokens, digests: dict[str, bytes]) -> str | None:
    """The scheme whose digest one of the tokens is, or None."""
    for token in tokens.hex:
        value = token.lower()
        full = FULL_ALGORITHMS.get(len(value))
        if full is not None and full in digests and digests[full].hex() == value:
            return full
        if len(value) in TRUNCATED_LENGTHS:
            for algorithm in TRUNCATED_ALGORITHMS:
                if digests[algorithm].hex()[: len(value)] == value:
                    return f"{algorithm}[:{len(value)}]"
    for token in tokens.b64:
        for algorithm in BASE64_ALGORITHMS:
            encoded = base64.urlsafe_b64encode(digests[algorithm]).rstrip(b"=").decode()
            if len(token) <= len(encoded) and encoded.startswith(token):
                return f"{algorithm} base64url" + ("" if len(token) == len(encoded) else f"[:{len(token)}]")
    return None


def _material_text(data: bytes, basename: str, map_path: str) -> bytes | None:
    """The text MkDocs Material hashed for a `bundle.HASH.min.js` it ships, or None.

    Its build hashes esbuild's output while the source map is still inline (`//#
    sourceMappingURL=data:application/json;base64,...`), then writes the map beside the
    script and links it instead (`sourceMappingURL=NAME.map` and a newline of its own). The
    map's bytes are the base64 payload, so the text comes back from the two files."""
    at = data.rfind(_MAP_MARK)
    if at < 0 or data[at + len(_MAP_MARK) :] != basename.encode() + b".map\n\n":
        return None
    with open(map_path, "rb") as stream:
        source_map = stream.read(_MAX_WHOLE_READ + 1)
    if len(source_map) > _MAX_WHOLE_READ:
        return None
    return data[: at + len(_MAP_MARK)] + _INLINE_MAP + base64.b64encode(source_map) + b"\n"


def _why_not(token: str, basename: str) -> str:
    stem_last = _stems(basename)[-1].rpartition(".")[2]
    if set(token) <= _HEX:
        if len(token) in FULL_ALGORITHMS:
            return f"{token!r} is not the {FULL_ALGORITHMS[len(token)]} of the content"
        if len(token) in TRUNCATED_LENGTHS:
            return f"{token!r} is not the first {len(token)} hex of the content's md5, sha256 or sha1"
        return f"{token!r}: no known scheme writes {len(token)} hex digits"
    if token == stem_last and len(token) == 13 and set(token) <= _BASE38:
        return (
            f"{token!r} is not hex: a Turbopack (Next.js) asset hash, 13 base-38 digits of an xxh3-128 of its "
            "bytes and the build's hash salt, which nginxcache cannot compute (no xxh3 in Python's standard library)"
        )
    if len(token) == 8 and set(token) <= _BASE32:
        return (
            f"{token!r} is not hex: an esbuild hash, base32 of an xxhash64 (an asset's of its bytes, a chunk's of its "
            "code with placeholders and its imports' hashes), which nginxcache cannot compute"
        )
    if len(token) == 8:
        return (
            f"{token!r} is not hex: a Rollup/Vite/Rolldown hash (an asset's is xxh3-128 of its bytes, a CSS file's "
            "with Vite's '/*$vite$:1*/' marker appended; a JS chunk's covers its code with placeholders and its "
            "imports' hashes), which nginxcache cannot compute; nor is it a base64url md5, sha1 or sha256"
        )
    return f"{token!r} is not hex, nor the start of the content's md5, sha1, sha256, sha384 or sha512 in base64url"


def _examine(basename: str, fspath: str) -> tuple[bool, str, str | None] | None:
    """None for a name without a hash-like token; (True, scheme, also) when a token is the
    content's digest (`also`: a file the same digest vouches for, MkDocs Material's .map);
    (False, why, None) for a look-alike."""
    tokens = _tokens(basename)
    if not tokens.hex and not tokens.b64 and not tokens.hash_like:
        return None
    problem = ""
    if tokens.hex or tokens.b64:
        algorithms = _algorithms_for(tokens)
        map_path = fspath + ".map"
        try:
            if basename.endswith(".js") and tokens.hex and os.path.isfile(map_path):
                # Read whole (scripts are small) to try MkDocs Material's text as well.
                with open(fspath, "rb") as stream:
                    data = stream.read(_MAX_WHOLE_READ + 1)
                scheme = _match(tokens, _digests_of(data, algorithms)) if len(data) <= _MAX_WHOLE_READ else None
                if scheme is None and len(data) <= _MAX_WHOLE_READ:
                    text = _material_text(data, basename, map_path)
                    if text is not None and (found := _match(tokens, _digests_of(text, algorithms))) is not None:
                        return True, f"{found} ({MATERIAL_SCHEME}: script with its map inline)", map_path
            else:
                scheme = _match(tokens, _digests(fspath, algorithms))
            if scheme is None and basename.endswith(".gz"):
                try:
                    scheme = _match(tokens, _digests(fspath, algorithms, gunzip=True))
                except (OSError, EOFError, zlib.error):
                    scheme = None
                if scheme is not None:
                    scheme += " of the gunzipped content"
        except OSError as error:
            scheme, problem = None, f"cannot be read ({error.strerror or error})"
        if scheme is not None:
            return True, scheme, None
    if not tokens.hash_like:
        return None  # a date or a word made of hex letters that is no digest either: not listed
    if problem:
        return False, problem, None
    why = "; ".join(_why_not(token, basename) for token in tokens.hash_like)
    if basename.endswith(".br"):
        why += " (a brotli copy: its content is not checked)"
    elif basename.endswith(".gz"):
        why += " (nor of its gunzipped content)"
    return False, why, None
