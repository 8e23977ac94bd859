"""The other readers: Symfony Encore, Laravel Mix, webassets, Sprockets, Propshaft, Create
React App, Parcel, esbuild, Angular's ngsw.json and webpack's stats.json (alone and
correcting a manifest.json), on the real builds in sample_configs/, hand-written manifests,
detection, and bad input (each error names the file and the JSON key path).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nginxcache.errors import ManifestError, NginxcacheError, UnsafeEntryError
from nginxcache.hashtoken import base32_hash, inserted_digest
from nginxcache.manifests import READERS, detect, load_manifest
from nginxcache.manifests.esbuild import build_root as esbuild_build_root
from nginxcache.manifests.webpack_stats import apply_stats, combine_stats
from nginxcache.model import Entry, ManifestFormat, ManifestReading

from manifest_helpers import hashed_paths, unhashed_paths, write  # noqa: E402

SAMPLES = Path(__file__).resolve().parent.parent / "sample_configs"




def versioned(reading: ManifestReading) -> set[tuple[str, str | None]]:
    return {(entry.path, entry.query) for entry in reading.hashed}


def assert_on_disk(reading: ManifestReading, url_prefix: str = "/") -> None:
    for entry in reading.hashed:
        relative = entry.path.removeprefix(url_prefix) if entry.path.startswith("/") else entry.path
        assert (reading.build_root / relative).is_file(), entry


def assert_names(exc: NginxcacheError, file: Path, key_path: str | None = None) -> None:
    text = str(exc)
    assert str(file) in text, text
    if key_path is not None:
        assert key_path in text, text
    assert "\n" not in text and "\r" not in text


# --- hashtoken additions ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("output", "source", "token"),
    [
        ("dist/main-EBMNEBGK.js", "", "EBMNEBGK"),  # a base32 hash of letters only
        ("chunk-LA4EGI7Y.js", "", "LA4EGI7Y"),
        ("media/logo-BW5CLBFG.svg", "src/logo.svg", "BW5CLBFG"),
        ("app.U3BHGLBB.css", "", "U3BHGLBB"),  # [name].[hash]
        ("dist/main.js", "src/main.js", None),  # default entry names: no hash
        ("x-ABCDEFG1.js", "", None),  # '1' is not base32
        ("x-abcdefgh.js", "", None),  # lowercase
        ("x-AAAAAAAA.js", "", None),  # placeholder
        ("x-XXXXXXXX.js", "", None),
        ("x-ABCDEFGHI.js", "", None),  # 9 characters
        ("-ABCDEFGH.js", "", None),  # no name before the token
        ("ABCDEFGH.js", "", None),
        ("xABCDEFGH.js", "", None),  # no separator
        ("app-LEGACYJS.js", "src/app-LEGACYJS.js", None),  # the source's own name
        ("main-EBMNEBGK.js.map", "", None),
    ],
)
def test_base32_hash(output: str, source: str, token: str | None) -> None:
    assert base32_hash(output, source) == token


def test_base32_hash_takes_every_real_esbuild_hash() -> None:
    """All 8-character tokens of esbuild's alphabet with 4+ distinct characters pass."""
    meta = json.loads((SAMPLES / "esbuild" / "dist" / "meta.json").read_text(encoding="utf-8"))
    tokens = {re.search(r"-([A-Z2-7]{8})\.", name).group(1) for name in meta["outputs"] if re.search(r"-[A-Z2-7]{8}\.", name)}
    assert tokens and all(base32_hash(f"x-{token}.js") == token for token in tokens)


LAST_EXT = re.compile(r"\.[^./]+$")


@pytest.mark.parametrize(
    ("logical", "digested", "lengths", "token"),
    [
        ("application.js", "application-0123abcd.js", range(7, 129), "0123abcd"),
        ("application.js", "application-01234567.js", range(7, 129), "01234567"),  # digits only: the mapping is the evidence
        ("a/b.c.css", "a/b.c-0123abcd.css", range(7, 129), "0123abcd"),
        ("application.js", "application-0123ABCD.js", range(7, 129), None),  # uppercase is not Ruby's hexdigest
        ("application.js", "application-0123abc.js", range(8, 129), None),  # too short
        ("application.js", "application.js", range(7, 129), None),
        ("application.js", "other-0123abcd.js", range(7, 129), None),
        ("LICENSE", "LICENSE-0123abcd", range(7, 129), None),  # no extension: nothing inserted
        ("application.js", "application-0123abcd.css", range(7, 129), None),
    ],
)
def test_inserted_digest(logical: str, digested: str, lengths: range, token: str | None) -> None:
    assert inserted_digest(logical, digested, LAST_EXT, lengths) == token


# --- Symfony Webpack Encore ------------------------------------------------------------

ENCORE = SAMPLES / "encore" / "public" / "build"
ENCORE_HASHED = {
    "/build/app.ad8527e4.css",
    "/build/app.16e9b934.js",
    "/build/admin.24d88b08.js",
    "/build/runtime.fe9f71e5.js",
    "/build/images/logo.4635f1e3.svg",
}


@pytest.mark.parametrize("argument", ["manifest.json", "entrypoints.json"])
def test_encore_real_sample_either_file(argument: str) -> None:
    reading = load_manifest(ENCORE / argument)
    assert reading.format is ManifestFormat.ENCORE
    assert reading.file == str(ENCORE / "manifest.json")  # evidence names manifest.json
    assert reading.build_root == ENCORE and reading.manifest_relpath == "manifest.json"
    assert hashed_paths(reading) == ENCORE_HASHED
    # the lazy chunk's key carries its hash (webpack.py's rule: fail safe); copied without [hash]
    assert unhashed_paths(reading) == {"/build/785.d4808425.js", "/build/static/robots.txt"}
    assert_on_disk(reading, "/build/")


def test_encore_entrypoints_alone(tmp_path: Path) -> None:
    data = json.loads((ENCORE / "entrypoints.json").read_text(encoding="utf-8"))
    data["entrypoints"]["app"]["js"].append("/build/vendor/legacy.js")
    reading = load_manifest(write(tmp_path, "public/build/entrypoints.json", data))
    assert reading.format is ManifestFormat.ENCORE
    assert reading.manifest_relpath == "entrypoints.json"
    assert hashed_paths(reading) == {"/build/runtime.fe9f71e5.js", "/build/app.16e9b934.js", "/build/app.ad8527e4.css",
                                     "/build/admin.24d88b08.js"}
    assert unhashed_paths(reading) == {"/build/vendor/legacy.js"}
    assert {e.path: e.key_path for e in reading.hashed}["/build/app.ad8527e4.css"] == '["entrypoints"]["app"]["css"][0]'


