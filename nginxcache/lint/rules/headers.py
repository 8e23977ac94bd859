"""Rules about response headers: two Cache-Control sources (NC103), `always` on a long-lived
Cache-Control (NC104), add_header lines that silently drop the enclosing block's (NC105)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from nginxcache.lint.context import LintContext
from nginxcache.lint.findings import Severity
from nginxcache.lint.rules.registry import Hit, rule
from nginxcache.lint.semantics import (
    PASS_DIRECTIVES,
    Caching,
    Expires,
    _inherit_mode,
    cache_control_long_lived,
    caching_at,
    chain,
    effective_headers,
    location_spec,
    parse_expires,
)
from nginxcache.lint.tree import Node


def _here(node: Node, block: Node) -> str:
    """Where a directive comes from, seen from `block`."""
    if node.parent is block:
        return f"line {node.line}" if node.file == block.file else node.where
    owner = node.parent
    inherited = f"inherited from {owner.show() if owner is not None and not owner.is_root else 'the enclosing file'}"
    return f"{'line ' + str(node.line) if node.file == block.file else node.where}, {inherited}"


@rule("NC103", Severity.ERROR, "two Cache-Control headers for one location (expires plus add_header Cache-Control)")
def two_cache_controls(ctx: LintContext) -> Iterator[Hit]:
    seen: set[tuple[Node, ...]] = set()
    for block in ctx.blocks():
        caching = caching_at(block, ctx.evaluator)
        headers = [node for node, _ in caching.cache_controls]
        sources: list[Node] = []
        if caching.expires is not None and caching.expires_sends and headers:
            sources = [caching.expires, *headers]
        elif len(headers) >= 2:
            sources = headers
        if not sources or not any(node.parent is block for node in sources):
            continue  # none of it is set here: reported where it is
        key = tuple(sources)
        if key in seen:
            continue
        seen.add(key)
        own_headers = [node for node in headers if node.parent is block]
        at = own_headers[1] if len(own_headers) >= 2 and caching.expires not in sources else (
            own_headers[0] if own_headers else sources[0]
        )
        listed = "; ".join(f"{node.show()} ({_here(node, block)})" for node in sources)
        conflict = _contradiction(caching, sources)
        if conflict is None:
            # RFC 9110 5.3: the lines combine into one list; nothing in it disagrees.
            yield Hit(
                at,
                f"{block.show()} sends {len(sources)} Cache-Control header lines: {listed}; they combine into one list "
                "that agrees with itself, but one source is simpler (expires off; with one add_header Cache-Control)",
                Severity.NOTE,
            )
            continue
        yield Hit(
            at,
            f"{block.show()} sends {len(sources)} Cache-Control headers: {listed}, and they contradict ({conflict}): "
            "caches disagree on which wins (use expires off; with one add_header Cache-Control, or expires alone)",
        )


def _contradiction(caching: Caching, sources: list[Node]) -> str | None:
    """What the Cache-Control lines of `sources` contradict each other in (two different
    max-age, no-cache or no-store beside a max-age, immutable beside no-cache), or None when
    they agree. A value that is not known counts as contradicting: it may."""
    lists: list[set[str]] = []
    for node in sources:
        if node is caching.expires:
            values = caching.expires_values
            if values is None:
                return f"{node.show()} has a value not known here"
            for value in values:
                parsed = parse_expires(value, modified=len(node.args) == 2)
                if not isinstance(parsed, Expires) or parsed.kind == "daily":
                    return f"{node.show()} has a value not known here"
                lists.append({_expires_directive(parsed)})
            continue
        known = dict(caching.cache_controls).get(node)
        if known is None:
            return f"{node.show()} has a value not known here"
        lists += [{part.strip().lower() for part in value.split(",") if part.strip()} for value in known]
    directives = set().union(*lists) if lists else set()
    max_ages = {d.split("=", 1)[1].strip('"') for d in directives if d.startswith(("max-age=", "s-maxage="))}
    fresh = any(age.isdigit() and int(age) > 0 for age in max_ages)
    if len({d for d in directives if d.startswith("max-age=")}) > 1:
        return "two different max-age"
    if fresh and directives & {"no-cache", "no-store"}:
        return "a max-age beside no-cache or no-store"
    if "immutable" in directives and directives & {"no-cache", "no-store"}:
        return "immutable beside no-cache or no-store"
    return None


def _expires_directive(parsed: Expires) -> str:
    """The Cache-Control directive nginx's `expires` sends."""
    if parsed.kind == "max":
        return "max-age=315360000"
    if parsed.kind == "epoch" or parsed.seconds < 0:
        return "no-cache"
    return f"max-age={parsed.seconds}"


