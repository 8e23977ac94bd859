"""The Docker sample (sample_configs/docker/), built without Docker from the same files and
served by real nginx.

A small parser reads the Dockerfile (FROM, ARG, ENV, WORKDIR, COPY, RUN). Each stage is built
in a scratch directory that stands for its "/", as in Docker, and its COPY lines are carried
out, from the build context as Dockerfile.dockerignore filters it or from an earlier stage.
Each command of a RUN line is replayed by what it runs:
- render.sh itself, with this checkout's nginxcache, its paths moved into the scratch root
  through its own variables (NGINXCACHE_WEB_ROOT, NGINXCACHE_CONF_DIR);
- the official image's own 20-envsubst-on-templates.sh (tests/fixtures/docker-nginx, checked
  against its upstream sha256), moved by the image's variables NGINX_ENVSUBST_TEMPLATE_DIR and
  NGINX_ENVSUBST_OUTPUT_DIR, with the real envsubst;
- `nginx -t` and the container's nginx: Debian's nginx with a private prefix whose nginx.conf
  has the image's http { } (mime.types, then `include conf.d/*.conf`).
A RUN command the test does not know fails it. The app stage's `npm ci` and `npm run build`
are replaced by sample_configs/vite/dist, the committed build of the same app
(tests/fixtures/npm/vite), and its `pip install` by this checkout; the slow test runs npm and
pip for real and checks the committed build is what npm builds.
"""

from __future__ import annotations

import hashlib
import json
import os
import posixpath
import re
import shlex
import shutil
import socket
import subprocess
import sys
import venv
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from nginx_harness import HASHED_CC, Nginx, check_every_file, free_port

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "sample_configs" / "docker"
DOCKERFILE = SAMPLE / "Dockerfile"
IGNORE_FILE = SAMPLE / "Dockerfile.dockerignore"
ENVSUBST_SCRIPT = Path(__file__).parent / "fixtures" / "docker-nginx" / "20-envsubst-on-templates.sh"
ENVSUBST_SCRIPT_SHA256 = "253c8724acff9f5c0d0e8938e71fe7c33097d40031a5bc9c7f59dfd2ba5f1377"
COMMITTED_BUILD = REPO / "sample_configs" / "vite" / "dist"  # `npm run build` of tests/fixtures/npm/vite

# `docker run -e ...`: the values the container is started with, and lowercase names equal to
# nginx variables the configs use, which envsubst would replace if they reached it.
RUN_ENV = {"NGINX_SERVER_NAME": "docker.example.test"}
HOSTILE_ENV = {"uri": "EATEN", "server_name": "EATEN", "nginxcache_app_file": "EATEN", "http_proxy": "http://proxy.invalid:3128"}

pytestmark = [
    pytest.mark.nginx,
    pytest.mark.skipif(not shutil.which("envsubst"), reason="envsubst not installed (Debian: apt-get install gettext-base)"),
]


# ---------------------------------------------------------------------------- the Dockerfile


@dataclass
class Instruction:
    keyword: str
    args: str


@dataclass
class Stage:
    image: str
    name: str
    instructions: list[Instruction] = field(default_factory=list)


def _logical_lines(text: str) -> Iterator[str]:
    """Instructions with their continuation lines joined; comment lines dropped (also inside one)."""
    current = ""
    for line in text.splitlines():
        if line.lstrip().startswith("#") or (not line.strip() and not current):
            continue
        if line.rstrip().endswith("\\"):
            current += line.rstrip()[:-1] + " "
            continue
        yield (current + line).strip()
        current = ""
    assert not current, "the Dockerfile ends inside a continued line"


def _expand(text: str, variables: dict[str, str]) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2)
        assert name in variables, f"${name} is not declared with a value"
        return variables[name]

    return re.sub(r"\$\{(\w+)\}|\$(\w+)", value, text)


def parse_dockerfile(text: str) -> list[Stage]:
    """The stages, with ARG values expanded in FROM, and stage ARGs in COPY and WORKDIR."""
    global_args: dict[str, str] = {}
    stages: list[Stage] = []
    for line in _logical_lines(text):
        keyword, _, args = line.partition(" ")
        keyword, args = keyword.upper(), args.strip()
        if keyword == "ARG" and not stages:
            name, _, default = args.partition("=")
            global_args[name] = default
        elif keyword == "FROM":
            image, _, name = _expand(args, global_args).partition(" AS ")
            stages.append(Stage(image.strip(), name.strip() or str(len(stages))))
        else:
            assert stages, f"{keyword} before the first FROM"
            stages[-1].instructions.append(Instruction(keyword, args))
    return stages


