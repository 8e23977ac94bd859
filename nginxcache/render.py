"""Jinja environment, the nginx quoting filter, and the three outputs: the http-level part
(maps), the server-level part (locations) and a complete sites-available file.

Templates stay declarative; every decision is made here or in the policy. Map entries are
written by `map_entry_chunks` rather than a template loop: there may be a million of them.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from bisect import bisect_left
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import NamedTuple

import jinja2

from nginxcache import __version__
from nginxcache.errors import UsageError
from nginxcache.maphash import sizes_for
from nginxcache.model import CachePolicy, Classification, EntryLines, Strategy
from nginxcache.quoting import nginx_quote

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_NAME = re.compile(r"[a-z0-9_]{1,16}")  # keeps every variable name under 46 bytes
_LISTEN_TOKEN = re.compile(r"[A-Za-z0-9_.:\[\]=/*-]+")
_PCRE_LITERAL = re.compile(r"[A-Za-z0-9/_\x80-\U0010ffff]")
ENTRIES_PER_CHUNK = 65536
ENTRIES_MARKER_PREFIX = "    # nginxcache-map-entries-"


@dataclass(frozen=True, slots=True)
class RenderOptions:
    prefix: str  # URL prefix, '/'-terminated
    root: str  # directory nginx serves the prefix from, '/'-terminated
    name: str  # distinguishes this output's variables from other sites'
    strategy: Strategy
    policy: CachePolicy
    hash_sizes: bool = True  # emit map_hash_* (they may appear only once in http {})
    server_names: tuple[str, ...] = ("_",)
    listen: tuple[tuple[str, ...], ...] = (("80",),)
    extra_headers: tuple[tuple[str, str], ...] = ()  # --add-header: repeated wherever add_header is
    headers_include: str | None = None  # --headers-include: a snippet of the user's add_header lines
    cors_fonts: str | None = None  # Access-Control-Allow-Origin for font files
    deny_source_maps: bool = False
    gzip_static: bool = False  # .gz siblings exist: serve them, with Vary
    gzip_proxied: bool = False  # also to requests through a proxy/CDN (Via:)
    brotli_static: bool = False  # needs ngx_http_brotli_static_module
    regex: str | None = None  # the regex strategy's pattern
    serve_manifest: bool = False

    @property
    def cors_var(self) -> str:
        return f"$nginxcache_{self.name}_cors"

    @property
    def versioned_var(self) -> str:
        return f"$nginxcache_{self.name}_versioned"

    @property
    def hashed_var(self) -> str:
        return f"$nginxcache_{self.name}_hashed"

    @property
    def cache_control_var(self) -> str:
        return f"$nginxcache_{self.name}_cache_control"

    @property
    def not_found_location(self) -> str:
        return f"@nginxcache_{self.name}_404"

    @property
    def not_served(self) -> tuple[str, str]:
        """(what, one regex) the server part answers 404 for: one nested location, one
        regex evaluation per request."""
        what, patterns = ["dotfiles (but /.well-known/)"], [DOTFILE_PATTERN]
        if not self.serve_manifest:
            what.append("build manifests")
            patterns.append(BUILD_MANIFEST_PATTERN)
        if self.deny_source_maps:
            what.append("source maps (--deny-source-maps)")
            patterns.append(SOURCE_MAP_PATTERN)
        return ", ".join(what), "|".join(patterns)


def normalise_prefix(prefix: str) -> str:
    if not prefix.startswith("/"):
        raise UsageError(f"--prefix {prefix!r} must start with '/'")
    if _CONTROL.search(prefix) or any(seg in (".", "..") for seg in prefix.split("/")) or "//" in prefix:
        raise UsageError(f"--prefix {prefix!r} is not a normalised URL path")
    return prefix if prefix.endswith("/") else prefix + "/"


def normalise_root(root: str) -> str:
    if not root.startswith("/"):
        raise UsageError(f"--root {root!r} must be an absolute directory path")
    if "$" in root or _CONTROL.search(root):
        raise UsageError(f"--root {root!r} may not contain '$' or control characters")
    return root if root.endswith("/") else root + "/"


def default_name(root: str) -> str:
    """Short and unique to the served directory: /srv/app/static -> static_1f0c2.

    Variable names count against nginx's variables_hash_bucket_size (64 by default: at
    most 46 bytes), and two sites defining the same map variable silently override each other.
    """
    last = re.sub(r"[^a-z0-9]+", "", root.rstrip("/").rsplit("/", 1)[-1].lower())[:10] or "root"
    return f"{last}_{hashlib.sha1(root.encode()).hexdigest()[:5]}"


def check_name(name: str) -> str:
    if not _NAME.fullmatch(name):
        raise UsageError(f"--name {name!r} must be 1-16 characters of a-z, 0-9 and _")
    return name


def check_listen(listen: str) -> tuple[str, ...]:
    tokens = tuple(listen.split())
    if not tokens or not all(_LISTEN_TOKEN.fullmatch(t) for t in tokens):
        raise UsageError(f"--listen {listen!r} is not a listen address and parameters")
    return tokens


def pcre_literal(text: str) -> str:
    """A regex matching exactly `text`: every ASCII punctuation character escaped."""
    return "".join(c if _PCRE_LITERAL.match(c) else "\\" + c for c in text)


def map_key(uri: str, case_sensitive: bool) -> str:
    # \z, not $: PCRE's $ also matches before a final newline (a name ending in %0A).
    return f"~^{pcre_literal(uri)}\\z" if case_sensitive else uri


FONT_PATTERN = "~*\\.(?:woff2?|ttf|otf|eot)$"
DOTFILE_PATTERN = "/\\.(?!well-known/)"
BUILD_MANIFEST_PATTERN = "/(?:staticfiles|mix-manifest|entrypoints|asset-manifest|parcel-manifest)\\.json$"
SOURCE_MAP_PATTERN = "\\.map$"


def prefix_key(prefix: str) -> str:
    """A case-sensitive regex map key for everything below a URI prefix."""
    return f"~^{pcre_literal(prefix)}"


def versioned_keys(classification: Classification) -> list[str]:
    """Keys of the "$uri?$args" map: case-sensitive regexes, since nginx compares string keys
    without regard to case (`?id=ABC` or a file `App.js` must not pass for `app.js?id=abc`)."""
    return [f"~^{pcre_literal(f'{uri}?{query}')}\\z" for uri, query in classification.versioned]


class EntryChunk(NamedTuple):
    """Consecutive entry lines of the hashed map.

    `keys` is None for a run of plain keys written by one join (each `"PREFIX+REST" 1;`,
    nothing to escape); otherwise the map keys of the lines, in order, each through
    nginx_quote (case-sensitive regex keys, names with a quote or backslash)."""

    text: str
    count: int
    keys: list[str] | None


ENTRY_TAIL = '" 1;\n'  # what follows a plain key on its line


def entry_head(prefix: str) -> str:
    """What comes before a plain key's name on its line: `    "PREFIX`."""
    return f'    "{prefix}'


