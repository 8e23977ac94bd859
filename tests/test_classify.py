"""classify: a file is hashed only on a manifest's evidence; case collisions, conflicts,
denied manifests, --prefix checks and the missing-on-disk warning.
"""

from __future__ import annotations

import dataclasses

import json
import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nginxcache.classify import SERVICE_WORKERS, always_revalidated, is_dotfile, NOT_LISTED, classify, explain, to_uri
from nginxcache.errors import UnsafeEntryError
from nginxcache.manifests import load_manifest
from nginxcache.model import Entry, ManifestFormat, ManifestReading

SAMPLES = Path(__file__).resolve().parent.parent / "sample_configs"


def reading(
    build_root: Path,
    hashed: list[str],
    unhashed: list[str] = (),  # type: ignore[assignment]
    *,
    file: str = "manifest.json",
    fmt: ManifestFormat = ManifestFormat.VITE,
    relpath: str | None = "manifest.json",
) -> ManifestReading:
    return ManifestReading(
        format=fmt,
        file=str(build_root / file),
        build_root=build_root,
        hashed=[Entry(p, f'["{p}"]') for p in hashed],
        hashed_reason="test evidence",
        unhashed=[(Entry(p, f'["{p}"]'), "maps to itself") for p in unhashed],
        manifest_relpath=relpath,
    )


def touch(root: Path, *names: str) -> None:
    for name in names:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(name, encoding="utf-8")


def test_hashed_only_on_manifest_evidence(tmp_path: Path) -> None:
    # On disk: a hashed output, a file that only LOOKS hashed, an original.
    touch(tmp_path, "app.0123456789ab.css", "vendor.abcdef012345.js", "app.css", "manifest.json")
    result = classify([reading(tmp_path, ["app.0123456789ab.css"])], "/static/")
    assert result.hashed_uris == ["/static/app.0123456789ab.css"]
    assert result.case_sensitive_uris == frozenset()
    assert explain(result, "/static/vendor.abcdef012345.js") == (False, NOT_LISTED)
    hashed, why = explain(result, "/static/app.0123456789ab.css")
    assert hashed and "test evidence" in why and str(tmp_path / "manifest.json") in why
    assert result.warnings == []


def test_unhashed_evidence_is_explained(tmp_path: Path) -> None:
    result = classify([reading(tmp_path, [], ["index.html"])], "/", scan_tree=False)
    assert result.hashed_uris == []
    hashed, why = explain(result, "/index.html")
    assert not hashed and "maps to itself" in why


def test_real_webpack_sample_lookalikes() -> None:
    manifest = load_manifest(SAMPLES / "webpack" / "dist" / "manifest.json")
    result = classify([manifest], "/static/")
    on_disk = {"/static/" + p.name for p in (SAMPLES / "webpack" / "dist").iterdir()}
    assert set(result.hashed_uris) <= on_disk
    assert "/static/index.html" not in result.hashed_uris
    assert "/static/robots.txt" not in result.hashed_uris
    assert result.denied_uris == ["/static/manifest.json"]
    assert result.warnings == []


def test_real_vite_sample_at_site_root() -> None:
    manifest = load_manifest(SAMPLES / "vite" / "dist" / ".vite" / "manifest.json")
    result = classify([manifest], "/")
    assert result.hashed_uris == [
        "/assets/index-BguJmoAq.css",
        "/assets/index-YpS4Hvbq.js",
        "/assets/lazy-CD01446e.js",
        "/assets/logo-CSWhh80n.svg",
    ]
    assert result.denied_uris == ["/.vite/manifest.json"]
    for uri in ("/index.html", "/favicon.ico", "/robots.txt"):
        assert explain(result, uri) == (False, NOT_LISTED)


# --- case collisions -------------------------------------------------------------------


