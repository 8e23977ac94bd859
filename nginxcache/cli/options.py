"""The options that decide what each file gets, declared once.

`render`, `explain` and `probe` all compute a policy; `@policy_options` gives each of them
exactly these options (same names, same help, same defaults) and hands the command one
`PolicyOptions` value, so a site rendered with `--deny-source-maps --strategy regex` can
be explained and probed with the very same words. `lint --manifest` shares the options
that say what a manifest is and where it is served.
"""

from __future__ import annotations

import functools
import inspect
import re
from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from typer.models import ArgumentInfo

from nginxcache.buildtree import Symlinks
from nginxcache.cli.common import warn
from nginxcache.detect import TOOL_NAMES
from nginxcache.errors import UsageError
from nginxcache.manifests import MAX_MANIFEST_BYTES
from nginxcache.model import CdnHeader, ManifestFormat, Strategy
from nginxcache.pipeline import ONE_YEAR, Outputs, Request

_FORMATS = ", ".join(f.value for f in ManifestFormat if f not in (ManifestFormat.SCAN, ManifestFormat.LINKS))

RootOpt = Annotated[
    str | None,
    typer.Option(
        metavar="DIR",
        help="Directory nginx serves the files from [default: the manifest's build directory]. "
        "When it is on this machine its files are checked too.",
        show_default=False,
    ),
]
PrefixOpt = Annotated[
    str | None,
    typer.Option(
        metavar="PATH",
        help="URL path the files are served at [default: the build tool's own: Django /static/; webpack its "
        "publicPath; Vite, esbuild, Parcel, CRA /; Laravel's Vite and Encore /build/; Rails /assets/].",
        show_default=False,
    ),
]
ManifestFormatOpt = Annotated[
    ManifestFormat | None,
    typer.Option("--manifest-format", metavar="FORMAT", help=f"Manifest format [default: detected]: {_FORMATS}.", show_default=False),
]
ManifestOpt = Annotated[
    list[Path] | None,
    typer.Option(
        "--manifest",
        readable=False,
        metavar="MANIFEST|BUILD_DIR",
        help="Build manifest (repeatable) or build directory, as given to render.",
        show_default=False,
    ),
]
ManifestArg = Annotated[
    list[Path] | None,
    typer.Argument(
        readable=False,
        metavar="BUILD_DIR|MANIFEST",
        help="The build directory nginx serves (the tool that built it is detected), or build manifest(s): "
        "staticfiles.json, Vite or webpack manifest.json, stats.json, ...",
        show_default=False,
    ),
]


@dataclass(frozen=True, slots=True)
class PolicyOptions:
    """The policy options as given on the command line."""

    root: str | None
    prefix: str | None
    manifest_format: ManifestFormat | None
    keep_manifest: list[Path] | None
    scan: list[Path] | None
    trust_pattern: str | None
    framework: str | None
    immutable_prefix: list[str] | None
    immutable_prefix_exclude: list[str] | None
    clean_urls: bool | None
    not_found_page: str | None
    spa: str | None
    service_worker: list[str] | None
    serve_manifest: bool
    deny_source_maps: bool
    max_manifest_size: int
    disable_symlinks: Symlinks
    strategy: Strategy
    pattern: str | None
    max_age: int
    unhashed_max_age: int
    cdn_max_age: int | None
    cdn_header: CdnHeader
    stale_while_revalidate: int | None
    missing_max_age: int
    gzip_static: bool | None
    brotli: bool
    cors_fonts: str | None
    add_header: list[str] | None

    def request(self, manifests: list[Path] | None, **render_only: Any) -> Request:
        """The pipeline request these options (and a command's own) state. A directory
        among the manifests is a build directory: the tool that built it is detected."""
        directories = [path for path in manifests or () if path.is_dir()]
        if len(directories) > 1:
            raise UsageError(f"one build directory at a time: {directories[0]} and {directories[1]}")
        if self.framework is not None and not directories:
            raise UsageError("--framework names the tool that built a build directory: give the directory")
        return Request(
            manifests=tuple(path for path in manifests or () if path not in directories),
            build_dir=directories[0] if directories else None,
            framework=self.framework,
            immutable_prefix_excludes=tuple(self.immutable_prefix_exclude or ()),
            clean_urls=self.clean_urls,
            not_found_page=_page(self.not_found_page),
            spa=_page(self.spa),
            scan=tuple(self.scan or ()),
            keep_manifests=tuple(self.keep_manifest or ()),
            manifest_format=self.manifest_format,
            root=self.root,
            prefix=self.prefix,
            strategy=self.strategy,
            pattern=self.pattern,
            trust_pattern=self.trust_pattern,
            immutable_prefixes=tuple(self.immutable_prefix or ()),
            service_workers=tuple(self.service_worker or ()),
            serve_manifest=self.serve_manifest,
            deny_source_maps=self.deny_source_maps,
            disable_symlinks=self.disable_symlinks,
            max_manifest_bytes=self.max_manifest_size,
            max_age=self.max_age,
            unhashed_max_age=self.unhashed_max_age,
            cdn_max_age=self.cdn_max_age,
            cdn_header=self.cdn_header,
            stale_while_revalidate=self.stale_while_revalidate,
            missing_max_age=self.missing_max_age,
            gzip_static=self.gzip_static,
            brotli=self.brotli,
            cors_fonts=self.cors_fonts,
            add_headers=tuple(self.add_header or ()),
            outputs=render_only.pop("outputs", Outputs()),
            **render_only,
        )


