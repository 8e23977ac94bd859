"""Parcel 2 with parcel-reporter-bundle-manifest: dist/parcel-manifest.json, a flat
{"editor.tsx": "/editor.9099e93e.js"} from each bundle's main source to its URL.

The shape and the rule are webpack-manifest-plugin's (webpack.py): a value is hashed when
its name carries a hex hash (Parcel's 8 hex) that its key does not; `index.html` maps to
itself. Detected by the file name only: by shape it is a webpack manifest.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from nginxcache.manifests import webpack
from nginxcache.model import ManifestFormat, ManifestReading

FILE_NAME = "parcel-manifest.json"
REASON = "bundle named by Parcel's parcel-manifest.json with a content hash its source's name does not carry"


def read(data: Any, file: Path) -> ManifestReading:
    reading = webpack.read(data, file)
    unhashed = [(entry, why.replace("webpack's manifest.json", FILE_NAME)) for entry, why in reading.unhashed]
    return dataclasses.replace(reading, format=ManifestFormat.PARCEL, hashed_reason=REASON, unhashed=unhashed)
