"""The `nginxcache probe` command, registered on the Typer app by cli.py."""

# No `from __future__ import annotations`: the option types are imported inside register()
# (cli.py imports this module), so Typer must get evaluated annotations, not names to resolve.

import sys
import time
from enum import Enum
from pathlib import Path
from types import SimpleNamespace
from typing import Annotated, Optional, TextIO

import typer

from nginxcache.errors import ExitCode
from nginxcache.model import ManifestFormat
from nginxcache.probe import MAX_CONCURRENCY, build_checks, format_json, format_text, parse_base_url, run


class OutputFormat(str, Enum):
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


def register(app: typer.Typer) -> None:
    """Add the probe command to the app (cli.py calls this once, at import)."""
    from nginxcache.cli import (
        ONE_YEAR,
        ImmutablePrefixOpt,
        MaxAgeOpt,
        PrefixOpt,
        RootOpt,
        ServeManifestOpt,
        ServiceWorkerOpt,
        UnhashedMaxAgeOpt,
        _plan,
        handle_errors,
        warn,
    )

    @app.command()
    def probe(
        base_url: Annotated[str, typer.Argument(metavar="BASE_URL", help="The site's origin: https://www.example.com, http://127.0.0.1:8080.", show_default=False)],
        manifest: Annotated[list[Path], typer.Option(help="Build manifest (repeatable), as given to render.", show_default=False)],
        root: RootOpt = None,
        prefix: PrefixOpt = "/static/",
        manifest_format: Annotated[Optional[ManifestFormat], typer.Option(help="Manifest format [default: detected].")] = None,
        max_age: MaxAgeOpt = ONE_YEAR,
        unhashed_max_age: UnhashedMaxAgeOpt = 0,
        immutable_prefix: ImmutablePrefixOpt = None,
        service_worker: ServiceWorkerOpt = None,
        serve_manifest: ServeManifestOpt = False,
        concurrency: Annotated[int, typer.Option(min=1, max=MAX_CONCURRENCY, help="Requests in flight at once.")] = 8,
        timeout: Annotated[float, typer.Option(min=0.1, max=300.0, help="Seconds to wait for a connection or an answer, per request.")] = 10.0,
        output_format: Annotated[OutputFormat, typer.Option("--format", help="text: a line per violation and a summary; json: a list of objects.")] = OutputFormat.TEXT,
    ) -> None:
        """Request every file the manifest names from a live site and report each response
        whose caching headers break the policy (exit 1), or 6 when BASE_URL cannot be reached."""
        with handle_errors():
            origin = parse_base_url(base_url)
            local_root = str(Path(root).resolve()) if root is not None and Path(root).is_dir() else root
            args = SimpleNamespace(
                manifests=manifest, root=local_root, prefix=prefix, format=manifest_format,
                max_age=max_age, unhashed_max_age=unhashed_max_age, keep_manifest=None, scan=None,
                trust_pattern=None, immutable_prefix=immutable_prefix, service_worker=service_worker,
                serve_manifest=serve_manifest, name=None,
            )
            classification, options, _ = _plan(args)
            checks = build_checks(classification, options)
            if len(checks) == 1:
                warn("the manifests name no file below --prefix: only the missing-file check is made")
            bar = ProgressBar(sys.stderr) if sys.stderr.isatty() else None
            try:
                report = run(origin, checks, concurrency=concurrency, timeout=timeout, progress=bar)
            finally:
                if bar is not None:
                    bar.clear()
            sys.stdout.write(format_json(report) if output_format is OutputFormat.JSON else format_text(report, origin))
        raise typer.Exit(ExitCode.CHANGED if report.violations else ExitCode.OK)
