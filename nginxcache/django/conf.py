"""The NGINXCACHE setting: one dict of output paths and render options. Each key is also a
flag of `manage.py nginxcache`, which overrides it; both are declared once, in SETTINGS.

Imports no Django: it reads a mapping and argparse's values (tested without a project).
"""

from __future__ import annotations

import argparse
import difflib
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields, replace
from enum import Enum
from pathlib import Path
from typing import Any

from nginxcache.buildtree import Symlinks
from nginxcache.errors import UsageError
from nginxcache.model import CdnHeader, Strategy

# policy.DEFAULT_SKEW_CA, not imported from there, for the same reason as ONE_YEAR below.
DEFAULT_SKEW_CA = "/etc/ssl/certs/ca-certificates.crt"

# pipeline.ONE_YEAR, not imported from there: this module is read by the settings check that
# runs with every manage.py command, and the pipeline takes a quarter of a second to import.
ONE_YEAR = 31_536_000


class Kind(Enum):
    """What a setting holds, and so how it is checked and which flag it becomes."""

    PATH = "a file path"
    PATHS = "a list of file paths"
    TEXT = "a string"
    TEXTS = "a list of strings"
    SWITCH = "True or False"
    SECONDS = "a whole number of seconds"


class Action(Enum):
    """Which subcommands a setting applies to."""

    RENDER = "render"
    EXPLAIN = "explain"
    PROBE = "probe"
    LINT = "lint"


_RENDER = frozenset({Action.RENDER})
_POLICY = frozenset({Action.RENDER, Action.EXPLAIN, Action.PROBE})
_ALL = frozenset(Action)


@dataclass(frozen=True, slots=True)
class Setting:
    key: str  # in settings.NGINXCACHE; the Config field is its lower case
    flag: str | None  # on the command line; None: a setting only
    kind: Kind
    help: str
    actions: frozenset[Action]
    choices: tuple[str, ...] = ()
    metavar: str | None = None

    @property
    def field(self) -> str:
        return self.key.lower()


