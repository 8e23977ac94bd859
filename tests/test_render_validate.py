"""render + validate: every render passes validate, any tampering fails it naming the line,
exact locations come in nginx's own order, output is deterministic, and names equal up to
case get case-sensitive regex keys (proved on real nginx too).
"""

from __future__ import annotations

import functools
import random
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nginx_harness import HASHED_CC, start_nginx, url_for
from nginxcache.classify import classify
from nginxcache.errors import UsageError, ValidationError
from nginxcache.manifests import load_manifest
from nginxcache.model import CachePolicy, Classification, Entry, ManifestFormat, ManifestReading, Strategy, UriList
from nginxcache.quoting import nginx_unescape
from nginxcache.mapformat import pcre_literal
from nginxcache.policy import RenderOptions
from nginxcache.render import (
    nginx_location_order,
    render_http,
    render_server,
    render_site,
)
from nginxcache.validate import intended_http, intended_server, intended_site, validate

SAMPLES = Path(__file__).resolve().parent.parent / "sample_configs"
POLICY = CachePolicy.from_ages(31_536_000, 0)
LABELS = {"http": "HTTP.conf", "server": "SERVER.conf", "site": "SITE.conf"}


def make_classification(uris: list[str], case_sensitive: set[str] = set(), denied: list[str] = ()) -> Classification:  # noqa: B006
    unique = sorted(set(uris))
    return Classification(
        hashed_uris=UriList.of(unique),
        case_sensitive_uris=frozenset(case_sensitive) & frozenset(unique),
        denied_uris=sorted(set(denied) - set(unique)),
        evidence={u: ("m.json", f'["{u}"]', "test") for u in unique},
        unhashed_evidence={},
        warnings=[],
    )


def options(strategy: Strategy = Strategy.MAP, prefix: str = "/static/", **kw: object) -> RenderOptions:
    if strategy is Strategy.REGEX:
        kw.setdefault("regex", r"\.[0-9a-f]{12}\.[^/.]+$")
    return RenderOptions(prefix=prefix, root="/srv/app/static/", name="t", strategy=strategy, policy=POLICY, **kw)  # type: ignore[arg-type]


def split_parts(c: Classification, o: RenderOptions) -> dict[str, tuple[str, list]]:
    parts: dict[str, tuple[str, list]] = {}
    if o.strategy is Strategy.MAP:
        parts["http"] = (render_http(c, o, ["m.json (vite)"]), intended_http(c, o))
    parts["server"] = (render_server(c, o, ["m.json (vite)"]), intended_server(c, o))
    return parts


def site_parts(c: Classification, o: RenderOptions) -> dict[str, tuple[str, list]]:
    return {"site": (render_site(c, o, ["m.json (vite)"]), intended_site(c, o))}


def django_sample() -> Classification:
    manifest = SAMPLES / "django" / "staticfiles.json"
    if not manifest.exists():
        pytest.fail("sample_configs/django/staticfiles.json is missing")
    return classify([load_manifest(manifest)], "/static/", scan_tree=False)


AWKWARD = [
    "/static/a b.css",
    '/static/dq"uote.js',
    "/static/sq'uote.js",
    "/static/semi;colon.js",
    "/static/brace{x}.js",
    "/static/}start.js",
    "/static/#start.js",
    "/static/dollar$uri.js",
    "/static/${uri}.js",
    "/static/back\\slash.js",
    "/static/trailing\\",
    "/static/\\n.js",
    "/static/ünïcödé-日本語.js",
    "/static/Case.js",
    "/static/case.js",
]


# --- every render validates --------------------------------------------------------------


@pytest.mark.parametrize("strategy", list(Strategy))
@pytest.mark.parametrize("shape", ["split", "site"])
def test_renders_validate(strategy: Strategy, shape: str) -> None:
    c = make_classification(AWKWARD, {"/static/Case.js", "/static/case.js"}, ["/static/manifest.json"])
    o = options(strategy, server_names=("example.com", "www.example.com"), listen=(("80",), ("[::]:80",)))
    parts = split_parts(c, o) if shape == "split" else site_parts(c, o)
    validate(parts, LABELS)


@pytest.mark.parametrize("strategy", list(Strategy))
def test_real_django_sample_validates(strategy: Strategy) -> None:
    c = django_sample()
    validate(split_parts(c, options(strategy)), LABELS)
    validate(site_parts(c, options(strategy)), LABELS)


def test_empty_classification_validates() -> None:
    c = make_classification([])
    validate(split_parts(c, options()), LABELS)
    validate(site_parts(c, options(Strategy.EXACT)), LABELS)


