"""Real nginx for the tests: Debian's binary on 127.0.0.1, a private prefix, a random port.

The server block around the generated part is deliberately hostile, the way real sites
are: a server-level `expires`, a security header, and an `error_page 404` fallback page.
"""

from __future__ import annotations

import http.client
import os
import re
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from nginxcache.classify import is_dotfile
from nginxcache.nginxrun import find_nginx, private_conf
from nginxcache.policy import BUILD_MANIFEST_PATTERN

HOSTILE_SERVER = """\
        expires 1h;
        add_header X-Frame-Options DENY;
        error_page 404 /fallback.html;
        location = /fallback.html {{ root {fallback_root}; }}
"""
FALLBACK_BODY = b"FALLBACK PAGE\n"


@dataclass
class Response:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def all(self, name: str) -> list[str]:
        return [v for k, v in self.headers if k.lower() == name.lower()]

    def one(self, name: str) -> str | None:
        values = self.all(name)
        assert len(values) <= 1, f"{name} sent {len(values)} times: {values}"
        return values[0] if values else None


class Nginx:
    """nginx serving `http_body` (text placed inside http { }) until stopped."""

    def __init__(self, prefix: Path, http_body: str, port: int) -> None:
        self.prefix, self.port = prefix, port
        self.conf = private_conf(prefix, http_body, user_root=os.geteuid() == 0)
        self.binary = find_nginx()

    def test(self) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [self.binary, "-t", "-e", str(self.prefix / "error.log"), "-p", str(self.prefix), "-c", str(self.conf)],
            capture_output=True, text=True,
        )

    def start(self) -> None:
        result = subprocess.run(
            [self.binary, "-e", str(self.prefix / "error.log"), "-p", str(self.prefix), "-c", str(self.conf)],
            capture_output=True, text=True,
        )
        if result.returncode != 0:
            raise RuntimeError(f"nginx did not start: {result.stderr}{self.error_log()}")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"nginx did not listen on {self.port}: {self.error_log()}")

    def stop(self) -> None:
        pid_file = self.prefix / "nginx.pid"
        if pid_file.exists():
            subprocess.run([self.binary, "-p", str(self.prefix), "-c", str(self.conf), "-s", "stop"], capture_output=True)
            deadline = time.monotonic() + 10
            while pid_file.exists() and time.monotonic() < deadline:
                time.sleep(0.05)

    def error_log(self) -> str:
        log = self.prefix / "error.log"
        return log.read_text(errors="replace") if log.exists() else ""

    def request(self, path: str, method: str = "GET", headers: dict[str, str] | None = None) -> Response:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.request(method, path, headers=headers or {})
            resp = conn.getresponse()
            return Response(resp.status, resp.getheaders(), resp.read())
        finally:
            conn.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_on_a_free_port(prefix: Path, body_for: Callable[[int], str]) -> Nginx:
    """nginx on a random free port with the http { } body `body_for(port)` gives; tried again
    (five times) when another process took the port between the choice and the start."""
    prefix.mkdir(parents=True, exist_ok=True)
    last_error: RuntimeError | None = None
    for _ in range(5):
        port = free_port()
        server = Nginx(prefix, body_for(port), port)
        try:
            server.start()
            return server
        except RuntimeError as exc:
            last_error = exc
            if "Address already in use" not in str(exc):
                raise
    raise RuntimeError(str(last_error))


def start_nginx(prefix: Path, *, http_part: str | None, server_part: str | None = None, site: str | None = None,
                hostile: bool = True) -> Nginx:
    """Start nginx with the generated parts; retries when the random port was taken."""
    prefix.mkdir(parents=True, exist_ok=True)
    fallback_root = prefix / "fallback"
    fallback_root.mkdir(exist_ok=True)
    (fallback_root / "fallback.html").write_bytes(FALLBACK_BODY)

    def body_for(port: int) -> str:
        body = ""
        if http_part is not None:
            (prefix / "http.conf").write_text(http_part, encoding="utf-8")
            body += f"    include {prefix / 'http.conf'};\n"
        if site is not None:
            text = site.replace("listen 80;", f"listen 127.0.0.1:{port};")
            (prefix / "site.conf").write_text(text, encoding="utf-8")
            body += f"    include {prefix / 'site.conf'};\n"
        if server_part is not None:
            (prefix / "server.conf").write_text(server_part, encoding="utf-8")
            extra = HOSTILE_SERVER.format(fallback_root=fallback_root) if hostile else ""
            body += (
                f"    server {{\n        listen 127.0.0.1:{port};\n{extra}"
                f"        include {prefix / 'server.conf'};\n    }}\n"
            )
        return body

    return start_on_a_free_port(prefix, body_for)


def url_for(uri: str) -> str:
    """The request path for a decoded URI: every byte outside unreserved characters escaped."""
    return quote(uri, safe="/-._~")


HASHED_CC = "public, max-age=31536000, immutable"


def check_every_file(server: Nginx, tree: Path, prefix: str, hashed: set[str], denied: set[str],
                     unhashed_cc: str = "no-cache") -> int:
    """Request every file below `tree` (served at `prefix`) and check the policy for each.

    Returns the number of files checked. `hashed` and `denied` are decoded URIs.
    """
    checked = 0
    for path in sorted(p for p in tree.rglob("*") if p.is_file() or p.is_symlink()):
        uri = prefix + path.relative_to(tree).as_posix()
        response = server.request(url_for(uri))
        if uri in denied or is_dotfile(uri) or re.search(BUILD_MANIFEST_PATTERN, uri):
            assert response.status in (403, 404), f"{uri}: manifest served ({response.status})"
            assert response.body != path.read_bytes()
            checked += 1
            continue
        assert response.status == 200, f"{uri}: status {response.status}"
        assert response.body == path.read_bytes(), f"{uri}: wrong body"
        cache_control = response.all("Cache-Control")
        assert len(cache_control) == 1, f"{uri}: Cache-Control {cache_control}"
        assert not response.all("Expires"), f"{uri}: an Expires header leaked in"
        if uri in hashed:
            assert cache_control[0] == HASHED_CC, f"{uri}: hashed but {cache_control[0]!r}"
        else:
            assert cache_control[0] == unhashed_cc, f"{uri}: unhashed but {cache_control[0]!r}"
            etag, last_modified = response.one("ETag"), response.one("Last-Modified")
            assert etag and last_modified, f"{uri}: no validators"
            again = server.request(url_for(uri), headers={"If-None-Match": etag})
            assert again.status == 304, f"{uri}: conditional GET gave {again.status}"
            assert again.all("Cache-Control") == [unhashed_cc], f"{uri}: 304 {again.all('Cache-Control')}"
        checked += 1
    return checked


def check_missing_hashed(server: Nginx, hashed_uri: str) -> None:
    """A hashed-looking name that does not exist: plain 404, no caching headers, no fallback."""
    directory, _, name = hashed_uri.rpartition("/")
    missing = f"{directory}/nginxcache-missing-{name}"
    response = server.request(url_for(missing))
    assert response.status == 404, f"{missing}: {response.status}"
    assert not any("immutable" in v for v in response.all("Cache-Control")), response.headers
    assert response.body != FALLBACK_BODY, f"{missing}: got the fallback page"
