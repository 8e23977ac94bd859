"""Re-parse every render with crossplane and compare it with what was intended.

The intended structure is built here from the same classification and options, without
the templates: a render is written only when nginx would read back exactly these
directives, with exactly these arguments (after nginx's own unescaping), and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import crossplane

from nginxcache.errors import ValidationError, WriteError
from nginxcache.mapformat import ENTRY_KEYS, ENTRY_TAIL, NOT_AN_ENTRY, EntryChunk, entry_head, map_key, prefix_key
from nginxcache.model import Classification, Strategy, immutable_prefixes
from nginxcache.policy import FONT_PATTERN, SKEW_HOP_HEADER, SKEW_INTERCEPTED, SKEW_SERVED_HEADER, RenderOptions
from nginxcache.quoting import nginx_unescape
from nginxcache.render import PAGE_KEY, Rendered, contradicted_keys, exact_locations, map_hash_sizes, versioned_keys
from nginxcache.tempfiles import work_directory


@dataclass(frozen=True, slots=True)
class Directive:
    name: str
    args: tuple[str, ...]
    block: tuple[Directive, ...] | None = None
    line: int = field(default=0, compare=False)  # where crossplane found it; 0 when intended

    def show(self) -> str:
        text = " ".join((self.name, *(repr(a) for a in self.args)))
        return text + (" { ... }" if self.block is not None else ";")


def _d(name: str, *args: str, block: list[Directive] | None = None) -> Directive:
    return Directive(name, args, tuple(block) if block is not None else None)


OPEN_FILE_CACHE = [_d("open_file_cache", "max=10000", "inactive=60s"), _d("open_file_cache_valid", "2s")]

MARKER = "#entries"  # stands for the hashed map's entries in a skeleton's intended structure


def intended_keys(classification: Classification) -> list[str]:
    """The hashed map's keys, in order, as nginx must read them."""
    return [map_key(uri, uri in classification.case_sensitive_uris) for uri in classification.hashed_uris]


def intended_http(classification: Classification, options: RenderOptions, *, skeleton: bool = False) -> list[Directive]:
    """The http part; with `skeleton`, the hashed map's entries are one MARKER."""
    keys = [] if skeleton else intended_keys(classification)
    max_size, bucket_size = map_hash_sizes(classification)
    policy = options.policy
    directives = []
    if options.hash_sizes:
        directives += [_d("map_hash_max_size", str(max_size)), _d("map_hash_bucket_size", str(bucket_size))]
    prefix_entries = [_d(key, "0") for key in contradicted_keys(classification)]
    if classification.prefix_rules:
        prefix_entries.append(_d(PAGE_KEY, "0"))
    prefix_entries += [_d(prefix_key(rule.prefix), str(int(rule.immutable))) for rule in classification.prefix_rules]
    entries = [_d(MARKER)] if skeleton else [_d(key, "1") for key in keys]
    directives.append(_d("map", "$uri", options.hashed_var, block=[_d("default", "0"), *entries, *prefix_entries]))
    selector = options.hashed_var
    if classification.versioned:
        selector = options.versioned_var
        directives.append(
            _d(
                "map",
                "$uri?$args",
                selector,
                block=[_d("default", options.hashed_var), *(_d(key, "1") for key in versioned_keys(classification))],
            )
        )
    directives.append(
        _d(
            "map",
            selector,
            options.cache_control_var,
            block=[_d("1", policy.hashed_cache_control), _d("default", policy.unhashed_cache_control)],
        )
    )
    if policy.unhashed_cdn_cache_control:
        directives.append(
            _d("map", selector, options.cdn_var, block=[_d("1", ""), _d("default", policy.unhashed_cdn_cache_control)])
        )
    fallbacks = [_d(key, value) for key, value in options.fallback_keys()]
    directives.append(_d("map", "$uri", options.file_var, block=[_d("volatile"), _d("default", "$uri"), _d("~/\\z", "${uri}index.html")]))
    directives.append(
        _d("map", "$uri", options.fallback_var, block=[_d("volatile"), _d("default", options.missing_target), *fallbacks])
    )
    if options.pages.not_found:
        directives.append(
            _d("map", "$status", options.page_cache_control_var,
               block=[_d("404", policy.missing_cache_control), _d("default", policy.unhashed_cache_control)])
        )
        if policy.unhashed_cdn_cache_control:
            page_cdn = [_d("404", ""), _d("default", policy.unhashed_cdn_cache_control)]
            directives.append(_d("map", "$status", options.page_cdn_var, block=page_cdn))
    if options.skew_origins:
        first = options.skew_locations()[0][0]
        directives.append(
            _d("map", options.skew_hop_var, options.missing_target, block=[_d("default", first), _d("~.", options.not_found_location)])
        )
    fonts = [_d(FONT_PATTERN, options.cors_fonts)] if options.cors_fonts else []
    directives.append(_d("map", "$uri", options.cors_var, block=[_d("default", ""), *fonts]))
    return directives


