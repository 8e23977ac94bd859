"""What nginx does at request time with a parsed tree: which location serves a URI, what a
block inherits, which Cache-Control `expires` and `add_header` send, what a map yields.

Each function mirrors the nginx source it names, so a rule can ask "what does this file
get?" instead of pattern-matching directives.
"""

from __future__ import annotations

import itertools
import posixpath
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property

from nginxcache.lint.tree import ConfigTree, Node

ONE_DAY = 86_400
_NGX_MAX_INT = 2**63 - 1
PASS_DIRECTIVES = frozenset({"proxy_pass", "fastcgi_pass", "uwsgi_pass", "scgi_pass", "grpc_pass", "memcached_pass"})
# Blocks that hold a location configuration, innermost to outermost.
_INHERITING = frozenset({"location", "if", "limit_except", "server", "http"})
_VARIABLE = re.compile(r"\$(?:\{([A-Za-z0-9_]+)\}|([A-Za-z0-9_]+))")
_MAX_COMBINATIONS = 256

# ---------------------------------------------------------------------------------------------
# Locations (ngx_http_core_module: ngx_http_core_location, ngx_http_core_find_location)


def location_spec(node: Node) -> tuple[str, str]:
    """(modifier, pattern): '=', '^~', '~', '~*', '@' or '' for a plain prefix."""
    if len(node.args) >= 2:
        return node.args[0], node.args[1]
    name = node.args[0] if node.args else ""
    if name.startswith("@"):
        return "@", name
    for modifier in ("=", "^~", "~*", "~"):
        if name.startswith(modifier) and len(name) > len(modifier):
            return modifier, name[len(modifier) :]
    return "", name


def is_regex(node: Node) -> bool:
    return node.name == "location" and not node.is_root and location_spec(node)[0] in ("~", "~*")


def is_prefix(node: Node) -> bool:
    return node.name == "location" and not node.is_root and location_spec(node)[0] in ("", "^~")


_REGEX_CACHE: dict[tuple[str, bool], re.Pattern[str] | None] = {}


def nginx_regex(pattern: str, caseless: bool = False) -> re.Pattern[str] | None:
    """A PCRE pattern as Python's re understands it, or None when it cannot be compiled."""
    key = (pattern, caseless)
    if key not in _REGEX_CACHE:
        converted = _pcre_to_python(pattern)
        try:
            _REGEX_CACHE[key] = re.compile(converted, re.IGNORECASE if caseless else 0)
        except (re.error, RecursionError, OverflowError):
            _REGEX_CACHE[key] = None
    return _REGEX_CACHE[key]


def _pcre_to_python(pattern: str) -> str:
    """The PCRE spellings Python's re lacks: (?<name>, (?'name', \\z, \\Z."""
    out: list[str] = []
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\" and i + 1 < len(pattern):
            pair = pattern[i : i + 2]
            out.append({"\\z": "\\Z", "\\Z": "(?=\\n?\\Z)", "\\h": "[ \\t]"}.get(pair, pair))
            i += 2
            continue
        named = re.match(r"\(\?(?:<([A-Za-z_]\w*)>|'([A-Za-z_]\w*)')", pattern[i:])
        if named:
            out.append(f"(?P<{named.group(1) or named.group(2)}>")
            i += named.end()
            continue
        out.append(char)
        i += 1
    return "".join(out)


def location_regex(node: Node) -> re.Pattern[str] | None:
    modifier, pattern = location_spec(node)
    return nginx_regex(pattern, modifier == "~*")


@dataclass(frozen=True, slots=True)
class _LocationIndex:
    """The locations directly in one block, sorted the way nginx tries them."""

    exact: dict[str, Node]  # the first of equal patterns wins
    prefixes: list[tuple[str, Node, bool]]  # (pattern, location, ^~), in file order
    regexes: list[tuple[re.Pattern[str], Node]]  # in file order, the uncompilable left out


def _location_index(block: Node) -> _LocationIndex:
    # Built once per block: the rules ask for hundreds of sample URIs per server.
    index = block.location_index
    if isinstance(index, _LocationIndex):
        return index
    exact: dict[str, Node] = {}
    prefixes: list[tuple[str, Node, bool]] = []
    regexes: list[tuple[re.Pattern[str], Node]] = []
    for location in block.children("location"):
        if location.block is None:
            continue
        modifier, pattern = location_spec(location)
        if modifier == "=":
            exact.setdefault(pattern, location)
        elif modifier in ("", "^~"):
            prefixes.append((pattern, location, modifier == "^~"))
        elif modifier in ("~", "~*"):
            compiled = location_regex(location)
            if compiled is not None:
                regexes.append((compiled, location))
    index = _LocationIndex(exact, prefixes, regexes)
    block.location_index = index
    return index