def _page(value: str | None) -> str | None:
    """A page option's value: `none` turns the detected page off."""
    return "" if value == "none" else value


def _flag(name: str, help: str) -> Any:
    return typer.Option(name, help=help, show_default=False)


# One entry per PolicyOptions field, in the order --help lists them: (annotation, default).
_DECLARED: dict[str, tuple[Any, Any]] = {
    "root": (RootOpt, None),
    "prefix": (PrefixOpt, None),
    "manifest_format": (ManifestFormatOpt, None),
    "keep_manifest": (
        Annotated[
            list[Path] | None,
            typer.Option(
                readable=False,
                metavar="MANIFEST",
                help="Manifest of an earlier build whose hashed files stay immutable while on disk (repeatable).",
                show_default=False,
            ),
        ],
        None,
    ),
    "scan": (
        Annotated[
            list[Path] | None,
            typer.Option(
                "--scan",
                readable=False,
                metavar="DIR",
                help="A build directory without a manifest: files whose names carry a hash verified "
                "against their content count as hashed (repeatable).",
                show_default=False,
            ),
        ],
        None,
    ),
    "trust_pattern": (
        Annotated[
            str | None,
            typer.Option(
                metavar="REGEX",
                help="For --scan: look-alike hashed names whose whole path matches count as hashed, unverified.",
                show_default=False,
            ),
        ],
        None,
    ),
    "framework": (
        Annotated[
            str | None,
            typer.Option(
                metavar="NAME",
                help=f"The tool that built the build directory, instead of detecting it: {', '.join(TOOL_NAMES)}.",
                show_default=False,
            ),
        ],
        None,
    ),
    "immutable_prefix": (
        Annotated[
            list[str] | None,
            typer.Option(
                metavar="PATH",
                help="A URL path below --prefix whose every file is content-addressed, e.g. /_next/static/ "
                "(repeatable; only what you vouch for; pages below it still revalidate).",
                show_default=False,
            ),
        ],
        None,
    ),
    "immutable_prefix_exclude": (
        Annotated[
            list[str] | None,
            typer.Option(
                metavar="PATH",
                help="A URL path or file carved out of an --immutable-prefix again, e.g. /_nuxt/builds/ (repeatable; "
                "the longest prefix that matches decides).",
                show_default=False,
            ),
        ],
        None,
    ),
    "clean_urls": (
        Annotated[
            bool | None,
            typer.Option(
                "--clean-urls/--no-clean-urls",
                help="/about answers about.html or about/index.html [default: for a site framework's or generator's "
                "build directory].",
                show_default=False,
            ),
        ],
        None,
    ),
    "not_found_page": (
        Annotated[
            str | None,
            typer.Option(
                metavar="FILE",
                help="The site's 404 page below --root, sent with status 404 for a missing page (never for a missing "
                "script or stylesheet) [default: the framework's 404.html]; 'none' for a plain 404.",
                show_default=False,
            ),
        ],
        None,
    ),
    "spa": (
        Annotated[
            str | None,
            typer.Option(
                metavar="[FILE]",
                help="Single-page app: a navigation URL (no file extension) that matches no file gets FILE "
                "(index.html when left out), revalidated; a missing script or image stays a 404 [default: for "
                "Angular and React Router's SPA mode]; 'none' to turn it off.",
                show_default=False,
            ),
        ],
        None,
    ),
    "service_worker": (
        Annotated[
            list[str] | None,
            typer.Option(
                metavar="NAME",
                help="Another service worker file name, always revalidated (repeatable; sw.js, "
                "service-worker.js, ngsw-worker.js... are known).",
                show_default=False,
            ),
        ],
        None,
    ),
    "serve_manifest": (Annotated[bool, _flag("--serve-manifest", "Serve the build manifest itself (404 by default).")], False),
    "deny_source_maps": (Annotated[bool, _flag("--deny-source-maps", "Answer 404 for source maps (*.map).")], False),
    "max_manifest_size": (
        Annotated[
            int,
            typer.Option(
                metavar="SIZE",
                parser=lambda text: parse_size(text, "--max-manifest-size"),
                help="Refuse a manifest larger than this: bytes, or with K, M or G (binary).",
                show_default=f"{MAX_MANIFEST_BYTES >> 30}G",
            ),
        ],
        MAX_MANIFEST_BYTES,
    ),
    "disable_symlinks": (
        Annotated[
            Symlinks,
            typer.Option(
                metavar="on|if_not_owner|off",
                help="nginx's disable_symlinks below the root. on: no symlink is followed, so nothing outside the root is "
                "served. if_not_owner: links whose owner is their target's are followed (collectstatic --link). "
                "off: every link is followed, wherever it leads.",
            ),
        ],
        Symlinks.REFUSE,
    ),
    "strategy": (
        Annotated[
            Strategy,
            typer.Option(
                metavar="map|exact|regex",
                help="map: a per-file map in http { } (any size). exact: one location per hashed file, "
                "server part only (small sites). regex: one regex location (--pattern), only when the "
                "tree proves it right.",
            ),
        ],
        Strategy.MAP,
    ),
    "pattern": (
        Annotated[
            str | None,
            typer.Option(metavar="REGEX", help="The regex strategy's pattern, matched against the URI.", show_default=False),
        ],
        None,
    ),
    "max_age": (
        Annotated[int, typer.Option(metavar="SECONDS", help="max-age for content-hashed files.")],
        ONE_YEAR,
    ),
    "unhashed_max_age": (
        Annotated[
            int,
            typer.Option(metavar="SECONDS", help="0: revalidate every other file (no-cache). N: cache it N seconds (at most a day)."),
        ],
        0,
    ),
    "cdn_max_age": (
        Annotated[
            int | None,
            typer.Option(
                metavar="SECONDS",
                help="Let a CDN keep every file but the content-hashed ones this long (at most a day), while browsers "
                "still revalidate: s-maxage, or CDN-Cache-Control with --cdn-header. Purge the CDN at each deploy.",
                show_default=False,
            ),
        ],
        None,
    ),
    "cdn_header": (
        Annotated[
            CdnHeader,
            typer.Option(
                metavar="cache-control|cdn-cache-control",
                help="Where --cdn-max-age goes: s-maxage in Cache-Control (read by every shared cache: Cloudflare, "
                "Fastly, CloudFront), or a CDN-Cache-Control header (RFC 9213), which of these only Cloudflare "
                "documents reading: Fastly and CloudFront then see just no-cache.",
            ),
        ],
        CdnHeader.CACHE_CONTROL,
    ),
    "stale_while_revalidate": (
        Annotated[
            int | None,
            typer.Option(
                metavar="SECONDS",
                help="stale-while-revalidate for every file but the content-hashed ones: an expired copy may be "
                "served this long while a fresh one is fetched (with --cdn-max-age or --unhashed-max-age).",
                show_default=False,
            ),
        ],
        None,
    ),
    "missing_max_age": (
        Annotated[
            int,
            typer.Option(
                metavar="SECONDS",
                help="How long a missing file's 404 may be cached: 0 sends no-store, private, so a CDN never keeps "
                "a 404 for a file a deploy is about to add (at most an hour).",
            ),
        ],
        0,
    ),
    "gzip_static": (
        Annotated[
            bool | None,
            typer.Option(
                "--gzip-static/--no-gzip-static",
                help="Serve .gz siblings, with Vary [default: when the tree has them].",
                show_default=False,
            ),
        ],
        None,
    ),
    "brotli": (
        Annotated[bool, _flag("--brotli", "Serve .br siblings (needs Debian's libnginx-mod-http-brotli-static).")],
        False,
    ),
    "cors_fonts": (
        Annotated[
            str | None,
            typer.Option(metavar="ORIGIN", help="Access-Control-Allow-Origin for font files: an origin or '*'.", show_default=False),
        ],
        None,
    ),
    "add_header": (
        Annotated[
            list[str] | None,
            typer.Option(
                metavar="'NAME: VALUE'",
                help="A header every file gets, e.g. 'X-Content-Type-Options: nosniff': security headers the "
                "server's add_header would lose here (repeatable).",
                show_default=False,
            ),
        ],
        None,
    ),
}
assert list(_DECLARED) == [f.name for f in fields(PolicyOptions)], "declare every policy option, in order"

