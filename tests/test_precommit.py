"""The nginxcache-lint hook of .pre-commit-hooks.yaml, run by real pre-commit (from PyPI) in a new
git repository, as a user sets it up: `repo:` is a git repository holding this checkout's files
(the working tree as it is, committed there, so uncommitted changes are what is tested) and
`rev:` its commit; pre-commit clones it and pip-installs nginxcache from it into a fresh
PRE_COMMIT_HOME, as on a user's first run.

It passes on good configs (twice, the same way), fails with each finding's line on configs
with findings, fails with one clear line on a config nginx cannot read, and stops a `git
commit` after `pre-commit install`. Slow: pip installs pre-commit (cached under
~/.cache/nginxcache-tests/) and nginxcache's hook environment; skipped only without network.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import venv
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parent.parent
PRE_COMMIT_VERSION = "4.7.0"  # the version this test was written against; raise it on purpose
CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "nginxcache-tests" / f"pre-commit-{PRE_COMMIT_VERSION}"
NOT_COPIED = shutil.ignore_patterns(
    ".git", ".venv", "__pycache__", "*.egg-info", ".pytest_cache", ".hypothesis", ".mypy_cache", ".ruff_cache",
    "node_modules", "build", "dist", "site",
)
OFFLINE = re.compile(
    r"Failed to establish a new connection|Temporary failure in name resolution|Name or service not known|"
    r"Network is unreachable|No matching distribution found|Could not find a version that satisfies|ConnectTimeout"
)
TIMEOUT = 900  # seconds: a first pre-commit run pip-installs nginxcache and its dependencies

GOOD_SITE = """\
server {
    listen 80;
    server_name example.com;
    root /srv/example;
    include snippets/tls-params.conf;  # not in this repository: lint says it skips it
    location /assets/ {
        add_header Cache-Control "public, max-age=31536000, immutable";
    }
    location / {
        add_header Cache-Control "no-cache";
        try_files $uri $uri/ =404;
    }
}
"""
CACHE_EVERYTHING = """\
server {
    listen 80;
    root /srv/shop;
    location / {
        expires max;
        try_files $uri /index.html;
    }
}
"""
MISSING_SEMICOLON = """\
server {
    listen 80;
    location / {
        expires 1h
    }
}
"""


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "NGINXCACHE_DEBUG", "PRE_COMMIT_HOME")}
    env.update(
        GIT_AUTHOR_NAME="nginxcache tests", GIT_AUTHOR_EMAIL="tests@nginxcache.invalid",
        GIT_COMMITTER_NAME="nginxcache tests", GIT_COMMITTER_EMAIL="tests@nginxcache.invalid",
        GIT_CONFIG_NOSYSTEM="1", PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_INPUT="1",
    )
    env.update(extra)
    return env


def _run(cmd: list[str | Path], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, capture_output=True, text=True, timeout=TIMEOUT)


def _skip_if_offline(result: subprocess.CompletedProcess[str], what: str) -> None:
    output = result.stdout + result.stderr
    if result.returncode != 0 and OFFLINE.search(output):
        pytest.skip(f"{what}: no package index reachable ({OFFLINE.search(output).group(0)})")  # type: ignore[union-attr]


@pytest.fixture(scope="module")
def pre_commit(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """pre-commit from PyPI in a venv of its own, kept between runs (keyed by its version)."""
    executable = CACHE / "bin" / "pre-commit"
    complete = CACHE / ".installed"  # written last: a venv without it is half-made and made again
    if not complete.exists():
        shutil.rmtree(CACHE, ignore_errors=True)
        venv.EnvBuilder(with_pip=True, symlinks=True).create(CACHE)
        result = _run([CACHE / "bin" / "python", "-m", "pip", "install", "-q", f"pre-commit=={PRE_COMMIT_VERSION}"], CACHE, _env())
        _skip_if_offline(result, "pip install pre-commit")
        assert result.returncode == 0, result.stdout + result.stderr
        complete.write_text(PRE_COMMIT_VERSION + "\n")
    return executable


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A git repository of this checkout's files as they are now, and its commit."""
    repo = tmp_path_factory.mktemp("hook-repo") / "nginxcache"
    shutil.copytree(REPO, repo, ignore=NOT_COPIED)
    env = _env(GIT_CONFIG_GLOBAL=os.devnull)
    for command in (["git", "init", "-q", "-b", "main"], ["git", "add", "-A"], ["git", "commit", "-q", "--no-verify", "-m", "snapshot"]):
        result = _run(command, repo, env)
        assert result.returncode == 0, f"{command}: {result.stderr}"
    sha = _run(["git", "rev-parse", "HEAD"], repo, env).stdout.strip()
    assert (repo / ".pre-commit-hooks.yaml").is_file()
    return repo, sha


class User:
    """A new project with nginx configs, using the hook as the docs say."""

    def __init__(self, root: Path, pre_commit: Path, home: Path) -> None:
        self.root = root
        self.pre_commit = pre_commit
        self.env = _env(GIT_CONFIG_GLOBAL=os.devnull, PRE_COMMIT_HOME=str(home))

    def git(self, *args: str) -> subprocess.CompletedProcess[str]:
        return _run(["git", *args], self.root, self.env)

    def write(self, name: str, text: str) -> None:
        (self.root / name).parent.mkdir(parents=True, exist_ok=True)
        (self.root / name).write_text(text)
        assert self.git("add", name).returncode == 0

    def run_hooks(self) -> tuple[int, str]:
        result = _run([self.pre_commit, "run", "--all-files", "--color", "never"], self.root, self.env)
        _skip_if_offline(result, "pre-commit installing the hook")
        assert "Traceback" not in result.stdout + result.stderr, result.stdout + result.stderr
        return result.returncode, result.stdout + result.stderr


