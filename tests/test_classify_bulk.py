"""classify's bulk checks (one pass over all names finds the few that need a rule of their
own) give exactly what the per-name rules give, name by name."""

from __future__ import annotations

import dataclasses
import json
import re
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nginxcache.classify import _UNSAFE_CHAR, SERVICE_WORKERS, always_revalidated, classify, is_dotfile
from nginxcache.errors import ManifestError, UnsafeEntryError
from nginxcache.manifests import _read_json, load_manifest
from nginxcache.model import Entries, ManifestFormat, ManifestReading, key_path
from nginxcache.quoting import asset_path_problem, nginx_quote
from test_quoting import CONTROL_CHARS  # from Unicode's tables: Cc, Zl, Zp, Bidi_Control
from nginxcache.mapformat import map_key
from nginxcache.render import map_entry_chunks

PREFIX = "/static/"
UNSAFE = re.compile(f'[{re.escape(CONTROL_CHARS)}"\\\\\ud800-\udfff]')  # what the bulk checks look for
# The control characters beyond ASCII, some ASCII ones, and look-alikes that are not controls.
HOSTILE_CHARS = [c for c in CONTROL_CHARS if not c.isascii()]
HOSTILE_CHARS += ["\x00", "\n", "\x7f", "\u200b", "\u00a0", "\u2026", "\u00e9", "x", '"', "\\"]
SEGMENTS = st.sampled_from(
    ["css", "JS", "img", ".well-known", ".git", "a b", 'q"uote', "back\\slash", "é", "İ", "x.y", "..z"]
)
NAMES = st.sampled_from(
    [
        "app.0123456789ab.css", "App.0123456789ab.css", "APP.0123456789AB.CSS", "index.html", "page.HTM",
        "sw.js", "service-worker.js", "firebase-messaging-sw.js", "my-sw.js", "worker.js", "x.webmanifest",
        "site.WEBMANIFEST", ".env", ".htaccess", "a.js", "ß.css", "SS.css", "k.html.js",
    ]
)
PATHS = st.builds(lambda dirs, name: "/".join([*dirs, name]), st.lists(SEGMENTS, max_size=3), NAMES)


def django_reading(tmp_path: Path, paths: list[str]) -> ManifestReading:
    originals = [f"o{i}/{p}" for i, p in enumerate(paths)]
    return ManifestReading(
        format=ManifestFormat.DJANGO,
        file=str(tmp_path / "staticfiles.json"),
        build_root=tmp_path,
        hashed=Entries(paths, originals, ("paths",)),
        hashed_reason="test",
        manifest_relpath="staticfiles.json",
        paths_relative_to_root=True,
        # the reader's promise: set only when no name holds a control character, quote or backslash
        plain_strings=not any(UNSAFE.search(p) for p in paths),
    )


def per_name(paths: list[str], prefix: str = PREFIX) -> tuple[list[str], dict[str, str], frozenset[str]]:
    """The rules applied one name at a time: (hashed URIs, unhashed URI -> why, case twins)."""
    hashed, unhashed = set(), {}
    for path in paths:
        uri = prefix + path
        why = "a dotfile: not served (404)" if is_dotfile(uri) else always_revalidated(uri, SERVICE_WORKERS)
        if why:
            unhashed[uri] = why
        else:
            hashed.add(uri)
    # A twin is a hashed URI that another URI (hashed or not) equals up to case: counting each
    # lowered URI once finds them in one pass (the same test as comparing every pair).
    lowered = Counter(uri.lower() for uri in hashed | unhashed.keys())
    twins = frozenset(u for u in hashed if lowered[u.lower()] > 1)
    return sorted(hashed), unhashed, twins


@settings(max_examples=300, deadline=None)
@given(paths=st.lists(PATHS, max_size=40), prefix=st.sampled_from([PREFIX, "/Static/", "/"]))
def test_bulk_checks_agree_with_the_per_name_rules(tmp_path_factory, paths: list[str], prefix: str) -> None:
    tmp_path = tmp_path_factory.mktemp("bulk")
    result = classify([django_reading(tmp_path, paths)], prefix, scan_tree=False)
    hashed, unhashed, twins = per_name(paths, prefix)
    assert list(result.hashed_uris) == hashed
    assert {uri: why for uri, (_, _, why) in result.unhashed_evidence.items()} == unhashed
    assert result.case_sensitive_uris == twins
    for uri in hashed:  # evidence names the first entry for it
        file, where, reason = result.evidence[uri]
        first = paths.index(uri[len(prefix) :])
        assert where == key_path("paths", f"o{first}/{paths[first]}")
        assert reason == "test" and file.endswith("staticfiles.json")
    # the map entries, however written (classify's lines spliced, or a join per chunk), are
    # exactly the per-URI rendering: each hashed URI, in order, a regex key for each twin
    chunks = list(map_entry_chunks(result))
    assert sum(chunk.line_count for chunk in chunks) == len(hashed)
    assert "".join(c.text for c in chunks) == "".join(f"    {nginx_quote(map_key(u, u in twins))} 1;\n" for u in hashed)


