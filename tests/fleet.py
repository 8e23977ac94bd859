"""A fleet on 127.0.0.1 for rolling deploys: backend nginx servers (each with its own tree and
the site nginxcache renders for it), a round-robin nginx load balancer in front, optionally a
shared store for --skew-origin, and virtual browsers that load pages while a script deploys.

A browser loads `/` through the load balancer, then every asset the page names the way the page
names it (script src, link href of stylesheets, modulepreload, preload and icons, img src,
imports in inline scripts), then what those name in turn: a module's static and dynamic
imports, Vite's preload list, a stylesheet's url()s. Every request is a fresh connection. A load
fails when its status is not 200, when a non-HTML asset comes back as text/html, or when its
body is no build's file of that name. The three scenarios of a deploy from build A to build B
are `plain_steps`, `gate_steps` and `skew_steps`; `run_scenario` plays one of them. Every
nginx is stopped by its PID (`stop_by_pid`), whatever happens.
"""

from __future__ import annotations

import contextlib
import functools
import http.client
import io
import json
import os
import re
import shutil
import signal
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

from nginx_harness import Nginx, start_nginx, start_on_a_free_port

from nginxcache.cli import main as nginxcache_main

BUILDS = Path(__file__).resolve().parent.parent / "sample_configs" / "builds"
MARKER = "X-Fleet-Config"  # every response of a backend or the store names the config that sent it
REQUEST_TIMEOUT = 5.0
MAX_ASSETS_PER_PAGE = 300
RELOAD_TIMEOUT = 10.0
SCENARIOS = ("plain", "gate", "skew")


# ---------------------------------------------------------------------------------------------
# Builds


@dataclass(frozen=True)
class Build:
    """A real build, as the build machine has it."""

    label: str
    dist: Path  # the directory nginx serves, at /
    framework: str | None = None  # --framework, for copies away from the project (no package.json around them)
    manifest: str | None = None  # a Vite manifest below dist: the gate's --manifest, the store's --keep-manifest
    hashed_dirs: tuple[str, ...] = ()  # URL directories whose every file is content-addressed (the framework's docs)

    def files(self) -> dict[str, Path]:
        """URI -> file, every file of the build."""
        return {"/" + path.relative_to(self.dist).as_posix(): path for path in sorted(self.dist.rglob("*")) if path.is_file()}

    def hashed(self) -> frozenset[str]:
        """The oracle, independent of nginxcache: files the Vite manifest names, and files in
        the framework's content-addressed directories."""
        uris = {uri for uri in self.files() if any(uri.startswith(directory) for directory in self.hashed_dirs)}
        if self.manifest:
            for entry in json.loads((self.dist / self.manifest).read_text(encoding="utf-8")).values():
                uris.update("/" + name for name in [entry["file"], *entry.get("css", []), *entry.get("assets", [])])
        return frozenset(uris)


VITE_MANIFEST = ".vite/manifest.json"
# The committed real builds, in pairs of one app (see tests/test_fleet.py for why these):
VITE7 = Build("vite7", BUILDS / "vite7" / "dist", manifest=VITE_MANIFEST)
VITE8 = Build("vite8", BUILDS / "vite8" / "dist", manifest=VITE_MANIFEST)
# A copy of a React Router build is no longer beside its package.json: --framework says what it is.
RR_SPA = Build("rr-spa", BUILDS / "react-router-spa" / "build" / "client", framework="react-router",
               hashed_dirs=("/assets/",))
RR_PRERENDER = Build("rr-prerender", BUILDS / "react-router-prerender" / "build" / "client", framework="react-router",
                     hashed_dirs=("/assets/",))
SVELTEKIT = Build("sveltekit", BUILDS / "sveltekit" / "build", hashed_dirs=("/_app/immutable/",))
PAIRS = {"vite7->vite8": (VITE7, VITE8), "rr-spa->rr-prerender": (RR_SPA, RR_PRERENDER)}


