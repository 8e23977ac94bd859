"""`nginxcache retain`: the hashed files of builds older than the last N, from real
manifests (the Vite, webpack and Django samples, with a few hashes changed per build).
A file a kept manifest names is never removed; a manifest that cannot be read stops
everything before anything is removed."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from conftest import SAMPLES

from nginxcache.cli import main
from nginxcache.retention import Order, manifests_in, natural_key

VITE_MANIFEST = (SAMPLES / "vite" / "dist" / ".vite" / "manifest.json").read_text()
WEBPACK_MANIFEST = (SAMPLES / "webpack" / "dist" / "manifest.json").read_text()
DJANGO_MANIFEST = (SAMPLES / "django" / "staticfiles.json").read_text()

# Build A is the Vite sample; B and C change some hashes, as rebuilding with changes does.
VITE_BUILDS = {
    "build-9": {},
    "build-10": {"index-YpS4Hvbq.js": "index-B0000001.js", "lazy-CD01446e.js": "lazy-B0000002.js"},
    "build-11": {"index-YpS4Hvbq.js": "index-C0000001.js", "lazy-CD01446e.js": "lazy-B0000002.js",
                 "index-BguJmoAq.css": "index-C0000003.css"},
}


def retain(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    code = main(["retain", *map(str, args)])
    captured = capsys.readouterr()
    return int(code), captured.out, captured.err


def snapshot(*trees: Path) -> dict[str, bytes]:
    return {str(p): p.read_bytes() for tree in trees for p in sorted(tree.rglob("*")) if p.is_file()}


def deploy_vite(tmp_path: Path) -> tuple[Path, Path]:
    """Three Vite builds deployed in turn into one served tree (assets kept, pages
    replaced), each manifest copied to the manifests directory under its build's name."""
    root, manifests = tmp_path / "srv" / "dist", tmp_path / "srv" / "manifests"
    manifests.mkdir(parents=True)
    for build, renames in VITE_BUILDS.items():
        text = VITE_MANIFEST
        for old, new in renames.items():
            text = text.replace(old, new)
        for entry in json.loads(text).values():
            for name in (entry["file"], *entry.get("css", ()), *entry.get("assets", ())):
                (root / name).parent.mkdir(parents=True, exist_ok=True)
                (root / name).write_text(f"{name} of {build}\n")
        (root / "index.html").write_text(f"<p>{build}</p>\n")
        (manifests / f"{build}.json").write_text(text)
    (root / "assets" / "index-YpS4Hvbq.js.gz").write_bytes(b"gzip of build A")
    (root / "assets" / "index-BguJmoAq.css.gz").write_bytes(b"gzip of a file B still names")
    (root / "robots.txt").write_text("User-agent: *\n")
    return root, manifests


def test_keep_two_lists_then_deletes_exactly_the_oldest_builds_own_files(tmp_path: Path, capsys) -> None:
    root, manifests = deploy_vite(tmp_path)
    before = snapshot(root, manifests)
    gone = [root / "assets" / "index-YpS4Hvbq.js", root / "assets" / "index-YpS4Hvbq.js.gz",
            root / "assets" / "lazy-CD01446e.js"]

    size = sum(path.stat().st_size for path in gone)
    code, out, err = retain(capsys, "--keep", "2", manifests, "--root", root)
    assert (code, err) == (0, "")
    assert out.splitlines() == [*map(str, gone), str(manifests / "build-9.json"),
        f"nginxcache retain: keeping the last 2 builds (build-11.json, build-10.json); 3 files ({size} bytes) of the older "
        "1 build (build-9.json) would be removed, and its manifest; 2 files shared with a kept build stay; "
        "run with --delete to remove them"]
    assert snapshot(root, manifests) == before  # a dry run removes nothing

    code, out, err = retain(capsys, "--keep", "2", manifests, "--root", root, "--delete")
    assert (code, err) == (0, "")
    assert out.splitlines()[-1] == ("nginxcache retain: kept the last 2 builds (build-11.json, build-10.json); removed "
                                    f"3 files ({size} bytes) of the older 1 build (build-9.json), and 1 manifest; "
                                    "2 files shared with a kept build stay")
    after = snapshot(root, manifests)
    assert set(before) - set(after) == {*map(str, gone), str(manifests / "build-9.json")}
    assert all(after[path] == before[path] for path in after)
    # Shared with build B (build-10): the stylesheet and its .gz, and the logo all three name.
    for kept in ("assets/index-BguJmoAq.css", "assets/index-BguJmoAq.css.gz", "assets/logo-CSWhh80n.svg", "index.html",
                 "robots.txt"):
        assert (root / kept).exists(), kept

    code, out, _ = retain(capsys, "--keep", "2", manifests, "--root", root, "--delete")
    assert (code, out) == (0, "nginxcache retain: keeping the last 2 builds (build-11.json, build-10.json); no older build\n")


