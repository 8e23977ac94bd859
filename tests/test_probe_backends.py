"""`nginxcache probe --backend/--backends`, the deploy gate, against real nginx servers on
127.0.0.1: each backend must serve every hashed file of the new build with its long-lived
headers before the HTML switch. One backend lacking one file is exit 1 naming both; one
that cannot be reached is exit 6, in bounded time."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
from functools import partial
from pathlib import Path

import pytest
from test_probe import WEBPACK_HASHED, render, webpack_tree

from nginx_harness import Nginx, free_port
from nginxcache.cli import main
from nginxcache.httpwire import Origin
from nginxcache.probe import BackendReport, format_backends_text, parse_backends

pytestmark = pytest.mark.nginx

LACKING = "480.c8088a729a1384aa9e3b.js"


def gate(capsys: pytest.CaptureFixture[str], *args: str | Path, timeout: str = "5") -> tuple[int, str, str]:
    code = main(["probe", *map(str, args), "--timeout", timeout, "--concurrency", "4"])
    captured = capsys.readouterr()
    return int(code), captured.out, captured.err


def url(server: Nginx) -> str:
    return f"http://127.0.0.1:{server.port}"


def backend(tmp_path: Path, serve, capsys, name: str, *, lacking: tuple[str, ...] = (), server_part: str | None = None,
            hostile: bool = True) -> tuple[Nginx, Path]:
    """A backend serving build B (the webpack sample) from its own copy of the tree, as an
    rsync of the assets leaves it, with the config render writes for it."""
    tree = tmp_path / name / "dist"
    shutil.copytree(webpack_tree(tmp_path / f"{name}-build"), tree)
    for file in lacking:
        (tree / file).unlink()
    rendered_http, rendered_server = render(capsys, tmp_path / name, tree / "manifest.json", "--root", str(tree))
    server = serve(http_part=rendered_http if server_part is None else None,
                   server_part=rendered_server if server_part is None else server_part.format(tree=tree), hostile=hostile)
    return server, tree


@pytest.fixture
def build(tmp_path: Path) -> Path:
    """Build B on the machine that runs the gate: its manifest and its tree."""
    return webpack_tree(tmp_path / "control")


def test_every_backend_complete_passes(tmp_path: Path, serve, capsys, build: Path) -> None:
    first, _ = backend(tmp_path, serve, capsys, "web1")
    second, _ = backend(tmp_path, serve, capsys, "web2")
    code, out, err = gate(capsys, "--backend", url(first), "--backend", url(second), "--manifest", build / "manifest.json",
                          "--root", build)
    assert (code, err) == (0, "nginxcache: serving at --prefix /static/ (webpack's publicPath, as the manifest's URLs "
                              "give it; give --prefix to change it)\n")
    # 8 files of the tree and a missing name each; hashed: HEAD + encoded GET, the two
    # unhashed: + a conditional GET, the manifest and the missing name: HEAD only.
    requests = 2 * (2 * len(WEBPACK_HASHED) + 3 * 2 + 1 + 1)
    assert out == (f"{url(first)}: ok, 9 URLs\n{url(second)}: ok, 9 URLs\n"
                   f"nginxcache probe: all 2 backends ready; 9 URLs each, {requests} requests\n")


def test_one_backend_lacking_one_file_fails_the_gate_naming_both(tmp_path: Path, serve, capsys, build: Path) -> None:
    complete, _ = backend(tmp_path, serve, capsys, "web1")
    lacking, _ = backend(tmp_path, serve, capsys, "web2", lacking=(LACKING,))
    args = ("--backend", url(complete), "--backend", url(lacking), "--manifest", build / "manifest.json", "--root", build)
    code, out, _ = gate(capsys, *args)
    assert code == 1
    assert out.splitlines() == [
        f"{url(complete)}: ok, 9 URLs",
        f"{url(lacking)}: not ready: 1 hashed file missing (9 URLs checked)",
        f"  /static/{LACKING}: missing (404)",
        "nginxcache probe: 1 of 2 backends ready, 1 not ready, 0 unreachable; 9 URLs each, 35 requests",
    ]
    code, out, _ = gate(capsys, *args, "--format", "json")
    assert code == 1
    reports = json.loads(out)
    assert [(r["backend"], r["ready"], r["missing"]) for r in reports] == [
        (url(complete), True, []), (url(lacking), False, [f"/static/{LACKING}"])]
    [violation] = reports[1]["violations"]
    assert (violation["kind"], violation["status"], violation["problem"]) == ("status", 404, "answered 404, expected 200")
    # What a browser with the new HTML would get there: a plain 404, neither HTML nor immutable.
    answer = lacking.request(f"/static/{LACKING}")
    assert answer.status == 404 and answer.one("Content-Type") == "text/plain"
    assert not any("immutable" in value for value in answer.all("Cache-Control"))


def test_old_html_or_none_yet_passes_but_long_lived_html_fails(tmp_path: Path, serve, capsys, build: Path) -> None:
    """Before the switch a backend still serves the old pages, or has none of the new
    unhashed files yet: only how they are cached is judged."""
    old_pages, tree = backend(tmp_path, serve, capsys, "web1")
    (tree / "index.html").write_text("<p>build A</p>\n")
    (tree / "robots.txt").unlink()
    immutable_everywhere, _ = backend(tmp_path, serve, capsys, "web2", hostile=False, server_part=(
        'location /static/ {{ alias {tree}/; add_header Cache-Control "public, max-age=31536000, immutable"; }}\n'))
    args = ("--backend", url(old_pages), "--backend", url(immutable_everywhere), "--manifest", build / "manifest.json",
            "--root", build, "--format", "json")
    code, out, _ = gate(capsys, *args)
    assert code == 1
    first, second = json.loads(out)
    assert (first["ready"], first["pending"], first["violations"]) == (True, ["/static/robots.txt"], [])
    assert second["ready"] is False and second["missing"] == []
    assert {(v["uri"], v["kind"]) for v in second["violations"]} == {
        ("/static/index.html", "unhashed-long-lived"), ("/static/robots.txt", "unhashed-long-lived"),
        ("/static/manifest.json", "denied-served")}
    code, out, _ = gate(capsys, *args[:-2])
    lines = out.splitlines()
    assert lines[0] == f"{url(old_pages)}: ok, 9 URLs; 1 unhashed not there yet (they come with the switch)"
    assert lines[1] == f"{url(immutable_everywhere)}: not ready: 3 URLs with violations (9 URLs checked)"
    assert (f'  /static/index.html: not content-hashed, but Cache-Control "public, max-age=31536000, immutable" is '
            "immutable: browsers keep the old file after a deploy") in lines


def test_backend_down_is_exit_6_fast_and_a_missing_file_wins(tmp_path: Path, serve, capsys, build: Path) -> None:
    complete, _ = backend(tmp_path, serve, capsys, "web1")
    down = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    started = time.monotonic()
    code, out, _ = gate(capsys, "--backend", down, "--backend", url(complete), "--manifest", build / "manifest.json")
    assert time.monotonic() - started < 3
    assert code == 6
    assert out.splitlines()[0] == f"{down}: unreachable: connection refused"
    assert out.splitlines()[-1].startswith("nginxcache probe: 1 of 2 backends ready, 0 not ready, 1 unreachable;")

    lacking, _ = backend(tmp_path, serve, capsys, "web2", lacking=(LACKING,))
    code, out, _ = gate(capsys, "--backend", down, "--backend", url(lacking), "--manifest", build / "manifest.json")
    assert code == 1  # a file known to be missing: no retry mends it
    assert f"{url(lacking)}: not ready: 1 hashed file missing" in out


def test_backend_that_stops_answering_is_given_up_in_bounded_time(tmp_path: Path, serve, capsys, build: Path) -> None:
    complete, _ = backend(tmp_path, serve, capsys, "web1")
    for number in range(100):  # new pages, not on the backends yet: 109 URLs each
        (build / f"page{number}.txt").write_text("new\n")
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)  # the kernel completes handshakes; nobody ever reads
        silent = f"http://127.0.0.1:{listener.getsockname()[1]}"
        started = time.monotonic()
        code, out, _ = gate(capsys, "--backend", silent, "--backend", url(complete), "--manifest", build / "manifest.json",
                            "--root", build, "--format", "json", timeout="0.3")
        elapsed = time.monotonic() - started
    assert code == 1
    # Asked to the end, 109 URLs 4 at a time would take 28 rounds of 0.3 s: it is given up
    # after 5 without an answer (the checks already started still end, within 0.3 s).
    assert elapsed < 4
    hung, ready = json.loads(out)
    assert ready["ready"] is True and len(ready["pending"]) == 100
    assert hung["ready"] is False and hung["stopped"].startswith("stopped answering (5 URLs in a row got no answer): ")
    assert 5 <= hung["checked"] <= 5 + 2 * 4
    assert hung["stopped"].endswith(f"{109 - hung['checked']} of 109 URLs not checked")
    assert {v["kind"] for v in hung["violations"]} == {"no-response"}


def test_backends_file_with_comments_and_blank_lines(tmp_path: Path, serve, capsys, build: Path) -> None:
    first, _ = backend(tmp_path, serve, capsys, "web1")
    lacking, _ = backend(tmp_path, serve, capsys, "web2", lacking=(LACKING,))
    inventory = tmp_path / "inventory.txt"
    inventory.write_text(f"# web servers, written by the inventory\n\n{url(first)}   # web1\n  {url(lacking)}/\n"
                         f"{url(first)}\n")  # named twice: probed once
    code, out, _ = gate(capsys, "--backends", inventory, "--manifest", build / "manifest.json")
    assert code == 1
    assert [line.split(": ")[0] for line in out.splitlines()[:-1] if not line.startswith(" ")] == [url(first), url(lacking)]


@pytest.mark.parametrize(("text", "message"), [
    ("http://127.0.0.1:8080\nweb2.example.com\n", "{file}:2: backend 'web2.example.com': give http://HOST[:PORT] or https://HOST[:PORT]"),
    ("http://127.0.0.1:8080/static/\n", "{file}:1: backend 'http://127.0.0.1:8080/static/' is an origin: drop the path "
                                       "(--prefix says where the files are)"),
    ("# nothing yet\n\n", "{file}: names no backend (one URL a line: http://HOST[:PORT])"),
    (b"\xff\xfe", "{file}: not UTF-8 (byte 0)"),
])
def test_bad_backends_file_is_exit_3_in_one_line(tmp_path: Path, capsys, text: str | bytes, message: str) -> None:
    inventory = tmp_path / "inventory.txt"
    inventory.write_bytes(text if isinstance(text, bytes) else text.encode())
    code, out, err = gate(capsys, "--backends", inventory, "--manifest", webpack_tree(tmp_path) / "manifest.json")
    assert (code, out) == (3, "")
    assert err == f"nginxcache: error: {message.format(file=inventory)}\n"


def test_missing_backends_file_is_exit_3(tmp_path: Path, capsys) -> None:
    code, _, err = gate(capsys, "--backends", tmp_path / "nope.txt", "--manifest", webpack_tree(tmp_path) / "manifest.json")
    assert (code, err) == (3, f"nginxcache: error: {tmp_path / 'nope.txt'}: no such file\n")


@pytest.mark.parametrize(("argv", "message"), [
    ([], "give BASE_URL (one site) or --backend/--backends (every backend of a fleet)"),
    (["http://127.0.0.1:9", "--backend", "http://127.0.0.1:10"], "give BASE_URL, or --backend/--backends, not both"),
    (["--backend", "127.0.0.1:9"], "--backend '127.0.0.1:9': give http://HOST[:PORT] or https://HOST[:PORT]"),
    (["--backend", "http://127.0.0.1:9", "--host", "www.example.com/x"],
     "--host 'www.example.com/x': give a host name, as in the site's URL (www.example.com[:PORT])"),
])
def test_usage_errors_are_exit_2_in_one_line(tmp_path: Path, capsys, argv: list[str], message: str) -> None:
    code, out, err = gate(capsys, *argv, "--manifest", webpack_tree(tmp_path) / "manifest.json")
    assert (code, out, err) == (2, "", f"nginxcache: error: {message}\n")


def test_host_names_the_virtual_host(tmp_path: Path, capsys, build: Path) -> None:
    """Backends that answer only for the site's name: --host sends it."""
    tree = webpack_tree(tmp_path / "web1")
    http_part, server_part = render(capsys, tmp_path, tree / "manifest.json", "--root", str(tree))
    prefix = tmp_path / "nginx-vhost"
    prefix.mkdir()
    (prefix / "http.conf").write_text(http_part)
    (prefix / "server.conf").write_text(server_part)
    port = free_port()
    server = Nginx(prefix, (
        f"    include {prefix / 'http.conf'};\n"
        f"    server {{ listen 127.0.0.1:{port} default_server; return 421; }}\n"
        f"    server {{ listen 127.0.0.1:{port}; server_name www.example.test; include {prefix / 'server.conf'}; }}\n"
    ), port)
    server.start()
    try:
        args = ("--backend", url(server), "--manifest", build / "manifest.json")
        code, out, _ = gate(capsys, *args)
        assert code == 1 and f"{url(server)}: not ready: 8 URLs with violations" in out  # 421 for all; the manifest is not served
        code, out, _ = gate(capsys, *args, "--host", "www.example.test")
        assert (code, out.splitlines()[0]) == (0, f"{url(server)}: ok, 9 URLs")
    finally:
        server.stop()


