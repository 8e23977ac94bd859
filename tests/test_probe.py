"""`nginxcache probe` against real nginx on 127.0.0.1: no violation on nginxcache's own
output for the real samples, every expected violation on hand-written broken configs,
exit 6 in one line when nothing listens. Every run is bounded (--timeout, --concurrency)."""

from __future__ import annotations

import gzip
import io
import json
import shutil
import socket
import time
from collections.abc import Mapping
from pathlib import Path

import pytest

from conftest import SAMPLES
from nginx_harness import Nginx, free_port
from nginxcache.cli import main
from nginxcache.cli.probe import ProgressBar
from nginxcache.probe import Check, Expect, Fetch, Origin, Reply, RequestFailed, probe_check, unhashed_problem

pytestmark = pytest.mark.nginx

WEBPACK_HASHED = ["main.9beed636ed59a8cc7b46.css", "main.fb9ad963a530ab85ffe0.js", "480.c8088a729a1384aa9e3b.js",
                  "logo.7ef0c71e6815f1f6a77d.svg", "legacy.0123456789abcdef0123.js"]
WEBPACK_UNHASHED = ["index.html", "robots.txt"]
WEBPACK_MISSING = "/static/480.c8088a729a1384aa9e3b.js".replace("/480.", "/nginxcache-missing-480.")


def probe(capsys: pytest.CaptureFixture[str], base: str, *args: str | Path) -> tuple[int, str, str]:
    code = main(["probe", base, *map(str, args), "--timeout", "5", "--concurrency", "4"])
    captured = capsys.readouterr()
    return int(code), captured.out, captured.err


def render(capsys: pytest.CaptureFixture[str], tmp_path: Path, manifest: Path, *args: str) -> tuple[str, str]:
    http_out, server_out = tmp_path / "http.conf", tmp_path / "server.conf"
    assert main(["render", str(manifest), "--http-out", str(http_out), "--server-out", str(server_out), *args]) == 0
    capsys.readouterr()  # render's "written" lines
    return http_out.read_text(encoding="utf-8"), server_out.read_text(encoding="utf-8")


def base(server: Nginx) -> str:
    return f"http://127.0.0.1:{server.port}"


def kinds_by_uri(out: str) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for violation in json.loads(out):
        assert set(violation) == {"url", "uri", "request", "kind", "problem", "status"}
        found.setdefault(violation["uri"], set()).add(violation["kind"])
    return found


def webpack_tree(tmp_path: Path) -> Path:
    tree = tmp_path / "dist"
    shutil.copytree(SAMPLES / "webpack" / "dist", tree)
    return tree