def test_encore_manifest_without_entrypoints_is_webpack(tmp_path: Path) -> None:
    path = write(tmp_path, "public/build/manifest.json", {"build/app.js": "/build/app.16e9b934.js"})
    assert load_manifest(path).format is ManifestFormat.WEBPACK
    assert load_manifest(path, ManifestFormat.ENCORE).format is ManifestFormat.ENCORE


def test_encore_entrypoints_from_another_build(tmp_path: Path) -> None:
    write(tmp_path, "build/manifest.json", {"build/app.js": "/build/app.16e9b934.js"})
    entrypoints = write(tmp_path, "build/entrypoints.json", {"entrypoints": {"app": {"js": ["/build/app.00000000aaaa.js"]}}})
    for argument in ("manifest.json", "entrypoints.json"):
        with pytest.raises(ManifestError) as caught:
            load_manifest(tmp_path / "build" / argument)
        assert_names(caught.value, entrypoints, '["entrypoints"]["app"]["js"][0]')
        assert "different builds" in str(caught.value)


@pytest.mark.parametrize(
    ("data", "key_path"),
    [
        ({"entrypoints": []}, '["entrypoints"]'),
        ({"entrypoints": {"app": []}}, '["entrypoints"]["app"]'),
        ({"entrypoints": {"app": {"js": "/build/app.js"}}}, '["entrypoints"]["app"]["js"]'),
        ({"entrypoints": {"app": {"js": [3]}}}, '["entrypoints"]["app"]["js"][0]'),
        ({"entrypoints": {"app": {"js": ["/build/../x.js"]}}}, '["entrypoints"]["app"]["js"][0]'),
    ],
)
def test_encore_entrypoints_errors(tmp_path: Path, data: Any, key_path: str) -> None:
    path = write(tmp_path, "entrypoints.json", data)
    with pytest.raises(NginxcacheError) as caught:
        load_manifest(path, ManifestFormat.ENCORE)
    assert_names(caught.value, path, key_path)


# --- Laravel Mix -----------------------------------------------------------------------


def test_mix_real_sample() -> None:
    reading = load_manifest(SAMPLES / "mix" / "public" / "mix-manifest.json")
    assert reading.format is ManifestFormat.MIX
    assert reading.build_root == SAMPLES / "mix" / "public" and reading.manifest_relpath == "mix-manifest.json"
    assert versioned(reading) == {
        ("js/app.js", "id=a7ddb62dee15a341204292c8c01a0b59"),
        ("css/app.css", "id=a6478436976b01b0ec12dfc0a8a3f39b"),
        ("robots.txt", "id=6978a616c585d03cb5b542a891995efb"),
    }
    assert reading.unhashed == []
    assert_on_disk(reading)
    assert {e.path: e.key_path for e in reading.hashed}["js/app.js"] == '["/js/app.js"]'


def test_mix_values(tmp_path: Path) -> None:
    data = {
        "/js/app.js": "/js/app.js?id=a7ddb62dee15a341204292c8c01a0b59",
        "/js/plain.js": "/js/plain.js",  # not versioned
        "/js/vendor.js": "/js/vendor.0123abcd4567ef89.js",  # hashed by name (custom output.filename)
        "/static/gen/plain.js": "/static/gen/plain.js?80de908f",  # webassets-style value
        "/js/empty.js": "/js/empty.js?",
        "/js/odd.js": "/js/odd.js?id=a b",
        "/js/cdn.js": "https://cdn.example.com/js/cdn.js?id=0123",
    }
    reading = load_manifest(write(tmp_path, "public/mix-manifest.json", data))
    assert versioned(reading) == {
        ("js/app.js", "id=a7ddb62dee15a341204292c8c01a0b59"),
        ("js/vendor.0123abcd4567ef89.js", None),
        ("static/gen/plain.js", "80de908f"),
        ("js/cdn.js", "id=0123"),
    }
    assert unhashed_paths(reading) == {"js/plain.js", "js/empty.js", "js/odd.js"}
    reasons = {e.path: why for e, why in reading.unhashed}
    assert "empty" in reasons["js/empty.js"] and "percent-encode" in reasons["js/odd.js"]


def test_mix_detected_by_shape(tmp_path: Path) -> None:
    path = write(tmp_path, "public/other.json", {"/js/app.js": "/js/app.js?id=0123abcd", "/robots.txt": "/robots.txt"})
    assert load_manifest(path).format is ManifestFormat.MIX
    # the same paths without any version are no evidence of Mix: a webpack manifest
    assert detect({"/js/app.js": "/js/app.js"}, Path("other.json")) is ManifestFormat.WEBPACK


@pytest.mark.parametrize(
    ("data", "key_path", "error"),
    [
        ({"/js/app.js": 5}, '["/js/app.js"]', ManifestError),
        ({"/js/app.js": "/js/../../etc/passwd?id=1"}, '["/js/app.js"]', UnsafeEntryError),
        ({"/js/app.js": "/js//app.js?id=1"}, '["/js/app.js"]', UnsafeEntryError),
        ({"/js/app.js": "/js/a\nb.js?id=1"}, '["/js/app.js"]', UnsafeEntryError),
        ([], None, ManifestError),
    ],
)
def test_mix_errors(tmp_path: Path, data: Any, key_path: str | None, error: type[Exception]) -> None:
    path = write(tmp_path, "mix-manifest.json", data)
    with pytest.raises(error) as caught:
        load_manifest(path)
    assert_names(caught.value, path, key_path)  # type: ignore[arg-type]


# --- webassets -------------------------------------------------------------------------


def test_webassets_real_sample() -> None:
    reading = load_manifest(SAMPLES / "webassets" / "static" / ".webassets-manifest.json")
    assert reading.format is ManifestFormat.WEBASSETS
    assert versioned(reading) == {("gen/plain.js", "9b843719"), ("gen/packed.626a1277.js", None)}
    assert reading.unhashed == [] and reading.manifest_relpath == ".webassets-manifest.json"
    assert_on_disk(reading)


def test_webassets_only_by_name_or_format(tmp_path: Path) -> None:
    data = {"gen/plain.js": "9b843719"}
    assert load_manifest(write(tmp_path, "static/.webassets-manifest", data)).format is ManifestFormat.WEBASSETS
    other = write(tmp_path, "static/versions.json", data)
    assert load_manifest(other).format is ManifestFormat.WEBPACK  # its shape is webpack's
    assert versioned(load_manifest(other, ManifestFormat.WEBASSETS)) == {("gen/plain.js", "9b843719")}


