"""The Ansible collection nginxcache.nginx (nginxcache/ansible/) and its module nginxcache_render.

Quick tests: the module's options are render's flags with render's defaults, the module's
documentation agrees with its argument spec, and the typed half of the module
(nginxcache.integrations.ansible_render) builds the very request render builds, writes only
what changes, and leaves the files when `nginx -t` refuses the result.

Slow tests: real ansible-core from PyPI (a venv cached under ~/.cache/nginxcache-tests/, keyed
by its version), the collection installed with ansible-galaxy, and ansible-playbook against
localhost with a playbook written here; the managed host's Python is this one, whose
nginxcache is the checkout's. What the playbook wrote is served by real nginx.
"""

from __future__ import annotations

import ast
import fcntl
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import venv
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import typer.main
from conftest import REPO, SAMPLES
from nginx_harness import check_every_file, start_nginx

from nginxcache import __version__, pipeline
from nginxcache.cli import app, main
from nginxcache.detect import TOOL_NAMES
from nginxcache.errors import NginxTestError, UsageError
from nginxcache.integrations.ansible_render import parse_size, request_from, run
from nginxcache.model import CdnHeader, ManifestFormat

COLLECTION = REPO / "nginxcache" / "ansible"
MODULE_FILE = COLLECTION / "plugins" / "modules" / "nginxcache_render.py"
VITE = SAMPLES / "vite" / "dist"
VITE_HASHED = {"/assets/index-BguJmoAq.css", "/assets/index-YpS4Hvbq.js", "/assets/lazy-CD01446e.js", "/assets/logo-CSWhh80n.svg"}
# render's own options that are Ansible's business in the module: check mode and diff mode.
ANSIBLE_OWN = {"check", "diff", "old_format"}
# A header include with a variable nginx does not know: crossplane reads it, `nginx -t` refuses it.
UNKNOWN_VARIABLE_HEADERS = "add_header X-Content-Type-Options nosniff;\nadd_header X-Release $release_id;\n"


def _module_values() -> dict[str, Any]:
    """DOCUMENTATION, EXAMPLES, RETURN and ARGUMENT_SPEC of the module file, read without
    importing it (it imports ansible, which this venv does not have)."""
    values: dict[str, Any] = {}
    for node in ast.parse(MODULE_FILE.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign | ast.AnnAssign):
            target = node.targets[0] if isinstance(node, ast.Assign) else node.target
            if isinstance(target, ast.Name) and target.id in ("DOCUMENTATION", "EXAMPLES", "RETURN", "ARGUMENT_SPEC"):
                values[target.id] = eval(compile(ast.Expression(node.value), str(MODULE_FILE), "eval"), {"dict": dict})  # noqa: S307
    return values


MODULE = _module_values()
SPEC: dict[str, dict[str, Any]] = MODULE["ARGUMENT_SPEC"]


def _render_params() -> dict[str, Any]:
    """render's click parameters by name (`--nginx-test` is `run_nginx_test` there)."""
    command = typer.main.get_command(app).commands["render"]  # type: ignore[attr-defined]
    return {("nginx_test" if p.name == "run_nginx_test" else p.name): p for p in command.params}


def test_module_options_are_renders_flags_with_its_defaults() -> None:
    render_params = _render_params()
    assert set(SPEC) == set(render_params) - ANSIBLE_OWN
    for option, spec in SPEC.items():
        param = render_params[option]
        default = param.default.value if hasattr(param.default, "value") else param.default
        if option == "max_manifest_size":
            assert parse_size(spec["default"], 0) == default
        else:
            assert spec.get("default") == default, option
        many = getattr(param, "multiple", False) or option == "manifests"
        assert (spec["type"] == "list") == many, option
    assert SPEC["manifest_format"]["choices"] == [f.value for f in ManifestFormat if f.value not in ("scan", "links")]
    assert SPEC["framework"]["choices"] == list(TOOL_NAMES)
    assert SPEC["cdn_header"]["choices"] == [header.value for header in CdnHeader]


