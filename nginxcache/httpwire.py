"""A small HTTP/1.1 client for probe, on the socket: one deadline per request and a size
limit on every part of an answer, so a misbehaving server costs at most --timeout.

http.client is not used: its timeout is per recv (a server sending a byte a second never
trips it), it skips `100 Continue` for as long as a server sends them, and it takes
`103 Early Hints` for the final answer. Here one deadline covers a whole request (connect,
TLS handshake, sending, every interim response, the response head and the body read).
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from nginxcache import __version__
from nginxcache.errors import ExitCode, NginxcacheError, UsageError

if TYPE_CHECKING:
    import ssl

# ssl is imported where a probe runs: every other command (a render before each deploy)
# would pay for it at start.

BODY_LIMIT = 256 * 1024  # read (and keep the connection) up to this; close beyond


class UnreachableError(NginxcacheError):
    """No TCP (or TLS) connection to BASE_URL at all: nothing was checked."""

    exit_code = ExitCode.UNREACHABLE


class RequestFailed(Exception):
    """One request got no HTTP answer (timeout, reset, TLS error)."""


@dataclass(frozen=True, slots=True)
class Origin:
    scheme: str  # http or https
    host: str  # where to connect
    port: int
    # The site asked for (--host): sent as the Host header, and as the TLS server name the
    # certificate is checked against; None: host[:port] itself. A backend behind a load
    # balancer answers for the site's name, not its own address.
    virtual_host: str | None = None

    @property
    def netloc(self) -> str:
        """host[:port] as in a URL: the default port left out."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        return host if self.port == default else f"{host}:{self.port}"

    @property
    def authority(self) -> str:
        """What the Host header says."""
        return self.netloc if self.virtual_host is None else self.virtual_host

    @property
    def server_name(self) -> str:
        """The name TLS sends (SNI) and checks the certificate against."""
        if self.virtual_host is None:
            return self.host
        return urlsplit(f"//{self.virtual_host}").hostname or self.virtual_host

    def url(self, target: str) -> str:
        return f"{self.scheme}://{self.netloc}{target}"


def parse_base_url(text: str, label: str = "BASE_URL") -> Origin:
    """BASE_URL (or a backend's URL) is an origin; --prefix says where the files are below it."""
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"{label} {text!r}: give http://HOST[:PORT] or https://HOST[:PORT]")
    if parts.username is not None or parts.password is not None:
        raise UsageError(f"{label} {text!r}: credentials in the URL are not supported")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise UsageError(f"{label} {text!r} is an origin: drop the path (--prefix says where the files are)")
    try:
        port = parts.port
    except ValueError:
        raise UsageError(f"{label} {text!r}: the port is not a number from 0 to 65535") from None
    try:
        parts.hostname.encode("idna")  # what the resolver and the Host header need
    except UnicodeError as exc:
        reason = str(exc).rpartition("UnicodeError: ")[2].rstrip(")")
        raise UsageError(f"{label} {text!r}: {parts.hostname!r} is not a valid host name ({reason})") from None
    return Origin(parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80))


def parse_virtual_host(text: str) -> str:
    """--host NAME[:PORT] as the Host header sends it (a name beyond ASCII in its IDNA form)."""
    if not text or any(c in text for c in "/?#@\\") or not text.isprintable() or " " in text:
        raise UsageError(f"--host {text!r}: give a host name, as in the site's URL (www.example.com[:PORT])")
    parts = urlsplit(f"//{text}")
    try:
        port = parts.port
    except ValueError:
        raise UsageError(f"--host {text!r}: the port is not a number from 0 to 65535") from None
    if not parts.hostname:
        raise UsageError(f"--host {text!r}: give a host name, as in the site's URL (www.example.com[:PORT])")
    try:
        name = parts.hostname.encode("idna").decode("ascii")
    except UnicodeError as exc:
        reason = str(exc).rpartition("UnicodeError: ")[2].rstrip(")")
        raise UsageError(f"--host {text!r}: {parts.hostname!r} is not a valid host name ({reason})") from None
    name = f"[{name}]" if ":" in name else name
    return name if port is None else f"{name}:{port}"



@dataclass(frozen=True, slots=True)
class Reply:
    status: int
    headers: tuple[tuple[str, str], ...]

    def all(self, name: str) -> list[str]:
        return [value for key, value in self.headers if key.lower() == name.lower()]



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
    if getattr(exc, "verify_message", None):  # ssl.SSLCertVerificationError (ssl is imported lazily)
        return f"TLS certificate not accepted: {exc.verify_message}"  # type: ignore[attr-defined]
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
        return tls.wrap_socket(sock, server_hostname=origin.server_name)
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
            raise RequestFailed(f"invalid Content-Length {json.dumps(', '.join(reply.all('Content-Length')))}")
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
            host = self.origin.authority.encode("ascii").decode("ascii")
        except UnicodeEncodeError:
            host = self.origin.authority.encode("idna").decode("ascii")
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
        hint = ""
        if getattr(exc, "verify_message", None) and origin.virtual_host is None:
            hint = " (--host gives the site's name, when a server is reached by its address)"
        raise UnreachableError(f"cannot connect to {origin.url('')}: {describe(exc, timeout)}{hint}") from None