def test_exact_strategy_has_no_http_part() -> None:
    with pytest.raises(UsageError):
        render_http(make_classification(["/static/a.js"]), options(Strategy.EXACT), [])


segment = st.text(st.characters(exclude_categories=("Cs", "Cc")), min_size=1, max_size=10).filter(
    lambda s: "/" not in s and s not in (".", "..")
)


@settings(max_examples=60, deadline=None)
@given(
    paths=st.lists(st.lists(segment, min_size=1, max_size=3).map("/".join), min_size=1, max_size=6),
    strategy=st.sampled_from(list(Strategy)),
    data=st.data(),
)
def test_any_safe_names_render_and_validate(paths: list[str], strategy: Strategy, data: st.DataObject) -> None:
    uris = ["/static/" + p for p in paths]
    case_sensitive = data.draw(st.sets(st.sampled_from(uris)))
    c = make_classification(uris, case_sensitive)
    validate(split_parts(c, options(strategy)), LABELS)


# --- tampering -------------------------------------------------------------------------


def tamper_and_expect(parts: dict[str, tuple[str, list]], role: str, old: str, new: str) -> ValidationError:
    text, intended = parts[role]
    assert old in text, old
    changed = {**parts, role: (text.replace(old, new, 1), intended)}
    with pytest.raises(ValidationError) as caught:
        validate(changed, LABELS)
    error = caught.value
    assert error.line is not None, str(error)
    assert f"{LABELS[role]}:{error.line}:" in str(error)
    return error


def line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


@pytest.fixture
def map_parts() -> dict[str, tuple[str, list]]:
    return split_parts(make_classification(AWKWARD, {"/static/Case.js", "/static/case.js"}, ["/static/m.json"]), options())


@pytest.fixture
def exact_parts() -> dict[str, tuple[str, list]]:
    return split_parts(make_classification(AWKWARD, set(), ["/static/m.json"]), options(Strategy.EXACT))


def test_tamper_extra_top_level_location(map_parts: dict) -> None:
    text = map_parts["server"][0]
    extra = "location /leak/ { alias /etc/; }\n"
    error = tamper_and_expect(map_parts, "server", "location @nginxcache_t_404", extra + "location @nginxcache_t_404")
    assert error.line == line_of(text, "location @nginxcache_t_404")
    assert "/leak/" in str(error)


def test_tamper_extra_nested_location(exact_parts: dict) -> None:
    tamper_and_expect(exact_parts, "server", "    error_page 404", "    location /leak/ { alias /etc/; }\n    error_page 404")


def test_tamper_drop_map_entry(map_parts: dict) -> None:
    tamper_and_expect(map_parts, "http", '    "/static/a b.css" 1;\n', "")


def test_tamper_change_key(map_parts: dict) -> None:
    tamper_and_expect(map_parts, "http", '"/static/a b.css" 1;', '"/static/a c.css" 1;')


def test_tamper_change_value(map_parts: dict) -> None:
    tamper_and_expect(map_parts, "http", '"/static/a b.css" 1;', '"/static/a b.css" 0;')


def test_tamper_key_case(map_parts: dict) -> None:
    tamper_and_expect(map_parts, "http", '"~^/static/Case\\\\.js\\\\z" 1;', '"/static/Case.js" 1;')


def test_tamper_cache_control(map_parts: dict) -> None:
    tamper_and_expect(map_parts, "http", '1 "public, max-age=31536000, immutable";', '1 "public, max-age=315360000";')


def test_tamper_injection_in_exact_location(exact_parts: dict) -> None:
    # A naive template's injection: balanced, so it parses; validate must refuse it.
    tamper_and_expect(
        exact_parts,
        "server",
        'location = "/static/a b.css" {',
        'location = "/static/a b.css" { } location /leak/ { alias /etc/; } location = "/static/x.css" {',
    )


def test_tamper_injection_in_map_key(map_parts: dict) -> None:
    tamper_and_expect(
        map_parts, "http", '"/static/a b.css" 1;', '"/static/a b.css" 1; } map $uri $x { default "1"; "/static/x" 1;'
    )


def test_tamper_unbalanced_injection_does_not_parse(map_parts: dict) -> None:
    text = map_parts["http"][0]
    error = tamper_and_expect(map_parts, "http", '"/static/a b.css" 1;', '"/static/a b.css"; } location /x {')
    assert "does not parse" in str(error)
    assert error.line >= line_of(text, '"/static/a b.css" 1;')


