"""Live check of a deployed site: request every file the manifests name and report each
response whose caching headers break the policy that `render` writes.

Building the checks and judging the answers are pure; only `run` talks HTTP (standard
library only: sockets, ssl and a bounded ThreadPoolExecutor).
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

from nginxcache import __version__
from nginxcache.errors import ExitCode, NginxcacheError, UsageError
from nginxcache.model import Classification
from nginxcache.policy import RenderOptions, answer

if TYPE_CHECKING:
    import ssl
    from concurrent.futures import Future

# ssl and concurrent.futures are imported where a probe runs: every other
# command (a render before each deploy) would pay for them at start.

# "Could not connect": until errors.ExitCode has UNREACHABLE, the same number lives here.
UNREACHABLE = int(getattr(ExitCode, "UNREACHABLE", 6))
MAX_CONCURRENCY = 64
BODY_LIMIT = 256 * 1024  # read (and keep the connection) up to this; close beyond
ONE_DAY = 86_400
ENCODINGS = "gzip, br"


class UnreachableError(NginxcacheError):
    """No TCP (or TLS) connection to BASE_URL at all: nothing was checked."""

    exit_code = UNREACHABLE  # type: ignore[assignment]


class RequestFailed(Exception):
    """One request got no HTTP answer (timeout, reset, TLS error)."""


@dataclass(frozen=True, slots=True)
class Origin:
    scheme: str  # http or https
    host: str
    port: int

    @property
    def netloc(self) -> str:
        """host[:port] as in a URL and the Host header: the default port left out."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        return host if self.port == default else f"{host}:{self.port}"

    def url(self, target: str) -> str:
        return f"{self.scheme}://{self.netloc}{target}"


def parse_base_url(text: str) -> Origin:
    """BASE_URL is the site's origin; --prefix says where the files are below it."""
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"BASE_URL {text!r}: give http://HOST[:PORT] or https://HOST[:PORT]")
    if parts.username is not None or parts.password is not None:
        raise UsageError(f"BASE_URL {text!r}: credentials in the URL are not supported")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise UsageError(f"BASE_URL {text!r} is the site's origin: drop the path (--prefix says where the files are)")
    try:
        port = parts.port
    except ValueError:
        raise UsageError(f"BASE_URL {text!r}: the port is not a number from 0 to 65535") from None
    try:
        parts.hostname.encode("idna")  # what the resolver and the Host header need
    except UnicodeError as exc:
        reason = str(exc).rpartition("UnicodeError: ")[2].rstrip(")")
        raise UsageError(f"BASE_URL {text!r}: {parts.hostname!r} is not a valid host name ({reason})") from None
    return Origin(parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80))


class Expect(StrEnum):
    HASHED = "hashed"  # 200 with exactly the long-lived immutable Cache-Control
    UNHASHED = "unhashed"  # 200, revalidated: a conditional GET gets 304
    DENIED = "denied"  # the rendered config answers 404 (build manifests, dotfiles)
    MISSING = "missing"  # a hashed-looking name that does not exist: a plain 404


@dataclass(frozen=True, slots=True)
class Check:
    uri: str  # decoded $uri
    target: str  # request target: percent-encoded path, raw query
    expect: Expect
    cache_control: str  # what the policy sends on 200/304; "" when not served
    why: str


@dataclass(frozen=True, slots=True)
class Violation:
    url: str
    uri: str
    request: str  # which request showed it: HEAD, GET If-None-Match, GET Accept-Encoding
    kind: str  # short stable name, e.g. cache-control-count
    problem: str
    status: int | None  # None: no answer at all


@dataclass(frozen=True, slots=True)
class Reply:
    status: int
    headers: tuple[tuple[str, str], ...]

    def all(self, name: str) -> list[str]:
        return [value for key, value in self.headers if key.lower() == name.lower()]


@dataclass(frozen=True, slots=True)
class Report:
    checked: int
    requests: int
    violations: list[Violation]


Fetch = Callable[[str, str, Mapping[str, str]], Reply]


def request_path(uri: str, query: str = "") -> str:
    """The request target for a decoded URI: every byte outside unreserved characters escaped."""
    path = quote(uri.encode("utf-8", "surrogateescape"), safe="/-._~")
    return f"{path}?{query}" if query else path