def env_items(args: str) -> dict[str, str]:
    """`ENV A=1 B=2` (the NAME=VALUE form only)."""
    pairs = [item.partition("=") for item in shlex.split(args)]
    assert all(equals for _, equals, _ in pairs), f"ENV {args}: write NAME=VALUE"
    return {name: value for name, _, value in pairs}


def env_of(stage: Stage) -> dict[str, str]:
    env: dict[str, str] = {}
    for instruction in stage.instructions:
        if instruction.keyword == "ENV":
            env.update(env_items(instruction.args))
    return env


# ---------------------------------------------------------------------------- .dockerignore


def _glob_regex(pattern: str) -> re.Pattern[str]:
    """Docker's pattern syntax: Go's filepath.Match plus `**` for any number of directories."""
    out, i = "", 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
        elif pattern.startswith("**", i):
            out, i = out + ".*", i + 2
        elif pattern[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif pattern[i] == "?":
            out, i = out + "[^/]", i + 1
        else:
            out, i = out + re.escape(pattern[i]), i + 1
    return re.compile(out)


def ignore_rules(text: str) -> list[tuple[bool, re.Pattern[str]]]:
    rules = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        negated = line.startswith("!")
        pattern = posixpath.normpath(line.lstrip("!").strip().strip("/"))
        rules.append((negated, _glob_regex(pattern)))
    return rules


def ignored(relpath: str, rules: list[tuple[bool, re.Pattern[str]]]) -> bool:
    """As BuildKit decides: the last rule matching the path or one of its parents wins."""
    parts = relpath.split("/")
    result = False
    for negated, regex in rules:
        if any(regex.fullmatch("/".join(parts[:n])) for n in range(len(parts), 0, -1)):
            result = not negated
    return result


# ---------------------------------------------------------------------------- the replay

NGINX_CONF_HTTP = """\
    include {mime_types};
    default_type application/octet-stream;
    sendfile on;
    keepalive_timeout 65;
    include {conf_d}/*.conf;
"""


class Replay:
    """The Dockerfile's stages, built one after the other; `root` is the current stage's "/"."""

    def __init__(self, work: Path, *, real_builds: bool = False) -> None:
        self.work, self.real_builds = work, real_builds
        self.root = work / "root"
        self.finished: dict[str, Path] = {}
        self.rules = ignore_rules(IGNORE_FILE.read_text(encoding="utf-8"))
        self.bin = work / "bin"  # where `nginxcache` is, for render.sh
        self.stages = parse_dockerfile(DOCKERFILE.read_text(encoding="utf-8"))
        self.current = self.stages[0]
        self.env: dict[str, str] = {}
        self.workdir = "/"
        self.conf_d: list[str] = []
        self.render_output = ""

    def host(self, path: str) -> Path:
        """Where a path of the stage being built is on this machine."""
        return self.root / posixpath.normpath(posixpath.join(self.workdir, path)).lstrip("/")

    def build(self) -> None:
        for stage in self.stages:
            if self.root.exists():
                previous = self.work / "stages" / self.current.name
                previous.parent.mkdir(exist_ok=True)
                self.root.rename(previous)
                self.finished[self.current.name] = previous
            self.current = stage
            self.root.mkdir()
            self.env, self.workdir = {}, "/"
            self._base_image(stage.image)
            args: dict[str, str] = {}
            for instruction in stage.instructions:
                step = getattr(self, f"_{instruction.keyword.lower()}", None)
                if step is None:
                    pytest.fail(f"this test cannot replay {instruction.keyword} {instruction.args}: teach Replay")
                step(instruction.args, args)
        self.conf_d = sorted(p.name for p in self.host("/etc/nginx/conf.d").iterdir())  # as in the image

    # The base images: what of them the stages use.
    def _base_image(self, image: str) -> None:
        if image.startswith("nginx:"):
            etc = self.root / "etc" / "nginx"
            (etc / "conf.d").mkdir(parents=True)
            (etc / "conf.d" / "default.conf").write_text("# stand-in for the image's default server\n")
            html = self.root / "usr" / "share" / "nginx" / "html"
            html.mkdir(parents=True)
            (html / "index.html").write_text("Welcome to nginx!\n")
            (html / "50x.html").write_text("An error occurred.\n")
            (self.root / "docker-entrypoint.d").mkdir()
            shutil.copy2(ENVSUBST_SCRIPT, self.root / "docker-entrypoint.d" / ENVSUBST_SCRIPT.name)
            self.env["NGINX_VERSION"] = image.partition(":")[2]

    def _arg(self, args: str, stage_args: dict[str, str]) -> None:
        name, equals, default = args.partition("=")
        assert equals, f"ARG {args}: this test needs the default here"
        stage_args[name] = default

    def _env(self, args: str, stage_args: dict[str, str]) -> None:
        self.env.update(env_items(args))

    def _workdir(self, args: str, stage_args: dict[str, str]) -> None:
        self.workdir = posixpath.join(self.workdir, _expand(args, stage_args))
        self.host(".").mkdir(parents=True, exist_ok=True)

    def _copy(self, args: str, stage_args: dict[str, str]) -> None:
        words = shlex.split(_expand(args, stage_args))
        flags = [w for w in words if w.startswith("--")]
        *sources, dest = [w for w in words if not w.startswith("--")]
        from_stage = next((f.partition("=")[2] for f in flags if f.startswith("--from=")), None)
        into_directory = dest.endswith("/") or len(sources) > 1
        for source in sources:
            if from_stage is not None:
                origin = self.finished[from_stage] / source.lstrip("/")
                files = [p for p in origin.rglob("*") if p.is_file()] if origin.is_dir() else [origin]
            else:
                origin = REPO / source
                files = [p for p in origin.rglob("*") if p.is_file()] if origin.is_dir() else [origin]
                files = [p for p in files if not ignored(p.relative_to(REPO).as_posix(), self.rules)]
            assert files and all(p.is_file() for p in files), f"COPY {args}: {source} is not in the build context or stage"
            for path in files:
                if origin.is_dir():
                    target = self.host(dest) / path.relative_to(origin)
                else:
                    target = self.host(dest) / path.name if into_directory else self.host(dest)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, target)

    def _run(self, args: str, stage_args: dict[str, str]) -> None:
        for command in args.split("&&"):
            argv = shlex.split(_expand(command, {**stage_args, **self.env}))
            self.run_command(argv)

    # RUN, command by command
    def run_command(self, argv: list[str]) -> None:
        cwd = self.host(".")
        if argv[:2] == ["npm", "ci"] or argv == ["npm", "run", "build"]:
            if self.real_builds:
                _checked(subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=600), " ".join(argv))
            elif argv[1] == "run":
                shutil.copytree(COMMITTED_BUILD, cwd / "dist")
        elif argv[:2] == ["pip", "install"] and argv[-1] == ".":
            self._install_nginxcache(cwd)
        elif argv[0] == "sh" and len(argv) == 2:
            self._render(self.host(argv[1]))
        elif argv[0] == "rm":
            for path in (a for a in argv[1:] if not a.startswith("-")):
                target = self.host(path)
                assert target.exists(), f"RUN rm {path}: no such file (the build would fail)"
                shutil.rmtree(target) if target.is_dir() else target.unlink()
        elif argv[0].startswith("/docker-entrypoint.d/"):
            self.entrypoint_script(self.env)
        elif argv == ["nginx", "-t"]:
            result = self.nginx(port=0).test()
            assert result.returncode == 0 and "[warn]" not in result.stderr, result.stderr
        else:
            pytest.fail(f"this test cannot replay RUN {shlex.join(argv)}: teach run_command")

    def _install_nginxcache(self, source: Path) -> None:
        self.bin.mkdir(exist_ok=True)
        if not self.real_builds:  # this checkout's nginxcache, in this interpreter
            shim = self.bin / "nginxcache"
            shim.write_text(f'#!/bin/sh\nexec {shlex.quote(sys.executable)} -m nginxcache "$@"\n')
            shim.chmod(0o755)
            return
        environment = self.work / "venv"
        venv.create(environment)  # this interpreter's pip installs into it (no ensurepip: 20 s saved)
        pip = [sys.executable, "-m", "pip", "--python", str(environment / "bin" / "python"), "install", str(source)]
        _checked(subprocess.run(pip, capture_output=True, text=True, timeout=600), "pip install")
        (self.bin / "nginxcache").symlink_to(environment / "bin" / "nginxcache")

    def _render(self, script: Path) -> None:
        """render.sh, its default paths (NGINXCACHE_*) moved into the stage's root."""
        text = script.read_text(encoding="utf-8")
        env = {name: str(self.host(default)) for name, default in re.findall(r"\$\{(NGINXCACHE_\w+):-([^}]*)\}", text)}
        assert set(env) == {"NGINXCACHE_WEB_ROOT", "NGINXCACHE_CONF_DIR"}, env
        env["PATH"] = f"{self.bin}:{os.environ['PATH']}"
        result = subprocess.run(["sh", str(script)], env=env, capture_output=True, text=True, timeout=120)
        _checked(result, "render.sh")
        self.render_output = result.stderr

    # The image at run time
    def entrypoint_script(self, env: dict[str, str], script: Path | None = None) -> subprocess.CompletedProcess[str]:
        """The image's 20-envsubst-on-templates.sh, in a container's environment (`env` on top),
        its template and output directories moved into the root by its own variables."""
        full_env = {
            "PATH": os.environ["PATH"], "HOME": "/root", "HOSTNAME": "0123456789ab",
            "NGINX_ENVSUBST_TEMPLATE_DIR": str(self.host("/etc/nginx/templates")),
            "NGINX_ENVSUBST_OUTPUT_DIR": str(self.host("/etc/nginx/conf.d")),
            **env,
        }
        script = script or self.host(f"/docker-entrypoint.d/{ENVSUBST_SCRIPT.name}")
        result = subprocess.run([str(script)], env=full_env, capture_output=True, text=True, timeout=60)
        _checked(result, script.name)
        return result

    def nginx(self, port: int) -> Nginx:
        """nginx as the image runs it: its nginx.conf's http { }, with a private prefix."""
        mime_types = Path("/etc/nginx/mime.types")
        http = NGINX_CONF_HTTP.format(mime_types=mime_types, conf_d=self.host("/etc/nginx/conf.d"))
        if not mime_types.is_file():
            http = http.replace(f"    include {mime_types};\n", "")
        return Nginx(self.host("/etc/nginx"), http, port)

    def start(self, env: dict[str, str]) -> Nginx:
        """`docker run -e ...`: the entrypoint script with the image's ENV and `env`, then nginx."""
        for _ in range(5):
            port = free_port()
            self.entrypoint_script({**self.env, **env, "NGINX_PORT": f"127.0.0.1:{port}"})
            server = self.nginx(port)
            try:
                server.start()
                return server
            except RuntimeError as exc:
                if "Address already in use" not in str(exc):
                    raise
        raise RuntimeError("no free port for nginx")