def test_tamper_unescaped_quote(map_parts: dict) -> None:
    tamper_and_expect(map_parts, "http", '"/static/dq\\"uote.js" 1;', '"/static/dq"uote.js" 1;')


def test_tamper_duplicate_hash_size(map_parts: dict) -> None:
    tamper_and_expect(map_parts, "http", "map_hash_bucket_size", "map_hash_bucket_size 64;\nmap_hash_bucket_size")


def test_comment_changes_are_not_tampering(map_parts: dict) -> None:
    text, intended = map_parts["http"]
    validate({"http": (text.replace("# Generated", "# Edited; } location /x {", 1), intended)}, LABELS)


def test_tampered_map_entry_is_reported_at_its_own_line(map_parts: dict) -> None:
    text = map_parts["http"][0]
    error = tamper_and_expect(map_parts, "http", '"/static/semi;colon.js" 1;', '"/static/semi;colon.jsx" 1;')
    assert error.line == line_of(text, '"/static/semi;colon.js" 1;')


# --- order and determinism --------------------------------------------------------------


def ngx_filename_cmp(a: str, b: str) -> int:
    """nginx's ngx_filename_cmp over len+1 bytes, as ngx_http_cmp_locations calls it."""
    s1, s2 = a.encode() + b"\0", b.encode() + b"\0"
    for c1, c2 in zip(s1, s2):
        if c1 == c2:
            if c1 == 0:
                return 0
            continue
        if c1 == 0 or c2 == 0:
            return c1 - c2
        c1 = 0 if c1 == ord("/") else c1
        c2 = 0 if c2 == ord("/") else c2
        return c1 - c2
    return 0


EXACT_LOCATION = re.compile(r'^\s*location = "((?:[^"\\]|\\.)*)" \{$', re.M)


def exact_uris(server_text: str) -> list[str]:
    return [nginx_unescape(m) for m in EXACT_LOCATION.findall(server_text)]


def test_exact_locations_in_nginx_order() -> None:
    uris = ["/static/a/b.js", "/static/a-b.js", "/static/a.b.js", "/static/a", "/static/a0", "/static/ä.js",
            "/static/z.js", "/static/A.js", "/static/a/!.js", "/static/a!.js"]
    c = make_classification(uris, denied=["/static/a/manifest.json"])
    found = exact_uris(render_server(c, options(Strategy.EXACT), []))
    want = sorted(uris + ["/static/a/manifest.json"], key=functools.cmp_to_key(ngx_filename_cmp))
    assert found == want
    assert found != sorted(found), "test names must tell nginx's order from Python's"
    assert found.index("/static/a/b.js") < found.index("/static/a-b.js")


@settings(max_examples=100, deadline=None)
@given(st.lists(st.lists(segment, min_size=1, max_size=3).map(lambda s: "/static/" + "/".join(s)), max_size=15, unique=True))
def test_nginx_location_order_matches_ngx_filename_cmp(uris: list[str]) -> None:
    assert sorted(uris, key=nginx_location_order) == sorted(uris, key=functools.cmp_to_key(ngx_filename_cmp))
    found = exact_uris(render_server(make_classification(uris), options(Strategy.EXACT), []))
    assert found == sorted(set(uris), key=functools.cmp_to_key(ngx_filename_cmp))


def readings_for(paths: list[str], root: Path) -> list[ManifestReading]:
    return [
        ManifestReading(ManifestFormat.WEBPACK, str(root / "manifest.json"), root,
                        [Entry(p, f'["{p}"]') for p in paths], "test", [], "manifest.json")
    ]


@pytest.mark.parametrize("strategy", list(Strategy))
def test_output_is_byte_identical_for_the_same_input(tmp_path: Path, strategy: Strategy) -> None:
    paths = [p.removeprefix("/static/") for p in AWKWARD] + [f"gen/chunk.{i:020x}.js" for i in range(50)]
    shuffled = paths[:]
    random.Random(7).shuffle(shuffled)
    first = classify(readings_for(paths, tmp_path), "/static/", scan_tree=False)
    second = classify(readings_for(shuffled, tmp_path), "/static/", scan_tree=False)
    o = options(strategy)
    render = [render_server, render_site] + ([render_http] if strategy is Strategy.MAP else [])
    for fn in render:
        out = fn(first, o, ["manifest.json (webpack)"])
        assert out == fn(first, o, ["manifest.json (webpack)"])
        assert out == fn(second, o, ["manifest.json (webpack)"])


