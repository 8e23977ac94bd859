"""The served tree under attack: symlinks out of --root, a link to /, a gzip bomb beside an
asset. Nothing outside the root is served by the rendered config (real nginx), the walk
never leaves the root, and every check is bounded in time and memory."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import zlib
from pathlib import Path

import pytest
from nginx_harness import url_for

from nginxcache import pipeline
from nginxcache.buildtree import Symlinks, same_after_gunzip, served_files
from nginxcache.cli import main

SECRET = b"root:x:0:0:the secret outside the root\n"


def build_with_links(tmp_path: Path) -> tuple[Path, Path]:
    """A Vite-shaped build whose manifest names a symlink to a file outside the root."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "passwd").write_bytes(SECRET)
    (outside / "dir").mkdir()
    (outside / "dir" / "inner.txt").write_bytes(SECRET)
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text("<!doctype html>")
    (dist / "assets" / "main-Ab12Cd34.js").write_text("console.log(1)")
    (dist / "assets" / "leak-Ef56Gh78.js").symlink_to(outside / "passwd")  # named as hashed by the manifest
    (dist / "assets" / "plain-leak.txt").symlink_to(outside / "passwd")
    (dist / "assets" / "outdir").symlink_to(outside / "dir")
    (dist / "rootfs").symlink_to("/")  # walking it would read the whole file system
    (dist / "assets" / "alias-Ij90Kl12.js").symlink_to("main-Ab12Cd34.js")  # inside the root
    manifest = dist / ".vite" / "manifest.json"
    manifest.parent.mkdir()
    manifest.write_text(json.dumps({
        "index.html": {"file": "assets/main-Ab12Cd34.js", "isEntry": True, "imports": ["_leak"]},
        "_leak": {"file": "assets/leak-Ef56Gh78.js"},
        "_alias": {"file": "assets/alias-Ij90Kl12.js"},
    }))
    return dist, manifest


def test_the_walk_never_leaves_the_root(tmp_path: Path) -> None:
    dist, _ = build_with_links(tmp_path)
    started = time.monotonic()
    tree = served_files(dist, "/", Symlinks.REFUSE)
    assert time.monotonic() - started < 5  # a walk of / would take far longer; a bound, not a benchmark
    assert set(tree.files) == {"/index.html", "/assets/main-Ab12Cd34.js", "/.vite/manifest.json"}
    assert [uri for uri, _ in tree.leaving] == ["/assets/leak-Ef56Gh78.js", "/assets/outdir", "/assets/plain-leak.txt", "/rootfs"]
    assert tree.refused == ["/assets/alias-Ij90Kl12.js"]
    # Following links (nginx's own default) lists what nginx would serve, but never walks out.
    followed = served_files(dist, "/", Symlinks.FOLLOW)
    assert "/assets/leak-Ef56Gh78.js" in followed.files and "/assets/alias-Ij90Kl12.js" in followed.files
    assert not any(uri.startswith(("/rootfs/", "/assets/outdir/")) for uri in followed.files)


def test_each_link_out_of_the_root_is_a_warning(tmp_path: Path) -> None:
    dist, manifest = build_with_links(tmp_path)
    planned = pipeline.plan(pipeline.Request(manifests=(manifest,), root=str(dist)))
    leaving = [w for w in planned.warnings if "leads outside" in w]
    assert len(leaving) == 4
    assert f"symlink /assets/leak-Ef56Gh78.js leads outside {dist}, to {tmp_path / 'outside' / 'passwd'}: not served" in leaving[0]
    assert any("1 symlink(s) inside" in w and "refused by nginx" in w for w in planned.warnings)
    assert planned.options.disable_symlinks == ("on", "from=$document_root")


@pytest.mark.nginx
def test_nothing_outside_the_root_is_served(tmp_path: Path, serve, capsys) -> None:
    dist, manifest = build_with_links(tmp_path)
    http_out, server_out = tmp_path / "http.conf", tmp_path / "server.conf"
    assert main(["render", str(manifest), "--root", str(dist), "--http-out", str(http_out), "--server-out", str(server_out)]) == 0
    capsys.readouterr()
    server = serve(http_part=http_out.read_text(), server_part=server_out.read_text())
    for uri in ("/assets/leak-Ef56Gh78.js", "/assets/plain-leak.txt", "/assets/outdir/inner.txt", "/rootfs/etc/hostname"):
        response = server.request(url_for(uri))
        assert response.status in (403, 404), f"{uri}: {response.status}"
        assert SECRET not in response.body
        assert not any("immutable" in value for value in response.all("Cache-Control"))
    main_js = server.request(url_for("/assets/main-Ab12Cd34.js"))
    assert main_js.status == 200 and main_js.all("Cache-Control") == ["public, max-age=31536000, immutable"]


