"""nginxcache.linkversions: `?v=` versions a site's own pages link, verified against the files."""

from __future__ import annotations

import base64
import hashlib
import os
import subprocess
import sys
import time
import zlib
from pathlib import Path

import pytest

from nginxcache.classify import classify, explain
from nginxcache.linkversions import find_query_versions
from nginxcache.model import Entry, ManifestFormat


def write(root: Path, relpath: str, content: bytes | str) -> Path:
    path = root / relpath
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


def sphinx_checksum(content: bytes) -> str:
    """sphinx/builders/html/_assets.py `_file_checksum_inner`: crc32 without '\\r', 8 hex."""
    return format(zlib.crc32(content.replace(b"\r", b"")), "08x")


def md5(content: bytes) -> str:
    return hashlib.md5(content).hexdigest()


def test_sphinx_style_links_verify(tmp_path: Path) -> None:
    css = b"body {\r\n  margin: 0;\r\n}\r\n"  # the '\r's do not count
    js = b"var DOCUMENTATION_OPTIONS = {};\n"
    write(tmp_path, "_static/pygments.css", css)
    write(tmp_path, "_static/doctools.js", js)
    write(tmp_path, "_static/stale.css", b"new content\n")
    v_css, v_js = sphinx_checksum(css), sphinx_checksum(js)
    write(
        tmp_path,
        "index.html",
        f'<link rel="stylesheet" type="text/css" href="_static/pygments.css?v={v_css}" />\n'
        f'<script src="_static/doctools.js?v={v_js}"></script>\n'
        f'<link rel="stylesheet" href="_static/stale.css?v={sphinx_checksum(b"old content")}" />\n',
    )
    write(tmp_path, "api/module.html", f'<script src="../_static/doctools.js?v={v_js}"></script>\n')
    found = find_query_versions(tmp_path)
    reading = found.reading
    assert reading.format is ManifestFormat.LINKS and reading.build_root == tmp_path
    assert reading.manifest_relpath is None and not reading.paths_relative_to_root
    assert reading.hashed == [
        Entry("_static/doctools.js", f"api/module.html: ../_static/doctools.js?v={v_js}", f"v={v_js}"),
        Entry("_static/pygments.css", f"index.html: _static/pygments.css?v={v_css}", f"v={v_css}"),
    ]
    [(where, why)] = found.unverified
    assert where.startswith("index.html: _static/stale.css?v=") and "crc32" in why
    assert found.pages_read == 4  # the two pages and the two stylesheets


def test_verified_entries_classify_as_exact_query_versions(tmp_path: Path) -> None:
    css = b"a { color: red }\n"
    write(tmp_path, "static/site.css", css)
    write(tmp_path, "index.html", f'<link href="/docs/static/site.css?v={sphinx_checksum(css)}">')
    found = find_query_versions(tmp_path, "/docs/")
    classification = classify([found.reading], "/docs/", local_root=tmp_path)
    query = f"v={sphinx_checksum(css)}"
    assert explain(classification, "/docs/static/site.css", query)[0] is True
    assert explain(classification, "/docs/static/site.css", "")[0] is False  # without it: revalidate
    assert explain(classification, "/docs/static/site.css", "v=00000000")[0] is False


def test_generic_forms_and_css_urls(tmp_path: Path) -> None:
    font, logo, icon = b"wOF2 font bytes", b"\x89PNG logo", b"<svg/>"
    write(tmp_path, "fonts/a.woff2", font)
    write(tmp_path, "img/logo.png", logo)
    write(tmp_path, "img/icon.svg", icon)
    sha = base64.urlsafe_b64encode(hashlib.sha256(icon).digest()).decode()[:10]
    # django-compressor (COMPRESS_CSS_HASHING_METHOD = "content"): url(img.png?<md5[:12]>)
    write(
        tmp_path,
        "CACHE/css/output.abc.css",
        f"@font-face {{ src: url('../../fonts/a.woff2?ver={md5(font)[:8]}') }}\n"
        f".logo {{ background: url(../../img/logo.png?{md5(logo)[:12]}) }}\n"
        f".icon {{ background: url(\"/img/icon.svg?id={sha}\") }}\n"
        ".mtime { background: url(../../img/logo.png?5d41402abc4b) }\n",  # compressor's default: an mtime hash
    )
    write(tmp_path, "index.html", f'<img srcset="img/logo.png?v={hashlib.sha1(logo).hexdigest()[:10]} 2x, img/icon.svg 1x">')
    found = find_query_versions(tmp_path)
    assert {(entry.path, entry.query) for entry in found.reading.hashed} == {
        ("fonts/a.woff2", f"ver={md5(font)[:8]}"),
        ("img/logo.png", md5(logo)[:12]),
        ("img/icon.svg", f"id={sha}"),
        ("img/logo.png", f"v={hashlib.sha1(logo).hexdigest()[:10]}"),
    }
    assert [where for where, _ in found.unverified] == ["CACHE/css/output.abc.css: ../../img/logo.png?5d41402abc4b"]


def test_html_entities_and_fragments(tmp_path: Path) -> None:
    js = b"1\n"
    write(tmp_path, "a b.js", js)
    write(tmp_path, "index.html", f"<script src='a%20b.js?v={md5(js)[:8]}#top'></script>")
    [entry] = find_query_versions(tmp_path).reading.hashed
    assert entry.path == "a b.js" and entry.query == f"v={md5(js)[:8]}"


