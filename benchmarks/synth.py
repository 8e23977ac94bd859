"""Synthetic Django build output: a staticfiles.json (version 1.1) and, when asked, its tree.

Deterministic for a given (size, seed). Paths look like a real collectstatic: apps, vendored
libraries, several directory levels, hyphenated names, the hashed copy named
`name.<md5[:12]>.ext` beside the original, with the hash taken from the file's content.
"""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import dataclass
from pathlib import Path

# Bump when the shape of the output changes, so cached work directories are not reused.
GENERATOR_VERSION = 1

APPS = (
    "admin", "accounts", "analytics", "billing", "blog", "catalog", "checkout", "cms", "comments",
    "core", "dashboard", "debug_toolbar", "django_extensions", "frontend", "help_center", "inbox",
    "invoices", "marketing", "notifications", "onboarding", "orders", "payments", "profiles",
    "reports", "rest_framework", "search", "settings_ui", "shop", "support", "wagtailadmin",
    "wagtailimages", "website",
)
VENDOR_LIBS = (
    "bootstrap", "chartjs", "codemirror", "datatables", "dropzone", "flatpickr", "fontawesome",
    "highlightjs", "jquery-ui", "leaflet", "select2", "swagger-ui", "tinymce", "xregexp",
)
SUBDIRS = (
    "css", "js", "img", "fonts", "icons", "images", "components", "widgets", "vendor", "dist",
    "i18n", "themes", "layouts", "modules", "partials", "plugins", "skins", "locale", "svg",
    "forms", "charts", "editor", "tables", "utils",
)
WORDS = (
    "account", "action", "active", "admin", "alert", "app", "arrow", "autocomplete", "avatar",
    "background", "badge", "banner", "base", "button", "calendar", "card", "cart", "changelist",
    "chart", "checkbox", "close", "collapse", "color", "content", "core", "dashboard", "date",
    "default", "detail", "dialog", "down", "dropdown", "edit", "editor", "empty", "error", "export",
    "field", "filter", "footer", "form", "gallery", "grid", "header", "help", "hero", "icon",
    "image", "import", "info", "inline", "input", "item", "layout", "left", "list", "loader",
    "login", "logo", "main", "map", "menu", "modal", "nav", "navbar", "notification", "overlay",
    "page", "pagination", "panel", "picker", "placeholder", "popover", "preview", "print",
    "profile", "progress", "radio", "responsive", "right", "rtl", "search", "select", "selector",
    "settings", "share", "sidebar", "slider", "small", "sort", "spinner", "star", "status",
    "style", "summary", "switch", "tab", "table", "tabs", "theme", "thumbnail", "time", "toast",
    "toggle", "toolbar", "tooltip", "tree", "up", "upload", "user", "vendor", "widget", "wizard",
)
# (extension, weight): no .html, web manifests or service workers, which nginxcache always
# revalidates whatever the manifest says, so that N entries give N map keys.
EXTENSIONS = (
    ("js", 30), ("css", 18), ("png", 12), ("svg", 10), ("map", 8), ("woff2", 5), ("woff", 3),
    ("jpg", 4), ("gif", 2), ("ttf", 2), ("webp", 3), ("ico", 1), ("txt", 2),
)
PREFIX = "/static/"


@dataclass(frozen=True)
class Manifest:
    path: Path
    size: int
    hashed_names: list[str]  # relative to the static root, manifest order (only for a tree)
    original_names: list[str]
    mean_uri_bytes: float


def _content(original: str, rng: random.Random) -> bytes:
    """A small file body: a comment naming the file, padded to 64..2048 bytes."""
    head = f"/* {original} */\n".encode()
    length = rng.randint(64, 2048)
    return (head + b"x" * max(0, length - len(head) - 1) + b"\n")[: max(length, len(head))]


def _original_name(rng: random.Random, extension_table: list[str]) -> str:
    kind = rng.random()
    if kind < 0.12:
        directories = ["vendor", rng.choice(VENDOR_LIBS), rng.choice(("dist", "build", "src"))]
        directories += rng.sample(SUBDIRS, rng.randint(0, 2))
    elif kind < 0.25:
        directories = ["admin", rng.choice(("css", "js", "img"))] + rng.sample(SUBDIRS, rng.randint(0, 2))
    else:
        directories = [rng.choice(APPS)] + rng.sample(SUBDIRS, rng.randint(1, 3))
    stem = "-".join(rng.choice(WORDS) for _ in range(rng.randint(1, 3)))
    if rng.random() < 0.15:
        stem += f"_{rng.randint(2, 64)}"
    return "/".join(directories) + f"/{stem}.{rng.choice(extension_table)}"


def _hashed_name(original: str, body: bytes) -> str:
    directory, _, name = original.rpartition("/")
    stem, _, extension = name.rpartition(".")
    digest = hashlib.md5(body).hexdigest()[:12]  # noqa: S324 - Django's own file hash
    return f"{directory}/{stem}.{digest}.{extension}"


def write_manifest(directory: Path, size: int, seed: int, tree: bool = False) -> Manifest:
    """Write directory/staticfiles.json with `size` entries (and every file, when `tree`)."""
    rng = random.Random(f"{seed}:{size}")
    extension_table = [extension for extension, weight in EXTENSIONS for _ in range(weight)]
    directory.mkdir(parents=True, exist_ok=True)
    paths: dict[str, str] = {}
    seen: set[str] = set()
    total_uri = 0
    while len(paths) < size:
        original = _original_name(rng, extension_table)
        if original.lower() in seen:
            continue
        seen.add(original.lower())
        body = _content(original, rng)
        hashed = _hashed_name(original, body)
        paths[original] = hashed
        total_uri += len(PREFIX) + len(hashed.encode())
        if tree:
            for name in (original, hashed):
                target = directory / name
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(body)
    manifest_hash = hashlib.md5(json.dumps(sorted(paths.items())).encode()).hexdigest()[:12]  # noqa: S324
    path = directory / "staticfiles.json"
    # Django writes it in one line: json.dumps(payload).encode()
    path.write_text(json.dumps({"paths": paths, "version": "1.1", "hash": manifest_hash}), encoding="utf-8")
    return Manifest(
        path=path,
        size=size,
        hashed_names=list(paths.values()) if tree else [],
        original_names=list(paths) if tree else [],
        mean_uri_bytes=total_uri / size if size else 0.0,
    )