def test_webassets_bad_versions(tmp_path: Path) -> None:
    data = {"gen/a.js": "", "gen/b.%(version)s.js": "a b", "gen/c.js": 1732406400}
    path = write(tmp_path, ".webassets-manifest.json", data)
    with pytest.raises(ManifestError) as caught:
        load_manifest(path)
    assert_names(caught.value, path, '["gen/c.js"]')
    del data["gen/c.js"]
    reading = load_manifest(write(tmp_path, ".webassets-manifest.json", data))
    assert reading.hashed == [] and unhashed_paths(reading) == {"gen/a.js", "gen/b.a b.js"}


# --- Rails Sprockets -------------------------------------------------------------------


def sprockets_sample() -> Path:
    (manifest,) = (SAMPLES / "sprockets" / "public" / "assets").glob(".sprockets-manifest-*.json")
    return manifest


def test_sprockets_real_sample() -> None:
    manifest = sprockets_sample()
    reading = load_manifest(manifest)
    assert reading.format is ManifestFormat.SPROCKETS
    data = json.loads(manifest.read_text(encoding="utf-8"))
    assert hashed_paths(reading) == set(data["files"]) == set(data["assets"].values())
    assert reading.unhashed == [] and reading.manifest_relpath == manifest.name
    assert_on_disk(reading)


SPROCKETS2_JS = "application-1a79a4d60de6718e8e5b326e338ae533.js"  # Sprockets 2.x: md5 hex


def test_sprockets2_legacy_manifest(tmp_path: Path) -> None:
    data = {
        "files": {
            SPROCKETS2_JS: {"logical_path": "application.js", "mtime": "2013-01-01T00:00:00+00:00", "size": 30,
                            "digest": "1a79a4d60de6718e8e5b326e338ae533"},
            # an earlier build's output, kept for pages still open: still content-addressed
            "application-0cc175b9c0f1b6a831c399e269772661.js": {"logical_path": "application.js",
                                                                "digest": "0cc175b9c0f1b6a831c399e269772661"},
        },
        "assets": {"application.js": SPROCKETS2_JS},
    }
    reading = load_manifest(write(tmp_path, "public/assets/manifest-0123456789abcdef0123456789abcdef.json", data))
    assert reading.format is ManifestFormat.SPROCKETS
    assert hashed_paths(reading) == set(data["files"])
    assert {e.path: e.key_path for e in reading.hashed}[SPROCKETS2_JS] == f'["files"]["{SPROCKETS2_JS}"]'


def test_sprockets_names_without_their_digest_are_unhashed(tmp_path: Path) -> None:
    digest = "915512e4af1cb0bedd1438c33a76d80b698ce42d2452a1ebf0f346be8eafc008"
    data = {
        "files": {
            f"a-{digest}.js": {"logical_path": "a.js", "digest": "0" * 64},  # name and digest disagree
            "b.js": {"logical_path": "b.js", "digest": digest},  # no digest in the name
            f"c-{digest}.js": {"logical_path": "other.js", "digest": digest},  # not the logical path's name
            f"sub/d.js-{digest}.map": {"logical_path": "sub/d.js.map", "digest": digest},  # Sprockets 4 source map
            f"e-{digest}.css": {},  # no logical_path: the name alone
        },
        "assets": {"f.js": "f.js", "g.js": f"g-{digest}.js"},
    }
    reading = load_manifest(write(tmp_path, ".sprockets-manifest-0123456789abcdef0123456789abcdef.json", data))
    assert hashed_paths(reading) == {f"sub/d.js-{digest}.map", f"e-{digest}.css", f"g-{digest}.js"}
    assert unhashed_paths(reading) == {f"a-{digest}.js", "b.js", f"c-{digest}.js", "f.js"}


def test_sprockets_detected_by_shape(tmp_path: Path) -> None:
    data = {"files": {"a-0cc175b9c0f1b6a831c399e269772661.js": {"logical_path": "a.js"}}, "assets": {}}
    assert load_manifest(write(tmp_path, "assets/whatever.json", data)).format is ManifestFormat.SPROCKETS


@pytest.mark.parametrize(
    ("data", "key_path"),
    [
        ({"files": [], "assets": {}}, '["files"]'),
        ({"files": {"a-0cc175b9c0f1b6a831c399e269772661.js": "a.js"}, "assets": {}},
         '["files"]["a-0cc175b9c0f1b6a831c399e269772661.js"]'),
        ({"files": {"a.js": {"logical_path": 3}}, "assets": {}}, '["files"]["a.js"]["logical_path"]'),
        ({"files": {"a.js": {"digest": None}}, "assets": {}}, '["files"]["a.js"]["digest"]'),
        ({"files": {}, "assets": {"a.js": ["x"]}}, '["assets"]["a.js"]'),
        ({"files": {"/etc/a.js": {}}, "assets": {}}, '["files"]["/etc/a.js"]'),
        ({"files": {}, "assets": {"a.js": "../a-0cc175b9c0f1b6a831c399e269772661.js"}}, '["assets"]["a.js"]'),
    ],
)
def test_sprockets_errors(tmp_path: Path, data: Any, key_path: str) -> None:
    path = write(tmp_path, ".sprockets-manifest-0123456789abcdef0123456789abcdef.json", data)
    with pytest.raises(NginxcacheError) as caught:
        load_manifest(path)
    assert_names(caught.value, path, key_path)


# --- Propshaft -------------------------------------------------------------------------


def test_propshaft_sample_object_form() -> None:
    reading = load_manifest(SAMPLES / "propshaft" / "public" / "assets" / ".manifest.json")
    assert reading.format is ManifestFormat.PROPSHAFT
    assert hashed_paths(reading) == {"application-07a9dba7.css", "logo-cf01f81e.svg", "bundle-IMNWT2K5.digested.js"}
    assert unhashed_paths(reading) == {"LICENSE", "bundle-IMNWT2K5.digested.js.map"}
    assert reading.manifest_relpath == ".manifest.json"
    assert {e.path: e.key_path for e in reading.hashed}["logo-cf01f81e.svg"] == '["logo.svg"]["digested_path"]'
    assert_on_disk(reading)


