"""The Django app (nginxcache.django) with the Django of this venv, in this test process (one
Django, set up once, each test overriding its settings): `manage.py nginxcache` as manage.py
runs it (execute_from_command_line: output, exit codes, one-line errors), the settings it
reads (STORAGES or STATICFILES_STORAGE, manifest_name, manifest_storage, FORCE_SCRIPT_NAME,
a Vite bundle in STATIC_ROOT, NGINXCACHE and the flags over it), the system checks, the
storages that render after collectstatic (WhiteNoise's too), explain, probe and lint, the
output served by real nginx. Real projects made by startproject, on each supported Django
release, a process per command: test_django_app_versions.py (slow)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import django
import pytest
import typer
from django.conf import settings
from django.contrib.staticfiles.storage import ManifestStaticFilesStorage
from django_app_project import ASSETS, VITE_FILES, VITE_MANIFEST, message_lines
from nginx_harness import HASHED_CC

from nginxcache.django import conf
from nginxcache.errors import UsageError
from nginxcache.cli import app
from nginxcache.pipeline import ONE_YEAR
from nginxcache.policy import DEFAULT_SKEW_CA

MANIFEST_STORAGE = "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"
DOCS = Path(__file__).resolve().parent.parent / "docs" / "integrations" / "django.md"


@pytest.fixture(scope="module", autouse=True)
def django_set_up() -> None:
    """Django in this process, once: its settings can be set up only once per process, and
    each test overrides what it needs (override_settings resets the storages)."""
    if not settings.configured:
        settings.configure(
            SECRET_KEY="nginxcache-tests-" + "x" * 40,
            INSTALLED_APPS=["django.contrib.staticfiles", "nginxcache.django"],
            STATIC_URL="static/",
            USE_TZ=True,
        )
        django.setup()
    assert "nginxcache.django" in settings.INSTALLED_APPS, "Django was set up elsewhere in this process without the app"


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def lines(self) -> list[str]:
        return message_lines(self.err)


class Site:
    """A project's static files in tmp_path: the assets (STATICFILES_DIRS), STATIC_ROOT,
    BASE_DIR; `settings()` overrides what a test sets, `manage()` runs a command."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.static_root = home / "staticfiles"
        self.outputs = (home / "nginx" / "static-http.conf", home / "nginx" / "static-server.conf")
        for name, text in ASSETS.items():
            path = home / "assets" / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        (home / "assets" / "dist" / "manifest.json").write_text(json.dumps(VITE_MANIFEST), encoding="utf-8")

    @contextmanager
    def settings(self, storage: str = MANIFEST_STORAGE, options: dict[str, Any] | None = None, **overrides: Any) -> Iterator[None]:
        from django.test.utils import override_settings

        values: dict[str, Any] = {
            "BASE_DIR": self.home,
            "STATIC_ROOT": self.static_root,
            "STATICFILES_DIRS": [self.home / "assets"],
            "STORAGES": {
                "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
                "staticfiles": {"BACKEND": storage, "OPTIONS": options or {}},
            },
        }
        with override_settings(**(values | overrides)):
            yield

    def manage(self, *argv: str) -> Result:
        from django.core.management import execute_from_command_line

        out, err = io.StringIO(), io.StringIO()
        code = 0
        with redirect_stdout(out), redirect_stderr(err):
            try:
                execute_from_command_line(["manage.py", *argv])
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else 1
        return Result(code, out.getvalue(), err.getvalue())

    def ok(self, *argv: str) -> Result:
        result = self.manage(*argv)
        assert result.code == 0, f"manage.py {' '.join(argv)}: exit {result.code}\n{result.out}{result.err}"
        return result

    def manifest(self, name: str = "staticfiles.json") -> dict[str, str]:
        paths: dict[str, str] = json.loads((self.static_root / name).read_text(encoding="utf-8"))["paths"]
        return paths


