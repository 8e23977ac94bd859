"""Deployment details on real nginx: precompressed files, special files, dotfiles, rolling
deploys, immutable prefixes, extra headers, fonts across origins, the regex strategy and
several manifests in one config."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import pytest

from conftest import SAMPLES
from django_build import build_django_static
from nginx_harness import HASHED_CC, check_every_file, url_for
from nginxcache.cli import main

pytestmark = pytest.mark.nginx


def render(tmp_path: Path, *args: str, server_only: bool = False) -> tuple[str | None, str]:
    http_out, server_out = tmp_path / "http.conf", tmp_path / "server.conf"
    outputs = ["--server-out", str(server_out)] if server_only else ["--http-out", str(http_out), "--server-out", str(server_out)]
    code = main(["render", *args, *outputs, "--nginx-test"])
    assert code == 0
    return (None if server_only else http_out.read_text()), server_out.read_text()


def webpack_tree(tmp_path: Path, extra: dict[str, str] | None = None) -> tuple[Path, dict[str, str]]:
    tree = tmp_path / "dist"
    files = {"main.js": "main.62fdc95fff1a65cd54cd.js", "app.css": "app.0b1f2c3d4e5f6a7b8c9d.css",
             "font.woff2": "font.9a8b7c6d5e4f3a2b1c0d.woff2", "index.html": "index.html", **(extra or {})}
    tree.mkdir(parents=True)
    for output in files.values():
        (tree / output).write_text(f"/* {output} */\n" * 50)
    (tree / "manifest.json").write_text(json.dumps({k: "/static/" + v for k, v in files.items()}))
    return tree, files


def test_precompressed_files_carry_vary_and_keep_their_policy(tmp_path: Path, serve, capsys) -> None:
    tree, files = webpack_tree(tmp_path)
    for name in (files["main.js"], "index.html"):
        (tree / (name + ".gz")).write_bytes(gzip.compress((tree / name).read_bytes()))
    (tree / (files["app.css"] + ".gz")).write_bytes(gzip.compress(b"an older build"))
    http_part, server_part = render(tmp_path, str(tree / "manifest.json"), "--root", str(tree))
    assert "do not decompress to their current source" in capsys.readouterr().err
    server = serve(http_part=http_part, server_part=server_part)
    for uri, cache_control in (("/static/" + files["main.js"], HASHED_CC), ("/static/index.html", "no-cache")):
        response = server.request(uri, headers={"Accept-Encoding": "gzip"})
        assert response.status == 200
        assert response.one("Content-Encoding") == "gzip"
        assert response.one("Vary") == "Accept-Encoding"
        assert response.all("Cache-Control") == [cache_control]
        assert gzip.decompress(response.body) == (tree / uri.removeprefix("/static/")).read_bytes()
        plain = server.request(uri)
        assert plain.one("Content-Encoding") is None and plain.body == (tree / uri.removeprefix("/static/")).read_bytes()


def test_special_files_dotfiles_and_source_maps(tmp_path: Path, serve) -> None:
    tree, files = webpack_tree(tmp_path, {"page.html": "page.aaaa1111bbbb2222cccc.html",
                                          "main.js.map": "main.62fdc95fff1a65cd54cd.js.map"})
    (tree / ".env").write_text("SECRET=1\n")
    (tree / ".well-known").mkdir()
    (tree / ".well-known" / "security.txt").write_text("Contact: x\n")
    http_part, server_part = render(tmp_path, str(tree / "manifest.json"), "--root", str(tree),
                                    "--service-worker", "custom-worker.js")
    server = serve(http_part=http_part, server_part=server_part)
    # An HTML page revalidates even under a hashed name.
    assert server.request("/static/page.aaaa1111bbbb2222cccc.html").all("Cache-Control") == ["no-cache"]
    assert server.request("/static/.env").status == 404
    assert server.request("/static/.well-known/security.txt").status == 200
    assert server.request("/static/manifest.json").status == 404
    assert server.request("/static/main.62fdc95fff1a65cd54cd.js.map").status == 200
    _, server_part = render(tmp_path, str(tree / "manifest.json"), "--root", str(tree), "--deny-source-maps")
    server = serve(http_part=http_part, server_part=server_part)
    assert server.request("/static/main.62fdc95fff1a65cd54cd.js.map").status == 404


def test_rolling_deploy_keeps_earlier_hashed_files_while_on_disk(tmp_path: Path, serve) -> None:
    tree, files = webpack_tree(tmp_path)
    old = tmp_path / "old-manifest.json"
    old.write_text(json.dumps({"main.js": "/static/main.00aa11bb22cc33dd44ee.js", "gone.js": "/static/gone.11aa11bb22cc33dd44ee.js"}))
    (tree / "main.00aa11bb22cc33dd44ee.js").write_text("previous build\n")
    http_part, server_part = render(tmp_path, str(tree / "manifest.json"), "--root", str(tree), "--keep-manifest", str(old))
    assert "gone.11aa" not in http_part  # no longer on disk: nothing to keep
    server = serve(http_part=http_part, server_part=server_part)
    check_every_file(server, tree, "/static/", {"/static/" + files[k] for k in ("main.js", "app.css", "font.woff2")}
                     | {"/static/main.00aa11bb22cc33dd44ee.js"}, {"/static/manifest.json"})


def test_immutable_prefix_extra_headers_and_cors_fonts(tmp_path: Path, serve) -> None:
    tree, files = webpack_tree(tmp_path)
    (tree / "_next" / "static" / "chunks").mkdir(parents=True)
    (tree / "_next" / "static" / "chunks" / "webpack.js").write_text("next\n")
    (tree / "_next" / "data.json").write_text("{}\n")
    http_part, server_part = render(
        tmp_path, str(tree / "manifest.json"), "--root", str(tree), "--immutable-prefix", "/static/_next/static/",
        "--add-header", "X-Content-Type-Options: nosniff", "--cors-fonts", "https://www.example.com",
    )
    server = serve(http_part=http_part, server_part=server_part)
    assert server.request("/static/_next/static/chunks/webpack.js").all("Cache-Control") == [HASHED_CC]
    assert server.request("/static/_next/data.json").all("Cache-Control") == ["no-cache"]
    font = server.request("/static/" + files["font.woff2"])
    assert font.one("Access-Control-Allow-Origin") == "https://www.example.com"
    assert font.all("Cache-Control") == [HASHED_CC]
    css = server.request("/static/" + files["app.css"])
    assert css.one("Access-Control-Allow-Origin") is None
    assert css.one("X-Content-Type-Options") == "nosniff"
    assert server.request("/static/index.html").one("X-Content-Type-Options") == "nosniff"


def test_exact_strategy_repeats_extra_headers_in_every_location(tmp_path: Path, serve) -> None:
    tree, files = webpack_tree(tmp_path)
    _, server_part = render(tmp_path, str(tree / "manifest.json"), "--root", str(tree), "--strategy", "exact",
                            "--add-header", "X-Frame-Options: SAMEORIGIN", server_only=True)
    server = serve(http_part=None, server_part=server_part)
    for uri in ("/static/" + files["main.js"], "/static/index.html"):
        assert server.request(uri).all("X-Frame-Options") == ["SAMEORIGIN"]


def test_regex_strategy_refused_when_it_catches_an_unhashed_file(tmp_path: Path, capsys) -> None:
    tree, files = webpack_tree(tmp_path)
    (tree / "vendor.0123456789abcdef0123.js").write_text("copied, not hashed\n")
    code = main(["render", str(tree / "manifest.json"), "--root", str(tree), "--strategy", "regex",
                 "--pattern", r"\.[0-9a-f]{20}\.[a-z0-9]+$", "--server-out", str(tmp_path / "s.conf")])
    assert code == 3
    assert "vendor.0123456789abcdef0123.js" in capsys.readouterr().err
    assert not (tmp_path / "s.conf").exists()


def test_regex_strategy_when_verified(tmp_path: Path, serve) -> None:
    tree, files = webpack_tree(tmp_path)
    _, server_part = render(tmp_path, str(tree / "manifest.json"), "--root", str(tree), "--strategy", "regex",
                            "--pattern", r"\.[0-9a-f]{20}\.[a-z0-9]+$", server_only=True)
    server = serve(http_part=None, server_part=server_part)
    hashed = {"/static/" + files[k] for k in ("main.js", "app.css", "font.woff2")}
    check_every_file(server, tree, "/static/", hashed, {"/static/manifest.json"})


def test_django_site_with_a_vite_bundle_below_static(tmp_path: Path, serve) -> None:
    """Two manifests in one config: the Vite build's paths are mounted where it sits in --root."""
    root = build_django_static(tmp_path / "django")
    shutil.copytree(SAMPLES / "vite" / "dist", root / "dist")
    vite_manifest = root / "dist" / ".vite" / "manifest.json"
    http_part, server_part = render(tmp_path, str(root / "staticfiles.json"), str(vite_manifest), "--root", str(root))
    server = serve(http_part=http_part, server_part=server_part)
    paths = json.loads((root / "staticfiles.json").read_text())["paths"]
    hashed = {"/static/" + v for v in paths.values() if not v.split("/")[-1].startswith(".")}
    vite = json.loads(vite_manifest.read_text())
    hashed |= {"/static/dist/" + c["file"] for c in vite.values()}
    hashed |= {"/static/dist/" + x for c in vite.values() for x in c.get("css", []) + c.get("assets", [])}
    check_every_file(server, root, "/static/", hashed, {"/static/staticfiles.json"})


def test_scanned_site_without_manifest(tmp_path: Path, serve, capsys) -> None:
    """An old CachedStaticFilesStorage-style tree: no manifest, hashes verified by content."""
    root = build_django_static(tmp_path / "django")
    paths = json.loads((root / "staticfiles.json").read_text())["paths"]
    (root / "staticfiles.json").unlink()
    assert main(["scan", str(root)]) == 0
    assert "site/vendor.0123456789ab.js" in capsys.readouterr().out  # the look-alike is reported
    http_part, server_part = render(tmp_path, "--scan", str(root), "--root", str(root), "--prefix", "/static/")
    server = serve(http_part=http_part, server_part=server_part)
    hashed = {"/static/" + v for v in paths.values() if (root / v).is_file() and not v.split("/")[-1].startswith(".")}
    # Django's manifest calls this copy "site/back/slash.1e56896a821f.txt" but wrote it with the
    # backslash; its name verifies against its content, so the scan finds the real file.
    hashed.add("/static/site/back\\slash.1e56896a821f.txt")
    assert check_every_file(server, root, "/static/", hashed, set()) > 100