def _checked(result: subprocess.CompletedProcess[str], what: str) -> None:
    assert result.returncode == 0, f"{what} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"


# ---------------------------------------------------------------------------- the checks


def vite_hashed(manifest: Path) -> set[str]:
    """The files the Vite manifest names as outputs: this test's own reading of the evidence."""
    outputs = set()
    for chunk in json.loads(manifest.read_text(encoding="utf-8")).values():
        outputs.add(chunk["file"])
        outputs.update(chunk.get("css", []), chunk.get("assets", []))
    return {"/" + output for output in outputs}


def check_served(replay: Replay, server: Nginx) -> None:
    web_root = replay.host("/usr/share/nginx/html")
    hashed = vite_hashed(web_root / ".vite" / "manifest.json")
    assert len(hashed) >= 3, hashed

    # Every file: its own bytes; the hashed ones immutable, every other revalidated (304s).
    assert check_every_file(server, web_root, "/", hashed, {"/.vite/manifest.json"}) >= 7
    script = sorted(h for h in hashed if h.endswith(".js"))[0]
    response = server.request(script)
    assert response.one("Cache-Control") == HASHED_CC

    # The page revalidates, at / and by name.
    for uri in ("/", "/index.html"):
        response = server.request(uri)
        assert response.status == 200 and response.body == (web_root / "index.html").read_bytes()
        assert response.all("Cache-Control") == ["no-cache"]
        assert response.one("ETag")

    # A missing asset is a plain 404, never the single-page app's HTML; a route gets the app.
    missing = server.request("/assets/index-MISSING0.js")
    assert missing.status == 404, missing.status
    assert b"<html" not in missing.body.lower() and "html" not in (missing.one("Content-Type") or "")
    assert missing.body != (web_root / "index.html").read_bytes()
    assert not any("immutable" in value for value in missing.all("Cache-Control"))
    route = server.request("/settings/profile")
    assert route.status == 200 and route.body == (web_root / "index.html").read_bytes()
    assert route.all("Cache-Control") == ["no-cache"]
    assert server.request("/.vite/manifest.json").status == 404

    # The environment took effect (the port we reached, the server name), and nginx's own
    # $server_name survived envsubst: it is expanded per request, to the substituted name.
    health = server.request("/healthz")
    assert (health.status, health.body) == (200, f"ok {RUN_ENV['NGINX_SERVER_NAME']}\n".encode())


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Replay:
    replay = Replay(tmp_path_factory.mktemp("docker"))
    replay.build()
    return replay


