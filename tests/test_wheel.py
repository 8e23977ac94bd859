"""The built wheel, installed in a fresh venv away from the checkout: templates are inside
it and the `nginxcache` command works with only the declared dependencies.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
VITE = REPO / "sample_configs" / "vite" / "dist" / ".vite" / "manifest.json"
TEMPLATES = ("http.conf.j2", "server.conf.j2", "site.conf.j2")

pytestmark = pytest.mark.slow


def _run(cmd: list[str | Path], cwd: Path, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    # No PYTHONPATH or NGINXCACHE_DEBUG from the caller: the venv must stand alone.
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "NGINXCACHE_DEBUG", "VIRTUAL_ENV")}
    return subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def _check(result: subprocess.CompletedProcess[str], what: str) -> None:
    assert result.returncode == 0, f"{what} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build from a copy of the checkout, so the build leaves nothing in the work tree."""
    base = tmp_path_factory.mktemp("wheel")
    source = base / "src"
    shutil.copytree(
        REPO, source,
        ignore=shutil.ignore_patterns(".git", ".venv", "__pycache__", "*.egg-info", ".pytest_cache", ".hypothesis", ".benchmarks", "build", "dist"),
    )
    dist = base / "dist"
    try:
        import build  # noqa: F401

        cmd: list[str | Path] = [sys.executable, "-m", "build", "--wheel", "--outdir", dist, source]
    except ImportError:
        cmd = [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", dist, source]
    _check(_run(cmd, base), "building the wheel")
    wheels = list(dist.glob("nginxcache-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv (no system site-packages) with only the wheel and its declared deps."""
    env_dir = tmp_path_factory.mktemp("venv") / "venv"
    venv.EnvBuilder(with_pip=True, symlinks=True).create(env_dir)
    python = env_dir / "bin" / "python"
    _check(_run([python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", wheel], env_dir.parent), "pip install")
    return env_dir


def test_wheel_ships_templates_inside_the_package(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        for template in TEMPLATES:
            assert f"nginxcache/templates/{template}" in names
            shipped = archive.read(f"nginxcache/templates/{template}")
            assert shipped == (REPO / "templates" / template).read_bytes()
        entry_points = archive.read(next(n for n in names if n.endswith(".dist-info/entry_points.txt"))).decode()
        metadata = archive.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    assert "nginxcache = nginxcache.cli:run" in entry_points
    # PEP 561: type checkers use the package's own annotations
    assert "nginxcache/py.typed" in names
    assert any(".dist-info/" in n and n.endswith("/LICENSE") for n in names), sorted(names)
    # the version is written once, in nginxcache/__init__.py
    version = re.search(r'^__version__ = "(.+)"$', (REPO / "nginxcache" / "__init__.py").read_text(), re.M)
    assert version and f"\nVersion: {version.group(1)}\n" in metadata
    assert not [n for n in names if n.startswith(("tests/", "sample_configs/", "templates/"))]


def test_installed_package_uses_its_own_templates(installed: Path, tmp_path: Path) -> None:
    result = _run(
        [installed / "bin" / "python", "-c", "import nginxcache, nginxcache.render as r; print(nginxcache.__file__); print(r.templates_dir())"],
        tmp_path,
    )
    _check(result, "importing nginxcache")
    package_file, templates = result.stdout.splitlines()
    assert Path(package_file).resolve().is_relative_to(installed.resolve())
    assert Path(templates).resolve() == Path(package_file).resolve().parent / "templates"


@pytest.mark.parametrize("entry", ["script", "module"])
def test_installed_command_renders_outside_the_checkout(installed: Path, tmp_path: Path, entry: str) -> None:
    assert not tmp_path.resolve().is_relative_to(REPO)
    prog = [installed / "bin" / "nginxcache"] if entry == "script" else [installed / "bin" / "python", "-m", "nginxcache"]
    result = _run([*prog, "render", VITE, "--prefix", "/"], tmp_path)
    assert "Traceback" not in result.stderr
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert '1 "public, max-age=31536000, immutable";' in result.stdout
    assert '"/assets/index-YpS4Hvbq.js" 1;' in result.stdout
    assert list(tmp_path.iterdir()) == []


def test_installed_command_usage_error_is_one_line(installed: Path, tmp_path: Path) -> None:
    result = _run([installed / "bin" / "nginxcache", "render", VITE, "--no-such-option"], tmp_path)
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("nginxcache: error: No such option: --no-such-option")
