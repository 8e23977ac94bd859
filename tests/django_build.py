"""Build a real Django static tree: collectstatic with ManifestStaticFilesStorage over
django.contrib.admin, plus files of our own with awkward names and a look-alike hash.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SETTINGS = """\
SECRET_KEY = "nginxcache-tests"
INSTALLED_APPS = [
    "django.contrib.admin", "django.contrib.auth", "django.contrib.contenttypes",
    "django.contrib.messages", "django.contrib.sessions", "django.contrib.staticfiles",
]
STATIC_URL = "/static/"
STATIC_ROOT = {static_root!r}
STATICFILES_DIRS = [{assets!r}]
STORAGES = {{
    "default": {{"BACKEND": "django.core.files.storage.FileSystemStorage"}},
    "staticfiles": {{"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"}},
}}
"""

# Names that must be quoted or escaped in nginx config, or that look hashed but are not.
AWKWARD_NAMES = [
    "site/a b.txt",
    "site/semi;colon.txt",
    "site/brace{open}close.txt",
    "site/#hash-start.txt",
    "site/}brace-start.txt",
    'site/double"quote.txt',
    "site/single'quote.txt",
    "site/back\\slash.txt",
    "site/dollar$uri.txt",
    "site/percent%20name.txt",
    "site/plus+sign.txt",
    "site/question?mark.txt",
    "site/ünïcödé-日本語.txt",
    "site/vendor.0123456789ab.js",  # looks like a Django hash, is an original
    "site/robots.txt",
    "site/LICENSE",
    "site/Case.txt",  # same content as case.txt: hashed names equal up to case
    "site/case.txt",
]


def build_django_static(work: Path) -> Path:
    """Run collectstatic into work/static_root and return that directory."""
    assets = work / "assets"
    for name in AWKWARD_NAMES:
        target = assets / name
        target.parent.mkdir(parents=True, exist_ok=True)
        content = "same content\n" if name.lower() == "site/case.txt" else f"content of {name}\n"
        target.write_text(content, encoding="utf-8")
    (assets / "site" / "style.css").write_text(
        'body { background: url("a b.txt"); }\n.x { background: url(vendor.0123456789ab.js); }\n', encoding="utf-8"
    )
    project = work / "project"
    project.mkdir(parents=True, exist_ok=True)
    static_root = work / "static_root"
    (project / "nginxcache_test_settings.py").write_text(
        SETTINGS.format(static_root=str(static_root), assets=str(assets)), encoding="utf-8"
    )
    subprocess.run(
        [sys.executable, "-m", "django", "collectstatic", "--noinput", "-v", "0"],
        cwd=project,
        env={"DJANGO_SETTINGS_MODULE": "nginxcache_test_settings", "PYTHONPATH": str(project), "PATH": "/usr/bin:/bin"},
        check=True,
        capture_output=True,
        text=True,
    )
    return static_root