def test_module_documentation_matches_its_argument_spec() -> None:
    """What ansible-test's validate-modules checks: every option documented as declared."""
    yaml = pytest.importorskip("yaml")  # PyYAML: Ansible's own YAML reader
    documented_options: dict[str, dict[str, Any]] = yaml.safe_load(MODULE["DOCUMENTATION"])["options"]
    assert set(documented_options) == set(SPEC)
    for option, spec in SPEC.items():
        documented = documented_options[option]
        assert documented.get("description"), option
        for key in ("type", "elements", "choices", "default"):
            assert documented.get(key) == spec.get(key), f"{option}: {key}"
    for block in ("EXAMPLES", "RETURN"):
        assert yaml.safe_load(MODULE[block]), block
    for task in yaml.safe_load(MODULE["EXAMPLES"]):
        assert set(task["nginxcache.nginx.nginxcache_render"]) <= set(SPEC)


def test_collection_metadata() -> None:
    yaml = pytest.importorskip("yaml")
    galaxy = yaml.safe_load((COLLECTION / "galaxy.yml").read_text())
    assert (galaxy["namespace"], galaxy["name"]) == ("nginxcache", "nginx")
    assert galaxy["version"] == __version__, "the collection's version follows nginxcache's"
    assert (COLLECTION / galaxy["readme"]).is_file()
    assert yaml.safe_load((COLLECTION / "meta" / "runtime.yml").read_text())["requires_ansible"].startswith(">=")


# Each render command line beside the module's options that say the same.
SAME_REQUEST = [
    (
        [str(VITE), "--http-out", "/etc/h.conf", "--server-out", "/etc/s.conf"],
        {"manifests": [str(VITE)], "http_out": "/etc/h.conf", "server_out": "/etc/s.conf"},
    ),
    (
        [str(VITE), "--framework", "vite", "--spa", "index.html", "--not-found-page", "none", "--no-clean-urls", "--prefix", "/app/",
         "--immutable-prefix", "/app/assets/", "--immutable-prefix-exclude", "/app/assets/x.js", "--service-worker", "w.js",
         "--site-out", "/etc/site.conf", "--server-name", "a.example", "--listen", "443 ssl", "--listen", "80",
         "--max-age", "600", "--unhashed-max-age", "60", "--gzip-static", "--brotli", "--cors-fonts", "*",
         "--add-header", "X-A: b", "--name", "app", "--headers-include", "h.conf", "--gzip-proxied", "--no-open-file-cache",
         "--no-map-hash-sizes", "--disable-symlinks", "if_not_owner", "--max-manifest-size", "512M", "--serve-manifest",
         "--deny-source-maps", "--cdn-max-age", "300", "--cdn-header", "cdn-cache-control", "--stale-while-revalidate", "30",
         "--missing-max-age", "10", "--skew-origin", "https://old.example", "--skew-origin", "http://10.0.0.2:8080",
         "--skew-timeout", "5", "--skew-ca", "/etc/ca.pem"],
        {"manifests": [str(VITE)], "framework": "vite", "spa": "index.html", "not_found_page": "none", "clean_urls": False,
         "prefix": "/app/", "immutable_prefix": ["/app/assets/"], "immutable_prefix_exclude": ["/app/assets/x.js"],
         "service_worker": ["w.js"], "site_out": "/etc/site.conf", "server_name": ["a.example"], "listen": ["443 ssl", "80"],
         "max_age": 600, "unhashed_max_age": 60, "gzip_static": True, "brotli": True, "cors_fonts": "*", "add_header": ["X-A: b"],
         "name": "app", "headers_include": "h.conf", "gzip_proxied": True, "open_file_cache": False, "map_hash_sizes": False,
         "disable_symlinks": "if_not_owner", "max_manifest_size": "512M", "serve_manifest": True, "deny_source_maps": True,
         "cdn_max_age": 300, "cdn_header": "cdn-cache-control", "stale_while_revalidate": 30, "missing_max_age": 10,
         "skew_origin": ["https://old.example", "http://10.0.0.2:8080"], "skew_timeout": 5, "skew_ca": "/etc/ca.pem"},
    ),
    (
        [str(VITE / ".vite" / "manifest.json"), "--root", "/srv/dist", "--manifest-format", "vite", "--keep-manifest", "/old/m.json",
         "--scan", "/srv/more", "--trust-pattern", "x", "--strategy", "regex", "--pattern", "p", "--server-out", "/etc/s.conf",
         "--no-gzip-static"],
        {"manifests": [str(VITE / ".vite" / "manifest.json")], "root": "/srv/dist", "manifest_format": "vite",
         "keep_manifest": ["/old/m.json"], "scan": ["/srv/more"], "trust_pattern": "x", "strategy": "regex", "pattern": "p",
         "server_out": "/etc/s.conf", "gzip_static": False},
    ),
]


