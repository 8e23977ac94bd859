"""`nginxcache probe`: ask a live site (or every backend of a fleet: the deploy gate) for
every file and check its caching headers."""

from __future__ import annotations

import sys
import time
from dataclasses import replace
from enum import StrEnum
from pathlib import Path
from typing import Annotated, TextIO

import typer

from nginxcache import pipeline
from nginxcache.cli.app import command
from nginxcache.cli.common import handle_errors, report, report_notes, warn
from nginxcache.cli.options import ManifestOpt, PolicyOptions, policy_options
from nginxcache.errors import ExitCode, UsageError
from nginxcache.httpwire import parse_base_url, parse_virtual_host
from nginxcache.probe import (
    MAX_CONCURRENCY,
    BackendReport,
    build_checks,
    format_backends_json,
    format_backends_text,
    format_json,
    format_text,
    read_backends,
    run,
    run_backends,
)


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


@command(short_help="Check the caching headers of a live site, or of every backend.")
@policy_options
def probe(
    base_url: Annotated[
        str | None,
        typer.Argument(
            metavar="[BASE_URL]",
            help="The site's origin: https://www.example.com, http://127.0.0.1:8080. Not with --backend/--backends.",
            show_default=False,
        ),
    ] = None,
    *,
    manifest: ManifestOpt,
    backend: Annotated[
        list[str] | None,
        typer.Option(
            metavar="URL",
            help="A backend server's origin, probed as the deploy gate before the HTML switch (repeatable).",
            show_default=False,
        ),
    ] = None,
    backends: Annotated[
        Path | None,
        typer.Option(
            readable=False,
            metavar="FILE",
            help="A file of backend origins, one a line (# comments, blank lines skipped), as --backend.",
            show_default=False,
        ),
    ] = None,
    host: Annotated[
        str | None,
        typer.Option(
            metavar="NAME[:PORT]",
            help="The site's host name, sent as Host (and the TLS server name) to BASE_URL or every backend "
            "[default: the URL's own host].",
            show_default=False,
        ),
    ] = None,
    concurrency: Annotated[
        int, typer.Option(metavar="N", min=1, max=MAX_CONCURRENCY, help="Requests in flight at once (in all, for backends).")
    ] = 8,
    timeout: Annotated[
        float,
        typer.Option(metavar="SECONDS", min=0.1, max=300.0, help="Seconds to wait for a connection or an answer, per request."),
    ] = 10.0,
    output_format: Annotated[
        OutputFormat,
        typer.Option(
            "--format",
            metavar="text|json",
            help="text: a line per violation (per backend) and a summary; json: a list of objects.",
        ),
    ] = OutputFormat.TEXT,
    policy: PolicyOptions,
) -> None:
    """Request every file the manifest names from a live site and report each response
    whose caching headers break the policy render writes (exit 1), or 6 when BASE_URL
    cannot be reached. With --backend/--backends, the deploy gate: every backend must serve
    every hashed file of the new build (exit 1 when one lacks any file; 6 when one cannot be
    reached and none lacks a file)."""
    with handle_errors():
        fleet = bool(backend) or backends is not None
        if fleet == (base_url is not None):
            raise UsageError(
                "give BASE_URL, or --backend/--backends, not both" if fleet
                else "give BASE_URL (one site) or --backend/--backends (every backend of a fleet)"
            )
        virtual_host = parse_virtual_host(host) if host is not None else None
        if fleet:
            origins = [parse_base_url(url, "--backend") for url in backend or ()]
            origins += read_backends(backends) if backends is not None else []
            origins = [replace(origin, virtual_host=virtual_host) for origin in dict.fromkeys(origins)]
        else:
            assert base_url is not None
            origins = [replace(parse_base_url(base_url), virtual_host=virtual_host)]
        planned = pipeline.plan(policy.request(manifest))
        report(planned)
        checks = build_checks(planned.classification, planned.options)
        if len(checks) == 1:
            warn("the manifests name no file below --prefix: only the missing-file check is made")
        bar = ProgressBar(sys.stderr) if sys.stderr.isatty() else None
        try:
            if fleet:
                fleet_result = run_backends(origins, checks, concurrency=concurrency, timeout=timeout, progress=bar)
            else:
                result = run(origins[0], checks, concurrency=concurrency, timeout=timeout, progress=bar)
        finally:
            if bar is not None:
                bar.clear()
        if fleet:
            json_output = output_format is OutputFormat.JSON
            sys.stdout.write(format_backends_json(fleet_result) if json_output else format_backends_text(fleet_result, len(checks)))
        else:
            sys.stdout.write(format_json(result) if output_format is OutputFormat.JSON else format_text(result, origins[0]))
        report_notes(planned)
    if fleet:
        raise typer.Exit(gate_exit_code(fleet_result))
    raise typer.Exit(ExitCode.CHANGED if result.violations else ExitCode.OK)


def gate_exit_code(reports: list[BackendReport]) -> ExitCode:
    """1 when a backend answered and is not ready: a file is missing or wrongly served, which
    no retry mends. Otherwise 6 when a backend could not be reached: the gate may pass
    once it is back (or out of the pool). 0 when every backend is ready."""
    if any(not r.ready and r.unreachable is None for r in reports):
        return ExitCode.CHANGED
    if any(r.unreachable is not None for r in reports):
        return ExitCode.UNREACHABLE
    return ExitCode.OK
