"""From what the manifests say (and, where it is on this machine, the build tree) to the
set of content-hashed URIs, each with the evidence for its verdict.

A file is hashed only on a manifest's evidence: a name that merely looks hashed is not.
URIs are in nginx's decoded `$uri` form: the served prefix plus the path as on disk.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import suppress
from itertools import chain, compress, islice
from operator import eq, ne
from pathlib import Path
from typing import NamedTuple

from nginxcache.buildtree import Symlinks, precompressed, served_files
from nginxcache.errors import UnsafeEntryError
from nginxcache.mapformat import ENTRY_TAIL, entry_head, plain_entry_lines
from nginxcache.model import Classification, Entries, Entry, EntryLines, ManifestFormat, ManifestReading, PrefixRule, UriList
from nginxcache.quoting import asset_path_problem

NOT_LISTED = "no evidence that its content is hashed (no manifest lists it, no verified hash in its name): revalidated"
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


def always_revalidated(uri: str, service_workers: Collection[str]) -> str | None:
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


def root_inside_build(reading: ManifestReading, local_root: Path | None) -> str | None:
    """Where --root lies inside the reading's build directory (`assets/` for `dist/assets`
    of a Vite `dist/`), or None when it is not strictly inside it."""
    if reading.paths_relative_to_root or local_root is None or isinstance(reading.hashed, Entries):
        return None
    try:
        inside = local_root.resolve().relative_to(reading.build_root.resolve()).as_posix()
    except ValueError:
        return None
    return None if inside == "." else inside + "/"


def rebased(reading: ManifestReading, local_root: Path | None) -> tuple[ManifestReading, int]:
    """The reading as seen from a --root that lies inside its build directory (a Vite
    `dist/` served from `dist/assets/` at /assets/): paths below that directory lose the part
    the root already holds; the others are not served under this root and are left out.
    Returns the reading and how many entries were left out."""
    below = root_inside_build(reading, local_root)
    if below is None or local_root is None:
        return reading, 0

    def moved(entry: Entry) -> Entry | None:
        if entry.path.startswith("/"):
            return entry  # a URL path already
        return entry._replace(path=entry.path[len(below) :]) if entry.path.startswith(below) else None

    hashed = [e for e in map(moved, reading.hashed) if e is not None]
    unhashed = [(e, why) for e, why in ((moved(entry), why) for entry, why in reading.unhashed) if e is not None]
    left_out = len(reading.hashed) - len(hashed) + len(reading.unhashed) - len(unhashed)
    relpath = reading.manifest_relpath
    if relpath is not None:
        relpath = relpath[len(below) :] if relpath.startswith(below) else None
    return dataclasses.replace(reading, hashed=hashed, unhashed=unhashed, build_root=local_root, manifest_relpath=relpath), left_out


def _manifest_uris(reading: ManifestReading, prefix: str, local_root: Path | None) -> set[str]:
    """Where the manifest itself would be served: below --root if it lies there."""
    if reading.served_by_design or reading.format in (ManifestFormat.SCAN, ManifestFormat.LINKS):
        return set()  # a scan's "manifest" is the served directory itself: nothing to deny
    uris = {prefix + reading.manifest_relpath} if reading.manifest_relpath else set()
    if local_root is not None:
        with suppress(ValueError):  # the manifest lies outside the served tree
            uris.add(prefix + Path(reading.file).resolve().relative_to(local_root.resolve()).as_posix())
    return uris


class _Source(NamedTuple):
    """One manifest's hashed entries as URIs below the prefix: `rest[j]` is entry j's URI
    without the prefix (the manifest's own string when its mount is the prefix)."""

    file: str
    reason: str
    kept: bool
    rest: list[str]
    where: Callable[[int], str]  # the JSON key path of rest[j]


def _source(reading: ManifestReading, mount: str, prefix: str, reason: str, kept: bool) -> tuple[_Source, list[tuple[str, Entry]]]:
    """The reading's plain hashed entries, and its query-string versions as (uri, entry)."""
    below = mount[len(prefix) :]
    if isinstance(reading.hashed, Entries):
        paths = reading.hashed.paths
        rest = paths if not below else [below + path for path in paths]
        return _Source(reading.file, reason, kept, rest, reading.hashed.where), []
    rest, wheres, versioned = [], [], []
    for entry in reading.hashed:
        uri = to_uri(entry.path, mount, file=reading.file, key_path=entry.key_path)
        if entry.query is not None:
            versioned.append((uri, entry))
        else:
            rest.append(uri[len(prefix) :])
            wheres.append(entry.key_path)
    return _Source(reading.file, reason, kept, rest, wheres.__getitem__), versioned


def _stored(sources: list[_Source]) -> Iterator[str]:
    """Every name, in the order its string lies in memory (the manifests' own): a pass in
    sorted order costs twice as much in cache misses where the order does not matter."""
    return chain.from_iterable(source.rest for source in sources)


class _Locator:
    """Which manifest entry names a URI (the first one), for messages and evidence; each
    source's index is built when first asked, so a render that needs none builds none."""

    def __init__(self, sources: list[_Source]) -> None:
        self._sources = sources
        self._indexes: list[dict[str, int] | None] = [None] * len(sources)

    def find(self, rest: str) -> tuple[_Source, int] | None:
        for i, source in enumerate(self._sources):
            index = self._indexes[i]
            if index is None:
                last = len(source.rest) - 1  # built backwards: the first entry naming a URI wins
                index = self._indexes[i] = dict(zip(reversed(source.rest), range(last, -1, -1), strict=True))
            j = index.get(rest)
            if j is not None:
                return source, j
        return None

    def where(self, rest: str) -> tuple[str, str]:
        """(file, key path) of the first entry naming `rest`."""
        found = self.find(rest)
        return (found[0].file, found[0].where(found[1])) if found else ("", "")

    def where_each(self, names: Iterable[str]) -> dict[str, tuple[str, str]]:
        """where() for a few names at once: one C-level pass over each source, no index."""
        wanted, found = set(names), {}
        for source in self._sources if wanted else ():
            for j, name in compress(enumerate(source.rest), map(wanted.__contains__, source.rest)):
                if name not in found:
                    found[name] = (source.file, source.where(j))
            wanted -= found.keys()
            if not wanted:
                break
        return found


class _Evidence(Mapping[str, tuple[str, str, str]]):
    """uri -> (manifest file, key path, reason) for every hashed URI, looked up on demand:
    a dict of a million tuples is not built for a render."""

    def __init__(self, hashed: UriList, locator: _Locator) -> None:
        self._hashed = hashed
        self._locator = locator

    def __getitem__(self, uri: str) -> tuple[str, str, str]:
        found = self._locator.find(uri[len(self._hashed.prefix) :]) if uri in self._hashed else None
        if found is None:
            raise KeyError(uri)
        source, j = found
        return source.file, source.where(j), source.reason

    def __iter__(self) -> Iterator[str]:
        return iter(self._hashed)

    def __len__(self) -> int:
        return len(self._hashed)


# The bulk checks read the sorted names as the hashed map's entry lines (`    "PREFIX+NAME" 1;`,
# the text render then writes as it is): a few passes at C speed find the few names that need
# a rule of their own; every other one is a plain, safe, ordinary hashed file.
_SLASH_THEN = re.compile(r'/[/."]')  # '//', '/.', '/' at the end: empty or dot segments, dotfiles, absolute
_SPECIAL_NAME = re.compile(r'\.(?:(?i:html?|webmanifest)"|js"(?:(?<=sw\.js")|(?<=worker\.js")))')
# quoting.CONTROL_CHARACTERS (C0, DEL, C1, U+2028/9, bidi controls), a quote, a backslash, a
# lone surrogate (tests/test_classify_bulk.py holds the two to the same characters).
_UNSAFE_CHAR = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\"\\\\\ud800-\udfff]")
_UNSAFE_BYTES = bytes([*range(0x00, 0x20), 0x7F]) + b'"\\'  # the ASCII ones


