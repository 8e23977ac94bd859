"""nginx_quote / nginx_unescape / asset_path_problem: properties, examples, and one proof on
real nginx that every quoted map key matches exactly its own decoded $uri.
"""

from __future__ import annotations

import random
import re
import unicodedata

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from nginx_harness import start_nginx, url_for
from nginxcache.errors import UnsafeEntryError
from nginxcache.maphash import sizes_for
from nginxcache.quoting import asset_path_problem, check_asset_path, nginx_quote, nginx_unescape

# The characters nginxcache calls control characters, from Unicode's own tables: category Cc
# (C0, DEL, C1), the line and paragraph separators (Zl, Zp), and the Bidi_Control property.
BIDI_CONTROL = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
CONTROL_CHARS = "".join(
    c for c in map(chr, range(0x110000)) if unicodedata.category(c) in ("Cc", "Zl", "Zp") or c in BIDI_CONTROL
)
CONTROL = re.compile(f"[{re.escape(CONTROL_CHARS)}]")
SURROGATE = re.compile(r"[\ud800-\udfff]")

# Characters that matter to nginx's tokenizer, weighted in beside arbitrary code points
# (surrogates and control characters included: they must be refused).
NGINX_SPECIAL = list("\"'\\;{}#$ \t\n\r/.%?~^*()[]") + ["\\n", "\\t", "\\\"", "${x}", "\x00", "\ud800"]
NGINX_SPECIAL += ["\x85", "\x9b", "\u2028", "\u2029", "\u202e", "\u2066", "\u200f", "\u061c", "\u200b", "\u00a0"]
any_char = st.one_of(
    st.sampled_from(NGINX_SPECIAL),
    st.characters(exclude_categories=()),
    st.characters(max_codepoint=0x7F, exclude_categories=()),
)
any_text = st.lists(any_char, max_size=24).map("".join)


def unescaped_quote_position(inner: str) -> int | None:
    """Where nginx's quoted-string scanner would stop early, or None if it spans `inner`.

    A backslash protects the next character; one left last would escape the closing quote.
    """
    i = 0
    while i < len(inner):
        if inner[i] == "\\":
            if i + 1 == len(inner):
                return i
            i += 2
        elif inner[i] == '"':
            return i
        else:
            i += 1
    return None


@settings(max_examples=600, deadline=None)
@given(text=any_text, expands_variables=st.booleans())
@example(text='a"b', expands_variables=False)
@example(text="trailing\\", expands_variables=False)
@example(text='\\"', expands_variables=False)
@example(text="\\n is not a newline", expands_variables=False)
@example(text="$uri", expands_variables=False)
@example(text="$uri", expands_variables=True)
def test_quote_round_trips_or_refuses(text: str, expands_variables: bool) -> None:
    must_refuse = bool(CONTROL.search(text) or SURROGATE.search(text) or (expands_variables and "$" in text))
    try:
        quoted = nginx_quote(text, expands_variables=expands_variables)
    except UnsafeEntryError as exc:
        assert must_refuse, f"{text!r} refused without cause: {exc}"
        assert "\n" not in str(exc) and "\r" not in str(exc)
        return
    assert not must_refuse, f"{text!r} accepted as {quoted!r}"
    assert quoted.startswith('"') and quoted.endswith('"') and len(quoted) >= 2
    inner = quoted[1:-1]
    assert unescaped_quote_position(inner) is None, f"{quoted!r} ends early"
    assert nginx_unescape(inner) == text


@pytest.mark.parametrize(
    ("text", "quoted"),
    [
        ("plain", '"plain"'),
        ('a"b', '"a\\"b"'),
        ("back\\slash", '"back\\\\slash"'),
        ("\\n", '"\\\\n"'),
        ("it's", "\"it's\""),
        ("a b;{c}#d", '"a b;{c}#d"'),
        ("$uri", '"$uri"'),
        ("ünïcödé 日本語", '"ünïcödé 日本語"'),
    ],
)
def test_quote_examples(text: str, quoted: str) -> None:
    assert nginx_quote(text) == quoted


@pytest.mark.parametrize(
    ("text", "expands_variables", "reason"),
    [
        ("a\nb", False, "control character"),
        ("a\x00b", False, "control character"),
        ("a\x7fb", False, "control character"),
        ("nel\x85", False, "control character"),
        ("csi\x9b", False, "control character"),
        ("line\u2028sep", False, "control character"),
        ("para\u2029sep", False, "control character"),
        ("rlo\u202egnp.js", False, "control character"),
        ("isolate\u2066x\u2069", False, "control character"),
        ("rlm\u200f", False, "control character"),
        ("alm\u061c", False, "control character"),
        ("\ud83d", False, "surrogate"),
        ("/srv/$host", True, "'$'"),
    ],
)
def test_quote_refusals_say_why(text: str, expands_variables: bool, reason: str) -> None:
    with pytest.raises(UnsafeEntryError) as caught:
        nginx_quote(text, expands_variables=expands_variables)
    assert reason in str(caught.value)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    ("token", "value"),
    [
        ('\\"', '"'),
        ("\\'", "'"),
        ("\\\\", "\\"),
        ("\\t\\r\\n", "\t\r\n"),
        ("\\x", "\\x"),  # any other backslash is kept
        ("end\\", "end\\"),
        ("\\\\n", "\\n"),
        ("\\$", "\\$"),  # `\$` does not escape a variable
    ],
)
def test_unescape_follows_nginx(token: str, value: str) -> None:
    assert nginx_unescape(token) == value


