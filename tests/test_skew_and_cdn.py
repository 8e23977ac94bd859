"""Skew protection (--skew-origin) and the CDN-facing headers (--cdn-max-age, --cdn-header,
--stale-while-revalidate, --missing-max-age), through real nginx on 127.0.0.1.

A is the server that lacks a file (the other build's chunk during a rolling deploy); its
origins are real nginx servers too: B, rendered by nginxcache from the whole build, or an
"echo" origin that shows what reached it and answers with whatever status a path asks for.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import SAMPLES
from nginx_harness import HASHED_CC, Nginx, free_port, start_nginx
from nginxcache.cli import main
from nginxcache.errors import ExitCode

pytestmark = pytest.mark.nginx

VITE = SAMPLES / "vite" / "dist"
LAZY = "/assets/lazy-CD01446e.js"  # a hashed chunk of the build, named by its manifest
PLAIN_404 = b"404 Not Found\n"

# What reached the origin comes back in the body; a path ending in -<status>.js gets that status
# (a 404 with an HTML page, as a framework's server would send).
ORIGIN_STATUSES = ("404", "500", "302", "403", "522")
ECHO_ORIGIN = """\
server {{
    listen 127.0.0.1:{port};
    default_type text/plain;
    error_page 404 403 500 /page.html;
{statuses}
    location = /page.html {{
        default_type text/html;
        return 200 "<html>NOT FOUND PAGE</html>";
    }}
    location / {{
        add_header Cache-Control "public, max-age=31536000, immutable";
        return 200 "ORIGIN $uri hop=$http_x_nginxcache_skew cookie=$http_cookie\\n";
    }}
}}
"""


@pytest.fixture
def servers() -> Iterator[list[Nginx]]:
    started: list[Nginx] = []
    yield started
    for server in started:
        server.stop()


def build_without_lazy_chunk(tmp_path: Path) -> Path:
    """The vite build as the old servers have it: the manifest's lazy chunk is not on disk."""
    tree = tmp_path / "a-dist"
    shutil.copytree(VITE, tree)
    (tree / LAZY.lstrip("/")).unlink()
    return tree


def site_for(tmp_path: Path, tree: Path, *args: str, name: str = "site.conf") -> str:
    out = tmp_path / name
    assert main(["render", str(tree), "--site-out", str(out), "--nginx-test", *args]) == ExitCode.OK
    return out.read_text(encoding="utf-8")


def serve_site(servers: list[Nginx], prefix: Path, site: str, port: int | None = None) -> Nginx:
    """A site file on its own nginx, on `port` when the port must be known before rendering."""
    if port is None:
        server = start_nginx(prefix, http_part=None, site=site)
    else:
        prefix.mkdir(parents=True, exist_ok=True)
        (prefix / "site.conf").write_text(site.replace("listen 80;", f"listen 127.0.0.1:{port};"), encoding="utf-8")
        server = Nginx(prefix, f"    include {prefix / 'site.conf'};\n", port)
        server.start()
    servers.append(server)
    return server


def echo_origin(servers: list[Nginx], prefix: Path) -> Nginx:
    prefix.mkdir(parents=True, exist_ok=True)
    port = free_port()
    statuses = "".join(f"    location ~ -{code}\\.js$ {{ return {code}; }}\n" for code in ORIGIN_STATUSES)
    server = Nginx(prefix, ECHO_ORIGIN.format(port=port, statuses=statuses), port)
    server.start()
    servers.append(server)
    return server


def assert_plain_404(response_status: int, content_type: str | None, cache_control: list[str], body: bytes) -> None:
    assert (response_status, content_type, cache_control, body) == (404, "text/plain", ["no-store, private"], PLAIN_404)


# ---------------------------------------------------------------------------------------------
# Skew protection