class _Scan(NamedTuple):
    odd: list[str]  # names to look at one by one: dot or empty segments, dotfiles, special names, unsafe characters
    upper: list[str]  # the names str.lower() changes: only they can equal another name up to case
    ascii: bool
    lines: str | None  # the entry lines of every name, when none needs escaping


def _scan(rest: list[str], prefix: str, service_workers: frozenset[str], plain: bool, stored: Iterable[str]) -> _Scan:
    """The bulk checks over all names. `plain`: none holds a control character, quote or
    backslash (see ManifestReading.plain_strings). `stored`: the same names in the order
    their strings lie in memory (the manifests' own), for passes where order does not matter."""
    unsafe = [] if plain else _unsafe_names(rest)
    skip = set(unsafe)
    names = [name for name in rest if name not in skip] if skip else rest
    lines = plain_entry_lines(prefix, names)
    start = len(entry_head(prefix))  # where a name starts in its line
    odd = [*unsafe, *_names_at(lines, _SLASH_THEN, start), *_names_at(lines, _SPECIAL_NAME, start)]
    for worker in service_workers:
        if not worker.endswith(("sw.js", "worker.js")):
            odd += _names_at(lines, re.compile(re.escape(f"/{worker}\" 1;")), start)
    is_ascii = lines.isascii() and all(map(str.isascii, unsafe))
    upper = [*_changed_by_lower(lines, start, stored), *(name for name in unsafe if name != name.lower())]
    return _Scan(odd, upper, is_ascii, None if unsafe else lines)