def test_propshaft_flat_form(tmp_path: Path) -> None:
    data = {
        "application.css": "application-6d58c9e6.css",  # <= 1.1
        "old.css": "old-2d1e5b6fa0d4ef1dd6d3c1a9fd0e6e2f1b7c9a10.css",  # early versions: the whole sha1
        "app.js.map": "app-0123abcd.js.map",  # >= 1.0: a map's own digest before .js.map
        "older.js.map": "older.js-0123abcd.map",  # earlier: before the last extension
        "x.js": "x.js",
        "chunk-5ZRPPUBK.digested.js": "chunk-5ZRPPUBK.digested.js",
        "app-0123abcd.css": "app-0123abcd.css",  # looks digested, but not by Propshaft
    }
    reading = load_manifest(write(tmp_path, "public/assets/.manifest.json", data))
    assert hashed_paths(reading) == {"application-6d58c9e6.css", "old-2d1e5b6fa0d4ef1dd6d3c1a9fd0e6e2f1b7c9a10.css",
                                     "app-0123abcd.js.map", "older.js-0123abcd.map", "chunk-5ZRPPUBK.digested.js"}
    assert unhashed_paths(reading) == {"x.js", "app-0123abcd.css"}


def test_propshaft_detection() -> None:
    flat = {"application.css": "application-6d58c9e6.css"}
    assert detect(flat, Path(".manifest.json")) is ManifestFormat.PROPSHAFT
    assert detect(flat, Path("manifest.json")) is ManifestFormat.WEBPACK
    objects = {"application.css": {"digested_path": "application-6d58c9e6.css", "integrity": None}}
    assert detect(objects, Path("copy.json")) is ManifestFormat.PROPSHAFT


@pytest.mark.parametrize(
    ("data", "key_path"),
    [
        ({"a.css": 1}, '["a.css"]'),
        ({"a.css": {"integrity": "x"}}, '["a.css"]["digested_path"]'),
        ({"a.css": {"digested_path": "/a-0123abcd.css"}}, '["a.css"]["digested_path"]'),
        ({"../a.css": "a-0123abcd.css"}, '["../a.css"]'),
    ],
)
def test_propshaft_errors(tmp_path: Path, data: Any, key_path: str) -> None:
    path = write(tmp_path, ".manifest.json", data)
    with pytest.raises(NginxcacheError) as caught:
        load_manifest(path)
    assert_names(caught.value, path, key_path)


# --- Create React App ------------------------------------------------------------------


def test_cra_real_sample() -> None:
    reading = load_manifest(SAMPLES / "cra" / "build" / "asset-manifest.json")
    assert reading.format is ManifestFormat.CRA
    assert hashed_paths(reading) == {
        "/static/css/main.8a685450.css",
        "/static/js/main.e34f65af.js",
        "/static/js/16.b02aa0ef.chunk.js",  # its key is the output itself
        "/static/media/logo.fd4e5f3bdd69feba6f0e163d180d0a27.svg",
    }
    assert unhashed_paths(reading) == {
        "/index.html",
        "/static/css/main.8a685450.css.map",
        "/static/js/main.e34f65af.js.map",
        "/static/js/16.b02aa0ef.chunk.js.map",
    }
    assert reading.manifest_relpath == "asset-manifest.json"
    assert_on_disk(reading)


def test_cra_old_flat_map_and_service_worker(tmp_path: Path) -> None:
    data = {  # react-scripts 2-3.1 with cra-template-pwa's Workbox files
        "main.js": "/app/static/js/main.1f2e3d4c.chunk.js",
        "static/js/2.0a1b2c3d.chunk.js": "/app/static/js/2.0a1b2c3d.chunk.js",
        "precache-manifest.2d9b0e3ec5b5a2b1f0d0d2cd2b5b8fa6.js": "/app/precache-manifest.2d9b0e3ec5b5a2b1f0d0d2cd2b5b8fa6.js",
        "service-worker.js": "/app/service-worker.js",
        "index.html": "/app/index.html",
        "static/js/9.0a1b2c3d.chunk.js.LICENSE.txt": "/app/static/js/9.0a1b2c3d.chunk.js.LICENSE.txt",
    }
    reading = load_manifest(write(tmp_path, "build/asset-manifest.json", data))
    assert hashed_paths(reading) == {
        "/app/static/js/main.1f2e3d4c.chunk.js",
        "/app/static/js/2.0a1b2c3d.chunk.js",
        "/app/precache-manifest.2d9b0e3ec5b5a2b1f0d0d2cd2b5b8fa6.js",
        "/app/static/js/9.0a1b2c3d.chunk.js.LICENSE.txt",
    }
    assert unhashed_paths(reading) == {"/app/service-worker.js", "/app/index.html"}


def test_cra_copied_name_keeps_key_hash_rule(tmp_path: Path) -> None:
    # a key naming the source ("main.js") still must not carry the value's hash
    data = {"files": {"vendor.0123456789abcdef.js": "/static/js/vendor.0123456789abcdef.js", "x.js": "/static/js/x.js"},
            "entrypoints": []}
    reading = load_manifest(write(tmp_path, "asset-manifest.json", data))
    assert hashed_paths(reading) == {"/static/js/vendor.0123456789abcdef.js"}  # key == output: the name decides
    assert unhashed_paths(reading) == {"/static/js/x.js"}


def test_cra_detected_by_shape(tmp_path: Path) -> None:
    data = {"files": {"main.js": "/static/js/main.e34f65af.js"}, "entrypoints": ["static/js/main.e34f65af.js"]}
    assert load_manifest(write(tmp_path, "renamed.json", data)).format is ManifestFormat.CRA


@pytest.mark.parametrize(
    ("data", "key_path"),
    [
        ({"files": [], "entrypoints": []}, '["files"]'),
        ({"files": {"main.js": 1}, "entrypoints": []}, '["files"]["main.js"]'),
        ({"files": {}, "entrypoints": "main.js"}, '["entrypoints"]'),
        ({"files": {}, "entrypoints": ["static/../../x.js"]}, '["entrypoints"][0]'),
        ({"files": {"main.js": "/static//main.0123abcd.js"}, "entrypoints": []}, '["files"]["main.js"]'),
        ({"main.js": 3}, '["main.js"]'),
    ],
)
def test_cra_errors(tmp_path: Path, data: Any, key_path: str) -> None:
    path = write(tmp_path, "asset-manifest.json", data)
    with pytest.raises(NginxcacheError) as caught:
        load_manifest(path)
    assert_names(caught.value, path, key_path)


# --- Parcel ----------------------------------------------------------------------------


