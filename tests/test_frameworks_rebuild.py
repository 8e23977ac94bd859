"""The real builds of tests/test_frameworks.py, made again: each sample of sample_configs/builds/
is copied (without node_modules and the like), its rebuild.sh installs the real tool (npm, pip
in a venv, Debian's hugo or jekyll) and builds it again, and every check of test_frameworks.py
runs on the fresh output, as it runs on the committed one.

A new version of a tool that names, places or lists its files differently shows up here, not
in the committed samples. Slow (npm installs and production builds): CI runs it (-m slow).
The samples are spread over this file (the Python and Debian tools, ~85 s in all on 2 cores)
and test_frameworks_rebuild_js.py and _js2.py (npm, ~160 s each with a warm ~/.npm), so that
xdist's --dist loadfile gives each core a share.

The checks are test_frameworks.py's own functions, found by their parameters (a `served` tuple,
or a sample name and tmp_path), so a check added there runs here too. They read the tree at
Build.home (BUILDS / sample): BUILDS is pointed at the copy for the length of each test. The
BUNDLERS samples of test_frameworks.py (sample_configs/<name>/) are committed output only.
"""

from __future__ import annotations

import inspect
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

import tests.test_frameworks as frameworks
from tests.nginx_harness import start_nginx

pytestmark = pytest.mark.slow

TIMEOUT = 900  # seconds for one rebuild.sh (npm install included); the slowest takes a few minutes
TELEMETRY_OFF = {
    "NEXT_TELEMETRY_DISABLED": "1",
    "ASTRO_TELEMETRY_DISABLED": "1",
    "NUXT_TELEMETRY_DISABLED": "1",
    "NG_CLI_ANALYTICS": "false",
    "DO_NOT_TRACK": "1",
    "CI": "1",
}
# What a copy of a sample leaves out: installed packages, caches, venvs.
NOT_COPIED = shutil.ignore_patterns("node_modules", "__pycache__", ".venv", "venv", ".jekyll-cache", ".hugo_build.lock")
DEBIAN_TOOLS = {"hugo": "hugo", "jekyll": "jekyll"}  # sample -> the Debian package its rebuild.sh runs
NPM_SAMPLES = {b.sample for b in frameworks.FRAMEWORKS if (frameworks.BUILDS / b.sample / "package.json").is_file()}
PY_SAMPLES = {b.sample for b in frameworks.FRAMEWORKS if (frameworks.BUILDS / b.sample / "requirements.txt").is_file()}


def _tail(text: str, lines: int = 150) -> str:
    kept = text.splitlines()[-lines:]
    return "\n".join(kept)


def ensure_tools(sample: str) -> None:
    """What the sample's rebuild.sh runs, installed when missing (Debian's packages, as root)."""
    if sample in NPM_SAMPLES and not (shutil.which("npm") and shutil.which("node")):
        pytest.fail(f"{sample}: rebuild.sh needs node (>= 20.19, as Vite 7 and Angular 21 do) and npm on PATH")
    if sample in PY_SAMPLES and subprocess.run(["python3", "-m", "venv", "--help"], capture_output=True).returncode != 0:
        _apt_install(sample, "python3-venv")
    binary = DEBIAN_TOOLS.get(sample)
    if binary and not shutil.which(binary):
        _apt_install(sample, DEBIAN_TOOLS[sample])
        assert shutil.which(binary), f"{sample}: apt-get installed {DEBIAN_TOOLS[sample]}, but {binary} is not on PATH"


def _apt_install(sample: str, package: str) -> None:
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        pytest.fail(f"{sample}: rebuild.sh needs Debian's {package}; install it (apt-get install {package}) or run the tests as root")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", package]):
        result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=600)
        assert result.returncode == 0, f"{' '.join(command)}: exit {result.returncode}\n{_tail(result.stdout + result.stderr)}"


