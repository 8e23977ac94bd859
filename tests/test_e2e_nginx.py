"""End to end: render from real build output, serve it with real nginx, request every file.

Every file of the tree is checked for status, body, exactly one Cache-Control, immutable
for hashed files, revalidation with a 304 for all others, and the manifest not served.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import SAMPLES
from django_build import build_django_static
from nginx_harness import HASHED_CC, check_every_file, check_missing_hashed, url_for
from nginxcache.cli import main

pytestmark = pytest.mark.nginx


def render(tmp_path: Path, manifest: Path, *args: str) -> tuple[str, str]:
    http_out, server_out = tmp_path / "http.conf", tmp_path / "server.conf"
    code = main(["render", str(manifest), "--http-out", str(http_out), "--server-out", str(server_out), "--nginx-test", *args])
    assert code == 0
    return http_out.read_text(encoding="utf-8"), server_out.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def django_static(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_django_static(tmp_path_factory.mktemp("django"))


def django_hashed(static_root: Path) -> set[str]:
    paths = json.loads((static_root / "staticfiles.json").read_text(encoding="utf-8"))["paths"]
    return {"/static/" + value for value in paths.values()}


def test_django_collectstatic_every_file(django_static: Path, tmp_path: Path, serve) -> None:
    tree = tmp_path / "static"
    shutil.copytree(django_static, tree)
    http_part, server_part = render(tmp_path, tree / "staticfiles.json", "--root", str(tree))
    server = serve(http_part=http_part, server_part=server_part)
    hashed = django_hashed(tree)
    checked = check_every_file(server, tree, "/static/", hashed, {"/static/staticfiles.json"})
    assert checked == sum(1 for p in tree.rglob("*") if p.is_file())
    assert checked > 100  # django.contrib.admin plus our own files
    # The look-alike keeps revalidating; its real hashed copy is immutable.
    assert server.request("/static/site/vendor.0123456789ab.js").one("Cache-Control") == "no-cache"
    assert server.request("/static/site/vendor.0123456789ab.34dd355d2ba0.js").one("Cache-Control") == HASHED_CC
    # Names equal up to case: each gets its own verdict although nginx map keys ignore case.
    assert server.request("/static/site/Case.txt").one("Cache-Control") == "no-cache"
    assert server.request(url_for("/static/site/Case.4f7842015264.txt")).one("Cache-Control") == HASHED_CC
    check_missing_hashed(server, "/static/admin/css/base.00000000dead.css")


def test_deleted_hashed_file_is_a_plain_404(django_static: Path, tmp_path: Path, serve) -> None:
    tree = tmp_path / "static"
    shutil.copytree(django_static, tree)
    http_part, server_part = render(tmp_path, tree / "staticfiles.json", "--root", str(tree))
    hashed_name = json.loads((tree / "staticfiles.json").read_text())["paths"]["admin/css/base.css"]
    (tree / hashed_name).unlink()
    server = serve(http_part=http_part, server_part=server_part)
    response = server.request("/static/" + hashed_name)
    assert response.status == 404
    assert response.all("Cache-Control") == ["no-store, private"]  # a CDN must not keep it (Fastly: private)
    assert b"FALLBACK" not in response.body


def test_django_exact_strategy(django_static: Path, tmp_path: Path, serve) -> None:
    tree = tmp_path / "static"
    shutil.copytree(django_static, tree)
    server_out = tmp_path / "server.conf"
    code = main(["render", str(tree / "staticfiles.json"), "--root", str(tree), "--strategy", "exact",
                 "--server-out", str(server_out), "--nginx-test"])
    assert code == 0
    server = serve(http_part=None, server_part=server_out.read_text(encoding="utf-8"))
    check_every_file(server, tree, "/static/", django_hashed(tree), {"/static/staticfiles.json"})
    check_missing_hashed(server, "/static/admin/css/base.00000000dead.css")


def test_django_site_file(django_static: Path, tmp_path: Path, serve) -> None:
    tree = tmp_path / "static"
    shutil.copytree(django_static, tree)
    site_out = tmp_path / "site.conf"
    code = main(["render", str(tree / "staticfiles.json"), "--root", str(tree), "--site-out", str(site_out),
                 "--server-name", "127.0.0.1", "--nginx-test"])
    assert code == 0
    server = serve(http_part=None, site=site_out.read_text(encoding="utf-8"))
    check_every_file(server, tree, "/static/", django_hashed(tree), {"/static/staticfiles.json"})


def vite_hashed(manifest: dict, prefix: str) -> set[str]:
    outputs = set()
    for chunk in manifest.values():
        outputs.add(chunk["file"])
        outputs.update(chunk.get("css", []), chunk.get("assets", []))
    return {prefix + output for output in outputs}


def test_vite_build_served_at_root(tmp_path: Path, serve) -> None:
    tree = tmp_path / "dist"
    shutil.copytree(SAMPLES / "vite" / "dist", tree)
    manifest = tree / ".vite" / "manifest.json"
    http_part, server_part = render(tmp_path, manifest, "--prefix", "/", "--root", str(tree))
    server = serve(http_part=http_part, server_part=server_part)
    hashed = vite_hashed(json.loads(manifest.read_text()), "/")
    assert len(hashed) == 4
    check_every_file(server, tree, "/", hashed, {"/.vite/manifest.json"})
    index = server.request("/")
    assert index.status == 200 and index.one("Cache-Control") == "no-cache"
    check_missing_hashed(server, sorted(hashed)[0])


def test_vite_shaped_tree_with_awkward_names(tmp_path: Path, serve) -> None:
    tree = tmp_path / "dist"
    names = ["assets/a b-Bd_J-AQq.js", 'assets/q"uo\'te-x1_Y-zZ9.css', "assets/ü{}#;$-AbCd_-12.svg", "assets/Big-AbCdEf12.js"]
    manifest = {
        f"src/{i}.js": {"file": name, "src": f"src/{i}.js", "isEntry": True} for i, name in enumerate(names)
    }
    for name in [*names, "index.html", "robots.txt", "assets/big-abcdef12.js", "assets/vendor-0123abcd.js"]:
        (tree / name).parent.mkdir(parents=True, exist_ok=True)
        (tree / name).write_text(f"body of {name}\n", encoding="utf-8")
    (tree / ".vite").mkdir()
    (tree / ".vite" / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    http_part, server_part = render(tmp_path, tree / ".vite" / "manifest.json", "--prefix", "/app/", "--root", str(tree))
    server = serve(http_part=http_part, server_part=server_part)
    check_every_file(server, tree, "/app/", {"/app/" + n for n in names}, {"/app/.vite/manifest.json"})


def test_webpack_build(tmp_path: Path, serve) -> None:
    tree = tmp_path / "dist"
    shutil.copytree(SAMPLES / "webpack" / "dist", tree)
    manifest = json.loads((tree / "manifest.json").read_text())
    http_part, server_part = render(tmp_path, tree / "manifest.json", "--root", str(tree))
    server = serve(http_part=http_part, server_part=server_part)
    hashed = {value for key, value in manifest.items() if Path(value).name != key}
    assert "/static/main.fb9ad963a530ab85ffe0.js" in hashed
    check_every_file(server, tree, "/static/", hashed, {"/static/manifest.json"})
    check_missing_hashed(server, "/static/main.fb9ad963a530ab85ffe0.js")


@pytest.mark.parametrize("count", [1_000, 100_000])
def test_large_map_loads_without_warning(tmp_path: Path, count: int) -> None:
    """nginx -t (run by --nginx-test) must give neither an error nor a warning."""
    paths = {
        f"app/{i % 97}/module-{i:07d}/component.js": f"app/{i % 97}/module-{i:07d}/component.{i * 2654435761 % 16**12:012x}.js"
        for i in range(count)
    }
    manifest = tmp_path / "staticfiles.json"
    manifest.write_text(json.dumps({"paths": paths, "version": "1.1"}), encoding="utf-8")
    http_part, _ = render(tmp_path, manifest, "--root", "/srv/static")
    assert http_part.count(" 1;\n") == count


def npm_available() -> bool:
    if not shutil.which("npm") or not shutil.which("node"):
        return False
    version = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip().lstrip("v")
    return tuple(int(p) for p in version.split(".")[:2]) >= (20, 19)


@pytest.mark.slow
@pytest.mark.skipif(not npm_available(), reason="needs node >= 20.19 and npm for a real Vite/webpack build")
@pytest.mark.parametrize("tool", ["vite", "webpack"])
def test_real_npm_build(tool: str, tmp_path: Path, serve) -> None:
    project = tmp_path / tool
    shutil.copytree(Path(__file__).parent / "fixtures" / "npm" / tool, project,
                    ignore=shutil.ignore_patterns("node_modules", "dist"))
    subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=project, check=True, capture_output=True)
    build = ["npx", "vite", "build"] if tool == "vite" else ["npx", "webpack", "--mode", "production", "--json=stats.json"]
    subprocess.run(build, cwd=project, check=True, capture_output=True)
    tree = project / "dist"
    if tool == "vite":
        manifest_path = tree / ".vite" / "manifest.json"
        prefix, denied = "/", {"/.vite/manifest.json"}
        hashed = vite_hashed(json.loads(manifest_path.read_text()), prefix)
    else:
        manifest_path = tree / "manifest.json"
        prefix, denied = "/static/", {"/static/manifest.json"}
        # webpack's own, untrimmed stats: the truth on what is immutable (not the copied look-alike)
        stats = json.loads((project / "stats.json").read_text())
        assert "entrypoints" in stats
        hashed = {prefix + a["name"] for a in stats["assets"] if a.get("info", {}).get("immutable")}
        assert "/static/legacy.0123456789abcdef0123.js" not in hashed
    extra = [str(project / "stats.json")] if tool == "webpack" else []
    code = main(["render", str(manifest_path), *extra, "--prefix", prefix, "--root", str(tree),
                 "--http-out", str(tmp_path / "http.conf"), "--server-out", str(tmp_path / "server.conf"), "--nginx-test"])
    assert code == 0
    http_part, server_part = (tmp_path / "http.conf").read_text(), (tmp_path / "server.conf").read_text()
    server = serve(http_part=http_part, server_part=server_part)
    assert check_every_file(server, tree, prefix, hashed, denied) >= 5


def test_directory_url_below_a_prefix_serves_its_index(tmp_path: Path, serve) -> None:
    """A Vite build with base '/app/': GET /app/ is its index.html, revalidated."""
    tree = tmp_path / "dist"
    shutil.copytree(SAMPLES / "vite" / "dist", tree)
    http_part, server_part = render(tmp_path, tree / ".vite" / "manifest.json", "--prefix", "/app/", "--root", str(tree))
    server = serve(http_part=http_part, server_part=server_part)
    response = server.request("/app/")
    assert response.status == 200
    assert response.body == (tree / "index.html").read_bytes()
    assert response.all("Cache-Control") == ["no-cache"]
    assert server.request("/app/assets/").status == 403  # a directory without index: never a listing


def test_django_manifest_in_a_subdirectory_is_not_served(django_static: Path, tmp_path: Path, serve) -> None:
    """manifest_name='build/assets-manifest.json': --root tells where the tree is."""
    tree = tmp_path / "static"
    shutil.copytree(django_static, tree)
    (tree / "build").mkdir()
    (tree / "staticfiles.json").rename(tree / "build" / "assets-manifest.json")
    http_part, server_part = render(tmp_path, tree / "build" / "assets-manifest.json", "--root", str(tree))
    server = serve(http_part=http_part, server_part=server_part)
    assert server.request("/static/build/assets-manifest.json").status == 404
    paths = json.loads((tree / "build" / "assets-manifest.json").read_text())["paths"]
    check_every_file(server, tree, "/static/", {"/static/" + v for v in paths.values()},
                     {"/static/build/assets-manifest.json"})


def test_webpack_names_without_contenthash_and_source_maps_revalidate(tmp_path: Path, serve) -> None:
    """[name].bundle.js, a dated name and source maps are listed by the manifest but not hashed."""
    tree = tmp_path / "dist"
    files = {
        "main.js": "main.62fdc95fff1a65cd54cd.js",
        "main.js.map": "main.62fdc95fff1a65cd54cd.js.map",
        "admin.js": "admin.bundle.js",
        "lazy.js": "lazy.chunk.js",
        "app.js": "app.20240101.js",
    }
    tree.mkdir()
    for output in files.values():
        (tree / output).write_text(f"// {output}\n")
    (tree / "manifest.json").write_text(json.dumps({k: "/static/" + v for k, v in files.items()}))
    http_part, server_part = render(tmp_path, tree / "manifest.json", "--root", str(tree))
    server = serve(http_part=http_part, server_part=server_part)
    check_every_file(server, tree, "/static/", {"/static/main.62fdc95fff1a65cd54cd.js"}, {"/static/manifest.json"})
