"""The fast reading of long map bodies (nginxcache/lint/lexer.py): whatever the text, the tokens,
the tree and the findings are the ones crossplane alone gives, line numbers included.

Most tests run with the fast path taking every run of plain lines, however short (MIN_RUN 1),
and compare with crossplane alone (MIN_RUN beyond any file).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest
from crossplane.errors import NgxParserBaseException
from crossplane.lexer import _balance_braces, _lex_file_object
from hypothesis import given, settings
from hypothesis import strategies as st

from nginxcache.lint import LintOptions, lint
from nginxcache.lint import lexer
from nginxcache.lint.lexer import Run, Token, tokens
from nginxcache.lint.tree import ConfigError, ConfigTree, Node, load_tree

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "lint_fixtures"
EVERY_RUN = 1
NO_RUN = 10**9
MIN_RUN = lexer.MIN_RUN  # what lint uses


def lexed(text: str, min_run: int) -> tuple[list[Token], tuple[str, str, int | None] | None]:
    """Tokens of the fast path, and the error that ends them (type, message, line)."""
    found: list[Token] = []
    try:
        for item in tokens(text, min_run):
            found.extend(item.tokens() if isinstance(item, Run) else [item])
    except NgxParserBaseException as exc:
        return found, (type(exc).__name__, exc.strerror, exc.lineno)
    return found, None


def crossplane_lexed(data: bytes) -> tuple[list[Token], tuple[str, str, int | None] | None]:
    """crossplane's lexer on the file itself, read as nginx reads it: a carriage return kept
    (crossplane.lexer.lex opens with universal newlines, so `# note\\r}` would end the comment
    where nginx does not)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "x.conf"
        path.write_bytes(data)
        found: list[Token] = []
        try:
            with open(path, encoding="utf-8", errors="replace", newline="") as handle:
                for token in _balance_braces(_lex_file_object(handle)):
                    found.append(token)
        except NgxParserBaseException as exc:
            return found, (type(exc).__name__, exc.strerror, exc.lineno)
    return found, None


def assert_same_tokens(text: str, min_run: int = EVERY_RUN) -> None:
    data = text.encode("utf-8")
    assert lexed(data.decode("utf-8"), min_run) == crossplane_lexed(data)


def has_run(text: str, min_run: int | None = None) -> bool:
    """Whether the fast path takes a run of the text (default: as lint does)."""
    return any(isinstance(item, Run) for item in tokens(text, min_run))


def shape(tree: ConfigTree) -> Any:
    def node(n: Node) -> Any:
        block = None if n.block is None else [node(child) for child in n.block]
        parent = None if n.parent is None else (n.parent.name, n.parent.line)
        return (n.name, n.args, n.file, n.line, n.is_root, parent, block)

    return [node(root) for root in tree.roots], tree.comments, tree.code_lines, tree.files, tree.warnings, tree.conf_dirs


def both_ways(monkeypatch: pytest.MonkeyPatch, run: Any) -> tuple[Any, Any]:
    """`run()` with the fast path on every run of plain lines, then with crossplane alone."""
    outcomes = []
    for min_run in (EVERY_RUN, NO_RUN):
        monkeypatch.setattr(lexer, "MIN_RUN", min_run)
        try:
            outcomes.append(("ok", run()))
        except ConfigError as exc:
            outcomes.append(("error", exc.message, exc.file, exc.line))
    monkeypatch.setattr(lexer, "MIN_RUN", MIN_RUN)
    return outcomes[0], outcomes[1]