@pytest.fixture
def site(tmp_path: Path) -> Site:
    return Site(tmp_path / "site")


def deploy_checks() -> list[tuple[str, str]]:
    from django.core.checks import run_checks

    return [(message.id or "", message.msg) for message in run_checks(include_deployment_checks=True, tags=["nginxcache"])]


def test_render_reads_the_settings_and_a_second_run_changes_nothing(site: Site) -> None:
    with site.settings():
        site.ok("collectstatic", "--noinput", "-v", "0")
        first = site.ok("nginxcache", "render")
        http_out, server_out = site.outputs
        assert first.lines == [
            f"nginxcache: Django: STATIC_ROOT {site.static_root} served at /static/ (STATIC_URL); evidence: "
            "staticfiles.json of ManifestStaticFilesStorage, dist/manifest.json (vite)",
            f"nginxcache: {http_out}: written",
            f"nginxcache: {server_out}: written",
            f"nginxcache: new files: include {http_out}; inside http {{ }} and include {server_out}; inside the site's "
            "server { }, then reload nginx",
        ]
        text = http_out.read_text()
        for name in [*site.manifest().values(), *VITE_FILES]:
            assert f'"/static/{name}" 1;' in text
        assert '"/static/site/app.css" 1;' not in text  # the original revalidates
        before = [(path.read_bytes(), path.stat().st_mtime_ns) for path in site.outputs]
        second = site.ok("nginxcache", "render")
        assert second.lines[1:] == [f"nginxcache: {http_out}: unchanged", f"nginxcache: {server_out}: unchanged"]
        assert [(path.read_bytes(), path.stat().st_mtime_ns) for path in site.outputs] == before
        check = site.ok("nginxcache", "render", "--check", "--diff")
        assert check.out == "" and not any("would change" in line for line in check.lines)


def test_check_and_diff_see_a_change_and_write_nothing(site: Site) -> None:
    with site.settings():
        site.ok("collectstatic", "--noinput", "-v", "0")
        site.ok("nginxcache", "render")
        before = [path.read_bytes() for path in site.outputs]
        (site.home / "assets" / "site" / "new.js").write_text("console.log('new');\n")
        site.ok("collectstatic", "--noinput", "-v", "0")
        check = site.manage("nginxcache", "render", "--check", "--diff")
        assert check.code == 1
        assert f"nginxcache: would change {site.outputs[0]}" in check.lines
        assert f'+    "/static/{site.manifest()["site/new.js"]}" 1;' in check.out.splitlines()
        assert [path.read_bytes() for path in site.outputs] == before
        assert site.manage("nginxcache", "render", "--check", "--http-out", str(site.home / "elsewhere.conf")).code == 2
        new = site.manage("nginxcache", "render", "--diff")
        assert new.code == 0 and f"+++ {site.outputs[0]}" in new.out
        assert site.ok("nginxcache", "render", "--check").code == 0


def test_output_flags_replace_the_settings_outputs(site: Site) -> None:
    nginx = site.home / "etc"
    nginx.mkdir(parents=True)
    with site.settings(NGINXCACHE={"HTTP_OUT": "etc/http.conf", "SERVER_OUT": nginx / "server.conf", "ADD_HEADERS": ["X-A: b"]}):
        site.ok("collectstatic", "--noinput", "-v", "0")
        site.ok("nginxcache", "render")
        assert (nginx / "http.conf").is_file() and "X-A" in (nginx / "server.conf").read_text()
        site.ok("nginxcache", "render", "--site-out", str(nginx / "site.conf"), "--server-name", "example.com",
                "--add-header", "X-B: c")
        text = (nginx / "site.conf").read_text()
        assert "server_name" in text and "example.com" in text and "X-B" in text and "X-A" not in text
        assert not site.outputs[0].parent.exists()


