"""nginxcache.pipeline as a library, and the decisions it makes for a user: the prefix a
format is served at, a --root inside the build directory, a prefix/root pairing that would
serve every hashed file no-cache, a --root that is not on this machine."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from conftest import SAMPLES

from nginxcache import pipeline
from nginxcache.cli import main
from nginxcache.errors import ExitCode, ManifestError, UsageError
from nginxcache.model import ManifestFormat

VITE_DIST = SAMPLES / "vite" / "dist"
VITE_MANIFEST = VITE_DIST / ".vite" / "manifest.json"
VITE_HASHED = {"/assets/index-BguJmoAq.css", "/assets/index-YpS4Hvbq.js", "/assets/lazy-CD01446e.js", "/assets/logo-CSWhh80n.svg"}


def vite_copy(tmp_path: Path) -> Path:
    dist = tmp_path / "dist"
    shutil.copytree(VITE_DIST, dist)
    return dist


def test_plan_render_changes_write_as_a_library(tmp_path: Path) -> None:
    dist = vite_copy(tmp_path)
    outputs = pipeline.Outputs(http=tmp_path / "http.conf", server=tmp_path / "server.conf")
    request = pipeline.Request(manifests=(dist / ".vite" / "manifest.json",), root=str(dist), outputs=outputs)
    planned = pipeline.plan(request)
    assert set(planned.classification.hashed_uris) == VITE_HASHED
    assert planned.options.prefix == "/"
    rendering = pipeline.render(planned)
    assert set(rendering.parts) == {"http", "server"}
    changes = pipeline.changes(rendering)
    assert [change.changed for change in changes] == [True, True]
    pipeline.write(changes)
    assert outputs.http is not None and outputs.http.read_text() == rendering.text("http")
    # Idempotent: the same request changes nothing the second time.
    assert [c.changed for c in pipeline.changes(pipeline.render(pipeline.plan(request)))] == [False, False]


@pytest.mark.parametrize(
    ("manifest", "prefix"),
    [
        (SAMPLES / "django" / "staticfiles.json", "/static/"),
        (VITE_MANIFEST, "/"),
        (SAMPLES / "webpack" / "dist" / "manifest.json", "/static/"),  # the publicPath its URLs carry
        (SAMPLES / "esbuild" / "dist" / "meta.json", "/"),
        (SAMPLES / "parcel" / "dist" / "parcel-manifest.json", "/"),
        (SAMPLES / "cra" / "build" / "asset-manifest.json", "/"),
        (SAMPLES / "encore" / "public" / "build" / "manifest.json", "/build/"),
        (SAMPLES / "mix" / "public" / "mix-manifest.json", "/"),
    ],
    ids=lambda value: value.parent.parent.name if isinstance(value, Path) else value,
)
def test_prefix_defaults_from_the_format(manifest: Path, prefix: str) -> None:
    if not manifest.exists():
        pytest.fail(f"{manifest} is missing")
    planned = pipeline.plan(pipeline.Request(manifests=(manifest,)))
    assert planned.options.prefix == prefix
    assert any(f"--prefix {prefix}" in note for note in planned.notes)
    # A given prefix is used as given, with nothing to note.
    given = pipeline.plan(pipeline.Request(manifests=(manifest,), prefix=prefix))
    assert given.options.prefix == prefix and given.notes == []


def test_laravel_vite_build_defaults_to_build(tmp_path: Path) -> None:
    build = tmp_path / "public" / "build"
    shutil.copytree(VITE_DIST, build)
    planned = pipeline.plan(pipeline.Request(manifests=(build / ".vite" / "manifest.json",)))
    assert planned.options.prefix == "/build/"
    assert "Laravel" in planned.notes[0]


def test_scanned_directory_needs_a_prefix(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="give --prefix"):
        pipeline.plan(pipeline.Request(scan=(vite_copy(tmp_path),)))


def test_root_inside_the_build_directory_rebases_the_manifest(tmp_path: Path) -> None:
    """The single-page-app recipe: only /assets/ is nginxcache's, served from dist/assets."""
    dist = vite_copy(tmp_path)
    planned = pipeline.plan(
        pipeline.Request(manifests=(dist / ".vite" / "manifest.json",), prefix="/assets/", root=str(dist / "assets"))
    )
    assert set(planned.classification.hashed_uris) == VITE_HASHED
    assert planned.options.root == f"{dist / 'assets'}/"
    assert planned.warnings == []


def test_prefix_doubled_over_the_build_directory_is_refused_with_the_fix(tmp_path: Path, capsys) -> None:
    """`--prefix /assets/ --root dist` keys /assets/assets/...: the pages' /assets/x.js would 404."""
    dist = vite_copy(tmp_path)
    http_out, server_out = tmp_path / "h.conf", tmp_path / "s.conf"
    code = main(["render", str(dist / ".vite" / "manifest.json"), "--prefix", "/assets/", "--root", str(dist),
                 "--http-out", str(http_out), "--server-out", str(server_out)])
    err = capsys.readouterr().err
    assert code == ExitCode.BAD_INPUT
    assert err == (
        f"nginxcache: error: {dist}: every hashed URI starts /assets/assets/, but the pages ask for /assets/...: "
        f"--prefix /assets/ serves {dist}, whose assets/ holds the files; use --root {dist}/assets "
        f"(or --prefix / with --root {dist})\n"
    )
    assert not http_out.exists() and not server_out.exists()