@dataclass(frozen=True)
class Oracle:
    """What any load of builds A and B may legitimately get."""

    bodies: dict[str, frozenset[bytes]]  # URI -> the bodies the builds have under that name
    hashed: frozenset[str]  # hashed in either build: the only files that may be immutable

    @classmethod
    def of(cls, *builds: Build) -> Oracle:
        bodies: dict[str, set[bytes]] = {}
        for build in builds:
            for uri, path in build.files().items():
                bodies.setdefault(uri, set()).add(path.read_bytes())
        hashed = frozenset().union(*(build.hashed() for build in builds))
        return cls({uri: frozenset(found) for uri, found in bodies.items()}, hashed)


# ---------------------------------------------------------------------------------------------
# nginxcache and nginx


def nginxcache(*args: str) -> tuple[int, str, str]:
    """The command line, in this process: exit code, stdout, stderr."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = nginxcache_main(list(args))
    return code, out.getvalue(), err.getvalue()


def _children(pid: int) -> set[int]:
    children = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid and fields[0] != "Z":
                children.add(int(stat.parent.name))
    return children


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def master_pid(server: Nginx) -> int | None:
    with contextlib.suppress(OSError, ValueError):
        return int((server.prefix / "nginx.pid").read_text().strip())
    return None


def stop_by_pid(server: Nginx, timeout: float = 10.0) -> None:
    """SIGTERM to the master whose PID nginx wrote; SIGKILL to it and its workers, by PID,
    when they are not gone in `timeout` seconds."""
    pid = master_pid(server)
    if pid is None or not _alive(pid):
        return
    processes = {pid, *_children(pid)}
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while any(_alive(p) for p in processes) and time.monotonic() < deadline:
        time.sleep(0.02)
    for leftover in (p for p in processes if _alive(p)):
        with contextlib.suppress(ProcessLookupError):
            os.kill(leftover, signal.SIGKILL)


def reload(server: Nginx) -> None:
    """SIGHUP to the master, by its PID; returns when the workers of the old config are gone
    (nginx waits 100 ms before it stops them), so every new connection gets the new config."""
    pid = master_pid(server)
    if pid is None or not _alive(pid):
        raise RuntimeError(f"{server.prefix}: nginx is not running\n{server.error_log()}")
    old_workers = _children(pid)
    os.kill(pid, signal.SIGHUP)
    deadline = time.monotonic() + RELOAD_TIMEOUT
    while time.monotonic() < deadline:
        workers = _children(pid)
        if workers and not workers & old_workers:
            return
        time.sleep(0.01)
    raise RuntimeError(f"{server.prefix}: the old workers still run {RELOAD_TIMEOUT} s after the reload "
                       f"(a config nginx refused?)\n{server.error_log()[-2000:]}")


@dataclass(frozen=True)
class Answer:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    @property
    def content_type(self) -> str:
        return (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()


def get(port: int, path: str) -> Answer:
    """GET on a fresh connection to 127.0.0.1:port."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return Answer(response.status, response.headers, response.read())
    finally:
        conn.close()


# ---------------------------------------------------------------------------------------------
# The fleet


@dataclass
class Backend:
    """One server: its own tree, its manifests directory and its rendered site."""

    name: str
    server: Nginx
    tree: Path
    manifests: Path
    skew_origin: str | None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.port}"

    def render(self, source: Path, config: str, *args: str) -> None:
        """nginxcache renders the site from `source` (a build directory or a manifest); reload."""
        site = render_site(self.server.prefix / "rendered.conf", self.name, source, config, self.skew_origin, *args)
        (self.server.prefix / "site.conf").write_text(site.replace("listen 80;", f"listen 127.0.0.1:{self.server.port};"),
                                                      encoding="utf-8")
        reload(self.server)
        answer = get(self.server.port, "/")
        if answer.headers.get(MARKER) != config:
            raise RuntimeError(f"{self.name}: reloaded, but / says {MARKER}: {answer.headers.get(MARKER)} (wanted {config})"
                               f"\n{self.server.error_log()[-2000:]}")


def render_site(out: Path, name: str, source: Path, config: str, skew_origin: str | None, *args: str) -> str:
    """`nginxcache render SOURCE --site-out OUT`: a whole server { } (listen 80, replaced when
    served), every response marked with the config's name."""
    skew = ("--skew-origin", skew_origin) if skew_origin else ()
    code, _, err = nginxcache("render", str(source), "--site-out", str(out), "--name", name,
                              "--add-header", f"{MARKER}: {config}", *skew, *args)
    if code != 0:
        raise RuntimeError(f"render {source} for {name}: exit {code}\n{err}")
    return out.read_text(encoding="utf-8")