def test_parcel_real_sample() -> None:
    reading = load_manifest(SAMPLES / "parcel" / "dist" / "parcel-manifest.json")
    assert reading.format is ManifestFormat.PARCEL
    assert hashed_paths(reading) == {"/parcel.1263cdd9.css", "/logo.605039e8.svg", "/parcel.907bcd39.js", "/lazy.9853b53b.js"}
    assert unhashed_paths(reading) == {"/index.html"}
    assert all("parcel-manifest.json" in why for _, why in reading.unhashed)
    assert reading.manifest_relpath == "parcel-manifest.json"
    assert_on_disk(reading)


def test_parcel_errors(tmp_path: Path) -> None:
    path = write(tmp_path, "parcel-manifest.json", {"editor.tsx": ["/editor.9099e93e.js"]})
    with pytest.raises(ManifestError) as caught:
        load_manifest(path)
    assert_names(caught.value, path, '["editor.tsx"]')


# --- esbuild ---------------------------------------------------------------------------


def test_esbuild_real_sample() -> None:
    reading = load_manifest(SAMPLES / "esbuild" / "dist" / "meta.json")
    assert reading.format is ManifestFormat.ESBUILD
    assert reading.build_root == SAMPLES / "esbuild" / "dist" and reading.manifest_relpath == "meta.json"
    assert hashed_paths(reading) == {"chunk-BWTQWKNO.js", "lazy-JJKODWXN.js", "logo-BW5CLBFG.svg"}
    assert unhashed_paths(reading) == {
        "main.js", "admin.js", "main.css",  # entry points: [dir]/[name] by default
        "main.js.map", "admin.js.map", "main.css.map", "chunk-BWTQWKNO.js.map", "lazy-JJKODWXN.js.map",
    }
    assert {e.path: e.key_path for e in reading.hashed}["lazy-JJKODWXN.js"] == '["outputs"]["dist/lazy-JJKODWXN.js"]'
    assert_on_disk(reading)


def outputs(*names: str, entry: dict[str, str] | None = None) -> dict[str, Any]:
    entry = entry or {}
    return {"inputs": {}, "outputs": {name: ({"entryPoint": entry[name]} if name in entry else {}) for name in names}}


@pytest.mark.parametrize(
    ("metafile", "names", "root", "relpath"),
    [
        ("proj/meta.json", ["dist/a-ABCD2345.js"], "proj/dist", None),  # in the working directory
        ("proj/dist/meta.json", ["dist/a-ABCD2345.js"], "proj/dist", "meta.json"),  # in the outdir
        ("proj/dist/meta.json", ["dist/assets/a-ABCD2345.js", "dist/assets/b-EFGH2345.js"], "proj/dist/assets", None),
        ("proj/meta.json", ["dist/assets/a-ABCD2345.js"], "proj/dist/assets", None),
        ("proj/meta.json", ["dist/a-ABCD2345.js", "dist/sub/b-EFGH2345.js"], "proj/dist", None),
        ("proj/meta.json", ["a-ABCD2345.js"], "proj", "meta.json"),  # --outdir=.
        ("proj/frontend/meta.json", ["../public/build/a-ABCD2345.js"], "proj/public/build", None),
    ],
)
def test_esbuild_build_root(tmp_path: Path, metafile: str, names: list[str], root: str, relpath: str | None) -> None:
    reading = load_manifest(write(tmp_path, metafile, outputs(*names)))
    assert reading.build_root == tmp_path / root
    assert reading.manifest_relpath == relpath
    assert all("/" not in p or not p.startswith("..") for p in hashed_paths(reading))


def test_esbuild_build_root_function() -> None:
    assert esbuild_build_root(Path("/p/dist/meta.json"), "dist/js") == Path("/p/dist/js")
    assert esbuild_build_root(Path("/p/meta.json"), "") == Path("/p")


def test_esbuild_hash_from_names(tmp_path: Path) -> None:
    data = outputs(
        "dist/main-EBMNEBGK.js",  # --entry-names=[name]-[hash]
        "dist/app-LEGACYJS.js",  # the entry's own name
        "dist/chunk-AAAAAAAA.js",
        "dist/plain.js",
        entry={"dist/main-EBMNEBGK.js": "src/main.js", "dist/app-LEGACYJS.js": "src/app-LEGACYJS.js"},
    )
    reading = load_manifest(write(tmp_path, "meta.json", data))
    assert hashed_paths(reading) == {"main-EBMNEBGK.js"}
    assert unhashed_paths(reading) == {"app-LEGACYJS.js", "chunk-AAAAAAAA.js", "plain.js"}


def test_esbuild_asset_source_name_checked(tmp_path: Path) -> None:
    data = {"outputs": {"dist/icon-QWERTY23.svg": {"inputs": {"src/icon-QWERTY23.svg": {"bytesInOutput": 1}}}}}
    reading = load_manifest(write(tmp_path, "meta.json", data))
    assert unhashed_paths(reading) == {"icon-QWERTY23.svg"}


@pytest.mark.parametrize(
    ("data", "key_path", "error"),
    [
        ({"outputs": []}, '["outputs"]', ManifestError),
        ({"outputs": {"dist/a.js": []}, "inputs": {}}, '["outputs"]["dist/a.js"]', ManifestError),
        ({"outputs": {"dist/a.js": {"entryPoint": 1}}}, '["outputs"]["dist/a.js"]["entryPoint"]', ManifestError),
        ({"outputs": {"dist/a.js": {"inputs": []}}}, '["outputs"]["dist/a.js"]["inputs"]', ManifestError),
        ({"outputs": {"/abs/a.js": {}}}, '["outputs"]["/abs/a.js"]', UnsafeEntryError),
        ({"outputs": {"dist/../../a.js": {}}}, '["outputs"]["dist/../../a.js"]', UnsafeEntryError),
        ({"outputs": {"dist/a.js": {}, "../x/b.js": {}}}, '["outputs"]["../x/b.js"]', UnsafeEntryError),
    ],
)
def test_esbuild_errors(tmp_path: Path, data: Any, key_path: str, error: type[Exception]) -> None:
    path = write(tmp_path, "meta.json", data)
    with pytest.raises(error) as caught:
        load_manifest(path, ManifestFormat.ESBUILD)
    assert_names(caught.value, path, key_path)  # type: ignore[arg-type]


# --- Angular ngsw.json -----------------------------------------------------------------