def find_location(server: Node, uri: str) -> Node:
    """The location nginx picks for `uri` in this server (the server itself when none
    matches): exact, then the longest prefix and the locations nested in it, then the
    regexes in order unless that prefix is `^~`; in a regex location that matches, the
    same again for the locations nested in it."""
    block, answer = server, server
    while True:  # a loop, not recursion: locations may nest 10^4 deep
        found, regex = _find(block, uri)
        if regex is None:
            return found if found is not None else answer
        block = answer = regex


def _find(block: Node, uri: str) -> tuple[Node | None, Node | None]:
    """(the location `block` gives `uri` without entering a regex location, None) or
    (None, the regex location that takes it: the answer is what that one gives)."""
    levels: list[tuple[Node | None, bool, list[tuple[re.Pattern[str], Node]]]] = []
    current = block
    while True:
        index = _location_index(current)
        exact = index.exact.get(uri)
        if exact is not None:
            return exact, None
        best: Node | None = None
        best_length, noregex = -1, False
        for pattern, location, stop in index.prefixes:
            if len(pattern) > best_length and uri.startswith(pattern):
                best, best_length, noregex = location, len(pattern), stop
        levels.append((best, noregex, index.regexes))
        if best is None:
            break
        current = best
    result: Node | None = None
    for best, noregex, regexes in reversed(levels):  # the innermost prefix first, as nginx returns
        if result is None:
            result = best
        if not noregex:
            for compiled, location in regexes:
                if compiled.search(uri):
                    return None, location
    return result, None


def servers(tree: ConfigTree) -> list[Node]:
    """Every http server { } (a file read in server context counts as one)."""
    found = []
    for node in tree.walk():
        if node.name != "server" or node.block is None:
            continue
        if node.is_root or (node.parent is not None and node.parent.name == "http"):
            found.append(node)
    return found


def enclosing_server(node: Node) -> Node | None:
    for candidate in (node, *node.ancestors()):
        if candidate.name == "server" and candidate.block is not None:
            return candidate
    return None


def blocks_of(server: Node) -> Iterator[Node]:
    """The server and every location in it, nested ones too."""
    yield server
    for node in server.walk():
        if node.name == "location" and node.block is not None:
            yield node


# ---------------------------------------------------------------------------------------------
# Inheritance (the merge_loc_conf functions: an inner block inherits what it does not set)


def chain(node: Node) -> list[Node]:
    """The block and the blocks it inherits from, innermost first, up to http."""
    blocks = [node]
    for ancestor in node.ancestors():
        if ancestor.name in _INHERITING:
            blocks.append(ancestor)
        if ancestor.name == "http":
            break
    return blocks


def nearest(block: Node, *names: str) -> Node | None:
    """The directive in effect in `block`: its own, else the nearest enclosing block's."""
    found = nearest_all(block, *names)
    return found[0] if found else None


def nearest_all(block: Node, *names: str) -> list[Node]:
    """All such directives of the innermost block that has any (add_header, error_page...).

    Remembered on each block of the chain walked (its own chain is the rest of this one):
    asked for every block, locations nested 10^4 deep would cost depth squared.
    """
    walked: list[Node] = []
    found: list[Node] = []
    for candidate in chain_iter(block):
        known = candidate.inherited.get(names) if candidate.inherited is not None else None
        if known is not None:
            found = known
            break
        walked.append(candidate)
        own = candidate.children(*names)
        if own:
            found = own
            break
    for candidate in walked:
        if candidate.inherited is None:
            candidate.inherited = {}
        candidate.inherited[names] = found
    return found


def chain_iter(node: Node) -> Iterator[Node]:
    """chain(node), lazily: a search that stops early does not walk up to http."""
    yield node
    for ancestor in node.ancestors():
        if ancestor.name in _INHERITING:
            yield ancestor
        if ancestor.name == "http":
            return


def effective_headers(block: Node) -> list[Node]:
    """The add_header lines nginx applies in `block`: the innermost block's that has any
    (a block with add_header drops all of the enclosing ones), unless add_header_inherit
    merge (nginx >= 1.29.3)."""
    own = nearest_all(block, "add_header")
    if not own:
        return []
    holder = own[0].parent
    assert holder is not None
    mode = nearest(holder, "add_header_inherit")
    if mode is not None and mode.args and mode.args[0].lower() == "merge":
        outer = next(itertools.islice(chain_iter(holder), 1, None), None)
        if outer is not None:
            return own + effective_headers(outer)
    return own