def test_two_hashed_names_equal_up_to_case(tmp_path: Path) -> None:
    result = classify(
        [reading(tmp_path, ["site/Case.4f7842015264.txt", "site/case.4f7842015264.txt", "site/other.0123456789ab.txt"])],
        "/static/",
        scan_tree=False,
    )
    assert result.case_sensitive_uris == {"/static/site/Case.4f7842015264.txt", "/static/site/case.4f7842015264.txt"}


def test_hashed_name_and_unhashed_file_on_disk_equal_up_to_case(tmp_path: Path) -> None:
    touch(tmp_path, "img/Logo.0123456789ab.PNG", "img/logo.0123456789ab.png", "img/unrelated.png")
    result = classify([reading(tmp_path, ["img/Logo.0123456789ab.PNG"])], "/static/")
    assert result.hashed_uris == ["/static/img/Logo.0123456789ab.PNG"]
    # only hashed URIs become case-sensitive keys; the unhashed twin is not in the map at all
    assert result.case_sensitive_uris == {"/static/img/Logo.0123456789ab.PNG"}


def test_no_collision_no_case_sensitive_keys(tmp_path: Path) -> None:
    touch(tmp_path, "A.0123456789ab.js", "b.js")
    result = classify([reading(tmp_path, ["A.0123456789ab.js"])], "/static/")
    assert result.case_sensitive_uris == frozenset()


def test_case_collision_across_two_manifests(tmp_path: Path) -> None:
    first = reading(tmp_path / "a", ["X.0123456789ab.css"], relpath=None)
    second = reading(tmp_path / "b", ["x.0123456789ab.css"], relpath=None)
    result = classify([first, second], "/static/", scan_tree=False)
    assert result.case_sensitive_uris == {"/static/X.0123456789ab.css", "/static/x.0123456789ab.css"}


def test_case_collision_found_below_subdirectories(tmp_path: Path) -> None:
    touch(tmp_path, "deep/er/APP.0123456789ab.js")
    result = classify([reading(tmp_path, ["deep/er/app.0123456789ab.js"])], "/static/")
    assert result.case_sensitive_uris == {"/static/deep/er/app.0123456789ab.js"}


# --- conflicts, denied manifests, prefix ------------------------------------------------


def test_hashed_in_one_manifest_unhashed_in_another_raises_naming_both(tmp_path: Path) -> None:
    first = reading(tmp_path, ["app.js"], file="one.json", relpath=None)
    second = reading(tmp_path, [], ["app.js"], file="two.json", relpath=None)
    for order in ([first, second], [second, first]):
        with pytest.raises(UnsafeEntryError) as caught:
            classify(order, "/static/", scan_tree=False)
        message = str(caught.value)
        assert str(tmp_path / "one.json") in message and str(tmp_path / "two.json") in message
        assert "/static/app.js" in message and '["app.js"]' in message


def test_same_uri_hashed_in_two_manifests_is_fine(tmp_path: Path) -> None:
    first = reading(tmp_path, ["app.1.js"], file="one.json", relpath=None)
    second = reading(tmp_path, ["app.1.js"], file="two.json", relpath=None)
    result = classify([first, second], "/static/", scan_tree=False)
    assert result.hashed_uris == ["/static/app.1.js"]


@pytest.mark.parametrize(
    ("relpath", "prefix", "denied"),
    [
        ("manifest.json", "/static/", "/static/manifest.json"),
        (".vite/manifest.json", "/", "/.vite/manifest.json"),
        ("staticfiles.json", "/assets/", "/assets/staticfiles.json"),
    ],
)
def test_manifest_is_denied_unless_served(tmp_path: Path, relpath: str, prefix: str, denied: str) -> None:
    readings = [reading(tmp_path, ["a.1.js"], relpath=relpath)]
    assert classify(readings, prefix, scan_tree=False).denied_uris == [denied]
    assert classify(readings, prefix, serve_manifest=True, scan_tree=False).denied_uris == []