def missing_uri(classification: Classification, options: RenderOptions) -> str:
    """A name shaped like a hashed output beside a real one, that no build produces."""
    if classification.hashed_uris:
        directory, _, name = classification.hashed_uris[0].rpartition("/")
        return f"{directory}/nginxcache-missing-{name}"
    return f"{options.prefix}nginxcache-missing.0123456789ab.js"


def build_checks(classification: Classification, options: RenderOptions) -> list[Check]:
    """Every file the manifests name (hashed and listed unhashed), every file of a local
    --root tree, the manifests themselves, and one missing hashed-looking name."""
    targets: dict[tuple[str, str], None] = {}
    for uri in (*classification.hashed_uris, *classification.unhashed_evidence, *classification.denied_uris):
        targets[(uri, "")] = None
    for uri, query in classification.versioned:
        targets[(uri, query)] = None
        targets[(uri, "")] = None
    for uri in classification.tree_uris or ():
        targets[(uri, "")] = None
    checks = []
    for uri, query in sorted(targets):
        if not uri.startswith(options.prefix) or uri.endswith("/"):
            continue
        target = request_path(uri, query)
        result = answer(target, classification, options)
        if not result.served:
            checks.append(Check(uri, target, Expect.DENIED, "", result.why))
            continue
        cache_control = dict(result.headers)["Cache-Control"]
        checks.append(Check(uri, target, Expect.HASHED if result.hashed else Expect.UNHASHED, cache_control, result.why))
    missing = missing_uri(classification, options)
    checks.append(Check(missing, request_path(missing), Expect.MISSING, "", "a hashed-looking name no build produced"))
    return checks


# --- judging answers (pure) -------------------------------------------------------------


def directives(values: Sequence[str]) -> list[tuple[str, str | None]]:
    """Cache-Control directives of all the given header values, as a cache combines them."""
    found: list[tuple[str, str | None]] = []
    for value in values:
        for part in value.split(","):
            name, eq, argument = part.strip().partition("=")
            if name.strip():
                found.append((name.strip().lower(), argument.strip().strip('"') if eq else None))
    return found


def longest_age(found: Sequence[tuple[str, str | None]]) -> int | None:
    """The longest max-age / s-maxage: what the most generous cache on the way may keep."""
    ages = [int(arg) for name, arg in found if name in ("max-age", "s-maxage") and arg is not None and arg.isdigit()]
    return max(ages) if ages else None


def _shown(values: Sequence[str]) -> str:
    return ", ".join(json.dumps(v) for v in values) if values else "none"


def _normalised(value: str) -> list[str]:
    return sorted(name if arg is None else f"{name}={arg}" for name, arg in directives([value]))


def unhashed_problem(values: Sequence[str], allowed: str) -> str | None:
    """Why these Cache-Control values cache a file that changes in place for too long, or None."""
    found = directives(values)
    names = {name for name, _ in found}
    limit = longest_age(directives([allowed])) or 0
    allowed_text = "no-cache" if limit == 0 else f"at most max-age={limit}"
    if "immutable" in names:
        return f"not content-hashed, but Cache-Control {_shown(values)} is immutable: browsers keep the old file after a deploy"
    if names & {"no-cache", "no-store"}:
        return None
    age = longest_age(found)
    if age is None:
        return (
            f"not content-hashed, and Cache-Control {_shown(values)} has neither max-age nor no-cache: "
            f"browsers cache it for a heuristic time without asking (expected {allowed_text})"
        )
    if age > limit:
        return f"not content-hashed, but Cache-Control {_shown(values)} caches it {age} s without revalidation (expected {allowed_text})"
    return None