@pytest.mark.parametrize(("sample", "manifest", "prefix"), [
    ("vite", ".vite/manifest.json", "/"),
    ("webpack", "manifest.json", "/static/"),
])
def test_rendered_sample_has_no_violation(sample: str, manifest: str, prefix: str, tmp_path: Path, serve,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    tree = tmp_path / "dist"
    shutil.copytree(SAMPLES / sample / "dist", tree)
    http_part, server_part = render(capsys, tmp_path, tree / manifest, "--prefix", prefix, "--root", str(tree))
    server = serve(http_part=http_part, server_part=server_part)  # inside the hostile server { }
    code, out, err = probe(capsys, base(server), "--manifest", tree / manifest, "--prefix", prefix, "--root", tree)
    assert (code, err) == (0, "")
    # Every file of the tree and a missing name; hashed: HEAD + encoded GET, unhashed: + a
    # conditional GET, the manifest and the missing name: HEAD only.
    files = sorted(p.relative_to(tree).as_posix() for p in tree.rglob("*") if p.is_file())
    hashed = 4 if sample == "vite" else len(WEBPACK_HASHED)
    requests = 2 * hashed + 3 * (len(files) - hashed - 1) + 1 + 1
    assert out == f"nginxcache probe: no violation; {len(files) + 1} URLs checked at {base(server)} with {requests} requests\n"
    code, out, _ = probe(capsys, base(server), "--manifest", tree / manifest, "--prefix", prefix, "--format", "json")
    assert (code, out) == (0, "[]\n")


def test_broken_hand_written_config_every_violation(tmp_path: Path, serve, capsys: pytest.CaptureFixture[str]) -> None:
    """The classic: expires plus add_header (two headers), immutable for everything, `always`
    pinning 404s, the manifest served."""
    tree = webpack_tree(tmp_path)
    server = serve(http_part=None, hostile=False, server_part=(
        f'location /static/ {{ alias {tree}/; expires 30d;\n'
        '    add_header Cache-Control "public, max-age=31536000, immutable" always; }\n'
    ))
    args = ("--manifest", tree / "manifest.json", "--prefix", "/static/", "--root", tree)
    code, out, err = probe(capsys, base(server), *args, "--format", "json")
    assert (code, err) == (1, "")
    expected = {f"/static/{name}": {"cache-control-count"} for name in WEBPACK_HASHED}
    expected |= {f"/static/{name}": {"cache-control-count", "unhashed-long-lived"} for name in WEBPACK_UNHASHED}
    expected["/static/manifest.json"] = {"denied-served"}
    expected[WEBPACK_MISSING] = {"missing-immutable"}
    assert kinds_by_uri(out) == expected

    code, out, _ = probe(capsys, base(server), *args)
    lines = out.splitlines()
    assert code == 1
    assert len(lines) == 5 + 2 * 2 + 1 + 1 + 1
    two = '2 Cache-Control headers ("max-age=2592000", "public, max-age=31536000, immutable"), expected exactly one'
    assert f"{base(server)}/static/main.fb9ad963a530ab85ffe0.js: {two}" in lines
    assert (f'{base(server)}/static/robots.txt: not content-hashed, but Cache-Control "max-age=2592000", '
            '"public, max-age=31536000, immutable" is immutable: browsers keep the old file after a deploy') in lines
    assert f"{base(server)}/static/manifest.json: answered 200, expected 404 (a build manifest)" in lines
    assert lines[-2].startswith(f"{base(server)}{WEBPACK_MISSING}: 404 for a missing file with Cache-Control")
    assert lines[-1].startswith("nginxcache probe: 11 violations; 9 URLs checked at ")


def test_no_revalidation_missed_immutable_and_fallback(tmp_path: Path, serve, capsys: pytest.CaptureFixture[str]) -> None:
    """One header, but: no-cache for hashed files too, no 304 (validators ignored), and a
    fallback page answering 200 for a missing hashed name."""
    tree = webpack_tree(tmp_path)
    server = serve(http_part=None, server_part=(
        f'location ^~ /static/ {{ alias {tree}/; expires off; etag off; if_modified_since off;\n'
        '    add_header Cache-Control "no-cache"; try_files $uri /static/index.html;\n'
        '    location = /static/manifest.json { return 404; } }\n'
    ))
    code, out, err = probe(capsys, base(server), "--manifest", tree / "manifest.json", "--prefix", "/static/", "--format", "json")
    assert (code, err) == (1, "")
    expected = {f"/static/{name}": {"hashed-cache-control"} for name in WEBPACK_HASHED}
    expected |= {f"/static/{name}": {"no-304"} for name in WEBPACK_UNHASHED}
    expected[WEBPACK_MISSING] = {"missing-status"}
    assert kinds_by_uri(out) == expected
    problems = {v["uri"]: v["problem"] for v in json.loads(out)}
    assert problems["/static/robots.txt"].startswith("conditional GET (If-Modified-Since: ") and problems[
        "/static/robots.txt"].endswith(" answered 200, not 304")
    assert problems[WEBPACK_MISSING] == 'a missing hashed-looking name answered 200, not 404 (Cache-Control "no-cache")'


def test_precompressed_without_vary(tmp_path: Path, serve, capsys: pytest.CaptureFixture[str]) -> None:
    tree = tmp_path / "dist"
    shutil.copytree(SAMPLES / "vite" / "dist", tree)
    compressed = ["assets/index-YpS4Hvbq.js", "assets/index-BguJmoAq.css", "index.html"]
    for name in compressed:
        (tree / f"{name}.gz").write_bytes(gzip.compress((tree / name).read_bytes()))
    manifest = tree / ".vite" / "manifest.json"
    http_part, server_part = render(capsys, tmp_path, manifest, "--prefix", "/", "--root", str(tree))
    assert "    gzip_static on;\n    gzip_vary on;\n" in server_part
    args = ("--manifest", manifest, "--prefix", "/", "--root", tree, "--format", "json")

    server = serve(http_part=http_part, server_part=server_part)
    assert probe(capsys, base(server), *args)[:2] == (0, "[]\n")
    server.stop()

    broken = serve(http_part=http_part, server_part=server_part.replace("    gzip_vary on;\n", ""))
    code, out, _ = probe(capsys, base(broken), *args)
    assert code == 1
    assert kinds_by_uri(out) == {f"/{name}": {"vary-missing"} for name in compressed}
    assert {v["request"] for v in json.loads(out)} == {"GET Accept-Encoding"}


def test_unreachable_is_exit_6_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tree = webpack_tree(tmp_path)
    port = free_port()  # nothing listens there
    started = time.monotonic()
    code, out, err = probe(capsys, f"http://127.0.0.1:{port}", "--manifest", tree / "manifest.json")
    assert time.monotonic() - started < 5
    assert (code, out) == (6, "")
    assert err == f"nginxcache: error: cannot connect to http://127.0.0.1:{port}: connection refused\n"


@pytest.mark.parametrize(("argv", "code"), [
    (["http://127.0.0.1:9/static/"], 2),  # a path in BASE_URL
    (["ftp://127.0.0.1:9"], 2),
    (["http://127.0.0.1:99999"], 2),
    (["http://www..example"], 2),  # not a host name: no resolver is asked
    (["http://127.0.0.1:9", "--concurrency", "0"], 2),
    (["http://127.0.0.1:9", "--timeout", "0"], 2),
    (["http://127.0.0.1:9", "--format", "xml"], 2),
])
def test_usage_errors(argv: list[str], code: int, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    manifest = webpack_tree(tmp_path) / "manifest.json"
    assert main(["probe", *argv, "--manifest", str(manifest)]) == code
    captured = capsys.readouterr()
    assert captured.out == "" and len(captured.err.splitlines()) == 1


def test_bad_manifest_is_exit_3(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    manifest = tmp_path / "manifest.json"
    manifest.write_text("{not json", encoding="utf-8")
    assert main(["probe", "http://127.0.0.1:9", "--manifest", str(manifest)]) == 3
    err = capsys.readouterr().err
    assert err.startswith(f"nginxcache: error: {manifest}") and len(err.splitlines()) == 1


@pytest.mark.parametrize(("values", "flagged"), [
    (["no-cache"], False),
    (["max-age=0, must-revalidate"], False),
    (["no-store"], False),
    (["public"], True),  # heuristic caching
    (["max-age=600"], True),
    (["public, max-age=31536000, immutable"], True),
    (["no-cache", "immutable"], True),
])
def test_unhashed_judgement(values: list[str], flagged: bool) -> None:
    assert (unhashed_problem(values, "no-cache") is not None) is flagged


def test_progress_bar_draws_and_clears() -> None:
    stream = io.StringIO()
    bar = ProgressBar(stream)
    bar(1, 4)
    bar(2, 4)  # within 0.1 s: not redrawn
    bar(4, 4)  # the last one always is
    bar.clear()
    assert stream.getvalue() == (
        f"\rnginxcache probe [{'#' * 7}{'.' * 23}] 1/4\rnginxcache probe [{'#' * 30}] 4/4\r\x1b[K"
    )


def fake_site(replies: dict[tuple[str, str], Reply | None]) -> Fetch:
    """fetch() for probe_check: (method, first header name or '') -> reply; None: no answer."""
    def fetch(method: str, target: str, headers: Mapping[str, str]) -> Reply:
        reply = replies[(method, next(iter(headers), ""))]
        if reply is None:
            raise RequestFailed("no answer within 5 s")
        return reply
    return fetch


def test_answers_nginx_does_not_give_easily() -> None:
    """No validators; a 304 and an encoded response whose Cache-Control differs from the 200's;
    a request that gets no answer."""
    origin = Origin("http", "127.0.0.1", 8080)
    check = Check("/static/a.css", "/static/a.css", Expect.UNHASHED, "no-cache", "not listed")
    plain = Reply(200, (("Cache-Control", "no-cache"),))
    made, found = probe_check(check, fake_site({
        ("HEAD", ""): plain,
        ("GET", "Accept-Encoding"): Reply(200, (("Content-Encoding", "gzip"), ("Vary", "Accept-Encoding"))),
    }), origin)
    assert made == 2
    assert [(v.kind, v.request) for v in found] == [("no-validator", "HEAD"), ("encoded-cache-control", "GET Accept-Encoding")]
    assert found[1].problem == 'the encoded response sends Cache-Control none, the plain one "no-cache"'

    with_etag = Reply(200, (*plain.headers, ("ETag", '"1-2"')))
    made, found = probe_check(check, fake_site({
        ("HEAD", ""): with_etag,
        ("GET", "If-None-Match"): Reply(304, (("Cache-Control", "max-age=600"),)),
        ("GET", "Accept-Encoding"): None,
    }), origin)
    assert made == 3
    assert [(v.kind, v.status) for v in found] == [("304-cache-control", 304), ("no-response", None)]
    assert found[1].url == "http://127.0.0.1:8080/static/a.css"
    assert found[1].problem == "GET Accept-Encoding: no answer: no answer within 5 s"


def test_silent_server_is_bounded_by_timeout(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A port that accepts connections but never answers: every check times out, in bounded time."""
    tree = webpack_tree(tmp_path)
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)  # the kernel completes handshakes; nobody ever reads
        port = listener.getsockname()[1]
        started = time.monotonic()
        code = main(["probe", f"http://127.0.0.1:{port}", "--manifest", str(tree / "manifest.json"),
                     "--timeout", "0.3", "--concurrency", "8", "--format", "json"])
        elapsed = time.monotonic() - started
    found = json.loads(capsys.readouterr().out)
    assert code == 1
    assert elapsed < 3  # 9 checks, 8 at a time: two rounds of 0.3 s
    assert len(found) == 9
    assert {(v["kind"], v["request"], v["problem"]) for v in found} == {
        ("no-response", "HEAD", "HEAD: no answer: timed out after 0.3 s waiting for an answer")}


def test_no_cache_control_at_all() -> None:
    origin = Origin("https", "cdn.example.test", 443)
    check = Check("/static/a.0123456789ab.css", "/static/a.0123456789ab.css", Expect.HASHED,
                  "public, max-age=31536000, immutable", "hashed")
    made, found = probe_check(check, fake_site({("HEAD", ""): Reply(200, ()), ("GET", "Accept-Encoding"): Reply(200, ())}), origin)
    assert made == 2
    assert [(v.url, v.kind, v.problem) for v in found] == [(
        "https://cdn.example.test/static/a.0123456789ab.css", "cache-control-count",
        'no Cache-Control header, expected "public, max-age=31536000, immutable"',
    )]