BAD = [
    # (settings, flags, the one line, the exit code)
    ({"NGINXCACHE": {"UNHASHED_MAX_AGE": 604800}}, (), "settings.NGINXCACHE['UNHASHED_MAX_AGE']: --unhashed-max-age must be 0", 2),
    ({"NGINXCACHE": {"UNHASHED_MAX_AGE": 604800}}, ("--unhashed-max-age", "-1"), "CommandError: --unhashed-max-age must be 0", 2),
    ({"NGINXCACHE": {"SERVER_OUTPUT": "x"}}, (), "unknown key 'SERVER_OUTPUT' (did you mean 'SERVER_OUT'?)", 2),
    ({"NGINXCACHE": {"PREFIX": "static"}}, (), "settings.NGINXCACHE['PREFIX']: --prefix 'static' must start with '/'", 2),
    ({"NGINXCACHE": {"HTTP_OUT": "staticfiles/h.conf", "SERVER_OUT": "s.conf"}}, (), "inside STATIC_ROOT, where nginx serves it", 2),
    ({"STATIC_ROOT": None}, (), "settings.STATIC_ROOT is not set", 2),
    ({"STORAGES": {"staticfiles": {"BACKEND": "django.core.files.storage.InMemoryStorage"}}}, (),
     "is django.core.files.storage.memory.InMemoryStorage: its files are not on this machine's disk", 2),
    ({"STORAGES": {"staticfiles": {"BACKEND": "no.such.Storage"}}}, (),
     "settings.STORAGES['staticfiles'] cannot be created: Could not find backend 'no.such.Storage'", 2),
    ({}, ("--manifest", "nowhere.json"), "nowhere.json: no such file", 3),
    ({}, ("--bogus",), "manage.py nginxcache: error: unrecognized arguments: --bogus", 2),
    ({}, ("--max-age", "1y"), "manage.py nginxcache render: error: argument --max-age: invalid int value: '1y'", 2),
]


@pytest.mark.parametrize(("overrides", "flags", "expected", "code"), BAD, ids=[case[2][:50] for case in BAD])
def test_bad_input_is_one_line_and_leaves_the_files(
    site: Site, overrides: dict[str, Any], flags: tuple[str, ...], expected: str, code: int
) -> None:
    with site.settings():
        site.ok("collectstatic", "--noinput", "-v", "0")
        site.ok("nginxcache", "render")
    before = [path.read_bytes() for path in site.outputs]
    with site.settings(**overrides):
        result = site.manage("nginxcache", "render", *flags)
    assert result.code == code, result.err
    assert len(result.lines) == 1 and expected in result.lines[0], result.lines
    assert [path.read_bytes() for path in site.outputs] == before


def test_bad_manifests(site: Site) -> None:
    with site.settings():
        missing = site.manage("nginxcache", "render")
        assert (missing.code, missing.lines) == (3, [
            f"CommandError: STATIC_ROOT {site.static_root} is not a directory: run `python manage.py collectstatic` first"
        ])
        site.ok("collectstatic", "--noinput", "-v", "0")
        manifest = site.static_root / "staticfiles.json"
        manifest.write_text('{"paths": ')
        broken = site.manage("nginxcache", "render")
    assert (broken.code, broken.lines) == (3, [f"CommandError: {manifest}:1: invalid JSON at column 11: Expecting value"])
    # Django itself refuses a manifest of an unknown version when the storage is made.
    manifest.write_text('{"version": "9", "paths": {}}')
    with site.settings():
        unknown = site.manage("nginxcache", "render")
    assert (unknown.code, unknown.lines) == (3, [
        f"CommandError: {manifest} at [\"version\"]: unsupported staticfiles.json version '9' (known: 1.0, 1.1)"
    ])
    manifest.unlink()
    with site.settings():
        none = site.manage("nginxcache", "render")
    assert (none.code, none.lines) == (3, [
        f"CommandError: {manifest}: no manifest: run `python manage.py collectstatic` (ManifestStaticFilesStorage writes it)"
    ])