def test_keep_one_spares_what_the_newest_build_shares(tmp_path: Path, capsys) -> None:
    root, manifests = deploy_vite(tmp_path)
    code, out, _ = retain(capsys, "--keep", "1", manifests, "--root", root, "--format", "json")
    assert code == 0
    plan = json.loads(out)
    assert [Path(p).name for p in plan["kept"]] == ["build-11.json"]
    assert [Path(p).name for p in plan["old"]] == ["build-10.json", "build-9.json"]
    assert sorted(Path(f["path"]).relative_to(root).as_posix() for f in plan["files"]) == [
        "assets/index-B0000001.js", "assets/index-BguJmoAq.css", "assets/index-BguJmoAq.css.gz",
        "assets/index-YpS4Hvbq.js", "assets/index-YpS4Hvbq.js.gz", "assets/lazy-CD01446e.js"]
    assert plan["deleted"] is False and plan["shared"] == 2  # lazy-B0000002.js, logo-CSWhh80n.svg
    css = next(f for f in plan["files"] if f["path"].endswith("index-BguJmoAq.css"))
    assert [Path(m).name for m in css["builds"]] == ["build-10.json", "build-9.json"]


def test_django_builds_keep_the_shared_admin_files_and_every_original(tmp_path: Path, capsys) -> None:
    """The real collectstatic manifest: 146 hashed copies, most of them the same in the next build."""
    root, manifests = tmp_path / "static", tmp_path / "manifests"
    manifests.mkdir()
    paths = json.loads(DJANGO_MANIFEST)["paths"]
    changed = dict(list(paths.items())[:3])
    newer = DJANGO_MANIFEST
    for original, hashed in changed.items():
        newer = newer.replace(json.dumps(hashed), json.dumps(hashed.replace(".", ".new.", 1)))
    assert newer.count(".new.") == 3
    for text, name in ((DJANGO_MANIFEST, "20250107T0900Z.json"), (newer, "20250108T1400Z.json")):
        (manifests / name).write_text(text)
        for original, hashed in json.loads(text)["paths"].items():
            for path in (original, hashed):
                (root / path).parent.mkdir(parents=True, exist_ok=True)
                (root / path).write_text(path)
    code, out, _ = retain(capsys, "--keep", "1", manifests, "--root", root, "--delete")
    assert code == 0
    assert out.splitlines()[:3] == [str(root / hashed) for hashed in sorted(changed.values())]
    assert all(not (root / hashed).exists() for hashed in changed.values())
    assert all((root / original).exists() for original in paths)  # unhashed originals: rewritten in place, never removed
    # 143 unchanged hashed files, one of them a dotfile (nginx never serves it: no build's to remove)
    assert "; 142 files shared with a kept build stay" in out
    assert (root / "site/.d86f92930bb7#hash-start.txt").exists()
    assert [p.name for p in manifests.iterdir()] == ["20250108T1400Z.json"]


