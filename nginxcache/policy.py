"""What each file under the prefix gets: the options that decide it (`RenderOptions`, built
once by the pipeline and shared by render, explain and probe), and for one request the
verdict, its evidence and the exact headers nginx sends (`answer`, used by `explain` and
`probe`). Derived from the classification and the options, never from a config's text."""

from __future__ import annotations

import hashlib
import posixpath
import re
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from nginxcache.buildtree import Symlinks
from nginxcache.classify import explain as evidence_for
from nginxcache.classify import is_dotfile
from nginxcache.errors import UsageError
from nginxcache.model import CachePolicy, Classification, ManifestFormat, ManifestReading, Pages, Strategy

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_NAME = re.compile(r"[a-z0-9_]{1,16}")  # keeps every variable name under 46 bytes
_LISTEN_TOKEN = re.compile(r"[A-Za-z0-9_.:\[\]=/*-]+")

# What the server part treats apart, as nginx regexes (also used by explain and probe).
FONT_PATTERN = "~*\\.(?:woff2?|ttf|otf|eot)$"
DOTFILE_PATTERN = "/\\.(?!well-known/)"
BUILD_MANIFEST_PATTERN = "/(?:staticfiles|mix-manifest|entrypoints|asset-manifest|parcel-manifest)\\.json$"
SOURCE_MAP_PATTERN = "\\.map$"
# Server-side code under a static root (Laravel's public/index.php): never sent as a file.
SERVER_CODE_PATTERN = "\\.(?:php[0-9]?|phtml|phar)$"
# A URL whose last segment has no extension: a page the user navigates to, not a file a
# page loads. Only these get a single-page app's fallback or the site's 404 page.
# Marks a request made by a skew fallback: the server asked never passes it on again, so
# servers that name each other as --skew-origin cannot loop.
SKEW_HOP_HEADER = "X-Nginxcache-Skew"
# On a response an origin answered (`skew-origin-N`): probe tells such a file from one this
# server has, so the deploy gate is not fooled by the fallback it is meant to make unneeded.
SKEW_SERVED_HEADER = "X-Nginxcache-From"
# Every status error_page can catch (300 to 599) but 304: each becomes the next origin's turn,
# and after the last a plain 404 (never the origin's error page, which may be HTML: a CDN's
# 522 too). A 304 answers the visitor's own revalidation; 499 is nginx's own (a client that
# closed), which error_page refuses.
SKEW_INTERCEPTED = tuple(str(code) for code in range(300, 600) if code not in (304, 499))
DEFAULT_SKEW_CA = "/etc/ssl/certs/ca-certificates.crt"  # Debian's and Ubuntu's CA bundle
NAVIGATION_PATTERN = "~/[^/.]*\\z"
PAGE_URL_PATTERN = "~*\\.html?\\z"



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
    symlinks: Symlinks = Symlinks.REFUSE  # disable_symlinks below the root: nothing outside it is served
    open_file_cache: bool = True  # what disable_symlinks costs per request, and more, won back
    pages: Pages = Pages()  # clean URLs, 404 page, single-page-app fallback: a whole site
    deny_server_code: bool = False  # the tree holds .php files: 404, never their source
    # --skew-origin: where a file missing here is asked for, in order (scheme://host[:port])
    skew_origins: tuple[str, ...] = ()
    skew_timeout: int = 2  # seconds, per origin: connect, send and read
    skew_ca: str = DEFAULT_SKEW_CA  # verifies an https origin's certificate

    @property
    def disable_symlinks(self) -> tuple[str, ...]:
        """The arguments of the location's `disable_symlinks`."""
        return ("off",) if self.symlinks is Symlinks.FOLLOW else (self.symlinks.value, "from=$document_root")

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
    def missing_target(self) -> str:
        """Where a missing file goes: the plain 404, or (--skew-origin) a variable naming the
        first origin's location, or the plain 404 for a request that came from a skew origin."""
        return f"$nginxcache_{self.name}_missing" if self.skew_origins else self.not_found_location

    @property
    def missing_text(self) -> str:
        """What a missing file gets: `a plain 404 (Cache-Control: no-store, private)`, or first the origins."""
        text = f"a plain 404 (Cache-Control: {self.policy.missing_cache_control})"
        if self.skew_origins:
            return f"fetched from {', then '.join(self.skew_origins)} (--skew-origin), else {text}"
        return text

    @property
    def page_cache_control_var(self) -> str:
        return f"$nginxcache_{self.name}_page_cache_control"

    @property
    def page_cdn_var(self) -> str:
        return f"$nginxcache_{self.name}_page_cdn_cache_control"

    @property
    def skew_hop_var(self) -> str:
        """The request's SKEW_HOP_HEADER, as nginx names it: $http_x_nginxcache_skew."""
        return "$http_" + SKEW_HOP_HEADER.lower().replace("-", "_")

    @property
    def cdn_var(self) -> str:
        return f"$nginxcache_{self.name}_cdn_cache_control"

    def skew_locations(self) -> list[tuple[str, str, str]]:
        """(named location, origin, where its misses go) per --skew-origin, in order."""
        names = [f"@nginxcache_{self.name}_skew{number}" for number in range(1, len(self.skew_origins) + 1)]
        if not names:
            return []
        return list(zip(names, self.skew_origins, [*names[1:], self.not_found_location], strict=True))

    @property
    def fallback_var(self) -> str:
        return f"$nginxcache_{self.name}_fallback"

    @property
    def not_found_page_location(self) -> str:
        return f"@nginxcache_{self.name}_page404"

    @property
    def file_var(self) -> str:
        return f"$nginxcache_{self.name}_file"

    @property
    def spa_location(self) -> str:
        # A named location that rewrites: try_files' last parameter as a URI is mangled
        # under alias (nginx ticket #97), a named location is not.
        return f"@nginxcache_{self.name}_spa"

    def fallback_keys(self) -> list[tuple[str, str]]:
        """(map key, URI or named location) of the fallback map, beside its default (a plain 404)."""
        pages = self.pages
        keys = []
        if pages.spa_fallback:
            keys.append((NAVIGATION_PATTERN, self.spa_location))
        elif pages.not_found:
            keys.append((NAVIGATION_PATTERN, self.not_found_page_location))
        if pages.not_found:
            keys.append((PAGE_URL_PATTERN, self.not_found_page_location))
        return keys

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
        if self.deny_server_code:
            what.append("server-side code (.php)")
            patterns.append(SERVER_CODE_PATTERN)
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