class NamedManifestStorage(ManifestStaticFilesStorage):  # type: ignore[misc]
    """A project's storage with a manifest_name of its own (a subclass, as Django's docs show)."""

    manifest_name = "build/assets.json"


def test_manifest_name_and_manifest_storage(site: Site) -> None:
    with site.settings(storage=f"{__name__}.NamedManifestStorage"):
        site.ok("collectstatic", "--noinput", "-v", "0")
        named = site.ok("nginxcache", "render")
        assert "evidence: build/assets.json of NamedManifestStorage" in named.lines[0]
        assert (site.static_root / "build" / "assets.json").is_file()
        explained = site.ok("nginxcache", "explain", "/static/build/assets.json")
        assert "not served" in explained.out
    from django.core.files.storage import FileSystemStorage

    elsewhere = site.home / "manifests"
    with site.settings(options={"manifest_storage": FileSystemStorage(location=elsewhere)}):
        site.ok("collectstatic", "--noinput", "-v", "0")
        stored = site.ok("nginxcache", "render")
        assert f"evidence: {elsewhere / 'staticfiles.json'} of ManifestStaticFilesStorage" in stored.lines[0]
        name = json.loads((elsewhere / "staticfiles.json").read_text())["paths"]["site/app.js"]
        assert f'"/static/{name}" 1;' in site.outputs[0].read_text()


def test_staticfiles_storage_setting_of_django_4(site: Site) -> None:
    """Django 4.2 reads STATICFILES_STORAGE; from 5.1 on it is ignored, which the app says."""
    from django.test.utils import override_settings

    with site.settings(storage="django.contrib.staticfiles.storage.StaticFilesStorage"), override_settings(
        STATICFILES_STORAGE=MANIFEST_STORAGE
    ):
        site.ok("collectstatic", "--noinput", "-v", "0")
        result = site.ok("nginxcache", "render")
    if django.VERSION >= (5, 1):
        assert "StaticFilesStorage writes no manifest" in result.lines[0]
        ignored = "nginxcache: settings.STATICFILES_STORAGE is ignored by Django 5.1 and later: STORAGES['staticfiles'] decides"
        assert ignored in result.lines
    else:
        assert "staticfiles.json of ManifestStaticFilesStorage" in result.lines[0]


def test_storage_without_manifest_relies_on_verified_hashes(site: Site) -> None:
    with site.settings(storage="django.contrib.staticfiles.storage.StaticFilesStorage"):
        site.ok("collectstatic", "--noinput", "-v", "0")
        result = site.ok("nginxcache", "render")
        assert result.lines[0].endswith(
            "evidence: names whose hash verifies against the file (StaticFilesStorage writes no manifest), dist/manifest.json (vite)"
        )
        assert not any("--framework" in line for line in result.lines), result.lines
        explained = site.ok("nginxcache", "explain", "/static/dist/assets/main-BkR3x9Qz.js", "/static/site/app.js").out
    assert "/static/dist/assets/main-BkR3x9Qz.js\n  class:    hashed (immutable)" in explained
    assert "/static/site/app.js\n  class:    unhashed (revalidated)" in explained


def test_static_url_below_force_script_name_and_on_another_host(site: Site) -> None:
    from django.urls import set_script_prefix

    try:
        with site.settings(FORCE_SCRIPT_NAME="/app", STATIC_URL="static/"):
            site.ok("collectstatic", "--noinput", "-v", "0")
            below = site.ok("nginxcache", "render")
    finally:
        set_script_prefix("/")
    assert "served at /app/static/ (STATIC_URL below FORCE_SCRIPT_NAME /app)" in below.lines[0]
    assert '"/app/static/site/app.' in site.outputs[0].read_text()
    with site.settings(STATIC_URL="https://cdn.example.com/assets/"):
        cdn = site.ok("nginxcache", "render")
    cdn_url = "https://cdn.example.com/assets/"
    assert f"served at /assets/ (the path of STATIC_URL {cdn_url}, for the server that answers that host)" in cdn.lines[0]