@pytest.mark.parametrize(("args", "params"), SAME_REQUEST, ids=["build-dir", "every-option", "manifest"])
def test_module_builds_the_request_render_builds(args: list[str], params: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[pipeline.Request] = []

    def spy(request: pipeline.Request) -> pipeline.Plan:
        seen.append(request)
        raise UsageError("stopped by the test")

    monkeypatch.setattr(pipeline, "plan", spy)
    assert main(["render", *args]) == 2
    assert seen == [request_from(params)]


def test_every_render_option_is_in_a_request_comparison() -> None:
    """The comparison above covers every option, so a new one cannot be mapped wrong unseen."""
    covered = {option for _, params in SAME_REQUEST for option in params}
    assert covered == set(SPEC) - {"nginx_test", "nginx"}


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"manifests": ["dist"], "server_out": "/x.conf"}, "manifests 'dist': give an absolute path"),
        ({"manifests": [str(VITE)], "http_out": "out/h.conf", "server_out": "/s.conf"}, "http_out 'out/h.conf': give an absolute path"),
        ({"manifests": [str(VITE)]}, "give http_out and server_out (or site_out)"),
        ({"manifests": [str(VITE)], "server_out": "/s.conf", "strategy": "hash"}, "strategy 'hash': not one of map, exact, regex"),
        ({"manifests": [str(VITE)], "server_out": "/s.conf", "max_manifest_size": "lots"}, "max_manifest_size 'lots' is not a size"),
        ({"manifests": [str(VITE)], "server_out": "/s.conf", "max_age": "1y"}, "max_age: give a whole number of seconds"),
    ],
)
def test_bad_options_are_one_line(params: dict[str, Any], message: str) -> None:
    with pytest.raises(UsageError) as raised:
        run(params)
    assert message in str(raised.value) and "\n" not in str(raised.value)


def _outputs(etc: Path) -> dict[str, str]:
    return {"http_out": str(etc / "conf.d" / "app-assets.conf"), "server_out": str(etc / "snippets" / "app-assets.conf")}


def _etc(tmp_path: Path) -> Path:
    etc = tmp_path / "etc"
    (etc / "conf.d").mkdir(parents=True)
    (etc / "snippets").mkdir()
    return etc