@pytest.mark.nginx
def test_a_root_reached_through_a_symlink_is_served(tmp_path: Path, serve, capsys) -> None:
    """Capistrano-style `current -> releases/2`: only links below the root are refused."""
    release = tmp_path / "releases" / "2"
    release.mkdir(parents=True)
    (release / "app.0123456789ab.css").write_text("body{}")
    (release / "staticfiles.json").write_text(json.dumps({"version": "1.1", "paths": {"app.css": "app.0123456789ab.css"}}))
    current = tmp_path / "current"
    current.symlink_to(release)
    http_out, server_out = tmp_path / "http.conf", tmp_path / "server.conf"
    assert main(["render", str(current / "staticfiles.json"), "--root", str(current),
                 "--http-out", str(http_out), "--server-out", str(server_out)]) == 0
    capsys.readouterr()
    server = serve(http_part=http_out.read_text(), server_part=server_out.read_text())
    response = server.request(url_for("/static/app.0123456789ab.css"))
    assert response.status == 200 and response.all("Cache-Control") == ["public, max-age=31536000, immutable"]


@pytest.mark.nginx
def test_following_links_is_a_choice_the_output_states(tmp_path: Path, serve, capsys) -> None:
    dist, manifest = build_with_links(tmp_path)
    http_out, server_out = tmp_path / "http.conf", tmp_path / "server.conf"
    code = main(["render", str(manifest), "--root", str(dist), "--disable-symlinks", "off",
                 "--http-out", str(http_out), "--server-out", str(server_out)])
    err = capsys.readouterr().err
    assert code == 0
    assert "SERVED by nginx, wherever they lead (--disable-symlinks off)" in err
    assert "disable_symlinks off;" in server_out.read_text()
    server = serve(http_part=http_out.read_text(), server_part=server_out.read_text())
    assert server.request(url_for("/assets/alias-Ij90Kl12.js")).status == 200


def gzip_bomb(path: Path, inflated: int) -> None:
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)  # 31: the gzip container
    block = b"\0" * (1 << 20)
    with open(path, "wb") as stream:
        for _ in range(inflated >> 20):
            stream.write(compressor.compress(block))
        stream.write(compressor.flush())


def test_a_gzip_bomb_beside_an_asset_costs_one_chunk(tmp_path: Path) -> None:
    source = tmp_path / "app.css"
    source.write_bytes(b"\0" * 1000)
    bomb = tmp_path / "app.css.gz"
    gzip_bomb(bomb, 256 << 20)  # 256 MiB inflated, a quarter of a MiB on disk
    # VmHWM, not ru_maxrss: getrusage keeps the parent's peak across fork and exec (a pytest
    # worker's hundreds of MB), the memory map's high-water mark starts afresh at exec.
    probe = (
        "import re, sys; from nginxcache.buildtree import same_after_gunzip; "
        "same = same_after_gunzip(sys.argv[1], sys.argv[2]); "
        "status = open('/proc/self/status').read(); "
        "print(same, int(re.search(r'VmHWM:\\s+(\\d+) kB', status).group(1)) // 1024)"
    )
    # The subprocess's timeout is the time bound; its peak memory the memory bound.
    out = subprocess.run([sys.executable, "-c", probe, str(bomb), str(source)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    same, peak_mb = out.stdout.split()
    assert same == "False"
    assert int(peak_mb) < 100, f"{peak_mb} MB to compare a 1 kB file with its .gz"
    assert same_after_gunzip(str(bomb), str(bomb)) is False  # not gzip of itself


def test_an_honest_gz_is_the_same(tmp_path: Path) -> None:
    import gzip

    source = tmp_path / "app.js"
    source.write_bytes(bytes(range(256)) * 1000)
    (tmp_path / "app.js.gz").write_bytes(gzip.compress(source.read_bytes()))
    assert same_after_gunzip(str(tmp_path / "app.js.gz"), str(source))
    (tmp_path / "app.js.gz").write_bytes(gzip.compress(source.read_bytes() + b"!"))
    assert not same_after_gunzip(str(tmp_path / "app.js.gz"), str(source))


def test_scan_never_leaves_the_scanned_directory(tmp_path: Path, capsys) -> None:
    dist, _ = build_with_links(tmp_path)
    started = time.monotonic()
    assert main(["scan", str(dist)]) == 0
    out = capsys.readouterr().out
    assert time.monotonic() - started < 5
    assert "'rootfs': symlink to a directory outside the scanned one: not followed" in out
    assert "'assets/plain-leak.txt': symlink to a file outside the scanned directory, skipped" in out