def test_angular_real_sample() -> None:
    reading = load_manifest(SAMPLES / "angular" / "browser" / "ngsw.json")
    assert reading.format is ManifestFormat.ANGULAR
    assert hashed_paths(reading) == {
        "/chunk-FSTQZUWY.js", "/chunk-LA4EGI7Y.js", "/main-U3BHGLBB.js", "/media/logo-BW5CLBFG.svg",
        "/polyfills-5CFQRCPP.js", "/styles-HCSOLVLK.css",
    }
    assert unhashed_paths(reading) == {"/favicon.ico", "/index.html", "/manifest.webmanifest"}
    assert reading.manifest_relpath is None  # the service worker fetches ngsw.json
    assert_on_disk(reading)


def test_angular_names(tmp_path: Path) -> None:
    sha1 = "0" * 40
    urls = [
        "/app/main.4ab3d5e1f0a6c9e2b7d3.js",  # webpack builder, hex: no plain digest of the file
        "/app/styles-ABCDEFGH.css",  # esbuild builder, letters only, builder's own name
        "/app/chunk-Q2W3E4R5.js",  # esbuild builder, lazy chunk
        "/app/lazy-Q2W3E4R5.js",  # a named chunk, or a file copied from public/: not the builder's name
        "/app/app-STANDARD.css",  # letters only, not the builder's name: copied from public/
        "/app/assets/media/x-STANDARD.png",
        "/app/ngsw-worker.js", "/app/safety-worker.js", "/app/worker-basic.min.js", "/app/index.html",
        "/app/assets/icons/icon-72x72.png",
    ]
    data = {"configVersion": 1, "timestamp": 1, "index": "/app/index.html", "hashTable": {u: sha1 for u in urls}}
    reading = load_manifest(write(tmp_path, "dist/browser/ngsw.json", data))
    assert hashed_paths(reading) == {"/app/styles-ABCDEFGH.css", "/app/chunk-Q2W3E4R5.js", "/app/assets/media/x-STANDARD.png"}
    assert {"/app/app-STANDARD.css", "/app/lazy-Q2W3E4R5.js", "/app/main.4ab3d5e1f0a6c9e2b7d3.js"} <= unhashed_paths(reading)


def test_angular_file_copied_from_public_that_looks_hashed_revalidates(tmp_path: Path) -> None:
    """The bug of issue 11: public/legacy.0123abcd.js is listed by ngsw.json like every file,
    and its name looks hashed; hashTable's SHA-1 shows the name is no digest of the content.
    A name that is one (a hex prefix of the SHA-1) counts, whoever wrote it."""
    import hashlib

    copied = b"console.log('legacy, edited in place')"
    digested = b"console.log('named by its content')"
    sha = hashlib.sha1(digested).hexdigest()
    table = {
        "/legacy.0123abcd.js": hashlib.sha1(copied).hexdigest(),
        f"/vendor.{sha[:10]}.js": sha,
        "/main-U3BHGLBB.js": hashlib.sha1(b"main").hexdigest(),
    }
    reading = load_manifest(write(tmp_path, "browser/ngsw.json", {"configVersion": 1, "hashTable": table}))
    assert hashed_paths(reading) == {f"/vendor.{sha[:10]}.js", "/main-U3BHGLBB.js"}
    assert "/legacy.0123abcd.js" in unhashed_paths(reading)


def test_angular_detected_by_shape(tmp_path: Path) -> None:
    data = {"configVersion": 1, "hashTable": {"/main-U3BHGLBB.js": "0" * 40}}
    assert load_manifest(write(tmp_path, "copy-of-ngsw.json", data)).format is ManifestFormat.ANGULAR


@pytest.mark.parametrize(
    ("data", "key_path", "error"),
    [
        ({"configVersion": 1, "hashTable": []}, '["hashTable"]', ManifestError),
        ({"configVersion": 1, "hashTable": {"/a.js": 1}}, '["hashTable"]["/a.js"]', ManifestError),
        ({"configVersion": 1, "hashTable": {"/a/../../b.js": "0"}}, '["hashTable"]["/a/../../b.js"]', UnsafeEntryError),
        ({"configVersion": 1, "hashTable": {"/a\x00.js": "0"}}, None, UnsafeEntryError),
    ],
)
def test_angular_errors(tmp_path: Path, data: Any, key_path: str | None, error: type[Exception]) -> None:
    path = write(tmp_path, "ngsw.json", data)
    with pytest.raises(error) as caught:
        load_manifest(path)
    assert_names(caught.value, path, key_path)  # type: ignore[arg-type]


# --- webpack stats.json ----------------------------------------------------------------

WEBPACK = SAMPLES / "webpack"
WEBPACK_IMMUTABLE = {
    "/static/main.9beed636ed59a8cc7b46.css",
    "/static/main.fb9ad963a530ab85ffe0.js",
    "/static/480.c8088a729a1384aa9e3b.js",
    "/static/logo.7ef0c71e6815f1f6a77d.svg",
}


def test_stats_real_sample_alone() -> None:
    reading = load_manifest(WEBPACK / "stats.json")
    assert reading.format is ManifestFormat.WEBPACK_STATS
    assert reading.build_root == WEBPACK / "dist"  # outputPath's "dist" beside stats.json
    assert reading.manifest_relpath is None  # not inside the served directory
    assert hashed_paths(reading) == WEBPACK_IMMUTABLE
    assert unhashed_paths(reading) == {"/static/index.html", "/static/manifest.json", "/static/robots.txt",
                                       "/static/legacy.0123456789abcdef0123.js"}
    assert_on_disk(reading, "/static/")


def test_stats_downgrade_the_copied_look_alike() -> None:
    manifest = load_manifest(WEBPACK / "dist" / "manifest.json")
    assert "/static/legacy.0123456789abcdef0123.js" in hashed_paths(manifest)  # the manifest alone is fooled
    (corrected,) = apply_stats([manifest], load_manifest(WEBPACK / "stats.json"))
    assert corrected.format is ManifestFormat.WEBPACK and corrected.file == manifest.file
    assert hashed_paths(corrected) == WEBPACK_IMMUTABLE
    reasons = {e.path: (e.key_path, why) for e, why in corrected.unhashed}
    assert reasons["/static/legacy.0123456789abcdef0123.js"][0] == '["legacy.js"]'
    assert "info.immutable" in reasons["/static/legacy.0123456789abcdef0123.js"][1]
    assert set(reasons) == {"/static/legacy.0123456789abcdef0123.js", "/static/index.html", "/static/robots.txt"}


