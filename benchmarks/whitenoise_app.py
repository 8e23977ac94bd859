"""A minimal Django site serving STATIC_ROOT with WhiteNoise, for the serving comparison.

    NGINXCACHE_BENCH_STATIC_ROOT=/path/to/static gunicorn whitenoise_app:application

Hashed files are found the way a Django user gets them: ManifestStaticFilesStorage reads
STATIC_ROOT/staticfiles.json and WhiteNoise's default immutable test asks it. The headers are
then made identical to nginxcache's output (one Cache-Control, the same strings, no CORS).
"""

from __future__ import annotations

import os

import django
from django.conf import settings

IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"


def same_headers_as_nginxcache(headers, path, url):  # type: ignore[no-untyped-def]
    immutable = "immutable" in (headers.get("Cache-Control") or "")
    headers["Cache-Control"] = IMMUTABLE if immutable else REVALIDATE


settings.configure(
    DEBUG=False,
    SECRET_KEY="benchmark-only",
    ALLOWED_HOSTS=["127.0.0.1", "localhost"],
    ROOT_URLCONF=__name__,
    INSTALLED_APPS=["django.contrib.staticfiles"],
    MIDDLEWARE=["whitenoise.middleware.WhiteNoiseMiddleware"],
    STATIC_URL="/static/",
    STATIC_ROOT=os.environ["NGINXCACHE_BENCH_STATIC_ROOT"],
    STORAGES={
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
    },
    WHITENOISE_ALLOW_ALL_ORIGINS=False,
    WHITENOISE_ADD_HEADERS_FUNCTION=same_headers_as_nginxcache,
    WHITENOISE_AUTOREFRESH=False,
    WHITENOISE_USE_FINDERS=False,
    LOGGING_CONFIG=None,
)
django.setup()

urlpatterns: list[object] = []

from django.core.wsgi import get_wsgi_application  # noqa: E402

application = get_wsgi_application()