_BLOCK = 1 << 16  # characters looked at a time for the names lower() changes
_FEW = 1 << 12  # that many found one by one; beyond, every name is lowered in one C-level pass
_UPPER_MARKED = bytes.maketrans(bytes(range(ord("A"), ord("Z") + 1)), b"\x01" * 26)


def _changed_by_lower(lines: str, start: int, stored: Iterable[str]) -> list[str]:
    """The names that str.lower() changes (only they can equal another name up to case).

    While they are few they are found in the entry lines, a block at a time: in ASCII text
    the capitals are marked and found at memchr speed, other text is lowered a block at a
    time and read line by line where that changed it. When they are many (a build of
    CamelCase names) every name is lowered once instead, in the order it lies in memory.
    """
    found: list[str] = []
    for name in _changed_in_blocks(lines, start):
        found.append(name)
        if len(found) > _FEW:
            stored = list(stored)
            return list(compress(stored, map(ne, stored, map(str.lower, stored))))
    return found


def _changed_in_blocks(lines: str, start: int) -> Iterator[str]:
    if lines.isascii():  # no control character either: \x01 marks a capital letter
        done = 0  # lines before this were looked at
        for block in range(0, len(lines), _BLOCK):
            marked = lines[block : block + _BLOCK].encode("ascii").translate(_UPPER_MARKED)
            hit = marked.find(1, max(done - block, 0))
            while hit >= 0:
                begin = lines.rfind("\n", 0, block + hit) + 1
                done = lines.find("\n", block + hit) + 1
                name = lines[begin + start : done - len(ENTRY_TAIL)]
                if name != name.lower():  # not only the prefix
                    yield name
                hit = marked.find(1, done - block)
        return
    position = 0
    while position < len(lines):
        end = lines.find("\n", position + _BLOCK) + 1 or len(lines)
        segment = lines[position:end]
        if segment.lower() != segment:
            yield from (name for name in _names(segment, start) if name != name.lower())
        position = end


def _names(lines: str, start: int) -> Iterator[str]:
    """The names of whole entry lines (split at "\\n" only: U+2028 may be in a name)."""
    return (line[start : 1 - len(ENTRY_TAIL)] for line in lines.split("\n") if line)


def _names_at(lines: str, pattern: re.Pattern[str], start: int) -> Iterator[str]:
    """The name of each entry line where `pattern` matches, once."""
    pos = 0
    while (hit := pattern.search(lines, pos)) is not None:
        begin = lines.rfind("\n", 0, hit.start()) + 1
        end = lines.find("\n", hit.start())
        yield lines[begin + start : end + 1 - len(ENTRY_TAIL)]
        pos = end + 1


def _unsafe_names(rest: list[str]) -> list[str]:
    """Names with a control character, quote, backslash or lone surrogate."""
    text = "\n".join(rest)
    try:
        data = text.encode()
    except UnicodeEncodeError:
        data = b""
    if (
        data
        and len(data.translate(None, _UNSAFE_BYTES)) == len(data) - len(rest) + 1  # only the line breaks went
        and (text.isascii() or not _UNSAFE_CHAR.search(text))  # nor any beyond ASCII (C1, bidi...)
    ):
        return []
    return [name for name in rest if _UNSAFE_CHAR.search(name)]