def test_a_web_app_manifest_is_no_build_manifest(site: Site) -> None:
    (site.home / "assets" / "manifest.json").write_text('{"name": "My app", "icons": [{"src": "i.png"}]}')
    with site.settings():
        site.ok("collectstatic", "--noinput", "-v", "0")
        result = site.ok("nginxcache", "render")
        assert "nginxcache: manifest.json left out: no build manifest (a web app manifest?)" in result.lines
        assert ", dist/manifest.json (vite)" in result.lines[0]
        off = site.ok("nginxcache", "render", "--no-find-manifests")
        assert ", dist/manifest.json (vite)" not in off.lines[0] and f"nginxcache: {site.outputs[0]}: written" in off.lines


def test_deploy_checks(site: Site) -> None:
    with site.settings():
        assert deploy_checks() == [("nginxcache.W001", f"STATIC_ROOT {site.static_root} is not a directory: run "
                                    "`python manage.py collectstatic` first")]
        site.ok("collectstatic", "--noinput", "-v", "0")
        [(code, message)] = deploy_checks()
        assert code == "nginxcache.W003" and message.endswith("static-server.conf not rendered yet")
        site.ok("nginxcache", "render")
        assert deploy_checks() == []
        (site.home / "assets" / "site" / "new.js").write_text("console.log('new');\n")
        site.ok("collectstatic", "--noinput", "-v", "0")
        [(code, message)] = deploy_checks()
        assert code == "nginxcache.W003" and message.endswith("static-server.conf stale: the static files changed")
        site.ok("nginxcache", "render")
        # collected without post-processing: a file newer than the manifest, and not in it
        manifest = site.static_root / "staticfiles.json"
        old = time.time() - 60
        os.utime(manifest, (old, old))
        (site.static_root / "later.js").write_text("console.log('later');\n")
        [(code, message), *_] = deploy_checks()
        assert code == "nginxcache.W002" and f"{manifest} is older than {site.static_root / 'later.js'}" in message
        (site.static_root / "later.js").unlink()
        os.utime(manifest)
    with site.settings(NGINXCACHE={"MAX_AGE": "1y"}):
        from django.core.checks import run_checks

        errors = [(m.id, m.msg) for m in run_checks(tags=["nginxcache"])]
        assert errors == [("nginxcache.E001", "settings.NGINXCACHE['MAX_AGE'] must be a whole number of seconds, not '1y'")]
    with site.settings(NGINXCACHE={"PREFIX": "static"}):
        assert deploy_checks() == [("nginxcache.W004", "the nginx config cannot be rendered: settings.NGINXCACHE['PREFIX']: "
                                    "--prefix 'static' must start with '/'")]


def test_the_storage_renders_after_collectstatic(site: Site) -> None:
    with site.settings(storage="nginxcache.django.storage.ManifestStaticFilesStorage"):
        dry = site.ok("collectstatic", "--noinput", "--dry-run")
        assert "nginxcache" not in dry.err and not site.outputs[0].exists()
        collect = site.ok("collectstatic", "--noinput", "-v", "0")
        assert f"nginxcache: {site.outputs[1]}: written" in collect.lines
        assert site.ok("nginxcache", "render", "--check").code == 0
        (site.home / "assets" / "site" / "new.js").write_text("console.log('new');\n")
        again = site.ok("collectstatic", "--noinput", "-v", "0")
        assert f"nginxcache: {site.outputs[1]}: written" in again.lines
        assert site.ok("nginxcache", "render", "--check").code == 0
    with site.settings(storage="nginxcache.django.storage.StaticFilesStorage"):
        plain = site.ok("collectstatic", "--noinput", "-v", "0")
        assert "StaticFilesStorage writes no manifest" in plain.lines[0]
    with site.settings(storage="nginxcache.django.storage.ManifestStaticFilesStorage", NGINXCACHE={"MAX_AGE": 0}):
        failed = site.manage("collectstatic", "--noinput", "-v", "0")
    assert failed.code == 2
    assert failed.lines[-1] == "CommandError: nginxcache: settings.NGINXCACHE['MAX_AGE']: --max-age must be a positive number of seconds"