def _copy_file(source: Path, target: Path) -> None:
    """As rsync does it: a temporary file beside the target, renamed over it."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.fleet-tmp")
    shutil.copyfile(source, temporary)
    os.replace(temporary, target)


def sync_tree(build: Build, tree: Path, *, pages: bool = True, assets: bool = True, leave_out: str | None = None,
              delete: bool = False) -> None:
    """Copy the build's files into the tree (pages: *.html), each by an atomic rename; with
    `delete`, then remove every file the build does not have (rsync --delete)."""
    files = build.files()
    for uri, path in files.items():
        if uri != leave_out and (pages if uri.endswith(".html") else assets):
            _copy_file(path, tree / uri.lstrip("/"))
    if delete:
        for path in sorted(tree.rglob("*"), reverse=True):
            uri = "/" + path.relative_to(tree).as_posix()
            if path.is_file() and uri not in files:
                path.unlink()
            elif path.is_dir() and not any(path.iterdir()):
                path.rmdir()


def render_args(build: Build) -> tuple[str, ...]:
    return ("--framework", build.framework) if build.framework else ()


@dataclass
class Fleet:
    lb: Nginx
    backends: list[Backend]
    store: Nginx | None

    @property
    def port(self) -> int:
        return self.lb.port


def load_balancer(prefix: Path, backends: list[Backend]) -> Nginx:
    """Round-robin over the backends; a backend's answer is the answer (no retry elsewhere)."""
    upstream = "".join(f"        server 127.0.0.1:{backend.server.port};\n" for backend in backends)

    def body(port: int) -> str:
        return (f"    upstream fleet {{\n{upstream}    }}\n"
                f"    server {{\n        listen 127.0.0.1:{port};\n"
                f"        location / {{\n            proxy_pass http://fleet;\n            proxy_next_upstream off;\n"
                f"        }}\n    }}\n")

    return start_on_a_free_port(prefix, body)


def start_store(root: Path, a: Build, b: Build, started: list[Nginx]) -> Nginx:
    """The shared store: the union of both builds' files, rendered by nginxcache from build B
    with A's manifest kept (--keep-manifest), so A's hashed files stay immutable there."""
    tree = root / "store" / "dist"
    sync_tree(a, tree)
    sync_tree(b, tree)
    keep: tuple[str, ...] = ()
    if a.manifest:
        kept = root / "store" / "manifests" / f"{a.label}.json"
        kept.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(a.dist / a.manifest, kept)
        keep = ("--keep-manifest", str(kept))
    site = render_site(root / "store" / "rendered.conf", "store", tree, "store", None, *render_args(b), *keep)
    store = start_nginx(root / "store" / "nginx", http_part=None, site=site)
    started.append(store)
    return store


@contextlib.contextmanager
def fleet(root: Path, a: Build, *, size: int = 3, store_of: tuple[Build, Build] | None = None) -> Iterator[Fleet]:
    """`size` backends on build A behind a load balancer (and the store, when given both
    builds: each backend then renders with --skew-origin pointing at it). Every nginx started
    is stopped by its PID on the way out."""
    started: list[Nginx] = []
    try:
        store = start_store(root, *store_of, started) if store_of else None
        skew_origin = f"http://127.0.0.1:{store.port}" if store else None
        backends = []
        for number in range(1, size + 1):
            name = f"web{number}"
            home = root / name
            tree, manifests = home / "dist", home / "manifests"
            sync_tree(a, tree)
            if a.manifest:
                manifests.mkdir(parents=True)
                shutil.copyfile(a.dist / a.manifest, manifests / f"{a.label}.json")
            config = f"{name} {a.label}"
            site = render_site(home / "rendered.conf", name, tree, config, skew_origin, *render_args(a))
            server = start_nginx(home / "nginx", http_part=None, site=site)
            started.append(server)
            backends.append(Backend(name, server, tree, manifests, skew_origin))
        lb = load_balancer(root / "lb", backends)
        started.append(lb)
        yield Fleet(lb, backends, store)
    finally:
        for server in reversed(started):
            stop_by_pid(server)


# ---------------------------------------------------------------------------------------------
# Deploy steps