def make_certificate(directory: Path, name: str) -> Path:
    """A CA of our own and a certificate for `name` signed by it: (the CA's file)."""
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    run = partial(subprocess.run, check=True, capture_output=True, cwd=directory)
    run(["openssl", "req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=nginxcache test CA",
         "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"])
    run(["openssl", "req", *ec, "-keyout", "site.key", "-out", "site.csr", "-subj", f"/CN={name}"])
    (directory / "ext.cnf").write_text(f"subjectAltName=DNS:{name}\nauthorityKeyIdentifier=keyid\nbasicConstraints=CA:FALSE\n"
                                       "extendedKeyUsage=serverAuth\n")
    run(["openssl", "x509", "-req", "-in", "site.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
         "-out", "site.pem", "-days", "2", "-extfile", "ext.cnf"])
    return directory / "ca.pem"


@pytest.mark.skipif(shutil.which("openssl") is None, reason="the openssl command makes the test certificates")
def test_host_is_the_tls_server_name_and_the_certificates_name(tmp_path: Path, capsys, build: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """A backend by its address over https: --host is sent as SNI, and the certificate is
    checked against it (not against 127.0.0.1)."""
    tree = webpack_tree(tmp_path / "web1")
    http_part, server_part = render(capsys, tmp_path, tree / "manifest.json", "--root", str(tree))
    prefix = tmp_path / "nginx-tls"
    prefix.mkdir()
    monkeypatch.setenv("SSL_CERT_FILE", str(make_certificate(prefix, "www.example.test")))
    (prefix / "http.conf").write_text(http_part)
    (prefix / "server.conf").write_text(server_part)
    port = free_port()
    server = Nginx(prefix, (
        f"    include {prefix / 'http.conf'};\n"
        f"    server {{ listen 127.0.0.1:{port} ssl default_server; ssl_certificate {prefix / 'site.pem'};\n"
        f"        ssl_certificate_key {prefix / 'site.key'}; return 421; }}\n"
        f"    server {{ listen 127.0.0.1:{port} ssl; server_name www.example.test; ssl_certificate {prefix / 'site.pem'};\n"
        f"        ssl_certificate_key {prefix / 'site.key'}; include {prefix / 'server.conf'}; }}\n"
    ), port)
    server.start()
    try:
        args = ("--backend", f"https://127.0.0.1:{port}", "--manifest", build / "manifest.json")
        code, out, _ = gate(capsys, *args)
        assert code == 6
        assert out.splitlines()[0] == (
            f"https://127.0.0.1:{port}: unreachable: TLS certificate not accepted: IP address mismatch, certificate is not "
            "valid for '127.0.0.1'. (--host gives the site's name, when a server is reached by its address)")
        code, out, _ = gate(capsys, *args, "--host", "www.example.test")
        assert (code, out.splitlines()[0]) == (0, f"https://127.0.0.1:{port}: ok, 9 URLs")
    finally:
        server.stop()


def test_parse_backends_and_the_bounded_text_report() -> None:
    assert parse_backends("https://a.example\n#x\nhttp://b.example:8080 # b\nhttps://a.example:443\n", "inv") == [
        Origin("https", "a.example", 443), Origin("http", "b.example", 8080)]
    origin = Origin("http", "10.0.0.5", 80)
    from nginxcache.probe import Violation
    violations = [Violation(f"http://10.0.0.5/f{i}.js", f"/f{i}.js", "HEAD", "status", "answered 404, expected 200", 404)
                  for i in range(7)]
    report = BackendReport(origin, 8, 8, violations, [v.uri for v in violations], [])
    assert format_backends_text([report], 8).splitlines() == [
        "http://10.0.0.5: not ready: 7 hashed files missing (8 URLs checked)",
        *(f"  /f{i}.js: missing (404)" for i in range(5)),
        "  ... and 2 more (--format json lists every one)",
        "nginxcache probe: 0 of 1 backends ready, 1 not ready, 0 unreachable; 8 URLs each, 8 requests",
    ]
