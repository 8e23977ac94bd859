"""Rules about location matching: alias traversal (NC111) and regex cache locations that
take over prefix locations not marked ^~ (NC112)."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator

from nginxcache.lint.context import LintContext
from nginxcache.lint.findings import Severity
from nginxcache.lint.rules.caching import sample_uris
from nginxcache.lint.rules.registry import Hit, rule
from nginxcache.lint.semantics import (
    PASS_DIRECTIVES,
    blocks_of,
    dead_end,
    enclosing_server,
    find_location,
    is_regex,
    location_spec,
    nearest,
    never_matches,
    nginx_regex,
    regex_syntax,
    serving_problem,
)
from nginxcache.lint.tree import Node

_CAPTURE_REFERENCE = re.compile(r"\$(?:\{(\d)\}|(\d))")
_TRAVERSAL_PROBES = ("..", "../", "../etc/passwd", ".", "..%2f")


@rule("NC111", Severity.ERROR, "alias traversal: alias in a prefix location without a trailing slash, or a capture that can climb")
def alias_traversal(ctx: LintContext) -> Iterator[Hit]:
    for node in ctx.tree.walk():
        if node.name != "alias" or not node.args or node.parent is None or node.parent.name != "location":
            continue
        location = node.parent
        if location.is_root or location.children("internal") or never_matches(location):
            continue  # no client request reaches it (X-Accel-Redirect only, or no URI at all)
        modifier, pattern = location_spec(location)
        alias = node.args[0]
        if modifier in ("", "^~"):
            if not pattern.endswith("/") and not _one_file_alias(pattern, alias) and not _reach_is_public(location, alias):
                example = pattern + "../" if alias.endswith("/") else pattern + "_private/"
                reaches = "the parent directory" if alias.endswith("/") else "sibling directories"
                yield Hit(
                    node,
                    f"alias {alias} in location {pattern} (no trailing slash): {example} reaches {reaches} of "
                    f"{alias.rstrip('/') or '/'}; end both with a slash (location {pattern}/ {{ alias "
                    f"{alias.rstrip('/')}/; }})",
                )
        elif modifier in ("~", "~*"):
            problem = _regex_alias_problem(pattern, alias)
            if problem:
                yield Hit(node, f"alias {alias} in location {modifier} {pattern}: {problem}")


def _reach_is_public(location: Node, alias: str) -> bool:
    """Whether the directory the slashless alias reaches into (the parent of its own, whose
    siblings or `..` a URI can name) is served anyway by another location of the server:
    `location /app { alias /srv/web; }` beside `location /app/locales { alias /srv/web/locales; }`
    exposes nothing that /app does not already serve."""
    reach = posixpath.dirname(alias.rstrip("/"))
    server = enclosing_server(location)
    if server is None or "$" in alias:
        return False
    for block in blocks_of(server):
        if block is location or (block.name == "location" and never_matches(block)) or serving_problem(block) is not None:
            continue  # internal, passed upstream, returning, denied: it serves no file
        if block is server and serving_problem(find_location(server, "/")) is not None:
            continue  # the server's root is never read: `location /` passes everything upstream
        served = _served_directory(block)
        if served is not None and (reach == served or reach.startswith(served.rstrip("/") + "/")):
            return True
    return False


def _served_directory(block: Node) -> str | None:
    """The directory a server or prefix location serves every URI below it from, when its
    path holds no variable: its alias, or its root joined with the location's own directory."""
    if block.name == "location":
        modifier, pattern = location_spec(block)
        if modifier not in ("", "^~") or not pattern.startswith("/"):
            return None
        aliases = block.children("alias")
        if aliases:
            path = aliases[-1].args[0] if aliases[-1].args else ""
            return path.rstrip("/") or "/" if path and "$" not in path else None
        directory = pattern.rsplit("/", 1)[0]
    else:
        directory = ""
    root = nearest(block, "root")
    if root is None or not root.args or "$" in root.args[0]:
        return None
    return (root.args[0].rstrip("/") + directory) or "/"


def _one_file_alias(pattern: str, alias: str) -> bool:
    """`location ^~ /sad.svg { alias /var/www/errors/sad.svg; }`: a file for a file. A URI
    past the location's name lands beside the file under a name that starts with the file's
    (`sad.svg_private`), never in a parent directory."""
    return not alias.endswith("/") and _names_one_file(pattern) and _names_one_file(alias)


def _regex_alias_problem(pattern: str, alias: str) -> str | None:
    """gixy's check for regex locations: a capture reaching the alias where a '/' does not
    separate it, or that can hold '..'."""
    groups = _capture_groups(pattern)
    for found in _CAPTURE_REFERENCE.finditer(alias):
        number = int(found.group(1) or found.group(2))
        before = alias[: found.start()]
        if number == 0 or number > len(groups):
            continue
        start, body = groups[number - 1]
        # A '/' before the group, or as the group's own first character (`(\/.*\.json)`): the
        # capture starts a path segment, and nginx's normalised URI holds no `..` segment.
        slash_before = (start > 0 and pattern[start - 1] == "/") or body.startswith(("/", "\\/"))
        compiled = nginx_regex(body)
        dots = compiled is None or any(compiled.fullmatch(probe) for probe in _TRAVERSAL_PROBES)
        if not before:
            return f"the alias starts with capture ${number}: a request picks any path on disk"
        if not slash_before:
            if not before.endswith("/"):
                return f"${number} is not separated by '/' in the location nor in the alias: it reaches sibling paths of {before}"
            if dots:
                return f"${number} can hold '..' (no '/' before it in the location): it climbs out of {before}"
        elif not before.endswith("/") and (compiled is None or compiled.fullmatch("x")):
            return f"${number} follows '/' in the location but not in the alias: it reaches sibling paths of {before}"
    return None