SETTINGS: tuple[Setting, ...] = (
    # Where the config goes.
    Setting("HTTP_OUT", "--http-out", Kind.PATH, "The http-level part (maps), included inside http { } "
            "[default: BASE_DIR/nginx/static-http.conf].", _RENDER, metavar="FILE"),
    Setting("SERVER_OUT", "--server-out", Kind.PATH, "The server-level part (locations), included inside the site's "
            "server { } [default: BASE_DIR/nginx/static-server.conf].", _RENDER, metavar="FILE"),
    Setting("SITE_OUT", "--site-out", Kind.PATH, "A complete sites-available file instead (maps plus a whole server { }).",
            _RENDER, metavar="FILE"),
    Setting("SERVER_NAMES", "--server-name", Kind.TEXTS, "server_name for SITE_OUT (repeatable).", _RENDER, metavar="NAME"),
    Setting("LISTEN", "--listen", Kind.TEXTS, "listen for SITE_OUT, e.g. '443 ssl' (repeatable) [default: 80].", _RENDER,
            metavar="ADDRESS"),
    Setting("NAME", "--name", Kind.TEXT, "Name in the output's nginx variables; unique per site [default: from the root].",
            _RENDER),
    Setting("NGINX_TEST", "--nginx-test", Kind.SWITCH, "Also run the real `nginx -t` on a private config including the "
            "output, before anything is written.", _RENDER),
    Setting("NGINX", "--nginx", Kind.TEXT, "nginx binary for the nginx -t checks [default: nginx on PATH].",
            _RENDER | {Action.LINT}, metavar="PATH"),
    # What is served, and from where.
    Setting("ROOT", "--root", Kind.TEXT, "The directory nginx serves the static files from, when it is not STATIC_ROOT "
            "(another machine, a container's mount) [default: STATIC_ROOT].", _ALL, metavar="DIR"),
    Setting("PREFIX", "--prefix", Kind.TEXT, "The URL path they are served at [default: the path of STATIC_URL, with "
            "FORCE_SCRIPT_NAME].", _ALL, metavar="PATH"),
    Setting("MANIFESTS", "--manifest", Kind.PATHS, "Another build manifest of files in STATIC_ROOT, e.g. a Vite "
            "manifest.json (repeatable) [default: those found in STATIC_ROOT].", _ALL, metavar="MANIFEST"),
    Setting("FIND_MANIFESTS", "--find-manifests", Kind.SWITCH, "Look in STATIC_ROOT for the other build tools' "
            "manifests (Vite, webpack, Encore, Mix ...) [default: on].", _ALL),
    Setting("NGINX_CONFIGS", None, Kind.PATHS, "The nginx config files `lint` checks when none is named "
            "[default: /etc/nginx/nginx.conf].", frozenset({Action.LINT})),
    # The policy.
    Setting("KEEP_MANIFESTS", "--keep-manifest", Kind.PATHS, "Manifest of an earlier deploy whose hashed files stay "
            "immutable while on disk (repeatable).", _POLICY, metavar="MANIFEST"),
    Setting("STRATEGY", "--strategy", Kind.TEXT, "map: a per-file map in http { } (any size). exact: one location per "
            "hashed file. regex: one regex location (PATTERN), only when the tree proves it right [default: map].",
            _POLICY, choices=tuple(s.value for s in Strategy)),
    Setting("PATTERN", "--pattern", Kind.TEXT, "The regex strategy's pattern, matched against the URI.", _POLICY,
            metavar="REGEX"),
    Setting("TRUST_PATTERN", "--trust-pattern", Kind.TEXT, "Without a manifest: look-alike hashed names whose whole "
            "path matches count as hashed, unverified.", _POLICY, metavar="REGEX"),
    Setting("IMMUTABLE_PREFIXES", "--immutable-prefix", Kind.TEXTS, "A URL path below the prefix whose every file is "
            "content-addressed (repeatable; only what you vouch for).", _POLICY, metavar="PATH"),
    Setting("IMMUTABLE_PREFIX_EXCLUDES", "--immutable-prefix-exclude", Kind.TEXTS, "A URL path carved out of an "
            "immutable prefix again (repeatable).", _POLICY, metavar="PATH"),
    Setting("SERVICE_WORKERS", "--service-worker", Kind.TEXTS, "Another service worker file name, always revalidated "
            "(repeatable).", _POLICY, metavar="NAME"),
    Setting("SERVE_MANIFEST", "--serve-manifest", Kind.SWITCH, "Serve the manifests themselves (404 by default).",
            _POLICY),
    Setting("DENY_SOURCE_MAPS", "--deny-source-maps", Kind.SWITCH, "Answer 404 for source maps (*.map).", _POLICY),
    Setting("MAX_AGE", "--max-age", Kind.SECONDS, f"max-age for content-hashed files [default: {ONE_YEAR}].", _POLICY,
            metavar="SECONDS"),
    Setting("UNHASHED_MAX_AGE", "--unhashed-max-age", Kind.SECONDS, "0: revalidate every other file (no-cache). N: "
            "cache it N seconds, at most a day [default: 0].", _POLICY, metavar="SECONDS"),
    Setting("CDN_MAX_AGE", "--cdn-max-age", Kind.SECONDS, "Let a CDN keep every file but the content-hashed ones this "
            "long (at most a day) while browsers still revalidate.", _POLICY, metavar="SECONDS"),
    Setting("CDN_HEADER", "--cdn-header", Kind.TEXT, "Where CDN_MAX_AGE goes: s-maxage in Cache-Control, or a "
            "CDN-Cache-Control header (only Cloudflare documents reading it) [default: cache-control].", _POLICY,
            choices=tuple(h.value for h in CdnHeader)),
    Setting("STALE_WHILE_REVALIDATE", "--stale-while-revalidate", Kind.SECONDS, "stale-while-revalidate for every file "
            "but the content-hashed ones (with CDN_MAX_AGE or UNHASHED_MAX_AGE).", _POLICY, metavar="SECONDS"),
    Setting("MISSING_MAX_AGE", "--missing-max-age", Kind.SECONDS, "How long a missing file's 404 may be cached: 0 sends "
            "no-store, private [default: 0].", _POLICY, metavar="SECONDS"),
    Setting("GZIP_STATIC", "--gzip-static", Kind.SWITCH, "Serve the .gz files beside the originals (WhiteNoise writes "
            "them), with Vary [default: when STATIC_ROOT has them].", _POLICY),
    Setting("GZIP_PROXIED", "--gzip-proxied", Kind.SWITCH, "Also serve .gz to requests through a proxy or CDN.", _RENDER),
    Setting("BROTLI", "--brotli", Kind.SWITCH, "Serve the .br files WhiteNoise writes (nginx needs the brotli module: "
            "Debian's libnginx-mod-http-brotli-static).", _POLICY),
    Setting("CORS_FONTS", "--cors-fonts", Kind.TEXT, "Access-Control-Allow-Origin for font files: an origin or '*'.",
            _POLICY, metavar="ORIGIN"),
    Setting("ADD_HEADERS", "--add-header", Kind.TEXTS, "A header every file gets, e.g. 'X-Content-Type-Options: "
            "nosniff' (repeatable).", _POLICY, metavar="'NAME: VALUE'"),
    Setting("HEADERS_INCLUDE", "--headers-include", Kind.TEXT, "A file of your add_header lines, included wherever the "
            "output sets add_header.", _RENDER, metavar="FILE"),
    Setting("SKEW_ORIGINS", "--skew-origin", Kind.TEXTS, "Skew protection: a static file missing here is fetched from "
            "this origin (repeatable, tried in order), e.g. a store of every kept build's files.", _RENDER, metavar="URL"),
    Setting("SKEW_TIMEOUT", "--skew-timeout", Kind.SECONDS, "Per skew origin: to connect, and between reads (1-60) "
            "[default: 2].", _RENDER, metavar="SECONDS"),
    Setting("SKEW_CA", "--skew-ca", Kind.TEXT, f"CA certificates that verify an https skew origin [default: "
            f"{DEFAULT_SKEW_CA}].", _RENDER, metavar="FILE"),
    Setting("MAP_HASH_SIZES", "--map-hash-sizes", Kind.SWITCH, "Emit map_hash_max_size/bucket_size (http-wide, once "
            "only) [default: on].", _RENDER),
    Setting("OPEN_FILE_CACHE", "--open-file-cache", Kind.SWITCH, "Keep open files for 2 s in the location "
            "(open_file_cache) [default: on].", _RENDER),
    Setting("DISABLE_SYMLINKS", "--disable-symlinks", Kind.TEXT, "nginx's disable_symlinks below the root: on (nothing "
            "outside the root is served), if_not_owner (collectstatic --link), off [default: on].", _POLICY,
            choices=tuple(s.value for s in Symlinks)),
)
BY_KEY = {setting.key: setting for setting in SETTINGS}