@pytest.fixture(scope="module")
def container(built: Replay) -> Iterator[Nginx]:
    server = built.start({**RUN_ENV, **HOSTILE_ENV})
    yield server
    server.stop()


# ---------------------------------------------------------------------------- the tests


def test_vendored_entrypoint_script_is_upstreams() -> None:
    assert hashlib.sha256(ENVSUBST_SCRIPT.read_bytes()).hexdigest() == ENVSUBST_SCRIPT_SHA256
    assert os.access(ENVSUBST_SCRIPT, os.X_OK)


def test_dockerfile_shape() -> None:
    stages = parse_dockerfile(DOCKERFILE.read_text(encoding="utf-8"))
    assert [stage.image.partition(":")[0] for stage in stages] == ["node", "python", "nginx"]
    for stage in stages:  # exact versions: x.y.z
        assert re.fullmatch(r"[a-z]+:\d+\.\d+\.\d+(-[a-z-]+)?", stage.image), stage.image
    app, render, final = stages
    app_dir = next(i.args for i in app.instructions if i.keyword == "ARG" and i.args.startswith("APP_DIR=")).partition("=")[2]
    assert (REPO / app_dir / "package-lock.json").is_file(), "npm ci needs the lockfile"
    assert Instruction("RUN", "sh /usr/local/bin/render.sh") in render.instructions
    env = env_of(final)
    assert env["NGINX_ENVSUBST_FILTER"] == "^NGINX_"
    # Every variable of the template is one the filter lets through, with a default in the
    # image: an unset one would reach nginx as "${NAME}".
    template = (SAMPLE / "app.conf.template").read_text(encoding="utf-8")
    names = set(re.findall(r"\$\{(\w+)\}", template))
    assert names == {"NGINX_PORT", "NGINX_SERVER_NAME"}
    assert all(re.match(env["NGINX_ENVSUBST_FILTER"], name) and name in env for name in names)
    assert not re.search(r"\$NGINX_", template), "write ${NGINX_...}: one form only"