def probe_check(check: Check, fetch: Fetch, origin: Origin) -> tuple[int, list[Violation]]:
    """Run the requests one check needs; (requests made, violations found)."""
    url = origin.url(check.target)
    found: list[Violation] = []
    made = 0

    def flag(request: str, kind: str, problem: str, reply: Reply | None) -> None:
        found.append(Violation(url, check.uri, request, kind, problem, reply.status if reply else None))

    def get(request: str, method: str, headers: Mapping[str, str]) -> Reply | None:
        nonlocal made
        made += 1
        try:
            return fetch(method, check.target, headers)
        except RequestFailed as exc:
            flag(request, "no-response", f"{request}: no answer: {exc}", None)
            return None

    head = get("HEAD", "HEAD", {})
    if head is None:
        return made, found
    cache_control = head.all("Cache-Control")

    if check.expect is Expect.MISSING:
        if head.status != 404:
            flag("HEAD", "missing-status", f"a missing hashed-looking name answered {head.status}, not 404 "
                 f"(Cache-Control {_shown(cache_control)})", head)
        found_directives = directives(cache_control)
        age = longest_age(found_directives)
        if any(name == "immutable" for name, _ in found_directives):
            flag("HEAD", "missing-immutable", f"{head.status} for a missing file with Cache-Control {_shown(cache_control)}: "
                 "immutable on a miss, a CDN may keep it for good", head)
        elif age is not None and age > ONE_DAY:
            flag("HEAD", "missing-long-lived", f"{head.status} for a missing file cached {age} s "
                 f"(Cache-Control {_shown(cache_control)})", head)
        return made, found

    if check.expect is Expect.DENIED:
        if head.status < 400:
            flag("HEAD", "denied-served", f"answered {head.status}, expected 404 ({check.why.removesuffix(': 404')})", head)
        return made, found

    if head.status != 200:
        flag("HEAD", "status", f"answered {head.status}, expected 200", head)
        return made, found
    if not cache_control:
        expected = json.dumps(check.cache_control)
        flag("HEAD", "cache-control-count", f"no Cache-Control header, expected {expected}" if check.expect is Expect.HASHED
             else f"no Cache-Control header: browsers cache it for a heuristic time (expected {expected})", head)
    elif len(cache_control) > 1:
        flag("HEAD", "cache-control-count", f"{len(cache_control)} Cache-Control headers ({_shown(cache_control)}), "
             "expected exactly one", head)
    if check.expect is Expect.HASHED:
        if len(cache_control) == 1 and _normalised(cache_control[0]) != _normalised(check.cache_control):
            flag("HEAD", "hashed-cache-control", f"content-hashed, but Cache-Control {_shown(cache_control)}, "
                 f"expected {json.dumps(check.cache_control)}", head)
    else:
        problem = unhashed_problem(cache_control, check.cache_control) if cache_control else None
        if problem:
            flag("HEAD", "unhashed-long-lived", problem, head)
        etag, last_modified = head.all("ETag"), head.all("Last-Modified")
        if not etag and not last_modified:
            flag("HEAD", "no-validator", "no ETag or Last-Modified: it cannot be revalidated, every use downloads it again", head)
        else:
            validator = {"If-None-Match": etag[0]} if etag else {"If-Modified-Since": last_modified[0]}
            request = f"GET {next(iter(validator))}"
            again = get(request, "GET", validator)
            if again is not None and again.status != 304:
                flag(request, "no-304", f"conditional GET ({request[4:]}: {json.dumps(next(iter(validator.values())))}) "
                     f"answered {again.status}, not 304", again)
            elif again is not None and again.all("Cache-Control") != cache_control:
                flag(request, "304-cache-control", f"the 304 sends Cache-Control {_shown(again.all('Cache-Control'))}, "
                     f"the 200 {_shown(cache_control)}", again)

    request = "GET Accept-Encoding"
    encoded = get(request, "GET", {"Accept-Encoding": ENCODINGS})
    if encoded is None:
        return made, found
    if encoded.status != 200:
        flag(request, "status", f"GET with Accept-Encoding: {ENCODINGS} answered {encoded.status}, expected 200", encoded)
        return made, found
    encodings = [v for v in encoded.all("Content-Encoding") if v.strip().lower() not in ("", "identity")]
    if encodings:
        vary = {token.strip().lower() for value in encoded.all("Vary") for token in value.split(",")}
        if not vary & {"accept-encoding", "*"}:
            flag(request, "vary-missing", f"Content-Encoding {_shown(encodings)} without Vary: Accept-Encoding: "
                 "a shared cache may give the encoded body to clients that cannot read it", encoded)
        if encoded.all("Cache-Control") != cache_control:
            flag(request, "encoded-cache-control", f"the encoded response sends Cache-Control "
                 f"{_shown(encoded.all('Cache-Control'))}, the plain one {_shown(cache_control)}", encoded)
    return made, found