def test_a_file_missing_here_comes_from_the_origin_with_its_own_headers(tmp_path: Path, servers: list[Nginx]) -> None:
    b = serve_site(servers, tmp_path / "b", site_for(tmp_path, VITE, "--name", "b", name="b.conf"))
    a_site = site_for(tmp_path, build_without_lazy_chunk(tmp_path), "--name", "a", "--skew-origin", f"http://127.0.0.1:{b.port}")
    a = serve_site(servers, tmp_path / "a", a_site)

    response = a.request(LAZY)
    assert response.status == 200
    assert response.body == (VITE / LAZY.lstrip("/")).read_bytes()
    assert response.all("Cache-Control") == [HASHED_CC]  # B's evidence: the manifest names it
    etag = response.one("ETag")
    assert etag is not None
    # a revalidation passes through too: B's 304
    assert a.request(LAZY, headers={"If-None-Match": etag}).status == 304
    # what neither build has is a plain 404 that no cache keeps
    missing = a.request("/assets/gone-Deadbeef.js")
    assert_plain_404(missing.status, missing.one("Content-Type"), missing.all("Cache-Control"), missing.body)
    # and what A has is served by A, with its own verdict
    assert a.request("/robots.txt").all("Cache-Control") == ["no-cache"]


def test_the_deploy_gate_is_not_fooled_by_the_skew_fallback(
    tmp_path: Path, servers: list[Nginx], capsys: pytest.CaptureFixture[str]
) -> None:
    b = serve_site(servers, tmp_path / "b", site_for(tmp_path, VITE, "--name", "b", name="b.conf"))
    a_site = site_for(tmp_path, build_without_lazy_chunk(tmp_path), "--name", "a", "--skew-origin", f"http://127.0.0.1:{b.port}")
    a = serve_site(servers, tmp_path / "a", a_site)
    assert a.request(LAZY).one("X-Nginxcache-From") == "skew-origin-1"
    capsys.readouterr()
    gate = ["probe", "--manifest", str(VITE), "--backend", f"http://127.0.0.1:{a.port}", "--backend", f"http://127.0.0.1:{b.port}"]
    assert main(gate) == ExitCode.CHANGED
    out = capsys.readouterr().out
    assert LAZY in out and "skew-origin-1" in out
    assert main(["probe", "--manifest", str(VITE), "--backend", f"http://127.0.0.1:{b.port}"]) == ExitCode.OK


def test_only_missing_files_reach_the_origin_and_never_twice(tmp_path: Path, servers: list[Nginx]) -> None:
    origin = echo_origin(servers, tmp_path / "echo")
    a_site = site_for(tmp_path, build_without_lazy_chunk(tmp_path), "--skew-origin", f"http://127.0.0.1:{origin.port}")
    a = serve_site(servers, tmp_path / "a", a_site)

    fetched = a.request("/assets/other-build-1a2b3c4d.js", headers={"Cookie": "session=secret"})
    assert (fetched.status, fetched.body) == (200, b"ORIGIN /assets/other-build-1a2b3c4d.js hop=1 cookie=\n")
    # never forwarded: a denied file, and a request that itself came from a skew fallback
    for path, headers in ((  "/.vite/manifest.json", {}), ("/.env", {}), ("/assets/x-1a2b3c4d.js", {"X-Nginxcache-Skew": "1"})):
        response = a.request(path, headers=headers)
        assert_plain_404(response.status, response.one("Content-Type"), response.all("Cache-Control"), response.body)


@pytest.mark.parametrize("status", ORIGIN_STATUSES)
def test_anything_but_a_200_from_the_origin_is_a_plain_404(tmp_path: Path, servers: list[Nginx], status: str) -> None:
    origin = echo_origin(servers, tmp_path / "echo")
    a = serve_site(servers, tmp_path / "a", site_for(tmp_path, VITE, "--skew-origin", f"http://127.0.0.1:{origin.port}"))
    response = a.request(f"/assets/chunk-{status}.js")
    assert_plain_404(response.status, response.one("Content-Type"), response.all("Cache-Control"), response.body)
    assert b"NOT FOUND PAGE" not in response.body


def test_origins_are_tried_in_order_and_one_that_is_down_costs_little(tmp_path: Path, servers: list[Nginx]) -> None:
    origin = echo_origin(servers, tmp_path / "echo")
    down = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    a = serve_site(servers, tmp_path / "a", site_for(tmp_path, VITE, "--skew-origin", down, "--skew-origin", f"http://127.0.0.1:{origin.port}"))
    started = time.monotonic()
    response = a.request("/assets/next-1a2b3c4d.js")
    assert (response.status, response.body[:7]) == (200, b"ORIGIN ")
    assert time.monotonic() - started < 5  # a refused connection is no timeout
    origin.stop()  # now both are down
    response = a.request("/assets/next-1a2b3c4d.js")
    assert_plain_404(response.status, response.one("Content-Type"), response.all("Cache-Control"), response.body)