def _added_headers(options: RenderOptions, cache_control: str, *, always: bool = False, cdn: str | None = None) -> list[Directive]:
    flags = ("always",) if always else ()
    headers = [_d("add_header", "Cache-Control", cache_control, *flags)]
    if cdn:
        headers.append(_d("add_header", "CDN-Cache-Control", cdn, *flags))
    return headers + _other_headers(options)


def _other_headers(options: RenderOptions) -> list[Directive]:
    """--add-header, --headers-include and the fonts' CORS header: wherever add_header is."""
    headers = [_d("add_header", name, value, "always") for name, value in options.extra_headers]
    if options.headers_include:
        headers.append(_d("include", options.headers_include))
    if options.cors_fonts:
        headers.append(_d("add_header", "Access-Control-Allow-Origin", options.cors_var))
    return headers


def intended_server(classification: Classification, options: RenderOptions) -> list[Directive]:
    policy = options.policy
    # A denied file is never asked for at a skew origin: its own plain 404.
    deny_block = [_d("error_page", "404", options.not_found_location)] if options.skew_origins else []

    def _deny(*args: str) -> Directive:
        return _d("location", *args, block=[*deny_block, _d("return", "404")])

    cdn = policy.unhashed_cdn_cache_control
    cdn_var = options.cdn_var if cdn and options.strategy is Strategy.MAP else None
    hashed_cc = policy.hashed_cache_control
    serving_hashed = [*_added_headers(options, hashed_cc), _d("try_files", "$uri", "=404")]
    nested = [_deny("~", options.not_served[1])]
    pages = options.pages
    if pages.not_found:
        page = options.prefix + pages.not_found
        page_cdn = options.page_cdn_var if cdn_var else None
        nested.append(_d("location", "=", page, block=_added_headers(options, options.page_cache_control_var, always=True, cdn=page_cdn)))
    if options.strategy is not Strategy.MAP:
        nested += [_d("location", "^~", p, block=serving_hashed) for p in immutable_prefixes(classification)]
    if options.strategy is Strategy.REGEX:
        assert options.regex is not None
        nested.append(_d("location", "~", options.regex, block=serving_hashed))
    nested += [
        _deny("=", uri) if denied else _d("location", "=", uri, block=serving_hashed)
        for uri, denied in exact_locations(classification, hashed=options.strategy is Strategy.EXACT)
    ]
    compression = []
    if options.gzip_static:
        compression += [_d("gzip_static", "on"), _d("gzip_vary", "on")]
        if options.gzip_proxied:
            compression.append(_d("gzip_proxied", "any"))
    if options.brotli_static:
        compression.append(_d("brotli_static", "on"))
    cache_control = options.cache_control_var if options.strategy is Strategy.MAP else policy.unhashed_cache_control
    location = _d(
        "location",
        "^~",
        options.prefix,
        block=[
            _d("alias", options.root),
            _d("expires", "off"),
            _d("etag", "on"),
            _d("disable_symlinks", *options.disable_symlinks),
            *(OPEN_FILE_CACHE if options.open_file_cache else []),
            *compression,
            *_added_headers(options, cache_control, cdn=cdn_var if options.strategy is Strategy.MAP else cdn),
            *_try_files(options),
            *_error_page(options),
            *nested,
        ],
    )
    plain_404 = [
        _d("types", block=[]),
        _d("default_type", "text/plain"),
        *_added_headers(options, policy.missing_cache_control, always=True),
        _d("return", "404", "404 Not Found\n"),
    ]
    named = [_d("location", options.not_found_location, block=plain_404), *_skew_locations(options)]
    if pages.spa_fallback:
        named.append(_d("location", options.spa_location, block=[_d("rewrite", "^", options.prefix + pages.spa_fallback, "last")]))
    if pages.not_found:
        named.append(
            _d(
                "location",
                options.not_found_page_location,
                block=[_d("error_page", "404", options.prefix + pages.not_found), _d("return", "404")],
            )
        )
    return [location, *named]


