"""Findings as text (path:line:col: CODE message), JSON, GitHub annotations or SARIF 2.1.0."""

from __future__ import annotations

import json
from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path

from nginxcache import DOCS_URL, __version__
from nginxcache.lint.findings import Finding, Severity


def rule_doc_url(code: str) -> str:
    """The page of one lint rule: docs/rules/<CODE>.md, as mkdocs publishes it."""
    return f"{DOCS_URL}rules/{code}/"


class ReportFormat(StrEnum):
    TEXT = "text"
    JSON = "json"
    GITHUB = "github"
    SARIF = "sarif"


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
        level = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.NOTE: "notice"}[f.severity]
        props = f"file={_escape_property(f.file)},line={f.line},col={f.col},title={_escape_property(f.code)}"
        lines.append(f"::{level} {props}::{_escape_data(f.code + ' ' + f.message)}\n")
    return "".join(lines)


def _artifact(file: str) -> dict[str, str]:
    path = Path(file)
    if path.is_absolute():
        return {"uri": path.as_uri()}
    return {"uri": path.as_posix(), "uriBaseId": "%SRCROOT%"}


def format_sarif(findings: Sequence[Finding], rules: dict[str, tuple[Severity, str]]) -> str:
    """SARIF 2.1.0 for code scanning: every known rule, then one result per finding."""
    codes = sorted(rules)
    index = {code: i for i, code in enumerate(codes)}
    driver_rules = [
        {
            "id": code,
            "name": code,
            "shortDescription": {"text": rules[code][1]},
            "helpUri": rule_doc_url(code),
            "defaultConfiguration": {"level": "error" if rules[code][0] is Severity.ERROR else "warning"},
        }
        for code in codes
    ]
    results = []
    for f in findings:
        result: dict[str, object] = {
            "ruleId": f.code,
            "level": {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.NOTE: "note"}[f.severity],
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


def render_report(findings: Sequence[Finding], fmt: ReportFormat, rules: dict[str, tuple[Severity, str]]) -> str:
    if fmt is ReportFormat.JSON:
        return format_json(findings)
    if fmt is ReportFormat.GITHUB:
        return format_github(findings)
    if fmt is ReportFormat.SARIF:
        return format_sarif(findings, rules)
    return format_text(findings)