def deploy(backend: Backend, build: Build) -> None:
    """The plain deploy of one server: its tree becomes the build's (files renamed into place,
    the others deleted), nginxcache renders its site from it, nginx reloads."""
    sync_tree(build, backend.tree, delete=True)
    backend.render(backend.tree, f"{backend.name} {build.label}", *render_args(build))


def copy_assets(backend: Backend, new: Build, old: Build, *, leave_out: str | None = None) -> None:
    """Phase 1 of docs/probe.md's two-phase deploy on one server: the new build's files but its
    pages, beside the old build's; its manifest under its name; the site rendered from it with
    the old manifest kept (--keep-manifest); reload. `leave_out`: a file the copy did not get to."""
    sync_tree(new, backend.tree, pages=False, leave_out=leave_out)
    config = f"{backend.name} {new.label}+{old.label}"
    if new.manifest and old.manifest:
        manifest = backend.manifests / f"{new.label}.json"
        shutil.copyfile(new.dist / new.manifest, manifest)
        backend.render(manifest, config, "--manifest-format", "vite", "--root", str(backend.tree), "--prefix", "/",
                       "--keep-manifest", str(backend.manifests / f"{old.label}.json"))
    else:  # a framework's immutable directory holds both builds' files: no manifest to keep
        backend.render(backend.tree, config, *render_args(new))


def copy_file(backend: Backend, build: Build, uri: str) -> None:
    _copy_file(build.files()[uri], backend.tree / uri.lstrip("/"))


def switch_pages(backend: Backend, build: Build) -> None:
    """Phase 2 on one server: the new build's pages, renamed into place. nginx would see them
    within open_file_cache_valid (2 s); the reload makes it now, so the state is known."""
    sync_tree(build, backend.tree, assets=False)
    reload(backend.server)
    page = get(backend.server.port, "/")
    if page.body != (build.dist / "index.html").read_bytes():
        raise RuntimeError(f"{backend.name}: pages copied and reloaded, but / is not {build.label}'s")


@dataclass(frozen=True)
class GateRun:
    label: str
    code: int
    report: list[dict[str, Any]]  # probe --format json: an object per backend
    stderr: str

    def missing(self) -> dict[str, list[str]]:
        """Backend URL -> the hashed files it lacks."""
        return {str(entry["backend"]): [str(uri) for uri in entry["missing"]] for entry in self.report if entry.get("missing")}


def gate(fleet: Fleet, build: Build, label: str) -> GateRun:
    """docs/probe.md's deploy gate: every backend, every hashed file of the new build."""
    backends = [arg for backend in fleet.backends for arg in ("--backend", backend.url)]
    manifest = str(build.dist / build.manifest) if build.manifest else str(build.dist)
    code, out, err = nginxcache("probe", *backends, "--manifest", manifest, "--root", str(build.dist),
                                *render_args(build), "--format", "json")
    try:
        report = json.loads(out)
    except json.JSONDecodeError:
        report = []
    return GateRun(label, code, report, err)


@dataclass(frozen=True)
class Step:
    label: str
    action: Callable[[], None]


def plain_steps(fleet: Fleet, b: Build) -> list[Step]:
    """(1) No gate, no skew origin: one server at a time gets build B, in place."""
    return [Step(f"{backend.name} on {b.label}", functools.partial(deploy, backend, b)) for backend in fleet.backends]


def gate_steps(fleet: Fleet, a: Build, b: Build, gate_runs: list[GateRun]) -> list[Step]:
    """(2) The two-phase deploy of docs/probe.md: B's assets on every server, one at a time (the
    last copy at first one file short: the gate must refuse), the gate, then B's pages, one
    server at a time."""
    *first, last = fleet.backends
    left_out = sorted(b.hashed() - a.hashed())[-1]
    steps = [Step(f"{backend.name}: {b.label}'s assets", functools.partial(copy_assets, backend, b, a)) for backend in first]
    steps += [
        Step(f"{last.name}: {b.label}'s assets but {left_out}", lambda: copy_assets(last, b, a, leave_out=left_out)),
        Step("gate (one file short)", lambda: gate_runs.append(gate(fleet, b, "one file short"))),
        Step(f"{last.name}: {left_out} copied", lambda: copy_file(last, b, left_out)),
        Step("gate", lambda: gate_runs.append(gate(fleet, b, "every file there"))),
    ]

    def switch(backend: Backend) -> None:
        if gate_runs[-1].code != 0:
            raise RuntimeError(f"the gate said no (exit {gate_runs[-1].code}): the pages are not switched\n"
                               f"{gate_runs[-1].stderr}{json.dumps(gate_runs[-1].report, indent=1)[:3000]}")
        switch_pages(backend, b)

    steps += [Step(f"{backend.name}: {b.label}'s pages", functools.partial(switch, backend)) for backend in fleet.backends]
    return steps