def _error_page(options: RenderOptions) -> list[Directive]:
    if not options.skew_origins:
        return [_d("error_page", "404", options.not_found_location)]
    return [_d("error_page", "404", "=", options.missing_target), _d("recursive_error_pages", "on")]


def _skew_locations(options: RenderOptions) -> list[Directive]:
    locations = []
    timeout = f"{options.skew_timeout}s"
    for number, (location, origin, then) in enumerate(options.skew_locations(), 1):
        tls = []
        if origin.startswith("https://"):
            tls = [
                _d("proxy_ssl_server_name", "on"),
                _d("proxy_ssl_verify", "on"),
                _d("proxy_ssl_verify_depth", "3"),
                _d("proxy_ssl_trusted_certificate", options.skew_ca),
            ]
        block = [
            _d("proxy_pass", origin),
            _d("proxy_set_header", SKEW_HOP_HEADER, "1"),
            _d("proxy_set_header", "Cookie", ""),
            _d("proxy_set_header", "Content-Length", ""),
            _d("proxy_pass_request_body", "off"),
            _d("proxy_connect_timeout", timeout),
            _d("proxy_send_timeout", timeout),
            _d("proxy_read_timeout", timeout),
            _d("proxy_next_upstream", "off"),
            *tls,
            _d("expires", "off"),
            _d("add_header", SKEW_SERVED_HEADER, f"skew-origin-{number}", "always"),
            *_other_headers(options),
            _d("proxy_intercept_errors", "on"),
            _d("recursive_error_pages", "on"),
            _d("error_page", *SKEW_INTERCEPTED, "=", then),
        ]
        locations.append(_d("location", location, block=block))
    return locations


def _try_files(options: RenderOptions) -> list[Directive]:
    pages = options.pages
    if not pages.any:
        return []
    clean = ("$uri.html", "$uri/index.html") if pages.clean_urls else ()
    return [_d("try_files", options.file_var, *clean, options.fallback_var)]


def intended_site(classification: Classification, options: RenderOptions, *, skeleton: bool = False) -> list[Directive]:
    server = _d(
        "server",
        block=[
            *(_d("listen", *tokens) for tokens in options.listen),
            _d("server_name", *options.server_names),
            *intended_server(classification, options),
        ],
    )
    http = intended_http(classification, options, skeleton=skeleton) if options.strategy is Strategy.MAP else []
    return [*http, server]


def _from_crossplane(parsed: list[dict[str, Any]], marker: str | None = None) -> list[tuple[int, Directive]]:
    """crossplane's statements as nginx reads them; comments dropped but the marker."""
    out = []
    for stmt in parsed:
        if stmt["directive"] == "#":
            if marker is not None and "#" + stmt.get("comment", "") == marker.strip():
                out.append((stmt["line"], Directive(MARKER, (), None, stmt["line"])))
            continue
        block = stmt.get("block")
        children = tuple(d for _, d in _from_crossplane(block, marker)) if block is not None else None
        name = nginx_unescape(stmt["directive"])
        args = tuple(nginx_unescape(a) for a in stmt["args"])
        out.append((stmt["line"], Directive(name, args, children, stmt["line"])))
    return out