def _contents(etc: Path) -> dict[str, tuple[bytes, int]]:
    return {str(p): (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(etc.rglob("*")) if p.is_file()}


def test_run_check_diff_write_and_again(tmp_path: Path) -> None:
    etc = _etc(tmp_path)
    params = {"manifests": [str(VITE)], **_outputs(etc)}
    checked = run(params, check_mode=True, diff_mode=True).result
    assert checked["changed"] and checked["written"] == [] and _contents(etc) == {}
    assert checked["msg"].startswith("would change ")
    assert [d["before_header"] for d in checked["diff"]] == [f"{p} (absent)" for p in _outputs(etc).values()]
    assert '"/assets/index-YpS4Hvbq.js" 1;' in checked["diff"][0]["after"]

    written = run(params).result
    assert written["changed"] and written["written"] == list(_outputs(etc).values())
    assert "diff" not in written
    assert written["detected"]["tool"] == "vite" and written["detected"]["line"].startswith("detected Vite in ")
    assert (written["prefix"], written["hashed"], written["strategy"]) == ("/", 4, "map")
    assert [(f["role"], f["changed"]) for f in written["files"]] == [("http", True), ("server", True)]
    assert checked["diff"][0]["after"] == Path(_outputs(etc)["http_out"]).read_text()
    before = _contents(etc)

    again = run(params, check_mode=True, diff_mode=True).result
    assert not again["changed"] and again["diff"] == [] and again["msg"] == "2 file(s) unchanged"
    assert not run(params).result["changed"]
    assert _contents(etc) == before, "an unchanged file is not rewritten"

    changed = run({**params, "max_age": 600}, check_mode=True, diff_mode=True).result
    assert changed["changed"] and changed["files"][0]["changed"]
    assert changed["diff"][0]["before_header"] == changed["diff"][0]["after_header"] == _outputs(etc)["http_out"]
    assert "max-age=31536000" in changed["diff"][0]["before"] and "max-age=600" in changed["diff"][0]["after"]
    assert _contents(etc) == before


@pytest.mark.nginx
def test_run_refused_by_nginx_leaves_the_old_files(tmp_path: Path) -> None:
    etc = _etc(tmp_path)
    params: dict[str, Any] = {"manifests": [str(VITE)], **_outputs(etc), "nginx_test": True}
    assert run(params).result["nginx_tested"]
    before = _contents(etc)
    headers = tmp_path / "headers.conf"
    headers.write_text(UNKNOWN_VARIABLE_HEADERS)
    for check_mode in (True, False):
        with pytest.raises(NginxTestError) as raised:
            run({**params, "headers_include": str(headers)}, check_mode=check_mode)
        assert str(raised.value).endswith('unknown "release_id" variable')
    assert _contents(etc) == before


# --- real ansible-core -------------------------------------------------------------------

ANSIBLE_CORE = "2.19.14"
CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "nginxcache-tests"
NETWORK_TROUBLE = ("NewConnectionError", "Temporary failure in name resolution", "Network is unreachable", "No matching distribution")
RECAP = re.compile(r"^localhost\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M)

PLAYBOOK = """\
- name: A site's static files cached right, with nginxcache
  hosts: all
  gather_facts: false
  tasks:
    - name: Render the caching config for the build nginx serves
      nginxcache.nginx.nginxcache_render:
        manifests: ["{{ build }}"]
        http_out: "{{ etc }}/conf.d/app-assets.conf"
        server_out: "{{ etc }}/snippets/app-assets.conf"
        add_header: ["X-Content-Type-Options: nosniff"]
        headers_include: "{{ headers_include | default(omit) }}"
        nginx_test: true
      register: rendered

    - name: The site's own server snippet, linted as where it will live
      ansible.builtin.template:
        src: "{{ playbook_dir }}/app.conf.j2"
        dest: "{{ etc }}/snippets/app.conf"
        validate: "{{ nginxcache }} lint --as {{ etc }}/snippets/app.conf --context server %s"

    - name: Keep what the module returned, for the test
      ansible.builtin.copy:
        content: "{{ rendered | to_nice_json }}"
        dest: "{{ results }}/render.json"
      check_mode: false
      changed_when: false
"""

# The site's server snippet: it includes the module's output by a path relative to nginx's
# configuration directory, which `lint --as` finds from where the file will live.
APP_TEMPLATE = """\
# {{ ansible_managed }}
include snippets/app-assets.conf;

location = /healthz {
    default_type text/plain;
    return 200 "ok\\n";
}
"""
# A server-level header that the included locations' add_header would drop (NC105): lint sees
# it only with the included file, found through --as.
BAD_TEMPLATE = "add_header X-Frame-Options DENY;\n" + APP_TEMPLATE


@dataclass
class Playbook:
    """One ansible-playbook run: its output, the recap's counts, what the module returned."""

    returncode: int
    output: str
    changed: int
    failed: int
    rendered: dict[str, Any] | None


class Ansible:
    """ansible-core in a cached venv, the collection installed from the checkout into a
    private collections path, and nothing read from or written to ~/.ansible."""

    def __init__(self, bin_dir: Path, home: Path) -> None:
        self.bin_dir, self.home = bin_dir, home
        self.collections = home / "collections"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_") and k not in ("PYTHONPATH", "VIRTUAL_ENV")}
        self.env.update(
            ANSIBLE_HOME=str(home / "ansible-home"),
            ANSIBLE_COLLECTIONS_PATH=str(self.collections),
            ANSIBLE_LOCAL_TEMP=str(home / "tmp"),
            ANSIBLE_REMOTE_TEMP=str(home / "tmp"),
            ANSIBLE_NOCOLOR="1",
            ANSIBLE_DEPRECATION_WARNINGS="0",
            ANSIBLE_PYTHON_INTERPRETER=sys.executable,  # the managed host's Python: it has this checkout's nginxcache
        )

    def command(self, name: str, *args: str | Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.bin_dir / name), *map(str, args)], cwd=self.home, env=self.env, capture_output=True, text=True, timeout=timeout
        )

    def playbook(self, text: str, workdir: Path, *flags: str, template: str = APP_TEMPLATE, **extra_vars: str) -> Playbook:
        """Run `text` against localhost from workdir, with `template` as app.conf.j2 beside it;
        `results` (for the module's return) is made there too."""
        path = workdir / "playbook.yml"
        path.write_text(text)
        (workdir / "app.conf.j2").write_text(template)
        extra_vars.setdefault("nginxcache", _nginxcache_command())
        results = workdir / "results"
        shutil.rmtree(results, ignore_errors=True)
        results.mkdir()
        variables = json.dumps({"results": str(results), **extra_vars})
        ran = self.command("ansible-playbook", "-i", "localhost,", "-c", "local", "-e", variables, *flags, path)
        output = ran.stdout + ran.stderr
        recap = RECAP.search(output)
        assert recap is not None, output
        returned = results / "render.json"
        rendered = json.loads(returned.read_text()) if returned.exists() else None
        return Playbook(ran.returncode, output, int(recap.group(2)), int(recap.group(4)), rendered)