def plain_entry_lines(prefix: str, names: list[str]) -> str:
    """`    "PREFIX+NAME" 1;` for each name, by one join: names that need no escaping."""
    if not names:
        return ""
    head, tail = entry_head(prefix), ENTRY_TAIL
    separator = tail + head
    framed = names.copy()  # the head and tail go on the first and last name, not on the whole text
    framed[0] = head + framed[0]
    framed[-1] = framed[-1] + tail
    return separator.join(framed)


def map_entry_chunks(classification: Classification) -> Iterator[EntryChunk]:
    """The hashed map's entries: plain keys a chunk per join, the others line by line."""
    uris = classification.hashed_uris
    prefix, rest = uris.prefix, uris.rest
    case_sensitive = classification.case_sensitive_uris
    if uris.entry_lines is not None and '"' not in prefix and "\\" not in prefix:
        yield from _spliced(uris.entry_lines, prefix, case_sensitive)
        return
    cuts = sorted(uris.index(uri) for uri in case_sensitive)
    plain_prefix = '"' not in prefix and "\\" not in prefix
    start = 0
    for stop in (*cuts, len(rest)):
        for begin in range(start, stop, ENTRIES_PER_CHUNK):
            run = rest[begin : min(begin + ENTRIES_PER_CHUNK, stop)]
            text = plain_entry_lines(prefix, run)
            if plain_prefix and "\\" not in text and text.count('"') == 2 * len(run):
                yield EntryChunk(text, len(run), None)
            else:
                yield _quoted_lines([map_key(prefix + name, False) for name in run])
        if stop < len(rest):
            yield _quoted_lines([map_key(prefix + rest[stop], True)])
        start = stop + 1


def _spliced(lines: EntryLines, prefix: str, case_sensitive: frozenset[str]) -> Iterator[EntryChunk]:
    """classify's entry lines as they are, but the dropped names' lines (left out) and case
    twins' (regex keys instead): slices of the text between them, no join again."""
    names, text = lines.names, lines.text
    twins = {uri[len(prefix) :] for uri in case_sensitive}
    apart = sorted(bisect_left(names, name) for name in lines.dropped | twins)
    per_line = len(entry_head(prefix)) + len(ENTRY_TAIL)  # a line's length without its name
    at = offset = 0  # line `at` starts at `offset`
    start_line = start_offset = 0  # the run of lines as they are begins here
    for index in apart:
        offset += (index - at) * per_line + sum(map(len, names[at:index]))
        if index > start_line:
            yield EntryChunk(text[start_offset:offset], index - start_line, None)
        name = names[index]
        if name in twins:
            yield _quoted_lines([map_key(prefix + name, True)])
        at, offset = index + 1, offset + per_line + len(name)
        start_line, start_offset = at, offset
    if len(names) > start_line:
        yield EntryChunk(text[start_offset:] if start_offset else text, len(names) - start_line, None)


def _quoted_lines(keys: list[str]) -> EntryChunk:
    return EntryChunk("".join(f"    {nginx_quote(key)} 1;\n" for key in keys), len(keys), keys)