def skew_steps(fleet: Fleet, b: Build) -> list[Step]:
    """(3) Every server renders with --skew-origin at the shared store: the plain deploy."""
    return plain_steps(fleet, b)


# ---------------------------------------------------------------------------------------------
# Browsers

_IMPORT = re.compile(r"""(?:\bimport\s*\(\s*|\bfrom\s*|\bimport\s*)(["'`])((?:\.{1,2}/|/)[^"'`\s]+?)\1""")
_VITE_PRELOAD_LIST = re.compile(r"""__vite__mapDeps=.*?m\.f=\[([^\]]*)\]""")  # the chunks Vite's preload helper loads
_QUOTED = re.compile(r"""(["'`])([^"'`]+)\1""")
_CSS_URL = re.compile(r"""url\(\s*(["']?)([^"')]+?)\1\s*\)|@import\s+(["'])([^"']+)\3""")
_LINK_RELS = {"stylesheet", "modulepreload", "preload", "icon"}


class _PageRefs(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.refs: list[str] = []
        self.inline_scripts: list[str] = []
        self._in_inline_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        if tag == "script":
            if attributes.get("src"):
                self.refs.append(attributes["src"])
            else:
                self._in_inline_script = True
        elif tag == "link" and attributes.get("href") and set(attributes.get("rel", "").lower().split()) & _LINK_RELS:
            self.refs.append(attributes["href"])
        elif tag == "img" and attributes.get("src"):
            self.refs.append(attributes["src"])

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_inline_script = False

    def handle_data(self, data: str) -> None:
        if self._in_inline_script:
            self.inline_scripts.append(data)


def _same_origin(base: str, ref: str) -> str | None:
    parts = urlsplit(urljoin(base, ref.strip()))
    if parts.scheme or parts.netloc or not parts.path.startswith("/"):
        return None  # another origin, data:, javascript:
    return parts.path + (f"?{parts.query}" if parts.query else "")


def page_assets(body: bytes) -> list[str]:
    parser = _PageRefs()
    parser.feed(body.decode("utf-8", "replace"))
    refs = parser.refs + [match[1] for script in parser.inline_scripts for match in _IMPORT.findall(script)]
    return [uri for ref in refs if (uri := _same_origin("/", ref))]


def module_assets(uri: str, body: bytes) -> list[str]:
    text = body.decode("utf-8", "replace")
    refs = [_same_origin(uri, match[1]) for match in _IMPORT.findall(text)]
    for listed in _VITE_PRELOAD_LIST.findall(text):  # as Vite's preload helper: ./x beside the module, x below base
        deps = [match[1] for match in _QUOTED.findall(listed)]
        refs += [_same_origin(uri, dep) if dep.startswith(".") else _same_origin("/", "/" + dep) for dep in deps]
    return [ref for ref in refs if ref]


def stylesheet_assets(uri: str, body: bytes) -> list[str]:
    refs = [match[1] or match[3] for match in _CSS_URL.findall(body.decode("utf-8", "replace"))]
    return [resolved for ref in refs if not ref.startswith(("data:", "#")) and (resolved := _same_origin(uri, ref))]


def assets_named(uri: str, body: bytes) -> list[str]:
    """What a browser goes on to load after this file: a module's imports, a stylesheet's
    url()s; nothing for any other file."""
    path = uri.split("?", 1)[0]
    if path.endswith((".js", ".mjs")):
        return module_assets(uri, body)
    if path.endswith(".css"):
        return stylesheet_assets(uri, body)
    return []


def reachable(build: Build) -> list[str]:
    """What the browser loads for the build's / (its index.html), read from the build's files
    instead of a server: the same walk as load_page."""
    files = build.files()
    queue = page_assets(files["/index.html"].read_bytes())
    seen = list(dict.fromkeys(queue))
    while queue:
        uri = queue.pop(0)
        path = files.get(uri.split("?", 1)[0])
        for ref in assets_named(uri, path.read_bytes()) if path else []:
            if ref not in seen:
                seen.append(ref)
                queue.append(ref)
    return seen


@dataclass(frozen=True)
class AssetLoad:
    uri: str
    status: int
    problem: str | None  # why the load failed, None when it did not
    immutable_unhashed: bool  # `immutable` on a file no build hashes
    from_store: bool  # answered by the store through a skew fallback


@dataclass(frozen=True)
class PageLoad:
    page: AssetLoad  # / itself
    page_config: str  # the marker of the server that sent the page
    assets: list[AssetLoad]


def _judge(uri: str, answer: Answer, oracle: Oracle) -> AssetLoad:
    path = uri.split("?", 1)[0]
    problem = None
    if answer.status != 200:
        problem = f"{answer.status}"
    elif answer.content_type == "text/html" and not path.endswith(".html"):
        problem = "HTML for an asset"
    elif answer.body not in oracle.bodies.get(path, frozenset()):
        problem = "no build's file of that name"
    cache_control = ", ".join(answer.headers.get_all("Cache-Control") or [])
    immutable_unhashed = "immutable" in cache_control and path not in oracle.hashed
    from_store = "store" in (answer.headers.get_all(MARKER) or [])
    return AssetLoad(uri, answer.status, problem, immutable_unhashed, from_store)


def load_page(port: int, oracle: Oracle) -> PageLoad:
    """One browser visit: the page, then everything it names, transitively, each once."""
    page = get(port, "/")
    page_problem = None if page.status == 200 and page.content_type == "text/html" else f"{page.status} {page.content_type}"
    page_immutable = "immutable" in ", ".join(page.headers.get_all("Cache-Control") or [])
    loads: list[AssetLoad] = []
    queue = page_assets(page.body) if page_problem is None else []
    seen = set(queue)
    while queue and len(loads) < MAX_ASSETS_PER_PAGE:
        uri = queue.pop(0)
        answer = get(port, uri)
        load = _judge(uri, answer, oracle)
        loads.append(load)
        if load.problem is not None:
            continue
        for ref in assets_named(uri, answer.body):
            if ref not in seen:
                seen.add(ref)
                queue.append(ref)
    return PageLoad(AssetLoad("/", page.status, page_problem, page_immutable, False), page.headers.get(MARKER) or "", loads)


# ---------------------------------------------------------------------------------------------
# A rolling deploy with browsers


@dataclass
class State:
    """The fleet between two steps (or during one): what the browsers saw then."""

    label: str
    pages: int = 0
    page_failures: int = 0  # / itself not a 200 page: the fleet is broken, not just mixed
    asset_loads: int = 0
    failed: int = 0
    immutable_unhashed: int = 0
    from_store: int = 0
    examples: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, object]:
        return {"state": self.label, "pages": self.pages, "page_failures": self.page_failures,
                "asset_loads": self.asset_loads, "failed": self.failed,
                "immutable_unhashed": self.immutable_unhashed, "from_store": self.from_store,
                "examples": self.examples}


