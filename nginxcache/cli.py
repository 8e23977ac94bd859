"""The command line: the only place that prints or chooses exit codes."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Optional

import typer

from nginxcache import __version__
from nginxcache.classify import classify
from nginxcache.errors import ExitCode, NginxcacheError, UsageError
from nginxcache.manifests import load_manifest
from nginxcache.model import CachePolicy, ManifestFormat, Strategy
from nginxcache.nginxrun import nginx_test
from nginxcache.output import plan, unified_diff, write_all
from nginxcache.render import (
    RenderOptions,
    check_listen,
    check_name,
    default_name,
    normalise_prefix,
    normalise_root,
    render_http,
    render_server,
    render_site,
)
from nginxcache.validate import intended_http, intended_server, intended_site, validate

ONE_YEAR = 31_536_000
ONE_DAY = 86_400
EXACT_WARN_ABOVE = 10_000  # measured: ../shared/NGINX.md "Precision at scale"

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    help="Right nginx caching for every static file, from the build tool's own manifest.",
)


def one_line(message: str) -> str:
    """A message as one terminal line: control and line-separator characters escaped."""
    return "".join(
        c if c.isprintable() or c == " " else c.encode("unicode_escape").decode("ascii") for c in message
    )


def error(message: str) -> None:
    print(f"nginxcache: error: {one_line(message)}", file=sys.stderr)


def warn(message: str) -> None:
    print(f"nginxcache: warning: {one_line(message)}", file=sys.stderr)


@contextmanager
def handle_errors() -> Iterator[None]:
    """Map every error to one line on stderr and its exit code; no traceback for bad input."""
    try:
        yield
    except NginxcacheError as exc:
        error(str(exc))
        raise typer.Exit(exc.exit_code) from None
    except KeyboardInterrupt:
        raise typer.Exit(130) from None


def _print_version(value: bool) -> None:
    if value:
        print(f"nginxcache {__version__}")
        raise typer.Exit(ExitCode.OK)


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", is_eager=True, callback=_print_version, help="Print the version and exit.")
    ] = False,
) -> None:
    """Right nginx caching for every static file, from the build tool's own manifest."""


@app.command()
def render(
    manifests: Annotated[list[Path], typer.Argument(metavar="MANIFEST", help="Build manifest(s): staticfiles.json, Vite or webpack manifest.json.", show_default=False)],
    root: Annotated[Optional[str], typer.Option(help="Directory nginx serves the files from [default: the manifest's build directory].")] = None,
    prefix: Annotated[str, typer.Option(help="URL prefix the files are served at.")] = "/static/",
    http_out: Annotated[Optional[Path], typer.Option(help="Write the http-level part (maps) here, e.g. /etc/nginx/conf.d/app-assets.conf.")] = None,
    server_out: Annotated[Optional[Path], typer.Option(help="Write the server-level part (locations) here, e.g. /etc/nginx/snippets/app-assets.conf.")] = None,
    site_out: Annotated[Optional[Path], typer.Option(help="Write a complete sites-available file (maps plus a whole server { }) here.")] = None,
    format: Annotated[Optional[ManifestFormat], typer.Option("--format", help="Manifest format [default: detected].")] = None,
    strategy: Annotated[Strategy, typer.Option(help="map: per-file map in http {} (any size). exact: one location per hashed file, server part only (small sites).")] = Strategy.MAP,
    max_age: Annotated[int, typer.Option(help="max-age (seconds) for content-hashed files.")] = ONE_YEAR,
    unhashed_max_age: Annotated[int, typer.Option(help="0: revalidate every other file (no-cache). N: cache it N seconds (at most a day).")] = 0,
    name: Annotated[Optional[str], typer.Option(help="Name in this output's nginx variables; unique per site [default: from --root].")] = None,
    map_hash_sizes: Annotated[bool, typer.Option("--map-hash-sizes/--no-map-hash-sizes", help="Emit map_hash_max_size/bucket_size (http-wide, once only).")] = True,
    server_name: Annotated[Optional[list[str]], typer.Option(help="server_name for --site-out (repeatable).")] = None,
    listen: Annotated[Optional[list[str]], typer.Option(help="listen for --site-out, e.g. '443 ssl' (repeatable).")] = None,
    serve_manifest: Annotated[bool, typer.Option(help="Serve the build manifest itself (404 by default).")] = False,
    check: Annotated[bool, typer.Option("--check", help="Write nothing; exit 1 if a file would change, 0 if not.")] = False,
    diff: Annotated[bool, typer.Option("--diff", help="Print a unified diff of each file that changes.")] = False,
    run_nginx_test: Annotated[bool, typer.Option("--nginx-test", help="Also run the real `nginx -t` on a private config including the output.")] = False,
    nginx: Annotated[Optional[str], typer.Option(help="nginx binary for --nginx-test [default: nginx on PATH].")] = None,
) -> None:
    """Render nginx config giving every file under --prefix the right Cache-Control."""
    with handle_errors():
        options, parts, labels = _render_parts(
            manifests, root, prefix, http_out, server_out, site_out, format, strategy, max_age,
            unhashed_max_age, name, map_hash_sizes, server_name, listen, serve_manifest, check, diff,
        )
        if run_nginx_test:
            nginx_test({role: text for role, (text, _) in parts.items()}, labels, nginx)
        outputs = {"http": http_out, "server": server_out, "site": site_out}
        if not any(outputs.values()):
            _print_parts(parts, options)
            raise typer.Exit(ExitCode.OK)
        changes = [plan(path, parts[role][0]) for role, path in outputs.items() if path is not None]
        for change in changes:
            if diff and change.changed:
                sys.stdout.write(unified_diff(change))
        if check:
            for change in changes:
                if change.changed:
                    print(f"nginxcache: would change {change.path}", file=sys.stderr)
            raise typer.Exit(ExitCode.CHANGED if any(c.changed for c in changes) else ExitCode.OK)
        write_all(changes)
        for change in changes:
            print(f"nginxcache: {change.path}: {'written' if change.changed else 'unchanged'}", file=sys.stderr)
    raise typer.Exit(ExitCode.OK)


