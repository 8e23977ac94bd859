"""The app in INSTALLED_APPS: "nginxcache.django"."""

from __future__ import annotations

from django.apps import AppConfig


class NginxcacheConfig(AppConfig):
    name = "nginxcache.django"
    label = "nginxcache"  # the package's last name, "django", would read as Django's own
    verbose_name = "nginxcache"

    def ready(self) -> None:
        from nginxcache.django import checks  # noqa: F401  # registers the system checks