_SIZE = re.compile(r"([0-9]{1,15})\s*([KMG]?)(?:i?B)?", re.IGNORECASE)


def parse_size(text: str | int, option: str) -> int:
    """`1073741824`, `512M`, `1G` (binary units) -> bytes (Typer passes the default as it is)."""
    if isinstance(text, int):
        return text
    found = _SIZE.fullmatch(text.strip())
    if found is None or int(found.group(1)) == 0:
        raise typer.BadParameter(f"{text!r} is not a size: give bytes, or a number with K, M or G", param_hint=option)
    return int(found.group(1)) << {"": 0, "K": 10, "M": 20, "G": 30}[found.group(2).upper()]


Command = TypeVar("Command", bound=Callable[..., None])


def policy_options(command: Command) -> Command:
    """Give a command the policy options; it receives them as `policy: PolicyOptions`.

    Typer reads a command's options from its signature, so the wrapper's signature is the
    command's arguments and required options, the declared options, then the command's own
    options (--help's order).
    """
    own = inspect.signature(command, eval_str=True)
    params = [p for p in own.parameters.values() if p.name != "policy"]
    arguments = [p for p in params if any(isinstance(m, ArgumentInfo) for m in getattr(p.annotation, "__metadata__", ()))]
    options = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in params if p not in arguments]
    required = [p for p in options if p.default is inspect.Parameter.empty]  # --manifest: listed first
    optional = [p for p in options if p not in required]
    declared = [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotation)
        for name, (annotation, default) in _DECLARED.items()
    ]

    @functools.wraps(command)
    def with_policy(**values: Any) -> None:
        policy = PolicyOptions(**{name: values.pop(name) for name in _DECLARED})
        command(**values, policy=policy)

    with_policy.__signature__ = own.replace(parameters=[*arguments, *required, *declared, *optional])  # type: ignore[attr-defined]
    return with_policy  # type: ignore[return-value]


def deprecated_format(policy: PolicyOptions, old_format: ManifestFormat | None) -> PolicyOptions:
    """`--format` meant the manifest format in render and explain; it now means an output
    format everywhere, and the manifest's is --manifest-format."""
    if old_format is None:
        return policy
    if policy.manifest_format is not None:
        raise UsageError("give the manifest format once, as --manifest-format")
    warn(f"--format {old_format.value} is deprecated here: use --manifest-format {old_format.value}")
    return replace(policy, manifest_format=old_format)