def _inherit_mode(blocks: list[Node]) -> str:
    for candidate in blocks:
        own = candidate.children("add_header_inherit")
        if own and own[0].args:
            return own[0].args[0].lower()
    return "on"


def serving_problem(target: Node) -> str | None:
    """Why nginx does not answer with a static file in this block, or None when it does."""
    if target.name == "location":
        for child in target.children():
            if child.name in PASS_DIRECTIVES:
                return f"it is passed upstream ({child.name})"
            if child.name == "return":
                return "it returns"
            if child.name == "internal":
                return "it is internal"
    server = enclosing_server(target)
    if server is not None and server.children("return"):
        return "the server returns for every request"
    rules = nearest_all(target, "allow", "deny")
    if any(rule.name == "deny" and rule.args == ("all",) for rule in rules):
        return "access is denied (deny all)"
    return None


# ---------------------------------------------------------------------------------------------
# expires (ngx_http_headers_filter_module: ngx_http_parse_expires, core ngx_parse_time)


@dataclass(frozen=True, slots=True)
class Expires:
    kind: str  # off, epoch, max, access, modified, daily
    seconds: int = 0

    @property
    def sends(self) -> bool:
        return self.kind != "off"

    @property
    def long_lived(self) -> bool:
        return self.kind == "max" or (self.kind in ("access", "modified") and self.seconds >= ONE_DAY)


def parse_time(text: str) -> int | None:
    """ngx_parse_time(is_sec=1): '1y2M3w4d5h6m7s', each unit once and in this order."""
    order = {"y": 1, "M": 2, "w": 3, "d": 4, "h": 5, "m": 6, "s": 7, " ": 9}
    scales = {"y": 31_536_000, "M": 2_592_000, "w": 604_800, "d": 86_400, "h": 3_600, "m": 60, "s": 1, " ": 1}
    step = 0
    value = total = 0
    valid = False
    i = 0
    while i < len(text):
        char = text[i]
        i += 1
        if "0" <= char <= "9":
            value = value * 10 + int(char)
            if value > _NGX_MAX_INT:
                return None
            valid = True
            continue
        if char == "m" and i < len(text) and text[i] == "s":
            return None  # milliseconds: not for seconds values
        if char not in order:
            return None
        if step >= (order["s"] if char == " " else order[char]):
            return None
        step = order[char]
        if value > _NGX_MAX_INT // scales[char]:
            return None
        value *= scales[char]
        if total > _NGX_MAX_INT - value:
            return None
        total += value
        value = 0
        while i < len(text) and text[i] == " ":
            i += 1
    if not valid or total > _NGX_MAX_INT - value:
        return None
    return total + value


def parse_expires(value: str, *, modified: bool = False) -> Expires | str:
    """An `expires` time as nginx reads it, or nginx's complaint about it."""
    if not modified and value in ("epoch", "max", "off"):
        return Expires(value)
    kind = "modified" if modified else "access"
    minus = False
    if value.startswith("@"):
        if modified:
            return 'daily time cannot be used with "modified" parameter'
        value, kind = value[1:], "daily"
    elif value.startswith("+"):
        value = value[1:]
    elif value.startswith("-"):
        value, minus = value[1:], True
    seconds = parse_time(value)
    if seconds is None:
        return "invalid value"
    if kind == "daily" and seconds > ONE_DAY:
        return "daily time value must be less than 24 hours"
    return Expires(kind, -seconds if minus else seconds)


def expires_problem(args: tuple[str, ...]) -> str | None:
    """What nginx says about a literal `expires` directive, or None when it accepts it."""
    if len(args) == 2 and args[0] != "modified":
        return "invalid value"
    value = args[-1] if args else ""
    if "$" in value:
        return None
    parsed = parse_expires(value, modified=len(args) == 2)
    return parsed if isinstance(parsed, str) else None


# ---------------------------------------------------------------------------------------------
# Cache-Control values


def cache_control_long_lived(value: str) -> bool:
    """Cached for a day or more without revalidation: immutable, or max-age >= 1 day."""
    parts = [part.strip().lower() for part in value.split(",")]
    if any(part in ("no-store", "no-cache") or part.startswith("no-cache=") for part in parts):
        return False
    if "immutable" in parts:
        return True
    for part in parts:
        found = re.fullmatch(r'(?:s-)?max-age\s*=\s*"?(\d+)"?', part)
        if found and int(found.group(1)) >= ONE_DAY:
            return True
    return False


