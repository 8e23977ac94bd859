"""`nginxcache render`: the pipeline, then --check, --diff or the files."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from nginxcache import pipeline
from nginxcache.cli.app import command
from nginxcache.cli.common import collector_paused, finish, handle_errors, report, report_notes
from nginxcache.cli.options import ManifestArg, PolicyOptions, deprecated_format, policy_options
from nginxcache.errors import ExitCode, UsageError
from nginxcache.model import ManifestFormat
from nginxcache.output import unified_diff
from nginxcache.policy import DEFAULT_SKEW_CA

# Printed when no output file is given: where each part belongs.
_BANNERS = {
    "http": "http-level part: put inside http { }, e.g. /etc/nginx/conf.d/assets.conf",
    "server": "server-level part: put inside server { }, e.g. include snippets/assets.conf;",
}


@command(short_help="Write the nginx config for a build's static files.")
@policy_options
def render(
    manifests: ManifestArg = None,
    http_out: Annotated[
        Path | None,
        typer.Option(
            readable=False,
            metavar="FILE",
            help="Write the http-level part (maps) here, e.g. /etc/nginx/conf.d/app-assets.conf.",
            show_default=False,
        ),
    ] = None,
    server_out: Annotated[
        Path | None,
        typer.Option(
            readable=False,
            metavar="FILE",
            help="Write the server-level part (locations) here, e.g. /etc/nginx/snippets/app-assets.conf.",
            show_default=False,
        ),
    ] = None,
    site_out: Annotated[
        Path | None,
        typer.Option(
            readable=False,
            metavar="FILE",
            help="Write a complete sites-available file (maps plus a whole server { }) here.",
            show_default=False,
        ),
    ] = None,
    name: Annotated[
        str | None,
        typer.Option(
            metavar="NAME", help="Name in this output's nginx variables; unique per site [default: from --root].", show_default=False
        ),
    ] = None,
    headers_include: Annotated[
        str | None,
        typer.Option(
            metavar="FILE", help="A file of your add_header lines, included wherever this output sets add_header.", show_default=False
        ),
    ] = None,
    gzip_proxied: Annotated[
        bool,
        typer.Option("--gzip-proxied", help="Also serve .gz to requests through a proxy or CDN (gzip_proxied any).", show_default=False),
    ] = False,
    open_file_cache: Annotated[
        bool,
        typer.Option(
            "--open-file-cache/--no-open-file-cache",
            help="Keep open files and symlink checks for 2 s in the location (open_file_cache): far fewer system calls.",
        ),
    ] = True,
    server_name: Annotated[
        list[str] | None, typer.Option(metavar="NAME", help="server_name for --site-out (repeatable).", show_default=False)
    ] = None,
    listen: Annotated[
        list[str] | None,
        typer.Option(metavar="ADDRESS", help="listen for --site-out, e.g. '443 ssl' (repeatable) [default: 80].", show_default=False),
    ] = None,
    skew_origin: Annotated[
        list[str] | None,
        typer.Option(
            metavar="URL",
            help="Skew protection: a file missing here is asked for at this origin (repeatable, tried in order), "
            "e.g. a store of every kept build's files, or the other build's servers; its 200 passes through, "
            "anything else is a plain 404.",
            show_default=False,
        ),
    ] = None,
    skew_timeout: Annotated[
        int, typer.Option(metavar="SECONDS", help="Per --skew-origin: to connect, and between reads (1-60).")
    ] = 2,
    skew_ca: Annotated[
        str,
        typer.Option(metavar="FILE", help="CA certificates that verify an https --skew-origin."),
    ] = DEFAULT_SKEW_CA,
    map_hash_sizes: Annotated[
        bool,
        typer.Option("--map-hash-sizes/--no-map-hash-sizes", help="Emit map_hash_max_size/bucket_size (http-wide, once only)."),
    ] = True,
    check: Annotated[bool, typer.Option("--check", help="Write nothing; exit 1 if a file would change, 0 if not.")] = False,
    diff: Annotated[bool, typer.Option("--diff", help="Print a unified diff of each file that changes.")] = False,
    run_nginx_test: Annotated[
        bool, typer.Option("--nginx-test", help="Also run the real `nginx -t` on a private config including the output.")
    ] = False,
    nginx: Annotated[
        str | None, typer.Option(metavar="PATH", help="nginx binary for --nginx-test [default: nginx on PATH].", show_default=False)
    ] = None,
    old_format: Annotated[ManifestFormat | None, typer.Option("--format", hidden=True)] = None,
    *,
    policy: PolicyOptions,
) -> None:
    """Write the nginx config for a build's static files: every file under the prefix gets
    the right Cache-Control, on the evidence of the build tool's manifest."""
    with handle_errors(), collector_paused():
        policy = deprecated_format(policy, old_format)
        outputs = pipeline.Outputs(http=http_out, server=server_out, site=site_out)
        if (check or diff) and not outputs.given():
            raise UsageError("--check and --diff need an output file (--http-out/--server-out or --site-out)")
        request = policy.request(
            manifests,
            outputs=outputs,
            server_names=tuple(server_name or ()),
            listen=tuple(listen or ()),
            map_hash_sizes=map_hash_sizes,
            name=name,
            headers_include=headers_include,
            gzip_proxied=gzip_proxied,
            open_file_cache=open_file_cache,
            skew_origins=tuple(skew_origin or ()),
            skew_timeout=skew_timeout,
            skew_ca=skew_ca,
        )
        planned = pipeline.plan(request)
        report(planned)
        rendering = pipeline.render(planned)
        if run_nginx_test:
            pipeline.check_with_nginx(rendering, nginx)
        if not outputs.given():
            _print_parts(rendering)
            report_notes(planned)
            finish(ExitCode.OK)
        changes = pipeline.changes(rendering)
        if diff:
            for change in changes:
                sys.stdout.write(unified_diff(change))
        if check:
            for change in changes:
                if change.changed:
                    print(f"nginxcache: would change {change.path}", file=sys.stderr)
            report_notes(planned)
            finish(ExitCode.CHANGED if any(c.changed for c in changes) else ExitCode.OK)
        pipeline.write(changes)
        report_notes(planned)
        for change in changes:
            print(f"nginxcache: {change.path}: {'written' if change.changed else 'unchanged'}", file=sys.stderr)
        finish(ExitCode.OK)


def _print_parts(rendering: pipeline.Rendering) -> None:
    parts = rendering.parts
    for role in ("http", "server"):
        if role in parts:
            sys.stdout.write(f"# ===== {_BANNERS[role]} =====\n")
            sys.stdout.writelines(parts[role])
            if role == "http" and "server" in parts:
                sys.stdout.write("\n")
