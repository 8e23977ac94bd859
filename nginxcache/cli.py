"""The command line: the only place that prints or chooses exit codes."""

from __future__ import annotations

import gc
import os
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace
from typing import Annotated, NoReturn, Optional

import typer

from nginxcache import __version__
from nginxcache.classify import SERVICE_WORKERS, classify, verify_regex
from nginxcache.errors import ExitCode, NginxcacheError, UnsafeEntryError, UsageError
from nginxcache.manifests import load_manifest
from nginxcache.manifests.webpack_stats import combine_stats
from nginxcache.model import CachePolicy, Classification, ManifestFormat, Strategy
from nginxcache.nginxrun import nginx_test
from nginxcache.output import plan, unified_diff, write_all
from nginxcache.policy import answer, format_answer
from nginxcache.quoting import unsafe_reason
from nginxcache.scan import format_report
from nginxcache.scan import scan as scan_directory
from nginxcache.render import (
    RenderOptions,
    Rendered,
    check_listen,
    check_name,
    default_name,
    normalise_prefix,
    normalise_root,
    render_http_part,
    render_server,
    render_site_part,
)
from nginxcache.validate import intended_http, intended_server, intended_site, validate_rendered

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


ManifestArg = Annotated[
    Optional[list[Path]],
    typer.Argument(metavar="MANIFEST", help="Build manifest(s): staticfiles.json, Vite or webpack manifest.json, ...", show_default=False),
]
RootOpt = Annotated[Optional[str], typer.Option(help="Directory nginx serves the files from [default: the manifest's build directory].")]
PrefixOpt = Annotated[str, typer.Option(help="URL prefix the files are served at.")]
FormatOpt = Annotated[Optional[ManifestFormat], typer.Option("--format", help="Manifest format [default: detected].")]
KeepOpt = Annotated[Optional[list[Path]], typer.Option(help="Manifest of an earlier build whose hashed files stay immutable while on disk (repeatable).")]
ImmutablePrefixOpt = Annotated[Optional[list[str]], typer.Option(help="A URL prefix whose every file is content-addressed, e.g. /_next/static/ (repeatable; only what you vouch for).")]
ServiceWorkerOpt = Annotated[Optional[list[str]], typer.Option(help="A service worker file name, always revalidated (repeatable; sw.js, service-worker.js, ngsw-worker.js... are known).")]
ScanOpt = Annotated[Optional[list[Path]], typer.Option("--scan", help="A build directory without a manifest: files whose names carry a hash verified against their content count as hashed (repeatable).")]
TrustOpt = Annotated[Optional[str], typer.Option(help="With --scan: look-alike hashed names whose whole path matches this regex count as hashed unverified.")]
ServeManifestOpt = Annotated[bool, typer.Option(help="Serve the build manifest itself (404 by default).")]
MaxAgeOpt = Annotated[int, typer.Option(help="max-age (seconds) for content-hashed files.")]
UnhashedMaxAgeOpt = Annotated[int, typer.Option(help="0: revalidate every other file (no-cache). N: cache it N seconds (at most a day).")]


_END_PROCESS_AT_FINISH = False  # set by run(), the program's entry point; not for main() in a library