# --- HTTP ------------------------------------------------------------------------------
#
# A small HTTP/1.1 client on the socket, not http.client: its timeout is per recv (a server
# sending a byte a second never trips it), it skips `100 Continue` for as long as a server
# sends them, and it takes `103 Early Hints` for the final answer. Here one deadline covers a
# whole request (connect, TLS handshake, sending, every interim response, the response
# head and the body read), and every part of an answer has a size limit.

MAX_HEAD_BYTES = 64 * 1024  # one response head; real ones are a few KiB
MAX_HEADER_LINES = 100  # http.client's limit too
MAX_INTERIM = 8  # 1xx responses before the final one (100 Continue, 103 Early Hints)
MAX_CHUNK_LINE = 1024
RECV_SIZE = 64 * 1024
HTTP_PREFIX = b"HTTP/1."
WHITESPACE = b" \t"


class ServerClosed(RequestFailed):
    """The server closed the connection before the response was complete."""


class Deadline:
    """The end of one request. Every socket operation waits only for the time left, so a
    server that keeps each recv busy with a byte at a time cannot stretch the request."""

    __slots__ = ("ends", "timeout")

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self.ends = time.monotonic() + timeout

    def expired(self, phase: str) -> RequestFailed:
        return RequestFailed(f"timed out after {self.timeout:g} s {phase}")

    def arm(self, sock: socket.socket, phase: str) -> None:
        remaining = self.ends - time.monotonic()
        if remaining <= 0:
            raise self.expired(phase)
        sock.settimeout(remaining)


def describe(exc: BaseException, timeout: float | None = None) -> str:
    if isinstance(exc, RequestFailed):
        return str(exc)
    if isinstance(exc, TimeoutError):
        return f"timed out after {timeout:g} s" if timeout is not None else "timed out"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, ConnectionResetError):
        return "connection reset by the server"
    if isinstance(exc, socket.gaierror):
        return f"host name not resolved ({exc.strerror})"
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _excerpt(data: bytes | bytearray) -> str:
    """The start of what a server sent, safe to print on one line."""
    return repr(bytes(data[:40]))


# family, type, protocol, socket address: what socket() and connect() take.
Address = tuple[int, int, int, Any]


def resolve(origin: Origin) -> list[Address]:
    """The origin's addresses. The system resolver has no deadline of its own: looked up once
    per run (and once by check_reachable), not once per connection."""
    return [(family, kind, proto, address) for family, kind, proto, _, address in
            socket.getaddrinfo(origin.host, origin.port, type=socket.SOCK_STREAM)]


def open_connection(
    origin: Origin,
    addresses: Sequence[Address],
    deadline: Deadline,
    tls: ssl.SSLContext | None,
) -> socket.socket:
    """A connected socket (TLS done for https) to the first address that answers in time."""
    failure: OSError = OSError("no address to connect to")
    for family, kind, proto, address in addresses:
        sock = socket.socket(family, kind, proto)
        try:
            deadline.arm(sock, "connecting")
            sock.connect(address)
        except TimeoutError:
            sock.close()
            raise deadline.expired("connecting") from None
        except OSError as exc:
            sock.close()
            failure = exc
            continue
        except BaseException:
            sock.close()
            raise
        break
    else:
        raise failure
    if tls is None:
        return sock
    try:
        # CPython bounds the whole handshake by the socket's timeout, not each recv in it.
        deadline.arm(sock, "in the TLS handshake")
        return tls.wrap_socket(sock, server_hostname=origin.host)
    except TimeoutError:
        sock.close()
        raise deadline.expired("in the TLS handshake") from None
    except BaseException:
        sock.close()
        raise


