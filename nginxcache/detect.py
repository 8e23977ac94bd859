"""A build directory given instead of a manifest: "this is what nginx serves; find out what
built it". The directory and the project around it (the nearest parent holding a
package.json, manage.py, composer.json, Gemfile, conf.py, mkdocs.yml, hugo.toml or
_config.yml) tell which tool wrote it; each tool's entry says where that tool leaves its
evidence and how its pages are found.

Evidence only, never a guess: a tool's manifest; hashes in names verified against the
files' bytes (`scan`); query-string versions the site's own pages link, verified
(`linkversions`); or a directory the framework's own production server sends immutable
(cited in docs/frameworks/). A name that merely looks hashed revalidates.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from nginxcache.errors import ManifestError, NginxcacheError, UsageError
from nginxcache.manifests import detect as sniff_format
from nginxcache.manifests import read_json
from nginxcache.model import ManifestFormat, Pages, PrefixRule

# What makes a directory a project's own (the first parent of the build directory holding one).
PROJECT_MARKERS = (
    "package.json",
    "manage.py",
    "composer.json",
    "Gemfile",
    "conf.py",
    "mkdocs.yml",
    "hugo.toml",
    "hugo.yaml",
    "hugo.json",
    "config.toml",
    "_config.yml",
)
_MAX_PARENTS = 6  # dist/<app>/browser, .output/public, _build/html: never more than a few levels


@dataclass(frozen=True, slots=True)
class Project:
    """The build directory and what surrounds it."""

    build: Path
    root: Path | None  # the project directory, when one was found
    packages: frozenset[str]  # package.json dependencies and devDependencies

    def has(self, *relpaths: str) -> bool:
        """Whether the build directory holds any of these paths."""
        return any(os.path.exists(self.build / relpath) for relpath in relpaths)

    def project_has(self, *names: str) -> bool:
        return self.root is not None and any(os.path.exists(self.root / name) for name in names)

    def uses(self, *packages: str) -> bool:
        return any(package in self.packages for package in packages)


@dataclass(frozen=True, slots=True)
class Detection:
    """What a build directory is, and the evidence and page rules that come with it."""

    tool: str  # the --framework name
    label: str  # as a user calls it
    build_dir: Path
    root: Path  # what nginx serves at the prefix (a back-end app's asset directory, not all of public/)
    prefix: str | None  # the URL path the tool's docs give; None: the manifests' own (webpack's publicPath)
    prefix_why: str
    manifests: tuple[Path, ...] = ()  # read as they are
    # Manifests kept outside the served tree whose paths are the served tree's (SvelteKit's
    # Vite manifest, whose files adapter-static copies to the same places below build/).
    copied_manifests: tuple[Path, ...] = ()
    scan: bool = False  # verify hashes in the names of every file below root
    links: bool = False  # query-string versions the pages link, verified
    prefix_rules: tuple[PrefixRule, ...] = ()  # prefixes relative to the served prefix
    pages: Pages = Pages()
    notes: tuple[str, ...] = ()
    verb: str = "detected"  # "using", when --framework chose the tool
    # The project's directory of files copied into the build as they are (public/, static/):
    # a file found there too is no build output, whatever directory it lands in.
    copied_from: Path | None = None

    def summary(self, verified: int | None = None, linked: int | None = None, pages: Pages | None = None) -> str:
        """The one line printed: what was detected and which evidence is used (with the
        counts of verified names and linked versions, once known)."""
        evidence = [_shown(path, self.build_dir) for path in (*self.manifests, *self.copied_manifests)]
        evidence += [f"/{rule.prefix} ({'immutable' if rule.immutable else 'revalidated'})" for rule in self.prefix_rules]
        if self.scan and verified != 0:
            count = "names" if verified is None else f"{verified} name(s)"
            evidence.append(f"{count} whose hash verifies against the file")
        if self.links and linked:
            evidence.append(f"{linked} query-string version(s) the pages link, verified")
        rules = pages if pages is not None else self.pages
        shown = []
        if rules.clean_urls:
            shown.append("clean URLs")
        if rules.not_found:
            shown.append(f"{rules.not_found} (404)")
        if rules.spa_fallback:
            shown.append(f"single-page-app fallback {rules.spa_fallback}")
        text = f"{self.verb} {self.label} in {self.build_dir}: evidence: {', '.join(evidence) or 'none (everything revalidates)'}"
        return text + (f"; pages: {', '.join(shown)}" if shown else "")


def _shown(path: Path, build: Path) -> str:
    """A manifest as the user finds it: relative to the build directory's parent."""
    try:
        return os.path.relpath(path, build.parent)
    except ValueError:
        return str(path)