@dataclass
class Rollout:
    states: list[State]
    seconds: float
    steps: dict[str, float]  # each step's own duration, seconds

    @property
    def failed(self) -> int:
        return sum(state.failed for state in self.states)

    @property
    def pages(self) -> int:
        return sum(state.pages for state in self.states)

    @property
    def asset_loads(self) -> int:
        return sum(state.asset_loads for state in self.states)

    def settled(self) -> list[State]:
        """The states after a step (and the first): each saw at least `loads_per_state` pages."""
        return self.states[::2]


class _Recorder:
    def __init__(self, first: str) -> None:
        self.lock = threading.Lock()
        self.states = [State(first)]
        self.errors: list[str] = []

    def advance(self, label: str) -> None:
        with self.lock:
            self.states.append(State(label))

    def current(self) -> int:
        with self.lock:
            return len(self.states) - 1

    def pages_in(self, index: int) -> int:
        with self.lock:
            return self.states[index].pages

    def record(self, began: int, ended: int, load: PageLoad) -> None:
        """A load counts for the state it began and ended in; one that a step overlapped
        counts for that step's "during" state (the states alternate: settled, during, ...)."""
        index = began if began == ended or began % 2 else began + 1
        with self.lock:
            state = self.states[index]
            state.pages += 1
            state.page_failures += load.page.problem is not None
            state.immutable_unhashed += load.page.immutable_unhashed  # a page is never hashed
            if load.page.problem and len(state.examples) < 5:
                state.examples.append(f"/: {load.page.problem} (from {load.page_config or 'no backend'})")
            for asset in load.assets:
                state.asset_loads += 1
                state.failed += asset.problem is not None
                state.immutable_unhashed += asset.immutable_unhashed
                state.from_store += asset.from_store
                if (asset.problem or asset.immutable_unhashed) and len(state.examples) < 5:
                    what = asset.problem or "immutable, not hashed"
                    state.examples.append(f"{asset.uri}: {what} (page from {load.page_config})")