def test_root_that_does_not_hold_the_files_is_refused_with_what_was_found(tmp_path: Path, capsys) -> None:
    """Django's STATIC_ROOT is /srv/app/static, but --root names the project directory."""
    project = tmp_path / "project"
    static = project / "static"
    shutil.copytree(SAMPLES / "django", static, ignore=shutil.ignore_patterns("nginx"))
    paths = json.loads((static / "staticfiles.json").read_text())["paths"]
    for name in paths.values():
        (static / name).parent.mkdir(parents=True, exist_ok=True)
        (static / name).write_text(name)
    code = main(["render", str(static / "staticfiles.json"), "--root", str(project), "--prefix", "/static/"])
    err = capsys.readouterr().err
    assert code == ExitCode.BAD_INPUT
    assert err.count("\n") == 1
    assert re.search(r"\b(\d+) of \1 hashed files the manifests name are not where --prefix /static/", err), err
    assert f"would be {project}/" in err and f"but the tree has it as {static}/" in err
    assert err.rstrip().endswith(f"; use --root {static}"), err


def test_prefix_missing_the_public_path_is_refused_with_the_public_path(tmp_path: Path, capsys) -> None:
    """webpack's URLs are /static/x.js: --prefix / would look for dist/static/x.js."""
    tree = tmp_path / "dist"
    shutil.copytree(SAMPLES / "webpack" / "dist", tree)
    code = main(["render", str(tree / "manifest.json"), "--prefix", "/", "--root", str(tree)])
    err = capsys.readouterr().err
    assert code == ExitCode.BAD_INPUT
    assert err.rstrip().endswith("; use --prefix /static/"), err


def test_root_inside_the_build_directory_gives_the_default_prefix_its_directory(tmp_path: Path) -> None:
    dist = vite_copy(tmp_path)
    planned = pipeline.plan(pipeline.Request(manifests=(dist / ".vite" / "manifest.json",), root=str(dist / "assets")))
    assert planned.options.prefix == "/assets/"
    assert set(planned.classification.hashed_uris) == VITE_HASHED


def test_root_inside_the_build_directory_at_another_prefix_is_a_warning(tmp_path: Path) -> None:
    dist = vite_copy(tmp_path)
    planned = pipeline.plan(pipeline.Request(manifests=(dist / ".vite" / "manifest.json",), prefix="/", root=str(dist / "assets")))
    assert any("did you mean --prefix /assets/?" in warning for warning in planned.warnings), planned.warnings


def test_remote_root_says_the_tree_checks_were_skipped() -> None:
    planned = pipeline.plan(pipeline.Request(manifests=(VITE_MANIFEST,), prefix="/", root="/srv/nowhere/dist"))
    assert planned.notes == [
        "--root /srv/nowhere/dist is not a directory on this machine: the tree checks were skipped "
        "(files missing or misplaced, names equal up to case on disk, precompressed siblings)"
    ]


def test_remote_root_still_warns_of_a_doubled_segment() -> None:
    planned = pipeline.plan(pipeline.Request(manifests=(VITE_MANIFEST,), prefix="/assets/", root="/srv/nowhere/dist/assets"))
    assert any("every hashed URI starts /assets/assets/" in warning and "--prefix /" in warning for warning in planned.warnings)


def test_a_build_copied_in_part_is_a_warning_not_an_error(tmp_path: Path) -> None:
    dist = vite_copy(tmp_path)
    (dist / "assets" / "lazy-CD01446e.js").unlink()
    planned = pipeline.plan(pipeline.Request(manifests=(dist / ".vite" / "manifest.json",), root=str(dist)))
    assert any("1 hashed file(s) named by the manifest are not on disk here" in w for w in planned.warnings)


def test_mostly_missing_tree_is_refused(tmp_path: Path) -> None:
    dist = vite_copy(tmp_path)
    for name in ("index-BguJmoAq.css", "index-YpS4Hvbq.js", "lazy-CD01446e.js"):
        (dist / "assets" / name).unlink()
    with pytest.raises(ManifestError, match="3 of 4 hashed files"):
        pipeline.plan(pipeline.Request(manifests=(dist / ".vite" / "manifest.json",), root=str(dist)))


def test_manifests_with_different_default_prefixes_need_one(tmp_path: Path) -> None:
    encore = SAMPLES / "encore" / "public" / "build" / "manifest.json"
    with pytest.raises(UsageError, match="different default prefixes"):
        pipeline.plan(pipeline.Request(manifests=(VITE_MANIFEST, encore)))


def test_request_is_frozen_and_typed() -> None:
    request = pipeline.Request(manifests=(VITE_MANIFEST,), manifest_format=ManifestFormat.VITE)
    with pytest.raises(AttributeError):
        request.prefix = "/x/"  # type: ignore[misc]
    assert json.dumps(str(request.manifest_format)) == '"vite"'


def test_a_relative_root_on_this_machine_is_served_by_its_absolute_path(tmp_path: Path, monkeypatch) -> None:
    dist = vite_copy(tmp_path)
    monkeypatch.chdir(tmp_path)
    planned = pipeline.plan(pipeline.Request(manifests=(Path("dist/.vite/manifest.json"),), root="dist"))
    assert planned.options.root == f"{dist}/"
    assert set(planned.classification.hashed_uris) == VITE_HASHED


def test_the_current_manifest_given_as_kept_too_is_still_current(tmp_path: Path) -> None:
    """Its missing hashed files are still reported (it was taken for an earlier build's, by value)."""
    tree = tmp_path / "dist"
    shutil.copytree(SAMPLES / "vite" / "dist", tree)
    (tree / "assets" / "lazy-CD01446e.js").unlink()
    manifest = tree / ".vite" / "manifest.json"
    planned = pipeline.plan(pipeline.Request(manifests=(manifest,), keep_manifests=(manifest,), root=str(tree)))
    assert any("not on disk" in warning and "/assets/lazy-CD01446e.js" in warning for warning in planned.warnings), planned.warnings
