"""Findings as text (path:line:col: CODE message), JSON, GitHub annotations, SARIF 2.1.0 or GitLab
Code Quality: each format is one function from the same Finding values (and the table of rules)."""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from enum import StrEnum
from pathlib import Path
from urllib.parse import quote

from nginxcache import DOCS_URL, __version__
from nginxcache.lint.findings import Finding, Severity

# Every code lint can report -> (its default severity, one-line summary): engine.all_codes().
Rules = Mapping[str, tuple[Severity, str]]


def rule_doc_url(code: str) -> str:
    """The page of one lint rule: docs/rules/<CODE>.md, as mkdocs publishes it."""
    return f"{DOCS_URL}rules/{code}/"


class ReportFormat(StrEnum):
    TEXT = "text"
    JSON = "json"
    GITHUB = "github"
    SARIF = "sarif"
    CODECLIMATE = "codeclimate"


# Each format's own word for a severity.
GITHUB_LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.NOTE: "notice"}
SARIF_LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.NOTE: "note"}
# GitLab's scale is info < minor < major < critical < blocker. An error is nginx refusing the
# config or users getting stale or wrong content; a warning fails the run by default
# (--fail-on warning), so it is more than "minor"; a note never fails a run. Blocker is left
# for nothing: a finding never stops nginx serving the rest of the site.
CODECLIMATE_SEVERITIES = {Severity.ERROR: "critical", Severity.WARNING: "major", Severity.NOTE: "info"}


def one_line(text: str) -> str:
    return text.replace("\r", "\\r").replace("\n", "\\n")


def format_text(findings: Sequence[Finding]) -> str:
    return "".join(f"{f.file}:{f.line}:{f.col}: {f.code} {one_line(f.message)}\n" for f in findings)


def format_json(findings: Sequence[Finding]) -> str:
    rows = [
        {"code": f.code, "severity": str(f.severity), "message": f.message, "file": f.file, "line": f.line, "col": f.col}
        for f in findings
    ]
    return json.dumps(rows, indent=2, ensure_ascii=False) + "\n"


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def format_github(findings: Sequence[Finding]) -> str:
    """GitHub Actions workflow commands: one annotation per finding."""
    lines = []
    for f in findings:
        props = f"file={_escape_property(f.file)},line={f.line},col={f.col},title={_escape_property(f.code)}"
        lines.append(f"::{GITHUB_LEVELS[f.severity]} {props}::{_escape_data(f.code + ' ' + f.message)}\n")
    return "".join(lines)


def _artifact(file: str) -> dict[str, str]:
    """Where a finding is, as a URI: escaped as Path.as_uri() escapes an absolute one, so that
    a space, `%`, `#` or `?` in a file name makes no invalid URI (GitHub's upload refuses it)."""
    path = Path(file)
    if path.is_absolute():
        return {"uri": path.as_uri()}
    return {"uri": quote(path.as_posix()), "uriBaseId": "%SRCROOT%"}


def format_sarif(findings: Sequence[Finding], rules: Rules) -> str:
    """SARIF 2.1.0 for code scanning: every known rule, then one result per finding."""
    codes = sorted(rules)
    index = {code: i for i, code in enumerate(codes)}
    driver_rules = [
        {
            "id": code,
            "name": code,
            "shortDescription": {"text": rules[code][1]},
            "helpUri": rule_doc_url(code),
            "defaultConfiguration": {"level": SARIF_LEVELS[rules[code][0]]},
        }
        for code in codes
    ]
    results = []
    for f in findings:
        result: dict[str, object] = {
            "ruleId": f.code,
            "level": SARIF_LEVELS[f.severity],
            "message": {"text": f.message},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": _artifact(f.file),
                        "region": {"startLine": max(1, f.line), "startColumn": max(1, f.col)},
                    }
                }
            ],
        }
        if f.code in index:
            result["ruleIndex"] = index[f.code]
        results.append(result)
    document = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": {"name": "nginxcache", "version": __version__, "rules": driver_rules}},
                "results": results,
            }
        ],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _repo_path(file: str, root: Path) -> str:
    """A path as GitLab links it: relative to the repository root (where the job runs), with
    forward slashes and no `./`; a file outside the root keeps its absolute path."""
    if not file:
        return file
    path = Path(file)
    if path.is_absolute():
        for candidate, base in ((path, root), (Path(os.path.realpath(path)), root.resolve())):
            if candidate.is_relative_to(base):
                path = candidate.relative_to(base)
                break
        else:
            return path.as_posix()
    return Path(os.path.normpath(path)).as_posix()


_NUMBER = re.compile(r"\d+")


def format_codeclimate(findings: Sequence[Finding], root: Path | None = None) -> str:
    """GitLab Code Quality: a JSON list of issues (GitLab's subset of the Code Climate spec).

    GitLab tells new findings from fixed ones by their fingerprint, comparing the merge request
    with its target branch. So the fingerprint leaves out where the finding is (its line, and
    the line numbers its message quotes): it hashes the code, the path, the message with its
    numbers blanked, and the finding's rank among those alike in that file, which keeps it
    unique (GitLab shows one issue per fingerprint) and unchanged when lines above move.
    """
    base = Path.cwd() if root is None else root
    alike: Counter[tuple[str, str, str]] = Counter()
    issues = []
    for f in findings:
        path = _repo_path(f.file, base)
        key = (f.code, path, _NUMBER.sub("#", f.message))
        alike[key] += 1
        fingerprint = hashlib.sha256("\0".join([*key, str(alike[key])]).encode()).hexdigest()
        issues.append(
            {
                "description": f"{f.code} {f.message}",
                "check_name": f.code,
                "fingerprint": fingerprint,
                "severity": CODECLIMATE_SEVERITIES[f.severity],
                "location": {"path": path, "lines": {"begin": max(1, f.line)}},
            }
        )
    return json.dumps(issues, indent=2, ensure_ascii=False) + "\n"


_FORMATTERS: dict[ReportFormat, Callable[[Sequence[Finding], Rules], str]] = {
    ReportFormat.TEXT: lambda findings, rules: format_text(findings),
    ReportFormat.JSON: lambda findings, rules: format_json(findings),
    ReportFormat.GITHUB: lambda findings, rules: format_github(findings),
    ReportFormat.SARIF: format_sarif,
    ReportFormat.CODECLIMATE: lambda findings, rules: format_codeclimate(findings),
}


def render_report(findings: Sequence[Finding], fmt: ReportFormat, rules: Rules) -> str:
    return _FORMATTERS[fmt](findings, rules)