def _hook_output(output: str) -> str:
    """What the hook printed, without pre-commit's own [INFO] lines about installing it."""
    return "\n".join(line for line in output.splitlines() if not line.startswith("[INFO]"))


@pytest.fixture(scope="module")
def user(tmp_path_factory: pytest.TempPathFactory, pre_commit: Path, hook_repo: tuple[Path, str]) -> User:
    base = tmp_path_factory.mktemp("user")
    project = User(base / "project", pre_commit, base / "pre-commit-home")
    project.root.mkdir()
    assert project.git("init", "-q", "-b", "main").returncode == 0
    repo, sha = hook_repo
    project.write(".pre-commit-config.yaml", f"repos:\n  - repo: {repo}\n    rev: {sha}\n    hooks:\n      - id: nginxcache-lint\n")
    project.write("nginx/nginx.conf", "events {}\nhttp {\n    include conf.d/*.conf;\n}\n")
    project.write("nginx/conf.d/example.conf", GOOD_SITE)
    project.write("sites-available/example.com", GOOD_SITE)  # Debian's layout: no .conf
    # not nginx configs (yet): left alone by the hook's files/exclude patterns
    project.write("README.md", "# a site\n")
    project.write("sites-available/README.md", "These are *not* nginx { configs\n")
    project.write("nginx/templates/default.conf.template", "server { listen ${PORT}; }\n")
    project.write("docker/Dockerfile", "FROM nginx:1.27\n")
    assert project.git("commit", "-q", "--no-verify", "-m", "configs").returncode == 0
    return project


def test_first_run_installs_and_passes_and_the_second_does_the_same(user: User) -> None:
    code, first = user.run_hooks()
    assert code == 0, first
    assert re.search(r"^nginxcache lint\.+Passed$", first, re.M), first
    assert "Installing environment" in first  # a fresh PRE_COMMIT_HOME: the hook was really installed
    code, second = user.run_hooks()
    assert code == 0, second
    assert "Installing environment" not in second
    assert _hook_output(second) == _hook_output(first)
    assert user.git("status", "--porcelain").stdout == ""  # the hook changes no file


def test_findings_fail_the_run_with_one_line_each(user: User) -> None:
    user.write("nginx/conf.d/shop.conf", CACHE_EVERYTHING)
    try:
        code, first = user.run_hooks()
        assert code == 1, first
        assert re.search(r"^nginxcache lint\.+Failed$", first, re.M), first
        assert "- exit code: 1" in first
        for line in ("nginx/conf.d/shop.conf:4:5: NC106 ", "nginx/conf.d/shop.conf:5:9: NC101 ", "nginx/conf.d/shop.conf:6:9: NC107 "):
            assert f"\n{line}" in first, first  # each finding a line of its own, path as in the repository
        code, second = user.run_hooks()
        assert (code, _hook_output(second)) == (1, _hook_output(first))  # the same, in the same order, every time
    finally:
        assert user.git("rm", "-q", "-f", "nginx/conf.d/shop.conf").returncode == 0
    assert user.run_hooks()[0] == 0


def test_a_config_nginx_cannot_read_is_one_clear_line(user: User) -> None:
    user.write("sites-enabled/shop.example.org", MISSING_SEMICOLON)
    try:
        code, output = user.run_hooks()
        assert code == 1, output  # pre-commit's own exit code for a failed hook
        assert "- exit code: 3" in output  # lint's: the input cannot be read
        errors = [line for line in output.splitlines() if line.startswith("nginxcache: error:")]
        assert errors == ['nginxcache: error: sites-enabled/shop.example.org:5: unexpected "}"'], output
    finally:
        assert user.git("rm", "-q", "-f", "sites-enabled/shop.example.org").returncode == 0


def test_installed_hook_stops_a_commit(user: User) -> None:
    install = _run([user.pre_commit, "install"], user.root, user.env)
    assert install.returncode == 0, install.stdout + install.stderr
    head = user.git("rev-parse", "HEAD").stdout
    try:
        user.write("nginx/conf.d/shop.conf", CACHE_EVERYTHING)
        refused = user.git("commit", "-q", "-m", "cache everything")
        assert refused.returncode != 0, refused.stdout + refused.stderr
        assert "nginx/conf.d/shop.conf:6:9: NC107" in refused.stdout + refused.stderr
        assert user.git("rev-parse", "HEAD").stdout == head
        user.write("nginx/conf.d/shop.conf", CACHE_EVERYTHING.replace("expires max;", 'add_header Cache-Control "no-cache";').replace(
            "/index.html;", "=404;"))
        accepted = user.git("commit", "-q", "-m", "revalidate")
        assert accepted.returncode == 0, accepted.stdout + accepted.stderr
        assert user.git("rev-parse", "HEAD").stdout != head
    finally:
        _run([user.pre_commit, "uninstall"], user.root, user.env)


def test_the_manifest_is_valid_for_pre_commit(pre_commit: Path) -> None:
    result = _run([pre_commit, "validate-manifest", REPO / ".pre-commit-hooks.yaml"], REPO, _env())
    assert result.returncode == 0, result.stdout + result.stderr