@rule("NC104", Severity.ERROR, "`always` on a long-lived Cache-Control header")
def always_long_lived(ctx: LintContext) -> Iterator[Hit]:
    for node in ctx.tree.walk():
        if node.name != "add_header" or len(node.args) != 3 or node.args[2] != "always":
            continue
        if node.args[0].lower() != "cache-control":
            continue
        values = _values_here(ctx, node, node.args[1])
        if values and any(cache_control_long_lived(value) for value in values):
            yield Hit(
                node,
                f'add_header Cache-Control "{node.args[1]}" always also puts long-lived caching on 404s and errors: '
                "a CDN or browser keeps the error for that long; drop `always`",
            )


def _values_here(ctx: LintContext, node: Node, expression: str) -> frozenset[str] | None:
    """What `expression` can be where `node` is: in an exact location, for its one URI (a
    404 page's `location = /404.html` gets its map's verdict for /404.html)."""
    block = node.parent
    while block is not None and block.name != "location":
        block = block.parent
    if block is not None and location_spec(block)[0] == "=":
        value = ctx.evaluator.value(expression, location_spec(block)[1])
        if value is not None:
            return frozenset([value])
    return ctx.evaluator.possible(expression)


_UPSTREAM_ONLY = re.compile(r"(?:\$(?:upstream_\w+|\{upstream_\w+\}))+")


def _sends_nothing_here(node: Node, block: Node) -> bool:
    """An add_header whose value is empty where `block` would have inherited it sends no
    header, so dropping it loses nothing: `add_header ETag ""` (it only deletes), or only
    $upstream_* variables in a block that passes nothing upstream."""
    if len(node.args) < 2:
        return False
    value = node.args[1]
    if value == "":
        return True
    passes = any(child.name in PASS_DIRECTIVES for child in block.children())
    return not passes and _UPSTREAM_ONLY.fullmatch(value) is not None


def _answers_by_return(block: Node) -> bool:
    """The block answers every request itself with a `return` below 400 (a preflight's 204,
    a redirect): no file is served there, so no caching header is missed."""
    for child in block.children("return"):
        code = child.args[0] if child.args else ""
        if code.isdigit() and int(code) < 400:
            return True
    return False


@rule("NC105", Severity.WARNING, "add_header in a block silently drops the enclosing block's add_header lines")
def dropped_headers(ctx: LintContext) -> Iterator[Hit]:
    for block in ctx.blocks():
        own = block.children("add_header")
        if not own:
            continue
        blocks = chain(block)
        if len(blocks) < 2 or _inherit_mode(blocks) == "merge":
            continue
        if _answers_by_return(block):
            continue  # `if ($request_method = OPTIONS) { add_header ...; return 204; }`: no file, no caching
        outer = effective_headers(blocks[1])
        names_here = {node.args[0].lower() for node in own if node.args}
        dropped: dict[str, Node] = {}
        for node in outer:
            if node.args and node.args[0].lower() not in names_here and not _sends_nothing_here(node, block):
                dropped.setdefault(node.args[0].lower(), node)
        if not dropped:
            continue
        owner = next(iter(dropped.values())).parent
        owner_name = owner.show() if owner is not None and not owner.is_root else "the enclosing file"
        listed = ", ".join(
            f"{node.args[0]} ({'line ' + str(node.line) if node.file == block.file else node.where})" for node in dropped.values()
        )
        yield Hit(
            own[0],
            f"add_header in {block.show()} drops the add_header lines of {owner_name}: {listed} are not sent "
            "here; repeat them in this block (or include one shared snippet in both)",
        )


_VARIABLE_NAME = re.compile(r"\$\{?([A-Za-z0-9_]+)")


def _accept_variables(ctx: LintContext) -> set[str]:
    """Variables whose value depends on the request's Accept header: $http_accept, and maps of it."""
    found = {"http_accept"}
    changed = True
    while changed:  # a map of a map of $http_accept depends on it too
        changed = False
        for name, definitions in ctx.maps.items():
            if name not in found and any(set(_VARIABLE_NAME.findall(d.source)) & found for d in definitions):
                found.add(name)
                changed = True
    return found


@rule("NC119", Severity.ERROR, "a file chosen by the Accept header (webp/avif) without Vary: Accept")
def negotiation_without_vary(ctx: LintContext) -> Iterator[Hit]:
    accept = _accept_variables(ctx)
    for block in ctx.blocks():
        for directive in block.children("try_files", "rewrite", "alias", "root"):
            used = {name for arg in directive.args for name in _VARIABLE_NAME.findall(arg)} & accept
            if not used:
                continue
            varies = [
                node
                for node in effective_headers(block)
                if len(node.args) >= 2
                and node.args[0].lower() == "vary"
                and any(part.strip().lower() in ("accept", "*") for part in node.args[1].split(","))
            ]
            if varies:
                continue
            names = ", ".join(f"${name}" for name in sorted(used))
            yield Hit(
                directive,
                f"{directive.show()} picks the file by the Accept header ({names}), but {block.show()} sends no "
                "Vary: Accept: a shared cache hands the webp or avif it stored to browsers that cannot decode it; "
                'add_header Vary Accept; (beside the other add_header lines of this block)',
            )
