"""The import graph runs one way: model -> manifests/classify -> policy -> render -> validate
-> output, the pipeline on top of them, the CLI only at the top. Read from the source, so a
module that reaches up (classify importing render, say) fails here, not in a review."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from conftest import REPO

PACKAGE = REPO / "nginxcache"

# Each module's layer: a module may import only modules of a lower layer, or of its own
# package (a package's modules are one layer: manifests/, lint/, cli/).
LAYERS: list[tuple[str, ...]] = [
    ("nginxcache", "nginxcache.errors"),
    ("nginxcache.tempfiles",),
    ("nginxcache.model", "nginxcache.quoting", "nginxcache.hashtoken", "nginxcache.maphash", "nginxcache.httpwire"),
    ("nginxcache.manifests", "nginxcache.scan", "nginxcache.mapformat", "nginxcache.buildtree"),
    ("nginxcache.classify", "nginxcache.linkversions", "nginxcache.detect"),
    ("nginxcache.policy",),
    ("nginxcache.render",),
    ("nginxcache.validate",),
    ("nginxcache.output", "nginxcache.nginxrun"),
    ("nginxcache.pipeline", "nginxcache.probe", "nginxcache.retention"),
    ("nginxcache.lint",),  # lint --manifest BUILD_DIR reads a build directory as render does
    ("nginxcache.integrations",),  # other tools' adapters to the pipeline (the Ansible module's work)
    # the command line; the Django app and the Ansible collection's module (on the pipeline, never the CLI)
    ("nginxcache.cli", "nginxcache.django", "nginxcache.ansible"),
    ("nginxcache.__main__",),  # python -m nginxcache: the program, on top of everything
]


def module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer_of(module: str) -> tuple[int, str]:
    """(layer, unit): the unit is the package a module belongs to for this rule."""
    best: tuple[int, str] | None = None
    for index, names in enumerate(LAYERS):
        for name in names:
            if (module == name or module.startswith(name + ".")) and (best is None or len(name) > len(best[1])):
                best = (index, name)
    assert best is not None, f"{module} has no layer: add it to LAYERS"
    return best


def imports_of(path: Path) -> list[tuple[int, str]]:
    """(line, module) of every nginxcache import, at any depth (lazy imports count too)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("nginxcache"):
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                # `from nginxcache.cli import render` names a module; `from x import f` a name.
                found.append((node.lineno, full if (PACKAGE / Path(*full.split(".")[1:])).with_suffix(".py").exists() else node.module))
        elif isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names if alias.name.startswith("nginxcache")]
    return found


SOURCES = sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: module_name(p))
def test_imports_run_one_way(path: Path) -> None:
    me = module_name(path)
    my_layer, my_unit = layer_of(me)
    for line, imported in imports_of(path):
        their_layer, their_unit = layer_of(imported)
        if their_unit == my_unit and my_unit != "nginxcache":
            continue  # within one package
        assert their_layer < my_layer or (their_layer == my_layer and imported == "nginxcache"), (
            f"{path.relative_to(REPO)}:{line}: {me} (layer {my_layer}) imports {imported} (layer {their_layer})"
        )


def test_the_rule_catches_an_upward_import(tmp_path: Path) -> None:
    """The check itself can fail: classify importing render is what it exists to stop."""
    assert layer_of("nginxcache.render")[0] > layer_of("nginxcache.classify")[0]
    assert layer_of("nginxcache.cli.render") == (len(LAYERS) - 2, "nginxcache.cli")


def test_only_the_cli_prints() -> None:
    """Library modules return messages; printing belongs to the CLI (and the lint/probe
    report formatters return strings)."""
    for path in SOURCES:
        if module_name(path).startswith("nginxcache.cli"):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        calls = [n.lineno for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, "id", None) == "print"]
        assert calls == [], f"{path.relative_to(REPO)} prints at lines {calls}"
