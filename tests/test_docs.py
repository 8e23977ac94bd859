"""The documentation stays true to the program: the options reference is what
docs/gen_reference.py generates from the command line now, SARIF links each rule to its
page, every page is in the site's navigation, and the README's links and set-up commands hold.
"""

from __future__ import annotations

import importlib.util
import re
from types import ModuleType

from conftest import REPO

from nginxcache.lint import all_codes
from nginxcache.lint.report import DOCS_URL, ReportFormat, render_report

DOCS = REPO / "docs"
README = REPO / "README.md"
MKDOCS = REPO / "mkdocs.yml"
REGENERATE = "python docs/gen_reference.py"


def gen_reference() -> ModuleType:
    """docs/gen_reference.py, imported by path: docs/ is not a package."""
    spec = importlib.util.spec_from_file_location("gen_reference", DOCS / "gen_reference.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_options_reference_matches_the_command_line() -> None:
    generator = gen_reference()
    committed = generator.OUTPUT.read_text(encoding="utf-8") if generator.OUTPUT.exists() else ""
    assert committed == generator.generate(), f"{generator.OUTPUT.relative_to(REPO)} is stale: run `{REGENERATE}`"


def test_options_reference_lists_every_command_and_option() -> None:
    import typer.main

    from nginxcache.cli import app

    text = gen_reference().generate()
    group = typer.main.get_command(app)
    for name, command in group.commands.items():
        if getattr(command, "hidden", False):
            continue
        assert f"## `nginxcache {name}`" in text, name
        section = text.split(f"## `nginxcache {name}`", 1)[1].split("\n## ", 1)[0]
        for param in command.params:
            if getattr(param, "hidden", False) or param.param_type_name != "option":
                continue
            for opt in [*param.opts, *param.secondary_opts]:
                assert f"`{opt}" in section, f"{name}: {opt} missing from the reference"


def test_sarif_links_every_rule_to_its_page() -> None:
    import json

    document = json.loads(render_report([], ReportFormat.SARIF, all_codes()))
    rules = document["runs"][0]["tool"]["driver"]["rules"]
    assert {rule["id"] for rule in rules} == set(all_codes())
    for rule in rules:
        assert rule["helpUri"] == f"{DOCS_URL}rules/{rule['id']}/"
        # mkdocs publishes docs/rules/NC101.md at rules/NC101/
        assert (DOCS / "rules" / f"{rule['id']}.md").is_file(), rule["id"]


def nav_pages() -> set[str]:
    return set(re.findall(r"^\s*- (?:[^:\n]+: )?([\w./-]+\.md)\s*$", MKDOCS.read_text(encoding="utf-8"), re.M))


def test_every_page_is_in_the_navigation_and_every_entry_exists() -> None:
    pages = {path.relative_to(DOCS).as_posix() for path in DOCS.rglob("*.md")}
    nav = nav_pages()
    assert nav - pages == set(), "mkdocs.yml names pages that do not exist"
    assert pages - nav == set(), "pages missing from the nav in mkdocs.yml"


def test_readme_links_into_the_docs_resolve() -> None:
    links = re.findall(r"\]\(((?!https?:|#)[^)\s]+)\)", README.read_text(encoding="utf-8"))
    assert any(link.startswith("docs/") for link in links)
    for link in links:
        target = REPO / link.split("#", 1)[0]
        assert target.exists(), f"README links to {link}, which does not exist"


def test_readme_keeps_the_two_set_up_commands() -> None:
    text = README.read_text(encoding="utf-8")
    for command in ("bash sample_configs/demo.sh", "bash tests/run.sh"):
        assert re.search(rf"^{re.escape(command)}\b", text, re.M), f"README lost `{command}`"


# Spelled in two pieces so that this file does not itself point at the folder.
OUTSIDE_FOLDER = "../" + "shared/"


def test_no_project_file_points_outside_the_repository() -> None:
    roots = [REPO / name for name in ("nginxcache", "templates", "tests", "docs", "sample_configs", "benchmarks")]
    files = [REPO / "README.md", MKDOCS, REPO / "pyproject.toml"]
    for root in roots:
        files += [p for p in root.rglob("*") if p.suffix in {".py", ".md", ".j2", ".sh", ".toml", ".yml", ".cfg", ".txt"}]
    offenders = []
    for path in files:
        if path.is_file() and OUTSIDE_FOLDER in path.read_text(encoding="utf-8", errors="replace"):
            offenders.append(str(path.relative_to(REPO)))
    assert offenders == [], f"{OUTSIDE_FOLDER} is not part of the repository: {offenders}"