class Wire:
    """One open connection: its socket and the bytes received but not yet read."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buffer = bytearray()
        self.received = 0  # bytes of the current request's answer; 0: no answer yet

    def send(self, data: bytes, deadline: Deadline) -> None:
        view = memoryview(data)
        while view:
            deadline.arm(self.sock, "sending the request")
            try:
                sent = self.sock.send(view)
            except TimeoutError:
                raise deadline.expired("sending the request") from None
            view = view[sent:]

    def fill(self, deadline: Deadline, part: str) -> None:
        phase = f"reading the {part}" if self.received else "waiting for an answer"
        deadline.arm(self.sock, phase)
        try:
            data = self.sock.recv(RECV_SIZE)
        except TimeoutError:
            raise deadline.expired(phase) from None
        if not data:
            where = f"in the middle of the {part}" if self.received else "without an answer"
            raise ServerClosed(f"the server closed the connection {where}")
        self.received += len(data)
        self.buffer += data

    def line(self, deadline: Deadline, limit: int, part: str, too_long: str) -> bytes:
        """One line, without its CRLF (or bare LF), of at most `limit` bytes."""
        start = 0
        while (end := self.buffer.find(b"\n", start, limit + 1)) < 0:
            if len(self.buffer) > limit:
                raise RequestFailed(too_long)
            start = len(self.buffer)
            self.fill(deadline, part)
        line = bytes(self.buffer[:end]).removesuffix(b"\r")
        del self.buffer[: end + 1]
        return line

    def skip(self, size: int, deadline: Deadline) -> None:
        while True:
            taken = min(size, len(self.buffer))
            del self.buffer[:taken]
            size -= taken
            if not size:
                return
            self.fill(deadline, "body")

    def head(self, deadline: Deadline) -> tuple[bytes, int, list[tuple[str, str]]]:
        """(HTTP version, status, headers) of the next response head."""
        # Garbage (an SSH banner, a TLS alert) is told apart from a slow answer at its first byte.
        while len(self.buffer) < len(HTTP_PREFIX):
            if not HTTP_PREFIX.startswith(bytes(self.buffer)):
                break
            self.fill(deadline, "response head")
        if not self.buffer.startswith(HTTP_PREFIX):
            hint = " (a TLS server: try https://)" if bytes(self.buffer[:1]) in (b"\x15", b"\x16") else ""
            raise RequestFailed(f"not an HTTP/1.x response: {_excerpt(self.buffer)}{hint}")
        too_long = f"response head longer than {MAX_HEAD_BYTES // 1024} KiB"
        status_line = self.line(deadline, MAX_HEAD_BYTES, "response head", too_long)
        used = len(status_line) + 2
        version, _, rest = status_line.partition(b" ")
        code = rest[:3]
        if version not in (b"HTTP/1.0", b"HTTP/1.1") or not (code.isdigit() and rest[3:4] in (b"", b" ")) or code < b"100":
            raise RequestFailed(f"malformed status line: {_excerpt(status_line)}")
        headers: list[tuple[str, str]] = []
        for _ in range(MAX_HEADER_LINES + 1):
            line = self.line(deadline, MAX_HEAD_BYTES - used, "response head", too_long)
            used += len(line) + 2
            if not line:
                return version, int(code), headers
            if line[:1] in (b" ", b"\t") and headers:  # obsolete line folding
                name, value = headers.pop()
                headers.append((name, f"{value} {line.strip(WHITESPACE).decode('latin-1')}"))
                continue
            raw_name, colon, raw_value = line.partition(b":")
            if not colon or not raw_name or raw_name != raw_name.strip():
                raise RequestFailed(f"malformed header line: {_excerpt(line)}")
            headers.append((raw_name.decode("latin-1"), raw_value.strip(WHITESPACE).decode("latin-1")))
        raise RequestFailed(f"more than {MAX_HEADER_LINES} header lines")

    def body(self, method: str, status: int, reply: Reply, deadline: Deadline) -> bool:
        """Read the body if it is small enough to keep the connection; True if it can be kept."""
        if method == "HEAD" or status in (204, 304):
            return True
        codings = [token.strip().lower() for value in reply.all("Transfer-Encoding") for token in value.split(",")]
        if any(codings):
            return codings[-1] == "chunked" and self.chunked(deadline)
        lengths = {token.strip() for value in reply.all("Content-Length") for token in value.split(",")}
        if not lengths:
            return False  # until the server closes: nothing to keep
        length = lengths.pop()
        if lengths or not (length.isascii() and length.isdigit()):
            raise RequestFailed(f"invalid Content-Length {_shown(reply.all('Content-Length'))}")
        # Past BODY_LIMIT (or a Content-Length of 10^40) the body is not read: the connection closes.
        if len(length) > 9 or int(length) > BODY_LIMIT:
            return False
        self.skip(int(length), deadline)
        return True

    def chunked(self, deadline: Deadline) -> bool:
        budget = BODY_LIMIT
        while True:
            line = self.line(deadline, MAX_CHUNK_LINE, "body", "chunk-size line too long")
            size = line.partition(b";")[0].strip()
            if not size or len(size) > 16 or size.strip(b"0123456789abcdefABCDEF"):
                raise RequestFailed(f"malformed chunk size: {_excerpt(line)}")
            budget -= len(line) + int(size, 16)
            if budget < 0:
                return False
            if size.strip(b"0") == b"":
                break
            self.skip(int(size, 16), deadline)
            if self.line(deadline, MAX_CHUNK_LINE, "body", "chunk data longer than its size"):
                raise RequestFailed("chunk data longer than its size")
        for _ in range(MAX_HEADER_LINES):  # trailer fields, then an empty line
            line = self.line(deadline, MAX_CHUNK_LINE, "body", "trailer line too long")
            budget -= len(line)
            if not line:
                return True
            if budget < 0:
                return False
        return False

    def exchange(self, method: str, request: bytes, deadline: Deadline) -> tuple[Reply, bool]:
        """Send one request and read its answer: (the final response, whether the connection
        can carry the next request)."""
        self.received = 0
        self.send(request, deadline)
        for _ in range(MAX_INTERIM + 1):
            version, status, headers = self.head(deadline)
            if status == 101:
                raise RequestFailed("101 Switching Protocols, although no upgrade was asked for")
            if status >= 200:
                reply = Reply(status, tuple(headers))
                kept = self.body(method, status, reply, deadline)
                closing = any(token.strip().lower() == "close" for value in reply.all("Connection")
                              for token in value.split(","))
                # Bytes past the response (a body on HEAD, more than Content-Length): out of step.
                return reply, kept and version == b"HTTP/1.1" and not closing and not self.buffer
        raise RequestFailed(f"more than {MAX_INTERIM} interim (1xx) responses before the final one")


class Connections:
    """One keep-alive connection per worker thread; every one is closed by close_all()."""

    def __init__(self, origin: Origin, timeout: float) -> None:
        self.origin, self.timeout = origin, timeout
        self._local = threading.local()
        self._lock = threading.Lock()
        self._open: set[Wire] = set()
        self._addresses: list[Address] | None = None
        self._tls: ssl.SSLContext | None = None

    def _connect(self, deadline: Deadline) -> Wire:
        with self._lock:
            if self._addresses is None:
                self._addresses = resolve(self.origin)
                if self.origin.scheme == "https":
                    import ssl

                    self._tls = ssl.create_default_context()
            addresses, tls = self._addresses, self._tls
        wire = Wire(open_connection(self.origin, addresses, deadline, tls))
        with self._lock:
            self._open.add(wire)
        return wire

    def _drop(self, wire: Wire) -> None:
        wire.sock.close()
        self._local.wire = None
        with self._lock:
            self._open.discard(wire)

    def request_bytes(self, method: str, target: str, headers: Mapping[str, str]) -> bytes:
        if not target.isascii() or any(c <= " " or c == "\x7f" for c in target):
            raise RequestFailed(f"the request target {target!r} cannot be sent")
        try:
            host = self.origin.netloc.encode("ascii").decode("ascii")
        except UnicodeEncodeError:
            host = self.origin.netloc.encode("idna").decode("ascii")
        fields = {"Host": host, "User-Agent": f"nginxcache-probe/{__version__}", **headers}
        if not any(name.lower() == "accept-encoding" for name in headers):
            fields["Accept-Encoding"] = "identity"  # as http.client sent: the plain file
        for name, value in fields.items():
            if any(c in "\r\n\0" for c in value):
                raise RequestFailed(f"the {name} value {json.dumps(value)} cannot be sent")
        lines = [f"{method} {target} HTTP/1.1", *(f"{name}: {value}" for name, value in fields.items())]
        try:
            return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        except UnicodeEncodeError:
            raise RequestFailed(f"a header of the {method} request is not Latin-1: it cannot be sent") from None

    def fetch(self, method: str, target: str, headers: Mapping[str, str]) -> Reply:
        deadline = Deadline(self.timeout)
        request = self.request_bytes(method, target, headers)
        for attempt in (1, 2):
            wire: Wire | None = getattr(self._local, "wire", None)
            fresh = wire is None
            try:
                if wire is None:
                    wire = self._local.wire = self._connect(deadline)
                reply, keep = wire.exchange(method, request, deadline)
            except (ServerClosed, ConnectionResetError, BrokenPipeError) as exc:
                if wire is not None:
                    self._drop(wire)
                # A kept-alive connection the server closed before answering: retry once, fresh.
                if fresh or attempt == 2 or wire is None or wire.received:
                    raise RequestFailed(describe(exc, self.timeout)) from None
                continue
            except (OSError, RequestFailed) as exc:
                if wire is not None:
                    self._drop(wire)
                raise RequestFailed(describe(exc, self.timeout)) from None
            if not keep:
                self._drop(wire)
            return reply
        raise AssertionError("unreachable")

    def close_all(self) -> None:
        with self._lock:
            for wire in self._open:
                wire.sock.close()
            self._open.clear()


def check_reachable(origin: Origin, timeout: float) -> None:
    """One connection (and TLS handshake) before anything else: exit UNREACHABLE, in one line."""
    tls = None
    if origin.scheme == "https":
        import ssl

        tls = ssl.create_default_context()
    try:
        open_connection(origin, resolve(origin), Deadline(timeout), tls).close()
    except (OSError, RequestFailed) as exc:
        raise UnreachableError(f"cannot connect to {origin.url('')}: {describe(exc, timeout)}") from None


def run(
    origin: Origin,
    checks: Sequence[Check],
    *,
    concurrency: int = 8,
    timeout: float = 10.0,
    progress: Callable[[int, int], None] | None = None,
    fetch: Fetch | None = None,
) -> Report:
    """Every check, at most `concurrency` at a time, each request bounded by `timeout`."""
    from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

    if not 1 <= concurrency <= MAX_CONCURRENCY:
        raise UsageError(f"--concurrency must be 1 to {MAX_CONCURRENCY}")
    if not timeout > 0:
        raise UsageError("--timeout must be a positive number of seconds")
    connections = Connections(origin, timeout)
    if fetch is None:
        check_reachable(origin, timeout)
        fetch = connections.fetch
    results: list[list[Violation]] = [[] for _ in checks]
    requests = done = 0
    pending: dict[Future[tuple[int, list[Violation]]], int] = {}
    queue = iter(enumerate(checks))
    pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="nginxcache-probe")
    try:
        while True:
            # Submit a window at a time: a million-entry manifest never becomes a million futures.
            while len(pending) < 2 * concurrency and (item := next(queue, None)) is not None:
                pending[pool.submit(probe_check, item[1], fetch, origin)] = item[0]
            if not pending:
                break
            finished, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished:
                made, found = future.result()
                results[pending.pop(future)] = found
                requests += made
                done += 1
                if progress is not None:
                    progress(done, len(checks))
    finally:
        pool.shutdown(wait=not pending, cancel_futures=True)
        connections.close_all()
    return Report(len(checks), requests, [v for found in results for v in found])


# --- output (pure) ---------------------------------------------------------------------


def format_text(report: Report, origin: Origin) -> str:
    lines = [f"{v.url}: {v.problem}" for v in report.violations]
    count = len(report.violations)
    verdict = f"{count} violation{'s' if count != 1 else ''}" if count else "no violation"
    lines.append(f"nginxcache probe: {verdict}; {report.checked} URLs checked at {origin.url('')} "
                 f"with {report.requests} requests")
    return "\n".join(lines) + "\n"


def format_json(report: Report) -> str:
    return json.dumps([asdict(v) for v in report.violations], indent=2) + "\n"