def roll(fleet: Fleet, steps: list[Step], oracle: Oracle, *, browsers: int = 3, loads_per_state: int = 6,
         timeout: float = 60.0, max_loads: int = 5000) -> Rollout:
    """Browsers load pages through the load balancer while the steps run one after the other.
    Before the first step and after each, the script waits until the browsers have loaded
    `loads_per_state` pages in that state: every mixed state of the fleet is seen. Loads that
    start while a step runs count for a state of their own ("during ..."). Bounded: at most
    `max_loads` pages per browser, and `timeout` seconds in all."""
    started = time.monotonic()
    deadline = started + timeout
    recorder = _Recorder("before: all on the old build")
    stop = threading.Event()

    def browse() -> None:
        for _ in range(max_loads):
            if stop.is_set() or time.monotonic() > deadline:
                return
            began = recorder.current()
            try:
                load = load_page(fleet.port, oracle)
            except OSError as error:  # the load balancer itself failed: the run is broken, not the deploy
                with recorder.lock:
                    recorder.errors.append(f"{type(error).__name__}: {error}")
                return
            recorder.record(began, recorder.current(), load)

    def wait_for_pages() -> None:
        index = recorder.current()
        while recorder.pages_in(index) < loads_per_state:
            if time.monotonic() > deadline or recorder.errors or not any(t.is_alive() for t in threads):
                raise RuntimeError(f"state {recorder.states[index].label!r}: {recorder.pages_in(index)} of "
                                   f"{loads_per_state} pages loaded in {timeout} s; {recorder.errors[:3]}")
            time.sleep(0.005)

    step_seconds: dict[str, float] = {}
    threads = [threading.Thread(target=browse, name=f"browser{n}", daemon=True) for n in range(browsers)]
    for thread in threads:
        thread.start()
    try:
        wait_for_pages()
        for step in steps:
            recorder.advance(f"during {step.label}")
            step_started = time.monotonic()
            step.action()
            step_seconds[step.label] = time.monotonic() - step_started
            recorder.advance(step.label)
            wait_for_pages()
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=REQUEST_TIMEOUT * 3)
    return Rollout(recorder.states, time.monotonic() - started, step_seconds)


# ---------------------------------------------------------------------------------------------
# The checks every scenario ends with, and a whole scenario


def missing_asset_answers(fleet: Fleet, a: Build) -> list[str]:
    """A hashed-looking name no build has, through the load balancer (once per backend) and
    straight from each backend: each must be a 404 that is neither HTML nor immutable. Returns
    what was wrong."""
    hashed = sorted(a.hashed())[0]
    directory, _, name = hashed.rpartition("/")
    missing = f"{directory}/nginxcache-missing-{name}"
    wrong = []
    targets = [("lb", fleet.port)] * len(fleet.backends) + [(b.name, b.server.port) for b in fleet.backends]
    for where, port in targets:
        answer = get(port, missing)
        cache_control = " ".join(answer.headers.get_all("Cache-Control") or [])
        if answer.status != 404 or answer.content_type == "text/html" or "immutable" in cache_control:
            wrong.append(f"{where} {missing}: {answer.status} {answer.content_type} {cache_control!r}")
    return wrong