def test_combine_stats_given_with_the_manifest() -> None:
    manifest, stats = load_manifest(WEBPACK / "dist" / "manifest.json"), load_manifest(WEBPACK / "stats.json")
    django = load_manifest(SAMPLES / "django" / "staticfiles.json")
    combined = combine_stats([django, stats, manifest])
    assert [r.format for r in combined] == [ManifestFormat.DJANGO, ManifestFormat.WEBPACK]
    assert hashed_paths(combined[1]) == WEBPACK_IMMUTABLE
    assert combine_stats([stats]) == [stats] and combine_stats([manifest]) == [manifest]
    with pytest.raises(ManifestError):
        combine_stats([manifest, stats, stats])


def stats_of(*assets: tuple[str, bool], public_path: str = "/build/") -> dict[str, Any]:
    return {"publicPath": public_path,
            "assets": [{"name": name, "info": {"immutable": True} if immutable else {}} for name, immutable in assets]}


def test_stats_upgrade_and_missing(tmp_path: Path) -> None:
    """Encore's lazy chunk keeps its hash in its key, so the manifest cannot tell: stats can."""
    manifest = load_manifest(ENCORE / "manifest.json")
    stats = load_manifest(write(tmp_path, "stats.json", stats_of(
        ("app.ad8527e4.css", True), ("app.16e9b934.js", True), ("admin.24d88b08.js", True),
        ("785.d4808425.js", True), ("images/logo.4635f1e3.svg", True), ("static/robots.txt", False),
    )))
    corrected, upgrades = apply_stats([manifest], stats)
    assert hashed_paths(corrected) == ENCORE_HASHED - {"/build/runtime.fe9f71e5.js"}
    why = {e.path: w for e, w in corrected.unhashed}
    assert "not among the assets" in why["/build/runtime.fe9f71e5.js"]  # stats filtered: fail safe
    assert upgrades.format is ManifestFormat.WEBPACK_STATS and upgrades.file == str(tmp_path / "stats.json")
    assert versioned(upgrades) == {("/build/785.d4808425.js", None)}
    assert upgrades.hashed[0].key_path == '["assets"][3]["name"]' and upgrades.manifest_relpath is None
    # every path is hashed or unhashed in exactly one place
    assert not hashed_paths(corrected) & hashed_paths(upgrades)
    assert not unhashed_paths(corrected) & hashed_paths(upgrades)


def test_stats_match_when_public_paths_differ(tmp_path: Path) -> None:
    manifest = load_manifest(write(tmp_path, "dist/manifest.json", {"a.js": "https://cdn.example.com/assets/a.0123abcd4567.js",
                                                                     "b.js": "/assets/js/b.0123abcd4567.js"}))
    stats = load_manifest(write(tmp_path, "stats.json", stats_of(("a.0123abcd4567.js", True), ("js/b.0123abcd4567.js", False),
                                                                  ("other/b.0123abcd4567.js", True), public_path="auto")))
    (corrected,) = apply_stats([manifest], stats)
    assert hashed_paths(corrected) == {"/assets/a.0123abcd4567.js"}
    assert unhashed_paths(corrected) == {"/assets/js/b.0123abcd4567.js"}


def test_stats_ambiguous_suffix_is_no_evidence(tmp_path: Path) -> None:
    manifest = load_manifest(write(tmp_path, "dist/manifest.json", {"x.js": "x.js", "y.js": "y.0123abcd4567.js"}))
    stats = load_manifest(write(tmp_path, "stats.json", stats_of(("a/x.js", True), ("b/x.js", True), ("y.0123abcd4567.js", True))))
    (corrected,) = apply_stats([manifest], stats)
    assert unhashed_paths(corrected) == {"x.js"} and hashed_paths(corrected) == {"y.0123abcd4567.js"}


def test_stats_children_groups_related_and_queries(tmp_path: Path) -> None:
    data = {
        "children": [
            {"publicPath": "https://cdn.example.com/static/", "outputPath": "/build/dist", "assets": [
                {"type": "assets by path js/", "children": [
                    {"name": "js/a.0123abcd.js", "info": {"immutable": True},
                     "related": [{"name": "js/a.0123abcd.js.map", "info": {"development": True}},
                                 {"name": "js/a.0123abcd.js.gz", "info": {"immutable": True}}]},
                ]},
                {"name": "index.html", "info": {}},
            ]},
            {"publicPath": "", "assets": [{"name": "worker.js?8e3b2a1c", "info": {"immutable": True}}]},
        ],
    }
    reading = load_manifest(write(tmp_path, "dist/stats.json", data))
    assert reading.format is ManifestFormat.WEBPACK_STATS
    assert versioned(reading) == {("/static/js/a.0123abcd.js", None), ("/static/js/a.0123abcd.js.gz", None), ("worker.js", "8e3b2a1c")}
    assert unhashed_paths(reading) == {"/static/js/a.0123abcd.js.map", "/static/index.html"}
    assert reading.build_root == tmp_path / "dist" and reading.manifest_relpath == "stats.json"
    keys = {e.path: e.key_path for e in reading.hashed}
    assert keys["/static/js/a.0123abcd.js.gz"] == '["children"][0]["assets"][0]["children"][0]["related"][1]["name"]'


def test_stats_not_confused_with_django_webpack_loader(tmp_path: Path) -> None:
    # django-webpack-loader's webpack-stats.json: "assets" is an object, "chunks" too
    data = {"status": "done", "chunks": {"main": ["main.js"]}, "assets": {"main.js": {"name": "main.js", "path": "/x/main.js"}}}
    with pytest.raises(ManifestError):
        load_manifest(write(tmp_path, "webpack-stats.json", data))


@pytest.mark.parametrize(
    ("data", "key_path", "error"),
    [
        ({"assets": [1]}, '["assets"][0]', ManifestError),
        ({"assets": [{"name": 1}]}, '["assets"][0]["name"]', ManifestError),
        ({"assets": [{"name": "a.js", "info": []}]}, '["assets"][0]["info"]', ManifestError),
        ({"assets": [{"name": "../a.js"}]}, '["assets"][0]["name"]', UnsafeEntryError),
        ({"assets": [{"name": "/a.js"}]}, '["assets"][0]["name"]', UnsafeEntryError),
        ({"assets": {"a": 1}}, '["assets"]', ManifestError),
        ({"children": [3]}, '["children"][0]', ManifestError),
    ],
)
def test_stats_errors(tmp_path: Path, data: Any, key_path: str, error: type[Exception]) -> None:
    path = write(tmp_path, "stats.json", data)
    with pytest.raises(error) as caught:
        load_manifest(path, ManifestFormat.WEBPACK_STATS)
    assert_names(caught.value, path, key_path)  # type: ignore[arg-type]


