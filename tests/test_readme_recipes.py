"""Every quickstart recipe of the README, run as written, served by real nginx, file by file.

The recipes are read from the README itself: each `### ` heading under `## Quickstart` is
one recipe, its ```sh blocks give the `nginxcache ...` commands and an ```nginx block, if
any, is the user's own server-level config. Only the example paths change: `/srv/app/...`
becomes a bundled real build, `/etc/nginx/...` a temporary directory. Then nginx serves the
outputs inside a hostile server { } (tests/nginx_harness.py) and every file of the build is
requested: a file the manifest names with a hash gets exactly one
`Cache-Control: public, max-age=31536000, immutable`, every other file revalidates.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from conftest import REPO, SAMPLES
from django_build import build_django_static
from nginx_harness import HASHED_CC, Nginx, check_missing_hashed, url_for

from nginxcache.cli import main

pytestmark = pytest.mark.nginx

README = REPO / "README.md"
# The user's location / in the single-page-app recipe must answer client-side routes.
CLIENT_SIDE_ROUTE = "/users/42"


@dataclass
class Recipe:
    title: str
    commands: list[list[str]] = field(default_factory=list)  # argv after `nginxcache`
    nginx_blocks: list[str] = field(default_factory=list)


def quickstart_recipes(text: str) -> dict[str, Recipe]:
    """The recipes under `## Quickstart`, by heading."""
    found = re.search(r"^## Quickstart\n(.*?)(?=^## )", text, re.M | re.S)
    assert found, "README.md has no '## Quickstart' section"
    recipes = {}
    for part in re.split(r"^### ", found.group(1), flags=re.M)[1:]:
        title, _, body = part.partition("\n")
        recipe = Recipe(title.strip())
        for language, code in re.findall(r"^```(\w*)\n(.*?)^```$", body, re.M | re.S):
            if language == "sh":
                for line in code.replace("\\\n", " ").splitlines():
                    words = shlex.split(line, comments=True)
                    if words[:1] == ["nginxcache"]:
                        recipe.commands.append(words[1:])
            elif language == "nginx":
                recipe.nginx_blocks.append(code)
        recipes[recipe.title] = recipe
    return recipes


RECIPES = quickstart_recipes(README.read_text(encoding="utf-8"))


@dataclass
class Build:
    """A real build standing in for a recipe's /srv/app/... paths."""

    example_dir: str  # the path the README uses for the build, e.g. /srv/app/dist
    tree: Path  # where it is here
    served_at: str  # the URL path of the tree's top directory once wired up
    hashed: set[str]  # URIs the manifest names with a hash
    manifest: str  # the manifest's own URI: render answers 404 for it

    def may_be_refused(self, uri: str) -> bool:
        """The build manifest and dotfiles (`.vite/`, Django's copy of `#x.txt`,
        `.<hash>#x.txt`): refusing them is right; served, they must revalidate."""
        return uri == self.manifest or any(segment.startswith(".") for segment in uri.split("/"))


