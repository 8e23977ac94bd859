"""Maps: hash sizes nginx cannot build with (NC114) or only warns about (NC115), keys equal
up to case (NC116), one variable defined by two maps (NC117)."""

from __future__ import annotations

from collections.abc import Iterator

from nginxcache.lint.context import LintContext
from nginxcache.lint.findings import Severity
from nginxcache.lint.rules.registry import Hit, rule
from nginxcache.lint.tree import Node
from nginxcache.maphash import NGINX_DEFAULT_MAX_SIZE, build_size, fits_bucket, next_power_of_two, sizes_for

DEFAULT_BUCKET_SIZE = 64  # ngx_cacheline_size on x86-64
CACHE_LINE = 64
SIZE_DIRECTIVES = ("map_hash_max_size", "map_hash_bucket_size")


def _http_blocks(ctx: LintContext) -> list[Node]:
    return [node for node in ctx.tree.walk() if node.name == "http" and node.block is not None]


def _sizes(http: Node) -> Iterator[tuple[Node, int, int, list[Hit]]]:
    """Each map of the http block with the sizes nginx builds it with, and misplaced sizes."""
    sizes = {"map_hash_max_size": NGINX_DEFAULT_MAX_SIZE, "map_hash_bucket_size": DEFAULT_BUCKET_SIZE}
    set_at: dict[str, Node] = {}
    first_map: Node | None = None
    for node in http.children():
        if node.name in SIZE_DIRECTIVES:
            problems = []
            if node.name in set_at:
                problems.append(Hit(node, f'"{node.name}" directive is duplicate (first at {set_at[node.name].where}): nginx -t fails'))
            elif first_map is not None:
                problems.append(Hit(node, f'{node.name} after the first map ({first_map.where}): nginx -t fails with '
                                          f'"{node.name}" directive is duplicate; set it before every map'))
            else:
                set_at[node.name] = node
                if node.args and node.args[0].isdigit():
                    sizes[node.name] = int(node.args[0])
            if problems:
                yield node, 0, 0, problems
        elif node.name == "map" and node.block is not None:
            first_map = first_map or node
            bucket = -(-sizes["map_hash_bucket_size"] // CACHE_LINE) * CACHE_LINE
            yield node, sizes["map_hash_max_size"], bucket, []


def _key_bytes(ctx: LintContext, node: Node) -> list[bytes] | None:
    for definitions in ctx.maps.values():
        for definition in definitions:
            if definition.node is node:
                return None if definition.hostnames else definition.hash_keys
    return None


def _advice(keys: list[bytes]) -> str:
    max_size, bucket = sizes_for(len(keys), max(len(key) for key in keys))
    return f"set map_hash_max_size {max(max_size, next_power_of_two(len(keys)))}; map_hash_bucket_size {bucket}; before the first map"


@rule("NC114", Severity.ERROR, "map hash sizes nginx cannot build the map with (nginx -t fails)")
def map_hash_fails(ctx: LintContext) -> Iterator[Hit]:
    for http in _http_blocks(ctx):
        for node, _max_size, bucket, problems in _sizes(http):
            yield from problems
            if problems or node.name != "map":
                continue
            keys = _key_bytes(ctx, node)
            if keys and not fits_bucket(max(map(len, keys)), bucket):
                longest = max(keys, key=len)
                yield Hit(
                    node,
                    f"{node.show()}: key {longest.decode('utf-8', 'replace')!r} ({len(longest)} bytes) does not fit "
                    f"map_hash_bucket_size {bucket}: nginx -t fails (could not build map_hash); {_advice(keys)}",
                )


@rule("NC115", Severity.WARNING, "map hash sizes too small for the keys (nginx warns: could not build optimal map_hash)")
def map_hash_warns(ctx: LintContext) -> Iterator[Hit]:
    for http in _http_blocks(ctx):
        for node, max_size, bucket, problems in _sizes(http):
            if problems or node.name != "map":
                continue
            keys = _key_bytes(ctx, node)
            if keys and build_size(keys, max_size, bucket) == 0:
                yield Hit(
                    node,
                    f"{node.show()}: {len(keys)} keys do not fit map_hash_max_size {max_size} with "
                    f"map_hash_bucket_size {bucket}: nginx warns (could not build optimal map_hash) at every "
                    f"reload; {_advice(keys)}",
                )


@rule("NC116", Severity.ERROR, "map keys equal up to case (nginx -t fails: conflicting parameter)")
def map_keys_conflict(ctx: LintContext) -> Iterator[Hit]:
    for definitions in ctx.maps.values():
        for definition in definitions:
            if definition.keys_differ_in_case:
                continue
            seen: dict[str, Node] = {}
            for entry in definition.string_entries:
                lowered = entry.key.lower()
                if lowered in seen:
                    first = seen[lowered]
                    same = "the same key" if first.name == entry.node.name else "a key equal up to case"
                    yield Hit(
                        entry.node,
                        f'map ${definition.variable}: key "{entry.key}" repeats {same} (line {first.line}, '
                        f'"{first.name.lstrip(chr(92))}"): nginx compares string keys without case and fails with '
                        "conflicting parameter; use case-sensitive regex keys (\"~^/exact/path$\") to tell them apart",
                    )
                else:
                    seen[lowered] = entry.node


@rule("NC117", Severity.WARNING, "the same variable defined by two maps (the last silently wins)")
def map_defined_twice(ctx: LintContext) -> Iterator[Hit]:
    for variable, definitions in ctx.maps.items():
        for definition in definitions[1:]:
            first = definitions[0].node
            yield Hit(
                definition.node,
                f"map defines ${variable} again (first at {first.where}): nginx silently uses the last "
                "definition for every request; rename one of them",
            )