# The prefix each tool serves its output at when its own defaults are kept.
_DEFAULT_PREFIX: dict[ManifestFormat, tuple[str, str]] = {
    ManifestFormat.DJANGO: ("/static/", "Django's usual STATIC_URL"),
    ManifestFormat.VITE: ("/", "Vite's default base"),
    ManifestFormat.WEBPACK: ("/", "webpack's output at the site's root"),
    ManifestFormat.WEBPACK_STATS: ("/", "webpack's output at the site's root"),
    ManifestFormat.ESBUILD: ("/", "esbuild's output at the site's root"),
    ManifestFormat.PARCEL: ("/", "Parcel's default public URL"),
    ManifestFormat.CRA: ("/", "Create React App's default homepage"),
    ManifestFormat.ANGULAR: ("/", "Angular's default base href"),
    ManifestFormat.MIX: ("/", "Laravel Mix's public/ at the site's root"),
    ManifestFormat.ENCORE: ("/build/", "Encore's default public path"),
    ManifestFormat.SPROCKETS: ("/assets/", "Rails' default assets prefix"),
    ManifestFormat.PROPSHAFT: ("/assets/", "Rails' default assets prefix"),
    ManifestFormat.WEBASSETS: ("/static/", "Flask's default static URL"),
}


def default_prefix(readings: Sequence[ManifestReading]) -> tuple[str, str]:
    """(prefix, why) from the manifests' formats. Django's wins: other bundles it collects
    are served below STATIC_URL. A scanned directory has no URL of its own."""
    defaults = []
    for reading in readings:
        if reading.format is ManifestFormat.DJANGO:
            return _DEFAULT_PREFIX[ManifestFormat.DJANGO]
        if reading.format is ManifestFormat.SCAN:
            raise UsageError(f"give --prefix: the URL path {reading.file} is served at cannot be told from its files")
        public_path = _public_path(reading) if reading.format is ManifestFormat.WEBPACK else None
        if public_path is not None:
            defaults.append((public_path, "webpack's publicPath, as the manifest's URLs give it"))
        elif reading.format is ManifestFormat.VITE and _is_laravel_build(reading):
            defaults.append(("/build/", "Laravel's Vite plugin builds into public/build"))
        else:
            defaults.append(_DEFAULT_PREFIX[reading.format])
    prefixes = {prefix for prefix, _ in defaults}
    if len(prefixes) > 1:
        raise UsageError(f"the manifests are served at different default prefixes ({', '.join(sorted(prefixes))}): give --prefix")
    return defaults[0]


