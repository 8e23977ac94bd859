"""`nginxcache lint`: every rule against its fixtures (tests/lint_fixtures/<CODE>/bad*.conf and
ok*.conf), nginxcache's own output linting clean, the config reader, the nginx emulation
checked against the real nginx, the command line (formats, exit codes, suppression), and the
comparison with gixy-ng (when it is installed).

Fixture conventions: a line carrying `# expect: NC101 [NC103 ...]` must get exactly those
findings, and no other line any finding; a first line `# lint-args: --manifest M --root D
--prefix P` passes those options (paths relative to the fixture's directory).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from nginxcache.cli import main
from nginxcache.errors import ExitCode, UsageError
from nginxcache.lint import RULES, LintOptions, all_codes, lint
from nginxcache.lint.findings import Finding, Severity
from nginxcache.lint.nginxtest import nginx_test_findings
from nginxcache.lint.semantics import (
    find_location,
    parse_expires,
    servers,
)
from nginxcache.lint.tree import ConfigError, load_tree
from nginxcache.nginxrun import find_nginx, private_conf

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "lint_fixtures"
GIXY_SET = FIXTURES / "gixy"
SAMPLES = REPO / "sample_configs"
RULE_DOCS = REPO / "docs" / "rules"
EXPECT = re.compile(r"#\s*expect:\s*((?:NC\d{3}\s*)+)")


def no_module(_: str) -> bool:
    return False  # the machine's own nginx modules must not change what a fixture gives


def fixture_options(conf: Path) -> LintOptions:
    first = conf.read_text(encoding="utf-8").splitlines()[0]
    found = re.match(r"#\s*lint-args:\s*(.*)", first)
    words = shlex.split(found.group(1)) if found else []
    manifests: list[Path] = []
    root: Path | None = None
    prefix = "/static/"
    for option, value in zip(words[::2], words[1::2], strict=True):
        if option == "--manifest":
            manifests.append(conf.parent / value)
        elif option == "--root":
            root = conf.parent / value
        elif option == "--prefix":
            prefix = value
        else:
            raise AssertionError(f"{conf}: unknown lint-args option {option}")
    return LintOptions(manifests=tuple(manifests), root=root, prefix=prefix)


def expected_findings(conf: Path) -> set[tuple[str, int, str]]:
    expected = set()
    for number, line in enumerate(conf.read_text(encoding="utf-8").splitlines(), 1):
        found = EXPECT.search(line)
        if found:
            expected.update((str(conf), number, code) for code in found.group(1).split())
    return expected


def lint_fixture(conf: Path) -> list[Finding]:
    return lint([conf], fixture_options(conf), system_module=no_module).findings


def fixture_files(kind: str) -> list[Path]:
    return sorted(p for code in sorted(RULES) for p in (FIXTURES / code).glob(f"{kind}*.conf"))


GIXY_FIXTURES = sorted(p for p in GIXY_SET.glob("*.conf") if p.name != "unparseable.conf")


def ids(paths: list[Path]) -> list[str]:
    return [str(p.relative_to(FIXTURES)) for p in paths]


# ---------------------------------------------------------------------------------------------
# The rules against their fixtures


def test_every_rule_has_a_bad_and_an_ok_fixture() -> None:
    assert len(RULES) >= 17
    for code in RULES:
        directory = FIXTURES / code
        assert sorted(directory.glob("bad*.conf")), f"{code}: no bad fixture in {directory}"
        assert sorted(directory.glob("ok*.conf")), f"{code}: no ok fixture in {directory}"
    unknown = {p.name for p in FIXTURES.iterdir() if p.is_dir()} - set(RULES) - {"gixy"}
    assert not unknown, f"fixture directories of no rule: {unknown}"


@pytest.mark.parametrize("conf", fixture_files("bad") + GIXY_FIXTURES, ids=ids(fixture_files("bad") + GIXY_FIXTURES))
def test_bad_fixture_is_flagged_with_the_right_code_and_line(conf: Path) -> None:
    expected = expected_findings(conf)
    if conf.parent.name != "gixy":
        assert any(code == conf.parent.name for _, _, code in expected), f"{conf}: no '# expect: {conf.parent.name}' line"
    got = {(f.file, f.line, f.code) for f in lint_fixture(conf)}
    assert got == expected, f"missing {sorted(expected - got)}, unexpected {sorted(got - expected)}"


@pytest.mark.parametrize("conf", fixture_files("ok"), ids=ids(fixture_files("ok")))
def test_ok_fixture_is_not_flagged(conf: Path) -> None:
    assert lint_fixture(conf) == []


def test_findings_carry_severity_message_and_column() -> None:
    findings = lint_fixture(FIXTURES / "NC103" / "bad_inherited_expires.conf")
    assert len(findings) == 1
    finding = findings[0]
    assert finding.code == "NC103" and finding.severity is Severity.ERROR
    assert (finding.line, finding.col) == (7, 9)
    assert "expires 1h (line 4, inherited from server)" in finding.message
    later, earlier, first = (Finding("b", 2, 1, "NC101", Severity.ERROR, "x"), Finding("b", 1, 5, "NC109", Severity.WARNING, "y"),
                             Finding("a", 9, 1, "NC999", Severity.WARNING, ""))
    assert sorted([later, earlier, first]) == [first, earlier, later]


# ---------------------------------------------------------------------------------------------
# nginxcache's own output lints clean


SAMPLE_RUNS = {
    "django": LintOptions(manifests=(SAMPLES / "django" / "staticfiles.json",), prefix="/static/"),
    "vite": LintOptions(manifests=(SAMPLES / "vite" / "dist" / ".vite" / "manifest.json",), prefix="/", root=SAMPLES / "vite" / "dist"),
    "webpack": LintOptions(manifests=(SAMPLES / "webpack" / "dist" / "manifest.json",), prefix="/static/", root=SAMPLES / "webpack" / "dist"),
}
SAMPLE_TOOLS = sorted(p.parent.name for p in SAMPLES.glob("*/nginx"))


def test_samples_are_found() -> None:
    assert {"django", "vite", "webpack"} <= set(SAMPLE_TOOLS) and set(SAMPLE_RUNS) <= set(SAMPLE_TOOLS)


@pytest.mark.parametrize("tool", SAMPLE_TOOLS)
def test_own_output_lints_clean(tool: str) -> None:
    out = SAMPLES / tool / "nginx"
    for files in ([out / "http.conf", out / "server.conf"], [out / "site.conf"]):
        result = lint(files, LintOptions(), system_module=no_module)
        assert result.findings == [], result.findings
        assert result.files == [str(f) for f in files]


@pytest.mark.parametrize("tool", sorted(SAMPLE_RUNS))
def test_own_output_lints_clean_against_its_manifest(tool: str) -> None:
    out = SAMPLES / tool / "nginx"
    for files in ([out / "http.conf", out / "server.conf"], [out / "site.conf"]):
        result = lint(files, SAMPLE_RUNS[tool], system_module=no_module)
        assert result.findings == [], result.findings


@pytest.mark.nginx
@pytest.mark.parametrize("tool", SAMPLE_TOOLS)
def test_own_output_in_a_whole_nginx_conf_lints_clean_with_nginx_test(tool: str, tmp_path: Path) -> None:
    out = SAMPLES / tool / "nginx"
    conf = tmp_path / "nginx.conf"
    conf.write_text(
        f"events {{}}\nhttp {{\n    include {out / 'http.conf'};\n    server {{\n        listen 127.0.0.1:8;\n"
        f"        add_header X-Frame-Options DENY;\n        include {out / 'server.conf'};\n    }}\n}}\n",
        encoding="utf-8",
    )
    result = lint([conf], LintOptions(nginx_test=True), system_module=no_module)
    # the only findings: the server's security header does not reach the generated location,
    # nor the missing file's 404 (which sends Cache-Control: no-store)
    assert [(f.code, Path(f.file).name) for f in result.findings] == [("NC105", "server.conf")] * 2
    lines = (out / "server.conf").read_text(encoding="utf-8").splitlines()
    assert [lines[f.line - 1].split()[-1] for f in result.findings] == [f"$nginxcache_{tool}_cache_control;", "always;"]


def swapped(tmp_path: Path, tool: str, old: str, new: str) -> list[Path]:
    out = SAMPLES / tool / "nginx"
    http = tmp_path / "http.conf"
    http.write_text((out / "http.conf").read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
    server = tmp_path / "server.conf"
    shutil.copy(out / "server.conf", server)
    return [http, server]


def test_sample_with_immutable_default_is_flagged_per_file(tmp_path: Path) -> None:
    files = swapped(tmp_path, "django", 'default "no-cache";', 'default "public, max-age=31536000, immutable";')
    findings = lint(files, SAMPLE_RUNS["django"], system_module=no_module).findings
    assert [(f.code, f.line, Path(f.file).name) for f in findings] == [("NC101", 10, "server.conf")]
    assert "/static/admin/css/base.css" in findings[0].message and "146 file(s)" in findings[0].message


def test_sample_with_revalidated_hashed_files_is_a_missed_win(tmp_path: Path) -> None:
    files = swapped(tmp_path, "vite", '1 "public, max-age=31536000, immutable";', '1 "no-cache";')
    findings = lint(files, SAMPLE_RUNS["vite"], system_module=no_module).findings
    assert [(f.code, f.line) for f in findings] == [("NC102", 10)]
    assert "4 content-hashed file(s)" in findings[0].message


# ---------------------------------------------------------------------------------------------
# Reading the tree


def test_glob_include_keeps_each_statement_in_its_own_file(tmp_path: Path) -> None:
    (tmp_path / "conf.d").mkdir()
    (tmp_path / "conf.d" / "a.conf").write_text("server {\n    listen 81;\n}\n")
    (tmp_path / "conf.d" / "b.conf").write_text("\n\nserver {\n    listen 82;\n}\n")
    (tmp_path / "conf.d" / ".hidden.conf").write_text("this is not read;\n")
    main_conf = tmp_path / "nginx.conf"
    main_conf.write_text("events {}\nhttp {\n    include conf.d/*.conf;\n    server {\n        listen 83;\n    }\n}\n")
    tree = load_tree([main_conf])
    found = [(Path(s.file).name, s.line, s.children("listen")[0].args[0]) for s in servers(tree)]
    assert found == [("a.conf", 1, "81"), ("b.conf", 3, "82"), ("nginx.conf", 4, "83")]
    assert tree.roots[0].name == "main"


def test_relative_include_found_above_the_linted_file(tmp_path: Path) -> None:
    (tmp_path / "snippets").mkdir()
    (tmp_path / "sites-enabled").mkdir()
    (tmp_path / "snippets" / "headers.conf").write_text("add_header X-Frame-Options DENY;\n")
    site = tmp_path / "sites-enabled" / "app"
    site.write_text("server {\n    include snippets/headers.conf;\n    location / {\n        add_header X-A a;\n    }\n}\n")
    findings = lint([site], system_module=no_module).findings
    assert [(f.code, f.line) for f in findings] == [("NC105", 4)]
    assert "X-Frame-Options (" + str(tmp_path / "snippets" / "headers.conf") + ":1)" in findings[0].message


def test_missing_include_is_a_warning_not_a_failure(tmp_path: Path) -> None:
    conf = tmp_path / "site.conf"
    conf.write_text("server {\n    include /nonexistent/nginxcache/options-ssl.conf;\n    include /nonexistent/*.conf;\n}\n")
    result = lint([conf], system_module=no_module)
    assert result.findings == []
    assert result.warnings == [f"{conf}:2: include /nonexistent/nginxcache/options-ssl.conf: no such file here, skipped (nginx -t fails where it is missing)"]


def test_context_is_inferred_from_the_top_level_directives(tmp_path: Path) -> None:
    cases = {"events {}\n": "main", "map $uri $x { default 1; }\n": "http", "location / {}\n": "server",
             "try_files $uri =404;\nalias /x/;\n": "location"}
    for number, (text, context) in enumerate(cases.items()):
        path = tmp_path / f"f{number}.conf"
        path.write_text(text)
        assert load_tree([path]).roots[0].name == context, text


def ansible_style_copy(tmp_path: Path, text: str) -> tuple[Path, Path]:
    """(the copy validate: checks, in a directory of its own; where it will live, beside
    snippets/headers.conf)."""
    conf_dir = tmp_path / "etc" / "nginx"
    (conf_dir / "snippets").mkdir(parents=True)
    (conf_dir / "snippets" / "headers.conf").write_text("add_header X-Frame-Options DENY;\n")
    copy = tmp_path / "ansible-tmp" / "source"
    copy.parent.mkdir()
    copy.write_text(text)
    return copy, conf_dir / "sites-enabled" / "app.conf"


def test_as_finds_relative_includes_from_where_the_file_will_live(tmp_path: Path) -> None:
    copy, placed = ansible_style_copy(tmp_path, "include snippets/headers.conf;\nlocation / {\n    add_header X-A a;\n}\n")
    alone = lint([copy], system_module=no_module)
    assert alone.findings == [] and "no such file here" in alone.warnings[0]
    result = lint([copy], LintOptions(placed_at=placed), system_module=no_module)
    assert [(f.file, f.code, f.line) for f in result.findings] == [(str(placed), "NC105", 3)]
    assert str(copy) not in result.findings[0].message
    assert result.warnings == [] and str(placed) in result.files and str(copy) not in result.files


def test_as_names_the_placed_file_in_a_config_error(tmp_path: Path) -> None:
    copy, placed = ansible_style_copy(tmp_path, "location / {\n    expires 1y\n}\n")
    with pytest.raises(ConfigError) as caught:
        lint([copy], LintOptions(placed_at=placed), system_module=no_module)
    assert caught.value.file == str(placed) and caught.value.line == 3


def test_as_takes_one_config(tmp_path: Path) -> None:
    copy, placed = ansible_style_copy(tmp_path, "location / {}\n")
    with pytest.raises(UsageError, match="--as .* one config file"):
        lint([copy, copy], LintOptions(placed_at=placed), system_module=no_module)


def test_context_reads_the_file_where_it_is_included(tmp_path: Path) -> None:
    conf = tmp_path / "snippet.conf"
    conf.write_text("add_header X-Frame-Options DENY;\n")
    assert load_tree([conf]).roots[0].name == "http"
    assert load_tree([conf], context="location").roots[0].name == "location"
    with pytest.raises(ConfigError, match='"add_header" directive is not allowed here'):
        load_tree([conf], context="main")


def test_cli_as_and_context_as_a_validate_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    copy, placed = ansible_style_copy(tmp_path, "include snippets/headers.conf;\nlocation = /robots.txt {\n    expires max;\n}\n")
    assert main(["lint", "--as", str(placed), "--context", "server", str(copy)]) == ExitCode.CHANGED
    assert capsys.readouterr().out.startswith(f"{placed}:3:5: NC101 ")
    assert main(["lint", "--as", str(placed), "--context", "main", str(copy)]) == ExitCode.BAD_INPUT
    assert "(read in main context: --context)" in capsys.readouterr().err
    assert main(["lint", "--context", "nowhere", str(copy)]) == ExitCode.USAGE


def test_njs_directives_are_left_to_nginx_t_in_the_contexts_njs_has_spread_to(tmp_path: Path) -> None:
    """Open Library's config: js_set in a location (njs >= 0.7.7), which crossplane's table
    still places in http only."""
    conf = tmp_path / "site.conf"
    conf.write_text("server {\n    js_import tagger.js;\n    location / {\n        js_set $tag tagger.tag;\n"
                    "        add_header X-Tag $tag;\n    }\n}\n")
    assert lint([conf], system_module=no_module).findings == []


def test_include_cycle_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "a.conf").write_text("include b.conf;\n")
    (tmp_path / "b.conf").write_text("include a.conf;\n")
    with pytest.raises(ConfigError, match="include cycle"):
        load_tree([tmp_path / "a.conf"])


BROKEN = {
    "unclosed": "events {}\nhttp {\n  server {\n    location / {\n      root /x;\n  }\n}\n",
    "extra_brace": "events {}\nhttp {\n  server {\n  }\n  }\n}\n",
    "no_semicolon": "events {}\nhttp {\n  server {\n    location / {\n      root /x\n    }\n  }\n}\n",
    "eof_no_semicolon": "events {}\nhttp {}\nworker_processes 1",
    "lone_semicolon": "events {}\nhttp {\n ;\n}\n",
    "argument_count": "events {}\nhttp {\n  server {\n    expires;\n  }\n}\n",
    "context": "events {}\nhttp {\n  location / {}\n}\n",
    "unterminated_quote": "events {}\nhttp {\n  add_header X \"abc;\n}\n",
}


@pytest.mark.nginx
@pytest.mark.parametrize("name", sorted(BROKEN))
def test_parse_errors_name_nginx_file_and_line(name: str, tmp_path: Path) -> None:
    conf = tmp_path / "nginx.conf"
    conf.write_text(BROKEN[name])
    result = subprocess.run([find_nginx(), "-t", "-q", "-p", str(tmp_path), "-e", str(tmp_path / "e.log"), "-c", str(conf)],
                            capture_output=True, text=True)
    nginx_says = re.search(r"\[emerg\] (.*) in (\S+):(\d+)", result.stderr)
    assert result.returncode == 1 and nginx_says, result.stderr
    with pytest.raises(ConfigError) as raised:
        load_tree([conf])
    assert (raised.value.message, raised.value.file, raised.value.line) == (
        nginx_says.group(1), nginx_says.group(2), int(nginx_says.group(3)))


# ---------------------------------------------------------------------------------------------
# The nginx emulation against the real nginx

EXPIRES_VALUES = ["1h", "1h30m", "1h30", "30 ", "1y", "1M", "2w", "1d12h", "-1", "-1h", "+1h", "@15h",
                  "@24h", "@25h", "epoch", "max", "off", "0", "30x", "10ms", "1y1y", "1m1h", "1D", "1 h", " 1h", "@-1h",
                  "-epoch", "99999999999999999999", "modified 1h", "modified @1h", "modified epoch", "access 1h"]


@pytest.mark.nginx
def test_expires_values_as_nginx_reads_them(tmp_path: Path) -> None:
    disagree = []
    for value in EXPIRES_VALUES:
        prefix = Path(tempfile.mkdtemp(dir=tmp_path))
        quoted = value if " " in value.strip() else f'"{value}"'
        conf = private_conf(prefix, f"    server {{ listen 127.0.0.1:8; location / {{ expires {quoted}; }} }}\n")
        result = subprocess.run([find_nginx(), "-t", "-q", "-e", str(prefix / "e.log"), "-p", str(prefix), "-c", str(conf)],
                                capture_output=True, text=True)
        words = value.split()
        ours = parse_expires(words[-1], modified=words[0] == "modified") if len(words) == 2 and words[0] == "modified" else (
            "invalid value" if len(words) == 2 else parse_expires(value))
        if (result.returncode == 0) != (not isinstance(ours, str)):
            disagree.append((value, result.stderr.strip(), ours))
    assert not disagree


LOCATIONS = """\
server {
    listen 80;
    location = /exact.css { return 200 "exact"; }
    location /static/ {
        location /static/deep/ { return 200 "static-deep"; }
        location ~ \\.txt$ { return 200 "static-regex"; }
        return 200 "static";
    }
    location ^~ /assets/ {
        location ~ \\.map$ { return 200 "assets-regex"; }
        return 200 "assets";
    }
    location ^~ /assets/nested/ { return 200 "assets-nested"; }
    location /media { return 200 "media"; }
    location ~* \\.(css|js)$ { return 200 "type"; }
    location ~ ^/static/b { return 200 "static-b"; }
    location / { return 200 "root"; }
}
"""
LOCATION_URIS = ["/exact.css", "/exact.cssx", "/static/a.css", "/static/a.txt", "/static/deep/a.txt", "/static/deep/x",
                 "/static/b.png", "/static/x", "/assets/a.css", "/assets/a.map", "/assets/nested/a.map", "/media/a.JS",
                 "/mediafoo", "/x.CSS", "/index.html", "/"]


@pytest.mark.nginx
def test_find_location_picks_what_nginx_picks(serve, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    server = serve(http_part=None, site=LOCATIONS)
    conf = tmp_path / "site.conf"
    conf.write_text(LOCATIONS)
    emulated = servers(load_tree([conf]))[0]
    names = {}
    for node in emulated.walk():
        if node.name == "return":
            names[id(node.parent)] = node.args[1]
    for uri in LOCATION_URIS:
        body = server.request(uri).body.decode()
        assert names[id(find_location(emulated, uri))] == body, uri


@pytest.mark.nginx
@pytest.mark.parametrize("conf", sorted((FIXTURES / "NC114").glob("*.conf")) + sorted((FIXTURES / "NC115").glob("*.conf"))
                         + sorted((FIXTURES / "NC116").glob("*.conf")) + sorted((FIXTURES / "NC113").glob("bad_literal.conf")),
                         ids=lambda p: f"{p.parent.name}/{p.name}")
def test_nginx_agrees_with_the_map_and_expires_fixtures(conf: Path, tmp_path: Path) -> None:
    findings = lint_fixture(conf)
    wrapper = tmp_path / "nginx.conf"
    context = load_tree([conf]).roots[0].name
    included = {"main": f"include {conf};", "http": f"http {{ include {conf}; }}",
                "server": f"http {{ server {{ listen 127.0.0.1:8; include {conf}; }} }}"}[context]
    wrapper.write_text(f"events {{}}\n{included}\n")
    result = nginx_test_findings(load_tree([wrapper]))
    nginx_codes = {f.code for f in result}
    if conf.name.startswith("ok"):
        assert nginx_codes == set(), result
    elif conf.parent.name == "NC115":
        assert nginx_codes == {"NC191"} and "could not build optimal map_hash" in result[0].message, result
    else:
        assert nginx_codes == {"NC190"} and findings, result
        if "could not build map_hash" not in result[0].message:  # nginx names no line for that one
            assert (result[0].file, result[0].line) == (str(conf), findings[0].line), (result, findings)


# ---------------------------------------------------------------------------------------------
# --nginx-test


@pytest.mark.nginx
def test_nginx_test_maps_errors_to_the_real_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "snippets").mkdir()
    (tmp_path / "snippets" / "broken.conf").write_text("add_header X-A a;\nbogus_directive on;\n")
    site = tmp_path / "site.conf"
    site.write_text("server {\n    listen 80;\n    location / {\n        include snippets/broken.conf;\n    }\n}\n")
    findings = lint([site], LintOptions(nginx_test=True), system_module=no_module).findings
    assert [(f.code, f.file, f.line) for f in findings] == [("NC190", str(tmp_path / "snippets" / "broken.conf"), 2)]
    assert findings[0].message == 'nginx -t: unknown directive "bogus_directive"'


@pytest.mark.nginx
def test_nginx_test_turns_warnings_into_findings(tmp_path: Path) -> None:
    conf = tmp_path / "nginx.conf"
    conf.write_text("events {}\n\nhttp {\n    server { listen 127.0.0.1:8; server_name a; }\n"
                    "    server { listen 127.0.0.1:8; server_name a; }\n}\n")
    findings = lint([conf], LintOptions(nginx_test=True), system_module=no_module).findings
    assert [(f.code, f.severity) for f in findings] == [("NC191", Severity.WARNING)]
    assert "conflicting server name" in findings[0].message


# ---------------------------------------------------------------------------------------------
# The command line


def run(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    code = main(["lint", *map(str, args)])
    captured = capsys.readouterr()
    return int(code), captured.out, captured.err


BAD = FIXTURES / "NC111" / "bad_prefix.conf"
OK = FIXTURES / "NC111" / "ok_slashed.conf"


def test_cli_exit_codes(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert run(capsys, OK) == (ExitCode.OK, "", "")
    code, out, err = run(capsys, BAD)
    assert code == ExitCode.CHANGED == 1
    assert out.startswith(f"{BAD}:4:9: NC111 alias /srv/app/static/ in location /static (no trailing slash)")
    assert err == "nginxcache: 1 finding(s) (1 error(s), 0 warning(s), 0 note(s)) in 1 file(s)\n"
    assert run(capsys, BAD, "--exit-zero")[0] == ExitCode.OK
    assert run(capsys, BAD, "--ignore", "NC111")[0:2] == (ExitCode.OK, "")
    assert run(capsys, BAD, "--select", "NC10")[0] == ExitCode.OK
    assert run(capsys, BAD, "--select", "NC1")[0] == ExitCode.CHANGED
    code, _, err = run(capsys, BAD, "--select", "NC999")
    assert code == ExitCode.USAGE == 2 and "--select NC999: not a lint code" in err
    assert run(capsys, BAD, "--format", "xml")[0] == ExitCode.USAGE
    assert run(capsys, BAD, "--root", tmp_path / "missing")[0] == ExitCode.USAGE
    broken = GIXY_SET / "unparseable.conf"
    code, out, err = run(capsys, broken)
    assert (code, out) == (ExitCode.BAD_INPUT, "")
    assert err == f'nginxcache: error: {broken}:8: unexpected "}}"\n'
    code, _, err = run(capsys, tmp_path / "nope.conf")
    assert code == ExitCode.BAD_INPUT == 3 and "nope.conf: no such file" in err
    (tmp_path / "bad.json").write_text("{")
    assert run(capsys, OK, "--manifest", tmp_path / "bad.json")[0] == ExitCode.BAD_INPUT


def test_cli_json_github_and_sarif(capsys: pytest.CaptureFixture[str]) -> None:
    conf = FIXTURES / "NC113" / "bad_literal.conf"
    _, out, _ = run(capsys, conf, "--format", "json")
    rows = json.loads(out)
    assert [(r["code"], r["line"], r["col"], r["severity"]) for r in rows] == [
        ("NC113", 4, 9, "error"), ("NC113", 7, 9, "error"), ("NC113", 10, 9, "error")]
    assert rows[0]["file"] == str(conf) and "30x: invalid value" in rows[0]["message"]
    _, out, _ = run(capsys, conf, "--format", "github")
    lines = out.splitlines()
    assert len(lines) == 3 and lines[0].startswith(f"::error file={conf},line=4,col=9,title=NC113::NC113 expires 30x")
    _, out, _ = run(capsys, conf, "--format", "sarif")
    sarif = json.loads(out)
    assert sarif["version"] == "2.1.0"
    run_ = sarif["runs"][0]
    assert {rule["id"] for rule in run_["tool"]["driver"]["rules"]} == set(all_codes())
    result = run_["results"][0]
    assert result["ruleId"] == "NC113" and result["level"] == "error"
    assert result["locations"][0]["physicalLocation"]["region"] == {"startLine": 4, "startColumn": 9}
    assert run_["tool"]["driver"]["rules"][result["ruleIndex"]]["id"] == "NC113"


def test_github_annotations_escape_newlines_and_commas() -> None:
    from nginxcache.lint.report import format_github

    text = format_github([Finding("a,b:c.conf", 1, 2, "NC101", Severity.WARNING, "50% off\nnext")])
    assert text == "::warning file=a%2Cb%3Ac.conf,line=1,col=2,title=NC101::NC101 50%25 off%0Anext\n"


def test_inline_suppression(tmp_path: Path) -> None:
    conf = tmp_path / "site.conf"
    conf.write_text(
        "server {\n"
        "    location /a { alias /srv/a/; }  # nginxcache: ignore NC111\n"
        "    # nginxcache: ignore NC105, NC111\n"
        "    location /b { alias /srv/b/; }\n"
        "    location /c { alias /srv/c/; }  # nginxcache: ignore NC101\n"
        "    location /d { alias /srv/d/; }  # nginxcache: ignore\n"
        "    location /e { alias /srv/e/; }\n"
        "}\n"
    )
    findings = lint([conf], system_module=no_module).findings
    assert [(f.line, f.code) for f in findings] == [(5, "NC111"), (7, "NC111")]
    assert lint([conf], LintOptions(select=("NC105",)), system_module=no_module).findings == []


# ---------------------------------------------------------------------------------------------
# Documentation


def test_every_code_has_a_docs_page_with_a_bad_example() -> None:
    pages = {page.stem: page.read_text(encoding="utf-8") for page in RULE_DOCS.glob("NC*.md")}
    for code in all_codes():
        assert code in pages, f"{code} has no page docs/rules/{code}.md"
        assert pages[code].startswith(f"# {code}"), f"docs/rules/{code}.md: title must start with the code"
        assert "```nginx" in pages[code], f"docs/rules/{code}.md: no example"
    assert set(pages) == set(all_codes()), f"pages for codes lint does not have: {set(pages) - set(all_codes())}"


def test_rules_index_lists_every_code() -> None:
    index = (RULE_DOCS / "index.md").read_text(encoding="utf-8")
    for code in all_codes():
        assert f"[{code}]({code}.md)" in index, f"docs/rules/index.md does not list {code}"
    assert "gixy-ng" in (REPO / "docs" / "lint.md").read_text(encoding="utf-8")


# ---------------------------------------------------------------------------------------------
# Compared with gixy-ng (optional: NGINXCACHE_GIXY=/path/to/gixy or gixy on PATH)

GIXY = os.environ.get("NGINXCACHE_GIXY") or shutil.which("gixy")
GIXY_TO_OURS = {"add_header_redefinition": "NC105", "alias_traversal": "NC111"}


COMPARED = sorted(GIXY_SET.glob("*.conf")) + sorted((FIXTURES / "NC105").glob("*.conf")) + sorted((FIXTURES / "NC111").glob("*.conf"))


@pytest.mark.skipif(GIXY is None, reason="gixy-ng not installed (set NGINXCACHE_GIXY to its gixy)")
@pytest.mark.parametrize("conf", COMPARED, ids=ids(COMPARED))
def test_finds_everything_gixy_finds(conf: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert GIXY is not None
    result = subprocess.run([GIXY, "-f", "json", str(conf)], capture_output=True, text=True, timeout=120)
    issues = json.loads(result.stdout) if result.stdout.strip().startswith("[") else []
    if conf.name == "unparseable.conf":
        assert result.returncode == 0 and issues == []  # gixy-ng: no issue in a config nginx refuses
        assert run(capsys, conf)[0] == ExitCode.BAD_INPUT
        return
    ours = {f.code for f in lint_fixture(conf)}
    theirs = {GIXY_TO_OURS[issue["plugin"]] for issue in issues if issue["plugin"] in GIXY_TO_OURS}
    assert theirs <= ours, (theirs, ours)
    if conf.name.startswith("ok"):
        assert theirs == set() == ours
    else:
        assert ours, conf


def test_agreeing_cache_control_lines_are_a_note_that_never_fails(tmp_path: Path) -> None:
    """expires 1y plus add_header Cache-Control "public" is one list to a cache (RFC 9110
    5.3): a note; two different max-age is an error, and --fail-on error fails on it only."""
    note = FIXTURES / "NC103" / "bad_agreeing_lines_are_a_note.conf"
    assert [(f.code, f.severity) for f in lint_fixture(note)] == [("NC103", Severity.NOTE)]
    assert main(["lint", str(note)]) == 0
    contradiction = FIXTURES / "NC103" / "bad_two_max_ages.conf"
    assert [(f.code, f.severity) for f in lint_fixture(contradiction)] == [("NC103", Severity.ERROR)]
    assert main(["lint", str(contradiction), "--fail-on", "error"]) == 1
    warning_only = FIXTURES / "NC109" / sorted(p.name for p in (FIXTURES / "NC109").glob("bad*.conf"))[0]
    assert {f.severity for f in lint_fixture(warning_only)} == {Severity.WARNING}
    assert main(["lint", str(warning_only)]) == 1  # the default: any warning fails, as flake8 and ruff do
    assert main(["lint", str(warning_only), "--fail-on", "error"]) == 0
