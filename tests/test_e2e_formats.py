"""Every bundled real build (sample_configs/) rendered, served by real nginx and requested
file by file; and Laravel Mix's query-string versions."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from conftest import SAMPLES
from nginx_harness import HASHED_CC, check_every_file
from nginxcache.classify import classify
from nginxcache.cli import main
from nginxcache.manifests import load_manifest
from nginxcache.manifests.webpack_stats import combine_stats

pytestmark = pytest.mark.nginx

# (sample, manifest files below the sample, served directory below the sample, prefix)
BUILDS = [
    ("angular", ["browser/ngsw.json"], "browser", "/"),
    ("cra", ["build/asset-manifest.json"], "build", "/"),
    ("encore", ["public/build/manifest.json"], "public/build", "/build/"),
    ("esbuild", [], "dist", "/"),  # the metafile lies beside dist/
    ("parcel", [], "dist", "/"),
    ("propshaft", ["public/assets/.manifest.json"], "public/assets", "/assets/"),
    ("sprockets", [], "public/assets", "/assets/"),
    ("webassets", ["static/.webassets-manifest.json"], "static", "/static/"),
    ("webpack", ["dist/manifest.json", "stats.json"], "dist", "/static/"),
]
HASH_TOKEN = re.compile(r"[0-9A-Za-z_]{7,}")


def manifests_of(sample: str, listed: list[str]) -> list[Path]:
    if listed:
        return [SAMPLES / sample / m for m in listed]
    found = sorted(p for p in (SAMPLES / sample).rglob("*.json") if "manifest" in p.name or "meta" in p.name)
    assert found, sample
    return found[:1]


@pytest.mark.parametrize("sample, listed, served, prefix", BUILDS, ids=[b[0] for b in BUILDS])
def test_real_build_every_file(tmp_path: Path, serve, sample: str, listed: list[str], served: str, prefix: str) -> None:
    copy = tmp_path / sample
    shutil.copytree(SAMPLES / sample, copy, ignore=shutil.ignore_patterns("nginx"))
    manifests = [copy / p.relative_to(SAMPLES / sample) for p in manifests_of(sample, listed)]
    tree = copy / served
    http_out, server_out = tmp_path / "http.conf", tmp_path / "server.conf"
    assert main(["render", *map(str, manifests), "--root", str(tree), "--prefix", prefix,
                 "--http-out", str(http_out), "--server-out", str(server_out), "--nginx-test"]) == 0
    readings = combine_stats([load_manifest(m) for m in manifests])
    classification = classify(readings, prefix, local_root=tree)
    hashed = set(classification.hashed_uris)
    assert hashed, f"{sample}: nothing hashed"
    for uri in hashed:  # independent sanity: a year of caching only for names carrying a hash
        assert HASH_TOKEN.search(uri.rsplit("/", 1)[-1].replace("-", "_").split(".")[0] + "." +
                                 ".".join(uri.rsplit("/", 1)[-1].split(".")[1:])), uri
    server = serve(http_part=http_out.read_text(), server_part=server_out.read_text())
    denied = set(classification.denied_uris)
    assert check_every_file(server, tree, prefix, hashed, denied) >= 3


def test_laravel_mix_query_string_versions(tmp_path: Path, serve) -> None:
    public = tmp_path / "public"
    shutil.copytree(SAMPLES / "mix" / "public", public)
    (public / "js" / "App.js").write_text("another file, equal to app.js up to case\n")
    http_out, server_out = tmp_path / "http.conf", tmp_path / "server.conf"
    assert main(["render", str(public / "mix-manifest.json"), "--root", str(public), "--prefix", "/",
                 "--http-out", str(http_out), "--server-out", str(server_out), "--nginx-test"]) == 0
    server = serve(http_part=http_out.read_text(), server_part=server_out.read_text())
    version = "id=a7ddb62dee15a341204292c8c01a0b59"
    assert server.request(f"/js/app.js?{version}").all("Cache-Control") == [HASHED_CC]
    for other in ("/js/app.js", "/js/app.js?id=0000", f"/js/app.js?{version}&x=1", f"/css/app.css?{version}",
                  f"/js/app.js?{version.upper()}", f"/js/App.js?{version}"):
        response = server.request(other)
        assert response.status == 200
        assert response.all("Cache-Control") == ["no-cache"], other
    assert server.request("/css/app.css?id=a6478436976b01b0ec12dfc0a8a3f39b").all("Cache-Control") == [HASHED_CC]
    assert server.request("/mix-manifest.json").status == 404
    check_every_file(server, public, "/", set(), {"/mix-manifest.json"})