def _public_path(reading: ManifestReading) -> str | None:
    """The directory every URL of a webpack manifest starts with, when they are URL paths:
    webpack's publicPath, the URL its output directory is served at."""
    paths = [entry.path for entry in reading.hashed] + [entry.path for entry, _ in reading.unhashed]
    if not paths or not all(path.startswith("/") for path in paths):
        return None
    common = posixpath.commonpath(paths)
    if common in {path for path in paths}:  # a single file: its directory
        common = posixpath.dirname(common)
    return common if common.endswith("/") else common + "/"


def _is_laravel_build(reading: ManifestReading) -> bool:
    parts = Path(reading.file).resolve().parts
    return any(parts[i : i + 2] == ("public", "build") for i in range(len(parts) - 1))


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


@dataclass(frozen=True, slots=True)
class Answer:
    uri: str
    query: str
    served: bool  # False: nginxcache's config answers 404 on purpose
    hashed: bool
    why: str
    headers: tuple[tuple[str, str], ...]  # on 200/304; a 404 carries none of ours
    conditional: str  # what revalidation looks like
    handled: bool = True  # False: outside --prefix, another location of the server answers


def request_target(text: str, prefix: str) -> tuple[str, str]:
    """(decoded, normalised $uri, raw query) for a URL, a URL path or a path below --prefix."""
    parts = urlsplit(text)
    path = parts.path if (parts.scheme or parts.netloc or text.startswith("/")) else prefix + parts.path
    uri = unquote(path, errors="surrogateescape")
    uri = re.sub("/+", "/", posixpath.normpath(uri)) + ("/" if uri.endswith("/") and uri != "/" else "")
    return uri, parts.query