@pytest.fixture(scope="module")
def django_static(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_django_static(tmp_path_factory.mktemp("django"))


def django_build(tmp_path: Path, django_static: Path) -> Build:
    tree = tmp_path / "static"
    shutil.copytree(django_static, tree)
    paths = json.loads((tree / "staticfiles.json").read_text(encoding="utf-8"))["paths"]
    hashed = {"/static/" + value for value in paths.values()}
    return Build("/srv/app/static", tree, "/static/", hashed, "/static/staticfiles.json")


def vite_build(tmp_path: Path, _: Path) -> Build:
    tree = tmp_path / "dist"
    shutil.copytree(SAMPLES / "vite" / "dist", tree)
    manifest = json.loads((tree / ".vite" / "manifest.json").read_text(encoding="utf-8"))
    outputs = set()
    for chunk in manifest.values():
        outputs.add(chunk["file"])
        outputs.update(chunk.get("css", []), chunk.get("assets", []))
    return Build("/srv/app/dist", tree, "/", {"/" + output for output in outputs}, "/.vite/manifest.json")


def webpack_build(tmp_path: Path, _: Path) -> Build:
    tree = tmp_path / "dist"
    shutil.copytree(SAMPLES / "webpack" / "dist", tree)
    manifest = json.loads((tree / "manifest.json").read_text(encoding="utf-8"))
    # webpack-manifest-plugin keys are the names without the hash: a value whose name differs
    # from its key is named with one (legacy.0123…js too: only stats.json could tell otherwise)
    hashed = {value for key, value in manifest.items() if Path(value).name != key}
    return Build("/srv/app/dist", tree, "/static/", hashed, "/static/manifest.json")


def nextjs_build(tmp_path: Path, _: Path) -> Build:
    """The real Next.js export: /_next/static/ is immutable (but its service-worker/), by Next's own server."""
    tree = tmp_path / "out"
    shutil.copytree(SAMPLES / "builds" / "nextjs", tmp_path / "nextjs")
    tree = tmp_path / "nextjs" / "out"
    hashed = {
        "/" + path.relative_to(tree).as_posix()
        for path in (tree / "_next" / "static").rglob("*")
        if path.is_file() and "/service-worker/" not in path.as_posix()
    }
    return Build("/srv/app/out", tree, "/", hashed, "")


BUILDS: dict[str, Callable[[Path, Path], Build]] = {
    "Any framework or site generator: the build directory": nextjs_build,
    "Django": django_build,
    "Vite: a multi-page site": vite_build,
    "Vite: a single-page app": vite_build,
    "webpack": webpack_build,
}


def test_readme_has_a_quickstart_for_each_common_stack() -> None:
    assert set(RECIPES) == set(BUILDS), "quickstart headings and the builds that test them differ"
    for recipe in RECIPES.values():
        assert recipe.commands, f"{recipe.title}: no `nginxcache ...` line in its ```sh blocks"
        for argv in recipe.commands:
            assert "--http-out" in argv and "--server-out" in argv, f"{recipe.title}: {argv}"


def localise(word: str, build: Build, etc: Path) -> str:
    """An example path of the README made a path here; anything else unchanged."""
    for example, here in ((build.example_dir, str(build.tree)), ("/etc/nginx", str(etc))):
        if word == example or word.startswith(example + "/"):
            return here + word[len(example) :]
    return word


def run_recipe(recipe: Recipe, build: Build, etc: Path) -> tuple[str, str]:
    """Run the recipe's commands; return the http part and what goes inside server { }."""
    (etc / "conf.d").mkdir(parents=True)
    (etc / "snippets").mkdir()
    outputs: dict[str, Path] = {}
    for argv in recipe.commands:
        local = [localise(word, build, etc) for word in argv]
        leftover = [word for word in local if word.startswith("/srv/")]
        assert not leftover, f"{recipe.title}: no bundled build stands in for {leftover}"
        code = main(local)
        assert code == 0, f"{recipe.title}: nginxcache {shlex.join(argv)} exited {code}"
        for option in ("--http-out", "--server-out"):
            outputs[option] = Path(local[local.index(option) + 1])
    http_part = outputs["--http-out"].read_text(encoding="utf-8")
    server_part = outputs["--server-out"].read_text(encoding="utf-8")
    if recipe.nginx_blocks:
        # The user's own server-level lines, which include the snippet themselves.
        server_part = "\n".join(recipe.nginx_blocks)
        server_part = re.sub(r"(?<=include )snippets/", str(etc / "snippets") + "/", server_part)
        server_part = server_part.replace(build.example_dir, str(build.tree))
        assert "/srv/" not in server_part, server_part
    return http_part, server_part


def check_every_file_of_the_build(server: Nginx, build: Build) -> tuple[int, set[str]]:
    """Request every file of the tree; return how many answered immutable, and the URIs."""
    immutable = 0
    requested = set()
    for path in sorted(p for p in build.tree.rglob("*") if p.is_file()):
        uri = build.served_at + path.relative_to(build.tree).as_posix()
        requested.add(uri)
        response = server.request(url_for(uri))
        cache_control = response.all("Cache-Control")
        if build.may_be_refused(uri) and response.status in (403, 404):
            assert not any("immutable" in value for value in cache_control), f"{uri}: {cache_control}"
            continue  # refused, as render's own locations do; served, it must revalidate below
        assert response.status == 200, f"{uri}: status {response.status}"
        assert response.body == path.read_bytes(), f"{uri}: wrong body"
        assert len(cache_control) == 1, f"{uri}: Cache-Control {cache_control}"
        if uri in build.hashed:
            assert cache_control[0] == HASHED_CC, f"{uri}: named with a hash, but {cache_control[0]!r}"
            immutable += 1
        else:
            assert cache_control[0] == "no-cache", f"{uri}: not hashed, but {cache_control[0]!r}"
            etag = response.one("ETag")
            assert etag, f"{uri}: no ETag to revalidate with"
            again = server.request(url_for(uri), headers={"If-None-Match": etag})
            assert again.status == 304, f"{uri}: conditional GET gave {again.status}"
    return immutable, requested


@pytest.mark.parametrize("title", sorted(RECIPES))
def test_readme_recipe_on_real_nginx(title: str, tmp_path: Path, django_static: Path, serve) -> None:
    recipe = RECIPES[title]
    assert title in BUILDS, f"README recipe {title!r} has no bundled build here: add one to BUILDS"
    build = BUILDS[title](tmp_path / "build", django_static)
    http_part, server_part = run_recipe(recipe, build, tmp_path / "etc" / "nginx")
    server = serve(http_part=http_part, server_part=server_part)
    immutable, requested = check_every_file_of_the_build(server, build)
    # A config serving everything no-cache would pass the loop above: it must not pass here.
    assert immutable >= 1, f"{title}: no file got {HASHED_CC!r}"
    # Every hashed file of the tree, but those refused as dotfiles (Django names the copy of
    # `#hash-start.txt` `.<hash>#hash-start.txt`) and those the tree lacks (the manifest names
    # back\\slash.txt's copy with a '/').
    served = {uri for uri in build.hashed & requested if not build.may_be_refused(uri)}
    assert immutable == len(served)
    check_missing_hashed(server, sorted(build.hashed)[0])
    if recipe.nginx_blocks or any("--spa" in argv for argv in recipe.commands):
        index = (build.tree / "index.html").read_bytes()
        route = server.request(CLIENT_SIDE_ROUTE)
        assert route.status == 200, f"{CLIENT_SIDE_ROUTE}: {route.status}"
        assert route.body == index, f"{CLIENT_SIDE_ROUTE}: not the app's index.html"
        assert route.all("Cache-Control") == ["no-cache"], route.headers
        # The build manifest is nobody's business, also where the user's own locations serve.
        assert server.request(url_for(build.manifest)).status == 404, f"{build.manifest} is served"
        # A stale chunk must not come back as the app's HTML.
        missing = server.request("/assets/nope-Ab12Cd34.js")
        assert missing.status == 404 and missing.body != index, "a missing asset came back as HTML"