@dataclass
class ScenarioResult:
    scenario: str
    pair: str
    rollout: Rollout
    gate_runs: list[GateRun]
    missing_asset_problems: list[str]

    def to_json(self) -> dict[str, object]:
        return {
            "scenario": self.scenario,
            "pair": self.pair,
            "failed": self.rollout.failed,
            "pages": self.rollout.pages,
            "page_failures": sum(s.page_failures for s in self.rollout.states),
            "asset_loads": self.rollout.asset_loads,
            "immutable_unhashed": sum(s.immutable_unhashed for s in self.rollout.states),
            "from_store": sum(s.from_store for s in self.rollout.states),
            "seconds": round(self.rollout.seconds, 2),
            "step_seconds": {label: round(seconds, 3) for label, seconds in self.rollout.steps.items()},
            "states": [state.to_json() for state in self.rollout.states],
            "gate_runs": [{"label": run.label, "exit": run.code, "missing": run.missing()} for run in self.gate_runs],
            "missing_asset_problems": self.missing_asset_problems,
        }


def run_scenario(scenario: str, root: Path, a: Build, b: Build, *, browsers: int = 3, loads_per_state: int = 6,
                 timeout: float = 60.0) -> ScenarioResult:
    """One rolling deploy from A to B on a fresh fleet of three: 'plain', 'gate' or 'skew'."""
    if scenario not in SCENARIOS:
        raise ValueError(f"scenario {scenario!r}: one of {', '.join(SCENARIOS)}")
    if not b.hashed() - a.hashed():
        raise ValueError(f"{b.label} has no hashed file that {a.label} lacks: nothing new for a page to miss "
                         "(give a build B with a changed script or stylesheet)")
    if "/index.html" not in a.files() or "/index.html" not in b.files():
        raise ValueError(f"{a.label} -> {b.label}: the browsers load / and need both builds' index.html")
    oracle = Oracle.of(a, b)
    gate_runs: list[GateRun] = []
    with fleet(root, a, store_of=(a, b) if scenario == "skew" else None) as running:
        steps = {"plain": lambda: plain_steps(running, b),
                 "gate": lambda: gate_steps(running, a, b, gate_runs),
                 "skew": lambda: skew_steps(running, b)}[scenario]()
        rollout = roll(running, steps, oracle, browsers=browsers, loads_per_state=loads_per_state, timeout=timeout)
        problems = missing_asset_answers(running, a)
    return ScenarioResult(scenario, f"{a.label} -> {b.label}", rollout, gate_runs, problems)


# ---------------------------------------------------------------------------------------------
# The skew fallback's cost


def skew_latency(root: Path, a: Build, b: Build, *, rounds: int = 200) -> dict[str, list[float]]:
    """Seconds per GET of build A's hashed files, side by side: from a server on B (missing
    there, fetched from the store) and from a server still on A (on its disk), back to back in
    each round, the order alternating (the i-th samples of both sides are one round). One
    keep-alive connection per side, so that the client's connection set-up is in neither number;
    no browsers run meanwhile."""
    uris = sorted(a.hashed() - b.hashed())
    bodies = Oracle.of(a).bodies
    samples: dict[str, list[float]] = {"via_store": [], "local": []}
    with fleet(root, a, size=2, store_of=(a, b)) as running:
        deployed, still_old = running.backends
        deploy(deployed, b)
        connections = {side: http.client.HTTPConnection("127.0.0.1", backend.server.port, timeout=REQUEST_TIMEOUT)
                       for side, backend in (("via_store", deployed), ("local", still_old))}
        try:
            for round_number in range(rounds):
                uri = uris[round_number % len(uris)]
                for side in ("via_store", "local") if round_number % 2 == 0 else ("local", "via_store"):
                    started = time.perf_counter()
                    connections[side].request("GET", uri)
                    response = connections[side].getresponse()
                    body = response.read()
                    samples[side].append(time.perf_counter() - started)
                    came_from = response.headers.get_all(MARKER) or []
                    if response.status != 200 or body not in bodies[uri] or (side == "via_store") != ("store" in came_from):
                        raise RuntimeError(f"{side} {uri}: {response.status} from {came_from}")
        finally:
            for connection in connections.values():
                connection.close()
    return samples
