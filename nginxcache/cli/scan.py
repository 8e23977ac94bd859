"""`nginxcache scan`: hashes in file names, verified against the files' contents."""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path
from typing import Annotated

import typer

from nginxcache.cli.app import command
from nginxcache.cli.common import handle_errors, note
from nginxcache.detect import detect
from nginxcache.errors import ExitCode, NginxcacheError
from nginxcache.pipeline import compile_regex
from nginxcache.scan import format_report
from nginxcache.scan import scan as scan_directory


@command("scan", short_help="Find hashed file names and verify each hash.")
def scan_command(
    directory: Annotated[
        Path, typer.Argument(readable=False, metavar="DIR", help="A build directory without a manifest.", show_default=False)
    ],
    trust_pattern: Annotated[
        str | None,
        typer.Option(
            metavar="REGEX",
            help="Look-alike hashed names whose whole path matches this regex count as hashed, unverified.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Find file names that carry a hash and verify each against the file's content: only
    a verified hash counts as hashed (`render --scan DIR` and `render DIR` use the same
    verdicts). When a build tool is recognised, says which, and what else `render DIR` reads."""
    with handle_errors():
        trust = compile_regex(trust_pattern, "--trust-pattern") if trust_pattern else None
        sys.stdout.write(format_report(scan_directory(directory, trust_pattern=trust)))
        with contextlib.suppress(NginxcacheError):  # an unrecognised directory is what scan is for
            note(f"{detect(directory).summary()}: `nginxcache render {directory}` uses all of it")
    raise typer.Exit(ExitCode.OK)