def test_entry_lines_made_by_the_scan_are_the_render() -> None:
    """The scan's text is written as it is only when every name is plain and none dropped."""
    paths = [f"app/{i:05d}.0123456789ab.js" for i in range(2000)]
    result = classify([django_reading(Path("/nonexistent"), paths)], PREFIX, scan_tree=False)
    assert result.hashed_uris.entry_lines is not None
    chunks = list(map_entry_chunks(result))
    assert len(chunks) == 1 and chunks[0].text == "".join(f'    "{PREFIX}{p}" 1;\n' for p in sorted(paths))
    # a dropped name's line is left out of the same text, a twin's becomes a regex key line
    more = [*paths, "index.html", "app/00007.0123456789AB.js", "zz/.env"]
    spliced = classify([django_reading(Path("/nonexistent"), more)], PREFIX, scan_tree=False)
    assert "/static/index.html" not in spliced.hashed_uris and spliced.hashed_uris.entry_lines is not None
    pieces = list(map_entry_chunks(spliced))
    twin_lines = [c for c in pieces if c.keys is not None]
    assert [c.keys for c in twin_lines] == [["~^/static/app/00007\\.0123456789AB\\.js\\z"], ["~^/static/app/00007\\.0123456789ab\\.js\\z"]]
    expected = [f"    {nginx_quote(map_key(u, u in spliced.case_sensitive_uris))} 1;\n" for u in spliced.hashed_uris]
    assert "".join(c.text for c in pieces) == "".join(expected)


@pytest.mark.parametrize(
    ("bad", "reason"),
    [("a//b.css", "empty path segment"), ("/abs.css", "absolute"), ("a/../b.css", "'..'"), ("./a.css", "'.'"),
     ("dir/", "empty path segment"), ("", "empty"), ("a\nb.css", "control character"), ("a\x7fb.css", "control character"),
     ("a\ud800.css", "surrogate"), ("a\x85b.css", "control character"), ("a\u202eb.css", "control character"),
     ("a\u2028b.css", "control character"), ("a\u2069b.css", "control character"), ("a\x9bb.css", "control character")],
)
def test_a_bad_name_among_many_is_refused_naming_its_entry(tmp_path: Path, bad: str, reason: str) -> None:
    paths = [f"app/{i}.0123456789ab.js" for i in range(500)] + [bad] + ["z.0123456789ab.css"]
    reading = dataclasses.replace(django_reading(tmp_path, paths), plain_strings=False)
    with pytest.raises(UnsafeEntryError) as caught:
        classify([reading], PREFIX, scan_tree=False)
    assert reason in str(caught.value)
    assert caught.value.key_path == Entries(paths, [f"o{i}/{p}" for i, p in enumerate(paths)], ("paths",)).where(500)


def test_many_special_names_are_not_quadratic(tmp_path: Path) -> None:
    """Every special name is looked up once through an index, not by a scan of the list."""
    paths = [f"docs/p{i}.html" for i in range(20000)] + [f"a/{i}.0123456789ab.js" for i in range(20000)]
    result = classify([django_reading(tmp_path, paths)], PREFIX, scan_tree=False)
    assert len(result.hashed_uris) == 20000 and len(result.unhashed_evidence) == 20000
    assert result.unhashed_evidence["/static/docs/p7.html"][1] == '["paths"]["o7/docs/p7.html"]'


@pytest.mark.parametrize("prefix", ["/static/", "/Static/"])
@pytest.mark.parametrize("text", ["ascii", "not ascii"])
def test_names_lower_changes_are_found_across_blocks(tmp_path: Path, prefix: str, text: str) -> None:
    """The names lower() changes are found block by block: at block edges, in the first and
    last line, and with a prefix lower() changes too; ASCII text and other text."""
    paths = [f"app/{i:06d}.0123456789ab.js" for i in range(6000)]  # ~40 characters a line: many blocks
    twins = {0: "app/000000.0123456789AB.js", 1638: "app/001638.0123456789ab.JS", 5999: "App/005999.0123456789ab.js"}
    upper = [*twins.values(), "Z/only.0123456789ab.js", "Q" * 70000 + ".js"]  # a line longer than a block
    upper += ["ǅ/titlecase.0123456789ab.js", "İ/two-chars.0123456789ab.js"] if text == "not ascii" else []
    result = classify([django_reading(tmp_path, paths + upper)], prefix, scan_tree=False)
    expected = {prefix + name for name in upper[:3]} | {prefix + paths[i] for i in twins}
    assert not result.case_sensitive_uris & {prefix + name for name in upper[3:]}
    assert result.case_sensitive_uris == expected