@dataclass(frozen=True, slots=True)
class Tool:
    name: str
    label: str
    recognise: Callable[[Project], bool]
    evidence: Callable[[Project, Tool], Detection]
    looked_for: str  # what recognises it, in a sentence
    supersedes: tuple[str, ...] = ()  # tools it is built on (SvelteKit on Vite): not a conflict
    marker: str = ""  # what recognises it, in a word or two, for the list of what was looked for


def _site(
    project: Project,
    tool: Tool,
    *,
    prefix_rules: tuple[PrefixRule, ...] = (),
    manifests: tuple[Path, ...] = (),
    copied_manifests: tuple[Path, ...] = (),
    pages: Pages | None = None,
    notes: tuple[str, ...] = (),
) -> Detection:
    """A whole site at /: its pages found the way the framework writes them, its 404 page
    (404.html) answered with status 404, verified hashes and linked versions read."""
    build = project.build
    if pages is None:
        pages = Pages(clean_urls=True, not_found="404.html" if os.path.isfile(build / "404.html") else None)
    copied_from = next(
        (project.root / name for name in ("public", "static") if project.root is not None and (project.root / name).is_dir()),
        None,
    )
    return Detection(
        tool=tool.name,
        label=tool.label,
        build_dir=build,
        root=build,
        prefix="/",
        prefix_why=f"{tool.label} builds a whole site, served at /",
        manifests=manifests,
        copied_manifests=copied_manifests,
        scan=True,
        links=True,
        prefix_rules=prefix_rules,
        pages=pages,
        notes=notes,
        copied_from=copied_from if copied_from is not None and copied_from.resolve() != build.resolve() else None,
    )


def _framework_dir(directory: str, owner: str) -> PrefixRule:
    return PrefixRule(directory, True, f"{owner}'s own server sends everything below it immutable (docs/frameworks)")


def _nextjs(project: Project, tool: Tool) -> Detection:
    worker = "Next.js's own server revalidates /_next/static/service-worker/ (max-age=0, must-revalidate)"
    return _site(
        project,
        tool,
        prefix_rules=(_framework_dir("_next/static/", "Next.js"), PrefixRule("_next/static/service-worker/", False, worker)),
    )


def _sveltekit(project: Project, tool: Tool) -> Detection:
    build = project.build
    manifest = project.root / ".svelte-kit/output/client/.vite/manifest.json" if project.root else None
    fallback = "200.html" if os.path.isfile(build / "200.html") else None  # adapter-static's `fallback`
    notes = ("build/200.html is adapter-static's fallback page: served for navigation URLs that match no page",) if fallback else ()
    return _site(
        project,
        tool,
        copied_manifests=(manifest,) if manifest is not None and manifest.is_file() else (),
        prefix_rules=(_framework_dir("_app/immutable/", "SvelteKit"),),
        pages=Pages(True, "404.html" if os.path.isfile(build / "404.html") else None, fallback),
        notes=notes,
    )


def _astro(project: Project, tool: Tool) -> Detection:
    return _site(project, tool, prefix_rules=(_framework_dir("_astro/", "Astro"),))


def _nuxt(project: Project, tool: Tool) -> Detection:
    why = "Nuxt's server caches /_nuxt/builds/ one second: builds/latest.json changes with every build"
    return _site(
        project,
        tool,
        prefix_rules=(
            _framework_dir("_nuxt/", "Nuxt"),
            PrefixRule("_nuxt/builds/", False, why),
            _framework_dir("_nuxt/builds/meta/", "Nuxt"),
        ),
    )


