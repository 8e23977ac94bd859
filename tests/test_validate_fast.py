"""The check used at every size: crossplane on the skeleton, a strict grammar on the entries."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from nginxcache.classify import classify
from nginxcache.errors import ValidationError
from nginxcache.manifests import load_manifest
from nginxcache.model import CachePolicy, Strategy
from nginxcache import validate as validate_module
from nginxcache.mapformat import EntryChunk
from nginxcache.policy import RenderOptions
from nginxcache.render import Rendered, render_http_part
from nginxcache.validate import intended_http, validate_rendered

SAMPLES = Path(__file__).resolve().parent.parent / "sample_configs"
OPTIONS = RenderOptions(prefix="/static/", root="/srv/static/", name="t", strategy=Strategy.MAP,
                        policy=CachePolicy.from_ages(31536000, 0))


@pytest.fixture(scope="module")
def django() -> tuple:
    classification = classify([load_manifest(SAMPLES / "django" / "staticfiles.json")], "/static/", scan_tree=False)
    return classification, render_http_part(classification, OPTIONS, ["staticfiles.json (django)"])


def check(classification, rendered: Rendered) -> None:
    validate_rendered({"http": (rendered, intended_http(classification, OPTIONS, skeleton=True))},
                      {"http": "http.conf"}, classification)


def tampered(rendered: Rendered, tamper) -> Rendered:
    """The render with the text of its first run of plain keys changed."""
    first = next(i for i, chunk in enumerate(rendered.entries) if chunk.keys is None)
    entries = list(rendered.entries)
    entries[first] = entries[first]._replace(text=tamper(entries[first].text))
    return dataclasses.replace(rendered, entries=tuple(entries))


@pytest.fixture(params=["every key compared", "runs counted"])
def size_mode(request, monkeypatch) -> str:
    """Both checks: up to FULL_CHECK_ENTRIES every key is read back; above, runs are counted."""
    if request.param == "runs counted":
        monkeypatch.setattr(validate_module, "FULL_CHECK_ENTRIES", 0)
    return request.param


def test_untouched_render_passes(django, size_mode) -> None:
    classification, rendered = django
    check(classification, rendered)
    assert rendered.text.count(" 1;\n") == len(classification.hashed_uris)
    assert any(chunk.keys is None for chunk in rendered.entries)  # plain keys are joined, not quoted one by one


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
def test_tampered_entries_are_refused_with_a_line(django, size_mode, tamper, message: str) -> None:
    classification, rendered = django
    if size_mode == "runs counted" and message == "expected":
        if "BASE" in tamper('"admin/css/base"\n'):
            # above FULL_CHECK_ENTRIES a run's keys are those it was joined from: a changed
            # key still makes a well-formed line, and well-formed is what is checked there
            check(classification, tampered(rendered, tamper))
            return
        message = "not well-formed"  # a line less than the run's entries
    with pytest.raises(ValidationError) as caught:
        check(classification, tampered(rendered, tamper))
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