def finish(code: int) -> NoReturn:
    """End a command with `code`. As the `nginxcache` program, the process ends right here,
    its output flushed: what the command built (a million manifest strings, their lists) is
    not freed piece by piece just before the process ends anyway, a tenth of a second at
    10^6 entries (mypy ends the same way)."""
    if _END_PROCESS_AT_FINISH:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):
                pass
        os._exit(code)
    raise typer.Exit(code)


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off for the block. Nearly everything a command
    builds (a million manifest strings and their lists, lint's tree) lives until it returns,
    so each collection would only scan it again (a fifth of lint's time at 1e5 map entries)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@app.command()
def render(
    manifests: ManifestArg = None,
    root: RootOpt = None,
    prefix: PrefixOpt = "/static/",
    http_out: Annotated[Optional[Path], typer.Option(help="Write the http-level part (maps) here, e.g. /etc/nginx/conf.d/app-assets.conf.")] = None,
    server_out: Annotated[Optional[Path], typer.Option(help="Write the server-level part (locations) here, e.g. /etc/nginx/snippets/app-assets.conf.")] = None,
    site_out: Annotated[Optional[Path], typer.Option(help="Write a complete sites-available file (maps plus a whole server { }) here.")] = None,
    format: FormatOpt = None,
    strategy: Annotated[Strategy, typer.Option(help="map: per-file map in http {} (any size). exact: one location per hashed file, server part only (small sites). regex: one regex location (--pattern), only when the tree proves it right.")] = Strategy.MAP,
    pattern: Annotated[Optional[str], typer.Option(help="The regex strategy's pattern, matched against the URI.")] = None,
    max_age: MaxAgeOpt = ONE_YEAR,
    unhashed_max_age: UnhashedMaxAgeOpt = 0,
    keep_manifest: KeepOpt = None,
    scan: ScanOpt = None,
    trust_pattern: TrustOpt = None,
    immutable_prefix: ImmutablePrefixOpt = None,
    service_worker: ServiceWorkerOpt = None,
    deny_source_maps: Annotated[bool, typer.Option(help="Answer 404 for source maps (*.map).")] = False,
    gzip_static: Annotated[Optional[bool], typer.Option("--gzip-static/--no-gzip-static", help="Serve .gz siblings, with Vary [default: when the tree has them].")] = None,
    gzip_proxied: Annotated[bool, typer.Option(help="Also serve .gz to requests through a proxy or CDN (gzip_proxied any).")] = False,
    brotli: Annotated[bool, typer.Option(help="Serve .br siblings (needs Debian's libnginx-mod-http-brotli-static).")] = False,
    cors_fonts: Annotated[Optional[str], typer.Option(help="Access-Control-Allow-Origin for font files: an origin or '*'.")] = None,
    add_header: Annotated[Optional[list[str]], typer.Option(metavar="'NAME: VALUE'", help="A header every file gets, e.g. 'X-Content-Type-Options: nosniff': security headers the server's add_header would lose here (repeatable).")] = None,
    headers_include: Annotated[Optional[str], typer.Option(help="A file of your add_header lines, included wherever this output sets add_header.")] = None,
    name: Annotated[Optional[str], typer.Option(help="Name in this output's nginx variables; unique per site [default: from --root].")] = None,
    map_hash_sizes: Annotated[bool, typer.Option("--map-hash-sizes/--no-map-hash-sizes", help="Emit map_hash_max_size/bucket_size (http-wide, once only).")] = True,
    server_name: Annotated[Optional[list[str]], typer.Option(help="server_name for --site-out (repeatable).")] = None,
    listen: Annotated[Optional[list[str]], typer.Option(help="listen for --site-out, e.g. '443 ssl' (repeatable).")] = None,
    serve_manifest: ServeManifestOpt = False,
    check: Annotated[bool, typer.Option("--check", help="Write nothing; exit 1 if a file would change, 0 if not.")] = False,
    diff: Annotated[bool, typer.Option("--diff", help="Print a unified diff of each file that changes.")] = False,
    run_nginx_test: Annotated[bool, typer.Option("--nginx-test", help="Also run the real `nginx -t` on a private config including the output.")] = False,
    nginx: Annotated[Optional[str], typer.Option(help="nginx binary for --nginx-test [default: nginx on PATH].")] = None,
) -> None:
    """Render nginx config giving every file under --prefix the right Cache-Control."""
    args = SimpleNamespace(**locals())
    with handle_errors(), collector_paused():
        _check_outputs(args)
        classification, options, sources = _plan(args)
        parts, labels = _render_parts(args, classification, options, sources)
        if run_nginx_test:
            nginx_test(parts, labels, nginx)
        outputs = {"http": http_out, "server": server_out, "site": site_out}
        if not any(outputs.values()):
            _print_parts(parts, options)
            finish(ExitCode.OK)
        changes = [plan(path, parts[role]) for role, path in outputs.items() if path is not None]
        for change in changes:
            if diff and change.changed:
                sys.stdout.write(unified_diff(change))
        if check:
            for change in changes:
                if change.changed:
                    print(f"nginxcache: would change {change.path}", file=sys.stderr)
            finish(ExitCode.CHANGED if any(c.changed for c in changes) else ExitCode.OK)
        write_all(changes)
        for change in changes:
            print(f"nginxcache: {change.path}: {'written' if change.changed else 'unchanged'}", file=sys.stderr)
        finish(ExitCode.OK)


@app.command("scan")
def scan_command(
    directory: Annotated[Path, typer.Argument(metavar="DIR", help="A build directory without a manifest.", show_default=False)],
    trust_pattern: TrustOpt = None,
) -> None:
    """Find file names that carry a hash and verify each against its content."""
    with handle_errors():
        trust = _compile(trust_pattern, "--trust-pattern") if trust_pattern else None
        sys.stdout.write(format_report(scan_directory(directory, trust_pattern=trust)))
    raise typer.Exit(ExitCode.OK)


@app.command()
def explain(
    targets: Annotated[list[str], typer.Argument(metavar="PATH_OR_URL", help="A URL, a URL path (/static/x.css) or a path below --prefix.", show_default=False)],
    manifest: Annotated[list[Path], typer.Option(help="Build manifest (repeatable), as given to render.", show_default=False)],
    root: RootOpt = None,
    prefix: PrefixOpt = "/static/",
    format: FormatOpt = None,
    max_age: MaxAgeOpt = ONE_YEAR,
    unhashed_max_age: UnhashedMaxAgeOpt = 0,
    keep_manifest: KeepOpt = None,
    scan: ScanOpt = None,
    trust_pattern: TrustOpt = None,
    immutable_prefix: ImmutablePrefixOpt = None,
    service_worker: ServiceWorkerOpt = None,
    serve_manifest: ServeManifestOpt = False,
    name: Annotated[Optional[str], typer.Option(hidden=True)] = None,
) -> None:
    """Show which class a file falls in, the evidence, and the headers nginx will send."""
    args = SimpleNamespace(**locals(), manifests=manifest)
    with handle_errors():
        classification, options, _ = _plan(args)
        for target in targets:
            sys.stdout.write(format_answer(answer(target, classification, options)))
    raise typer.Exit(ExitCode.OK)


def _check_outputs(args: SimpleNamespace) -> None:
    if args.site_out and (args.http_out or args.server_out):
        raise UsageError("--site-out already holds both parts: use it alone, or --http-out with --server-out")
    if args.strategy is Strategy.MAP and bool(args.http_out) != bool(args.server_out):
        raise UsageError("the map strategy needs both --http-out and --server-out (the maps live in http { })")
    if args.strategy is not Strategy.MAP and args.http_out:
        raise UsageError(f"the {args.strategy.value} strategy has no http-level part: drop --http-out")
    if (args.server_name or args.listen) and not args.site_out:
        raise UsageError("--server-name and --listen are for --site-out")
    paths = [p.resolve() for p in (args.http_out, args.server_out, args.site_out) if p]
    if len(set(paths)) != len(paths):
        raise UsageError("--http-out and --server-out must be different files")
    if (args.check or args.diff) and not paths:
        raise UsageError("--check and --diff need an output file (--http-out/--server-out or --site-out)")


def _plan(args: SimpleNamespace) -> tuple[Classification, RenderOptions, list[str]]:
    """Everything but the rendering: read, classify, check the options against the result."""
    prefix = normalise_prefix(args.prefix)
    if args.max_age <= 0:
        raise UsageError("--max-age must be a positive number of seconds")
    if not 0 <= args.unhashed_max_age <= ONE_DAY:
        raise UsageError("--unhashed-max-age must be 0 (revalidate) to 86400 seconds: unhashed files change in place")
    if not args.manifests and not args.scan:
        raise UsageError("name at least one manifest (or --scan a build directory)")
    strategy = getattr(args, "strategy", Strategy.MAP)
    immutable_prefixes = [_check_immutable_prefix(p, prefix) for p in (args.immutable_prefix or [])]

    # webpack's stats.json given beside its manifest.json corrects it (removeKeyHash look-alikes)
    readings = combine_stats([load_manifest(path, args.format) for path in (args.manifests or [])])
    trust = _compile(args.trust_pattern, "--trust-pattern") if args.trust_pattern else None
    readings += [scan_directory(directory, trust_pattern=trust).reading for directory in (args.scan or [])]
    kept = [load_manifest(path, args.format) for path in (args.keep_manifest or [])]
    local_root = Path(args.root) if args.root is not None and Path(args.root).is_dir() else None
    classification = classify(
        readings,
        prefix,
        serve_manifest=args.serve_manifest,
        local_root=local_root,
        kept=kept,
        immutable_prefixes=immutable_prefixes,
        service_workers=(*SERVICE_WORKERS, *(args.service_worker or [])),
    )
    for message in classification.warnings:
        warn(message)
    if strategy is not Strategy.MAP and classification.versioned:
        raise UsageError(f"query-string versions need the map strategy (nginx locations ignore ?args), not {strategy.value}")
    if strategy is Strategy.EXACT and len(classification.hashed_uris) > EXACT_WARN_ABOVE:
        warn(
            f"{len(classification.hashed_uris)} exact locations: nginx needs about 1.7 s and 734 MB per 100,000 "
            "at every reload and start (32 s and 7.3 GB for 1M); the map strategy loads 1M in 1.7 s and 335 MB"
        )
    regex = _check_regex_strategy(args, classification) if strategy is Strategy.REGEX else None
    cors_fonts = getattr(args, "cors_fonts", None)
    if cors_fonts is not None and strategy is not Strategy.MAP:
        raise UsageError("--cors-fonts needs the map strategy")
    served_root = normalise_root(args.root if args.root is not None else str(readings[0].build_root.resolve()))
    gzip_static = getattr(args, "gzip_static", None)
    options = RenderOptions(
        prefix=prefix,
        root=served_root,
        name=check_name(args.name) if args.name is not None else default_name(served_root),
        strategy=strategy,
        policy=CachePolicy.from_ages(args.max_age, args.unhashed_max_age),
        hash_sizes=getattr(args, "map_hash_sizes", True),
        server_names=tuple(getattr(args, "server_name", None) or ["_"]),
        listen=tuple(check_listen(value) for value in (getattr(args, "listen", None) or ["80"])),
        extra_headers=tuple(_check_header(h) for h in (getattr(args, "add_header", None) or [])),
        headers_include=_check_include(getattr(args, "headers_include", None)),
        cors_fonts=_check_origin(cors_fonts) if cors_fonts is not None else None,
        deny_source_maps=getattr(args, "deny_source_maps", False),
        gzip_static=classification.gzip_siblings if gzip_static is None else gzip_static,
        gzip_proxied=getattr(args, "gzip_proxied", False),
        brotli_static=getattr(args, "brotli", False),
        regex=regex,
        serve_manifest=args.serve_manifest,
    )
    if classification.brotli_siblings and not options.brotli_static:
        warn(".br files are present but served only with --brotli (Debian: libnginx-mod-http-brotli-static)")
    sources = [f"{Path(r.file).name} ({r.format})" for r in readings]
    return classification, options, sources


_HEADER_NAME = re.compile(r"[A-Za-z0-9-]{1,64}")
_ORIGIN = re.compile(r"\*|https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?")


def _check_header(line: str) -> tuple[str, str]:
    header, colon, value = line.partition(":")
    header, value = header.strip(), value.strip()
    if not colon or not value:
        raise UsageError(f"--add-header {line!r}: give 'Name: value'")
    if not _HEADER_NAME.fullmatch(header):
        raise UsageError(f"--add-header name {header!r} is not a header name")
    if header.lower() in ("cache-control", "expires", "vary", "etag", "last-modified"):
        raise UsageError(f"--add-header {header}: nginxcache sets the caching headers itself")
    reason = unsafe_reason(value, expands_variables=True)
    if reason:
        raise UsageError(f"--add-header {header} value {reason}")
    return header, value


def _check_include(path: str | None) -> str | None:
    if path is None:
        return None
    if unsafe_reason(path, expands_variables=True) or not path:
        raise UsageError(f"--headers-include {path!r}: not a usable file path")
    return path


def _check_origin(origin: str) -> str:
    if not _ORIGIN.fullmatch(origin):
        raise UsageError(f"--cors-fonts {origin!r}: give '*' or an origin like https://www.example.com")
    return origin


def _check_immutable_prefix(value: str, prefix: str) -> str:
    normalised = normalise_prefix(value)
    if not normalised.startswith(prefix) or normalised == prefix:
        raise UsageError(f"--immutable-prefix {value!r} must lie below --prefix {prefix!r}")
    return normalised


def _check_regex_strategy(args: SimpleNamespace, classification: Classification) -> str:
    if not args.pattern:
        raise UsageError("the regex strategy needs --pattern, e.g. '\\.[0-9a-f]{12}\\.[^/.]+$' for Django")
    if unsafe_reason(args.pattern):
        raise UsageError("--pattern contains a control character")
    compiled = _compile(args.pattern, "--pattern")
    if classification.tree_uris is None:
        raise UsageError("the regex strategy is verified against the files: --root must be the tree, on this machine")
    offenders, missed = verify_regex(classification, compiled)
    if offenders:
        shown = ", ".join(offenders[:10]) + (f" and {len(offenders) - 10} more" if len(offenders) > 10 else "")
        raise UnsafeEntryError(f"--pattern also matches {len(offenders)} file(s) that are not hashed: {shown}; use the map strategy")
    if missed:
        warn(f"--pattern misses {len(missed)} hashed file(s), which will revalidate: {', '.join(missed[:3])}")
    return args.pattern


def _compile(pattern: str, option: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise UsageError(f"{option} is not a valid regex: {exc}") from None


def _render_parts(
    args: SimpleNamespace, classification: Classification, options: RenderOptions, sources: list[str]
) -> tuple[dict[str, tuple[str, ...]], dict[str, str]]:
    """Each part's text, in pieces (a million map entries are not made one string), and
    the label naming it in messages."""
    parts: dict[str, tuple[Rendered | str, list]] = {}
    if args.site_out:
        parts["site"] = (render_site_part(classification, options, sources), intended_site(classification, options, skeleton=True))
    else:
        if options.strategy is Strategy.MAP:
            parts["http"] = (render_http_part(classification, options, sources), intended_http(classification, options, skeleton=True))
        parts["server"] = (render_server(classification, options, sources), intended_server(classification, options))
    labels = {
        "http": str(args.http_out or "http-level part"),
        "server": str(args.server_out or "server-level part"),
        "site": str(args.site_out),
    }
    validate_rendered(parts, labels, classification)
    pieces = {role: tuple(r.chunks()) if isinstance(r, Rendered) else (r,) for role, (r, _) in parts.items()}
    return pieces, labels


def _print_parts(parts: dict[str, tuple[str, ...]], options: RenderOptions) -> None:
    banners = {
        "http": "http-level part: put inside http { }, e.g. /etc/nginx/conf.d/assets.conf",
        "server": "server-level part: put inside server { }, e.g. include snippets/assets.conf;",
    }
    for role in ("http", "server"):
        if role in parts:
            sys.stdout.write(f"# ===== {banners[role]} =====\n")
            sys.stdout.writelines(parts[role])
            if role == "http" and "server" in parts:
                sys.stdout.write("\n")


# Commands kept in modules of their own; they use error(), warn() and handle_errors() above.
from nginxcache import cli_lint, cli_probe  # noqa: E402

cli_lint.register(app)
cli_probe.register(app)


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


def run() -> None:
    """The `nginxcache` program: main(), with commands that end the process when they finish."""
    global _END_PROCESS_AT_FINISH
    _END_PROCESS_AT_FINISH = True
    sys.exit(main())


if __name__ == "__main__":
    run()