def classify(
    readings: Iterable[ManifestReading],
    prefix: str,
    *,
    serve_manifest: bool = False,
    scan_tree: bool = True,
    local_root: Path | None = None,
    kept: Iterable[ManifestReading] = (),
    prefix_rules: Sequence[PrefixRule] = (),
    service_workers: Sequence[str] = SERVICE_WORKERS,
    symlinks: Symlinks = Symlinks.FOLLOW,
) -> Classification:
    """`local_root`: the served directory when it is on this machine (--root); else each
    manifest's own build directory stands for it. `kept`: manifests of earlier builds
    whose hashed files stay immutable while they are on disk (rolling deploys).

    Built for a million entries: the hashed URIs stay one sorted list of the manifests' own
    strings, bulk passes over them find the few that need a rule of their own, and the
    evidence for each is looked up only when asked for."""
    readings, kept = list(readings), list(kept)
    warnings: list[str] = []
    for group in (readings, kept):
        for i, reading in enumerate(group):
            group[i], left_out = rebased(reading, local_root)
            if left_out:
                warnings.append(
                    f"{left_out} entries of {reading.file} lie outside --root {local_root}: not served by this config"
                )
    workers = frozenset(service_workers)
    unhashed: dict[str, tuple[str, str, str]] = {}
    versioned: dict[tuple[str, str], tuple[str, str, str]] = {}
    denied: set[str] = set()
    sources: list[_Source] = []
    current_count = len(readings)
    for index, reading in enumerate((*readings, *kept)):
        # By position, not by value: the current manifest also given as kept is still current
        # (its missing files are still reported), and no manifest is compared entry by entry.
        is_kept = index >= current_count
        mount = mount_prefix(reading, prefix, local_root)
        reason = f"hashed in an earlier build ({reading.file}), kept for pages still open" if is_kept else reading.hashed_reason
        for entry, why in reading.unhashed:
            if not is_kept:
                uri = to_uri(entry.path, mount, file=reading.file, key_path=entry.key_path)
                unhashed.setdefault(uri, (reading.file, entry.key_path, why))
        source, queried = _source(reading, mount, prefix, reason, is_kept)
        sources.append(source)
        for uri, entry in queried:
            versioned.setdefault((uri, entry.query or ""), (reading.file, entry.key_path, reason))
        if not serve_manifest and not is_kept:
            denied |= _manifest_uris(reading, mount, local_root)

    rest = sorted(_stored(sources))
    if any(map(eq, rest, islice(rest, 1, None))):
        rest = list(dict.fromkeys(rest))  # named twice: one key (sorted order kept)
    hashed = UriList(prefix, rest)
    kept_uris: set[str] = set()
    if kept:
        current = set(chain.from_iterable(s.rest for s in sources if not s.kept))
        kept_uris = {prefix + name for s in sources if s.kept for name in s.rest if name not in current}

    locator = _Locator(sources)
    dropped: set[str] = set()
    for uri, (file, where, _) in unhashed.items():
        if uri in hashed:
            if uri not in kept_uris:
                other_file, other_where = locator.where(uri[len(prefix) :])
                raise UnsafeEntryError(
                    f"{uri!r} is hashed per {other_file} at {other_where} but unhashed per {file} at {where}",
                    file=file,
                )
            dropped.add(uri[len(prefix) :])  # an earlier build's verdict never overrides the current one
    scan = _scan(rest, prefix, workers, all(r.plain_strings for r in (*readings, *kept)), _stored(sources))
    special: dict[str, str] = {}  # name -> why it is not served as hashed
    for name in dict.fromkeys(scan.odd):
        problem = asset_path_problem(name)
        if problem:
            file, where = locator.where(name)
            raise UnsafeEntryError(f"entry {name!r} {problem}; refused", file=file, key_path=where)
        uri = prefix + name
        not_hashed = "a dotfile: not served (404)" if is_dotfile(uri) else always_revalidated(uri, workers)
        if not_hashed and name not in dropped:
            special[name] = not_hashed
    if is_dotfile(prefix):
        special = dict.fromkeys(rest, "a dotfile: not served (404)")
    places = locator.where_each(special)
    for name, why in special.items():
        unhashed[prefix + name] = (*places[name], why)
    dropped.update(special)

    trees = [local_root] if local_root is not None else list(dict.fromkeys(r.build_root for r in readings))
    trees = [tree for tree in trees if os.path.isdir(tree)]  # isdir: False, not an error, where access is denied
    tree_uris: list[str] | None = None
    missing: list[str] = []
    files: dict[str, str] = {}
    linked: set[str] = set()  # symlinks nginx will not follow: on disk, but not served
    if scan_tree:
        for tree in trees:
            walked = served_files(tree, prefix, symlinks)
            files.update(walked.files)
            linked.update(walked.refused, (uri for uri, _ in walked.leaving if uri not in walked.files))
            warnings += _symlink_warnings(tree, walked.leaving, walked.refused, symlinks)
    lines = EntryLines(scan.lines, rest, frozenset(dropped)) if scan.lines is not None else None
    if dropped:
        hashed = UriList(prefix, [name for name in rest if name not in dropped], ascii=scan.ascii, entry_lines=lines)
    else:
        sizes = map(len, _stored(sources)) if scan.ascii else map(len, map(str.encode, _stored(sources)))
        longest = len(prefix.encode()) + max(sizes) if rest else None
        hashed = UriList(prefix, rest, ascii=scan.ascii, entry_lines=lines, longest=longest)
    # A manifest alone, away from its build, tells nothing of missing files.
    is_build_tree = bool(files) and (local_root is not None or not hashed or any(uri in hashed for uri in files))
    siblings = precompressed(files)
    if siblings.stale_gzip:
        stale = siblings.stale_gzip
        warnings.append(f"{len(stale)} .gz file(s) do not decompress to their current source: {', '.join(stale[:3])}")
    if is_build_tree:
        tree_uris = sorted(files)
        gone = {uri[len(prefix) :] for uri in kept_uris - files.keys()}
        if gone:
            # an earlier build's file that is gone: nothing to keep
            lines = lines._replace(dropped=lines.dropped | gone) if lines is not None else None
            hashed = UriList(prefix, [name for name in hashed.rest if name not in gone], ascii=scan.ascii, entry_lines=lines)
        missing = [uri for uri in hashed if uri not in files and uri not in linked]  # links: warned of above
        if missing:
            warnings.append(f"{len(missing)} hashed file(s) named by the manifest are not on disk here: {', '.join(missing[:3])}")

    return Classification(
        hashed_uris=hashed,
        case_sensitive_uris=_case_twins(
            hashed, unhashed, files, scan.upper, _stored(sources), [] if is_build_tree else _originals_up_to_case(readings, scan.upper)
        ),
        denied_uris=sorted(uri for uri in denied if uri not in hashed),
        evidence=_Evidence(hashed, locator),
        unhashed_evidence=unhashed,
        warnings=warnings,
        versioned=sorted(versioned),
        versioned_evidence=versioned,
        prefix_rules=sorted(prefix_rules, key=lambda rule: (-len(rule.prefix), rule.prefix)),
        contradicted_uris=sorted(
            uri for uri in unhashed if uri not in hashed and (rule := prefix_rule(prefix_rules, uri)) is not None and rule.immutable
        ),
        gzip_siblings=siblings.gzip_siblings,
        brotli_siblings=siblings.brotli_siblings,
        tree_uris=tree_uris,
        missing_uris=missing,
    )