def write(directory: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (directory / name).write_text(text, encoding="utf-8")
    return directory / next(iter(files))


def entries(count: int, template: str = '    "/static/f{i}.css" 1;\n') -> str:
    return "".join(template.format(i=i) for i in range(count))


# ---------------------------------------------------------------------------------------------
# Tokens


TRICKY = {
    "escapes": 'map $uri $x {\n    "/a\\"b" 1;\n    \'/c\\\'d\' 2;\n    "/e\\\\f" "x\\ty";\n    "/g\\nh" \'say "hi"\';\n'
               '    "it\'s" 3;\n    "/\\$u" "$uri";\n}\n',
    "comments": 'map $uri $x {\n    # first\n    "/a" 1;  # trailing\n    "/b" 1;#tight\n    # nginxcache: ignore NC116\n'
                '    "/c" 1;\n}\n',
    "include_in_map": "map $uri $x {\n    include entries.conf;\n    default 0;\n}\n",
    "hostnames_volatile": 'map $host $x {\n    hostnames;\n    volatile;\n    .example.com 1;\n    *.a.b 2;\n    default 0;\n}\n',
    "regex_keys": 'map $uri $x {\n    ~^/static/(.*)\\.css$ 1;\n    "~*\\.JS$" 2;\n    ~^/a/b 3;\n    \\~literal 4;\n}\n',
    "multi_line": 'map $uri $x {\n    "/a"\n        1;\n    "/b" 1; "/c" 2;\n    "/d" 1;\n    "/e" "multi\nline";\n    "/f" 1;\n}\n',
    "braces_in_quotes": 'map $uri $x {\n    "/a}" 1;\n    "}" 2;\n    "{" 3;\n    "/b;" "}";\n    \'}\' 4;\n}\n',
    "open_quote_before": 'add_header X "abc\n    "/a" 1;\n    "/b" 1;\n";\n',
    "statement_continues": 'map $uri $x {\n    "/x"\n    "/a" 1;\n    "/b" 1;\n}\n',
    "escaped_line_break": 'map $uri $x {\n    "/x" a\\\n    "/a" 1;\n    "/b" 1;\n}\n',
    "lua_key": 'map $uri $x {\n    "/a" 1;\n    content_by_lua_block x;\n    "/b" 1;\n}\n',
    "lua_block": 'location / {\n    content_by_lua_block {\n        a 1;\n        b "}";\n    }\n    expires 1h;\n}\n',
    "crlf": 'map $uri $x {\r\n    "/a" 1;\r\n    "/b" 1;\r\n}\r\n',
    "lone_cr": 'map $uri $x {\r    "/a" 1;\r    "/b" 1;\r}\r',
    "no_final_line_break": 'map $uri $x {\n    "/a" 1;\n    "/b" 1;}',
    "run_at_end": '    "/a" 1;\n    "/b" 1;\n',
    "run_at_end_no_break": '    "/a" 1;\n    "/b" 1;',
    "unicode_space": 'map $uri $x {\n    "/a"\u00a01;\n    "/b"\u20031;\n    "/c" 1;\n    "/é" "ü";\n}\n',
    "other_space": 'map $uri $x {\n    "/a"\x0b1;\n    "/b"\x0c 1;\n    "/c" 1;\n}\n',
    "param_expansion": 'map $uri $x {\n    "/a" $x${y};\n    "/b" ${x};\n    "/c" 1;\n}\n',
    "empty_words": 'map $uri $x {\n    "" 1;\n    \'\' "";\n    "/c" 1;\n}\n',
    "if_and_include_as_keys": 'map $uri $x {\n    if 1;\n    include 2;\n    "if" 3;\n}\n',
    "hash_inside_words": 'map $uri $x {\n    a#b 1;\n    "/c" d#e;\n    "/f" 1 ;\n    "/g"  \t 1\t;\t\n}\n',
    "quotes_inside_bare": 'map $uri $x {\n    a"b 1;\n    c\'d 2;\n    "/e" 1;\n}\n',
    "error_after_run": 'map $uri $x {\n    "/a" 1;\n    "/b" 1;\n}\n}\n',
    "error_before_run": '}\nmap $uri $x {\n    "/a" 1;\n    "/b" 1;\n}\n',
    "unclosed_block_after_run": 'map $uri $x {\n    "/a" 1;\n    "/b" 1;\n',
    "unterminated_quote_after_run": 'map $uri $x {\n    "/a" 1;\n    "/b" 1;\n    "/c 1;\n}\n',
    "server_level_run": "server {\n    listen 80;\n    expires 1h;\n    etag on;\n    gzip_static on;\n    root /srv;\n}\n",
}


@pytest.mark.parametrize("name", sorted(TRICKY))
@pytest.mark.parametrize("min_run", [1, 2, 3])
def test_tricky_text_gives_crossplane_tokens(name: str, min_run: int) -> None:
    assert_same_tokens(TRICKY[name], min_run)


def test_a_plain_map_is_read_by_the_line_grammar() -> None:
    text = "http {\n    map $uri $x {\n" + entries(500) + "    }\n    expires 1h;\n}\n"
    items = list(tokens(text))
    runs = [item for item in items if isinstance(item, Run)]
    assert len(runs) == 1 and len(runs[0].statements) == 500
    assert runs[0].statements[0] == ("/static/f0.css", True, "1", False, 3)
    assert ("expires", 504, False) in items  # numbered as in the whole file
    assert_same_tokens(text, MIN_RUN)


def test_short_runs_are_left_to_crossplane() -> None:
    assert not has_run("map $uri $x {\n" + entries(MIN_RUN - 1) + "}\n")
    assert has_run("map $uri $x {\n" + entries(MIN_RUN) + "}\n")


@pytest.mark.parametrize("name", ["escapes", "braces_in_quotes", "empty_words", "hash_inside_words", "crlf",
                                  "run_at_end", "if_and_include_as_keys", "server_level_run"])
def test_plain_lines_with_escapes_quotes_and_braces_are_taken(name: str) -> None:
    assert has_run(TRICKY[name], 2)


@pytest.mark.parametrize("name", ["open_quote_before", "statement_continues", "escaped_line_break"])
def test_a_run_that_is_not_where_a_statement_starts_falls_back(name: str) -> None:
    assert not has_run(TRICKY[name], 2)


_BARE = st.text(alphabet="ab/~*.$_-19é{}", min_size=1, max_size=4)
_INSIDE = st.text(alphabet="ab /\\\"'{};#é\t$", max_size=5)
_WORD = st.one_of(_BARE, _INSIDE.map(lambda s: f'"{s}"'), _INSIDE.map(lambda s: f"'{s}'"), _INSIDE)
_GAP = st.sampled_from([" ", "\t", "  ", "", "\u00a0", " \\\n"])
_PLAIN = st.tuples(st.sampled_from(["", "    ", "\t"]), _WORD, _GAP, _WORD, st.sampled_from(["", " ", " # c"])).map(
    lambda t: f"{t[0]}{t[1]}{t[2]}{t[3]};{t[4]}\n"
)
_NOISE = st.text(alphabet="ab \"'\\;{}#\t\r\n\u00a0", max_size=10).map(lambda s: s + "\n")
_FIXED = st.sampled_from(["map $a $b {\n", "}\n", "# c\n", "hostnames;\n", "include x;\n", "content_by_lua_block {\n",
                          "set_by_lua_block $x {\n", "\n", "if ($a) {\n"])
_TEXT = st.tuples(st.lists(st.one_of(_PLAIN, _PLAIN, _PLAIN, _NOISE, _FIXED), max_size=24), st.sampled_from(["", "x", "}"]))


_BODY_LINE = st.one_of(_PLAIN, _PLAIN, _PLAIN, _PLAIN, st.sampled_from(["    # c\n", "    hostnames;\n", '    "/a"\n', "    1;\n",
                                                                        '    "/a" 1; "/b" 2;\n', "    a\\\n", '    "x\n']))
_MAP = st.lists(_BODY_LINE, max_size=24).map(lambda lines: "map $a $b {\n" + "".join(lines) + "}\nexpires 1h;\n")


@settings(max_examples=400, deadline=None)
@given(_TEXT, st.integers(min_value=1, max_value=3))
def test_any_text_gives_crossplane_tokens(parts: tuple[list[str], str], min_run: int) -> None:
    lines, tail = parts
    assert_same_tokens("".join(lines) + tail, min_run)


@settings(max_examples=400, deadline=None)
@given(_MAP, st.integers(min_value=1, max_value=3))
def test_any_map_body_gives_crossplane_tokens(text: str, min_run: int) -> None:
    assert_same_tokens(text, min_run)


# ---------------------------------------------------------------------------------------------
# Trees and findings


def test_every_fixture_reads_and_lints_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    confs = sorted(FIXTURES.rglob("*.conf")) + sorted((REPO / "sample_configs").rglob("*.conf"))
    assert len(confs) > 50
    for conf in confs:
        fast, slow = both_ways(monkeypatch, lambda: shape(load_tree([conf])))
        assert fast == slow, conf
        fast, slow = both_ways(monkeypatch, lambda: lint([conf], LintOptions(), system_module=lambda _: False).findings)
        assert fast == slow, conf


@pytest.mark.parametrize("name", sorted(TRICKY))
def test_tricky_text_reads_the_same(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    conf = write(tmp_path, {"x.conf": "http {\n" + TRICKY[name] + "\n}\n", "entries.conf": entries(5)})
    fast, slow = both_ways(monkeypatch, lambda: shape(load_tree([conf])))
    assert fast == slow


BIG_MAP = """\
http {
    map_hash_bucket_size 64;
    map $uri $cache {
%s        # nginxcache: ignore NC116
        "/STATIC/F3.CSS" "max";
        "/static/f7.css" "1 year";
        "/static/f8.css" "max"; # nginxcache: ignore
        default "off";
        "/static/%s.css" 1;
    }
    server {
        listen 80;
        location / {
            expires $cache;
            add_header Cache-Control "no-cache";
        }
        gzip_static on;
    }
}
"""


def test_findings_after_a_big_map_keep_their_lines(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    count = 3 * MIN_RUN
    conf = write(tmp_path, {"nginx.conf": BIG_MAP % (entries(count, '        "/static/f{i}.css" "max";\n'), "x" * 60)})
    fast, slow = both_ways(monkeypatch, lambda: lint([conf], LintOptions(), system_module=lambda _: False).findings)
    assert fast == slow
    assert has_run(conf.read_text())
    found = {(f.line, f.code) for f in lint([conf], LintOptions(), system_module=lambda _: False).findings}
    after = 4 + count  # the first line after the entries
    assert found == {
        (3, "NC114"),  # the 60-byte key does not fit map_hash_bucket_size 64
        (after + 2, "NC113"),  # "1 year" reaches expires
        (after + 2, "NC116"),  # f7 again (F3 and f8 again are ignored by their comments)
        (after + 11, "NC103"),
        (after + 13, "NC109"),
    }


def test_map_in_an_included_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    body = entries(2 * MIN_RUN) + '    "/STATIC/F1.CSS" 1;\n' + entries(MIN_RUN, '    "/b/{i}" 1;\n')
    conf = write(tmp_path, {"nginx.conf": "http {\n    map $uri $x {\n        include entries.conf;\n    }\n}\n",
                            "entries.conf": body})
    fast, slow = both_ways(monkeypatch, lambda: shape(load_tree([conf])))
    assert fast == slow
    assert has_run(body)
    findings = lint([conf], LintOptions(), system_module=lambda _: False).findings
    assert [(Path(f.file).name, f.line, f.code) for f in findings] == [("entries.conf", 2 * MIN_RUN + 1, "NC116")]


def test_include_as_a_plain_statement_in_a_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    body = entries(3) + "    include more.conf;\n" + entries(3, '    "/b/{i}" 1;\n')
    conf = write(tmp_path, {"nginx.conf": f"http {{\n    map $uri $x {{\n{body}    }}\n}}\n", "more.conf": '"/m" 1;\n'})
    fast, slow = both_ways(monkeypatch, lambda: shape(load_tree([conf])))
    assert fast == slow
    roots = fast[1][0]
    map_entries = roots[0][6][0][6][0][6]  # the entries of the map in http in the file
    assert [entry[0] for entry in map_entries][3] == "/m"


def test_syntax_errors_keep_file_and_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("error_after_run", "error_before_run", "unclosed_block_after_run", "unterminated_quote_after_run"):
        conf = write(tmp_path, {"http.conf": TRICKY[name]})
        fast, slow = both_ways(monkeypatch, lambda: shape(load_tree([conf])))
        assert fast == slow and fast[0] == "error", name