def test_servers_that_name_each_other_do_not_loop(tmp_path: Path, servers: list[Nginx]) -> None:
    a_port, b_port = free_port(), free_port()
    tree = build_without_lazy_chunk(tmp_path)
    a_site = site_for(tmp_path, tree, "--name", "a", "--skew-origin", f"http://127.0.0.1:{b_port}", name="a.conf")
    b_site = site_for(tmp_path, tree, "--name", "b", "--skew-origin", f"http://127.0.0.1:{a_port}", name="b.conf")
    a = serve_site(servers, tmp_path / "a", a_site, a_port)
    b = serve_site(servers, tmp_path / "b", b_site, b_port)
    response = a.request(LAZY)
    assert_plain_404(response.status, response.one("Content-Type"), response.all("Cache-Control"), response.body)
    # each looked on its own disk once: A for the visitor, B for A; B did not ask A again
    for server in (a, b):
        assert len([line for line in server.error_log().splitlines() if LAZY in line and "No such file" in line]) == 1


def test_a_single_page_apps_navigation_is_never_asked_for_elsewhere(tmp_path: Path, servers: list[Nginx]) -> None:
    origin = echo_origin(servers, tmp_path / "echo")
    a = serve_site(servers, tmp_path / "a", site_for(tmp_path, VITE, "--spa", "--skew-origin", f"http://127.0.0.1:{origin.port}"))
    page = a.request("/settings/profile")
    assert page.status == 200 and page.body == (VITE / "index.html").read_bytes()
    assert a.request("/assets/route-1a2b3c4d.js").body.startswith(b"ORIGIN ")


@pytest.mark.parametrize(
    "args, message",
    [
        (["--skew-origin", "http://store.internal/assets/"], "without a path"),
        (["--skew-origin", "ftp://store.internal"], "give an origin like"),
        (["--skew-origin", "https://10.0.0.9:8443"], "an address never verifies"),
        (["--skew-origin", "https://[::1]"], "an address never verifies"),
        (["--skew-origin", "http://127.0.0.1:1", "--strategy", "exact"], "needs the map strategy"),
        (["--skew-origin", "http://127.0.0.1:1", "--skew-timeout", "0"], "--skew-timeout must be 1 to 60"),
        (["--stale-while-revalidate", "30"], "give --cdn-max-age or --unhashed-max-age"),
        (["--cdn-max-age", "604800"], "--cdn-max-age must be 0 to 86400"),
    ],
)
def test_bad_skew_and_cdn_options_are_one_line_usage_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    out = tmp_path / "site.conf"
    assert main(["render", str(VITE), "--site-out", str(out), *args]) == ExitCode.USAGE
    err = capsys.readouterr().err.strip()
    assert message in err and err.count("\n") == 0 and not out.exists()


# ---------------------------------------------------------------------------------------------
# CDN-facing headers


def test_cdn_max_age_lets_shared_caches_keep_unhashed_files_while_browsers_revalidate(
    tmp_path: Path, servers: list[Nginx]
) -> None:
    site = site_for(tmp_path, VITE, "--cdn-max-age", "60", "--stale-while-revalidate", "30", "--missing-max-age", "10")
    server = serve_site(servers, tmp_path / "n", site)
    assert server.request("/robots.txt").all("Cache-Control") == ["public, max-age=0, s-maxage=60, stale-while-revalidate=30"]
    assert server.request("/index.html").all("Cache-Control") == ["public, max-age=0, s-maxage=60, stale-while-revalidate=30"]
    assert server.request("/assets/index-YpS4Hvbq.js").all("Cache-Control") == [HASHED_CC]
    assert server.request("/assets/gone-Deadbeef.js").all("Cache-Control") == ["max-age=10"]
    assert server.request("/robots.txt").all("CDN-Cache-Control") == []
    # probe agrees with what render wrote
    assert main(["probe", f"http://127.0.0.1:{server.port}", "--manifest", str(VITE), "--cdn-max-age", "60",
                 "--stale-while-revalidate", "30", "--missing-max-age", "10"]) == ExitCode.OK