_SYMLINK_FATE = {
    Symlinks.REFUSE: "not served (disable_symlinks on)",
    Symlinks.OWNER: "served only where the link and its target have one owner (disable_symlinks if_not_owner)",
    Symlinks.FOLLOW: "SERVED by nginx, wherever they lead (--disable-symlinks off)",
}
_SHOWN_LINKS = 10


def _symlink_warnings(tree: Path, leaving: list[tuple[str, str]], refused: list[str], symlinks: Symlinks) -> list[str]:
    """One line per symlink that leads out of the tree (the first few), and one for the links
    inside it that nginx will refuse."""
    lines = [f"symlink {uri} leads outside {tree}, to {target}: {_SYMLINK_FATE[symlinks]}" for uri, target in leaving[:_SHOWN_LINKS]]
    if len(leaving) > _SHOWN_LINKS:
        lines.append(f"{len(leaving) - _SHOWN_LINKS} more symlink(s) lead outside {tree}: {_SYMLINK_FATE[symlinks]}")
    if refused:
        lines.append(
            f"{len(refused)} symlink(s) inside {tree} are refused by nginx (disable_symlinks on): "
            f"{', '.join(refused[:3])}; --disable-symlinks if_not_owner serves those whose owner is their target's"
        )
    return lines


def _originals_up_to_case(readings: Sequence[ManifestReading], upper: list[str]) -> list[str]:
    """Django's originals (the keys of `paths`: served, revalidated, never in the map) that
    may equal a hashed name up to case: those with capitals, and those that are a hashed
    name with capitals, lowered. Without the tree they are the only other names known.

    Django names a hashed copy after its original, letters and all: an original with a
    capital has a hashed name with one (in `upper`). So when no hashed name has a capital,
    no original does either, and a million originals cost nothing (the render benchmark)."""
    if not upper:
        return []
    targets = {name.lower() for name in upper}
    found: list[str] = []
    for reading in readings:
        if not (reading.format is ManifestFormat.DJANGO and isinstance(reading.hashed, Entries)):
            continue
        originals = [key for key in reading.hashed.entry_keys() if isinstance(key, str)]
        text = "\n".join(originals)
        if text != text.lower():
            found += [name for name in originals if name != name.lower()]
        if targets:
            found += filter(targets.__contains__, originals)
    return found