def _pip_install(python: Path, *requirements: str) -> None:
    try:
        subprocess.run([str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", *requirements],
                       check=True, capture_output=True, text=True, timeout=900)
    except subprocess.CalledProcessError as exc:
        if any(sign in exc.stderr for sign in NETWORK_TROUBLE):
            pytest.skip(f"cannot install {' '.join(requirements)} (no network?): {exc.stderr.strip().splitlines()[-1]}")
        raise AssertionError(f"pip install {' '.join(requirements)} failed:\n{exc.stderr}") from None


def ansible_core_venv() -> Path:
    """A venv with ansible-core, made once per version and Python and kept in the cache. Made
    in place (a venv's scripts name its path) under a lock, and marked complete last: a run
    stopped half-way leaves a venv that the next run makes again."""
    target = CACHE / f"ansible-core-{ANSIBLE_CORE}-py{sys.version_info.major}.{sys.version_info.minor}"
    complete = target / "nginxcache-tests-complete"
    CACHE.mkdir(parents=True, exist_ok=True)
    with open(CACHE / f".{target.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not complete.exists():
            shutil.rmtree(target, ignore_errors=True)
            venv.EnvBuilder(with_pip=True, symlinks=True).create(target)
            _pip_install(target / "bin" / "python", f"ansible-core=={ANSIBLE_CORE}")
            complete.touch()
    return target


@pytest.fixture(scope="module")
def ansible(tmp_path_factory: pytest.TempPathFactory) -> Ansible:
    home = tmp_path_factory.mktemp("ansible")
    (home / "tmp").mkdir()
    ansible = Ansible(ansible_core_venv() / "bin", home)
    installed = ansible.command("ansible-galaxy", "collection", "install", "-p", ansible.collections, COLLECTION)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    return ansible


def _nginxcache_command() -> str:
    script = Path(sys.executable).parent / "nginxcache"
    return str(script) if script.exists() else f"{sys.executable} -m nginxcache"


@pytest.mark.slow
def test_ansible_doc_renders_the_module(ansible: Ansible) -> None:
    shown = ansible.command("ansible-doc", "nginxcache.nginx.nginxcache_render")
    assert shown.returncode == 0, shown.stderr
    assert "ERROR" not in shown.stderr
    text = shown.stdout
    assert text.startswith("> MODULE nginxcache.nginx.nginxcache_render ") and "Runs `nginxcache render' on the managed" in text
    for option in SPEC:
        assert re.search(rf"^[-=] {option}  ", text, re.M), f"{option} not in ansible-doc's output"
    listed = ansible.command("ansible-doc", "--list", "nginxcache.nginx")
    assert re.search(r"^nginxcache\.nginx\.nginxcache_render\s+Write the nginx caching config", listed.stdout, re.M), listed.stdout


@pytest.mark.slow
def test_built_collection_holds_only_the_collection(ansible: Ansible, tmp_path: Path) -> None:
    """`ansible-galaxy collection build` in a copy with Python's leftovers in it: none ship."""
    copy = tmp_path / "ansible"
    shutil.copytree(COLLECTION, copy, ignore=shutil.ignore_patterns("__pycache__"))
    (copy / "plugins" / "modules" / "__pycache__").mkdir()
    (copy / "plugins" / "modules" / "__pycache__" / "nginxcache_render.cpython-311.pyc").write_bytes(b"junk")
    (copy / ".pytest_cache").mkdir()
    built = ansible.command("ansible-galaxy", "collection", "build", "--output-path", tmp_path / "dist", copy)
    assert built.returncode == 0, built.stdout + built.stderr
    (tarball,) = (tmp_path / "dist").glob("nginxcache-nginx-*.tar.gz")
    assert tarball.name == f"nginxcache-nginx-{__version__}.tar.gz"
    with tarfile.open(tarball) as archive:
        files = sorted(member.name for member in archive.getmembers() if member.isfile())
    assert files == ["FILES.json", "MANIFEST.json", "README.md", "meta/runtime.yml", "plugins/modules/nginxcache_render.py"]


@pytest.mark.slow
@pytest.mark.nginx
def test_playbook_first_run_writes_second_changes_nothing_and_nginx_serves_it(ansible: Ansible, tmp_path: Path) -> None:
    etc = _etc(tmp_path)
    variables = {"build": str(VITE), "etc": str(etc)}
    first = ansible.playbook(PLAYBOOK, tmp_path, **variables)
    assert (first.returncode, first.changed, first.failed) == (0, 2, 0), first.output
    rendered = first.rendered
    assert rendered is not None
    assert rendered["detected"]["tool"] == "vite" and rendered["nginx_tested"] is True
    assert rendered["written"] == list(_outputs(etc).values())
    after_first = _contents(etc)

    second = ansible.playbook(PLAYBOOK, tmp_path, **variables)
    assert (second.returncode, second.changed, second.failed) == (0, 0, 0), second.output
    assert second.rendered is not None and second.rendered["written"] == [] and not second.rendered["changed"]
    assert _contents(etc) == after_first, "the second run rewrote a file"

    assert (etc / "snippets" / "app.conf").read_text().startswith("# Ansible managed\ninclude snippets/app-assets.conf;")

    # nginx with its configuration in etc/, as Debian's in /etc/nginx: the relative include
    # in app.conf finds the module's part there.
    server = start_nginx(etc, http_part="include conf.d/app-assets.conf;\n", server_part="include snippets/app.conf;\n")
    try:
        assert check_every_file(server, VITE, "/", VITE_HASHED, set()) == 8
        assert server.request("/assets/index-YpS4Hvbq.js").one("X-Content-Type-Options") == "nosniff"
        assert server.request("/healthz").body == b"ok\n"
    finally:
        server.stop()


@pytest.mark.slow
def test_playbook_check_and_diff(ansible: Ansible, tmp_path: Path) -> None:
    etc = _etc(tmp_path)
    variables = {"build": str(VITE), "etc": str(etc)}
    checked = ansible.playbook(PLAYBOOK, tmp_path, "--check", "--diff", **variables)
    assert (checked.returncode, checked.changed, checked.failed) == (0, 2, 0), checked.output
    assert _contents(etc) == {}, "check mode wrote a file"
    assert f"--- before: {etc}/conf.d/app-assets.conf (absent)" in checked.output
    assert '+    "/assets/index-YpS4Hvbq.js" 1;' in checked.output
    assert checked.rendered is not None and checked.rendered["msg"].startswith("would change ")

    assert ansible.playbook(PLAYBOOK, tmp_path, **variables).changed == 2
    written = _contents(etc)
    changed = ansible.playbook(PLAYBOOK.replace("nginx_test: true", "max_age: 600"), tmp_path, "--check", "--diff", **variables)
    assert (changed.returncode, changed.changed) == (0, 1), changed.output
    assert '-    1 "public, max-age=31536000, immutable";' in changed.output
    assert '+    1 "public, max-age=600, immutable";' in changed.output
    assert _contents(etc) == written


def _one_failure(run: Playbook) -> dict[str, Any]:
    """The task's failure as Ansible reports it: `fatal: [localhost]: FAILED! => {json}`."""
    assert run.returncode != 0 and run.failed == 1, run.output
    (line,) = [line for line in run.output.splitlines() if line.startswith("fatal: [localhost]: FAILED! => ")]
    failure: dict[str, Any] = json.loads(line.split(" => ", 1)[1])
    assert "\n" not in failure["msg"] and "Traceback" not in run.output
    return failure


@pytest.mark.slow
def test_playbook_refuses_bad_input_and_leaves_the_files(ansible: Ansible, tmp_path: Path) -> None:
    etc = _etc(tmp_path)
    variables = {"build": str(VITE), "etc": str(etc)}
    assert ansible.playbook(PLAYBOOK, tmp_path, **variables).changed == 2
    written = _contents(etc)

    headers = tmp_path / "headers.conf"
    headers.write_text(UNKNOWN_VARIABLE_HEADERS)
    refused = _one_failure(ansible.playbook(PLAYBOOK, tmp_path, **variables, headers_include=str(headers)))
    assert refused["msg"] == f'nginx -t ({etc}/conf.d/app-assets.conf, {etc}/snippets/app-assets.conf): unknown "release_id" variable'
    assert refused["exit_code"] == 4

    broken = tmp_path / "manifest.json"
    broken.write_text('{"index.html": ')
    unreadable = _one_failure(ansible.playbook(PLAYBOOK, tmp_path, **{**variables, "build": str(broken)}))
    assert unreadable["msg"].startswith(f"{broken}:1: invalid JSON") and unreadable["exit_code"] == 3
    assert _contents(etc) == written


@pytest.mark.slow
def test_playbook_without_nginxcache_on_the_host_says_so(ansible: Ansible, tmp_path: Path) -> None:
    etc = _etc(tmp_path)
    bare = str(ansible.bin_dir / "python")  # ansible-core's venv: no nginxcache there
    failure = _one_failure(ansible.playbook(PLAYBOOK, tmp_path, build=str(VITE), etc=str(etc), ansible_python_interpreter=bare))
    assert failure["msg"].startswith("Failed to import the required Python library (nginxcache) on ")
    assert bare in failure["msg"] and "ansible_python_interpreter" in failure["msg"]
    assert _contents(etc) == {}


@pytest.mark.slow
def test_template_validated_by_lint_as_where_it_will_live(ansible: Ansible, tmp_path: Path) -> None:
    """`validate: nginxcache lint --as DEST --context server %s`: the copy Ansible checks lies
    elsewhere, yet its relative include is read and a finding it causes there refuses it."""
    etc = _etc(tmp_path)
    variables = {"build": str(VITE), "etc": str(etc)}
    assert ansible.playbook(PLAYBOOK, tmp_path, **variables).changed == 2
    written = _contents(etc)

    refused = _one_failure(ansible.playbook(PLAYBOOK, tmp_path, template=BAD_TEMPLATE, **variables))
    assert refused["msg"].startswith("failed to validate"), refused
    finding = rf"^{re.escape(str(etc))}/snippets/app-assets\.conf:\d+:\d+: NC105 add_header in location \^~ / drops"
    assert re.search(finding, refused["stdout"], re.M), refused["stdout"]
    assert refused["exit_status"] == 1
    assert _contents(etc) == written, "the refused template replaced the file"

    # The same copy linted without --as: the include is not found and the finding is lost.
    copy = tmp_path / "copy.conf"
    copy.write_text(BAD_TEMPLATE.replace("{{ ansible_managed }}", "Ansible managed"))
    assert main(["lint", "--context", "server", str(copy)]) == 0


def test_docs_page_lists_every_option_in_order() -> None:
    page = (REPO / "docs" / "integrations" / "ansible.md").read_text()
    assert re.findall(r"^\| `(\w+)` \|", page, re.M) == list(SPEC)
