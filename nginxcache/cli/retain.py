"""`nginxcache retain`: the hashed files of builds older than the last N, listed or removed."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from nginxcache.cli.app import command
from nginxcache.cli.common import error, handle_errors, warn
from nginxcache.cli.options import ManifestFormatOpt, PrefixOpt
from nginxcache.errors import ExitCode
from nginxcache.retention import Order, format_json, format_text, plan_retention, remove_old

SHOWN_LEFT_ALONE = 5


class OutputFormat(StrEnum):
    TEXT = "text"
    JSON = "json"


@command(short_help="List (or remove) the hashed files of builds older than the last N.")
def retain(
    directory: Annotated[
        Path,
        typer.Argument(
            readable=False,
            metavar="DIR",
            help="The directory each deploy copies its build's manifest to (the current one included).",
            show_default=False,
        ),
    ],
    *,
    keep: Annotated[
        int, typer.Option(metavar="N", min=1, help="How many builds to keep: the last N manifests of DIR.", show_default=False)
    ],
    root: Annotated[
        Path,
        typer.Option(readable=False, metavar="DIR", help="The directory nginx serves the files from.", show_default=False),
    ],
    prefix: PrefixOpt = None,
    manifest_format: ManifestFormatOpt = None,
    order: Annotated[
        Order,
        typer.Option(
            metavar="name|mtime",
            help="How builds are ordered: by the manifests' names (digits as numbers: build-9 before build-10), "
            "or by their modification times.",
        ),
    ] = Order.NAME,
    delete: Annotated[
        bool, typer.Option("--delete", help="Remove the files listed, and the old builds' manifests.", show_default=False)
    ] = False,
    output_format: Annotated[
        OutputFormat,
        typer.Option("--format", metavar="text|json", help="text: a path a line and a summary; json: one object."),
    ] = OutputFormat.TEXT,
) -> None:
    """List the hashed files of the builds older than the last N manifests in DIR that still
    lie under --root (with their .gz and .br), never one a kept manifest names; --delete
    removes them and the old manifests. Every manifest is read before anything is removed:
    one that cannot be read is exit 3, and nothing is removed."""
    with handle_errors():
        plan = plan_retention(directory, root, keep, prefix=prefix, manifest_format=manifest_format, order=order)
        for entry in plan.left_alone[:SHOWN_LEFT_ALONE]:
            warn(f"{entry.path}: {entry.why}")
        if len(plan.left_alone) > SHOWN_LEFT_ALONE:
            warn(f"... and {len(plan.left_alone) - SHOWN_LEFT_ALONE} more left alone (--format json lists every one)")
        removal = remove_old(plan) if delete else None
        sys.stdout.write(format_json(plan, removal) if output_format is OutputFormat.JSON else format_text(plan, removal))
    if removal is not None and removal.failed:
        path, why = removal.failed[0]
        more = f" (and {len(removal.failed) - 1} more)" if len(removal.failed) > 1 else ""
        error(f"could not remove {path}: {why}{more}; the manifests of their builds stay, so a later run tries again")
        raise typer.Exit(ExitCode.WRITE_FAILED)
    raise typer.Exit(ExitCode.OK)