def _react_router(project: Project, tool: Tool) -> Detection:
    build = project.build
    if os.path.isfile(build / "__spa-fallback.html"):
        spa, why = "__spa-fallback.html", "React Router's SPA mode wrote __spa-fallback.html for the routes it did not prerender"
    elif project.root is not None and not (project.root / "build/server").is_dir() and os.path.isfile(build / "index.html"):
        spa, why = "index.html", "React Router's SPA mode (no server build): every route is index.html"
    else:
        spa, why = None, ""
    return _site(
        project,
        tool,
        prefix_rules=(_framework_dir("assets/", "React Router (react-router-serve)"),),
        pages=Pages(True, "404.html" if os.path.isfile(build / "404.html") else None, spa),
        notes=(why,) if why else (),
    )


def _angular(project: Project, tool: Tool) -> Detection:
    build = project.build
    manifests = (build / "ngsw.json",) if os.path.isfile(build / "ngsw.json") else ()
    # ng build --stats-json: an esbuild metafile beside browser/, its outputs named below browser/
    stats = build.parent / "stats.json"
    # An Angular app routes in the browser: every navigation URL is index.html.
    pages = Pages(True, None, "index.html" if os.path.isfile(build / "index.html") else None)
    return _site(project, tool, manifests=manifests, copied_manifests=(stats,) if stats.is_file() else (), pages=pages)


def _vite(project: Project, tool: Tool) -> Detection:
    build = project.build
    manifest = next(path for path in (build / ".vite/manifest.json", build / "manifest.json") if path.is_file())
    return Detection(tool.name, tool.label, build, build, "/", "Vite's default base", manifests=(manifest,), links=True)


def _laravel(project: Project, tool: Tool) -> Detection:
    # Only public/build/ is nginxcache's: the rest of public/ (index.php and the app's routes)
    # is the application's, behind its own location.
    build = project.build / "build"
    return Detection(
        tool.name,
        tool.label,
        project.build,
        build,
        "/build/",
        "Laravel's Vite plugin builds into public/build",
        manifests=(build / "manifest.json",),
        notes=("only public/build/ is served by this config: the rest of public/ is the application's (index.php)",),
    )


def _encore(project: Project, tool: Tool) -> Detection:
    # Only public/build/ is Encore's: the rest of public/ is the Symfony application's.
    build = project.build / "build"
    manifests = tuple(path for path in (build / "manifest.json", build / "entrypoints.json") if path.is_file())
    return Detection(tool.name, tool.label, project.build, build, "/build/", "Encore's default public path", manifests=manifests)


def _asset_dir(fmt_files: tuple[str, ...], prefix: str, why: str) -> Callable[[Project, Tool], Detection]:
    """A back-end framework's static directory: its manifest, at the framework's URL."""

    def evidence(project: Project, tool: Tool) -> Detection:
        build = project.build
        manifests = tuple(build / name for name in fmt_files if (build / name).is_file())
        return Detection(tool.name, tool.label, build, build, prefix, why, manifests=manifests)

    return evidence


def _django(project: Project, tool: Tool) -> Detection:
    build = project.build
    manifests = (build / "staticfiles.json",) if (build / "staticfiles.json").is_file() else ()
    compressor = (build / "CACHE").is_dir()
    return Detection(
        tool.name,
        "Django with django-compressor" if compressor else tool.label,
        build,
        build,
        "/static/",
        "Django's usual STATIC_URL",
        manifests=manifests,
        # django-compressor names its CACHE/ files by a content hash and versions the URLs
        # in its CSS (url(img.png?<hash>)): both verified against the files.
        scan=compressor or not manifests,
        links=compressor,
        notes=(
            "django-compressor's url(x?hash) versions count only with COMPRESS_CSS_HASHING_METHOD = 'content' "
            "(its default, 'mtime', says nothing of the content): the others revalidate",
        )
        if compressor
        else (),
    )


