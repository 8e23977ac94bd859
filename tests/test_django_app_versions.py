"""The Django app on each supported Django release: the LTS releases 4.2 and 5.2 and the
current one, each in a venv of its own with nginxcache installed from this checkout with its
`django` extra, and real WhiteNoise (with brotli, so .gz and .br files).

A project made by `django-admin startproject`, with only what a user adds (the app,
STATIC_ROOT, WhiteNoise's storage: STORAGES, or STATICFILES_STORAGE on 4.2), then each
command a `manage.py` process: collectstatic; `nginxcache render` (nginx -t included); the
output served by real nginx (every file checked, .gz negotiated); the second render changes
nothing, `--check` exits 0; bad input is one line and its exit code, the files kept; after a
change `check --deploy` warns and `--check` exits 1; nginxcache's storage renders in
collectstatic itself. Slow (a venv and pip per release): CI runs it (-m slow).
"""

from __future__ import annotations

import gzip
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from django_app_project import VITE_FILES, DjangoProject, message_lines, start_project
from nginx_harness import HASHED_CC, check_every_file

pytestmark = [pytest.mark.slow, pytest.mark.nginx]

REPO = Path(__file__).resolve().parent.parent
WHITENOISE = "whitenoise.storage.CompressedManifestStaticFilesStorage"
OURS = "nginxcache.django.storage.CompressedManifestStaticFilesStorage"
# Signs that pip could not reach an index at all: the only reason to skip.
CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "nginxcache-tests"
OFFLINE = re.compile(r"NewConnectionError|Temporary failure in name resolution|Network is unreachable|ProxyError")


@dataclass(frozen=True)
class Release:
    name: str
    requirement: str
    legacy: bool = False  # STATICFILES_STORAGE, as 4.2 projects still write it
    python: tuple[int, int] = (3, 11)  # the least Python it needs
    least: tuple[int, int] = (4, 2)  # the version pip must have picked


RELEASES = [
    Release("4.2", "django>=4.2,<4.3", legacy=True),
    Release("5.2", "django>=5.2,<5.3", least=(5, 2)),
    # The current release, whatever it is when this runs: Django 6 needs Python 3.12.
    Release("current", "django", python=(3, 12), least=(6, 0)),
]


def find_python(least: tuple[int, int]) -> Path | None:
    """An interpreter of at least this version: this one, one on PATH, or pyenv's."""
    if sys.version_info >= least:
        return Path(sys.executable)
    candidates = [shutil.which(f"python3.{minor}") for minor in range(least[1], 20)]
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    candidates += [str(path / "bin" / "python3") for path in sorted(pyenv.glob("3.*"), reverse=True)]
    for candidate in filter(None, candidates):
        found = subprocess.run([candidate, "-c", "import sys, venv; print(*sys.version_info[:2])"], capture_output=True, text=True)
        if found.returncode == 0 and tuple(map(int, found.stdout.split())) >= least:
            return Path(candidate)
    return None


