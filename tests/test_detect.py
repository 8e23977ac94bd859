"""Build directories: what is detected and what is refused, the options that override the
detection, and the edges of a site's rules, each served by real nginx where it serves."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from nginxcache.cli.app import with_optional_values
from nginxcache.detect import TOOL_NAMES, detect
from nginxcache.errors import ExitCode, ManifestError
from tests.nginx_harness import HASHED_CC, start_nginx
from tests.test_frameworks import nginxcache

BUILDS = Path(__file__).resolve().parent.parent / "sample_configs" / "builds"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return nginxcache(*args)


def render(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run("render", *args, "--http-out", str(tmp_path / "http.conf"), "--server-out", str(tmp_path / "server.conf"))


def serve(tmp_path: Path):
    return start_nginx(tmp_path / "nginx", http_part=(tmp_path / "http.conf").read_text(),
                       server_part=(tmp_path / "server.conf").read_text())


def test_a_directory_nothing_recognises_is_exit_3_saying_what_was_looked_for(tmp_path: Path) -> None:
    site = tmp_path / "random"
    site.mkdir()
    (site / "a.txt").write_text("a")
    result = render(tmp_path, str(site))
    assert result.returncode == ExitCode.BAD_INPUT
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"nginxcache: error: {site}: no build tool recognised")
    for words in ("_next/static/", "staticfiles.json", "nginxcache scan", "--framework"):
        assert words in lines[0]
    assert not (tmp_path / "http.conf").exists()


def test_two_tools_in_one_directory_are_an_error_naming_both_unless_framework_decides(tmp_path: Path) -> None:
    site = tmp_path / "out"
    (site / "_next/static/chunks").mkdir(parents=True)
    (site / "_next/static/chunks/a.js").write_text("a")
    (site / "_astro").mkdir()
    (site / "_astro/b.Ab12Cd34.js").write_text("b")
    (site / "index.html").write_text("<p>home</p>")
    with pytest.raises(ManifestError) as caught:
        detect(site)
    assert "two build tools found: Next.js" in str(caught.value) and "Astro" in str(caught.value)
    assert detect(site, "astro").tool == "astro"
    result = render(tmp_path, str(site), "--framework", "astro")
    assert result.returncode == 0, result.stderr
    assert result.stderr.startswith(f"nginxcache: using (--framework) Astro in {site}: evidence: /_astro/ (immutable)")


def test_a_misspelt_framework_is_a_usage_error_listing_the_names(tmp_path: Path) -> None:
    result = render(tmp_path, str(BUILDS / "astro/dist"), "--framework", "nextsj")
    assert result.returncode == ExitCode.USAGE
    assert "--framework 'nextsj': not one of " + ", ".join(TOOL_NAMES) in result.stderr


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["render", "--spa", "out"], ["render", "--spa=index.html", "out"]),
        (["render", "out", "--spa"], ["render", "out", "--spa=index.html"]),
        (["render", "out", "--spa", "--prefix", "/"], ["render", "out", "--spa=index.html", "--prefix", "/"]),
        (["render", "out", "--spa", "app.html"], ["render", "out", "--spa", "app.html"]),
        (["render", "out", "--spa", "none"], ["render", "out", "--spa", "none"]),
        (["render", "out", "--spa=shell.htm"], ["render", "out", "--spa=shell.htm"]),
    ],
)
def test_spa_takes_an_optional_page(args: list[str], expected: list[str]) -> None:
    assert with_optional_values(args) == expected


def _site(tmp_path: Path) -> Path:
    """A small hand-made site: an immutable directory, a page inside it, a carve-out."""
    root = tmp_path / "site"
    (root / "static/builds").mkdir(parents=True)
    (root / "static/app.js").write_text("app")
    (root / "static/page.html").write_text("<p>inside</p>")
    (root / "static/builds/latest.json").write_text("{}")
    (root / "index.html").write_text("<p>home</p>")
    (root / "about.html").write_text("<p>about</p>")
    (root / "index.php").write_text("<?php echo 'secret';")
    return root


def test_immutable_prefix_needs_no_manifest_and_exclude_carves_out(tmp_path: Path) -> None:
    root = _site(tmp_path)
    result = render(tmp_path, "--root", str(root), "--prefix", "/", "--immutable-prefix", "/static/",
                    "--immutable-prefix-exclude", "/static/builds/", "--clean-urls", "--spa")
    assert result.returncode == 0, result.stderr
    server = serve(tmp_path)
    try:
        expected = {
            "/static/app.js": (200, HASHED_CC),
            "/static/page.html": (200, "no-cache"),  # a page is never immutable
            "/static/builds/latest.json": (200, "no-cache"),  # carved out
            "/about": (200, "no-cache"),  # clean URL
            "/deep/route": (200, "no-cache"),  # the SPA fallback
        }
        for uri, (status, cache_control) in expected.items():
            response = server.request(uri)
            assert (response.status, response.all("Cache-Control")) == (status, [cache_control]), uri
        assert server.request("/deep/route").body == b"<p>home</p>"
        missing = server.request("/static/gone-Ab12Cd34.js")
        assert missing.status == 404 and missing.body != b"<p>home</p>"
        php = server.request("/index.php")  # server-side code under a static root: never its source
        assert php.status == 404 and b"secret" not in php.body
    finally:
        server.stop()


def test_exclude_alone_and_a_prefix_outside_are_usage_errors(tmp_path: Path) -> None:
    root = _site(tmp_path)
    alone = render(tmp_path, "--root", str(root), "--prefix", "/", "--immutable-prefix-exclude", "/static/builds/")
    assert alone.returncode == ExitCode.USAGE and "give --immutable-prefix too" in alone.stderr
    outside = render(tmp_path, "--root", str(root), "--prefix", "/app/", "--immutable-prefix", "/static/")
    assert outside.returncode == ExitCode.USAGE and "must lie below --prefix" in outside.stderr


def test_a_spa_page_that_is_missing_or_unsafe_is_refused(tmp_path: Path) -> None:
    root = _site(tmp_path)
    missing = render(tmp_path, "--root", str(root), "--prefix", "/", "--immutable-prefix", "/static/", "--spa", "app.html")
    assert missing.returncode == ExitCode.USAGE and "--spa app.html: no such file" in missing.stderr
    unsafe = render(tmp_path, "--root", str(root), "--prefix", "/", "--immutable-prefix", "/static/", "--spa=$x.html")
    assert unsafe.returncode == ExitCode.USAGE


def test_pages_need_the_map_strategy(tmp_path: Path) -> None:
    result = run("render", str(BUILDS / "astro/dist"), "--strategy", "exact", "--server-out", str(tmp_path / "s.conf"))
    assert result.returncode == ExitCode.USAGE and "need the map strategy" in result.stderr


def test_a_file_copied_from_public_into_the_immutable_directory_revalidates(tmp_path: Path) -> None:
    """React Router's server sends all of assets/ immutable, public/assets/ copies included:
    nginxcache takes the copy in the project's public/ as evidence against it."""
    project = tmp_path / "app"
    shutil.copytree(BUILDS / "react-router-spa", project)
    (project / "public/assets").mkdir(parents=True, exist_ok=True)
    (project / "public/assets/logo.png").write_bytes(b"unhashed logo")
    (project / "build/client/assets/logo.png").write_bytes(b"unhashed logo")
    out = tmp_path / "out"
    out.mkdir()
    result = render(out, str(project / "build/client"))
    assert result.returncode == 0, result.stderr
    server = serve(out)
    try:
        assert server.request("/assets/logo.png").all("Cache-Control") == ["no-cache"]
        assert server.request("/assets/logo-BWG4PW8y.svg").all("Cache-Control") == [HASHED_CC]
    finally:
        server.stop()
    explained = run("explain", "--manifest", str(project / "build/client"), "/assets/logo.png")
    assert "copied as it is from the project's public/ directory" in explained.stdout


def test_a_manifest_that_contradicts_an_immutable_prefix_wins(tmp_path: Path) -> None:
    """Vouched for as immutable, icons/ holds names ngsw.json proves are no digest of their
    content (its hashTable): the contradicting evidence wins, file by file."""
    build = BUILDS / "angular/dist/angular/browser"
    result = render(tmp_path, str(build), "--immutable-prefix", "/icons/")
    assert result.returncode == 0, result.stderr
    icon = sorted((build / "icons").iterdir())[0].name
    assert f'"/icons/{icon}" 0;' in (tmp_path / "http.conf").read_text()
    server = serve(tmp_path)
    try:
        assert server.request(f"/icons/{icon}").all("Cache-Control") == ["no-cache"]
    finally:
        server.stop()
    explained = run("explain", "--manifest", str(build), "--immutable-prefix", "/icons/", f"/icons/{icon}")
    assert "this overrides /icons/, vouched for by the user" in explained.stdout
