"""What the Django project says about its static files, read from its settings and its
staticfiles storage instead of asked for: STATIC_ROOT, the URL path of STATIC_URL, the
storage's manifest and the other build tools' manifests collected into STATIC_ROOT; and the
pipeline.Request that renders them with the NGINXCACHE options."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import django
from django.conf import settings
from django.contrib.staticfiles.storage import ManifestFilesMixin
from django.core.files.storage import FileSystemStorage, Storage, storages
from django.utils.module_loading import import_string

from nginxcache import pipeline
from nginxcache.buildtree import Symlinks
from nginxcache.django import conf
from nginxcache.errors import ManifestError, NginxcacheError, UsageError
from nginxcache.manifests import detect as manifest_format
from nginxcache.manifests import load_manifest, read_json
from nginxcache.model import CdnHeader, ManifestFormat, Strategy

# The other build tools' manifests a STATIC_ROOT may hold (a Vite or webpack bundle collected
# from STATICFILES_DIRS, django-vite's dist/manifest.json), looked for this many directories deep.
MANIFEST_NAMES = frozenset({"manifest.json", "entrypoints.json", "mix-manifest.json", "asset-manifest.json", "parcel-manifest.json"})
FIND_DEPTH = 3
DEFAULT_DIRECTORY = "nginx"  # below BASE_DIR: where the config goes unless NGINXCACHE says
DEFAULT_FILES = {"http": "static-http.conf", "server": "static-server.conf"}


class NotCollected(ManifestError):
    """STATIC_ROOT or the manifest is not there yet: collectstatic has not run."""


@dataclass(frozen=True, slots=True)
class StaticSite:
    """The static files of the project, as Django serves their URLs."""

    root: Path  # STATIC_ROOT (the storage's location), absolute
    prefix: str  # the URL path of STATIC_URL
    prefix_from: str  # where the prefix comes from, for the summary line
    storage: str  # the storage's class, as a user names it
    configured_in: str  # STORAGES['staticfiles'] or STATICFILES_STORAGE
    manifest: Path | None  # ManifestStaticFilesStorage's staticfiles.json; None: a storage without one
    found: tuple[tuple[Path, str], ...] = ()  # the other build tools' manifests in STATIC_ROOT, with their format
    notes: tuple[str, ...] = ()

    def summary(self) -> str:
        """The one line that says what was read: the directory, the URL, the evidence."""
        if self.manifest is not None:
            evidence = [f"{_shown(self.manifest, self.root)} of {self.storage}"]
        else:
            evidence = [f"names whose hash verifies against the file ({self.storage} writes no manifest)"]
        evidence += [f"{_shown(path, self.root)} ({fmt})" for path, fmt in self.found]
        return f"Django: STATIC_ROOT {self.root} served at {self.prefix} ({self.prefix_from}); evidence: {', '.join(evidence)}"


def _shown(path: Path, root: Path) -> str:
    return os.path.relpath(path, root) if path.is_relative_to(root) else str(path)


def base_dir() -> Path | None:
    """The project's directory: settings.BASE_DIR (startproject defines it), else the
    directory of the manage.py being run."""
    value = getattr(settings, "BASE_DIR", None)
    if isinstance(value, str | os.PathLike) and str(value):
        return Path(value)
    program = Path(sys.argv[0]) if sys.argv and sys.argv[0] else None
    return program.resolve().parent if program is not None and program.name == "manage.py" else None


def read_config() -> conf.Config:
    """settings.NGINXCACHE, checked (a UsageError names the key that is wrong)."""
    return conf.read(getattr(settings, "NGINXCACHE", None), base_dir())


def error_line(exc: NginxcacheError, flags: Mapping[str, Any] | None = None) -> str:
    """The error's one line; an option's value from NGINXCACHE is named by its key."""
    return conf.blame(str(exc), getattr(settings, "NGINXCACHE", None), flags or {})


def read_site(config: conf.Config) -> StaticSite:
    """STATIC_ROOT, STATIC_URL and the staticfiles storage, as this project configures them."""
    storage, configured_in = _staticfiles_storage()
    label = type(storage).__name__
    if not isinstance(storage, FileSystemStorage):
        raise UsageError(
            f"{configured_in} is {_dotted(type(storage))}: its files are not on this machine's disk for nginx to serve "
            "(nginxcache writes the config of a STATIC_ROOT that nginx serves)"
        )
    if not storage.location:
        raise UsageError(_NO_STATIC_ROOT)
    root = Path(storage.location)
    if not root.is_dir():
        raise NotCollected(f"STATIC_ROOT {root} is not a directory: run `python manage.py collectstatic` first")
    notes = []
    if django.VERSION >= (5, 1) and settings.is_overridden("STATICFILES_STORAGE"):
        notes.append("settings.STATICFILES_STORAGE is ignored by Django 5.1 and later: STORAGES['staticfiles'] decides")
    url = urlsplit(str(storage.base_url))
    prefix = unquote(url.path) or "/"
    prefix_from = "STATIC_URL"
    if url.netloc:
        prefix_from = f"the path of STATIC_URL {storage.base_url}, for the server that answers that host"
    elif settings.FORCE_SCRIPT_NAME and prefix.startswith(str(settings.FORCE_SCRIPT_NAME).rstrip("/") + "/"):
        prefix_from = f"STATIC_URL below FORCE_SCRIPT_NAME {settings.FORCE_SCRIPT_NAME}"
    manifest = _manifest(storage, configured_in)
    found, skipped = _find_manifests(root, manifest) if config.find_manifests else ((), ())
    return StaticSite(root, prefix, prefix_from, label, configured_in, manifest, found, (*notes, *skipped))


_NO_STATIC_ROOT = (
    "settings.STATIC_ROOT is not set: set it to the directory collectstatic fills and nginx serves "
    "(e.g. BASE_DIR / 'staticfiles'), then run `python manage.py collectstatic`"
)


def _staticfiles_storage() -> tuple[Storage, str]:
    """The storage collectstatic writes with, and the setting that names it."""
    legacy = django.VERSION < (5, 1) and settings.is_overridden("STATICFILES_STORAGE")
    configured_in = "settings.STATICFILES_STORAGE" if legacy else "settings.STORAGES['staticfiles']"
    try:
        return storages["staticfiles"], configured_in
    except Exception as exc:  # whatever a storage's own code raises: one line, naming the setting
        if not settings.STATIC_ROOT and "STATIC_ROOT" in str(exc):  # a manifest storage reads its manifest at once
            raise UsageError(_NO_STATIC_ROOT) from None
        _explain_manifest_failure(exc)
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise UsageError(f"{configured_in} cannot be created: {message}") from None


def _explain_manifest_failure(exc: Exception) -> None:
    """A manifest storage that cannot load its manifest (Django says only "Couldn't load
    manifest"): read it ourselves, to name the file and what is wrong with it."""
    params = settings.STORAGES.get("staticfiles", {})
    try:
        backend = import_string(params["BACKEND"])
    except (ImportError, KeyError, TypeError):
        return
    options = params.get("OPTIONS", {})
    if not (isinstance(backend, type) and issubclass(backend, ManifestFilesMixin)) or "manifest_storage" in options:
        return
    location = options.get("location") or settings.STATIC_ROOT
    if not location or not isinstance(exc, ValueError):
        return
    path = Path(location) / backend.manifest_name
    load_manifest(path, ManifestFormat.DJANGO)  # raises ManifestError with the file and key path
    raise ManifestError(f"Django cannot load it: {exc}", file=path)


def _manifest(storage: Storage, configured_in: str) -> Path | None:
    """The manifest file of a ManifestStaticFilesStorage (None: a storage without one)."""
    mixin: object = storage  # django-stubs: no Storage is a ManifestFilesMixin (their `url` differ)
    if not isinstance(mixin, ManifestFilesMixin):
        return None
    name = mixin.manifest_name
    manifest_storage = mixin.manifest_storage or storage  # Django's default: the storage itself
    try:
        path = Path(manifest_storage.path(name))
    except NotImplementedError:
        raise UsageError(
            f"{configured_in}: its manifest_storage ({_dotted(type(manifest_storage))}) keeps {name} off this machine's disk"
        ) from None
    if not path.is_file():
        raise NotCollected(f"no manifest: run `python manage.py collectstatic` ({type(storage).__name__} writes it)", file=path)
    return path


def _find_manifests(root: Path, django_manifest: Path | None) -> tuple[tuple[tuple[Path, str], ...], tuple[str, ...]]:
    """The other build tools' manifests in STATIC_ROOT, and a note for each file of such a
    name that is none (a web app manifest.json)."""
    found: list[tuple[Path, str]] = []
    skipped: list[str] = []
    for directory, subdirs, files in os.walk(root):  # followlinks=False
        depth = len(Path(directory).relative_to(root).parts)
        subdirs[:] = sorted(d for d in subdirs if depth < FIND_DEPTH and (not d.startswith(".") or d == ".vite"))
        for name in sorted(MANIFEST_NAMES.intersection(files)):
            path = Path(directory) / name
            if django_manifest is not None and path == django_manifest:
                continue
            try:
                data = read_json(path)
            except NginxcacheError as exc:
                skipped.append(f"{_shown(path, root)} left out: {exc.message}")
                continue
            try:
                fmt = manifest_format(data, path)
            except NginxcacheError:
                skipped.append(f"{_shown(path, root)} left out: no build manifest (a web app manifest?)")
                continue
            if fmt is not ManifestFormat.DJANGO:
                found.append((path, fmt.value))
    return tuple(found), tuple(skipped)


def _dotted(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def outputs(config: conf.Config, *, default_base: Path | None) -> tuple[pipeline.Outputs, Path | None]:
    """The files to write, and the default directory when they are the default ones
    (BASE_DIR/nginx/, made on the first write)."""
    if config.outputs_given():
        return pipeline.Outputs(http=config.http_out, server=config.server_out, site=config.site_out), None
    if default_base is None:
        raise UsageError(
            "set NGINXCACHE['HTTP_OUT'] and NGINXCACHE['SERVER_OUT'] (or BASE_DIR): the files the config is written to"
        )
    directory = default_base / DEFAULT_DIRECTORY
    http = directory / DEFAULT_FILES["http"] if config.strategy == Strategy.MAP.value else None
    return pipeline.Outputs(http=http, server=directory / DEFAULT_FILES["server"]), directory


def request(site: StaticSite, config: conf.Config, outputs: pipeline.Outputs | None = None) -> pipeline.Request:
    """The pipeline request for the project's static files under the NGINXCACHE options."""
    manifests = [site.manifest] if site.manifest is not None else []
    manifests += [path for path, _ in site.found]
    manifests += config.manifests
    outputs = outputs or pipeline.Outputs()
    for path in outputs.given().values():
        if Path(os.path.abspath(path)).is_relative_to(site.root):
            raise UsageError(f"the config would be written to {path}, inside STATIC_ROOT, where nginx serves it to anyone")
    return pipeline.Request(
        manifests=tuple(dict.fromkeys(manifests)),
        # Without a manifest, STATIC_ROOT is read as a Django build directory: names whose
        # hash verifies against the file, django-compressor's CACHE/ and its linked versions.
        build_dir=site.root if site.manifest is None else None,
        framework="django" if site.manifest is None else None,
        root=config.root if config.root is not None else str(site.root),
        prefix=config.prefix if config.prefix is not None else site.prefix,
        keep_manifests=config.keep_manifests,
        strategy=Strategy(config.strategy),
        pattern=config.pattern,
        trust_pattern=config.trust_pattern,
        immutable_prefixes=config.immutable_prefixes,
        immutable_prefix_excludes=config.immutable_prefix_excludes,
        service_workers=config.service_workers,
        serve_manifest=config.serve_manifest,
        deny_source_maps=config.deny_source_maps,
        max_age=config.max_age,
        unhashed_max_age=config.unhashed_max_age,
        cdn_max_age=config.cdn_max_age,
        cdn_header=CdnHeader(config.cdn_header),
        stale_while_revalidate=config.stale_while_revalidate,
        missing_max_age=config.missing_max_age,
        gzip_static=config.gzip_static,
        gzip_proxied=config.gzip_proxied,
        brotli=config.brotli,
        cors_fonts=config.cors_fonts,
        add_headers=config.add_headers,
        headers_include=config.headers_include,
        skew_origins=config.skew_origins,
        skew_timeout=config.skew_timeout,
        skew_ca=config.skew_ca,
        map_hash_sizes=config.map_hash_sizes,
        open_file_cache=config.open_file_cache,
        disable_symlinks=Symlinks(config.disable_symlinks),
        name=config.name,
        server_names=config.server_names,
        listen=config.listen,
        outputs=outputs,
    )