def test_many_capitalised_names_are_lowered_in_bulk(tmp_path: Path) -> None:
    """Beyond a few thousand names with capitals, every name is lowered once in bulk: the
    twins found are the same as by the per-name rules."""
    paths = [f"Vendor/Lib{i % 97}/Widget{i:05d}.0123456789ab.js" for i in range(9000)]
    paths += [f"vendor/lib{i % 97}/widget{i:05d}.0123456789ab.js" for i in range(0, 9000, 450)]  # lowercase twins
    paths += ["a/X.0123456789ab.css", "a/x.0123456789AB.css", "index.HTML", "Index.html"]  # twins among capitals
    result = classify([django_reading(tmp_path, paths)], PREFIX, scan_tree=False)
    hashed, unhashed, twins = per_name(paths)
    assert list(result.hashed_uris) == hashed
    assert result.case_sensitive_uris == twins and len(twins) == 42


@settings(max_examples=400, deadline=None)
@given(
    names=st.lists(st.text(st.one_of(st.characters(), st.sampled_from(HOSTILE_CHARS)), max_size=8), max_size=6),
    ensure_ascii=st.booleans(),
)
def test_plain_strings_promise_holds(tmp_path_factory, names: list[str], ensure_ascii: bool) -> None:
    """A manifest read as plain_strings never holds a control character, quote, backslash or
    lone surrogate in any string (so classify skips that check); escapes of harmless
    characters (é, an emoji's surrogate pair) keep it plain."""
    path = tmp_path_factory.mktemp("plain") / "m.json"
    path.write_bytes(json.dumps({n: n for n in names}, ensure_ascii=ensure_ascii).encode("utf-8", "surrogatepass"))
    try:
        data, plain = _read_json(path)
    except ManifestError:
        return  # a lone surrogate written raw is not UTF-8: refused before any of this
    unsafe = any(UNSAFE.search(n) for n in names)
    assert not (plain and unsafe)
    if not unsafe:
        assert plain


def test_bulk_unsafe_characters_are_the_per_name_rules() -> None:
    """classify's _UNSAFE_CHAR finds exactly what quoting refuses, plus quotes and backslashes
    (which the per-name pass escapes), over every code point."""
    for code in range(0x110000):
        char = chr(code)
        refused = char != "/" and asset_path_problem(f"a{char}b") is not None
        assert bool(_UNSAFE_CHAR.search(char)) == (refused or char in '"\\'), f"U+{code:04X}"


@settings(max_examples=300, deadline=None)
@given(
    names=st.lists(st.text(st.sampled_from(HOSTILE_CHARS), min_size=1, max_size=4), min_size=1, max_size=8),
    ensure_ascii=st.booleans(),
)
def test_control_characters_are_refused_on_the_bulk_path(tmp_path_factory, names: list[str], ensure_ascii: bool) -> None:
    """From the JSON text to classify (the reader's plain_strings, then the bulk checks): a
    Django manifest naming a control character, raw or as a \\u escape, is refused, naming
    such an entry; any other is accepted."""
    paths = [f"d/{name}.0123456789ab.js" for name in names]
    path = tmp_path_factory.mktemp("hostile") / "staticfiles.json"
    manifest = {"version": "1.1", "paths": {f"o{i}.js": p for i, p in enumerate(paths)}}
    path.write_text(json.dumps(manifest, ensure_ascii=ensure_ascii), encoding="utf-8")
    bad = [i for i, p in enumerate(paths) if asset_path_problem(p)]
    if not bad:
        assert len(classify([load_manifest(path)], PREFIX, scan_tree=False).hashed_uris) == len(set(paths))
        return
    with pytest.raises(UnsafeEntryError) as caught:
        classify([load_manifest(path)], PREFIX, scan_tree=False)
    assert "control character" in str(caught.value) and str(caught.value).isprintable()
    assert caught.value.key_path in {key_path("paths", f"o{i}.js") for i in bad}
