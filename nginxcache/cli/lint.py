"""`nginxcache lint`: check nginx config for caching and header mistakes."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from nginxcache.cli.app import command
from nginxcache.cli.common import collector_paused, handle_errors, warn
from nginxcache.cli.options import ManifestFormatOpt, PrefixOpt
from nginxcache.errors import ExitCode, NginxcacheError
from nginxcache.lint.findings import Finding, Severity
from nginxcache.lint.report import ReportFormat, render_report


class ConfigContext(StrEnum):
    """Where nginx reads a config file: `--context` (the keys of lint.tree.ROOT_CONTEXTS)."""

    MAIN = "main"
    HTTP = "http"
    SERVER = "server"
    LOCATION = "location"


class FailOn(StrEnum):
    """The least severity that fails a run (a note never does)."""

    ERROR = "error"
    WARNING = "warning"


@command("lint", short_help="Check nginx config for caching mistakes.")
def lint_command(
    configs: Annotated[
        list[Path],
        typer.Argument(
            readable=False,
            metavar="CONFIG",
            help="nginx config files: nginx.conf, a sites-available file, a conf.d file or a snippet (includes are followed).",
            show_default=False,
        ),
    ],
    manifest: Annotated[
        list[Path] | None,
        typer.Option(
            readable=False,
            metavar="MANIFEST",
            help="Build manifest of the files served (repeatable): check every file's caching.",
            show_default=False,
        ),
    ] = None,
    manifest_format: ManifestFormatOpt = None,
    root: Annotated[
        Path | None,
        typer.Option(
            readable=False,
            metavar="DIR",
            help="Local copy of the served directory: check the real files (hashed only when the name is verified "
            "against the content, or the manifest says so).",
            show_default=False,
        ),
    ] = None,
    prefix: PrefixOpt = None,
    nginx_test: Annotated[
        bool, typer.Option("--nginx-test", help="Also run the real `nginx -t` (private prefix) and report its errors and [warn] lines.")
    ] = False,
    nginx: Annotated[
        str | None, typer.Option(metavar="PATH", help="nginx binary for --nginx-test [default: nginx on PATH].", show_default=False)
    ] = None,
    select: Annotated[
        str | None,
        typer.Option(metavar="CODES", help="Only these codes or code prefixes, comma-separated (NC101,NC11).", show_default=False),
    ] = None,
    ignore: Annotated[
        str | None, typer.Option(metavar="CODES", help="Skip these codes or code prefixes, comma-separated.", show_default=False)
    ] = None,
    output_format: Annotated[
        ReportFormat,
        typer.Option(
            "--format",
            metavar="text|json|github|sarif|codeclimate",
            help="text (path:line:col: CODE message), json, github (Actions annotations), sarif (code scanning) "
            "or codeclimate (GitLab Code Quality).",
        ),
    ] = ReportFormat.TEXT,
    content_addressed: Annotated[
        list[str] | None,
        typer.Option(
            metavar="REGEX",
            help="URLs that change with their content although their names carry no hash (a digest segment, a "
            "deploy-versioned prefix), e.g. '^/uploads/.+/[0-9a-f]{40}\\.' (repeatable); or mark the location "
            "with '# nginxcache: content-addressed'.",
            show_default=False,
        ),
    ] = None,
    placed_at: Annotated[
        Path | None,
        typer.Option(
            "--as",
            metavar="PATH",
            help="Where the (one) CONFIG will live, for a copy checked elsewhere (Ansible's `validate:`, Chef's "
            "`verify`): relative includes are found from there, and findings name PATH.",
            show_default=False,
        ),
    ] = None,
    context: Annotated[
        ConfigContext | None,
        typer.Option(
            metavar="main|http|server|location",
            help="The context nginx reads CONFIG in: main (nginx.conf), http (conf.d, sites-enabled), server or "
            "location (a snippet included there) [default: the outermost that allows every top-level directive].",
            show_default=False,
        ),
    ] = None,
    fail_on: Annotated[
        FailOn,
        typer.Option(
            metavar="error|warning",
            help="Exit 1 for findings of this severity or worse: `error` lets a deploy go on over warnings "
            "(notes never fail).",
        ),
    ] = FailOn.WARNING,
    exit_zero: Annotated[bool, typer.Option("--exit-zero", help="Exit 0 even when there are findings.")] = False,
) -> None:
    """Check nginx config for caching and header mistakes, before nginx reloads it."""
    from nginxcache.lint.engine import LintOptions, all_codes, lint, parse_codes  # the rules load only for lint

    with handle_errors():
        try:
            options = LintOptions(
                manifests=tuple(manifest or ()),
                manifest_format=manifest_format,
                root=root,
                prefix=prefix,
                select=parse_codes(select, "--select"),
                ignore=parse_codes(ignore, "--ignore"),
                nginx_test=nginx_test,
                nginx=nginx,
                content_addressed=tuple(content_addressed or ()),
                context=context.value if context is not None else None,
                placed_at=placed_at,
            )
            with collector_paused():
                result = lint(configs, options)
        except NginxcacheError as exc:
            if output_format is not ReportFormat.TEXT:  # a machine reads stdout: give it a document
                sys.stdout.write(failure_report(exc, output_format, all_codes()))
            raise
        for message in result.warnings:
            warn(message)
        sys.stdout.write(render_report(result.findings, output_format, all_codes()))
        counts = {level: sum(1 for finding in result.findings if finding.severity is level) for level in Severity}
        if result.findings and output_format is ReportFormat.TEXT:
            print(
                f"nginxcache: {len(result.findings)} finding(s) ({counts[Severity.ERROR]} error(s), "
                f"{counts[Severity.WARNING]} warning(s), {counts[Severity.NOTE]} note(s)) in {len(result.files)} file(s)",
                file=sys.stderr,
            )
    threshold = Severity(fail_on.value).rank
    failing = any(finding.severity.rank >= threshold for finding in result.findings)
    raise typer.Exit(ExitCode.CHANGED if failing and not exit_zero else ExitCode.OK)



def failure_report(exc: NginxcacheError, output_format: ReportFormat, codes: dict[str, tuple[Severity, str]]) -> str:
    """A lint that could not run (exit 3), as one error finding in a machine format."""
    from nginxcache.lint.engine import UNREADABLE_CODE

    finding = Finding(exc.file or "", exc.line or 1, 1, UNREADABLE_CODE, Severity.ERROR, exc.message)
    return render_report([finding], output_format, codes)