def test_dockerignore_sends_only_what_the_stages_copy() -> None:
    rules = ignore_rules(IGNORE_FILE.read_text(encoding="utf-8"))
    for kept in ("pyproject.toml", "nginxcache/cli/__init__.py", "templates/server.conf.j2", "sample_configs/docker/render.sh",
                 "tests/fixtures/npm/vite/package-lock.json", "tests/fixtures/npm/vite/src/main.js"):
        assert not ignored(kept, rules), kept
    for left_out in (".git/HEAD", ".venv/bin/python", "tests/test_cli.py", "sample_configs/builds/astro/dist/index.html",
                     "tests/fixtures/npm/vite/node_modules/vite/package.json", "tests/fixtures/npm/vite/dist/index.html",
                     "nginxcache/__pycache__/cli.cpython-311.pyc"):
        assert ignored(left_out, rules), left_out


def test_render_stage_writes_plain_config_the_final_stage_copies(built: Replay) -> None:
    rendered = built.finished["render"] / "etc" / "nginx"
    http_part = (rendered / "conf.d" / "app-assets.conf").read_text(encoding="utf-8")
    server_part = (rendered / "snippets" / "app-assets.conf").read_text(encoding="utf-8")
    assert "detected Vite" in built.render_output
    # nginx variables a template's envsubst could take: these parts are never templates.
    assert "$nginxcache_app_hashed" in http_part and '"${uri}index.html"' in http_part
    assert "$nginxcache_app_file" in server_part and "$document_root" in server_part
    final = built.root / "etc" / "nginx"
    assert (final / "conf.d" / "app-assets.conf").read_text(encoding="utf-8") == http_part
    assert (final / "snippets" / "app-assets.conf").read_text(encoding="utf-8") == server_part
    assert not list((final / "templates").glob("*assets*"))
    # The image's own server and pages are gone; the check's app.conf is written again at start.
    assert built.conf_d == ["app-assets.conf"]
    web_root = built.host("/usr/share/nginx/html")
    served = sorted(p.relative_to(web_root).as_posix() for p in web_root.rglob("*") if p.is_file())
    assert served == sorted(p.relative_to(COMMITTED_BUILD).as_posix() for p in COMMITTED_BUILD.rglob("*") if p.is_file())


