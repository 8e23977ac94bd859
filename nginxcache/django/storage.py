"""Opt-in: render the nginx config each time collectstatic has finished, from the storage
collectstatic writes with. Name one of these in STORAGES["staticfiles"]["BACKEND"]:

    nginxcache.django.storage.ManifestStaticFilesStorage             Django's, hashed names and staticfiles.json
    nginxcache.django.storage.CompressedManifestStaticFilesStorage   WhiteNoise's, plus .gz and .br (needs whitenoise)
    nginxcache.django.storage.StaticFilesStorage                     Django's default, no hashes

or put RenderNginxConfigMixin first in a storage of your own. The render runs once
post-processing is over (the manifest written, WhiteNoise's files compressed), with the
NGINXCACHE settings, exactly as `manage.py nginxcache render`; when it fails, collectstatic
fails with its one line and exit code. `collectstatic --dry-run` or `--no-post-process`
renders nothing.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from typing import Any

from django.contrib.staticfiles import storage as django_storage
from django.core.management.base import CommandError

from nginxcache.django import actions
from nginxcache.django.site import error_line, read_config, read_site
from nginxcache.errors import NginxcacheError


class RenderNginxConfigMixin:
    """A staticfiles storage that renders the nginx config after collectstatic's post-processing."""

    def post_process(self, *args: Any, **kwargs: Any) -> Iterator[tuple[str, str, bool] | tuple[str, None, RuntimeError]]:
        # A storage without post-processing of its own (StaticFilesStorage) gets it here, so
        # that collectstatic calls it at all. collectstatic passes dry_run by name, and
        # Django's storages read it so.
        parent = getattr(super(), "post_process", None)
        if parent is not None:
            yield from parent(*args, **kwargs)
        if not kwargs.get("dry_run"):
            render_after_collectstatic()


def render_after_collectstatic() -> None:
    """`manage.py nginxcache render` with the NGINXCACHE settings, messages on stderr."""
    try:
        config = read_config()
        actions.render(read_site(config), config, actions.Console.standard())
    except NginxcacheError as exc:
        raise CommandError(f"nginxcache: {error_line(exc)}", returncode=exc.exit_code) from None


# django-stubs' HashedFilesMixin.url differs from Storage.url: its own ManifestStaticFilesStorage
# carries the same "ignore[misc]".
class ManifestStaticFilesStorage(RenderNginxConfigMixin, django_storage.ManifestStaticFilesStorage):  # type: ignore[misc]
    """Django's ManifestStaticFilesStorage, rendering after collectstatic."""


class StaticFilesStorage(RenderNginxConfigMixin, django_storage.StaticFilesStorage):
    """Django's StaticFilesStorage, rendering after collectstatic."""


_WHITENOISE = "CompressedManifestStaticFilesStorage"
_made: dict[str, type] = {}


def __getattr__(name: str) -> type:
    """WhiteNoise's storage with the mixin, made when first named: whitenoise is no
    dependency of nginxcache, so it is imported only by a project that names this class."""
    if name != _WHITENOISE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    if name not in _made:
        whitenoise = importlib.import_module("whitenoise.storage")
        base = getattr(whitenoise, _WHITENOISE)
        _made[name] = type(
            name,
            (RenderNginxConfigMixin, base),
            {"__module__": __name__, "__qualname__": name, "__doc__": "WhiteNoise's storage, rendering after collectstatic."},
        )
    return _made[name]