# ---------------------------------------------------------------------------------------------
# Maps and variables (ngx_http_map_module)


@dataclass(eq=False, slots=True)
class MapEntry:
    key: str
    value: str
    node: Node
    regex: re.Pattern[str] | None = None
    is_regex: bool = False


@dataclass(eq=False)
class MapDef:
    node: Node
    source: str
    variable: str
    entries: list[MapEntry] = field(default_factory=list)
    default: MapEntry | None = None
    hostnames: bool = False
    exact: dict[str, MapEntry] = field(default_factory=dict)
    regexes: list[MapEntry] = field(default_factory=list)  # tried in order after the exact keys

    @property
    def string_entries(self) -> list[MapEntry]:
        return [entry for entry in self.entries if not entry.is_regex]

    @property
    def keys_differ_in_case(self) -> bool:
        """Whether every string key differs from the others even ignoring case (nginx compares
        them without case: two that do not are refused)."""
        return len(self.exact) == len(self.entries) - len(self.regexes)

    @cached_property
    def hash_keys(self) -> list[bytes]:
        """The string keys nginx builds the map's hash from, as bytes; of keys equal up to case
        (refused anyway) one, in the first one's place with the last one's spelling."""
        if self.keys_differ_in_case:
            keys = [entry.key for entry in self.exact.values()]  # the same, without a second table
        else:
            keys = list({entry.key.lower(): entry.key for entry in self.string_entries}.values())
        return [key.encode("utf-8") for key in keys]


def read_maps(tree: ConfigTree) -> dict[str, list[MapDef]]:
    """Every map of the tree by the variable it defines (without '$'), in file order."""
    maps: dict[str, list[MapDef]] = {}
    for node in tree.walk():
        if node.name != "map" or node.block is None or len(node.args) != 2:
            continue
        variable = node.args[1][1:] if node.args[1].startswith("$") else node.args[1]
        definition = MapDef(node=node, source=node.args[0], variable=variable)
        for child in node.block:
            if child.name in ("hostnames", "volatile") and not child.args:
                definition.hostnames |= child.name == "hostnames"
                continue
            if len(child.args) != 1:
                continue
            value = child.args[0]
            if child.name == "default":
                definition.default = MapEntry("default", value, child)
                continue
            key = child.name
            if key.startswith("\\"):
                entry = MapEntry(key[1:], value, child)
            elif key.startswith("~"):
                caseless = key.startswith("~*")
                pattern = key[2:] if caseless else key[1:]
                entry = MapEntry(key, value, child, nginx_regex(pattern, caseless), True)
            else:
                entry = MapEntry(key, value, child)
            definition.entries.append(entry)
            if entry.is_regex:
                definition.regexes.append(entry)
            else:
                lowered = entry.key.lower()  # the key itself when it is lower case: one string a key, not two
                definition.exact.setdefault(entry.key if lowered == entry.key else lowered, entry)
        maps.setdefault(variable, []).append(definition)
    return maps


def variables_in(expression: str) -> list[str]:
    return [braced or plain for braced, plain in _VARIABLE.findall(expression)]