def _case_twins(
    hashed: UriList,
    unhashed: Mapping[str, object],
    files: Mapping[str, str],
    upper: list[str],
    stored: Iterable[str],
    originals: Iterable[str] = (),
) -> frozenset[str]:
    """Hashed URIs that equal another known name up to case (str.lower()).

    nginx compares map string keys without regard to case: these become case-sensitive regex
    keys, so that the other name is not caught. All names share the prefix, so only what
    follows it is compared. Of two names equal up to case, at least one changes under
    lower(): `upper` holds the hashed ones (found by the scan), the other names are few.
    Sets find whether any lowered name is another's, or a name as it is: a build of
    CamelCase names costs a few C-level passes, not a group per name.
    """
    prefix = hashed.prefix
    known = [uri[len(prefix) :] for uri in chain(unhashed, files) if uri.startswith(prefix)]
    others = set(originals)  # below the prefix already: Django's paths are relative to STATIC_ROOT
    known += others
    changed = [*upper, *(rest for rest in known if rest != rest.lower())]  # in the order they lie in memory
    if not changed:
        return frozenset()
    lows = list(map(str.lower, changed))
    distinct = set(lows)
    colliding: set[str] = set()
    if len(distinct) < len(lows):  # two names lowered alike, or one name listed twice (a group of one)
        colliding = {low for low, n in Counter(lows).items() if n > 1}
    colliding |= distinct.intersection(known)
    colliding |= distinct.intersection(stored)  # a lowered name that is a hashed name as it is
    if not colliding:
        return frozenset()
    groups: dict[str, set[str]] = {low: set() for low in colliding}
    for rest, low in compress(zip(changed, lows, strict=True), map(groups.__contains__, lows)):
        groups[low].add(prefix + rest)
    twins: set[str] = set()
    for low, group in groups.items():
        uri = prefix + low
        if uri in hashed or uri in unhashed or uri in files or low in others:
            group.add(uri)
        if len(group) > 1:
            twins.update(name for name in group if name in hashed)
    return frozenset(twins)


def prefix_rule(rules: Iterable[PrefixRule], uri: str) -> PrefixRule | None:
    """The rule of the longest prefix the URI lies below, or None."""
    matching = [rule for rule in rules if uri.startswith(rule.prefix)]
    return max(matching, key=lambda rule: len(rule.prefix)) if matching else None


# Pages are never immutable for lying below an immutable prefix: a page's URL is its name.
PAGE_PATTERN = r"\.html?$"


def explain(classification: Classification, uri: str, query: str = "") -> tuple[bool, str]:
    """(hashed?, why) for one decoded URI and its raw query string."""
    if (uri, query) in classification.versioned_evidence:
        file, where, reason = classification.versioned_evidence[(uri, query)]
        return True, f"a query-string version, the exact ?args: {reason}: {file} at {where}"
    if uri in classification.evidence:
        file, where, reason = classification.evidence[uri]
        if where.startswith("verified: "):  # nginxcache scan: the digest it found, not a manifest's key
            return True, f"its name carries the {where.removeprefix('verified: ')} of its content, verified against the file"
        return True, f"{reason}: {file} at {where}"
    rule = prefix_rule(classification.prefix_rules, uri)
    if uri in classification.unhashed_evidence:
        file, where, reason = classification.unhashed_evidence[uri]
        overrides = f"; this overrides {rule.prefix}, {rule.reason}" if rule is not None and rule.immutable else ""
        return False, f"{reason}: {file} at {where}{overrides}"
    if rule is not None and rule.immutable and re.search(PAGE_PATTERN, uri, re.IGNORECASE):
        return False, f"a page: revalidated even below {rule.prefix} ({rule.reason})"
    if rule is not None:
        return rule.immutable, f"below {rule.prefix}: {rule.reason}"
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