# --- detection -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data", "fmt"),
    [
        ("mix-manifest.json", {"/js/app.js": "/js/app.js"}, ManifestFormat.MIX),
        ("parcel-manifest.json", {"a.ts": "/a.0123abcd.js"}, ManifestFormat.PARCEL),
        ("asset-manifest.json", {"main.js": "static/js/main.0123abcd.js"}, ManifestFormat.CRA),
        ("ngsw.json", {"hashTable": {}}, ManifestFormat.ANGULAR),
        (".manifest.json", {"a.css": "a-0123abcd.css"}, ManifestFormat.PROPSHAFT),
        (".sprockets-manifest-0123456789abcdef0123456789abcdef.json", {}, ManifestFormat.SPROCKETS),
        ("manifest-0123456789abcdef0123456789abcdef.json", {"files": {}, "assets": {}}, ManifestFormat.SPROCKETS),
        (".webassets-manifest", {"gen/a.js": "0123abcd"}, ManifestFormat.WEBASSETS),
        ("entrypoints.json", {"entrypoints": {"app": {"js": []}}}, ManifestFormat.ENCORE),
        ("meta.json", {"inputs": {}, "outputs": {"dist/a.js": {}}}, ManifestFormat.ESBUILD),
        ("stats.json", {"assets": []}, ManifestFormat.WEBPACK_STATS),
        ("stats.json", {"children": [{"assets": []}]}, ManifestFormat.WEBPACK_STATS),
        ("x.json", {"files": {"a": "b"}, "entrypoints": []}, ManifestFormat.CRA),
        ("x.json", {"configVersion": 1, "hashTable": {}}, ManifestFormat.ANGULAR),
        # the existing formats keep their detection
        ("staticfiles.json", {"paths": {}, "version": "1.1"}, ManifestFormat.DJANGO),
        ("manifest.json", {"index.html": {"file": "a.js"}}, ManifestFormat.VITE),
        ("manifest.json", {"main.js": "/static/main.1.js"}, ManifestFormat.WEBPACK),
        ("manifest.json", {"outputs": "x"}, ManifestFormat.WEBPACK),
    ],
)
def test_detect_more(name: str, data: Any, fmt: ManifestFormat) -> None:
    assert detect(data, Path(name)) is fmt


def test_detect_encore_by_the_file_beside(tmp_path: Path) -> None:
    manifest = write(tmp_path, "build/manifest.json", {"build/app.js": "/build/app.16e9b934.js"})
    assert detect({"build/app.js": "/build/app.16e9b934.js"}, manifest) is ManifestFormat.WEBPACK
    write(tmp_path, "build/entrypoints.json", {"entrypoints": {}})
    assert detect({"build/app.js": "/build/app.16e9b934.js"}, manifest) is ManifestFormat.ENCORE
    # a Vite manifest beside an entrypoints.json stays Vite
    assert detect({"index.html": {"file": "a.js"}}, manifest) is ManifestFormat.VITE


def test_every_format_has_a_reader() -> None:
    # scan reads a directory, linkversions a site's pages: neither is a manifest
    assert set(READERS) == set(ManifestFormat) - {ManifestFormat.SCAN, ManifestFormat.LINKS}


def test_unknown_shape_message_names_the_new_formats() -> None:
    with pytest.raises(ManifestError) as caught:
        detect({"a": 1}, Path("/x/odd.json"))
    for word in ("mix-manifest.json", "ngsw.json", "esbuild", "Propshaft", "stats.json"):
        assert word in str(caught.value)


# --- every reader reads or refuses any JSON with our error -----------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=12),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=20,
)
path_texts = st.text(alphabet="ab/.-?=_%ABCDEFGH2345 \x00", max_size=16)


@settings(max_examples=400, deadline=None)
@given(
    data=st.one_of(
        json_values,
        st.dictionaries(path_texts, path_texts, min_size=1, max_size=4),
        st.dictionaries(path_texts, st.fixed_dictionaries({"digested_path": path_texts}), min_size=1, max_size=3),
        st.fixed_dictionaries({"files": st.dictionaries(path_texts, st.dictionaries(st.sampled_from(["logical_path", "digest"]), path_texts | json_values), max_size=3),
                               "assets": st.dictionaries(path_texts, path_texts | json_values, max_size=3)}),
        st.fixed_dictionaries({"outputs": st.dictionaries(path_texts, st.fixed_dictionaries({}, optional={"entryPoint": path_texts | json_values, "inputs": json_values}), max_size=3)}),
        st.fixed_dictionaries({"configVersion": st.just(1), "hashTable": st.dictionaries(path_texts, path_texts | json_values, max_size=3)}),
        st.fixed_dictionaries({"assets": st.lists(st.fixed_dictionaries({"name": path_texts | json_values}, optional={"info": json_values, "related": json_values, "children": json_values}), max_size=3)},
                              optional={"publicPath": path_texts | json_values, "outputPath": path_texts | json_values}),
        st.fixed_dictionaries({"entrypoints": st.dictionaries(path_texts, st.dictionaries(st.sampled_from(["js", "css"]), st.lists(path_texts, max_size=2) | json_values), max_size=2)}),
        st.fixed_dictionaries({"files": st.dictionaries(path_texts, path_texts, max_size=3), "entrypoints": st.lists(path_texts, max_size=2) | json_values}),
    ),
    fmt=st.sampled_from([f for f in ManifestFormat if f not in (ManifestFormat.DJANGO, ManifestFormat.VITE, ManifestFormat.WEBPACK)] + [None]),
)
def test_new_readers_read_or_refuse_any_json(tmp_path_factory: pytest.TempPathFactory, data: Any, fmt: ManifestFormat | None) -> None:
    name = {ManifestFormat.ENCORE: "entrypoints.json", ManifestFormat.SPROCKETS: ".sprockets-manifest-0123456789abcdef.json"}.get(fmt, "m.json")  # type: ignore[arg-type]
    path = tmp_path_factory.mktemp("m") / name
    path.write_text(json.dumps(data), encoding="utf-8")
    try:
        reading = load_manifest(path, fmt)
    except NginxcacheError as exc:
        assert str(path) in str(exc) and "\n" not in str(exc)
        return
    for entry in [*reading.hashed, *(e for e, _ in reading.unhashed)]:
        assert isinstance(entry, Entry)
        relative = entry.path.removeprefix("/")
        assert relative and all(seg not in ("", ".", "..") for seg in relative.split("/")), entry
        assert entry.key_path.startswith("[")
        assert entry.query is None or (entry.query and "\x00" not in entry.query)