# --- case-sensitive regex keys ------------------------------------------------------------


def map_keys(http_text: str) -> list[str]:
    return [nginx_unescape(k) for k in re.findall(r'^    "((?:[^"\\]|\\.)*)" 1;$', http_text, re.M)]


def test_colliding_names_get_case_sensitive_regex_keys() -> None:
    c = make_classification(
        ["/static/site/Case.4f7842015264.txt", "/static/site/case.4f7842015264.txt", "/static/a.css"],
        {"/static/site/Case.4f7842015264.txt", "/static/site/case.4f7842015264.txt"},
    )
    keys = map_keys(render_http(c, options(), []))
    assert sorted(keys) == sorted(
        ["~^/static/site/Case\\.4f7842015264\\.txt\\z", "~^/static/site/case\\.4f7842015264\\.txt\\z", "/static/a.css"]
    )


@settings(max_examples=300, deadline=None)
@given(st.text(st.characters(exclude_categories=("Cs", "Cc")), min_size=1, max_size=20))
def test_pcre_literal_matches_exactly_itself(text: str) -> None:
    uri = "/static/" + text
    pattern = re.compile(pcre_literal(uri))
    assert pattern.fullmatch(uri)
    swapped = uri.swapcase()
    if swapped.encode() != uri.encode():
        assert not pattern.fullmatch(swapped)
    assert not pattern.fullmatch(uri + "x") and not pattern.fullmatch(uri[:-1])


@pytest.mark.nginx
def test_regex_keys_on_real_nginx(tmp_path: Path) -> None:
    # Hashed: Logo.X.PNG and the two Case.* twins. Unhashed, on disk: logo.x.png.
    root = tmp_path / "root"
    names = {"Logo.0123456789ab.PNG": b"L", "logo.0123456789ab.png": b"l", "Case.4f78.txt": b"C",
             "case.4f78.txt": b"c", "a b.css": b"ab", "plain.css": b"p"}
    for name, body in names.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(body)
    hashed = ["Logo.0123456789ab.PNG", "Case.4f78.txt", "case.4f78.txt", "a b.css"]
    c = classify(readings_for(hashed, root), "/static/")
    assert c.case_sensitive_uris == {"/static/Logo.0123456789ab.PNG", "/static/Case.4f78.txt", "/static/case.4f78.txt"}
    o = RenderOptions("/static/", str(root) + "/", "t", Strategy.MAP, POLICY)
    server = start_nginx(tmp_path / "nginx", http_part=render_http(c, o, []), server_part=render_server(c, o, []))
    try:
        for name, body in names.items():
            response = server.request(url_for("/static/" + name))
            assert response.status == 200 and response.body == body, name
            want = HASHED_CC if name in hashed else "no-cache"
            assert response.all("Cache-Control") == [want], name
    finally:
        server.stop()


@pytest.mark.nginx
def test_regex_key_does_not_match_a_trailing_newline_on_real_nginx(tmp_path: Path) -> None:
    uris = ["/static/Case.4f78.txt", "/static/case.4f78.txt"]
    c = make_classification(uris, set(uris))
    http_part = render_http(c, options(), [])
    server_part = "location /static/ {\n    add_header X-H $nginxcache_t_hashed always;\n    return 204;\n}\n"
    server = start_nginx(tmp_path / "nginx", http_part=http_part, server_part=server_part, hostile=False)
    try:
        assert server.request(url_for(uris[0])).one("X-H") == "1"
        assert server.request(url_for("/static/CASE.4f78.txt")).one("X-H") == "0"
        assert server.request(url_for(uris[0] + "\n")).one("X-H") == "0"
    finally:
        server.stop()


def test_nginx_t_loads_the_systems_dynamic_modules() -> None:
    """--nginx-test reads the config as the system's nginx will: with the modules Debian's
    nginx.conf loads (modules-enabled), so --brotli passes where libnginx-mod-http-brotli-static is."""
    from nginxcache.nginxrun import SYSTEM_MODULES, SYSTEM_NGINX, nginx_test

    echo = SYSTEM_MODULES / "50-mod-http-echo.conf"
    if not echo.is_file() or not Path(SYSTEM_NGINX).is_file():
        pytest.skip("needs Debian's nginx with libnginx-mod-http-echo enabled")
    site = "server {\n    listen 127.0.0.1:8;\n    location = /ping {\n        echo pong;\n    }\n}\n"
    nginx_test({"site": site}, {"site": "site.conf"}, SYSTEM_NGINX)  # raises NginxTestError when not loaded
