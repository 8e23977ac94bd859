"""The `nginxcache lint` command, registered on the Typer app by cli.py."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from nginxcache.errors import ExitCode
from nginxcache.lint.findings import Severity
from nginxcache.lint.report import ReportFormat, render_report


def register(app: typer.Typer) -> None:
    """Add the lint command to the app (cli.py calls this once, at import)."""
    # cli.py imports this module: its helpers are only taken once it is fully loaded.
    from nginxcache.cli import collector_paused, handle_errors, warn

    @app.command("lint")
    def lint_command(
        configs: Annotated[
            list[Path],
            typer.Argument(metavar="CONFIG", help="nginx config files: nginx.conf, a sites-available file, a conf.d file or a snippet (includes are followed).", show_default=False),
        ],
        manifest: Annotated[Optional[list[Path]], typer.Option(metavar="MANIFEST", help="Build manifest of the files served (repeatable): check every file's caching.", show_default=False)] = None,
        root: Annotated[Optional[Path], typer.Option(metavar="DIR", help="Local copy of the served directory: check the real files (hashed only when the name is verified against the content, or the manifest says so).")] = None,
        prefix: Annotated[str, typer.Option(metavar="PREFIX", help="URL prefix --manifest/--root files are served at.")] = "/static/",
        nginx_test: Annotated[bool, typer.Option("--nginx-test", help="Also run the real `nginx -t` (private prefix) and report its errors and [warn] lines.")] = False,
        nginx: Annotated[Optional[str], typer.Option(metavar="PATH", help="nginx binary for --nginx-test [default: nginx on PATH].")] = None,
        select: Annotated[Optional[str], typer.Option(metavar="CODES", help="Only these codes or code prefixes, comma-separated (NC101,NC11).")] = None,
        ignore: Annotated[Optional[str], typer.Option(metavar="CODES", help="Skip these codes or code prefixes, comma-separated.")] = None,
        output_format: Annotated[ReportFormat, typer.Option("--format", metavar="text|json|github|sarif", help="text (path:line:col: CODE message), json, github (Actions annotations) or sarif (code scanning).")] = ReportFormat.TEXT,
        exit_zero: Annotated[bool, typer.Option("--exit-zero", help="Exit 0 even when there are findings.")] = False,
    ) -> None:
        """Check nginx config for caching and header mistakes before nginx reloads it."""
        from nginxcache.lint.engine import LintOptions, all_codes, lint, parse_codes  # the rules load only for lint

        with handle_errors():
            options = LintOptions(
                manifests=tuple(manifest or ()),
                root=root,
                prefix=prefix,
                select=parse_codes(select, "--select"),
                ignore=parse_codes(ignore, "--ignore"),
                nginx_test=nginx_test,
                nginx=nginx,
            )
            with collector_paused():
                result = lint(configs, options)
            for message in result.warnings:
                warn(message)
            sys.stdout.write(render_report(result.findings, output_format, all_codes()))
            if result.findings and output_format is ReportFormat.TEXT:
                errors = sum(1 for finding in result.findings if finding.severity is Severity.ERROR)
                print(
                    f"nginxcache: {len(result.findings)} finding(s) ({errors} error(s), "
                    f"{len(result.findings) - errors} warning(s)) in {len(result.files)} file(s)",
                    file=sys.stderr,
                )
        raise typer.Exit(ExitCode.CHANGED if result.findings and not exit_zero else ExitCode.OK)