@dataclass(frozen=True, slots=True)
class Config:
    """NGINXCACHE, checked, with the defaults filled in (and the flags given, once merged)."""

    http_out: Path | None = None
    server_out: Path | None = None
    site_out: Path | None = None
    server_names: tuple[str, ...] = ()
    listen: tuple[str, ...] = ()
    name: str | None = None
    nginx_test: bool = False
    nginx: str | None = None
    root: str | None = None
    prefix: str | None = None
    manifests: tuple[Path, ...] = ()
    find_manifests: bool = True
    nginx_configs: tuple[Path, ...] = ()
    keep_manifests: tuple[Path, ...] = ()
    strategy: str = Strategy.MAP.value
    pattern: str | None = None
    trust_pattern: str | None = None
    immutable_prefixes: tuple[str, ...] = ()
    immutable_prefix_excludes: tuple[str, ...] = ()
    service_workers: tuple[str, ...] = ()
    serve_manifest: bool = False
    deny_source_maps: bool = False
    max_age: int = ONE_YEAR
    unhashed_max_age: int = 0
    cdn_max_age: int | None = None
    cdn_header: str = CdnHeader.CACHE_CONTROL.value
    stale_while_revalidate: int | None = None
    missing_max_age: int = 0
    gzip_static: bool | None = None
    gzip_proxied: bool = False
    brotli: bool = False
    cors_fonts: str | None = None
    add_headers: tuple[str, ...] = ()
    headers_include: str | None = None
    skew_origins: tuple[str, ...] = ()
    skew_timeout: int = 2
    skew_ca: str = DEFAULT_SKEW_CA
    map_hash_sizes: bool = True
    open_file_cache: bool = True
    disable_symlinks: str = Symlinks.REFUSE.value

    def outputs_given(self) -> bool:
        return any(path is not None for path in (self.http_out, self.server_out, self.site_out))


assert [s.field for s in SETTINGS] == [f.name for f in fields(Config)], "a Config field per setting, in order"