def _rails(project: Project, tool: Tool) -> Detection:
    build = project.build if project.build.name == "assets" else project.build / "assets"
    manifests = tuple(sorted(p for p in build.glob(".sprockets-manifest-*.json") if p.is_file()))
    manifests += tuple(p for p in (build / ".manifest.json",) if p.is_file())
    return Detection(tool.name, tool.label, project.build, build, "/assets/", "Rails' default assets prefix", manifests=manifests)


def _manifest_in_build(*names: str) -> Callable[[Project, Tool], Detection]:
    """A bundler's output directory: its manifest, served where the manifest says (webpack's
    publicPath) or at the site's root."""
    def evidence(project: Project, tool: Tool) -> Detection:
        build = project.build
        manifests = tuple(path for path in _candidates(build, project.root, names) if path.is_file())
        return Detection(tool.name, tool.label, build, build, None, "", manifests=manifests, links=True)

    return evidence


def _candidates(build: Path, project: Path | None, names: tuple[str, ...]) -> Iterator[Path]:
    seen = set()
    for directory in (build, build.parent, project):
        if directory is None:
            continue
        for name in names:
            path = directory / name
            if path not in seen:
                seen.add(path)
                yield path


def _generator(project: Project, tool: Tool) -> Detection:
    return _site(project, tool)


def _read_packages(project: Path | None) -> frozenset[str]:
    if project is None or not (project / "package.json").is_file():
        return frozenset()
    try:
        with open(project / "package.json", encoding="utf-8") as stream:
            data = json.load(stream)
    except (OSError, ValueError):
        return frozenset()
    names: set[str] = set()
    if isinstance(data, dict):
        for key in ("dependencies", "devDependencies"):
            if isinstance(data.get(key), dict):
                names.update(data[key])
    return frozenset(names)


def find_project(build: Path) -> Path | None:
    """The nearest directory, from the build directory up, holding a project marker."""
    directory = build.resolve()
    for _ in range(_MAX_PARENTS + 1):
        if any(os.path.isfile(directory / marker) for marker in PROJECT_MARKERS):
            return directory
        if directory.parent == directory:
            break
        directory = directory.parent
    return None


_SNIFF_BYTES = 64 << 20  # a manifest larger than this is not read just to recognise its tool


def _written_by_webpack(path: Path) -> bool:
    """A manifest.json or stats.json whose shape is webpack's (webpack-manifest-plugin, or
    `webpack --json`): read, since Vite's and others' share the name."""
    try:
        if not path.is_file() or path.stat().st_size > _SNIFF_BYTES:
            return False
        data = read_json(path, max_bytes=_SNIFF_BYTES)
        if isinstance(data, dict) and {"short_name", "start_url", "icons"} & data.keys():
            return False  # a web app manifest (PWA), which shares the name
        return sniff_format(data, path) in (ManifestFormat.WEBPACK, ManifestFormat.WEBPACK_STATS)
    except (OSError, NginxcacheError):
        return False


def _esbuild_metafile(project: Project) -> bool:
    return any(path.is_file() for path in _candidates(project.build, project.root, ESBUILD_METAFILES))


ESBUILD_METAFILES = ("meta.json", "metafile.json", "esbuild-meta.json")

