"""Jinja environment, the nginx quoting filter, and the three outputs: the http-level part
(maps), the server-level part (locations) and a complete sites-available file.

Templates stay declarative; every decision is made here or in the policy. Map entries are
written by `map_entry_chunks` rather than a template loop: there may be a million of them.
"""

from __future__ import annotations

import re
import secrets
from bisect import bisect_left
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import jinja2

from nginxcache.classify import PAGE_PATTERN
from nginxcache.errors import UsageError
from nginxcache.mapformat import (
    ENTRY_TAIL,
    EntryChunk,
    entry_head,
    map_key,
    plain_entry_lines,
    prefix_key,
    quoted_chunk,
    versioned_key,
)
from nginxcache.maphash import sizes_for
from nginxcache.model import Classification, EntryLines, Strategy, immutable_prefixes
from nginxcache.policy import FONT_PATTERN, SKEW_HOP_HEADER, SKEW_INTERCEPTED, SKEW_SERVED_HEADER, RenderOptions
from nginxcache.quoting import nginx_quote

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
ENTRIES_PER_CHUNK = 65536
ENTRIES_MARKER_PREFIX = "    # nginxcache-map-entries-"


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
                yield quoted_chunk([map_key(prefix + name, False) for name in run])
        if stop < len(rest):
            yield quoted_chunk([map_key(prefix + rest[stop], True)])
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
            yield quoted_chunk([map_key(prefix + name, True)])
        at, offset = index + 1, offset + per_line + len(name)
        start_line, start_offset = at, offset
    if len(names) > start_line:
        yield EntryChunk(text[start_offset:] if start_offset else text, len(names) - start_line, None)


# In the hashed map, before the prefix keys: a page below an immutable prefix is not hashed.
PAGE_KEY = "~*" + PAGE_PATTERN.replace("$", "\\z")  # PCRE's $ also matches before a final newline


def contradicted_keys(classification: Classification) -> list[str]:
    """Keys (value 0) of the files below an immutable prefix that a manifest says are not hashed."""
    return [map_key(uri, False) for uri in classification.contradicted_uris]


def immutable_note(classification: Classification) -> str:
    """`, and every file below /_nuxt/, /_nuxt/builds/meta/ (not /_nuxt/builds/)` for the comments."""
    rules = sorted(classification.prefix_rules, key=lambda rule: rule.prefix)
    immutable = [rule.prefix for rule in rules if rule.immutable]
    carved = [rule.prefix for rule in rules if not rule.immutable]
    if not immutable:
        return ""
    note = ", and every file below " + ", ".join(immutable)
    return note + (f" (not {', '.join(carved)})" if carved else "")


def versioned_keys(classification: Classification) -> list[str]:
    """Keys of the "$uri?$args" map, one per query-string version the manifests name."""
    return [versioned_key(uri, query) for uri, query in classification.versioned]


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


@dataclass(frozen=True, slots=True)
class PartFiles:
    """Where the parts are going, so that each part's comments name the files really
    written (None: printed to stdout, or not known). `site`: both parts are one site file."""

    http: str | None = None
    server: str | None = None
    site: bool = False


def _context(
    classification: Classification,
    options: RenderOptions,
    sources: list[str],
    files: PartFiles,
    *,
    with_map: bool = True,
) -> dict[str, object]:
    max_size, bucket_size = map_hash_sizes(classification) if with_map else (0, 0)
    cdn = options.policy.unhashed_cdn_cache_control
    cdn_value = nginx_quote(cdn) if cdn else None
    return {
        "o": options,
        "c": classification,
        "sources": sources,
        "http_file": files.http,
        "server_file": files.server,
        "in_site": files.site,
        "hashed_count": len(classification.hashed_uris),
        "map_hash_max_size": max_size,
        "map_hash_bucket_size": bucket_size,
        "entries_marker": ENTRIES_MARKER_PREFIX + secrets.token_hex(16),
        "exact_locations": exact_locations(classification, hashed=options.strategy is Strategy.EXACT),
        "prefix_keys": [(prefix_key(rule.prefix), int(rule.immutable)) for rule in classification.prefix_rules],
        "page_key": PAGE_KEY,
        "contradicted_keys": contradicted_keys(classification),
        "immutable_prefixes": immutable_prefixes(classification),
        "immutable_note": immutable_note(classification),
        "fallback_keys": options.fallback_keys(),
        "versioned_keys": versioned_keys(classification),
        "font_pattern": FONT_PATTERN,
        "not_served_what": options.not_served[0],
        "not_served_pattern": options.not_served[1],
        "selector_var": options.versioned_var if classification.versioned else options.hashed_var,
        # CDN-Cache-Control: the map's variable (map strategy), else the value for unhashed files
        "cdn_var": options.cdn_var if cdn_value and options.strategy is Strategy.MAP else None,
        "cdn_value": cdn_value,
        "missing_text": options.missing_text,
        "skew_locations": options.skew_locations(),
        "skew_hop_header": SKEW_HOP_HEADER,
        "skew_served_header": SKEW_SERVED_HEADER,
        "skew_intercepted": SKEW_INTERCEPTED,
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


def render_http_part(
    classification: Classification, options: RenderOptions, sources: list[str], files: PartFiles = PartFiles()
) -> Rendered:
    if options.strategy is not Strategy.MAP:
        raise UsageError(f"the {options.strategy.value} strategy has no http-level part: drop --http-out")
    return _rendered("http.conf.j2", _context(classification, options, sources, files), classification)


def render_server(
    classification: Classification, options: RenderOptions, sources: list[str], files: PartFiles = PartFiles()
) -> str:
    context = _context(classification, options, sources, files, with_map=False)
    return environment().get_template("server.conf.j2").render(context)


def render_site_part(classification: Classification, options: RenderOptions, sources: list[str]) -> Rendered:
    files = PartFiles(site=True)
    context = _context(classification, options, sources, files)
    context["server_part"] = render_server(classification, options, sources, files)
    return _rendered("site.conf.j2", context, classification)


def render_http(classification: Classification, options: RenderOptions, sources: list[str]) -> str:
    return render_http_part(classification, options, sources).text


def render_site(classification: Classification, options: RenderOptions, sources: list[str]) -> str:
    return render_site_part(classification, options, sources).text
