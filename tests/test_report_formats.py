"""lint's machine formats as their consumers read them: SARIF checked against the official 2.1.0
schema (vendored in tests/fixtures/sarif/), GitLab Code Quality against the fields GitLab
requires, on real lint output: findings, none, a config that cannot be read (exit 3), relative
and absolute paths, notes, file names that need escaping in a URI."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import typer.main
from jsonschema import Draft4Validator, Draft7Validator, FormatChecker

from nginxcache.cli import app, main
from nginxcache.errors import ExitCode
from nginxcache.lint import all_codes
from nginxcache.lint.findings import Finding, Severity
from nginxcache.lint.report import ReportFormat, format_codeclimate, render_report

TESTS = Path(__file__).resolve().parent
SARIF_SCHEMA = TESTS / "fixtures" / "sarif" / "sarif-schema-2.1.0.json"
FIXTURES = TESTS / "lint_fixtures"
BAD = FIXTURES / "NC113" / "bad_literal.conf"  # three NC113 errors in one file
NOTE = FIXTURES / "NC103" / "bad_agreeing_lines_are_a_note.conf"
WARNING = FIXTURES / "NC105" / "bad_location.conf"
OK = FIXTURES / "NC111" / "ok_slashed.conf"
UNPARSEABLE = FIXTURES / "gixy" / "unparseable.conf"

# GitLab's Code Quality report format (docs.gitlab.com/ci/testing/code_quality/, "Code Quality
# report format"): a JSON array of objects with these fields; the line may also be given as
# location.positions.begin.line, which nginxcache does not use.
GITLAB_CODE_QUALITY = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["description", "check_name", "fingerprint", "severity", "location"],
        "properties": {
            "description": {"type": "string", "minLength": 1},
            "check_name": {"type": "string", "pattern": "^NC[0-9]{3}$"},
            "fingerprint": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
            "severity": {"enum": ["info", "minor", "major", "critical", "blocker"]},
            "location": {
                "type": "object",
                "required": ["path", "lines"],
                "properties": {
                    "path": {"type": "string"},
                    "lines": {
                        "type": "object",
                        "required": ["begin"],
                        "properties": {"begin": {"type": "integer", "minimum": 1}},
                    },
                },
            },
        },
    },
}


@pytest.fixture(scope="module")
def sarif_schema() -> Draft4Validator:
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    Draft4Validator.check_schema(schema)
    # every format the schema names is checked (uri-reference too, as GitHub's upload does)
    return Draft4Validator(schema, format_checker=FormatChecker())


def valid_sarif(validator: Draft4Validator, text: str) -> dict[str, Any]:
    document = json.loads(text)
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:10])
    return document  # type: ignore[no-any-return]


def valid_code_quality(text: str) -> list[dict[str, Any]]:
    issues = json.loads(text)
    errors = list(Draft7Validator(GITLAB_CODE_QUALITY).iter_errors(issues))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:10])
    fingerprints = [issue["fingerprint"] for issue in issues]
    assert len(set(fingerprints)) == len(fingerprints), "GitLab shows one issue per fingerprint"
    return issues  # type: ignore[no-any-return]


def lint_out(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> tuple[int, str]:
    code = main(["lint", *map(str, argv)])
    return int(code), capsys.readouterr().out


def results(document: dict[str, Any]) -> list[dict[str, Any]]:
    [run] = document["runs"]
    return run["results"]  # type: ignore[no-any-return]


def uri_of(result: dict[str, Any]) -> dict[str, str]:
    return result["locations"][0]["physicalLocation"]["artifactLocation"]  # type: ignore[no-any-return]


def test_the_vendored_schema_is_the_one_its_source_note_names() -> None:
    digest = hashlib.sha256(SARIF_SCHEMA.read_bytes()).hexdigest()
    assert digest in (SARIF_SCHEMA.parent / "SOURCE.md").read_text(encoding="utf-8")
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    assert schema["id"] == "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"


def test_the_schema_check_can_fail(sarif_schema: Draft4Validator) -> None:
    """The validator really checks: a wrong level, a missing message, a bare space in a URI."""
    good = json.loads(render_report([Finding("a.conf", 1, 1, "NC101", Severity.ERROR, "m")], ReportFormat.SARIF, all_codes()))
    valid_sarif(sarif_schema, json.dumps(good))
    uri = ("locations", 0, "physicalLocation", "artifactLocation", "uri")
    for path, value in ((("level",), "fatal"), (("message",), None), (uri, "a b.conf")):
        broken = json.loads(json.dumps(good))
        target = results(broken)[0]
        for key in path[:-1]:
            target = target[key]
        if value is None:
            del target[path[-1]]
        else:
            target[path[-1]] = value
        with pytest.raises(AssertionError):
            valid_sarif(sarif_schema, json.dumps(broken))


def test_sarif_with_findings(capsys, sarif_schema: Draft4Validator) -> None:
    code, out = lint_out(capsys, BAD, "--format", "sarif")
    assert code == ExitCode.CHANGED
    document = valid_sarif(sarif_schema, out)
    found = results(document)
    assert [(r["ruleId"], r["level"], r["locations"][0]["physicalLocation"]["region"]["startLine"]) for r in found] == [
        ("NC113", "error", 4), ("NC113", "error", 7), ("NC113", "error", 10)]
    rules = document["runs"][0]["tool"]["driver"]["rules"]
    assert all(rules[r["ruleIndex"]]["id"] == r["ruleId"] for r in found)
    assert uri_of(found[0]) == {"uri": BAD.as_uri()}


def test_sarif_without_findings(capsys, sarif_schema: Draft4Validator) -> None:
    code, out = lint_out(capsys, OK, "--format", "sarif")
    assert code == ExitCode.OK
    document = valid_sarif(sarif_schema, out)
    assert results(document) == []
    assert {rule["id"] for rule in document["runs"][0]["tool"]["driver"]["rules"]} == set(all_codes())


def test_sarif_for_a_config_that_cannot_be_read(capsys, sarif_schema: Draft4Validator) -> None:
    code, out = lint_out(capsys, UNPARSEABLE, "--format", "sarif")
    assert code == ExitCode.BAD_INPUT
    [result] = results(valid_sarif(sarif_schema, out))
    assert (result["ruleId"], result["level"]) == ("NC000", "error")
    assert uri_of(result) == {"uri": UNPARSEABLE.as_uri()}
    assert result["locations"][0]["physicalLocation"]["region"]["startLine"] == 8


def test_sarif_for_a_file_that_does_not_exist(capsys, sarif_schema: Draft4Validator, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, out = lint_out(capsys, "conf.d/missing.conf", "--format", "sarif")
    assert code == ExitCode.BAD_INPUT
    [result] = results(valid_sarif(sarif_schema, out))
    assert (result["ruleId"], result["message"]["text"]) == ("NC000", "no such file")
    assert uri_of(result) == {"uri": "conf.d/missing.conf", "uriBaseId": "%SRCROOT%"}


def test_sarif_notes_and_warnings(capsys, sarif_schema: Draft4Validator) -> None:
    code, out = lint_out(capsys, NOTE, WARNING, "--format", "sarif")
    assert code == ExitCode.CHANGED  # the warning fails the run, the note would not
    levels = {(r["ruleId"], r["level"]) for r in results(valid_sarif(sarif_schema, out))}
    assert levels == {("NC103", "note"), ("NC105", "warning")}
    assert lint_out(capsys, NOTE, "--format", "sarif")[0] == ExitCode.OK


def test_sarif_relative_paths_are_relative_to_the_source_root(capsys, sarif_schema: Draft4Validator, tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "nginx" / "conf.d").mkdir(parents=True)
    shutil.copy(BAD, tmp_path / "nginx" / "conf.d" / "app.conf")
    monkeypatch.chdir(tmp_path)
    for given in ("nginx/conf.d/app.conf", "./nginx/conf.d/app.conf"):
        _, out = lint_out(capsys, given, "--format", "sarif")
        for result in results(valid_sarif(sarif_schema, out)):
            assert uri_of(result) == {"uri": "nginx/conf.d/app.conf", "uriBaseId": "%SRCROOT%"}
    _, out = lint_out(capsys, tmp_path / "nginx" / "conf.d" / "app.conf", "--format", "sarif")
    assert {uri_of(r)["uri"] for r in results(valid_sarif(sarif_schema, out))} == {(tmp_path / "nginx/conf.d/app.conf").as_uri()}


@pytest.mark.parametrize("name", ["my site.conf", "100%.conf", "a#b?.conf", "a:b,c.conf", "ünïcode.conf", "[x].conf"])
def test_sarif_uris_of_awkward_file_names(capsys, sarif_schema: Draft4Validator, tmp_path: Path, monkeypatch, name: str) -> None:
    """A file name with a space, %, #, ? or a colon is escaped: GitHub's upload refuses a URI
    that is not a valid uri-reference, and an unescaped # or ? would cut the path short."""
    (tmp_path / "sites").mkdir()
    shutil.copy(BAD, tmp_path / "sites" / name)
    monkeypatch.chdir(tmp_path)
    for given in (f"sites/{name}", str(tmp_path / "sites" / name)):
        _, out = lint_out(capsys, given, "--format", "sarif")
        found = results(valid_sarif(sarif_schema, out))
        assert len(found) == 3
        uri = uri_of(found[0])["uri"]
        assert "#" not in uri and "?" not in uri and " " not in uri
        from urllib.parse import unquote, urlsplit

        assert unquote(urlsplit(uri).path).endswith(f"sites/{name}")