@pytest.mark.nginx
def test_whitenoise_storage_and_its_gzip_files_served(site: Site, serve) -> None:
    pytest.importorskip("whitenoise")
    with site.settings(storage="nginxcache.django.storage.CompressedManifestStaticFilesStorage"):
        collect = site.ok("collectstatic", "--noinput", "-v", "0")
        # WhiteNoise compresses after the manifest is written: its .gz files are newer, and fine.
        old = time.time() - 60
        for path in site.static_root.rglob("*"):
            if path.suffix != ".gz":
                os.utime(path, (old, old))
        assert deploy_checks() == []
    assert "staticfiles.json of CompressedManifestStaticFilesStorage" in collect.lines[0]
    server = serve(http_part=site.outputs[0].read_text(), server_part=site.outputs[1].read_text())
    css = site.manifest()["site/app.css"]
    assert (site.static_root / (css + ".gz")).is_file()
    import gzip

    zipped = server.request("/static/" + css, headers={"Accept-Encoding": "gzip"})
    assert zipped.status == 200 and zipped.one("Content-Encoding") == "gzip"
    assert gzip.decompress(zipped.body) == (site.static_root / css).read_bytes()
    assert zipped.one("Cache-Control") == HASHED_CC and zipped.one("Vary") == "Accept-Encoding"
    plain = server.request("/static/site/app.css")
    assert plain.one("Cache-Control") == "no-cache" and plain.body == (site.static_root / "site" / "app.css").read_bytes()


@pytest.mark.nginx
def test_explain_probe_and_lint(site: Site, tmp_path: Path, serve) -> None:
    with site.settings():
        site.ok("collectstatic", "--noinput", "-v", "0")
        site.ok("nginxcache", "render", "--nginx-test")
        server = serve(http_part=site.outputs[0].read_text(), server_part=site.outputs[1].read_text())
        hashed = "/static/" + site.manifest()["site/app.js"]
        explained = site.ok("nginxcache", "explain", hashed, "/static/robots.txt").out
        assert f"{hashed}\n  class:    hashed (immutable)" in explained
        assert "/static/robots.txt\n  class:    unhashed (revalidated)" in explained
        origin = f"http://127.0.0.1:{server.port}"
        probed = site.ok("nginxcache", "probe", origin)
        assert "nginxcache probe: no violation;" in probed.out
        # Probed under another policy than the one served: every hashed file breaks it.
        strict = site.manage("nginxcache", "probe", origin, "--max-age", "600")
        assert strict.code == 1 and hashed in strict.out
        config = tmp_path / "nginx.conf"
        config.write_text(f"events {{}}\nhttp {{\n    include {site.outputs[0]};\n    server {{\n        listen 8080;\n"
                          f"        include {site.outputs[1]};\n    }}\n}}\n")
        assert site.manage("nginxcache", "lint", str(config)).code == 0
        config.write_text("events {}\nhttp {\n    server {\n        listen 8080;\n        location /static/ {\n"
                          f"            alias {site.static_root}/;\n            expires 30d;\n        }}\n    }}\n}}\n")
        with site.settings(NGINXCACHE={"NGINX_CONFIGS": [config]}):
            linted = site.manage("nginxcache", "lint")
            assert linted.code == 1 and "NC10" in linted.out, linted.out + linted.err
            assert site.manage("nginxcache", "lint", "--exit-zero").code == 0


def test_importing_nginxcache_does_not_import_django() -> None:
    code = "import sys, nginxcache, nginxcache.pipeline, nginxcache.cli; print('django' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout == "False\n"