# --- asset paths -----------------------------------------------------------------------

path_char = st.one_of(st.sampled_from(list("/.") + ["..", "//", "\x00", "\n", "\ud800", "\x85", "\u202e"]), any_char)
any_path = st.lists(path_char, max_size=16).map("".join)


def expected_problem(path: str) -> bool:
    if not path or CONTROL.search(path) or SURROGATE.search(path) or path.startswith("/"):
        return True
    return any(segment in ("", ".", "..") for segment in path.split("/"))


@settings(max_examples=600, deadline=None)
@given(any_path)
@example("a/../b")
@example("./a")
@example("a/")
@example("a//b")
@example("/etc/passwd")
@example("...")
@example("a/.hidden/..b")
def test_asset_path_accepted_only_when_safe(path: str) -> None:
    problem = asset_path_problem(path)
    if problem is None:
        assert not CONTROL.search(path) and not SURROGATE.search(path)
        assert path and not path.startswith("/")
        assert all(segment not in ("", ".", "..") for segment in path.split("/"))
        assert check_asset_path(path, file="m.json", key_path='["k"]') == path
    else:
        assert expected_problem(path), f"{path!r} refused without cause: {problem}"
        with pytest.raises(UnsafeEntryError) as caught:
            check_asset_path(path, file="m.json", key_path='["k"]')
        message = str(caught.value)
        assert message.startswith('m.json at ["k"]: ') and "\n" not in message


@pytest.mark.parametrize("value", [None, 1, 1.5, True, [], {}])
def test_asset_path_refuses_non_strings(value: object) -> None:
    assert asset_path_problem(value) is not None


# --- real nginx ------------------------------------------------------------------------

FIXED_NAMES = [
    "plain.js",
    "a b.css",
    'dq"uote.js',
    "sq'uote.js",
    "semi;colon.js",
    "brace{open}.js",
    "}brace-start.js",
    "#hash-start.js",
    "mid#hash.js",
    "dollar$uri.js",
    "${uri}.js",
    "$",
    "back\\slash.js",
    "trailing-backslash\\",
    "\\n-not-newline.js",
    "\\t\\r.js",
    "\\\"",
    "percent%20name.js",
    "%2e%2e",
    "question?mark.js",
    "plus+sign.js",
    "tilde~.js",
    "~starts-with-tilde.js",
    "\\starts-with-backslash.js",
    "default",
    "hostnames",
    "include",
    "volatile",
    "...",
    "a..",
    ".hidden",
    "ünïcödé-日本語.txt",
    "emoji-😀.png",
    "nbsp\u00a0name",
    "bom\ufeffx",
    "arabic-عربي.js",
    "combining-e\u0301.js",
    "MiXeD.Case.JS",
    "x" * 200,
]
RANDOM_ALPHABET = (
    [chr(c) for c in range(0x20, 0x7F) if chr(c) not in "/"]
    + list("éüßøñçÅÉ日本語中文한국어ąęłżźćńśőű€£¥©®°±µ¶·¿¡")
    + ["😀", "🎉", "\u00a0", "\u2009", "\u200b", "\u0301", "\uffff", "\U0001f4a9", "\U0010fffd"]
)


def awkward_names(count: int = 200) -> list[str]:
    """Fixed awkward names plus seeded random ones, unique up to ASCII case (as nginx's
    map compares), never '.'/'..' (nginx resolves those before the map sees $uri)."""
    rng = random.Random(20240531)
    names: list[str] = []
    seen: set[bytes] = set()

    def add(name: str) -> None:
        folded = name.encode().lower()
        if name and name not in (".", "..") and "/" not in name and folded not in seen:
            seen.add(folded)
            names.append(name)

    for name in FIXED_NAMES:
        add(name)
    while len(names) < count:
        add("".join(rng.choice(RANDOM_ALPHABET) for _ in range(rng.randint(1, 24))))
    return names


@pytest.mark.nginx
def test_quoted_map_keys_match_exactly_on_real_nginx(tmp_path) -> None:
    names = awkward_names()
    uris = ["/t/" + name for name in names]
    keys_folded = {uri.encode().lower() for uri in uris}
    max_size, bucket_size = sizes_for(len(uris), max(len(u.encode()) for u in uris))
    http_part = (
        f"map_hash_max_size {max_size};\nmap_hash_bucket_size {bucket_size};\n"
        "map $uri $nginxcache_test_v {\n    default 0;\n"
        + "".join(f"    {nginx_quote(uri)} 1;\n" for uri in uris)
        + "}\n"
    )
    server_part = "location /t/ {\n    add_header X-V $nginxcache_test_v always;\n    return 204;\n}\n"
    server = start_nginx(tmp_path / "nginx", http_part=http_part, server_part=server_part, hostile=False)
    try:
        assert "[warn]" not in server.error_log()
        siblings_checked = 0
        for name, uri in zip(names, uris):
            response = server.request(url_for(uri))
            assert response.status == 204, (name, response.status)
            assert response.one("X-V") == "1", f"{name!r}: its own key did not match"
            for suffix in ("-sibling", "\u00e9", "x"):
                sibling = uri + suffix
                if sibling.encode().lower() not in keys_folded:
                    response = server.request(url_for(sibling))
                    assert response.one("X-V") == "0", f"{sibling!r} matched a key that is not its own"
                    siblings_checked += 1
                    break
        assert siblings_checked >= len(names) - 5
    finally:
        server.stop()