def test_webpack_absolute_urls_and_pages_an_old_build_called_hashed(tmp_path: Path, capsys) -> None:
    root, manifests = tmp_path / "dist", tmp_path / "manifests"
    manifests.mkdir()
    old = json.loads(WEBPACK_MANIFEST)
    old["page.html"] = "/static/page.aaaa1111bbbb2222cccc.html"  # a page: always revalidated, never removed
    old["sw.js"] = "/static/sw.js"
    new = {**old, "main.js": "/static/main.0000000000000000aaaa.js"}
    for build, manifest in (("build-1", old), ("build-2", new)):
        (manifests / f"{build}.json").write_text(json.dumps(manifest))
        for uri in manifest.values():
            (root / uri.removeprefix("/static/")).parent.mkdir(parents=True, exist_ok=True)
            (root / uri.removeprefix("/static/")).write_text(uri)
    new.pop("page.html")
    (manifests / "build-2.json").write_text(json.dumps(new))
    code, out, _ = retain(capsys, "--keep", "1", manifests, "--root", root)
    assert code == 0
    assert out.splitlines()[:2] == [str(root / "main.fb9ad963a530ab85ffe0.js"), str(manifests / "build-1.json")]


@pytest.mark.parametrize("garbled", ["build-9.json", "build-11.json"])  # an old build's, the newest
def test_garbled_manifest_removes_nothing(tmp_path: Path, capsys, garbled: str) -> None:
    root, manifests = deploy_vite(tmp_path)
    (manifests / garbled).write_text('{"index.html": {"file": "assets/x.js"')
    before = snapshot(root, manifests)
    code, out, err = retain(capsys, "--keep", "1", manifests, "--root", root, "--delete")
    assert (code, out) == (3, "")
    assert err.startswith(f"nginxcache: error: {manifests / garbled}:1: invalid JSON") and err.count("\n") == 1
    assert snapshot(root, manifests) == before


def test_entry_escaping_the_root_is_refused(tmp_path: Path, capsys) -> None:
    root, manifests = deploy_vite(tmp_path)
    (manifests / "build-9.json").write_text(json.dumps({"x.js": {"file": "../../etc/passwd"}}))
    before = snapshot(root, manifests)
    code, _, err = retain(capsys, "--keep", "2", manifests, "--root", root, "--delete")
    assert code == 3
    assert err == (f"nginxcache: error: {manifests / 'build-9.json'} at [\"x.js\"][\"file\"]: entry '../../etc/passwd' "
                   "has a '..' segment; refused\n")
    assert snapshot(root, manifests) == before


def test_symlinks_never_lead_out_of_the_root_nor_around_a_kept_file(tmp_path: Path, capsys) -> None:
    root, manifests = deploy_vite(tmp_path)
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "x-Aaaa1111.js").write_text("not the site's\n")
    (root / "linked").symlink_to(outside)
    (root / "alias").symlink_to(root / "assets")  # inside the root: another name for assets/
    manifest = json.loads((manifests / "build-9.json").read_text())
    manifest["x.js"] = {"file": "linked/x-Aaaa1111.js"}
    manifest["y.js"] = {"file": "alias/logo-CSWhh80n.svg"}  # the kept builds' logo, by another path
    (manifests / "build-9.json").write_text(json.dumps(manifest))
    code, out, err = retain(capsys, "--keep", "2", manifests, "--root", root, "--delete")
    assert code == 0
    assert err == ("nginxcache: warning: linked/x-Aaaa1111.js: its directory is a symlink that leads out of --root: "
                   "not followed\n")
    assert (outside / "x-Aaaa1111.js").exists()
    assert (root / "assets" / "logo-CSWhh80n.svg").exists()
    assert "2 files shared with a kept build stay" in out  # the css, and the logo by either of its names


