"""The hook .pre-commit-hooks.yaml offers, read as pre-commit reads it: which files of a user's
repository it lints (pre-commit matches `files` and `exclude` with Python's re.search on the path
from the repository root), and that its entry is the command the package installs. The real
pre-commit runs it in tests/test_precommit.py (slow)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent


def hook() -> dict[str, Any]:
    [only] = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    return only  # type: ignore[no-any-return]


def linted(path: str, user_exclude: str | None = None) -> bool:
    """As pre-commit decides: `files` matches and `exclude` does not; a user's `exclude:` in
    .pre-commit-config.yaml replaces the hook's (pre-commit's own default is `^$`)."""
    spec = hook()
    exclude = user_exclude or spec.get("exclude", "^$")
    return bool(re.search(spec["files"], path)) and not re.search(exclude, path)


@pytest.mark.parametrize(
    "path",
    [
        "nginx.conf",
        "nginx/nginx.conf",
        "etc/nginx/conf.d/default.conf",
        "deploy/nginx/snippets/static.conf",
        "conf.d/app.conf",
        "sites-available/example.com",
        "sites-enabled/default",
        "etc/nginx/sites-available/shop.example.org",
        "sites-available/app.conf",
        "app.nginx",
    ],
)
def test_nginx_configs_are_linted(path: str) -> None:
    assert linted(path), path


@pytest.mark.parametrize(
    "path",
    [
        "README.md",
        "sites-available/README.md",
        "sites-available/notes.txt",
        "sites-available/example.com.bak",
        "sites-available/default.dpkg-dist",
        "nginx/templates/default.conf.template",
        "ansible/templates/site.conf.j2",
        "nginx/Dockerfile",
        "sites-available/old/example.com",  # a directory below sites-available is not nginx's
        "html/index.html",
        "conf.d",
    ],
)
def test_other_files_are_left_alone(path: str) -> None:
    assert not linted(path), path


def test_a_users_exclude_keeps_docs_and_templates_out() -> None:
    """The hook leaves docs, backups and templates out through `files`, so a user's `exclude:`
    (which replaces the hook's) leaves them out still."""
    assert not linted("supervisor/app.conf", user_exclude="^supervisor/")
    for path in ("sites-available/README.md", "nginx/default.conf.template", "site.conf.j2", "app.conf.bak"):
        assert not linted(path, user_exclude="^supervisor/"), path
    assert linted("nginx/app.conf", user_exclude="^supervisor/")


def test_hook_runs_the_installed_lint_command() -> None:
    spec = hook()
    assert spec["id"] == "nginxcache-lint"
    assert spec["language"] == "python"  # pre-commit pip-installs this repository
    assert spec["types"] == ["text"]
    assert spec["require_serial"] is True  # one run over all files: the same output order each time
    command, subcommand = spec["entry"].split()
    scripts = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]
    assert command in scripts and subcommand == "lint"
    assert spec.get("pass_filenames", True) and not spec.get("args")


def test_documented_configs_name_the_hook() -> None:
    """The .pre-commit-config.yaml blocks of docs/integrations/pre-commit.md parse and name this
    hook; keys under it are ones pre-commit knows."""
    page = (REPO / "docs" / "integrations" / "pre-commit.md").read_text(encoding="utf-8")
    configs = [yaml.safe_load(block) for block in re.findall(r"```yaml\n(.*?)```", page, re.S)]
    full = [c for c in configs if isinstance(c, dict) and "repos" in c]
    assert full and all(c["repos"][0]["hooks"][0]["id"] == hook()["id"] for c in full)
    assert full[0]["repos"][0]["repo"] == "https://github.com/nginxcache/nginxcache"
    known = {"id", "name", "entry", "language", "language_version", "files", "exclude", "types", "args", "verbose",
             "require_serial", "pass_filenames", "alias", "stages"}
    for config in configs:
        hooks = config["repos"][0]["hooks"] if isinstance(config, dict) else config
        for entry in hooks:
            assert set(entry) <= known, entry
