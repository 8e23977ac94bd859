"""`nginxcache render BUILD_DIR` on real builds of each framework and generator, served by
real nginx, checked file by file against an oracle of this test's own.

The builds in sample_configs/builds/ were made by the real tools (each sample's README says
how; its rebuild.sh makes it again, see test_frameworks_rebuild.py). Each is rendered as a
new user would: the build directory and at most the prefix the docs give. Then:
- every file: 200, its own bytes, and `immutable` only on evidence this test finds itself
  (the framework's documented immutable directory, a manifest naming the file, or a
  digest of the content in the name, computed here);
- every page by its clean URL; the 404 page with status 404; the SPA fallback;
- a missing script or stylesheet: a 404 that is not a page.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import io
import posixpath
import re
import subprocess
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from nginxcache.cli import main
from tests.nginx_harness import HASHED_CC, Nginx, start_nginx, url_for

BUILDS = Path(__file__).resolve().parent.parent / "sample_configs" / "builds"


@dataclass(frozen=True)
class Build:
    sample: str  # directory below sample_configs/builds
    build_dir: str  # what the user points at, below the sample
    prefix: str = "/"  # the URL path the docs give; only given to render when not "/"
    immutable_dirs: tuple[str, ...] = ()  # the framework's own immutable directories (docs/frameworks)
    mutable_dirs: tuple[str, ...] = ()  # carved out of them, except the longer immutable ones
    manifests: tuple[str, ...] = ()  # below the sample: files a manifest names are hashed on its evidence
    spa: str | None = None  # the fallback page navigation URLs get
    site: bool = True  # a whole site: clean URLs and the 404 page
    served: str = ""  # below build_dir: the directory nginx serves (a back-end app's asset dir)
    lookalikes: tuple[str, ...] = field(default=())  # must revalidate
    denied: tuple[str, ...] = ()  # below the served directory: build manifests, 404 by design
    hashed_names: bool = True  # some file is immutable by its name alone (not Sphinx, not Jekyll)
    base: Path | None = None  # where `sample` lies: sample_configs/builds (BUILDS) unless given

    @property
    def home(self) -> Path:
        return (self.base or BUILDS) / self.sample


FRAMEWORKS = [
    Build("nextjs", "out", immutable_dirs=("_next/static/",), lookalikes=("legacy.0123abcd.js",)),
    Build(
        "sveltekit",
        "build",
        immutable_dirs=("_app/immutable/",),
        manifests=(".svelte-kit/output/client/.vite/manifest.json",),
        lookalikes=("legacy.0123abcd.js",),
    ),
    Build("astro", "dist", immutable_dirs=("_astro/",), lookalikes=("legacy.0123abcd.js",)),
    Build(
        "nuxt",
        ".output/public",
        immutable_dirs=("_nuxt/", "_nuxt/builds/meta/"),
        mutable_dirs=("_nuxt/builds/",),
        lookalikes=("legacy.0123abcd.js",),
    ),
    # ngsw.json lists every file, hashed or not: the oracle takes only the esbuild metafile.
    Build("angular", "dist/angular/browser", manifests=("dist/angular/stats.json",), spa="index.html",
          lookalikes=("legacy.0123abcd.js",)),
    Build("react-router-spa", "build/client", immutable_dirs=("assets/",), spa="index.html", lookalikes=("legacy.0123abcd.js",)),
    Build("react-router-prerender", "build/client", immutable_dirs=("assets/",), spa="__spa-fallback.html",
          lookalikes=("legacy.0123abcd.js",)),
    Build("vite7", "dist", manifests=("dist/.vite/manifest.json",), site=False),
    Build("vite8", "dist", manifests=("dist/.vite/manifest.json",), site=False),
    Build("laravel", "public", prefix="/build/", served="build", manifests=("public/build/manifest.json",), site=False,
          denied=("manifest.json",)),
    Build("eleventy", "_site"),
    Build("sphinx", "_build/html", hashed_names=False),
    Build("mkdocs-material", "site"),
    Build("hugo", "public", lookalikes=("legacy.0123abcd.js",)),
    Build("jekyll", "_site", hashed_names=False),
    Build("django-compressor", "staticfiles", prefix="/static/", site=False),
    Build("flask-assets", "static", prefix="/static/", site=False),
]
SAMPLES = BUILDS.parent
# The bundlers' samples that came before: their build directories work as their manifests do.
BUNDLERS = [
    Build("cra", "build", manifests=("build/asset-manifest.json",), site=False, denied=("asset-manifest.json",), base=SAMPLES),
    Build("encore", "public", prefix="/build/", served="build", manifests=("public/build/manifest.json",), site=False,
          denied=("manifest.json", "entrypoints.json"), base=SAMPLES),
    Build("esbuild", "dist", manifests=("dist/meta.json",), site=False, denied=("meta.json",), base=SAMPLES),
    Build("mix", "public", manifests=("public/mix-manifest.json",), site=False, denied=("mix-manifest.json",),
          hashed_names=False, base=SAMPLES),
    Build("parcel", "dist", manifests=("dist/parcel-manifest.json",), site=False, denied=("parcel-manifest.json",), base=SAMPLES),
    Build("propshaft", "public", prefix="/assets/", served="assets", site=False, base=SAMPLES,
          manifests=("public/assets/.manifest.json",)),
    Build("vite", "dist", manifests=("dist/.vite/manifest.json",), site=False, base=SAMPLES),
    Build("webpack", "dist", prefix="/static/", manifests=("dist/manifest.json", "stats.json"), site=False,
          denied=("manifest.json",), base=SAMPLES),
]
ALL_BUILDS = {build.sample: build for build in (*FRAMEWORKS, *BUNDLERS)}


def _present(build: Build) -> bool:
    return (build.home / build.build_dir).is_dir()


def nginxcache(*args: str) -> subprocess.CompletedProcess[str]:
    """The command line, in this process (a new interpreter per call costs more than the
    command): its exit code and what it printed."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return subprocess.CompletedProcess(["nginxcache", *args], code, out.getvalue(), err.getvalue())