def test_webpack_absolute_value_outside_prefix_raises(tmp_path: Path) -> None:
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps({"main.js": "/assets/main.0123456789abcdef0123.js"}), encoding="utf-8")
    with pytest.raises(UnsafeEntryError) as caught:
        classify([load_manifest(path)], "/static/", scan_tree=False)
    message = str(caught.value)
    assert str(path) in message and '["main.js"]' in message and "/static/" in message and "--prefix" in message
    # the right prefix works; a prefix that is only a string prefix of the path does not
    assert classify([load_manifest(path)], "/assets/", scan_tree=False).hashed_uris == ["/assets/main.0123456789abcdef0123.js"]
    with pytest.raises(UnsafeEntryError):
        classify([load_manifest(path)], "/ass/", scan_tree=False)


def test_to_uri() -> None:
    assert to_uri("a/b.css", "/static/", file="f", key_path="k") == "/static/a/b.css"
    assert to_uri("/static/a.css", "/static/", file="f", key_path="k") == "/static/a.css"
    with pytest.raises(UnsafeEntryError):
        to_uri("/staticx/a.css", "/static/", file="f", key_path="k")


# --- missing on disk -------------------------------------------------------------------


def test_missing_on_disk_warning(tmp_path: Path) -> None:
    touch(tmp_path, "present.0123456789ab.js")
    result = classify(
        [reading(tmp_path, ["present.0123456789ab.js", "gone.0123456789ab.js", "also/gone.0123456789ab.css"])], "/static/"
    )
    assert len(result.warnings) == 1
    assert result.warnings[0].startswith("2 hashed file(s)")
    assert "/static/gone.0123456789ab.js" in result.warnings[0]
    assert "/static/also/gone.0123456789ab.css" in result.warnings[0]
    assert "present" not in result.warnings[0]


def test_no_warning_without_a_tree(tmp_path: Path) -> None:
    result = classify([reading(tmp_path / "not-here", ["gone.0123456789ab.js"])], "/static/")
    assert result.warnings == []
    assert classify([reading(tmp_path, ["gone.1.js"])], "/static/", scan_tree=False).warnings == []


# --- properties ------------------------------------------------------------------------

segment = st.text(st.characters(exclude_categories=("Cs", "Cc")), min_size=1, max_size=8).filter(
    lambda s: "/" not in s and s not in (".", "..")
)
rel_path = st.lists(segment, min_size=1, max_size=3).map("/".join)


@settings(max_examples=200, deadline=None)
@given(hashed=st.lists(rel_path, max_size=12), unhashed=st.lists(rel_path, max_size=6), seed=st.integers(0, 99))
def test_classification_is_sorted_unique_and_order_independent(
    tmp_path_factory: pytest.TempPathFactory, hashed: list[str], unhashed: list[str], seed: int
) -> None:
    unhashed = [p for p in unhashed if p not in hashed]
    root = tmp_path_factory.mktemp("t")
    result = classify([reading(root, hashed, unhashed)], "/static/", scan_tree=False)
    assert result.hashed_uris == sorted(set(result.hashed_uris))
    # dotfiles are never served, so never hashed
    assert set(result.hashed_uris) == {
        "/static/" + p for p in hashed
        if not is_dotfile("/static/" + p) and not always_revalidated("/static/" + p, SERVICE_WORKERS)
    }
    assert set(result.evidence) == set(result.hashed_uris)
    assert result.case_sensitive_uris <= set(result.hashed_uris)
    lowered: dict[str, int] = {}
    for uri in result.hashed_uris:
        lowered[uri.lower()] = lowered.get(uri.lower(), 0) + 1
    assert result.case_sensitive_uris == {u for u in result.hashed_uris if lowered[u.lower()] > 1}
    shuffled = hashed[:]
    random.Random(seed).shuffle(shuffled)
    again = classify([reading(root, shuffled, unhashed)], "/static/", scan_tree=False)
    assert (again.hashed_uris, again.case_sensitive_uris, again.denied_uris) == (
        result.hashed_uris,
        result.case_sensitive_uris,
        result.denied_uris,
    )


