"""System checks. NGINXCACHE is checked with every command (nginxcache.E001); `manage.py
check --deploy` also warns when the manifest is missing (W001) or older than files
collected after it (W002), when the rendered config is stale or missing (W003), or when it
cannot be rendered at all (W004)."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning, register

from nginxcache.django import conf
from nginxcache.errors import NginxcacheError, UsageError

TAG = "nginxcache"
RENDER = "run `python manage.py nginxcache render`"
# collectstatic writes the manifest after every file it copies or hashes; WhiteNoise then
# compresses them, so .gz and .br files are newer than the manifest by design.
COMPRESSED = (".gz", ".br")
MTIME_SLACK = 2.0  # seconds: coarse file system timestamps, a copy finishing in the same second


@register(TAG)
def check_settings(app_configs: Sequence[AppConfig] | None = None, **kwargs: Any) -> list[CheckMessage]:
    try:
        conf.read(getattr(settings, "NGINXCACHE", None), None)
    except UsageError as exc:
        return [Error(str(exc), hint="see the NGINXCACHE keys in nginxcache's Django page", id="nginxcache.E001")]
    return []


@register(TAG, deploy=True)
def check_deploy(app_configs: Sequence[AppConfig] | None = None, **kwargs: Any) -> list[CheckMessage]:
    # Imported here, not with the module: every manage.py command imports this one (the
    # app's ready()), and the pipeline takes a quarter of a second to import.
    from nginxcache import pipeline
    from nginxcache.django.site import NotCollected, base_dir, error_line, outputs, read_config, read_site, request

    try:
        config = read_config()
    except UsageError:
        return []  # check_settings reports it
    try:
        site = read_site(config)
    except NotCollected as exc:
        return [Warning(str(exc), hint="run `python manage.py collectstatic`", id="nginxcache.W001")]
    except NginxcacheError as exc:
        return [Warning(f"the nginx config cannot be rendered: {error_line(exc)}", id="nginxcache.W004")]
    messages: list[CheckMessage] = []
    if site.manifest is not None:
        newer = _newest_collected(site.root, after=site.manifest.stat().st_mtime + MTIME_SLACK, skip=site.manifest)
        if newer is not None:
            messages.append(Warning(
                f"{site.manifest} is older than {newer}: files were collected after the manifest was written "
                "(collectstatic --no-post-process, or copied in by hand), and they are not in it",
                hint="run `python manage.py collectstatic`",
                id="nginxcache.W002",
            ))
    try:
        given, _ = outputs(config, default_base=base_dir())
        changes = pipeline.changes(pipeline.render(pipeline.plan(request(site, config, given))))
    except NginxcacheError as exc:
        return [*messages, Warning(f"the nginx config cannot be rendered: {error_line(exc)}", id="nginxcache.W004")]
    stale = [str(change.path) for change in changes if change.changed]
    if stale:
        missing = [path for path in stale if not os.path.exists(path)]
        what = f"{', '.join(missing)} not rendered yet" if missing == stale else f"{', '.join(stale)} stale: the static files changed"
        messages.append(Warning(f"nginx config {what}", hint=f"{RENDER}, then reload nginx", id="nginxcache.W003"))
    return messages


def _newest_collected(root: Path, *, after: float, skip: Path) -> Path | None:
    """A file below `root` modified after `after` (the newest one), or None."""
    newest: tuple[float, Path] | None = None
    for path, mtime in _files(root):
        if mtime > after and path != skip and not path.name.endswith(COMPRESSED) and (newest is None or mtime > newest[0]):
            newest = (mtime, path)
    return newest[1] if newest is not None else None


def _files(root: Path) -> Iterator[tuple[Path, float]]:
    for directory, _, files in os.walk(root):
        for name in files:
            path = Path(directory, name)
            try:
                yield path, path.lstat().st_mtime
            except OSError:
                continue
