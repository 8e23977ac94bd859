"""`nginxcache probe` against misbehaving servers on 127.0.0.1 (issue 10): each one ends
the run within a bound derived from --timeout, with one clear violation per request or one
error line, never a traceback. Every server is a Python socket server in threads, its loops
bounded, stopped at the end of its test."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from nginxcache.cli import main

TIMEOUT = 0.5
# A check makes at most 3 requests, each bounded by TIMEOUT, all checks run at once
# (--concurrency 8), after one reachability check: 4 x TIMEOUT, plus slack for a busy machine.
BOUND = 4 * TIMEOUT + 1.0
HASHED = "/assets/index-YpS4Hvbq.js"
IMMUTABLE = "public, max-age=31536000, immutable"
DRIP = 0.1  # seconds between bytes of a slow server: well under TIMEOUT, so every recv succeeds
DRIP_BYTES = 100  # 10 s of dripping: far past BOUND if the deadline did not hold

Handler = Callable[[socket.socket, threading.Event], None]


@pytest.fixture
def manifest(tmp_path: Path) -> Path:
    """One hashed file: probe checks it, the manifest itself (denied) and a missing name."""
    path = tmp_path / "dist" / ".vite" / "manifest.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"index.html": {"file": HASHED[1:], "src": "index.html", "isEntry": True}}), encoding="utf-8")
    return path


class HostileServer:
    """Listens on 127.0.0.1; runs `handler(connection, stop)` for each connection in a thread."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.stop = threading.Event()
        self.listener = socket.create_server(("127.0.0.1", 0), backlog=64)
        self.listener.settimeout(0.05)
        self.port = self.listener.getsockname()[1]
        self.threads = [threading.Thread(target=self._accept, daemon=True)]
        self.threads[0].start()

    def _accept(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            thread = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            self.threads.append(thread)
            thread.start()

    def _serve(self, conn: socket.socket) -> None:
        # OSError: the probe closed its end, this connection is done.
        with conn, contextlib.suppress(OSError):
            self.handler(conn, self.stop)

    def close(self) -> None:
        self.stop.set()
        self.listener.close()
        for thread in list(self.threads):
            thread.join(timeout=2)


@pytest.fixture
def hostile() -> Iterator[Callable[[Handler], HostileServer]]:
    servers: list[HostileServer] = []

    def start(handler: Handler) -> HostileServer:
        servers.append(HostileServer(handler))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


def read_request(conn: socket.socket, stop: threading.Event) -> tuple[str, str] | None:
    """(method, path) of the next request on the connection; None once the client closed."""
    conn.settimeout(0.05)
    data = b""
    while b"\r\n\r\n" not in data and not stop.is_set() and len(data) < 65536:
        try:
            chunk = conn.recv(4096)
        except TimeoutError:
            continue
        if not chunk:
            return None
        data += chunk
    if b"\r\n\r\n" not in data:
        return None
    method, path, _ = data.split(b" ", 2)
    return method.decode(), path.decode()


def hold(stop: threading.Event) -> None:
    """Keep the connection open, silent, until the test ends."""
    stop.wait(10)


def drip(conn: socket.socket, stop: threading.Event, data: bytes) -> None:
    for byte in data[:DRIP_BYTES]:
        if stop.wait(DRIP):
            return
        conn.sendall(bytes([byte]))


def flood(conn: socket.socket, stop: threading.Event, piece: bytes) -> None:
    """Send `piece` again and again until the client hangs up (sendall then fails)."""
    for _ in range(100_000):
        if stop.is_set():
            return
        conn.sendall(piece)


def correct_head(method: str, path: str, extra: str = "") -> bytes:
    """The head render's config would send: 200 immutable for the hashed file, 404 otherwise."""
    if path == HASHED:
        return f"HTTP/1.1 200 OK\r\nCache-Control: {IMMUTABLE}\r\n{extra}\r\n".encode()
    return f"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n{extra}\r\n".encode()


def each_request(answer: Callable[[socket.socket, threading.Event, str, str], None]) -> Handler:
    """A handler that answers request after request on one connection (keep-alive)."""
    def handler(conn: socket.socket, stop: threading.Event) -> None:
        for _ in range(100):
            request = read_request(conn, stop)
            if request is None:
                return
            answer(conn, stop, *request)
    return handler


def after_request(data: bytes, then: Callable[[socket.socket, threading.Event], None] | None = None) -> Handler:
    """A handler that reads one request, sends `data`, then does `then` (or closes)."""
    def handler(conn: socket.socket, stop: threading.Event) -> None:
        if read_request(conn, stop) is not None:
            conn.sendall(data)
            if then is not None:
                then(conn, stop)
    return handler


def flooding(piece: bytes) -> Callable[[socket.socket, threading.Event], None]:
    return lambda conn, stop: flood(conn, stop, piece)


def dripping(data: bytes) -> Callable[[socket.socket, threading.Event], None]:
    return lambda conn, stop: drip(conn, stop, data)


def continue_every_fifth_of_a_second(conn: socket.socket, stop: threading.Event) -> None:
    for _ in range(50):
        if stop.wait(0.2):
            return
        conn.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")


def run_probe(capsys: pytest.CaptureFixture[str], url: str, manifest: Path, *extra: str) -> tuple[int, str, str, float]:
    started = time.monotonic()
    code = main(["probe", url, "--manifest", str(manifest), "--prefix", "/", "--timeout", str(TIMEOUT),
                 "--concurrency", "8", *extra])
    elapsed = time.monotonic() - started
    captured = capsys.readouterr()
    return int(code), captured.out, captured.err, elapsed


def problems(out: str) -> set[tuple[str, str, str]]:
    return {(v["uri"], v["kind"], v["problem"]) for v in json.loads(out)}


def no_answer_on_head(problem: str) -> set[tuple[str, str, str]]:
    """The same no-response violation on the first request (HEAD) of every check."""
    uris = (HASHED, "/.vite/manifest.json", "/assets/nginxcache-missing-index-YpS4Hvbq.js")
    return {(uri, "no-response", f"HEAD: no answer: {problem}") for uri in uris}


FIRST_REQUEST_FAILS: dict[str, tuple[Handler, str]] = {
    "a header byte every 0.1 s": (
        after_request(b"", dripping(b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * DRIP_BYTES)),
        f"timed out after {TIMEOUT:g} s reading the response head",
    ),
    "endless 100 Continue": (
        after_request(b"", flooding(b"HTTP/1.1 100 Continue\r\n\r\n")),
        "more than 8 interim (1xx) responses before the final one",
    ),
    "a 100 Continue every 0.2 s": (
        after_request(b"", continue_every_fifth_of_a_second),
        f"timed out after {TIMEOUT:g} s reading the response head",
    ),
    "a header block that never ends": (
        after_request(b"HTTP/1.1 200 OK\r\n", flooding(b"X-More: yes\r\n")), "more than 100 header lines",
    ),
    "a header line that never ends": (
        after_request(b"HTTP/1.1 200 OK\r\nX-Long: ", flooding(b"a" * 4096)), "response head longer than 64 KiB",
    ),
    "accepts, reads, never answers": (
        after_request(b"", lambda conn, stop: hold(stop)), f"timed out after {TIMEOUT:g} s waiting for an answer",
    ),
    "closes without an answer": (after_request(b""), "the server closed the connection without an answer"),
    "closes in the middle of the head": (
        after_request(b"HTTP/1.1 200 OK\r\nCache-Cont"),
        "the server closed the connection in the middle of the response head",
    ),
    "an SSH banner instead of HTTP": (
        after_request(b"SSH-2.0-OpenSSH_9.6\r\n", lambda conn, stop: hold(stop)),
        r"not an HTTP/1.x response: b'SSH-2.0-OpenSSH_9.6\r\n'",
    ),
    "a TLS alert (http:// to an https port)": (
        after_request(b"\x15\x03\x01\x00\x02\x02\x46"),
        r"not an HTTP/1.x response: b'\x15\x03\x01\x00\x02\x02F' (a TLS server: try https://)",
    ),
    "a malformed status line": (after_request(b"HTTP/1.1 OK\r\n\r\n"), "malformed status line: b'HTTP/1.1 OK'"),
    "a header line without a colon": (
        after_request(b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n"), "malformed header line: b'no colon here'",
    ),
}


@pytest.mark.parametrize("case", FIRST_REQUEST_FAILS)
def test_no_answer_is_one_violation_per_check_in_bounded_time(case: str, manifest: Path, hostile,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    handler, problem = FIRST_REQUEST_FAILS[case]
    server = hostile(handler)
    code, out, err, elapsed = run_probe(capsys, f"http://127.0.0.1:{server.port}", manifest, "--format", "json")
    assert elapsed < BOUND
    assert (code, err) == (1, "")
    assert problems(out) == no_answer_on_head(problem)


def slow_body(conn: socket.socket, stop: threading.Event, method: str, path: str) -> None:
    if method == "GET":
        conn.sendall(correct_head(method, path, "Content-Length: 100\r\n"))
        drip(conn, stop, b"a" * 100)
    else:
        conn.sendall(correct_head(method, path, "Content-Length: 100\r\n"))


def endless_chunked_body(conn: socket.socket, stop: threading.Event, method: str, path: str) -> None:
    conn.sendall(correct_head(method, path, "Transfer-Encoding: chunked\r\n" if path == HASHED else ""))
    if method == "GET" and path == HASHED:
        flood(conn, stop, b"1000\r\n" + b"a" * 0x1000 + b"\r\n")


def endless_unframed_body(conn: socket.socket, stop: threading.Event, method: str, path: str) -> None:
    conn.sendall(correct_head(method, path))
    if method == "GET" and path == HASHED:
        flood(conn, stop, b"a" * 4096)


def huge_content_length(conn: socket.socket, stop: threading.Event, method: str, path: str) -> None:
    conn.sendall(correct_head(method, path, "Content-Length: 1" + "0" * 40 + "\r\n" if path == HASHED else ""))
    if method == "GET" and path == HASHED:
        hold(stop)  # promised, never sent


def early_hints(conn: socket.socket, stop: threading.Event, method: str, path: str) -> None:
    conn.sendall(b"HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n" + correct_head(method, path))


def one_answer_per_connection(conn: socket.socket, stop: threading.Event) -> None:
    """Keep-alive by the headers, but the connection closes after each answer (an idle timeout
    that struck): the next request on it is retried once on a fresh connection."""
    request = read_request(conn, stop)
    if request is not None:
        conn.sendall(correct_head(*request, "Content-Length: 0\r\n" if request[1] == HASHED else ""))


BODY_CASES: dict[str, tuple[Handler, set[tuple[str, str, str]]]] = {
    "a GET body dripping a byte every 0.1 s": (each_request(slow_body), {(
        HASHED, "no-response", f"GET Accept-Encoding: no answer: timed out after {TIMEOUT:g} s reading the body",
    )}),
    "a chunked GET body that never ends": (each_request(endless_chunked_body), set()),
    "an unframed GET body that never ends": (each_request(endless_unframed_body), set()),
    "Content-Length: 10^40, no body": (each_request(huge_content_length), set()),
    "103 Early Hints before each answer": (each_request(early_hints), set()),
    "the connection closes after each answer": (one_answer_per_connection, set()),
}


@pytest.mark.parametrize("case", BODY_CASES)
def test_bodies_and_interim_answers(case: str, manifest: Path, hostile, capsys: pytest.CaptureFixture[str]) -> None:
    """The head is what probe judges: a body is read only to keep the connection, at most
    BODY_LIMIT, within the request's deadline."""
    handler, expected = BODY_CASES[case]
    server = hostile(handler)
    code, out, err, elapsed = run_probe(capsys, f"http://127.0.0.1:{server.port}", manifest, "--format", "json",
                                        "--concurrency", "1")
    assert elapsed < BOUND + 2 * TIMEOUT  # one at a time: 3 checks, 4 requests
    assert (code, err) == (1 if expected else 0, "")
    assert problems(out) == expected


@pytest.mark.parametrize(("value", "shown"), [("-1", '"-1"'), ("10, 20", '"10, 20"'), ("²", '"\\u00b2"')])
def test_invalid_content_length(value: str, shown: str, manifest: Path, hostile, capsys: pytest.CaptureFixture[str]) -> None:
    def answer(conn: socket.socket, stop: threading.Event, method: str, path: str) -> None:
        conn.sendall(correct_head(method, path, f"Content-Length: {value}\r\n" if path == HASHED else "").replace(
            b"\xc2\xb2", b"\xb2"))

    server = hostile(each_request(answer))
    code, out, err, elapsed = run_probe(capsys, f"http://127.0.0.1:{server.port}", manifest, "--format", "json")
    assert elapsed < BOUND
    assert (code, err) == (1, "")
    assert problems(out) == {(HASHED, "no-response", f"GET Accept-Encoding: no answer: invalid Content-Length {shown}")}


def test_redirect_loop_is_not_followed(manifest: Path, hostile, capsys: pytest.CaptureFixture[str]) -> None:
    def redirect(conn: socket.socket, stop: threading.Event, method: str, path: str) -> None:
        conn.sendall(f"HTTP/1.1 301 Moved Permanently\r\nLocation: {path}\r\nContent-Length: 0\r\n\r\n".encode())

    server = hostile(each_request(redirect))
    url = f"http://127.0.0.1:{server.port}"
    code, out, err, elapsed = run_probe(capsys, url, manifest)
    assert elapsed < BOUND
    assert (code, err) == (1, "")
    assert out.splitlines() == [
        f"{url}/.vite/manifest.json: answered 301, expected 404 (a dotfile)",
        f"{url}{HASHED}: answered 301, expected 200",
        f"{url}/assets/nginxcache-missing-index-YpS4Hvbq.js: a missing hashed-looking name answered 301, not 404 "
        "(Cache-Control none)",
        f"nginxcache probe: 3 violations; 3 URLs checked at {url} with 3 requests",
    ]


def test_stalled_tls_handshake_is_unreachable_in_one_line(manifest: Path, hostile,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    """https:// to a port that accepts and never answers the ClientHello: the reachability
    check's deadline covers the handshake."""
    server = hostile(lambda conn, stop: hold(stop))
    code, out, err, elapsed = run_probe(capsys, f"https://127.0.0.1:{server.port}", manifest)
    assert elapsed < BOUND
    assert (code, out) == (6, "")
    assert err == (f"nginxcache: error: cannot connect to https://127.0.0.1:{server.port}: "
                   f"timed out after {TIMEOUT:g} s in the TLS handshake\n")


def test_tls_handshake_dripped_a_byte_at_a_time(manifest: Path, hostile, capsys: pytest.CaptureFixture[str]) -> None:
    """A 'ServerHello' sent a byte every 0.1 s: every recv of the handshake succeeds."""
    server = hostile(dripping(b"\x16\x03\x03\x10\x00" + b"\x02" * 95))
    code, out, err, elapsed = run_probe(capsys, f"https://127.0.0.1:{server.port}", manifest)
    assert elapsed < BOUND
    assert (code, out) == (6, "")
    assert err.endswith(f": timed out after {TIMEOUT:g} s in the TLS handshake\n") and len(err.splitlines()) == 1


def test_full_accept_queue_is_unreachable_in_one_line(manifest: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A listener that never accepts, its queue full: the kernel drops the SYN and connect()
    hangs; the reachability check's deadline covers connecting."""
    with socket.create_server(("127.0.0.1", 0), backlog=0) as listener:
        port = listener.getsockname()[1]
        queued = [socket.socket() for _ in range(3)]
        for sock in queued:
            sock.setblocking(False)
            sock.connect_ex(("127.0.0.1", port))
        try:
            time.sleep(0.1)  # the handshakes that fit complete
            code, out, err, elapsed = run_probe(capsys, f"http://127.0.0.1:{port}", manifest)
        finally:
            for sock in queued:
                sock.close()
    assert elapsed < BOUND
    assert (code, out) == (6, "")
    assert err == f"nginxcache: error: cannot connect to http://127.0.0.1:{port}: timed out after {TIMEOUT:g} s connecting\n"
