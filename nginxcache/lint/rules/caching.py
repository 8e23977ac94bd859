"""Rules about how long files are cached: long-lived caching on files that change in place
(NC101), hashed files left without it (NC102), pages that must revalidate (NC106), and
fallbacks inside immutable locations (NC107)."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator

from nginxcache.classify import SERVICE_WORKERS
from nginxcache.lint.context import LintContext, page_kind
from nginxcache.lint.findings import Severity
from nginxcache.lint.rules.registry import Hit, rule
from nginxcache.lint.semantics import (
    Caching,
    Expires,
    blocks_of,
    cache_control_long_lived,
    caching_at,
    describe_uris,
    effective_headers,
    find_location,
    is_prefix,
    is_regex,
    location_spec,
    nearest,
    nearest_all,
    parse_expires,
    serving_problem,
)
from nginxcache.lint.tree import Node

# Plain (unhashed) names a regex location could catch: common asset folders and types.
SAMPLE_DIRS = ("/", "/static/", "/assets/", "/css/", "/js/", "/img/", "/images/", "/fonts/", "/media/",
               "/build/", "/dist/", "/public/", "/static/css/", "/static/js/", "/static/img/")
SAMPLE_NAMES = ("app", "logo")
SAMPLE_EXTENSIONS = ("css", "js", "mjs", "png", "jpg", "jpeg", "gif", "svg", "ico", "webp", "avif", "woff",
                     "woff2", "ttf", "otf", "eot", "json", "map", "txt", "xml", "pdf", "mp4", "webm", "wasm")
PROBE_EXTENSION = "nginxcache-probe"
PAGE_SAMPLES = ("/index.html", "/sw.js", "/service-worker.js", "/manifest.webmanifest", "/site.webmanifest")


def sample_uris(server: Node) -> list[str]:
    """Unhashed file names below every directory the server's locations name, with every
    extension a regex location of it mentions."""
    dirs = set(SAMPLE_DIRS)
    extensions = set(SAMPLE_EXTENSIONS)
    for block in blocks_of(server):
        if is_prefix(block):
            pattern = location_spec(block)[1]
            if pattern.startswith("/"):
                dirs.add(pattern if pattern.endswith("/") else pattern + "/")
        elif is_regex(block):
            pattern = location_spec(block)[1].replace("\\/", "/")
            extensions.update(token.lower() for token in re.findall(r"[A-Za-z0-9]{2,6}", pattern))
            dirs.update(re.findall(r"/(?:[A-Za-z0-9_.-]+/)+", pattern.replace("\\.", ".")))
    return sorted(d + name + "." + ext for d in dirs for name in SAMPLE_NAMES for ext in extensions)


def _depends_on_uri(target: Node) -> bool:
    """Whether the expires or Cache-Control in effect in `target` holds a variable."""
    expires = nearest(target, "expires")
    if expires is not None and any("$" in arg for arg in expires.args):
        return True
    return any("$" in arg for header in effective_headers(target) for arg in header.args)


def _where(target: Node) -> str:
    return target.show() if not target.is_root else f"the {target.name}-level file"


@rule("NC101", Severity.ERROR, "long-lived caching reaches files that are not content-hashed")
def long_lived_unhashed(ctx: LintContext) -> Iterator[Hit]:
    if ctx.served is not None:
        groups: dict[Node, list[str]] = {}
        for placed in ctx.placements:
            if (
                not placed.hashed
                and page_kind(placed.uri) is None
                and placed.caching.long_lived
                and not ctx.declared_content_addressed(placed.uri, placed.target)
            ):
                groups.setdefault(placed.target, []).append(placed.uri)
        for target, uris in groups.items():
            caching = caching_at(target, ctx.evaluator, uris[0])
            yield Hit(
                target,
                f"{_where(target)} gives long-lived caching ({caching.describe(target)}) to {len(uris)} file(s) that "
                f"are not content-hashed {ctx.served.source}: {describe_uris(uris)}; after a deploy users keep the old "
                "content (revalidate them: Cache-Control no-cache, or let nginxcache render this location)",
            )
        return
    defaults = _long_lived_defaults(ctx)  # once: a config may hold 10^5 servers
    for server in ctx.servers:
        by_pattern: dict[Node, list[str]] = {}
        by_type: dict[Node, list[str]] = {}
        # Hundreds of sample URIs land in a few locations: what does not depend on the URI is
        # worked out once per location (a config may hold 10^5 servers).
        serves: dict[Node, bool] = {}
        fixed: dict[Node, Caching | None] = {}  # None: the caching depends on the URI (a map)
        probes: dict[str, bool] = {}
        versioned: dict[Node, bool] = {}

        def caching_for(target: Node, uri: str, fixed: dict[Node, Caching | None] = fixed) -> Caching:
            if target not in fixed:
                fixed[target] = None if _depends_on_uri(target) else caching_at(target, ctx.evaluator, uri)
            return fixed[target] or caching_at(target, ctx.evaluator, uri)

        for uri in sample_uris(server):
            if page_kind(uri) is not None:
                continue
            target = find_location(server, uri)
            if target not in serves:
                serves[target] = serving_problem(target) is None
            if not serves[target]:
                continue
            caching = caching_for(target, uri)
            if not caching.long_lived or ctx.declared_content_addressed(uri, target):
                continue
            if target not in versioned:
                versioned[target] = _deploy_versioned(target)
            if versioned[target]:
                continue
            # Caching chosen by file type: the same name with an unknown extension is not cached long.
            probe = posixpath.splitext(uri)[0] + "." + PROBE_EXTENSION
            if probe not in probes:
                probe_target = find_location(server, probe)
                probes[probe] = caching_for(probe_target, probe).long_lived and probe_target is target
            if probes[probe]:
                continue
            if is_regex(target):
                by_pattern.setdefault(target, []).append(uri)
            else:
                by_type.setdefault(caching.long_lived_sources()[0], []).append(uri)
        for target, uris in by_pattern.items():
            caching = caching_at(target, ctx.evaluator, uris[0])
            yield Hit(
                target,
                f"{_where(target)} gives long-lived caching ({caching.describe(target)}) by file type, but its "
                f"pattern does not require a content hash: plain names such as {describe_uris(uris, 2)} keep stale "
                "content for that long after a deploy (match only hashed names, or pass --manifest/--root to "
                "check the real files; if every URL to them carries a version, ?v=..., say so with "
                "--content-addressed or # nginxcache: content-addressed)",
            )
        for source, uris in by_type.items():
            yield Hit(
                source,
                f"{source.show()} gives long-lived caching by content type, whether or not a name carries a "
                f"content hash: plain names such as {describe_uris(uris, 2)} keep stale content for that long after a "
                "deploy (pass --manifest/--root to check the real files)",
            )
        yield from _fixed_names(ctx, server, {*by_pattern, *by_type}, defaults)
    yield from _long_lived_map_defaults(ctx)


# Files whose name never changes while their content does: a browser that keeps one a year
# never sees the new robots rules, icon or sitemap.
FIXED_NAMES = (
    "/robots.txt", "/favicon.ico", "/favicon.png", "/favicon.svg", "/apple-touch-icon.png",
    "/apple-touch-icon-precomposed.png", "/sitemap.xml", "/humans.txt", "/ads.txt", "/browserconfig.xml",
    "/.well-known/security.txt",
)


# A deploy-versioned prefix (Magento's /static/version1712345678/): the location rewrites the
# version segment away, so its URLs change with every deploy.
_VERSION_SEGMENT = re.compile(r"version\\d|version\[0-9\]")


def _deploy_versioned(target: Node) -> bool:
    """The location (or one around it) strips a deploy version segment from its URLs."""
    for block in (target, *target.ancestors()):
        if block.name != "location":
            continue
        for node in block.walk():  # its own rewrites, and those of the if blocks in it
            if node.name == "rewrite" and node.args and _VERSION_SEGMENT.search(node.args[0]):
                return True
        if block.name == "location" and _VERSION_SEGMENT.search(location_spec(block)[1]):
            return True
    return False


def _fixed_names(ctx: LintContext, server: Node, reported: set[Node], defaults: set[str]) -> Iterator[Hit]:
    """Long-lived caching on the fixed-name files every site has (robots.txt, favicon.ico,
    apple-touch-icon.png): they change in place, under the same URL."""
    found: dict[Node, list[str]] = {}
    for uri in FIXED_NAMES:
        target = find_location(server, uri)
        if target in reported or serving_problem(target) is not None or ctx.declared_content_addressed(uri, target):
            continue
        caching = caching_at(target, ctx.evaluator, uri)
        if caching.long_lived:
            found.setdefault(caching.long_lived_sources()[0], []).append(uri)
    for source, uris in found.items():
        if any(name in defaults for arg in source.args for name in re.findall(r"\$\{?([A-Za-z0-9_]+)", arg)):
            continue  # a map's long-lived default: reported once, at the map
        yield Hit(
            source,
            f"{source.show()} gives long-lived caching to {describe_uris(uris, 3)}: fixed-name files that change in "
            "place, under the same URL; browsers keep the old one that long (Cache-Control no-cache, or a short max-age)",
        )


def _long_lived_map_defaults(ctx: LintContext) -> Iterator[Hit]:
    """A map whose `default` is long-lived and feeds expires or Cache-Control: every value of
    its source the map does not list (each content type, each URI) is cached that long."""
    used = _caching_variables(ctx)
    for definitions in ctx.maps.values():
        for definition in definitions:
            default = definition.default
            if default is None or definition.variable not in used or not _long_lived_value(default.value):
                continue
            yield Hit(
                default.node,
                f"map {definition.source} ${definition.variable}: default {default.value} is long-lived, and it feeds "
                f"{used[definition.variable]}: every {definition.source} the map does not list is cached that long, "
                "unhashed files and pages included; make the default revalidate (epoch, or no-cache) and list what "
                "may be kept",
            )


def _long_lived_defaults(ctx: LintContext) -> set[str]:
    return {
        definition.variable
        for definitions in ctx.maps.values()
        for definition in definitions
        if definition.default is not None and _long_lived_value(definition.default.value)
    }


def _caching_variables(ctx: LintContext) -> dict[str, str]:
    """Variable name -> the first directive that sets caching from it (expires, add_header
    Cache-Control), written for a message."""
    found: dict[str, str] = {}
    for node in ctx.tree.walk():
        if node.name == "expires":
            values = node.args
        elif node.name == "add_header" and len(node.args) >= 2 and node.args[0].lower() == "cache-control":
            values = node.args[1:2]
        else:
            continue
        for value in values:
            for name in re.findall(r"\$\{?([A-Za-z0-9_]+)", value):
                found.setdefault(name, f"{node.show()} ({node.where})")
    return found


def _long_lived_value(value: str) -> bool:
    """A map value that is long-lived as an expires time or a Cache-Control value with its own
    max-age (`, immutable` alone is a suffix of another value, as Nextcloud's `?v=` map)."""
    parsed = parse_expires(value)
    if isinstance(parsed, Expires):
        return parsed.long_lived
    return cache_control_long_lived(value) and "max-age" in value.lower()


@rule("NC102", Severity.WARNING, "content-hashed files without long-lived caching (a missed win)")
def hashed_not_long_lived(ctx: LintContext) -> Iterator[Hit]:
    if ctx.served is None or not ctx.served.from_manifest:
        return  # a name that looks hashed is no proof that caching it a year is safe
    groups: dict[Node, list[str]] = {}
    for placed in ctx.placements:
        if placed.hashed and placed.caching.short_lived:
            groups.setdefault(placed.target, []).append(placed.uri)
    for target, uris in groups.items():
        caching = caching_at(target, ctx.evaluator, uris[0])
        yield Hit(
            target,
            f"{_where(target)} serves {len(uris)} content-hashed file(s) {ctx.served.source} with "
            f"{caching.describe(target)}: {describe_uris(uris)}; their names change with their content, so they "
            'could be cached a year ("public, max-age=31536000, immutable")',
        )


def _fallback_targets(server: Node) -> tuple[dict[str, Node], list[tuple[str, Node, Node]]]:
    """HTML pages the server answers 200 with in place of another file: ({page: the first
    directive that sends there} for the pages a location is looked up again for: try_files'
    last URI, error_page ... =200, rewrite ... last; (page, block, rewrite) for `rewrite ...
    /index.html break`, which that same block serves)."""
    found: dict[str, Node] = {}
    in_place: list[tuple[str, Node, Node]] = []
    for block in blocks_of(server):
        for directive in block.children("try_files", "error_page", "rewrite"):
            args = directive.args
            if directive.name == "error_page" and not any(arg.startswith("=") for arg in args):
                continue  # the status stays 404/50x
            if directive.name == "rewrite":
                flag = args[2] if len(args) > 2 else ""
                if len(args) < 2 or flag in ("redirect", "permanent") or args[1].startswith(("http://", "https://", "$scheme")):
                    continue  # the browser is sent elsewhere: the page answers its own URL
                path = args[1].split("?", 1)[0]
                # In a location, `break` serves the new URI right there; at server level nginx
                # then looks the location up for it, as after `last`.
                if _is_page_path(path) and flag == "break" and block.name == "location":
                    if _answers_200(server, block):
                        in_place.append((path, block, directive))
                    continue
            else:
                path = (args[-1] if args else "").split("?", 1)[0]
            if _is_page_path(path):
                found.setdefault(path, directive)
    return found, in_place


def _answers_200(server: Node, block: Node) -> bool:
    """Whether what `block` serves goes out as a 200: any block a client reaches, but a named
    location only when try_files falls back to it or an `error_page ... =` sends there (after
    `error_page 502 @x` the status stays 502, which no cache keeps by heuristics)."""
    if block.name != "location" or not location_spec(block)[1].startswith("@"):
        return True
    name = location_spec(block)[1]
    for other in blocks_of(server):
        for directive in other.children("try_files", "error_page"):
            sends_200 = directive.name == "try_files" or any(arg.startswith("=") for arg in directive.args)
            if directive.args and directive.args[-1] == name and sends_200:
                return True
    return False


def _pages_sent(target: Node, uris: set[str], brought_by: dict[tuple[Node, str], Node]) -> str:
    """`/swagger-ui-index.html (sent here by try_files at line 30)`: where a fallback page comes
    from, when another block's directive sends it to this one."""
    senders = sorted({brought_by[(target, uri)] for uri in uris if (target, uri) in brought_by}, key=lambda node: node.line)
    if not senders:
        return describe_uris(uris)
    via = ", ".join(f"{node.name} at {node.where if node.file != target.file else f'line {node.line}'}" for node in senders[:2])
    return f"{describe_uris(uris)} (sent here by {via})"


def _is_page_path(path: str) -> bool:
    return path.startswith("/") and "$" not in path and path.lower().endswith((".html", ".htm"))


def _falls_back_to_the_application(server: Node, target: Node) -> bool:
    """`try_files $uri /index.php$request_uri`: a missing file goes to the application, which
    is where this site's pages come from."""
    for directive in target.children("try_files"):
        last = directive.args[-1] if directive.args else ""
        uri = last.split("$", 1)[0].split("?", 1)[0]
        if uri.startswith("/") and serving_problem(find_location(server, uri)) is not None:
            return True
    return False


def _index_html_is_served(target: Node) -> bool:
    """Whether a directory URL's index is index.html where `target` serves (nginx's default;
    `index index.php;` says the site is a PHP front controller without one)."""
    index = nearest(target, "index")
    return index is None or any(name.lower() in ("index.html", "index.htm") for name in index.args)


def _names_page(target: Node, uri: str) -> bool:
    """The location is written for this page: `= /index.html`, `~ \\.html$`, `= /sw.js`."""
    if target.name != "location" or target.is_root:
        return False
    modifier, pattern = location_spec(target)
    if modifier == "=":
        return pattern == uri
    if modifier not in ("~", "~*"):
        return False
    text = pattern.lower()
    if uri.endswith((".html", ".htm")):
        return "htm" in text
    if uri.endswith(".webmanifest"):
        return "webmanifest" in text
    return bool(re.search(r"\bsw\b|worker", text))


@rule("NC106", Severity.WARNING, "HTML, service worker or web manifest cached heuristically or long")
def pages_revalidate(ctx: LintContext) -> Iterator[Hit]:
    heuristic: dict[Node, set[str]] = {}
    long_lived: dict[Node, set[str]] = {}
    for placed in ctx.placements:
        if page_kind(placed.uri) is None:
            continue
        if placed.caching.long_lived:
            long_lived.setdefault(placed.target, set()).add(placed.uri)
        elif not placed.caching.explicit:
            heuristic.setdefault(placed.target, set()).add(placed.uri)
    brought_by: dict[tuple[Node, str], Node] = {}  # (block, page) -> the directive that sends it there
    for server in ctx.servers:
        fallbacks, rewritten = _fallback_targets(server)
        looked_up = [(uri, find_location(server, uri)) for uri in (*PAGE_SAMPLES, *sorted(fallbacks))]
        for uri, target in (*looked_up, *((uri, block) for uri, block, _ in rewritten)):
            if serving_problem(target) is not None:
                continue
            sender = next((rewrite for page, block, rewrite in rewritten if (page, block) == (uri, target)), fallbacks.get(uri))
            if sender is not None:
                fallbacks.setdefault(uri, sender)
                if sender.parent is not target:
                    brought_by.setdefault((target, uri), sender)
            if uri == "/index.html" and uri not in fallbacks and (
                not _index_html_is_served(target) or _falls_back_to_the_application(server, target)
            ):
                continue  # a PHP front controller: its pages come from the application, not index.html
            named = _names_page(target, uri) or uri in fallbacks
            caching = caching_at(target, ctx.evaluator, uri)
            if caching.long_lived and (named or uri == "/index.html"):
                long_lived.setdefault(target, set()).add(uri)
            elif named and not caching.explicit and uri.rsplit("/", 1)[-1] not in SERVICE_WORKERS:
                # Not a service worker: browsers fetch its script past the HTTP cache (updateViaCache).
                heuristic.setdefault(target, set()).add(uri)
    for target, uris in long_lived.items():
        caching = caching_at(target, ctx.evaluator, sorted(uris)[0])
        yield Hit(
            target,
            f"{_where(target)} caches {_pages_sent(target, uris, brought_by)} long ({caching.describe(target)}): "
            f"{page_kind(sorted(uris)[0])}; use Cache-Control no-cache (with ETag/Last-Modified)",
        )
    for target, uris in heuristic.items():
        yield Hit(
            target,
            f"{_where(target)} serves {_pages_sent(target, uris, brought_by)} without Cache-Control or Expires: browsers then cache "
            f"it heuristically (a share of its age) and show a stale page after a deploy; "
            f'{page_kind(sorted(uris)[0])}: add_header Cache-Control "no-cache"',
        )


@rule("NC107", Severity.ERROR, "fallback (try_files ... /index.html, error_page 404 =200) in an immutable location")
def fallback_in_immutable(ctx: LintContext) -> Iterator[Hit]:
    reported: set[Node] = set()
    for server in ctx.servers:
        for block in blocks_of(server):
            if serving_problem(block) is not None:
                continue
            if block.name == "location" and location_spec(block)[0] == "=":
                continue  # one URI, no hashed asset's: what it falls back to answers that URI alone
            caching = caching_at(block, ctx.evaluator)
            if not caching.long_lived:
                continue
            cached = f"{_where(block)} caches long ({caching.describe(block)})"
            for directive in block.children("try_files"):
                fallback = _try_files_fallback(ctx, server, directive)
                if fallback and directive not in reported:
                    reported.add(directive)
                    yield Hit(
                        directive,
                        f"try_files falls back to {fallback} where {cached}: a missing or mistyped hashed file "
                        "answers 200 with that page, which browsers and CDNs keep under the asset's URL; end with =404",
                    )
            for directive in nearest_all(block, "error_page"):
                if directive in reported or not _error_page_answers_200(directive.args):
                    continue
                if _landing(ctx, server, directive.args[-1]) is None:
                    continue  # it lands where a 404 stays one, or the page is not cached long
                reported.add(directive)
                yield Hit(
                    directive,
                    f"error_page {' '.join(directive.args)} applies where {cached}: a missing hashed file answers 200 "
                    f"with {directive.args[-1]}, which browsers and CDNs keep under the asset's URL; let it be a 404",
                )


def _try_files_fallback(ctx: LintContext, server: Node, directive: Node) -> str | None:
    args = directive.args
    if len(args) < 2:
        return None
    own = location_spec(directive.parent)[1] if directive.parent is not None and directive.parent.name == "location" else None
    exact = directive.parent is not None and own is not None and location_spec(directive.parent)[0] == "="
    # In `location = /favicon.ico { try_files /favicon.ico @empty; }` the literal is the file asked for.
    # `...` and `…` are the placeholders of documentation snippets, not files.
    literal = [arg for arg in args[:-1] if "$" not in arg and not (exact and arg == own) and arg.strip(".…") != ""]
    if literal:
        return f"the file {literal[0]} (served from this location)"
    last = args[-1]
    if "$" in last:
        # A variable (nginxcache's own fallback map): each page it may land on, judged there.
        values = ctx.evaluator.possible(last)
        if values is None:
            return _landing(ctx, server, last)  # judged by the literal text before the first variable
        landings = [_landing(ctx, server, value) for value in sorted(values)]
        return next((landing for landing in landings if landing is not None), None)
    return _landing(ctx, server, last)


def _landing(ctx: LintContext, server: Node, last: str) -> str | None:
    """The fallback `last` when the page it lands on is answered with long-lived caching,
    else None. A fallback is an internal redirect: the location it lands in answers it
    (`/index.php$request_uri` lands in the PHP location, which caches nothing), and that
    may be the very location that caches long (`try_files $uri /index.html` in `location /`)."""
    if last.startswith("="):
        return None
    if last.startswith("@"):
        for block in blocks_of(server):
            if block.name == "location" and location_spec(block) == ("@", last):
                return last if serving_problem(block) is None and caching_at(block, ctx.evaluator).long_lived else None
        return None
    uri = last.split("$", 1)[0].split("?", 1)[0]  # the text the fallback fixes: /index.php of /index.php$request_uri
    if not uri.startswith("/"):
        return last
    target = find_location(server, uri)
    if serving_problem(target) is not None:
        return None  # passed upstream or answered by `return`: the application decides
    return last if caching_at(target, ctx.evaluator, uri if "$" not in last else None).long_lived else None


def _error_page_answers_200(args: tuple[str, ...]) -> bool:
    codes = [arg for arg in args if arg.isdigit()]
    return "404" in codes and any(arg in ("=", "=200") for arg in args)