def test_newest_build_not_under_root_stops_everything(tmp_path: Path, capsys) -> None:
    root, manifests = deploy_vite(tmp_path)
    before = snapshot(root, manifests)
    code, out, err = retain(capsys, "--keep", "1", manifests, "--root", root / "assets", "--delete")
    assert (code, out) == (3, "")
    assert err == (f"nginxcache: error: {manifests / 'build-11.json'}: is the newest build, but only 0 of its 4 hashed "
                   f"files are under --root {root / 'assets'} at --prefix /: check --root and --prefix, and that the "
                   "order of the builds (--order) puts the one being served last; nothing removed\n")
    assert snapshot(root, manifests) == before


def test_order_by_name_is_natural_and_by_mtime_on_request(tmp_path: Path) -> None:
    for name, mtime in (("build-10.json", 300), ("build-9.json", 200), ("build-11.json", 100), ("notes.txt", 0)):
        (tmp_path / name).write_text("{}")
        os.utime(tmp_path / name, (mtime, mtime))
    (tmp_path / "latest.json").symlink_to(tmp_path / "build-11.json")  # not a build of its own
    assert [p.name for p in manifests_in(tmp_path)] == ["build-9.json", "build-10.json", "build-11.json"]
    assert [p.name for p in manifests_in(tmp_path, Order.MTIME)] == ["build-11.json", "build-9.json", "build-10.json"]
    assert sorted(["20250107T1200Z", "20241231T2359Z", "20250107T0900Z"], key=natural_key) == [
        "20241231T2359Z", "20250107T0900Z", "20250107T1200Z"]


def test_order_mtime_from_the_command_line(tmp_path: Path, capsys) -> None:
    root, manifests = deploy_vite(tmp_path)
    stale = (manifests / "build-9.json").read_text()
    for age, build in enumerate(("build-9", "build-10", "build-11")):  # names that do not order: by time only
        os.utime(manifests / f"{build}.json", (1000 + age, 1000 + age))
    code, out, _ = retain(capsys, "--keep", "1", manifests, "--root", root, "--order", "mtime", "--delete")
    assert code == 0 and [p.name for p in manifests.iterdir()] == ["build-11.json"]
    # An old manifest restored from a backup, so the newest by time, though its build is gone:
    # taken for the served build it would doom the one really served. Nothing is planned.
    (manifests / "build-9.json").write_text(stale)
    before = snapshot(root, manifests)
    code, _, err = retain(capsys, "--keep", "1", manifests, "--root", root, "--order", "mtime", "--delete")
    assert code == 3 and "build-9.json: is the newest build, but only 1 of its 4 hashed files" in err
    assert snapshot(root, manifests) == before


@pytest.mark.parametrize(("argv", "code", "message"), [
    (["--keep", "0", "{manifests}", "--root", "{root}"], 2, "Invalid value for '--keep'"),
    (["--keep", "2", "{manifests}"], 2, "Missing option '--root'"),
    (["--keep", "2", "{root}/index.html", "--root", "{root}"], 3, "{root}/index.html: is not a directory"),
    (["--keep", "2", "{root}/nope", "--root", "{root}"], 3, "{root}/nope: no such directory"),
    (["--keep", "2", "{root}/assets", "--root", "{root}"], 3, "{root}/assets: holds no manifest (*.json)"),
    (["--keep", "2", "{manifests}", "--root", "{root}/nope"], 3, "{root}/nope: is not a directory on this machine"),
])
def test_bad_command_lines_and_directories_in_one_line(tmp_path: Path, capsys, argv: list[str], code: int,
                                                       message: str) -> None:
    root, manifests = deploy_vite(tmp_path)
    before = snapshot(root, manifests)
    got, out, err = retain(capsys, *(arg.format(root=root, manifests=manifests) for arg in argv), "--delete")
    assert (got, out) == (code, "")
    assert err.count("\n") == 1 and message.format(root=root) in err
    assert snapshot(root, manifests) == before