TOOLS: tuple[Tool, ...] = (
    Tool(
        "nextjs",
        "Next.js (static export)",
        lambda p: p.has("_next/static"),
        _nextjs,
        "_next/static/ in the directory (next build with output: 'export')",
        marker="_next/static/ (Next.js)",
    ),
    Tool(
        "sveltekit",
        "SvelteKit (adapter-static)",
        lambda p: p.has("_app/immutable"),
        _sveltekit,
        "_app/immutable/ in the directory",
        ("vite",),
        marker="_app/immutable/ (SvelteKit)",
    ),
    Tool(
        "astro",
        "Astro",
        lambda p: p.has("_astro") or (p.uses("astro") and p.has("index.html")),
        _astro,
        "_astro/",
        ("vite",),
        marker="_astro/ (Astro)",
    ),
    Tool(
        "nuxt",
        "Nuxt (generate)",
        lambda p: p.has("_nuxt"),
        _nuxt,
        "_nuxt/ (nuxt generate: .output/public)",
        ("vite",),
        marker="_nuxt/ (Nuxt)",
    ),
    Tool(
        "react-router",
        "React Router",
        lambda p: p.has("__spa-fallback.html") or (p.uses("@react-router/dev") and p.has("assets")),
        _react_router,
        "@react-router/dev in package.json, build/client/assets/",
        ("vite",),
        marker="__spa-fallback.html or @react-router/dev (React Router)",
    ),
    Tool(
        "angular",
        "Angular",
        lambda p: p.has("ngsw.json") or (p.project_has("angular.json") and p.has("index.html")),
        _angular,
        "ngsw.json, or angular.json in the project (dist/<app>/browser)",
        ("esbuild",),
        marker="ngsw.json or angular.json (Angular)",
    ),
    Tool(
        "laravel",
        "Laravel with Vite",
        lambda p: p.has("build/manifest.json") and (p.project_has("artisan", "composer.json") or p.has("index.php")),
        _laravel,
        "public/build/manifest.json in a Laravel project (artisan, composer.json)",
        ("vite", "encore"),
        marker="build/manifest.json with artisan (Laravel)",
    ),
    Tool(
        "encore",
        "Symfony Webpack Encore",
        lambda p: p.has("build/entrypoints.json"),
        _encore,
        "public/build/entrypoints.json",
        marker="build/entrypoints.json (Encore)",
    ),
    Tool(
        "mix",
        "Laravel Mix",
        lambda p: p.has("mix-manifest.json"),
        _manifest_in_build("mix-manifest.json"),
        "mix-manifest.json",
        marker="mix-manifest.json (Mix)",
    ),
    Tool(
        "vite",
        "Vite",
        lambda p: p.has(".vite/manifest.json") or (p.uses("vite") and p.has("manifest.json")),
        _vite,
        ".vite/manifest.json (build.manifest: true)",
        marker=".vite/manifest.json (Vite)",
    ),
    Tool(
        "django",
        "Django",
        lambda p: p.has("staticfiles.json") or (p.project_has("manage.py") and p.has("CACHE/manifest.json", "admin")),
        _django,
        "staticfiles.json (STATIC_ROOT of ManifestStaticFilesStorage), or CACHE/ of django-compressor",
        marker="staticfiles.json or CACHE/ (Django)",
    ),
    Tool(
        "flask-assets",
        "Flask-Assets (webassets)",
        lambda p: p.has(".webassets-manifest", ".webassets-manifest.json"),
        _asset_dir((".webassets-manifest", ".webassets-manifest.json"), "/static/", "Flask's default static URL"),
        "static/.webassets-manifest (ASSETS_MANIFEST = 'json')",
        marker=".webassets-manifest (Flask-Assets)",
    ),
    Tool(
        "rails",
        "Rails (Sprockets or Propshaft)",
        lambda p: any(p.build.glob("assets/.sprockets-manifest-*.json"))
        or p.has("assets/.manifest.json")
        or (p.build.name == "assets" and (any(p.build.glob(".sprockets-manifest-*.json")) or p.has(".manifest.json"))),
        _rails,
        "public/assets/.sprockets-manifest-*.json or .manifest.json",
        marker="assets/.sprockets-manifest-*.json (Rails)",
    ),
    Tool(
        "webpack",
        "webpack",
        lambda p: any(_written_by_webpack(path) for path in _candidates(p.build, p.root, ("manifest.json", "stats.json"))),
        _manifest_in_build("manifest.json", "stats.json"),
        "webpack in package.json with a manifest.json or stats.json",
        marker="manifest.json or stats.json with webpack",
    ),
    Tool(
        "cra",
        "Create React App",
        lambda p: p.has("asset-manifest.json"),
        _manifest_in_build("asset-manifest.json"),
        "asset-manifest.json",
        supersedes=("webpack",),
        marker="asset-manifest.json (CRA)",
    ),
    Tool(
        "parcel",
        "Parcel",
        lambda p: p.has("parcel-manifest.json"),
        _manifest_in_build("parcel-manifest.json"),
        "parcel-manifest.json",
        marker="parcel-manifest.json (Parcel)",
    ),
    Tool(
        "esbuild",
        "esbuild",
        _esbuild_metafile,
        _manifest_in_build(*ESBUILD_METAFILES),
        "an esbuild metafile (meta.json)",
        marker="meta.json (esbuild)",
    ),
    Tool(
        "sphinx",
        "Sphinx",
        lambda p: p.has(".buildinfo") or (p.project_has("conf.py") and p.has("objects.inv")),
        _generator,
        ".buildinfo (sphinx-build -b html)",
        marker=".buildinfo (Sphinx)",
    ),
    Tool(
        "mkdocs",
        "MkDocs",
        lambda p: p.project_has("mkdocs.yml") and p.has("sitemap.xml", "sitemap.xml.gz", "search/search_index.json"),
        _generator,
        "mkdocs.yml in the project and its site/",
        marker="mkdocs.yml (MkDocs)",
    ),
    Tool(
        "hugo",
        "Hugo",
        lambda p: (
            p.project_has("hugo.toml", "hugo.yaml", "hugo.json") or (p.project_has("config.toml") and p.project_has("layouts", "content"))
        ),
        _generator,
        "hugo.toml (or config.toml with layouts/) in the project",
        marker="hugo.toml (Hugo)",
    ),
    Tool(
        "jekyll",
        "Jekyll",
        lambda p: p.project_has("_config.yml") and p.build.name == "_site",
        _generator,
        "_config.yml in the project and its _site/",
        marker="_config.yml (Jekyll)",
    ),
    Tool(
        "eleventy",
        "Eleventy",
        lambda p: p.uses("@11ty/eleventy") or p.project_has("eleventy.config.js", "eleventy.config.mjs", ".eleventy.js"),
        _generator,
        "@11ty/eleventy in package.json, or eleventy.config.js",
        marker="eleventy.config.js (Eleventy)",
    ),
)
TOOL_NAMES = tuple(tool.name for tool in TOOLS)


