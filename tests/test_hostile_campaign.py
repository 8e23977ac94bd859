"""A hypothesis-driven campaign of hostile manifests, in several formats: every one is either
refused with one clear error (exit 3, naming the file) or rendered into a config that parses
back to exactly the intended keys; and a sample is loaded into real nginx and requested over
loopback: every hashed file immutable, every other file revalidated, nothing outside the
root served, whatever the names."""

from __future__ import annotations

import json
import shutil
import string
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from nginx_harness import HASHED_CC, start_nginx, url_for

from nginxcache import pipeline
from nginxcache.errors import ManifestError, NginxcacheError, UnsafeEntryError

# Characters that have broken configs somewhere: nginx syntax, escapes, URL syntax, Unicode
# that terminals or bidi rendering abuse, path tricks.
HOSTILE = (
    string.ascii_letters + string.digits + " ;{}\"'\\$%#?&=+@!*,()[]<>|^`~:"
    + "\x00\x01\t\n\r\x1b\x7f\x85\x9b\u2028\u2029\u202e\u2066\u200f\u061c"
    + "éü中😀\ufeff"
)
SEGMENT = st.one_of(
    st.text(alphabet=HOSTILE, min_size=1, max_size=12),
    st.sampled_from([".", "..", "", ".git", ".well-known", "index.html", "sw.js"]),
)
NAMES = st.lists(SEGMENT, min_size=1, max_size=3).map("/".join)
HASH = st.text(alphabet="0123456789abcdef", min_size=12, max_size=12)
SAFE_SEGMENT = st.text(alphabet=string.ascii_letters + string.digits + " $%#{}';é中", min_size=1, max_size=10).filter(
    lambda s: s.strip() == s and not s.startswith(".")
)

OUTSIDE = b"OUTSIDE-THE-ROOT\n"


def django(names: list[tuple[str, str]]) -> dict[str, object]:
    return {"version": "1.1", "paths": dict(names)}


def vite(names: list[tuple[str, str]]) -> dict[str, object]:
    return {original: {"file": hashed} for original, hashed in names}


def webpack(names: list[tuple[str, str]]) -> dict[str, object]:
    return {original: "/static/" + hashed for original, hashed in names}


FORMATS = {"staticfiles.json": django, "manifest.json": vite, "webpack/manifest.json": webpack}


def hashed_name(stem: str, digest: str) -> str:
    head, dot, ext = stem.rpartition(".")
    return f"{head}.{digest}.{ext}" if dot and head else f"{stem}-{digest[:8]}.js"


@st.composite
def manifests(draw: st.DrawFn, names: st.SearchStrategy[str]) -> tuple[str, list[tuple[str, str]]]:
    file = draw(st.sampled_from(sorted(FORMATS)))
    entries = draw(st.lists(st.tuples(names, HASH), min_size=1, max_size=6, unique_by=lambda e: e[0]))
    return file, [(original, hashed_name(original, digest)) for original, digest in entries]


def write(directory: Path, file: str, entries: list[tuple[str, str]]) -> Path:
    manifest = directory / file
    manifest.parent.mkdir(parents=True, exist_ok=True)
    manifest.write_text(json.dumps(FORMATS[file](entries)), encoding="utf-8")
    return manifest


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(case=manifests(NAMES))
def test_every_hostile_manifest_is_refused_in_one_line_or_rendered_exactly(tmp_path_factory: pytest.TempPathFactory,
                                                                            case: tuple[str, list[tuple[str, str]]]) -> None:
    directory = tmp_path_factory.mktemp("campaign")
    manifest = write(directory, *case)
    request = pipeline.Request(manifests=(manifest,), prefix="/static/", root="/srv/remote/static",
                               outputs=pipeline.Outputs(http=directory / "h.conf", server=directory / "s.conf"))
    try:
        # render() re-parses every part with crossplane and compares it with the intended
        # structure, key by key: a name that changed the config's meaning fails there.
        rendering = pipeline.render(pipeline.plan(request))
    except (ManifestError, UnsafeEntryError) as refused:
        message = str(refused)
        assert message.startswith(str(manifest)) and "\n" not in message and "\r" not in message
        assert refused.exit_code == 3
        event(f"refused: {type(refused).__name__}")
        return
    except NginxcacheError as other:  # any other refusal must still be a clean one, never exit 70
        pytest.fail(f"unexpected {type(other).__name__}: {other}")
    event("rendered")
    http = rendering.text("http")
    for _, hashed in case[1]:
        if hashed in http:
            assert "\x00" not in hashed and "\n" not in hashed


@st.composite
def safe_builds(draw: st.DrawFn) -> list[tuple[str, str]]:
    """Names a build really writes (no control characters, no dot segments), awkward for nginx."""
    entries = draw(st.lists(st.tuples(st.lists(SAFE_SEGMENT, min_size=1, max_size=2).map("/".join), HASH),
                            min_size=1, max_size=5, unique_by=lambda e: e[0].lower()))
    return [(original + ".css", hashed_name(original + ".css", digest)) for original, digest in entries]


@pytest.mark.nginx
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(entries=safe_builds())
def test_a_sample_served_by_real_nginx_gets_exactly_its_headers(tmp_path_factory: pytest.TempPathFactory,
                                                                 entries: list[tuple[str, str]]) -> None:
    base = tmp_path_factory.mktemp("served")
    root = base / "static"
    root.mkdir()
    (base / "secret.txt").write_bytes(OUTSIDE)
    for original, hashed in entries:
        for name in (original, hashed):
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_text(f"body of {name}\n", encoding="utf-8")
    (root / "leak.css").symlink_to(base / "secret.txt")
    manifest = write(root, "staticfiles.json", entries)
    request = pipeline.Request(manifests=(manifest,), root=str(root))
    rendering = pipeline.render(pipeline.plan(request))
    server = start_nginx(base / "nginx", http_part=rendering.text("http"), server_part=rendering.text("server"))
    try:
        for original, hashed in entries:
            for name, want in ((hashed, HASHED_CC), (original, "no-cache")):
                response = server.request(url_for("/static/" + name))
                assert response.status == 200, f"{name}: {response.status}"
                assert response.body == f"body of {name}\n".encode()
                assert response.all("Cache-Control") == [want], f"{name}: {response.all('Cache-Control')}"
        for attempt in ("/static/leak.css", "/static/../secret.txt", "/static/%2e%2e/secret.txt", "/static/..%2fsecret.txt",
                        "/static//../secret.txt", "/static/staticfiles.json"):
            response = server.request(attempt)
            assert OUTSIDE not in response.body, attempt
            assert response.status != 200 or attempt.endswith("staticfiles.json") is False, attempt
            assert not any("immutable" in value for value in response.all("Cache-Control")), attempt
    finally:
        server.stop()
        shutil.rmtree(base, ignore_errors=True)