def rebuild(sample: str, root: Path) -> Path:
    """A copy of the sample below `root`, rebuilt by its rebuild.sh; returns the copy."""
    ensure_tools(sample)
    copy = root / sample
    shutil.copytree(frameworks.BUILDS / sample, copy, ignore=NOT_COPIED, symlinks=True)
    log = root / f"rebuild-{sample}.log"
    env = {**os.environ, **TELEMETRY_OFF, "VENV": str(root / "venv")}  # the Python samples' venv: outside the copy
    started = time.time()
    with log.open("w") as out:
        process = subprocess.Popen(
            [str(copy / "rebuild.sh")], cwd=copy, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,  # npm's children too: the whole group is killed on timeout
        )
        try:
            code = process.wait(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            pytest.fail(f"{sample}: rebuild.sh took more than {TIMEOUT}s\n{_tail(log.read_text(errors='replace'))}")
    elapsed = time.time() - started
    output = log.read_text(errors="replace")
    assert code == 0, f"{sample}: rebuild.sh failed (exit {code}, {elapsed:.0f}s)\n{_tail(output)}"
    build = frameworks.ALL_BUILDS[sample]
    tree = copy / build.build_dir / build.served
    assert tree.is_dir(), f"{sample}: rebuild.sh left no {build.build_dir}/{build.served}\n{_tail(output)}"
    fresh = [p for p in tree.rglob("*") if p.is_file() and p.stat().st_mtime >= started - 1]
    assert fresh, f"{sample}: rebuild.sh wrote nothing below {build.build_dir}/{build.served}\n{_tail(output)}"
    print(f"{sample}: rebuilt in {elapsed:.0f}s, {len(fresh)} files written")
    return copy


def _checks() -> list[tuple[str, Callable[..., None]]]:
    """test_frameworks.py's test functions: every one runs on the fresh build."""
    return [(name, function) for name, function in inspect.getmembers(frameworks, inspect.isfunction)
            if name.startswith("test_") and function.__module__ == frameworks.__name__]


def rebuild_and_check(sample: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "builds"
    root.mkdir()
    try:
        rebuild(sample, root)
        _check(sample, tmp_path, root, monkeypatch)
    finally:  # the installed packages go (hundreds of MB each); the copy, its build and the log stay
        shutil.rmtree(root / sample / "node_modules", ignore_errors=True)
        shutil.rmtree(root / "venv", ignore_errors=True)


def _check(sample: str, tmp_path: Path, root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(frameworks, "BUILDS", root)  # Build.home is BUILDS / sample: the copy
    build = frameworks.ALL_BUILDS[sample]
    assert build.home == root / sample and frameworks._present(build), f"{sample}: the checks would not read the copy"

    # test_frameworks.py's `served` fixture, on the copy
    out = tmp_path / "render"
    extra = ("--prefix", build.prefix) if build.prefix != "/" else ()
    result = frameworks.render(root / build.sample / build.build_dir, out, *extra)
    assert result.returncode == 0, result.stderr
    assert "detected" in result.stderr.splitlines()[0], result.stderr
    server = start_nginx(out / "nginx", http_part=(out / "http.conf").read_text(), server_part=(out / "server.conf").read_text())

    failures, ran = [], []
    try:
        for name, check in _checks():
            parameters = list(inspect.signature(check).parameters)
            if parameters == ["served"]:
                call = lambda check=check: check((build, server, result))  # noqa: E731
            elif parameters == ["sample", "tmp_path"]:
                own = tmp_path / name
                own.mkdir()
                call = lambda check=check, own=own: check(sample, own)  # noqa: E731
            else:
                failures.append(f"{name}: a check taking {parameters}: teach test_frameworks_rebuild.py to call it")
                continue
            try:
                call()
                ran.append(name)
            except pytest.skip.Exception as skipped:
                ran.append(f"{name} (skipped there too: {skipped})")
            except (Exception, pytest.fail.Exception) as error:  # every check runs; all failures are reported together
                failures.append(f"{name}: {type(error).__name__}: {error}")
    finally:
        server.stop()
    print(f"{sample}: checks run:", *ran, sep="\n  ")
    if failures:
        pytest.fail(f"{sample}, rebuilt: {len(failures)} check(s) failed\n" + "\n\n".join(failures), pytrace=False)
    assert ran, "no check found in tests/test_frameworks.py"


# The Python and Debian samples (pip in a venv, apt's hugo and jekyll): seconds each.
SAMPLES = ("django-compressor", "flask-assets", "hugo", "jekyll", "mkdocs-material", "sphinx")


@pytest.mark.parametrize("sample", SAMPLES)
def test_rebuilt_sample_passes_the_framework_checks(sample: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rebuild_and_check(sample, tmp_path, monkeypatch)


def test_every_sample_is_rebuilt_once() -> None:
    """Every sample of sample_configs/builds/ (test_frameworks.py's FRAMEWORKS) has a rebuild.sh, and
    exactly one rebuild file runs it. (Its BUNDLERS are committed output only: nothing to rebuild.)"""
    from tests import test_frameworks_rebuild_js as js
    from tests import test_frameworks_rebuild_js2 as js2

    groups = [SAMPLES, js.SAMPLES, js2.SAMPLES]
    assert sorted(s for group in groups for s in group) == sorted(b.sample for b in frameworks.FRAMEWORKS)
    for build in frameworks.FRAMEWORKS:
        assert build.base is None, f"{build.sample}: not below sample_configs/builds (BUILDS), where the checks are pointed at the copy"
        assert os.access(frameworks.BUILDS / build.sample / "rebuild.sh", os.X_OK), build.sample
