"""`nginxcache explain`: the verdict, evidence and headers for single files."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from nginxcache import pipeline
from nginxcache.cli.app import command
from nginxcache.cli.common import handle_errors, report, report_notes
from nginxcache.cli.options import ManifestOpt, PolicyOptions, deprecated_format, policy_options
from nginxcache.errors import ExitCode
from nginxcache.model import ManifestFormat
from nginxcache.policy import answer, format_answer


@command(short_help="Show why a file is cached as it is, and its headers.")
@policy_options
def explain(
    targets: Annotated[
        list[str],
        typer.Argument(metavar="PATH_OR_URL", help="A URL, a URL path (/static/x.css) or a path below --prefix.", show_default=False),
    ],
    manifest: ManifestOpt = None,
    old_format: Annotated[ManifestFormat | None, typer.Option("--format", hidden=True)] = None,
    *,
    policy: PolicyOptions,
) -> None:
    """Show which class a file falls in, the evidence for it, and the headers nginx will
    send, under exactly the policy that render writes with the same options."""
    with handle_errors():
        planned = pipeline.plan(deprecated_format(policy, old_format).request(manifest))
        report(planned)
        options = planned.options
        for target in targets:
            result = answer(target, planned.classification, options, on_disk=True)
            sys.stdout.write(format_answer(result, options.missing_text))
        report_notes(planned)
    raise typer.Exit(ExitCode.OK)