def nginx_location_order(uri: str) -> bytes:
    """Sort key matching nginx's ngx_filename_cmp: bytes, with '/' lowest."""
    return uri.encode().replace(b"/", b"\x00")


def exact_locations(classification: Classification, *, hashed: bool = True) -> list[tuple[str, bool]]:
    """(uri, denied) for every `location =` of the exact strategy, in nginx's order."""
    locations = [(uri, False) for uri in classification.hashed_uris] if hashed else []
    locations += [(uri, True) for uri in classification.denied_uris]
    return sorted(locations, key=lambda item: nginx_location_order(item[0]))


def comment_text(value: object) -> str:
    """Text safe inside a `#` comment: a control character could end the comment."""
    return _CONTROL.sub("?", str(value))


def templates_dir() -> Path:
    packaged = resources.files("nginxcache") / "templates"
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parent.parent / "templates"


_ENV: jinja2.Environment | None = None


def environment() -> jinja2.Environment:
    global _ENV
    if _ENV is None:
        _ENV = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(templates_dir())),
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
            autoescape=False,
        )
        _ENV.filters["q"] = nginx_quote
        _ENV.filters["qv"] = lambda value: nginx_quote(value, expands_variables=True)
        _ENV.filters["comment"] = comment_text
    return _ENV


def map_hash_sizes(classification: Classification) -> tuple[int, int]:
    """(map_hash_max_size, map_hash_bucket_size) for the hashed map's keys."""
    uris = classification.hashed_uris
    longest = uris.longest()
    for uri in classification.case_sensitive_uris:  # regex keys are longer: \. and ~^...\z
        longest = max(longest, len(map_key(uri, True).encode()))
    return sizes_for(len(uris), longest)


def _context(
    classification: Classification, options: RenderOptions, sources: list[str], *, with_map: bool = True
) -> dict[str, object]:
    max_size, bucket_size = map_hash_sizes(classification) if with_map else (0, 0)
    return {
        "version": __version__,
        "o": options,
        "c": classification,
        "sources": sources,
        "hashed_count": len(classification.hashed_uris),
        "map_hash_max_size": max_size,
        "map_hash_bucket_size": bucket_size,
        "entries_marker": ENTRIES_MARKER_PREFIX + secrets.token_hex(16),
        "exact_locations": exact_locations(classification, hashed=options.strategy is Strategy.EXACT),
        "prefix_keys": [prefix_key(p) for p in classification.immutable_prefixes],
        "versioned_keys": versioned_keys(classification),
        "font_pattern": FONT_PATTERN,
        "not_served_what": options.not_served[0],
        "not_served_pattern": options.not_served[1],
        "selector_var": options.versioned_var if classification.versioned else options.hashed_var,
    }


@dataclass(frozen=True, slots=True)
class Rendered:
    """A rendered part whose hashed-map entries stand apart from the rest (the skeleton).

    The skeleton holds one marker comment, unforgeable (a fresh nonce per render), where
    the entries go: validation parses the small skeleton with crossplane and checks the
    entries, however many, chunk by chunk (see validate.py). The text is written chunk by
    chunk too: a million entries are never one string.
    """

    skeleton: str
    marker: str  # the marker line, without its newline
    entries: tuple[EntryChunk, ...]  # the hashed map's entry lines

    def chunks(self) -> list[str]:
        """The text, in pieces."""
        place = self.marker + "\n"
        if place not in self.skeleton:
            return [self.skeleton]
        before, after = self.skeleton.split(place, 1)
        return [before, *(chunk.text for chunk in self.entries), after]

    @property
    def text(self) -> str:
        return "".join(self.chunks())


def _rendered(template: str, context: dict[str, object], classification: Classification) -> Rendered:
    skeleton = environment().get_template(template).render(context)
    marker = str(context["entries_marker"])
    has_map = marker + "\n" in skeleton  # the exact and regex strategies have no map
    return Rendered(skeleton, marker, tuple(map_entry_chunks(classification)) if has_map else ())


def render_http_part(classification: Classification, options: RenderOptions, sources: list[str]) -> Rendered:
    if options.strategy is not Strategy.MAP:
        raise UsageError(f"the {options.strategy.value} strategy has no http-level part: drop --http-out")
    return _rendered("http.conf.j2", _context(classification, options, sources), classification)


def render_site_part(classification: Classification, options: RenderOptions, sources: list[str]) -> Rendered:
    context = _context(classification, options, sources)
    context["server_part"] = render_server(classification, options, sources)
    return _rendered("site.conf.j2", context, classification)


def render_http(classification: Classification, options: RenderOptions, sources: list[str]) -> str:
    return render_http_part(classification, options, sources).text


def render_server(classification: Classification, options: RenderOptions, sources: list[str]) -> str:
    context = _context(classification, options, sources, with_map=False)
    return environment().get_template("server.conf.j2").render(context)


def render_site(classification: Classification, options: RenderOptions, sources: list[str]) -> str:
    return render_site_part(classification, options, sources).text
