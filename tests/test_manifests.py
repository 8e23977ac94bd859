"""Manifest readers and format detection: Django staticfiles.json, Vite and webpack
manifest.json, on hand-written manifests, the real builds in sample_configs/, and every
kind of bad input (each error must name the file and the JSON key path).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nginxcache.classify import classify
from nginxcache.errors import ManifestError, NginxcacheError, UnsafeEntryError
from nginxcache.manifests import detect, load_manifest, read_json
from nginxcache.model import ManifestFormat, ManifestReading

from manifest_helpers import hashed_paths, unhashed_paths, write  # noqa: E402

SAMPLES = Path(__file__).resolve().parent.parent / "sample_configs"




# --- Django ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "extra",
    [{"version": "1.0"}, {"version": "1.1", "hash": "35eb708897c1"}],
    ids=["v1.0-no-hash", "v1.1"],
)
def test_django_versions(tmp_path: Path, extra: dict[str, str]) -> None:
    path = write(
        tmp_path,
        "static/staticfiles.json",
        {
            "paths": {
                "admin/css/base.css": "admin/css/base.96c479cedf7a.css",
                "admin/img/LICENSE": "admin/img/LICENSE.2c54f4e1ca1c",
                "js/app.js.map": "js/app.js.0123456789ab.map",
            },
            **extra,
        },
    )
    reading = load_manifest(path)
    assert reading.format is ManifestFormat.DJANGO
    assert hashed_paths(reading) == {
        "admin/css/base.96c479cedf7a.css",
        "admin/img/LICENSE.2c54f4e1ca1c",
        "js/app.js.0123456789ab.map",
    }
    assert reading.unhashed == []
    assert reading.build_root == tmp_path / "static"
    assert reading.manifest_relpath == "staticfiles.json"
    keys = {entry.path: entry.key_path for entry in reading.hashed}
    assert keys["admin/css/base.96c479cedf7a.css"] == '["paths"]["admin/css/base.css"]'


def test_django_detected_by_shape_under_another_name(tmp_path: Path) -> None:
    # Django >= 4.0 may store the manifest elsewhere (manifest_storage / manifest_name).
    path = write(tmp_path, "static/my-manifest.json", {"paths": {"a.css": "a.0123456789ab.css"}, "version": "1.1"})
    assert load_manifest(path).format is ManifestFormat.DJANGO


def test_django_entry_mapped_to_itself_is_unhashed(tmp_path: Path) -> None:
    path = write(tmp_path, "staticfiles.json", {"paths": {"robots.txt": "robots.txt"}, "version": "1.1"})
    reading = load_manifest(path)
    assert reading.hashed == [] and unhashed_paths(reading) == {"robots.txt"}


def test_django_real_sample() -> None:
    manifest = SAMPLES / "django" / "staticfiles.json"
    if not manifest.exists():
        pytest.fail("sample_configs/django/staticfiles.json is missing")
    data = json.loads(manifest.read_text(encoding="utf-8"))
    reading = load_manifest(manifest)
    assert reading.format is ManifestFormat.DJANGO
    assert hashed_paths(reading) == {v for k, v in data["paths"].items() if k != v}
    assert len(reading.hashed) == len(data["paths"])
    # awkward names survive unchanged (quoting happens at render time, not here)
    assert 'site/double"quote.66ac2c5f1910.txt' in hashed_paths(reading)
    assert "site/dollar$uri.99e1bdf1615b.txt" in hashed_paths(reading)


# --- Vite ------------------------------------------------------------------------------

VITE_MANIFEST = {
    "index.html": {
        "file": "assets/index-BdSJMAQq.js",
        "name": "index",
        "src": "index.html",
        "isEntry": True,
        "dynamicImports": ["src/lazy.js"],
        "css": ["assets/index-HSZx6cNY.css"],
        "assets": ["assets/logo-Da7D82Hg.svg"],
    },
    "src/lazy.js": {"file": "assets/lazy-a-_b-Z9x.js", "name": "lazy", "src": "src/lazy.js", "isDynamicEntry": True,
                    "imports": ["index.html"]},
    "src/logo.svg": {"file": "assets/logo-Da7D82Hg.svg", "src": "src/logo.svg"},
}
VITE_HASHED = {"assets/index-BdSJMAQq.js", "assets/index-HSZx6cNY.css", "assets/logo-Da7D82Hg.svg", "assets/lazy-a-_b-Z9x.js"}


@pytest.mark.parametrize(
    ("relpath", "build_root", "manifest_relpath"),
    [
        ("dist/manifest.json", "dist", "manifest.json"),  # Vite <= 4
        ("dist/.vite/manifest.json", "dist", ".vite/manifest.json"),  # Vite >= 5
        ("public/build/manifest.json", "public/build", "manifest.json"),  # Laravel
    ],
)
def test_vite_locations(tmp_path: Path, relpath: str, build_root: str, manifest_relpath: str) -> None:
    reading = load_manifest(write(tmp_path, relpath, VITE_MANIFEST))
    assert reading.format is ManifestFormat.VITE
    assert reading.build_root == tmp_path / build_root
    assert reading.manifest_relpath == manifest_relpath
    assert hashed_paths(reading) == VITE_HASHED
    assert unhashed_paths(reading) == set()
    # listed twice (index.html assets[] and its own chunk): one entry
    assert sorted(e.path for e in reading.hashed) == sorted(VITE_HASHED)
    keys = {e.path: e.key_path for e in reading.hashed}
    assert keys["assets/index-HSZx6cNY.css"] == '["index.html"]["css"][0]'


def test_vite4_hex_hashes(tmp_path: Path) -> None:
    data = {"src/main.ts": {"file": "assets/main-4ed993c7.js", "src": "src/main.ts", "isEntry": True,
                            "css": ["assets/main-0b1f2c3d.css"]}}
    reading = load_manifest(write(tmp_path, "dist/manifest.json", data))
    assert hashed_paths(reading) == {"assets/main-4ed993c7.js", "assets/main-0b1f2c3d.css"}


@pytest.mark.parametrize(
    "hashed_name",
    ["assets/my-component-B-x_9aQ1.js", "assets/index-Bd-JMAQq.js", "assets/a_b-_AbC-d9Z.js", "assets/x-A1b2C3d4.js"],
)
def test_vite_base64url_hashes_with_dashes_are_hashed(tmp_path: Path, hashed_name: str) -> None:
    stem = hashed_name.split("/")[1].rsplit("-", 1)[0]
    data = {f"src/{stem}.js": {"file": hashed_name, "name": stem, "src": f"src/{stem}.js", "isDynamicEntry": True}}
    reading = load_manifest(write(tmp_path, "dist/.vite/manifest.json", data))
    assert hashed_paths(reading) == {hashed_name}


@pytest.mark.parametrize(
    "name", ["assets/theme.js", "assets/index--_-_-_-_.js", "assets/x-ABCDEFGH.js", "assets/app-20240101.js",
             "assets/my-component.js", "static/logo-v2.svg", "js/chunk-lazy.js"],
)
def test_vite_names_without_a_random_hash_token_fail_safe(tmp_path: Path, name: str) -> None:
    """Words, dates and punctuation runs are not taken for a hash: such files revalidate."""
    data = {"src/x.js": {"file": name, "name": "x", "src": "src/x.js", "isEntry": True}}
    reading = load_manifest(write(tmp_path, "dist/.vite/manifest.json", data))
    assert hashed_paths(reading) == set()
    assert unhashed_paths(reading) == {name}


def test_vite_outputs_named_without_hash_are_unhashed(tmp_path: Path) -> None:
    data = {
        "src/main.js": {"file": "main.js", "name": "main", "src": "src/main.js", "isEntry": True},
        "index.html": {"file": "assets/index.js", "name": "index", "src": "index.html", "isEntry": True},
        "src/worker.js": {"file": "assets/worker.js", "src": "src/worker.js"},
    }
    reading = load_manifest(write(tmp_path, "dist/.vite/manifest.json", data))
    assert hashed_paths(reading) == set()
    assert unhashed_paths(reading) == {"main.js", "assets/index.js", "assets/worker.js"}


# A real Vite 7.3.8 build of tests/fixtures/npm/vite with
#   rollupOptions.output = {entryFileNames: 'assets/[name].js',
#                           chunkFileNames: 'assets/[name].[hash].js',
#                           assetFileNames: 'assets/[name][extname]'}
# dist/assets held: index.js, index.css, logo.svg (no hash) and lazy.CD01446e.js (hashed).
VITE7_NO_ASSET_HASH = {
    "index.html": {
        "file": "assets/index.js",
        "name": "index",
        "src": "index.html",
        "isEntry": True,
        "dynamicImports": ["src/lazy.js"],
        "css": ["assets/index.css"],
        "assets": ["assets/logo.svg"],
    },
    "src/lazy.js": {"file": "assets/lazy.CD01446e.js", "name": "lazy", "src": "src/lazy.js", "isDynamicEntry": True},
    "src/logo.svg": {"file": "assets/logo.svg", "src": "src/logo.svg"},
}


def test_vite_css_and_assets_without_hash_are_unhashed(tmp_path: Path) -> None:
    reading = load_manifest(write(tmp_path, "dist/.vite/manifest.json", VITE7_NO_ASSET_HASH))
    assert "assets/index.css" not in hashed_paths(reading)
    assert "assets/logo.svg" not in hashed_paths(reading)


def test_vite_dot_separated_hash_is_hashed(tmp_path: Path) -> None:
    reading = load_manifest(write(tmp_path, "dist/.vite/manifest.json", VITE7_NO_ASSET_HASH))
    assert "assets/lazy.CD01446e.js" in hashed_paths(reading)


def test_vite_entry_without_hash_in_real_no_hash_build(tmp_path: Path) -> None:
    reading = load_manifest(write(tmp_path, "dist/.vite/manifest.json", VITE7_NO_ASSET_HASH))
    assert "assets/index.js" in unhashed_paths(reading)
    assert "assets/index.js" not in hashed_paths(reading)


def test_vite_real_sample() -> None:
    reading = load_manifest(SAMPLES / "vite" / "dist" / ".vite" / "manifest.json")
    assert reading.format is ManifestFormat.VITE
    assert reading.build_root == SAMPLES / "vite" / "dist"
    assert reading.manifest_relpath == ".vite/manifest.json"
    assert hashed_paths(reading) == {
        "assets/index-YpS4Hvbq.js",
        "assets/index-BguJmoAq.css",
        "assets/lazy-CD01446e.js",
        "assets/logo-CSWhh80n.svg",
    }
    assert unhashed_paths(reading) == set()
    for entry in reading.hashed:
        assert (reading.build_root / entry.path).is_file(), entry


# --- webpack ---------------------------------------------------------------------------


def test_webpack_flat_manifest_with_public_path(tmp_path: Path) -> None:
    data = {
        "main.js": "/static/main.62fdc95fff1a65cd54cd.js",
        "480.js": "/static/480.7f1b2c3d4e5f60718293.js",
        "img/logo.svg": "/static/img/logo.0123456789abcdef0123.svg",
        "index.html": "/static/index.html",
        "robots.txt": "/static/robots.txt",
    }
    reading = load_manifest(write(tmp_path, "dist/manifest.json", data))
    assert reading.format is ManifestFormat.WEBPACK
    assert hashed_paths(reading) == {
        "/static/main.62fdc95fff1a65cd54cd.js",
        "/static/480.7f1b2c3d4e5f60718293.js",
        "/static/img/logo.0123456789abcdef0123.svg",
    }
    assert unhashed_paths(reading) == {"/static/index.html", "/static/robots.txt"}
    assert reading.build_root == tmp_path / "dist" and reading.manifest_relpath == "manifest.json"
    assert {e.path: e.key_path for e in reading.hashed}["/static/main.62fdc95fff1a65cd54cd.js"] == '["main.js"]'


def test_webpack_relative_values(tmp_path: Path) -> None:
    data = {"main.js": "main.62fdc95fff1a65cd54cd.js", "js/vendor.js": "js/vendor.aaaa1111cccc2222eeee.js",
            "index.html": "index.html", "main.js.map": "main.62fdc95fff1a65cd54cd.js.map",
            "admin.js": "admin.bundle.js", "app.js": "app.20240101.js"}
    reading = load_manifest(write(tmp_path, "manifest.json", data))
    assert hashed_paths(reading) == {"main.62fdc95fff1a65cd54cd.js", "js/vendor.aaaa1111cccc2222eeee.js"}
    # no hash, a source map (named after its asset's hash), a date: all revalidate
    assert unhashed_paths(reading) == {"index.html", "main.62fdc95fff1a65cd54cd.js.map", "admin.bundle.js", "app.20240101.js"}




@pytest.mark.parametrize(
    "origin",
    [
        "https://cdn.example.com",
        "http://cdn.example.com:8080",
        "//cdn.example.com",
    ],
)
def test_webpack_cdn_values_keep_the_url_path(tmp_path: Path, origin: str) -> None:
    data = {"x.js": f"{origin}/static/x.0123456789abcdef0123.js", "y.css": f"{origin}/static/y.css"}
    reading = load_manifest(write(tmp_path, "manifest.json", data))
    assert hashed_paths(reading) == {"/static/x.0123456789abcdef0123.js"}
    assert unhashed_paths(reading) == {"/static/y.css"}


def test_webpack_basename_equal_to_key_is_unhashed(tmp_path: Path) -> None:
    data = {"fonts/a.woff2": "/static/fonts/a.woff2", "b.js": "/static/sub/b.js", "c.js": "/static/c.js?v=1"}
    reading = load_manifest(write(tmp_path, "manifest.json", data))
    assert {"/static/fonts/a.woff2", "/static/sub/b.js"} <= unhashed_paths(reading)
    assert "/static/fonts/a.woff2" not in hashed_paths(reading)


def test_webpack_real_sample() -> None:
    reading = load_manifest(SAMPLES / "webpack" / "dist" / "manifest.json")
    assert reading.format is ManifestFormat.WEBPACK
    assert hashed_paths(reading) == {
        "/static/main.9beed636ed59a8cc7b46.css",
        "/static/main.fb9ad963a530ab85ffe0.js",
        "/static/480.c8088a729a1384aa9e3b.js",
        "/static/logo.7ef0c71e6815f1f6a77d.svg",
        # copied byte-for-byte, only LOOKS hashed: the manifest alone cannot tell
        "/static/legacy.0123456789abcdef0123.js",
    }
    assert unhashed_paths(reading) == {"/static/index.html", "/static/robots.txt"}
    for entry in reading.hashed:
        assert (reading.build_root / entry.path.removeprefix("/static/")).is_file(), entry


# --- detection -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data", "fmt"),
    [
        ("staticfiles.json", {"paths": {}, "version": "1.1"}, ManifestFormat.DJANGO),
        ("manifest.json", {"paths": {"a": "b"}, "version": "1.0"}, ManifestFormat.DJANGO),
        ("manifest.json", {"index.html": {"file": "a.js"}}, ManifestFormat.VITE),
        ("manifest.json", {"main.js": "/static/main.1.js"}, ManifestFormat.WEBPACK),
    ],
)
def test_detect(name: str, data: Any, fmt: ManifestFormat) -> None:
    assert detect(data, Path(name)) is fmt


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "empty manifest"),
        ([], "not a manifest"),
        ("text", "not a manifest"),
        ({"a": 1}, "not a manifest"),
        ({"a": {"file": 1}}, "not a manifest"),
    ],
)
def test_detect_refuses_unknown_shapes(data: Any, message: str) -> None:
    with pytest.raises(ManifestError) as caught:
        detect(data, Path("/x/odd.json"))
    assert message in str(caught.value) and "/x/odd.json" in str(caught.value)


# --- errors: every one names the file and the key path -----------------------------------


def assert_names(exc: NginxcacheError, file: Path, key_path: str | None = None, line: int | None = None) -> None:
    text = str(exc)
    assert str(file) in text, text
    if key_path is not None:
        assert key_path in text, text
    if line is not None:
        assert f"{file}:{line}" in text, text
    assert "\n" not in text and "\r" not in text


def test_invalid_json_names_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, "staticfiles.json", '{\n  "paths": {\n    "a.css": "a.1.css",\n  }\n}\n')
    with pytest.raises(ManifestError) as caught:
        load_manifest(path)
    assert_names(caught.value, path, line=4)
    assert caught.value.line == 4


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "manifest.json"
    path.write_bytes(b'{"main.js": "/static/m\xe9.js"}')
    with pytest.raises(ManifestError) as caught:
        load_manifest(path)
    assert_names(caught.value, path)
    assert "UTF-8" in str(caught.value)


def test_utf8_bom_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "manifest.json"
    path.write_bytes(b'\xef\xbb\xbf{"main.js": "/static/main.0123abcd.js"}')
    assert hashed_paths(load_manifest(path)) == {"/static/main.0123abcd.js"}


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(ManifestError) as caught:
        load_manifest(tmp_path / "nope.json")
    assert_names(caught.value, tmp_path / "nope.json")
    with pytest.raises(ManifestError) as caught:
        read_json(tmp_path)
    assert_names(caught.value, tmp_path)


@pytest.mark.parametrize("version", ["2.0", 1.1, None, "1"])
def test_django_unknown_version(tmp_path: Path, version: object) -> None:
    data: dict[str, Any] = {"paths": {}}
    if version is not None:
        data["version"] = version
    path = write(tmp_path, "staticfiles.json", data)
    with pytest.raises(ManifestError) as caught:
        load_manifest(path)
    assert_names(caught.value, path, '["version"]')


TYPE_ERRORS = [
    ("staticfiles.json", None, {"paths": [], "version": "1.1"}, '["paths"]'),
    ("staticfiles.json", None, {"version": "1.1"}, '["paths"]'),
    ("staticfiles.json", None, {"paths": {"x": 5}, "version": "1.1"}, '["paths"]["x"]'),
    ("staticfiles.json", None, {"paths": {"x": None}, "version": "1.1"}, '["paths"]["x"]'),
    ("staticfiles.json", None, [], None),
    ("manifest.json", ManifestFormat.VITE, {"index.html": {"file": 5}}, '["index.html"]["file"]'),
    ("manifest.json", ManifestFormat.VITE, {"index.html": ["a.js"]}, '["index.html"]'),
    ("manifest.json", ManifestFormat.VITE, {"i": {"file": "a.js", "css": "a.css"}}, '["i"]["css"]'),
    ("manifest.json", ManifestFormat.VITE, {"i": {"file": "a.js", "assets": ["a.svg", 3]}}, '["i"]["assets"][1]'),
    ("manifest.json", ManifestFormat.WEBPACK, {"main.js": 5}, '["main.js"]'),
    ("manifest.json", ManifestFormat.WEBPACK, {"main.js": ["a.js"]}, '["main.js"]'),
]


@pytest.mark.parametrize(("name", "fmt", "data", "key_path"), TYPE_ERRORS)
def test_wrong_types(tmp_path: Path, name: str, fmt: ManifestFormat | None, data: Any, key_path: str | None) -> None:
    path = write(tmp_path, name, data)
    with pytest.raises(ManifestError) as caught:
        load_manifest(path, fmt)
    assert_names(caught.value, path, key_path)
    assert "expected" in str(caught.value)


def test_forced_format_on_another_tools_manifest_says_which_it_is(tmp_path: Path) -> None:
    path = write(tmp_path, "manifest.json", {"index.html": "a.js", "main.js": "main.0123abcd.js"})
    with pytest.raises(ManifestError) as caught:
        load_manifest(path, ManifestFormat.VITE)
    assert str(caught.value) == (
        f"{path}: this looks like a webpack manifest.json, not a Vite manifest: drop --manifest-format to detect it, "
        "or give --manifest-format webpack"
    )


BAD_PATHS = [
    ("/etc/passwd", "absolute"),
    ("../outside.css", "'..'"),
    ("a/../../b.css", "'..'"),
    ("./a.css", "'.'"),
    ("a//b.css", "empty path segment"),
    ("dir/", "empty path segment"),
    ("a\x01b.css", "control character"),
    ("a\nb.css", "control character"),
    ("a\x00b.css", "control character"),
    ("", "empty"),
]


def bad_manifests(bad: str) -> list[tuple[str, Any, str]]:
    cases = [
        ("staticfiles.json", {"paths": {"app.css": bad}, "version": "1.1"}, '["paths"]["app.css"]'),
        ("staticfiles.json", {"paths": {"a.css": "a.0123456789ab.css", "app.css": bad}}, '["paths"]["app.css"]'),
        ("manifest.json", {"index.html": {"file": bad, "name": "index"}}, '["index.html"]["file"]'),
        ("manifest.json", {"i": {"file": "a-1.js", "css": [bad]}}, '["i"]["css"][0]'),
    ]
    if not bad.startswith("/"):  # webpack values are URL paths: absolute ones are checked against --prefix
        cases.append(("manifest.json", {"main.js": "/static/" + bad}, '["main.js"]'))
    return cases


@pytest.mark.parametrize(
    ("name", "data", "key_path", "reason"),
    [(*case, reason) for bad, reason in BAD_PATHS for case in bad_manifests(bad)],
)
def test_unsafe_entries_are_refused(tmp_path: Path, name: str, data: Any, key_path: str, reason: str) -> None:
    """Refused by the reader, or (Django's million-entry columns) by classify's bulk checks."""
    data = {**data, "version": "1.1"} if name == "staticfiles.json" else data
    path = write(tmp_path, name, data)
    with pytest.raises(UnsafeEntryError) as caught:
        classify([load_manifest(path)], "/static/", scan_tree=False)
    assert_names(caught.value, path, key_path)
    if not name.startswith("manifest") or "main.js" not in data:
        assert reason in str(caught.value)


@pytest.mark.parametrize("bad", [bad for bad, _ in BAD_PATHS])
def test_django_originals_are_evidence_only(tmp_path: Path, bad: str) -> None:
    """An original never reaches the config: only its hashed copy is checked and served."""
    path = write(tmp_path, "staticfiles.json", {"paths": {bad: "app.0123456789ab.css"}, "version": "1.1"})
    reading = load_manifest(path)
    assert hashed_paths(reading) == {"app.0123456789ab.css"}
    assert reading.hashed[0].key_path == f'["paths"][{json.dumps(bad, ensure_ascii=False)}]'
    assert list(classify([reading], "/static/", scan_tree=False).hashed_uris) == ["/static/app.0123456789ab.css"]


def test_json_nested_too_deeply(tmp_path: Path) -> None:
    path = write(tmp_path, "manifest.json", "[" * 100_000 + "]" * 100_000)
    with pytest.raises(ManifestError) as caught:
        load_manifest(path)
    assert_names(caught.value, path)


# --- readers never crash on arbitrary JSON: they read it or refuse it with our error ---------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=12),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(
    data=st.one_of(
        json_values,
        st.fixed_dictionaries({"version": st.sampled_from(["1.0", "1.1"]), "paths": st.dictionaries(st.text(max_size=10), json_values, max_size=4)}),
        st.dictionaries(st.text(max_size=10), st.fixed_dictionaries({"file": st.text(max_size=10)}, optional={"css": json_values, "assets": json_values, "name": json_values, "src": json_values}), min_size=1, max_size=3),
        st.dictionaries(st.text(max_size=10), st.text(max_size=20), min_size=1, max_size=4),
    ),
    name=st.sampled_from(["staticfiles.json", "manifest.json"]),
)
def test_readers_read_or_refuse_any_json(tmp_path_factory: pytest.TempPathFactory, data: Any, name: str) -> None:
    path = tmp_path_factory.mktemp("m") / name
    path.write_text(json.dumps(data), encoding="utf-8")
    try:  # Django's reader leaves the path checks of its hashed names to classify's bulk checks
        reading = load_manifest(path)
        classification = classify([reading], "/", scan_tree=False)
    except NginxcacheError as exc:
        assert str(path) in str(exc) and "\n" not in str(exc)
        return
    for entry in [*reading.hashed, *(e for e, _ in reading.unhashed)]:
        assert entry.key_path.startswith("[")
    for path_or_uri in [*classification.hashed_uris, *(e.path for e, _ in reading.unhashed)]:
        relative = path_or_uri.removeprefix("/")
        assert relative and all(seg not in ("", ".", "..") for seg in relative.split("/")), path_or_uri