class Evaluator:
    """Values of nginx expressions for a request URI, as far as the config determines them:
    $uri, maps of maps, and $sent_http_content_type from the file extension."""

    def __init__(self, maps: dict[str, list[MapDef]]) -> None:
        self.maps = maps

    def value(self, expression: str, uri: str, depth: int = 0) -> str | None:
        """The expression's value for a GET of `uri`, or None when it depends on more."""
        if "$" not in expression:
            return expression
        if depth > 16:
            return None
        out: list[str] = []
        last = 0
        for found in _VARIABLE.finditer(expression):
            out.append(expression[last : found.start()])
            name = found.group(1) or found.group(2)
            resolved = self._variable(name, uri, depth)
            if resolved is None:
                return None
            out.append(resolved)
            last = found.end()
        out.append(expression[last:])
        return "".join(out)

    def _variable(self, name: str, uri: str, depth: int) -> str | None:
        if name in ("uri", "document_uri"):
            return uri
        if name == "sent_http_content_type":
            return content_type(uri)
        definitions = self.maps.get(name)
        if not definitions:
            return None
        definition = definitions[-1]  # two maps for one variable: the last wins
        if definition.hostnames:
            return None
        source = self.value(definition.source, uri, depth + 1)
        if source is None:
            return None
        entry = definition.exact.get(source.lower())
        if entry is None:
            for candidate in definition.regexes:
                if candidate.regex is None:
                    return None
                if candidate.regex.search(source):
                    entry = candidate
                    break
        if entry is None:
            entry = definition.default
        if entry is None:
            return ""
        if entry.is_regex and _has_capture_reference(entry.value):
            return None
        return self.value(entry.value, uri, depth + 1)

    def possible(self, expression: str, depth: int = 0) -> frozenset[str] | None:
        """Every value the expression can take, or None when that is not known."""
        if "$" not in expression:
            return frozenset([expression])
        if depth > 16:
            return None
        pieces: list[frozenset[str]] = []
        last = 0
        for found in _VARIABLE.finditer(expression):
            pieces.append(frozenset([expression[last : found.start()]]))
            name = found.group(1) or found.group(2)
            values = self._possible_variable(name, depth)
            if values is None:
                return None
            pieces.append(values)
            last = found.end()
        pieces.append(frozenset([expression[last:]]))
        total = 1
        for piece in pieces:
            total *= max(1, len(piece))
            if total > _MAX_COMBINATIONS:
                return None
        return frozenset("".join(combo) for combo in itertools.product(*pieces))

    def _possible_variable(self, name: str, depth: int) -> frozenset[str] | None:
        definitions = self.maps.get(name)
        if not definitions:
            return None
        definition = definitions[-1]
        values: set[str] = set()
        entries = [*definition.entries, *([definition.default] if definition.default else [])]
        for entry in entries:
            if entry.is_regex and _has_capture_reference(entry.value):
                return None
            found = self.possible(entry.value, depth + 1)
            if found is None:
                return None
            values |= found
        if definition.default is None:
            values.add("")
        return frozenset(values)

    def feeding_maps(self, expression: str, depth: int = 0) -> Iterator[MapDef]:
        """The maps whose values reach this expression (through maps of maps); a variable
        defined twice yields both definitions."""
        if depth > 16:
            return
        for name in variables_in(expression):
            for definition in self.maps.get(name, ()):
                yield definition
                for entry in [*definition.entries, *([definition.default] if definition.default else [])]:
                    yield from self.feeding_maps(entry.value, depth + 1)


def _has_capture_reference(value: str) -> bool:
    return bool(re.search(r"\$(?:\{\d+\}|\d)", value))


# nginx's mime.types for what static sites serve (Debian's /etc/nginx/mime.types).
_TYPES = {
    "html": "text/html", "htm": "text/html", "shtml": "text/html", "css": "text/css", "xml": "text/xml",
    "gif": "image/gif", "jpeg": "image/jpeg", "jpg": "image/jpeg", "js": "application/javascript",
    "mjs": "application/javascript", "atom": "application/atom+xml", "rss": "application/rss+xml",
    "txt": "text/plain", "png": "image/png", "svg": "image/svg+xml", "svgz": "image/svg+xml",
    "webp": "image/webp", "avif": "image/avif", "ico": "image/x-icon", "json": "application/json",
    "webmanifest": "application/manifest+json", "woff": "font/woff", "woff2": "font/woff2",
    "ttf": "font/ttf", "otf": "font/otf", "eot": "application/vnd.ms-fontobject", "pdf": "application/pdf",
    "wasm": "application/wasm", "mp4": "video/mp4", "webm": "video/webm", "mp3": "audio/mpeg",
    "map": "application/octet-stream", "zip": "application/zip", "gz": "application/octet-stream",
}


def content_type(uri: str) -> str:
    extension = posixpath.splitext(uri)[1][1:].lower()
    return _TYPES.get(extension, "application/octet-stream")


# ---------------------------------------------------------------------------------------------
# What a response carries