def test_case_collision_with_unhashed_manifest_entry_without_tree(tmp_path: Path) -> None:
    result = classify([reading(tmp_path / "not-here", ["A.js"], ["a.js"])], "/static/")
    assert result.case_sensitive_uris == {"/static/A.js"}


def test_special_files_revalidate_whatever_the_manifest_says(tmp_path: Path) -> None:
    """Django hashes every file, HTML pages and service workers included: they still revalidate."""
    manifest = tmp_path / "staticfiles.json"
    manifest.write_text(json.dumps({"version": "1.1", "paths": {
        "sw.js": "sw.0123456789ab.js", "app/page.html": "app/page.0123456789ab.html",
        "site.webmanifest": "site.0123456789ab.webmanifest", "app.js": "app.0123456789ab.js"}}))
    reading = load_manifest(manifest)
    result = classify([reading], "/static/", scan_tree=False, service_workers=("sw.0123456789ab.js",))
    assert result.hashed_uris == ["/static/app.0123456789ab.js"]
    for uri in ("/static/sw.0123456789ab.js", "/static/app/page.0123456789ab.html", "/static/site.0123456789ab.webmanifest"):
        assert explain(result, uri)[0] is False


def test_a_manifest_below_root_is_denied_where_it_lies(tmp_path: Path) -> None:
    """An esbuild metafile (no place of its own in the build) inside --root is not served."""
    tree = tmp_path / "dist"
    touch(tree, "app-ABCD2345.js")
    meta = tree / "meta" / "meta.json"
    meta.parent.mkdir()
    meta.write_text("{}")
    read = ManifestReading(format=ManifestFormat.ESBUILD, file=str(meta), build_root=tree,
                           hashed=[Entry("app-ABCD2345.js", '["outputs"]')], hashed_reason="test")
    assert classify([read], "/", local_root=tree).denied_uris == ["/meta/meta.json"]
    kept_served = dataclasses.replace(read, served_by_design=True)
    assert classify([kept_served], "/", local_root=tree).denied_uris == []


@pytest.mark.parametrize("root", [None, "/srv/remote/static"])
def test_django_original_equal_to_a_hashed_name_up_to_case_without_the_tree(tmp_path: Path, root: str | None) -> None:
    """App.css -> App.0a1b2c3d4e5f.css, and an original app.0a1b2c3d4e5f.css (revalidated):
    nginx compares map keys without regard to case, so the hashed one must be a
    case-sensitive key, or the original would be served immutable. The manifest alone says so."""
    from nginxcache import pipeline

    manifest = tmp_path / "elsewhere" / "staticfiles.json"
    manifest.parent.mkdir()
    manifest.write_text(json.dumps({"version": "1.1", "paths": {
        "App.css": "App.0a1b2c3d4e5f.css",
        "app.0a1b2c3d4e5f.css": "app.0a1b2c3d4e5f.99aa88bb77cc.css",
        "Other.css": "Other.1234567890ab.css",
    }}))
    planned = pipeline.plan(pipeline.Request(manifests=(manifest,), prefix="/static/", root=root))
    assert planned.classification.case_sensitive_uris == frozenset({"/static/App.0a1b2c3d4e5f.css"})
    answer_for = {uri: policy_answer(uri, planned) for uri in ("/static/App.0a1b2c3d4e5f.css", "/static/app.0a1b2c3d4e5f.css")}
    assert answer_for["/static/App.0a1b2c3d4e5f.css"] is True and answer_for["/static/app.0a1b2c3d4e5f.css"] is False
    http = pipeline.render(planned).text("http")
    assert '"~^/static/App\\\\.0a1b2c3d4e5f\\\\.css\\\\z" 1;' in http
    assert '"/static/App.0a1b2c3d4e5f.css" 1;' not in http


def policy_answer(uri: str, planned: object) -> bool:
    from nginxcache.policy import answer

    return answer(uri, planned.classification, planned.options).hashed  # type: ignore[attr-defined]