def test_container_serves_the_app(built: Replay, container: Nginx) -> None:
    check_served(built, container)
    # The entrypoint left the rendered config as it was, nginx variables and all.
    rendered = built.finished["render"] / "etc" / "nginx" / "conf.d" / "app-assets.conf"
    assert (built.root / "etc" / "nginx" / "conf.d" / "app-assets.conf").read_bytes() == rendered.read_bytes()
    conf = (built.root / "etc" / "nginx" / "conf.d" / "app.conf").read_text(encoding="utf-8")
    assert f"listen 127.0.0.1:{container.port};" in conf and f"server_name {RUN_ENV['NGINX_SERVER_NAME']};" in conf
    assert 'return 200 "ok $server_name\\n";' in conf


def test_envsubst_without_the_filter_takes_nginx_variables(built: Replay, tmp_path: Path) -> None:
    """The trap the filter closes, shown with the same script: without NGINX_ENVSUBST_FILTER,
    every variable of the environment is substituted, lowercase names equal to nginx's too, in
    the template and in the rendered http part had it been made a template."""
    templates, output = tmp_path / "templates", tmp_path / "conf.d"
    templates.mkdir()
    output.mkdir()
    shutil.copy(SAMPLE / "app.conf.template", templates)
    shutil.copy(built.root / "etc" / "nginx" / "conf.d" / "app-assets.conf", templates / "app-assets.conf.template")
    paths = {"NGINX_ENVSUBST_TEMPLATE_DIR": str(templates), "NGINX_ENVSUBST_OUTPUT_DIR": str(output)}
    unfiltered = {k: v for k, v in built.env.items() if k != "NGINX_ENVSUBST_FILTER"}

    built.entrypoint_script({**unfiltered, **RUN_ENV, **HOSTILE_ENV, **paths})
    assert 'return 200 "ok EATEN\\n";' in (output / "app.conf").read_text(encoding="utf-8")
    assert '"EATENindex.html"' in (output / "app-assets.conf").read_text(encoding="utf-8")

    built.entrypoint_script({**built.env, **RUN_ENV, **HOSTILE_ENV, **paths})
    assert 'return 200 "ok $server_name\\n";' in (output / "app.conf").read_text(encoding="utf-8")
    assert (output / "app-assets.conf").read_bytes() == (templates / "app-assets.conf.template").read_bytes()


def _network() -> bool:
    for host in ("registry.npmjs.org", "pypi.org"):
        try:
            socket.create_connection((host, 443), timeout=5).close()
        except OSError:
            return False
    return True


def _node_ok() -> bool:
    if not (shutil.which("npm") and shutil.which("node")):
        return False
    version = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip().lstrip("v")
    return tuple(int(p) for p in version.split(".")[:2]) >= (20, 19)


@pytest.mark.slow
@pytest.mark.skipif(not _node_ok(), reason="needs node >= 20.19 and npm (Vite 7) for the app stage")
def test_real_build_replayed(tmp_path: Path) -> None:
    """All three stages for real: npm ci and npm run build of the app, pip install of what the
    render stage copies, then render.sh and the container as above."""
    replay = Replay(tmp_path, real_builds=True)
    try:
        replay.build()
    except AssertionError:
        if not _network():
            pytest.skip("no network for npm ci / pip install")
        raise
    built_files = replay.finished["app"] / "app" / "dist"
    for path in COMMITTED_BUILD.rglob("*"):  # the quick tests' stand-in is what npm builds
        if path.is_file():
            assert (built_files / path.relative_to(COMMITTED_BUILD)).read_bytes() == path.read_bytes(), path
    server = replay.start({**RUN_ENV, **HOSTILE_ENV})
    try:
        check_served(replay, server)
    finally:
        server.stop()