def test_what_does_not_count(tmp_path: Path) -> None:
    js = b"x\n"
    write(tmp_path, "site/app.js", js)
    write(tmp_path, "outside.js", js)
    v = md5(js)[:8]
    write(
        tmp_path,
        "site/index.html",
        f'<script src="https://cdn.example/app.js?v={v}"></script>'  # another site's
        f'<script src="//cdn.example/app.js?v={v}"></script>'
        f'<script src="../outside.js?v={v}"></script>'  # above the served root
        f'<script src="/elsewhere/app.js?v={v}"></script>'  # not below the prefix
        '<script src="app.js?v=1.4.2"></script>'  # a release number
        f'<script src="app.js?v={v}&amp;lang=en"></script>'  # two parameters
        f'<script src="app.js?cb={v}"></script>'  # not a version key
        f'<script src="missing.js?v={v}"></script>',  # no such file: nothing to cache
    )
    found = find_query_versions(tmp_path / "site", "/site/")
    assert found.reading.hashed == []
    reasons = dict(found.unverified)
    assert reasons[f"index.html: ../outside.js?v={v}"] == "leads outside the served root"
    assert reasons[f"index.html: /elsewhere/app.js?v={v}"] == "leads outside the served root"
    assert "release number" in reasons["index.html: app.js?v=1.4.2"]
    assert "more than one parameter" in reasons[f"index.html: app.js?v={v}&lang=en"]
    assert "not a version parameter" in reasons[f"index.html: app.js?cb={v}"]
    assert len(reasons) == 5


def test_symlink_out_of_root_not_followed(tmp_path: Path) -> None:
    js = b"secret\n"
    write(tmp_path, "outside/app.js", js)
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "lib").symlink_to(tmp_path / "outside")
    write(tmp_path, "site/index.html", f'<script src="lib/app.js?v={md5(js)[:8]}"></script>')
    assert find_query_versions(tmp_path / "site").reading.hashed == []


def test_huge_files_skipped(tmp_path: Path) -> None:
    big = b"x" * 5000
    write(tmp_path, "big.js", big)
    small = md5(b"s\n")[:8]
    write(tmp_path, "small.js", b"s\n")
    write(tmp_path, "index.html", f'<script src="big.js?v={md5(big)[:8]}"></script><script src="small.js?v={small}"></script>')
    write(tmp_path, "huge.html", "<!--" + "y" * 6000 + f'--><script src="small.js?v={small}"></script>')
    found = find_query_versions(tmp_path, max_file_bytes=4096)
    assert [entry.path for entry in found.reading.hashed] == ["small.js"]
    assert "bigger than 4096 bytes" in dict(found.unverified)[f"index.html: big.js?v={md5(big)[:8]}"]
    assert any(note.startswith("'huge.html'") for note in found.notes)


def test_unsafe_name_is_a_note_not_a_crash(tmp_path: Path) -> None:
    js = b"q\n"
    write(tmp_path, "a\tb.js", js)
    write(tmp_path, "index.html", f'<script src="a%09b.js?v={md5(js)[:8]}"></script>')
    found = find_query_versions(tmp_path)
    assert found.reading.hashed == [] and "control character" in found.notes[0]


def test_ten_thousand_files_linear(tmp_path: Path) -> None:
    for i in range(5000):
        content = f"asset {i}\n".encode()
        write(tmp_path, f"d{i % 50}/a{i}.css", content)
        write(tmp_path, f"d{i % 50}/p{i}.html", f'<link href="a{i}.css?v={sphinx_checksum(content)}">')
    started = time.perf_counter()
    found = find_query_versions(tmp_path)
    elapsed = time.perf_counter() - started
    assert len(found.reading.hashed) == 5000 and found.pages_read == 10_000
    assert elapsed < 20  # about a second here


@pytest.mark.slow
def test_real_sphinx_build(tmp_path: Path) -> None:
    """A real Sphinx build, installed into a venv of its own: every `?v=` it writes verifies."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    try:
        subprocess.run([str(python), "-m", "pip", "install", "-q", "sphinx"], check=True, capture_output=True, timeout=600)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired):
        pytest.skip("sphinx cannot be installed here")
    source = tmp_path / "docs"
    write(source, "conf.py", "project = 'x'\nhtml_static_path = ['_static']\nhtml_css_files = ['extra.css']\n")
    write(source, "_static/extra.css", "p {\r\n color: red }\r\n")
    write(source, "index.rst", "Title\n=====\n\n.. toctree::\n\n   sub/page\n")
    write(source, "sub/page.rst", "Page\n====\n\nText.\n")
    out = tmp_path / "html"
    subprocess.run([str(python), "-m", "sphinx", "-q", "-b", "html", str(source), str(out)], check=True, env={**os.environ})
    found = find_query_versions(out)
    linked = {entry.path for entry in found.reading.hashed}
    assert {"_static/pygments.css", "_static/extra.css", "_static/basic.css"} <= linked
    assert found.unverified == []  # sub/page.html links ../_static/...?v=: all verify too


BUILDS = Path(__file__).resolve().parent.parent / "sample_configs" / "builds"


def test_committed_sphinx_build_verifies() -> None:
    html = BUILDS / "sphinx" / "_build" / "html"
    found = find_query_versions(html)
    assert {"_static/basic.css", "_static/doctools.js", "_static/pygments.css"} <= {e.path for e in found.reading.hashed}
    assert all(entry.query is not None and entry.query.startswith("v=") for entry in found.reading.hashed)
    assert found.unverified == []


def test_committed_django_compressor_mtime_versions_do_not_count() -> None:
    """COMPRESS_CSS_HASHING_METHOD's default, "mtime", hashes the modification time: no
    content check can confirm it, so the image revalidates."""
    found = find_query_versions(BUILDS / "django-compressor" / "staticfiles", "/static/")
    assert found.reading.hashed == []
    [(where, why)] = [item for item in found.unverified if "img.png" in item[0]]
    assert where.startswith("CACHE/css/output.") and "crc32" in why