def detect(build: Path, framework: str | None = None) -> Detection:
    """What built `build`; `framework` (a name of TOOL_NAMES) decides instead of detection."""
    if not build.is_dir():
        raise ManifestError("not a directory (give a build directory or a manifest file)", file=build)
    root = find_project(build)
    project = Project(build, root, _read_packages(root))
    if framework is not None:
        chosen = next((tool for tool in TOOLS if tool.name == framework), None)
        if chosen is None:
            raise UsageError(f"--framework {framework!r}: not one of {', '.join(TOOL_NAMES)}")
        detection = dataclasses.replace(chosen.evidence(project, chosen), verb="using (--framework)")
        if not chosen.recognise(project):
            mismatch = f"--framework {framework}: the directory has no {chosen.looked_for}: only the evidence found applies"
            detection = dataclasses.replace(detection, notes=(*detection.notes, mismatch))
        return detection
    found = [tool for tool in TOOLS if tool.recognise(project)]
    superseded = {name for tool in found for name in tool.supersedes}
    found = [tool for tool in found if tool.name not in superseded]
    if not found:
        looked_for = ", ".join(tool.marker for tool in TOOLS)
        raise ManifestError(
            f"no build tool recognised (looked for {looked_for}); `nginxcache scan` shows the hashes its names carry "
            "that verify; or name the manifest, or give --framework",
            file=build,
        )
    if len(found) > 1:
        names = " and ".join(f"{tool.label} ({tool.looked_for})" for tool in found)
        raise ManifestError(f"two build tools found: {names}; give --framework {found[0].name} or {found[1].name}", file=build)
    return found[0].evidence(project, found[0])