@dataclass(frozen=True)
class Caching:
    """The caching headers of a 200 response from one block (for one URI, or all possible)."""

    expires: Node | None
    expires_values: frozenset[str] | None  # None: not known
    cache_controls: tuple[tuple[Node, frozenset[str] | None], ...]
    expires_header: bool  # an add_header Expires

    def _expires_parsed(self) -> list[Expires] | None:
        if self.expires is None:
            return []
        if self.expires_values is None:
            return None
        modified = len(self.expires.args) == 2
        parsed = [parse_expires(value, modified=modified) for value in self.expires_values]
        return [item for item in parsed if isinstance(item, Expires)]

    @property
    def expires_sends(self) -> bool:
        parsed = self._expires_parsed()
        return parsed is None or any(item.sends for item in parsed)

    @property
    def long_lived(self) -> bool:
        """Some response may be cached a day or more (as far as the values are known)."""
        parsed = self._expires_parsed() or []
        if any(item.long_lived for item in parsed):
            return True
        return any(values is not None and any(cache_control_long_lived(v) for v in values) for _, values in self.cache_controls)

    def long_lived_sources(self) -> list[Node]:
        """The expires or add_header directives that give long-lived caching."""
        found = [self.expires] if self.expires is not None and any(item.long_lived for item in self._expires_parsed() or []) else []
        found += [node for node, values in self.cache_controls if values and any(cache_control_long_lived(v) for v in values)]
        return found

    @property
    def short_lived(self) -> bool:
        """Every response is known to revalidate or expire within a day (or has no header)."""
        parsed = self._expires_parsed()
        if parsed is None or any(values is None for _, values in self.cache_controls):
            return False
        return not self.long_lived

    @property
    def explicit(self) -> bool:
        """Freshness set by the config (else browsers cache heuristically)."""
        if self.expires_header or self.expires_sends and self.expires is not None:
            return True
        return any(values is None or any(values) for _, values in self.cache_controls)

    def describe(self, near: Node | None = None) -> str:
        parts = []
        if self.expires is not None and self.expires_sends:
            parts.append(f"{self.expires.show()} at {_at(self.expires, near)}")
        for node, values in self.cache_controls:
            shown = sorted(values)[0] if values and len(values) == 1 else node.args[1] if len(node.args) > 1 else ""
            parts.append(f'Cache-Control "{shown}" (add_header at {_at(node, near)})')
        return "; ".join(parts) if parts else "no caching headers"


def _at(node: Node, near: Node | None) -> str:
    return f"line {node.line}" if near is not None and near.file == node.file else node.where


def caching_at(block: Node, evaluator: Evaluator, uri: str | None = None) -> Caching:
    """The caching headers `block` puts on a 200 response (for `uri`, or all possible)."""

    def values(expression: str) -> frozenset[str] | None:
        if uri is None:
            return evaluator.possible(expression)
        value = evaluator.value(expression, uri)
        if value is not None:
            return frozenset([value])
        # It depends on more than the URI ($arg_v in Nextcloud's `max-age=15778463$asset_immutable`):
        # when every value it can take is long-lived, so is this response, whatever the rest.
        possible = evaluator.possible(expression)
        if possible and all(cache_control_long_lived(option) for option in possible):
            return possible
        return None

    expires = nearest(block, "expires")
    expires_values = values(expires.args[-1]) if expires is not None and expires.args else None
    headers = effective_headers(block)
    cache_controls = tuple(
        (header, values(header.args[1]) if len(header.args) > 1 else frozenset({""}))
        for header in headers
        if header.args and header.args[0].lower() == "cache-control"
    )
    expires_header = any(header.args and header.args[0].lower() == "expires" for header in headers)
    return Caching(expires, expires_values, cache_controls, expires_header)


def describe_uris(uris: Iterable[str], limit: int = 3) -> str:
    listed = sorted(uris)
    shown = ", ".join(listed[:limit])
    more = len(listed) - limit
    return f"{shown} and {more} more" if more > 0 else shown


def regex_syntax(pattern: str) -> Iterator[tuple[int, str]]:
    """(index, character) of a regex's own syntax: what is neither escaped (`\\x`) nor inside a
    character class (`[...]`, a `]` first in it included)."""
    i, in_class = 0, False
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            i += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
            if pattern[i + 1 : i + 2] == "]":
                i += 1  # a literal ] first in a class
        else:
            yield i, char
        i += 1


def dead_end(pattern: str) -> int | None:
    """The index of an end anchor (`$`, outside a class and unescaped) that characters must
    follow: `\\.php$/` can match no URI. None when there is none."""
    for i, char in regex_syntax(pattern):
        if char == "$" and pattern[i + 1 :] and not re.match(r"[)|$]", pattern[i + 1 :]):
            return i
    return None


def never_matches(node: Node) -> bool:
    """A location no URI can match: a regex with text after its end anchor (dead_end), or a
    prefix or exact location that does not start with '/' (`location (^/SOGo/...)`)."""
    if node.name != "location" or node.is_root:
        return False
    modifier, pattern = location_spec(node)
    if modifier in ("", "^~", "="):
        return not pattern.startswith("/")
    return is_regex(node) and dead_end(pattern) is not None