# ---------------------------------------------------------------------------------------------
# GitLab Code Quality


def test_code_quality_with_findings(capsys, tmp_path: Path, monkeypatch) -> None:
    shutil.copy(BAD, tmp_path / "site.conf")
    shutil.copy(NOTE, tmp_path / "note.conf")
    shutil.copy(WARNING, tmp_path / "warn.conf")
    monkeypatch.chdir(tmp_path)
    code, out = lint_out(capsys, "site.conf", "note.conf", "./warn.conf", "--format", "codeclimate")
    assert code == ExitCode.CHANGED
    issues = valid_code_quality(out)
    assert [(i["check_name"], i["severity"], i["location"]["path"], i["location"]["lines"]["begin"]) for i in issues] == [
        ("NC103", "info", "note.conf", 6),
        ("NC113", "critical", "site.conf", 4),
        ("NC113", "critical", "site.conf", 7),
        ("NC113", "critical", "site.conf", 10),
        ("NC105", "major", "warn.conf", 8),
    ]
    assert issues[1]["description"].startswith("NC113 expires 30x")


def test_code_quality_without_findings_and_for_a_config_that_cannot_be_read(capsys, tmp_path: Path, monkeypatch) -> None:
    assert lint_out(capsys, OK, "--format", "codeclimate") == (ExitCode.OK, "[]\n")
    shutil.copy(UNPARSEABLE, tmp_path / "broken.conf")
    monkeypatch.chdir(tmp_path)
    code, out = lint_out(capsys, "broken.conf", "--format", "codeclimate")
    assert code == ExitCode.BAD_INPUT
    [issue] = valid_code_quality(out)
    assert (issue["check_name"], issue["severity"]) == ("NC000", "critical")
    assert issue["location"] == {"path": "broken.conf", "lines": {"begin": 8}}
    assert 'unexpected "}"' in issue["description"]