def render(build_dir: Path, out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    out.mkdir(parents=True, exist_ok=True)
    return nginxcache(
        "render", str(build_dir), "--http-out", str(out / "http.conf"), "--server-out", str(out / "server.conf"), *extra
    )


# ---------------------------------------------------------------------------- the oracle

_TOKEN = re.compile(r"[A-Za-z0-9_-]{8,}")


def _digests(data: bytes) -> list[str]:
    """Every digest a tool may put in a name, as text: hex, base64url and base64 of the usual
    hashes, and Sphinx's crc32."""
    texts = [f"{zlib.crc32(data) & 0xFFFFFFFF:08x}"]
    for algorithm in ("md5", "sha1", "sha256", "sha384", "sha512"):
        raw = hashlib.new(algorithm, data).digest()
        texts += [raw.hex(), base64.urlsafe_b64encode(raw).decode().rstrip("="), base64.b64encode(raw).decode()]
    return texts


_MAP_LINE = re.compile(rb"sourceMappingURL=([^\s/]+\.map)\n(?=\n?\Z)")


def digest_in_name(name: str, data: bytes, directory: Path | None = None) -> bool:
    """The name carries (a prefix of at least 8 characters of) a digest of `data`, or of
    `data` with its source map inlined (MkDocs Material hashes its JS before linking the map)."""
    digests = _digests(data)
    found = _MAP_LINE.search(data)
    if found and directory is not None and (directory / found.group(1).decode()).is_file():
        inline = b"sourceMappingURL=data:application/json;base64," + base64.b64encode((directory / found.group(1).decode()).read_bytes())
        digests += _digests(data[: found.start()] + inline + data[found.end() :])  # the map's own newline goes
    for token in _TOKEN.findall(name):
        for start in range(len(token) - 7):  # the token may be glued to a name by '-' or '_'
            piece = token[start:]
            if any(digest.startswith(piece) or digest.lower().startswith(piece) for digest in digests):
                return True
    return False


def manifest_names(sample: Path, manifests: tuple[str, ...]) -> set[str]:
    names: set[str] = set()
    for relpath in manifests:
        path = sample / relpath
        if path.is_file():
            names.update(re.findall(r'"([^"]+)"', path.read_text(errors="replace")))
    return names


def has_evidence(build: Build, relpath: str, data: bytes, listed: set[str], directory: Path | None = None) -> bool:
    """This test's own reading of the evidence for `relpath` (below the served directory)."""
    if relpath.lower().endswith((".html", ".htm")):
        return False  # a page is never immutable
    below = [d for d in (*build.immutable_dirs, *build.mutable_dirs) if relpath.startswith(d)]
    if below and max(below, key=len) in build.immutable_dirs:
        return True
    in_build = posixpath.normpath(posixpath.join(build.build_dir, build.served, relpath))  # esbuild: dist/x.js
    if {relpath, "/" + relpath, build.prefix + relpath, in_build} & listed:
        return True
    if relpath.endswith(".map") and directory is not None and (directory / relpath.rsplit("/", 1)[-1][:-4]).is_file():
        script = directory / relpath.rsplit("/", 1)[-1][:-4]  # the map is hashed with its script (MkDocs Material)
        return script.read_bytes().endswith(b"sourceMappingURL=" + script.name.encode() + b".map\n\n") and digest_in_name(
            script.name, script.read_bytes(), directory
        )
    return digest_in_name(relpath.rsplit("/", 1)[-1], data, directory)


# ---------------------------------------------------------------------------- the tests


@pytest.fixture(scope="module", params=list(ALL_BUILDS))
def served(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    build = ALL_BUILDS[request.param]
    if not _present(build):
        pytest.fail(f"sample_configs/builds/{build.sample}/{build.build_dir} is missing")
    out = tmp_path_factory.mktemp(f"render-{build.sample}")
    extra = ("--prefix", build.prefix) if build.prefix != "/" else ()
    result = render(build.home / build.build_dir, out, *extra)
    assert result.returncode == 0, result.stderr
    assert "detected" in result.stderr.splitlines()[0], result.stderr
    server = start_nginx(
        out / "nginx", http_part=(out / "http.conf").read_text(), server_part=(out / "server.conf").read_text()
    )
    yield build, server, result
    server.stop()


def test_every_file_has_its_body_and_immutable_only_on_evidence(served: tuple[Build, Nginx, object]) -> None:
    build, server, _ = served
    sample = build.home
    tree = sample / build.build_dir / build.served
    listed = manifest_names(sample, build.manifests)
    immutable, checked = [], 0
    for path in sorted(p for p in tree.rglob("*") if p.is_file()):
        relpath = path.relative_to(tree).as_posix()
        if any(part.startswith(".") for part in relpath.split("/")):
            continue  # dotfiles: 404 by design (tested elsewhere)
        response = server.request(url_for(build.prefix + relpath))
        data = path.read_bytes()
        if relpath in build.denied:
            assert response.status == 404 and response.body != data, f"{relpath}: served"
            continue
        assert response.status == 200, f"{relpath}: {response.status}"
        assert response.body == data, f"{relpath}: wrong body"
        cache_control = response.all("Cache-Control")
        assert len(cache_control) == 1, f"{relpath}: {cache_control}"
        if cache_control[0] == HASHED_CC:
            assert has_evidence(build, relpath, data, listed, path.parent), f"{relpath}: immutable without evidence"
            immutable.append(relpath)
        else:
            assert cache_control[0] == "no-cache", f"{relpath}: {cache_control[0]}"
        checked += 1
    assert checked >= 2
    assert bool(immutable) == build.hashed_names, f"immutable: {immutable}"
    for name in build.lookalikes:
        response = server.request(build.prefix + name)
        assert response.status == 200 and response.all("Cache-Control") == ["no-cache"], name
    # The converse: every build output below the framework's immutable directory is immutable
    # (a file copied from the project's public/ is no build output).
    copied = {p.relative_to(sample / "public").as_posix() for p in (sample / "public").rglob("*")} if (sample / "public").is_dir() else set()
    for path in sorted(tree.rglob("*")):
        relpath = path.relative_to(tree).as_posix()
        below = [d for d in (*build.immutable_dirs, *build.mutable_dirs) if relpath.startswith(d)]
        if path.is_file() and below and max(below, key=len) in build.immutable_dirs and relpath not in copied:
            if not relpath.endswith((".html", ".htm")):
                assert relpath in immutable, f"{relpath}: below {max(below, key=len)} but revalidated"


def _pages(tree: Path) -> list[str]:
    return sorted(p.relative_to(tree).as_posix() for p in tree.rglob("*.html") if not p.name.startswith(("_", ".")))


def test_every_page_answers_at_its_clean_url(served: tuple[Build, Nginx, object]) -> None:
    build, server, _ = served
    if not build.site:
        pytest.skip("not a site: the application serves its pages")
    tree = build.home / build.build_dir
    checked = 0
    for page in _pages(tree):
        if page in ("404.html", "200.html") or "/" in page and page.rsplit("/", 1)[1] in ("404.html",):
            continue
        urls = []
        if page == "index.html":
            urls = [build.prefix]
        elif page.endswith("/index.html"):
            urls = [build.prefix + page[: -len("index.html")], build.prefix + page[: -len("/index.html")]]
        else:
            urls = [build.prefix + page[: -len(".html")]]
        for url in urls:
            response = server.request(url_for(url))
            assert response.status == 200, f"{url}: {response.status}"
            assert response.body == (tree / page).read_bytes(), f"{url}: not {page}"
            assert response.all("Cache-Control") == ["no-cache"], f"{url}: {response.all('Cache-Control')}"
            checked += 1
    assert checked >= (1 if build.spa else 2)


def test_missing_pages_get_the_404_page_or_the_spa_fallback(served: tuple[Build, Nginx, object]) -> None:
    build, server, _ = served
    tree = build.home / build.build_dir
    response = server.request(build.prefix + "no/such-page")
    if build.spa:
        assert response.status == 200 and response.body == (tree / build.spa).read_bytes()
        assert response.all("Cache-Control") == ["no-cache"]
    elif (tree / "404.html").is_file() and build.site:
        assert response.status == 404
        assert response.body == (tree / "404.html").read_bytes()
        assert response.all("Cache-Control") == ["no-store, private"]  # a miss: no cache may keep it
    else:
        assert response.status == 404
    if not build.site:
        return
    # A directory without an index.html is a missing page too, never nginx's 403 or a redirect.
    for directory in sorted(p for p in tree.rglob("*") if p.is_dir() and not (p / "index.html").exists()):
        relpath = directory.relative_to(tree).as_posix()
        if any(part.startswith(".") for part in relpath.split("/")):
            continue
        urls = [build.prefix + relpath + "/"] + ([] if (tree / f"{relpath}.html").is_file() else [build.prefix + relpath])
        for url in urls:
            answer = server.request(url_for(url))
            if build.spa:
                assert (answer.status, answer.body) == (200, (tree / build.spa).read_bytes()), url
            else:
                assert answer.status == 404, f"{url}: {answer.status}"


def test_a_missing_asset_is_never_a_page(served: tuple[Build, Nginx, object]) -> None:
    build, server, _ = served
    tree = build.home / build.build_dir
    pages = {(tree / page).read_bytes() for page in _pages(tree)}
    for missing in ("assets/chunk-Ab12Cd34.js", "x.css", *(d + "missing-Ab12Cd34.js" for d in build.immutable_dirs)):
        response = server.request(build.prefix + missing)
        assert response.status == 404, f"{missing}: {response.status}"
        assert response.body not in pages, f"{missing}: answered with a page"
        assert not any("immutable" in value for value in response.all("Cache-Control")), missing
        assert not response.body.lstrip().startswith(b"<"), f"{missing}: answered with HTML"


_LINK = re.compile(r"""(?:href|src)=["']?([^"' >]+\?[^"' >]+)|url\(["']?([^"')]+\?[^"')]+)""")


def test_every_versioned_url_is_immutable_only_for_its_own_version(served: tuple[Build, Nginx, object]) -> None:
    """The query-string versions the pages link (Sphinx ?v=, Flask-Assets ?<md5>): the file,
    and `immutable` only where the version is a digest of that file (this test's own check)."""
    build, server, _ = served
    tree = build.home / build.build_dir / build.served
    served_root = tree.resolve()
    seen: set[str] = set()
    for page in sorted(p for p in tree.rglob("*") if p.suffix in (".html", ".css") and p.is_file()):
        for match in _LINK.finditer(page.read_text(errors="replace")):
            url = match.group(1) or match.group(2)
            if "://" in url or url.startswith("//") or url in seen:
                continue
            seen.add(url)
            path_part, _, query = url.partition("?")
            base = build.prefix if path_part.startswith("/") else build.prefix + page.parent.relative_to(tree).as_posix() + "/"
            target = (served_root / path_part.lstrip("/")) if path_part.startswith("/") else (page.parent / path_part)
            if path_part.startswith(build.prefix):
                target = served_root / path_part[len(build.prefix):]
            target = target.resolve()
            if not target.is_file() or served_root not in target.parents:
                continue
            uri = build.prefix + target.relative_to(served_root).as_posix()
            response = server.request(url_for(uri) + "?" + query)
            assert response.status == 200 and response.body == target.read_bytes(), f"{url} from {page.name}"
            if response.all("Cache-Control") == [HASHED_CC]:
                data = target.read_bytes()
                value = query.rpartition("=")[2]
                assert any(d.startswith(value) for d in _digests(data.replace(b"\r", b""))) or digest_in_name(
                    uri.rsplit("/", 1)[-1], data
                ), f"{url}: immutable, but {value!r} is no digest of {uri}"
            del base


@pytest.mark.parametrize("sample", list(ALL_BUILDS))
def test_lint_finds_nothing_wrong_with_the_render_of_a_build_directory(sample: str, tmp_path: Path) -> None:
    """`lint --manifest BUILD_DIR` reads the directory as render does: its own output is clean,
    and a hand-made long-lived try_files fallback in the same site is still caught."""
    build = ALL_BUILDS[sample]
    build_dir = build.home / build.build_dir
    extra = ("--prefix", build.prefix) if build.prefix != "/" else ()
    assert render(build_dir, tmp_path, *extra).returncode == 0
    conf = tmp_path / "nginx.conf"
    conf.write_text(
        f"events {{}}\nhttp {{\n    include {tmp_path / 'http.conf'};\n"
        f"    server {{\n        listen 8080;\n        include {tmp_path / 'server.conf'};\n    }}\n}}\n"
    )
    lint = ["lint", str(conf), "--manifest", str(build_dir), *extra]
    result = nginxcache(*lint)
    assert (result.returncode, result.stdout) == (0, ""), result.stdout + result.stderr
    server = (tmp_path / "server.conf").read_text()
    (tmp_path / "server.conf").write_text(server.replace("    error_page 404 @", "    try_files $uri /index.html;\n    error_page 404 @", 1))
    if "try_files" not in server:  # the plain asset location: the added fallback is a mistake lint names
        broken = nginxcache(*lint)
        assert broken.returncode == 1 and "NC107" in broken.stdout, broken.stdout + broken.stderr
