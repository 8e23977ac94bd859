"""`nginxcache probe`: ask a live site for every file and check its caching headers."""

from __future__ import annotations

import sys
import time
from enum import StrEnum
from typing import Annotated, TextIO

import typer

from nginxcache import pipeline
from nginxcache.cli.app import command
from nginxcache.cli.common import handle_errors, report, report_notes, warn
from nginxcache.cli.options import ManifestOpt, PolicyOptions, policy_options
from nginxcache.errors import ExitCode
from nginxcache.httpwire import parse_base_url
from nginxcache.probe import MAX_CONCURRENCY, build_checks, format_json, format_text, run


class OutputFormat(StrEnum):
    TEXT = "text"
    JSON = "json"


class ProgressBar:
    """`[#####.....] 12/40` on a terminal's stderr, redrawn at most ten times a second."""

    WIDTH = 30

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.drawn_at = 0.0
        self.shown = False

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if done < total and now - self.drawn_at < 0.1:
            return
        self.drawn_at = now
        filled = self.WIDTH * done // max(total, 1)
        self.stream.write(f"\rnginxcache probe [{'#' * filled}{'.' * (self.WIDTH - filled)}] {done}/{total}")
        self.stream.flush()
        self.shown = True

    def clear(self) -> None:
        if self.shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()


@command(short_help="Check a live site's caching headers, file by file.")
@policy_options
def probe(
    base_url: Annotated[
        str,
        typer.Argument(metavar="BASE_URL", help="The site's origin: https://www.example.com, http://127.0.0.1:8080.", show_default=False),
    ],
    manifest: ManifestOpt,
    concurrency: Annotated[int, typer.Option(metavar="N", min=1, max=MAX_CONCURRENCY, help="Requests in flight at once.")] = 8,
    timeout: Annotated[
        float,
        typer.Option(metavar="SECONDS", min=0.1, max=300.0, help="Seconds to wait for a connection or an answer, per request."),
    ] = 10.0,
    output_format: Annotated[
        OutputFormat,
        typer.Option("--format", metavar="text|json", help="text: a line per violation and a summary; json: a list of objects."),
    ] = OutputFormat.TEXT,
    *,
    policy: PolicyOptions,
) -> None:
    """Request every file the manifest names from a live site and report each response
    whose caching headers break the policy render writes (exit 1), or 6 when BASE_URL
    cannot be reached."""
    with handle_errors():
        origin = parse_base_url(base_url)
        planned = pipeline.plan(policy.request(manifest))
        report(planned)
        checks = build_checks(planned.classification, planned.options)
        if len(checks) == 1:
            warn("the manifests name no file below --prefix: only the missing-file check is made")
        bar = ProgressBar(sys.stderr) if sys.stderr.isatty() else None
        try:
            result = run(origin, checks, concurrency=concurrency, timeout=timeout, progress=bar)
        finally:
            if bar is not None:
                bar.clear()
        sys.stdout.write(format_json(result) if output_format is OutputFormat.JSON else format_text(result, origin))
        report_notes(planned)
    raise typer.Exit(ExitCode.CHANGED if result.violations else ExitCode.OK)
