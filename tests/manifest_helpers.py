"""Helpers shared by the manifest reader tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from nginxcache.model import ManifestReading


def write(tmp_path: Path, relpath: str, data: Any) -> Path:
    path = tmp_path / relpath
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return path


def hashed_paths(reading: ManifestReading) -> set[str]:
    return {entry.path for entry in reading.hashed}


def unhashed_paths(reading: ManifestReading) -> set[str]:
    return {entry.path for entry, _ in reading.unhashed}