@pytest.mark.parametrize("strategy", ["map", "exact"])
def test_cdn_cache_control_header_goes_to_unhashed_files_only(tmp_path: Path, servers: list[Nginx], strategy: str) -> None:
    site = site_for(tmp_path, VITE, "--cdn-max-age", "300", "--cdn-header", "cdn-cache-control", "--strategy", strategy)
    server = serve_site(servers, tmp_path / "n", site)
    robots = server.request("/robots.txt")
    assert (robots.all("Cache-Control"), robots.all("CDN-Cache-Control")) == (["no-cache"], ["max-age=300"])
    hashed = server.request("/assets/index-YpS4Hvbq.js")
    assert (hashed.all("Cache-Control"), hashed.all("CDN-Cache-Control")) == ([HASHED_CC], [])


def test_explain_shows_the_cdn_header_and_what_a_missing_file_gets(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["explain", "--manifest", str(VITE), "--cdn-max-age", "300", "--cdn-header", "cdn-cache-control", "/robots.txt"]
    assert main(args) == ExitCode.OK
    out = capsys.readouterr().out
    assert "CDN-Cache-Control: max-age=300" in out
    assert "if the file is missing: a plain 404 (Cache-Control: no-store, private)" in out


def test_a_missing_scripts_404_is_text_plain_even_with_mime_types(tmp_path: Path, servers: list[Nginx]) -> None:
    """Every real server includes mime.types, which would type a .js 404 as JavaScript."""
    mime_types = Path("/etc/nginx/mime.types")
    if not mime_types.is_file():
        pytest.skip("no /etc/nginx/mime.types on this machine")
    prefix, port = tmp_path / "n", free_port()
    prefix.mkdir()
    (prefix / "site.conf").write_text(site_for(tmp_path, VITE).replace("listen 80;", f"listen 127.0.0.1:{port};"), encoding="utf-8")
    server = Nginx(prefix, f"    include {mime_types};\n    include {prefix / 'site.conf'};\n", port)
    server.start()
    servers.append(server)
    assert server.request("/assets/index-YpS4Hvbq.js").one("Content-Type") == "application/javascript"
    missing = server.request("/assets/gone-Deadbeef.js")
    assert_plain_404(missing.status, missing.one("Content-Type"), missing.all("Cache-Control"), missing.body)


def test_the_sites_404_page_is_a_miss_no_cache_keeps_but_a_page_by_its_own_url(tmp_path: Path, servers: list[Nginx]) -> None:
    site_dir = SAMPLES / "builds" / "eleventy" / "_site"
    server = serve_site(servers, tmp_path / "n", site_for(tmp_path, site_dir, "--cdn-max-age", "300", "--cdn-header", "cdn-cache-control"))
    missing_page = server.request("/no/such/page/")
    assert (missing_page.status, missing_page.all("Cache-Control"), missing_page.all("CDN-Cache-Control")) == (
        404, ["no-store, private"], [])
    assert missing_page.body == (site_dir / "404.html").read_bytes()
    page = server.request("/404.html")
    assert (page.status, page.all("Cache-Control"), page.all("CDN-Cache-Control")) == (200, ["no-cache"], ["max-age=300"])


def test_what_the_origin_sends_stands_and_every_file_gets_the_added_headers(tmp_path: Path, servers: list[Nginx]) -> None:
    """A server-level expires does not rewrite the origin's Cache-Control, --add-header still
    reaches the file, and a status outside the common ones (a CDN's 522) is a plain 404."""
    origin = echo_origin(servers, tmp_path / "echo")
    server_part = tmp_path / "server.conf"
    http_part = tmp_path / "http.conf"
    args = ["render", str(VITE), "--http-out", str(http_part), "--server-out", str(server_part), "--nginx-test",
            "--skew-origin", f"http://127.0.0.1:{origin.port}", "--add-header", "X-Content-Type-Options: nosniff"]
    assert main(args) == ExitCode.OK
    a = start_nginx(tmp_path / "a", http_part=http_part.read_text(), server_part=server_part.read_text())  # hostile: expires 1h
    servers.append(a)
    fetched = a.request("/assets/other-build-1a2b3c4d.js")
    assert fetched.status == 200 and fetched.all("Cache-Control") == [HASHED_CC] and fetched.all("Expires") == []
    assert fetched.all("X-Content-Type-Options") == ["nosniff"]