def _capture_groups(pattern: str) -> list[tuple[int, str]]:
    """(offset of '(', body) for each capturing group, in order."""
    groups: list[tuple[int, str]] = []
    stack: list[tuple[int, bool]] = []
    for i, char in regex_syntax(pattern):
        if char == "(":
            named = pattern.startswith(("(?<", "(?P<", "(?'"), i) and not pattern.startswith(("(?<=", "(?<!"), i)
            capturing = not pattern.startswith("(?", i) or named
            if capturing:
                groups.append((i, ""))
            stack.append((len(groups) - 1 if capturing else -1, capturing))
        elif char == ")" and stack:
            index, capturing = stack.pop()
            if capturing:
                start = groups[index][0]
                body = pattern[start + 1 : i]
                body = re.sub(r"^\?(?:P?<[^>]*>|'[^']*')", "", body)
                groups[index] = (start, body)
    return groups


# A prefix location that does something to its files (so losing them to a regex matters).
_DOES_SOMETHING = ("alias", "root", "expires", "add_header", "return", "try_files", "deny", "internal",
                   "gzip_static", "autoindex", *PASS_DIRECTIVES)


def _is_cache_location(node: Node) -> bool:
    for child in node.children("expires", "add_header"):
        if child.name == "expires" or (child.args and child.args[0].lower() in ("cache-control", "expires")):
            return True
    return False


# What makes a location an endpoint that answers itself (a status page, a proxied path).
_ENDPOINTS = ("stub_status", "status", *PASS_DIRECTIVES)


def _protects(block: Node) -> bool:
    """The location refuses every file below it (`return 404`, `deny all` without `allow`):
    not an endpoint such as `location /nginx-status { allow 127.0.0.1; deny all; stub_status; }`."""
    if block.children(*_ENDPOINTS) or block.children("allow"):
        return False
    if block.children("internal") or any(node.args[:1] == ("all",) for node in block.children("deny")):
        return True
    return any(node.args and node.args[0].isdigit() and int(node.args[0]) >= 400 for node in block.children("return"))


def _names_one_file(pattern: str) -> bool:
    """A prefix that names one resource (its last segment has an extension): the URIs it
    matches beyond itself are ones nobody asks for, so a regex can only take over the URI
    it names, and only when that URI ends as the regex wants."""
    last = pattern.rsplit("/", 1)[-1]
    return not pattern.endswith("/") and "." in last.strip(".")


@rule("NC112", Severity.WARNING, "a regex cache location takes over a prefix location not marked ^~")
def regex_takes_over(ctx: LintContext) -> Iterator[Hit]:
    for server in ctx.servers:
        samples = sample_uris(server)
        for block in blocks_of(server):
            if block.name != "location" or block.is_root:
                continue
            modifier, pattern = location_spec(block)
            if modifier != "" or pattern in ("", "/") or not block.children(*_DOES_SOMETHING):
                continue
            if _names_one_file(pattern):
                probes = [pattern]  # /.well-known/dnt-policy.txt: only its own URI, never `.../x.css`
            elif "/." in pattern or (not pattern.endswith("/") and not _protects(block)):
                # `/remote` (a legacy redirect to /remote.php) or `/.git`: names no directory of
                # files a page links, so no `.../app.css` below it is ever asked for. A
                # `location /data { return 404; }` does protect files below it: probed.
                continue
            else:
                base = pattern if pattern.endswith("/") else pattern + "/"
                probes = [base + sample.rsplit("/", 1)[1] for sample in samples] + [base + "sub/app.css"]
            taken: dict[Node, str] = {}
            for uri in probes:
                target = find_location(server, uri)
                if target is block or not is_regex(target) or not _is_cache_location(target):
                    continue
                if block in target.ancestors():
                    continue  # nested inside this prefix: intended
                taken.setdefault(target, uri)
            for target, uri in taken.items():
                yield Hit(
                    block,
                    f"location {pattern} is not marked ^~, so {target.show()} (line {target.line}) takes over "
                    f"requests below it such as {uri}: they get that location's caching and root instead of this "
                    f"one's; write location ^~ {pattern}",
                )


@rule("NC120", Severity.ERROR, "a location that can match no URI (an end anchor with text after it, a prefix without '/')")
def matches_nothing(ctx: LintContext) -> Iterator[Hit]:
    for node in ctx.tree.walk():
        if node.name != "location":
            continue
        modifier, pattern = location_spec(node)
        if modifier in ("", "^~", "=") and not pattern.startswith("/") and not node.is_root:
            yield Hit(
                node,
                f"{node.show()} can match no URI: a URI starts with '/', and {pattern!r} does not (a regex "
                "needs location ~ or ~*); nothing it holds ever applies",
            )
            continue
        if not is_regex(node):
            continue
        at = dead_end(pattern)
        if at is not None:
            yield Hit(
                node,
                f"{node.show()} can match no URI: its pattern ends at `$` (character {at + 1}) and goes on with "
                f"{pattern[at + 1 :]!r}; nothing it holds ever applies (drop what follows the `$`)",
            )