def read(value: object, base_dir: Path | None) -> Config:
    """settings.NGINXCACHE (None when it is not set) as a Config. Relative paths are below
    `base_dir` (BASE_DIR), or the current directory without one."""
    if value is None:
        return Config()
    if not isinstance(value, Mapping):
        raise UsageError(f"settings.NGINXCACHE must be a dict, not {type(value).__name__}")
    values: dict[str, Any] = {}
    for key, item in value.items():
        setting = BY_KEY.get(key) if isinstance(key, str) else None
        if setting is None:
            close = difflib.get_close_matches(str(key).upper(), BY_KEY, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else f"; known: {', '.join(BY_KEY)}"
            raise UsageError(f"settings.NGINXCACHE: unknown key {key!r}{hint}")
        values[setting.field] = _checked(setting, item, base_dir)
    return Config(**values)


def _checked(setting: Setting, item: object, base_dir: Path | None) -> Any:
    """A setting's value in the Config's type, or a UsageError naming the key."""
    where = f"settings.NGINXCACHE[{setting.key!r}]"
    kind = setting.kind
    if kind is Kind.SWITCH:
        if not isinstance(item, bool):
            raise UsageError(f"{where} must be True or False, not {item!r}")
        return item
    if kind is Kind.SECONDS:
        if isinstance(item, bool) or not isinstance(item, int):
            raise UsageError(f"{where} must be a whole number of seconds, not {item!r}")
        return item
    if kind in (Kind.PATHS, Kind.TEXTS):
        if isinstance(item, str | bytes | os.PathLike) or not isinstance(item, Sequence):
            raise UsageError(f"{where} must be a list, not {item!r}")
        single = Kind.PATH if kind is Kind.PATHS else Kind.TEXT
        return tuple(_one(setting, single, part, f"{where}[{i}]", base_dir) for i, part in enumerate(item))
    return _one(setting, kind, item, where, base_dir)


def _one(setting: Setting, kind: Kind, item: object, where: str, base_dir: Path | None) -> Path | str:
    if kind is Kind.PATH:
        if not isinstance(item, str | os.PathLike) or not str(item):
            raise UsageError(f"{where} must be a file path, not {item!r}")
        path = Path(item)
        return path if path.is_absolute() or base_dir is None else base_dir / path
    if not isinstance(item, str):
        raise UsageError(f"{where} must be a string, not {item!r}")
    if setting.choices and item not in setting.choices:
        raise UsageError(f"{where} must be one of {', '.join(setting.choices)}, not {item!r}")
    return item


def add_flags(parser: argparse.ArgumentParser, action: Action) -> None:
    """The flags of the settings that apply to `action`; each defaults to None (not given,
    so the setting decides)."""
    for setting in SETTINGS:
        if setting.flag is None or action not in setting.actions:
            continue
        dest = setting.field
        if setting.kind is Kind.SWITCH:
            parser.add_argument(setting.flag, dest=dest, action=argparse.BooleanOptionalAction, default=None, help=setting.help)
        elif setting.kind in (Kind.PATHS, Kind.TEXTS):
            parser.add_argument(setting.flag, dest=dest, action="append", default=None, metavar=setting.metavar,
                                help=setting.help)
        else:
            parser.add_argument(setting.flag, dest=dest, default=None, metavar=setting.metavar,
                                choices=setting.choices or None, type=int if setting.kind is Kind.SECONDS else str,
                                help=setting.help)


def with_flags(config: Config, flags: Mapping[str, Any]) -> Config:
    """The config with every flag that was given in place of its setting. Paths on the
    command line are relative to the current directory, as everywhere on a command line."""
    changed: dict[str, Any] = {}
    for setting in SETTINGS:
        value = flags.get(setting.field)
        if setting.flag is None or value is None:
            continue
        if setting.kind is Kind.PATH:
            value = Path(value)
        elif setting.kind is Kind.PATHS:
            value = tuple(Path(part) for part in value)
        elif setting.kind is Kind.TEXTS:
            value = tuple(value)
        changed[setting.field] = value
    outputs = ("http_out", "server_out", "site_out")
    if any(name in changed for name in outputs):  # the files named here replace those of NGINXCACHE
        changed = {name: None for name in outputs} | changed
    return replace(config, **changed)


def blame(message: str, nginxcache: object, flags: Mapping[str, Any]) -> str:
    """An error about an option's value (the pipeline's messages name the flag: `--max-age
    must be ...`) that came from NGINXCACHE, not the command line: said with its key."""
    for setting in SETTINGS:
        if (
            setting.flag is not None
            and message.startswith(setting.flag + " ")
            and flags.get(setting.field) is None
            and isinstance(nginxcache, Mapping)
            and setting.key in nginxcache
        ):
            return f"settings.NGINXCACHE[{setting.key!r}]: {message}"
    return message