def _compare(found: list[tuple[int, Directive]], intended: list[Directive], label: str) -> None:
    for i, want in enumerate(intended):
        if i >= len(found):
            raise ValidationError(f"rendered config ends before the intended {want.show()}", file=label)
        line, got = found[i]
        if (got.name, got.args, got.block is None) != (want.name, want.args, want.block is None):
            raise ValidationError(f"expected {want.show()}, found {got.show()}", file=label, line=line)
        if want.block is not None:
            assert got.block is not None
            _compare_block(got.block, want.block, label, line)
    if len(found) > len(intended):
        line, extra = found[len(intended)]
        raise ValidationError(f"unexpected {extra.show()}", file=label, line=line)


def _compare_block(got: tuple[Directive, ...], want: tuple[Directive, ...], label: str, line: int) -> None:
    if got == want:
        return
    for g, w in zip(got, want, strict=False):  # a length difference is reported below
        if g != w:
            if (g.name, g.args) == (w.name, w.args) and g.block is not None and w.block is not None:
                _compare_block(g.block, w.block, label, g.line)
            raise ValidationError(f"expected {w.show()}, found {g.show()}", file=label, line=g.line or line)
    if len(got) > len(want):
        extra = got[len(want)]
        raise ValidationError(f"unexpected {extra.show()}", file=label, line=extra.line or line)
    if len(got) < len(want):
        raise ValidationError(
            f"the block opened here ends before the intended {want[len(got)].show()}", file=label, line=line
        )


def _parse_parts(
    texts: dict[str, str], labels: dict[str, str], comments: bool, workdir: Path | None = None
) -> dict[str, list[dict[str, Any]]]:
    """crossplane's parse of each part, in the context nginx reads it in (crossplane reads
    files: the parts are written to a temporary directory in `workdir`, or TMPDIR)."""
    with work_directory(workdir) as tmp:
        root = Path(tmp)
        try:
            for role, text in texts.items():
                (root / f"{role}.conf").write_text(text, encoding="utf-8")
        except OSError as exc:
            raise WriteError(f"cannot write the output to check it: {exc.strerror}", file=root) from None
        http_body = []
        if "http" in texts:
            http_body.append("include http.conf;")
        if "server" in texts:
            http_body.append("server { include server.conf; }")
        if "site" in texts:
            http_body.append("include site.conf;")
        main = root / "nginx.conf"
        main.write_text("events {}\nhttp {\n" + "\n".join(http_body) + "\n}\n", encoding="utf-8")
        payload = crossplane.parse(str(main), check_ctx=True, check_args=True, comments=comments)
    for error in payload["errors"]:
        role = Path(error.get("file") or "").stem
        raise ValidationError(
            f"does not parse: {error['error'].split(' in ', 1)[0]}", file=labels.get(role, role), line=error.get("line")
        )
    return {Path(cfg["file"]).stem: cfg["parsed"] for cfg in payload["config"]}


def validate(parts: dict[str, tuple[str, list[Directive]]], labels: dict[str, str], workdir: Path | None = None) -> None:
    """Parse each rendered part whole with crossplane and compare it with the intended one.

    `parts` maps a role ('http', 'server' or 'site') to (text, intended directives);
    `labels` names each part in messages (the file it is going to).
    """
    parsed = _parse_parts({role: text for role, (text, _) in parts.items()}, labels, comments=False, workdir=workdir)
    for role, (_, intended) in parts.items():
        _compare(_from_crossplane(parsed.get(role, [])), intended, labels.get(role, role))


FULL_CHECK_ENTRIES = 100_000  # up to this many entries, each key is also compared with the intended one


