"""The check used at every size: crossplane on the skeleton, a strict grammar on the entries."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from nginxcache.classify import classify
from nginxcache.errors import ValidationError
from nginxcache.manifests import load_manifest
from nginxcache.model import CachePolicy, Strategy
from nginxcache.render import RenderOptions, Rendered, render_http_part
from nginxcache.validate import intended_http, intended_keys, validate_rendered

SAMPLES = Path(__file__).resolve().parent.parent / "sample_configs"
OPTIONS = RenderOptions(prefix="/static/", root="/srv/static/", name="t", strategy=Strategy.MAP,
                        policy=CachePolicy.from_ages(31536000, 0))


@pytest.fixture(scope="module")
def django() -> tuple:
    classification = classify([load_manifest(SAMPLES / "django" / "staticfiles.json")], "/static/", scan_tree=False)
    return classification, render_http_part(classification, OPTIONS, ["staticfiles.json (django)"])


def check(classification, rendered: Rendered) -> None:
    validate_rendered({"http": (rendered, intended_http(classification, OPTIONS, skeleton=True))},
                      {"http": "http.conf"}, intended_keys(classification))


def test_untouched_render_passes(django) -> None:
    classification, rendered = django
    check(classification, rendered)
    assert rendered.text.count(" 1;\n") == len(classification.hashed_uris)


@pytest.mark.parametrize(
    "tamper, message",
    [
        (lambda e: e.replace('.css" 1;\n', '.css" 1; } location /leak/ { alias /etc/; } map $x $y {\n', 1), "complete, quoted"),
        (lambda e: e.replace("admin/css/base", "admin/css/BASE", 1), "expected"),
        (lambda e: e.split("\n", 1)[1], "expected"),
        (lambda e: '    "include" 1;\n' + e, "complete, quoted"),
        (lambda e: e.replace('" 1;\n', '" 0;\n', 1), "complete, quoted"),
        (lambda e: e.replace('"/static/', '/static/', 1), "complete, quoted"),
    ],
    ids=["injection", "changed key", "dropped entry", "include key", "wrong value", "unquoted"],
)
def test_tampered_entries_are_refused_with_a_line(django, tamper, message: str) -> None:
    classification, rendered = django
    with pytest.raises(ValidationError) as caught:
        check(classification, dataclasses.replace(rendered, entries=tamper(rendered.entries)))
    assert message in str(caught.value)
    assert caught.value.line is not None and caught.value.line > 10


def test_marker_outside_the_map_is_refused(django) -> None:
    classification, rendered = django
    moved = rendered.skeleton.replace(rendered.marker + "\n", "", 1) + rendered.marker.strip() + "\n"
    with pytest.raises(ValidationError):
        check(classification, dataclasses.replace(rendered, skeleton=moved, marker=rendered.marker.strip()))


def test_a_second_marker_is_refused(django) -> None:
    classification, rendered = django
    doubled = rendered.skeleton.replace(rendered.marker + "\n", (rendered.marker + "\n") * 2, 1)
    with pytest.raises(ValidationError, match="not unique"):
        check(classification, dataclasses.replace(rendered, skeleton=doubled))