def test_code_quality_paths_are_relative_to_the_repository_root(capsys, tmp_path: Path, monkeypatch) -> None:
    """Absolute paths (given so, or an include's glob resolved by lint) become relative to the
    working directory, where GitLab runs the job: the repository root."""
    conf = tmp_path / "deploy" / "nginx"
    (conf / "conf.d").mkdir(parents=True)
    (conf / "nginx.conf").write_text("events {}\nhttp {\n    include conf.d/*.conf;\n}\n")
    shutil.copy(BAD, conf / "conf.d" / "app.conf")
    monkeypatch.chdir(tmp_path)
    for given in ("deploy/nginx/nginx.conf", conf / "nginx.conf", conf / "conf.d" / "app.conf"):
        _, out = lint_out(capsys, given, "--format", "codeclimate")
        assert {i["location"]["path"] for i in valid_code_quality(out)} == {"deploy/nginx/conf.d/app.conf"}, given
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")  # a file outside the working directory keeps its absolute path
    _, out = lint_out(capsys, conf / "nginx.conf", "--format", "codeclimate")
    assert {i["location"]["path"] for i in valid_code_quality(out)} == {(conf / "conf.d" / "app.conf").as_posix()}


def test_code_quality_fingerprints_survive_lines_moving(capsys, tmp_path: Path, monkeypatch) -> None:
    """GitLab tells new findings from fixed ones by fingerprint: a finding that only moved down
    (lines added above it, and the line numbers its message quotes) keeps its fingerprint."""
    monkeypatch.chdir(tmp_path)
    site = Path("site.conf")
    body = "server {\n    listen 80;\n    location / {\n        expires max;\n        try_files $uri /index.html;\n    }\n}\n"
    site.write_text(body)
    before = valid_code_quality(lint_out(capsys, site, "--format", "codeclimate")[1])
    site.write_text("# deployed by ansible\n\n\n" + body)
    after = valid_code_quality(lint_out(capsys, site, "--format", "codeclimate")[1])
    assert len(before) >= 2
    assert [i["location"]["lines"]["begin"] + 3 for i in before] == [i["location"]["lines"]["begin"] for i in after]
    assert any(i["description"] != j["description"] for i, j in zip(before, after, strict=True)), "no message quotes a line"
    assert [i["fingerprint"] for i in before] == [i["fingerprint"] for i in after]
    # another file, or another finding, is another fingerprint
    shutil.copy(site, "other.conf")
    other = valid_code_quality(lint_out(capsys, "other.conf", "--format", "codeclimate")[1])
    assert not {i["fingerprint"] for i in other} & {i["fingerprint"] for i in after}


def test_code_quality_fingerprint_is_pinned() -> None:
    """Changing how fingerprints are made shows every finding as new (and fixed) once in every
    GitLab project: the recipe is pinned here."""
    findings = [
        Finding("site.conf", 4, 9, "NC113", Severity.ERROR, "expires 30x: invalid value (line 4)"),
        Finding("site.conf", 9, 9, "NC113", Severity.ERROR, "expires 30x: invalid value (line 9)"),
    ]
    issues = valid_code_quality(format_codeclimate(findings, Path("/repo")))
    expected = [hashlib.sha256(f"NC113\0site.conf\0expires #x: invalid value (line #)\0{n}".encode()).hexdigest() for n in (1, 2)]
    assert [i["fingerprint"] for i in issues] == expected


def test_every_format_renders_and_the_option_lists_each() -> None:
    finding = Finding("a.conf", 1, 1, "NC101", Severity.NOTE, "m")
    for fmt in ReportFormat:
        assert render_report([finding], fmt, all_codes()).endswith("\n"), fmt
    lint_command = typer.main.get_command(app).commands["lint"]  # type: ignore[attr-defined]
    option = next(p for p in lint_command.params if "--format" in p.opts)
    assert option.metavar.split("|") == [str(fmt) for fmt in ReportFormat]
