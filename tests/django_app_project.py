"""A real Django project for the tests of the Django app (nginxcache.django): made by
`django-admin startproject`, with only what a user adds (the app in INSTALLED_APPS,
STATIC_ROOT, a storage), static files of its own and a Vite bundle in STATICFILES_DIRS; and
`manage.py` run as a user runs it, in a process of its own."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

# What the tests add to startproject's settings.py; {storage} is STORAGES["staticfiles"]'s backend.
SETTINGS = """
INSTALLED_APPS += ["nginxcache.django"]
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "assets"]
STORAGES = {{
    "default": {{"BACKEND": "django.core.files.storage.FileSystemStorage"}},
    "staticfiles": {{"BACKEND": {storage!r}}},
}}
"""
# Django 4.2's older spelling, the other setting the app reads.
LEGACY_SETTINGS = """
INSTALLED_APPS += ["nginxcache.django"]
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "assets"]
STATICFILES_STORAGE = {storage!r}
"""

# The project's own files: a stylesheet naming an image (Django rewrites the URL to the
# hashed copy), a script, a file served under a fixed name, and a Vite build (its chunks are
# hashed by Vite and named by its manifest.json, which the app finds in STATIC_ROOT).
ASSETS = {
    "site/app.css": "body { background: url(logo.svg); }\n" + "/* padding for gzip */\n" * 40,
    "site/logo.svg": '<svg xmlns="http://www.w3.org/2000/svg"/>\n',
    "site/app.js": "console.log('app');\n" * 40,
    "robots.txt": "User-agent: *\n",
    "dist/assets/main-BkR3x9Qz.js": "import('./chunk-D4f6Gh1J.js');\n" * 20,
    "dist/assets/chunk-D4f6Gh1J.js": "export const x = 1;\n" * 20,
    "dist/assets/main-C2aBcD3f.css": "a { color: red; }\n" * 20,
}
VITE_MANIFEST = {
    "main.js": {"file": "assets/main-BkR3x9Qz.js", "src": "main.js", "isEntry": True,
                "dynamicImports": ["chunk.js"], "css": ["assets/main-C2aBcD3f.css"]},
    "chunk.js": {"file": "assets/chunk-D4f6Gh1J.js", "src": "chunk.js", "isDynamicEntry": True},
}
VITE_FILES = {"dist/assets/main-BkR3x9Qz.js", "dist/assets/chunk-D4f6Gh1J.js", "dist/assets/main-C2aBcD3f.css"}
NOT_COPIED = shutil.ignore_patterns("__pycache__")


@dataclass
class DjangoProject:
    home: Path
    python: Path

    @property
    def static_root(self) -> Path:
        return self.home / "staticfiles"

    @property
    def outputs(self) -> tuple[Path, Path]:
        """The files `manage.py nginxcache render` writes by default."""
        return self.home / "nginx" / "static-http.conf", self.home / "nginx" / "static-server.conf"

    def manage(self, *args: str, settings: str = "mysite.settings") -> subprocess.CompletedProcess[str]:
        env = {
            "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            "DJANGO_SETTINGS_MODULE": settings,
            "PYTHONDONTWRITEBYTECODE": "1",
            "HOME": os.environ.get("HOME", "/root"),
        }
        return subprocess.run(
            [str(self.python), "manage.py", *args], cwd=self.home, env=env, capture_output=True, text=True, timeout=600
        )

    def ok(self, *args: str, settings: str = "mysite.settings") -> subprocess.CompletedProcess[str]:
        result = self.manage(*args, settings=settings)
        assert result.returncode == 0, f"manage.py {' '.join(args)}: exit {result.returncode}\n{result.stdout}{result.stderr}"
        return result

    def variant(self, name: str, text: str) -> str:
        """A settings module on top of the project's (as a user's settings/production.py)."""
        (self.home / "mysite" / f"settings_{name}.py").write_text(f"from mysite.settings import *  # noqa\n{text}\n")
        return f"mysite.settings_{name}"

    def hashed_uris(self, prefix: str = "/static/") -> set[str]:
        """What the manifests say is content-hashed: Django's copies and the Vite chunks."""
        manifest = json.loads((self.static_root / "staticfiles.json").read_text(encoding="utf-8"))
        return {prefix + name for name in manifest["paths"].values()} | {prefix + name for name in VITE_FILES}

    def copy(self, home: Path) -> DjangoProject:
        """The project elsewhere: BASE_DIR follows settings.py, so the copy stands alone."""
        shutil.copytree(self.home, home, symlinks=True, ignore=NOT_COPIED)
        return DjangoProject(home, self.python)


def start_project(home: Path, python: Path, *, storage: str, legacy: bool = False, extra: str = "") -> DjangoProject:
    """`django-admin startproject mysite` in `home`, the settings a user adds, the assets."""
    home.mkdir(parents=True, exist_ok=True)
    subprocess.run([str(python), "-m", "django", "startproject", "mysite", str(home)], check=True, capture_output=True, text=True)
    settings = home / "mysite" / "settings.py"
    added = (LEGACY_SETTINGS if legacy else SETTINGS).format(storage=storage) + extra
    settings.write_text(settings.read_text(encoding="utf-8") + added, encoding="utf-8")
    for name, text in ASSETS.items():
        path = home / "assets" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    (home / "assets" / "dist" / "manifest.json").write_text(json.dumps(VITE_MANIFEST), encoding="utf-8")
    return DjangoProject(home, python)


def message_lines(stderr: str) -> list[str]:
    """stderr without colour codes, as lines."""
    return re.sub(r"\x1b\[[0-9;]*m", "", stderr).splitlines()