def make_venv(release: Release) -> Path:
    """A venv with nginxcache[django] from this checkout, the release's Django, WhiteNoise and
    brotli. The venv is kept between runs (in ~/.cache/nginxcache-tests/, one per release
    and Python): pip upgrades what it holds to the newest of the release, and nginxcache is
    installed again from the checkout every time."""
    python = find_python(release.python)
    if python is None:
        pytest.skip(f"Django {release.name} needs Python >= {'.'.join(map(str, release.python))}; none found")
    minor = subprocess.run([str(python), "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                           capture_output=True, text=True, check=True).stdout.strip()
    home = CACHE / f"django-{release.name}-py{minor}"
    if not (home / "bin" / "python").exists():
        building = home.with_name(f"{home.name}.{os.getpid()}.tmp")
        shutil.rmtree(building, ignore_errors=True)
        building.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run([str(python), "-m", "venv", str(building)], check=True, capture_output=True)
        shutil.rmtree(home, ignore_errors=True)
        building.rename(home)  # a venv's scripts name its directory: made here, used as `home` from now on
        subprocess.run([str(python), "-m", "venv", "--upgrade", str(home)], check=True, capture_output=True)
    pip = [str(home / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    installed = subprocess.run([*pip, "--upgrade", f"{REPO}[django]", release.requirement, "whitenoise", "brotli"],
                               capture_output=True, text=True)
    if installed.returncode != 0:
        if OFFLINE.search(installed.stderr):
            pytest.skip(f"no network for pip: {installed.stderr.strip().splitlines()[-1]}")
        pytest.fail(f"pip install for Django {release.name} failed:\n{installed.stderr}")
    found = subprocess.run(
        [str(home / "bin" / "python"), "-c", "import django, nginxcache.django.site as s; print(*django.VERSION[:2]); print(s.__file__)"],
        capture_output=True, text=True, check=True,
    ).stdout.splitlines()
    assert tuple(map(int, found[0].split())) >= release.least, f"pip chose Django {found[0]}"
    assert Path(found[1]).read_bytes() == (REPO / "nginxcache" / "django" / "site.py").read_bytes(), "an old nginxcache in the venv"
    return home / "bin" / "python"


def nginxcache_lines(stderr: str) -> list[str]:
    """Our lines: a Django of the past may add its deprecation warnings around them."""
    return [line for line in message_lines(stderr) if line.startswith(("nginxcache:", "CommandError:", "manage.py nginxcache"))]


def storage_setting(project: DjangoProject, release: Release, backend: str) -> str:
    """A settings module choosing another staticfiles backend, spelt as the project spells it."""
    if release.legacy:
        return project.variant("ours", f"STATICFILES_STORAGE = {backend!r}")
    return project.variant("ours", f'STORAGES = {{**STORAGES, "staticfiles": {{"BACKEND": {backend!r}}}}}')


@pytest.mark.parametrize("release", RELEASES, ids=[release.name for release in RELEASES])
def test_a_real_project(release: Release, tmp_path: Path, serve) -> None:
    python = make_venv(release)
    project = start_project(tmp_path / "site", python, storage=WHITENOISE, legacy=release.legacy)
    http_out, server_out = project.outputs
    project.ok("collectstatic", "--noinput", "-v", "0")
    css = json.loads((project.static_root / "staticfiles.json").read_text())["paths"]["site/app.css"]
    assert (project.static_root / f"{css}.gz").is_file() and (project.static_root / f"{css}.br").is_file()

    # The first run: the app reads STATIC_ROOT, STATIC_URL, the storage and the Vite bundle.
    first = project.ok("nginxcache", "render", "--nginx-test")
    configured_in = "STATICFILES_STORAGE" if release.legacy else "STORAGES"
    assert nginxcache_lines(first.stderr) == [
        f"nginxcache: Django: STATIC_ROOT {project.static_root} served at /static/ (STATIC_URL); evidence: "
        "staticfiles.json of CompressedManifestStaticFilesStorage, dist/manifest.json (vite)",
        "nginxcache: warning: .br files are present but served only with --brotli (Debian: libnginx-mod-http-brotli-static)",
        f"nginxcache: {http_out}: written",
        f"nginxcache: {server_out}: written",
        f"nginxcache: new files: include {http_out}; inside http {{ }} and include {server_out}; inside the site's "
        "server { }, then reload nginx",
    ], configured_in

    # Served by real nginx: every file, the hashed ones immutable (Django's copies and Vite's
    # chunks), the others revalidated with a 304; the manifests not at all; gzip negotiated.
    server = serve(http_part=http_out.read_text(), server_part=server_out.read_text())
    hashed = project.hashed_uris()
    assert {f"/static/{name}" for name in VITE_FILES} <= hashed
    compressed = {p for p in project.static_root.rglob("*") if p.suffix in (".gz", ".br")}
    tree = tmp_path / "uncompressed"  # what check_every_file requests: the files, not their .gz and .br
    shutil.copytree(project.static_root, tree, ignore=shutil.ignore_patterns("*.gz", "*.br"))
    checked = check_every_file(server, tree, "/static/", hashed, {"/static/staticfiles.json", "/static/dist/manifest.json"})
    assert checked > 250 and compressed
    zipped = server.request(f"/static/{css}", headers={"Accept-Encoding": "gzip, br"})
    assert zipped.one("Content-Encoding") == "gzip" and zipped.one("Cache-Control") == HASHED_CC
    assert gzip.decompress(zipped.body) == (project.static_root / css).read_bytes()
    original = server.request("/static/site/app.css", headers={"Accept-Encoding": "gzip"})
    assert original.one("Cache-Control") == "no-cache" and original.one("Content-Encoding") == "gzip"
    again = server.request("/static/site/app.css", headers={"Accept-Encoding": "gzip", "If-None-Match": original.one("ETag") or ""})
    assert again.status == 304 and again.one("Cache-Control") == "no-cache"

    # The second run changes nothing; --check and --diff agree.
    before = [(path.read_bytes(), path.stat().st_mtime_ns) for path in project.outputs]
    second = project.ok("nginxcache", "render")
    assert nginxcache_lines(second.stderr)[-2:] == [f"nginxcache: {http_out}: unchanged", f"nginxcache: {server_out}: unchanged"]
    assert [(path.read_bytes(), path.stat().st_mtime_ns) for path in project.outputs] == before
    assert project.ok("nginxcache", "render", "--check", "--diff").stdout == ""

    # Bad input: one line, its exit code, the files as they were.
    bad = project.manage("nginxcache", "render", settings=project.variant("bad", 'NGINXCACHE = {"MAX_AGE": "1y"}'))
    assert (bad.returncode, nginxcache_lines(bad.stderr)) == (
        2, ["CommandError: settings.NGINXCACHE['MAX_AGE'] must be a whole number of seconds, not '1y'"]
    )
    flag = project.manage("nginxcache", "render", "--strategy", "nope")
    assert flag.returncode == 2 and len(message_lines(flag.stderr)) == 1
    assert message_lines(flag.stderr)[0].startswith("manage.py nginxcache render: error: argument --strategy: invalid choice")
    assert [(path.read_bytes(), path.stat().st_mtime_ns) for path in project.outputs] == before

    # A new file collected: the config is stale until rendered again.
    (project.home / "assets" / "site" / "new.js").write_text("console.log('new');\n")
    project.ok("collectstatic", "--noinput", "-v", "0")
    deploy = project.manage("check", "--deploy")
    assert "(nginxcache.W003) nginx config" in deploy.stderr and "stale" in deploy.stderr, deploy.stderr
    assert project.manage("nginxcache", "render", "--check").returncode == 1

    # nginxcache's storage: collectstatic renders once WhiteNoise has compressed the files.
    ours = storage_setting(project, release, OURS)
    (project.home / "assets" / "site" / "newer.js").write_text("console.log('newer');\n")
    collected = project.ok("collectstatic", "--noinput", "-v", "0", settings=ours)
    assert f"nginxcache: {http_out}: written" in nginxcache_lines(collected.stderr)
    assert "nginxcache." not in project.manage("check", "--deploy", settings=ours).stderr
    assert project.ok("nginxcache", "render", "--check").returncode == 0
    server.stop()
    served = serve(http_part=http_out.read_text(), server_part=server_out.read_text())
    newer = json.loads((project.static_root / "staticfiles.json").read_text())["paths"]["site/newer.js"]
    assert served.request(f"/static/{newer}").one("Cache-Control") == HASHED_CC
    assert served.request("/static/site/newer.js").one("Cache-Control") == "no-cache"