def answer(text: str, classification: Classification, options: RenderOptions, *, on_disk: bool = False) -> Answer:
    """What nginx answers for one request. `on_disk`: a file the local tree (--root, when
    read) lacks is a plain 404 (explain); probe leaves that to the live server to show."""
    uri, query = request_target(text, options.prefix)
    policy = options.policy
    if not uri.startswith(options.prefix):
        why = f"outside --prefix {options.prefix}: not handled by this config (the server's other locations answer it)"
        return Answer(uri, query, False, False, why, (), "", handled=False)
    denied = (
        "a dotfile: 404" if is_dotfile(uri)
        else "a build manifest: 404" if uri in classification.denied_uris
        or (not options.serve_manifest and re.search(BUILD_MANIFEST_PATTERN, uri))
        else "a source map, denied by --deny-source-maps: 404" if options.deny_source_maps and re.search(SOURCE_MAP_PATTERN, uri)
        else None
    )
    if denied:
        return Answer(uri, query, False, False, denied, (), "")
    tree = classification.tree_uris
    requested, served_from = uri, ""
    if on_disk and tree is not None and uri.endswith("/"):
        if _in_sorted(tree, uri + "index.html"):
            uri, served_from = uri + "index.html", f"a directory: served from its {uri}index.html"
        elif not options.pages.any:
            return Answer(uri, query, False, False, "a directory without an index.html: nginx answers 403", (), "")
        else:
            missing = _missing(uri, tree, options)
            if isinstance(missing, Answer):
                return missing
            uri, served_from = missing
    elif on_disk and tree is not None and not _in_sorted(tree, uri):
        missing = _missing(uri, tree, options)
        if isinstance(missing, Answer):
            return missing
        uri, served_from = missing  # the page nginx answers with: its own verdict
    hashed, why = evidence_for(classification, uri, query)
    if hashed and options.strategy is Strategy.REGEX and options.regex and not re.search(options.regex, uri):
        hashed, why = False, f"{why}; but --pattern does not match it, so it revalidates"
    headers = [("Cache-Control", policy.hashed_cache_control if hashed else policy.unhashed_cache_control)]
    if policy.unhashed_cdn_cache_control and not hashed:
        headers.append(("CDN-Cache-Control", policy.unhashed_cdn_cache_control))
    headers += list(options.extra_headers)
    if options.cors_fonts and re.search(FONT_PATTERN.removeprefix("~*"), uri, re.IGNORECASE):
        headers.append(("Access-Control-Allow-Origin", options.cors_fonts))
    if options.gzip_static:
        headers.append(("Vary", "Accept-Encoding (when a .gz sibling is served)"))
    browser_age = re.search(r"(?:^|[ ,])max-age=([0-9]+)", policy.unhashed_cache_control)
    conditional = (
        "not needed for a year: new content gets a new URL"
        if hashed
        else "every use: a conditional GET (If-None-Match / If-Modified-Since) gets 304 while unchanged"
        if browser_age is None or browser_age.group(1) == "0"
        else f"after {browser_age.group(1)} s"
    )
    if served_from:
        why = f"{served_from}; {why}"
    return Answer(requested, query, True, hashed, why, tuple(headers), conditional)


def _missing(uri: str, tree: list[str], options: RenderOptions) -> Answer | tuple[str, str]:
    """A URI no file has: the page a clean URL or the SPA fallback serves ((its URI, how)),
    or the 404 nginx sends (the site's 404 page for a missing page, else a plain one)."""
    pages = options.pages
    if pages.clean_urls and not uri.endswith("/"):
        for candidate in (uri + ".html", uri + "/index.html"):
            if _in_sorted(tree, candidate):
                return candidate, f"a clean URL: served from {candidate}"
    navigation = re.search(NAVIGATION_PATTERN.removeprefix("~").replace("\\z", "$"), uri) is not None
    if navigation and pages.spa_fallback:
        page = options.prefix + pages.spa_fallback
        return page, f"no such file; a navigation URL: the single-page app's {page} (status 200)"
    page_url = navigation or re.search(r"\.html?$", uri, re.IGNORECASE) is not None
    if page_url and pages.not_found:
        why = (
            f"no such page: the site's {options.prefix + pages.not_found}, with status 404 and Cache-Control "
            f"{options.policy.missing_cache_control} (a miss no cache may keep)"
        )
        return Answer(uri, "", False, False, why, (), "")
    return Answer(uri, "", False, False, f"no such file in the tree that was read: {options.missing_text}", (), "")


def _in_sorted(items: list[str], item: str) -> bool:
    at = bisect_left(items, item)
    return at < len(items) and items[at] == item


def format_answer(result: Answer, missing: str = "a plain 404 (Cache-Control: no-store, private)") -> str:
    """`missing`: what a missing file gets (RenderOptions.missing_text)."""
    target = result.uri + (f"?{result.query}" if result.query else "")
    lines = [target]
    if not result.handled:
        lines.append(f"  not handled here: {result.why}")
        return "\n".join(lines) + "\n"
    if not result.served:
        lines.append(f"  not served: {result.why}")
        return "\n".join(lines) + "\n"
    lines.append(f"  class:    {'hashed (immutable)' if result.hashed else 'unhashed (revalidated)'}")
    lines.append(f"  evidence: {result.why}")
    lines.append("  nginx sends on 200 and 304:")
    lines += [f"    {name}: {value}" for name, value in result.headers]
    lines.append(f"  revalidation: {result.conditional}")
    lines.append(f"  if the file is missing: {missing}")
    return "\n".join(lines) + "\n"