def _render_parts(
    manifests: list[Path], root: str | None, prefix: str, http_out: Path | None, server_out: Path | None,
    site_out: Path | None, fmt: ManifestFormat | None, strategy: Strategy, max_age: int, unhashed_max_age: int,
    name: str | None, map_hash_sizes: bool, server_name: list[str] | None, listen: list[str] | None,
    serve_manifest: bool, check: bool, diff: bool,
) -> tuple[RenderOptions, dict[str, tuple[str, list]], dict[str, str]]:
    prefix = normalise_prefix(prefix)
    if max_age <= 0:
        raise UsageError("--max-age must be a positive number of seconds")
    if not 0 <= unhashed_max_age <= ONE_DAY:
        raise UsageError("--unhashed-max-age must be 0 (revalidate) to 86400 seconds: unhashed files change in place")
    if site_out and (http_out or server_out):
        raise UsageError("--site-out already holds both parts: use it alone, or --http-out with --server-out")
    if strategy is Strategy.MAP and bool(http_out) != bool(server_out):
        raise UsageError("the map strategy needs both --http-out and --server-out (the maps live in http { })")
    if strategy is Strategy.EXACT and http_out:
        raise UsageError("the exact strategy has no http-level part: drop --http-out")
    if (server_name or listen) and not site_out:
        raise UsageError("--server-name and --listen are for --site-out")
    paths = [p.resolve() for p in (http_out, server_out, site_out) if p]
    if len(set(paths)) != len(paths):
        raise UsageError("--http-out and --server-out must be different files")
    if (check or diff) and not paths:
        raise UsageError("--check and --diff need an output file (--http-out/--server-out or --site-out)")

    readings = [load_manifest(path, fmt) for path in manifests]
    local_root = Path(root) if root is not None and Path(root).is_dir() else None
    classification = classify(readings, prefix, serve_manifest=serve_manifest, local_root=local_root)
    for message in classification.warnings:
        warn(message)
    if strategy is Strategy.EXACT and len(classification.hashed_uris) > EXACT_WARN_ABOVE:
        warn(
            f"{len(classification.hashed_uris)} exact locations: nginx needs about 1.7 s and 734 MB per 100,000 "
            "at every reload and start (32 s and 7.3 GB for 1M); the map strategy loads 1M in 1.7 s and 335 MB"
        )
    served_root = normalise_root(root if root is not None else str(readings[0].build_root.resolve()))
    options = RenderOptions(
        prefix=prefix,
        root=served_root,
        name=check_name(name) if name is not None else default_name(served_root),
        strategy=strategy,
        policy=CachePolicy.from_ages(max_age, unhashed_max_age),
        hash_sizes=map_hash_sizes,
        server_names=tuple(server_name or ["_"]),
        listen=tuple(check_listen(value) for value in (listen or ["80"])),
    )
    sources = [f"{Path(r.file).name} ({r.format.value})" for r in readings]
    parts: dict[str, tuple[str, list]] = {}
    if site_out:
        parts["site"] = (render_site(classification, options, sources), intended_site(classification, options))
    else:
        if strategy is Strategy.MAP:
            parts["http"] = (render_http(classification, options, sources), intended_http(classification, options))
        parts["server"] = (render_server(classification, options, sources), intended_server(classification, options))
    labels = {"http": str(http_out or "http-level part"), "server": str(server_out or "server-level part"), "site": str(site_out)}
    validate(parts, labels)
    return options, parts, labels


def _print_parts(parts: dict[str, tuple[str, list]], options: RenderOptions) -> None:
    banners = {
        "http": "http-level part: put inside http { }, e.g. /etc/nginx/conf.d/assets.conf",
        "server": "server-level part: put inside server { }, e.g. include snippets/assets.conf;",
    }
    for role in ("http", "server"):
        if role in parts:
            sys.stdout.write(f"# ===== {banners[role]} =====\n")
            sys.stdout.write(parts[role][0])
            if role == "http" and "server" in parts:
                sys.stdout.write("\n")


def main(argv: list[str] | None = None) -> int:
    """Entry point: usage errors become one line and exit 2, like every other error.

    Typer >= 0.2x vendors Click, so its exceptions are recognised by their shape (an
    exit_code and format_message()), not by importing click.
    """
    try:
        result = app(args=argv, prog_name="nginxcache", standalone_mode=False)
    except typer.Exit as exc:
        return int(exc.exit_code)
    except typer.Abort:
        return 130
    except Exception as exc:
        if hasattr(exc, "format_message") and isinstance(getattr(exc, "exit_code", None), int):
            ctx = getattr(exc, "ctx", None)
            if type(exc).__name__ == "NoArgsIsHelpError" and ctx is not None:
                print(ctx.get_help())
            else:
                hint = f" (see '{ctx.command_path} --help')" if ctx is not None else ""
                error(f"{exc.format_message()}{hint}")
            return ExitCode.USAGE
        if os.environ.get("NGINXCACHE_DEBUG"):
            raise
        # A bug, not bad input: one line unless asked for more.
        error(f"internal error: {type(exc).__name__}: {exc} (set NGINXCACHE_DEBUG=1 for a traceback)")
        return 70
    return int(result) if isinstance(result, int) else ExitCode.OK


if __name__ == "__main__":
    sys.exit(main())