def validate_rendered(
    parts: dict[str, tuple[Rendered | str, list[Directive]]],
    labels: dict[str, str],
    classification: Classification,
    workdir: Path | None = None,
) -> None:
    """The check used at every size: crossplane parses each part with its hashed-map entries
    left out (a marker comment holds their place and must sit in that map), and the entries,
    however many, must each be one complete `"KEY" 1;` line. Up to FULL_CHECK_ENTRIES, every
    key is also read back as nginx would and compared with the intended one, in order; above,
    runs of plain keys (written by one join) are proven well-formed by counting, and the
    others are read back one by one. Parts given as plain text are parsed whole.
    """
    texts = {role: (r.skeleton if isinstance(r, Rendered) else r) for role, (r, _) in parts.items()}
    parsed = _parse_parts(texts, labels, comments=True, workdir=workdir)
    for role, (rendered, intended) in parts.items():
        label = labels.get(role, role)
        if not isinstance(rendered, Rendered):
            _compare(_from_crossplane(parsed.get(role, [])), intended, label)
            continue
        places = rendered.skeleton.count(rendered.marker + "\n")
        if places == 0 and not rendered.entries:
            _compare(_from_crossplane(parsed.get(role, [])), intended, label)
            continue
        if places != 1:
            raise ValidationError("the map entries' place is not unique", file=label)
        _compare(_from_crossplane(parsed.get(role, []), rendered.marker), intended, label)
        first_line = rendered.skeleton.count("\n", 0, rendered.skeleton.index(rendered.marker)) + 1
        if len(classification.hashed_uris) <= FULL_CHECK_ENTRIES:
            _check_entries("".join(chunk.text for chunk in rendered.entries), intended_keys(classification), label, first_line)
        else:
            _check_chunks(rendered.entries, classification, label, first_line)


def _check_chunks(chunks: tuple[EntryChunk, ...], classification: Classification, label: str, first_line: int) -> None:
    prefix = classification.hashed_uris.prefix
    head, tail = entry_head(prefix), ENTRY_TAIL
    separator = tail + head
    line = first_line
    for chunk in chunks:
        text, n = chunk.text, chunk.line_count
        if chunk.keys is not None:
            _check_entries(text, chunk.keys, label, line)
        elif not (
            # n-1 separators, a head and a tail hold all 2n quotes: each line is
            # `    "PREFIX..." 1;` and no key holds a quote or a backslash, so none can end
            # its token early. Line breaks and other control characters in a URI were
            # refused by classify's bulk checks (quoting.asset_path_problem).
            text.startswith(head)
            and text.endswith(tail)
            and text.count(separator) == n - 1
            and text.count('"') == 2 * n
            and "\\" not in text
            and prefix.startswith("/")
        ):
            _check_entries(text, None, label, line)
            raise ValidationError("a run of map entries is not well-formed", file=label, line=line)
        line += n
    if line - first_line != len(classification.hashed_uris):
        raise ValidationError(
            f"{line - first_line} map entries written for {len(classification.hashed_uris)} hashed files", file=label, line=line
        )


def _check_entries(entries: str, keys: list[str] | None, label: str, first_line: int) -> None:
    """Every line one `"KEY" 1;` statement; with `keys`, nginx reads exactly these keys."""
    if entries and not entries.endswith("\n"):
        raise ValidationError("the map entries do not end with a line break", file=label, line=first_line)
    bad = NOT_AN_ENTRY.search(entries, 0, len(entries) - 1) if entries else None
    if bad is not None:
        line = first_line + entries.count("\n", 0, bad.start())
        raise ValidationError("a map entry is not one complete, quoted statement", file=label, line=line)
    if keys is None:
        return
    found = ENTRY_KEYS.findall(entries)
    found = [nginx_unescape(key) if "\\" in key else key for key in found]
    if found != keys:
        index = next((i for i, (a, b) in enumerate(zip(found, keys, strict=False)) if a != b), min(len(found), len(keys)))
        want = repr(keys[index]) if index < len(keys) else "no more entries"
        got = repr(found[index]) if index < len(found) else "no more entries"
        raise ValidationError(f"map entry {index + 1}: expected {want}, found {got}", file=label, line=first_line + index)