# The NGINXCACHE setting itself, without Django.


def test_every_setting_is_a_flag_and_documented() -> None:
    page = DOCS.read_text(encoding="utf-8")
    for setting in conf.SETTINGS:
        assert setting.flag is not None or setting.key == "NGINX_CONFIGS"
        assert f"`{setting.key}`" in page, f"{setting.key} is not on {DOCS.name}"
        if setting.flag is not None:
            assert f"`{setting.flag}`" in page, f"{setting.flag} is not on {DOCS.name}"
    assert conf.ONE_YEAR == ONE_YEAR
    assert conf.DEFAULT_SKEW_CA == DEFAULT_SKEW_CA


# render's flags the app has no setting for, and why: the app knows its manifests and storage,
# and a Django project's static files are no site of pages.
NOT_DJANGO_FLAGS = {"--check", "--diff", "--framework", "--manifest-format", "--max-manifest-size", "--scan",
                    "--clean-urls", "--not-found-page", "--spa"}


def test_every_render_option_has_a_setting() -> None:
    """A new render option reaches the app too (the CDN and skew ones once did not)."""
    command = typer.main.get_command(app).commands["render"]  # type: ignore[attr-defined]
    flags = {opt for param in command.params if param.param_type_name == "option" and not param.hidden
             for opt in param.opts if opt.startswith("--")}
    assert flags - {setting.flag for setting in conf.SETTINGS} == NOT_DJANGO_FLAGS


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (["x"], "settings.NGINXCACHE must be a dict, not list"),
        ({"BROTLI": "yes"}, "settings.NGINXCACHE['BROTLI'] must be True or False, not 'yes'"),
        ({"MAX_AGE": True}, "settings.NGINXCACHE['MAX_AGE'] must be a whole number of seconds, not True"),
        ({"MAX_AGE": "1y"}, "settings.NGINXCACHE['MAX_AGE'] must be a whole number of seconds, not '1y'"),
        ({"ADD_HEADERS": "X-A: b"}, "settings.NGINXCACHE['ADD_HEADERS'] must be a list, not 'X-A: b'"),
        ({"MANIFESTS": [3]}, "settings.NGINXCACHE['MANIFESTS'][0] must be a file path, not 3"),
        ({"STRATEGY": "maps"}, "settings.NGINXCACHE['STRATEGY'] must be one of map, exact, regex, not 'maps'"),
        ({"http_out": "x"}, "settings.NGINXCACHE: unknown key 'http_out' (did you mean 'HTTP_OUT'?)"),
    ],
)
def test_bad_setting_values(value: object, message: str) -> None:
    with pytest.raises(UsageError) as raised:
        conf.read(value, None)
    assert str(raised.value) == message


def test_settings_paths_are_below_base_dir_and_output_flags_replace_them(tmp_path: Path) -> None:
    config = conf.read({"HTTP_OUT": "nginx/h.conf", "SERVER_OUT": "/etc/nginx/s.conf", "ADD_HEADERS": ["X-A: b"]}, tmp_path)
    assert (config.http_out, config.server_out, config.add_headers) == (tmp_path / "nginx/h.conf", Path("/etc/nginx/s.conf"), ("X-A: b",))
    flagged = conf.with_flags(config, {"site_out": "site.conf", "add_headers": ["X-B: c"], "brotli": None})
    assert (flagged.http_out, flagged.server_out, flagged.site_out) == (None, None, Path("site.conf"))
    assert flagged.add_headers == ("X-B: c",) and flagged.brotli is False
    assert conf.blame("--max-age must be positive", {"MAX_AGE": -1}, {}) == "settings.NGINXCACHE['MAX_AGE']: --max-age must be positive"
    assert conf.blame("--max-age must be positive", {"MAX_AGE": -1}, {"max_age": -2}) == "--max-age must be positive"
