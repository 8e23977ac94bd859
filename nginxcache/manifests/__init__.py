"""Manifest readers, one module per build tool, and `load_manifest` which picks one."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

from nginxcache.errors import ManifestError
from nginxcache.manifests import (
    angular,
    cra,
    django,
    encore,
    esbuild,
    mix,
    parcel,
    propshaft,
    sprockets,
    vite,
    webassets,
    webpack,
    webpack_stats,
)
from nginxcache.model import ManifestFormat, ManifestReading

READERS: dict[ManifestFormat, Callable[[Any, Path], ManifestReading]] = {
    ManifestFormat.DJANGO: django.read,
    ManifestFormat.VITE: vite.read,
    ManifestFormat.WEBPACK: webpack.read,
    ManifestFormat.WEBPACK_STATS: webpack_stats.read,
    ManifestFormat.ENCORE: encore.read,
    ManifestFormat.MIX: mix.read,
    ManifestFormat.WEBASSETS: webassets.read,
    ManifestFormat.SPROCKETS: sprockets.read,
    ManifestFormat.PROPSHAFT: propshaft.read,
    ManifestFormat.CRA: cra.read,
    ManifestFormat.PARCEL: parcel.read,
    ManifestFormat.ESBUILD: esbuild.read,
    ManifestFormat.ANGULAR: angular.read,
}

# File names only one tool writes. A flat {name: URL} map (Parcel, old CRA, Propshaft <= 1.1,
# webassets) has webpack-manifest-plugin's shape: only its name tells them apart.
_BY_NAME: dict[str, ManifestFormat] = {
    mix.FILE_NAME: ManifestFormat.MIX,
    parcel.FILE_NAME: ManifestFormat.PARCEL,
    cra.FILE_NAME: ManifestFormat.CRA,
    angular.FILE_NAME: ManifestFormat.ANGULAR,
    propshaft.FILE_NAME: ManifestFormat.PROPSHAFT,
}


def detect(data: Any, path: Path) -> ManifestFormat:
    """Tell which build tool wrote `data` from its file name and shape."""
    name = path.name
    if name == "staticfiles.json" or django.looks_like(data):
        return ManifestFormat.DJANGO
    if name in _BY_NAME:
        return _BY_NAME[name]
    if sprockets.FILE_NAME.fullmatch(name) or sprockets.looks_like(data):
        return ManifestFormat.SPROCKETS
    if name.startswith(webassets.FILE_PREFIX):
        return ManifestFormat.WEBASSETS
    if webpack_stats.looks_like(data):  # before Encore: a full stats.json has `entrypoints` too
        return ManifestFormat.WEBPACK_STATS
    if encore.looks_like_entrypoints(data) or (webpack.looks_like(data) and encore.is_encore_build(path)):
        return ManifestFormat.ENCORE
    for fmt, looks_like in _BY_SHAPE:
        if looks_like(data):
            return fmt
    if isinstance(data, dict) and not data:
        raise ManifestError("empty manifest: cannot tell which build tool wrote it; pass --manifest-format", file=path)
    raise ManifestError(
        "not a manifest nginxcache knows (Django staticfiles.json; Vite, webpack or Encore manifest.json; "
        "webpack stats.json; mix-manifest.json; Sprockets or Propshaft manifest; asset-manifest.json; "
        "parcel-manifest.json; esbuild metafile; ngsw.json); pass --manifest-format if it is one",
        file=path,
    )


# Most specific shape first: Vite and webpack accept the widest ones.
_BY_SHAPE: tuple[tuple[ManifestFormat, Callable[[Any], bool]], ...] = (
    (ManifestFormat.ANGULAR, angular.looks_like),
    (ManifestFormat.ESBUILD, esbuild.looks_like),
    (ManifestFormat.WEBPACK_STATS, webpack_stats.looks_like),
    (ManifestFormat.CRA, cra.looks_like),
    (ManifestFormat.PROPSHAFT, propshaft.looks_like),
    (ManifestFormat.MIX, mix.looks_like),
    (ManifestFormat.VITE, vite.looks_like),
    (ManifestFormat.WEBPACK, webpack.looks_like),
)


# The JSON escapes that make a character no name may hold: a quote, a backslash, a control
# character (quoting.CONTROL_CHARACTERS: C0, DEL, C1, U+2028/9, the bidi controls), a lone
# surrogate. \u00e9 or an escaped pair for an emoji do not (Django's json.dumps escapes every
# non-ASCII character).
_UNSAFE_ESCAPE = re.compile(  # every branch starts at the backslash: the search skips to each one
    rb'\\(?:["\\bfnrt]|u(?:00[0189][0-9a-fA-F]|007[fF]|0022|005[cC]|061[cC]|200[eEfF]|202[89a-eA-E]|206[6-9]'
    rb"|[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F]))"
    rb"|(?<!\\u[dD][89abAB][0-9a-fA-F]{2}\\)u[dD][c-fC-F][0-9a-fA-F]{2})"
)
# Those of them beyond ASCII written raw, as UTF-8 (JSON needs no escape for them).
_UNSAFE_RAW = re.compile(b"\xc2[\x80-\x9f]|\xd8\x9c|\xe2\x80[\x8e\x8f\xa8-\xae]|\xe2\x81[\xa6-\xa9]")

# The largest manifest read, in bytes, unless --max-manifest-size says otherwise: 10x the
# largest real one. A Django staticfiles.json of a million entries is 100 MB (benchmarks/, 60-byte
# names), a few times that with non-ASCII names (json.dumps writes each as a 6-byte \uXXXX).
# Parsed, JSON takes 4-20x its size in memory: the limit bounds what a hostile file (a FIFO
# that never ends, a copy of /dev/zero, a huge file) can cost before it is refused.
MAX_MANIFEST_BYTES = 1 << 30
_READ_CHUNK = 1 << 20  # read size when the file's size is no guide (/proc files say 0)


def read_json(path: Path, *, max_bytes: int = MAX_MANIFEST_BYTES) -> Any:
    return _read_json(path, max_bytes=max_bytes)[0]


def _read_json(path: Path, *, max_bytes: int = MAX_MANIFEST_BYTES) -> tuple[Any, bool]:
    """(the parsed JSON, whether its strings are free of control characters, quotes,
    backslashes and lone surrogates: see ManifestReading.plain_strings)."""
    raw = _read_regular_file(path, max_bytes)
    plain = (
        b"\x7f" not in raw  # the other raw control characters are invalid JSON
        and (raw.isascii() or not _UNSAFE_RAW.search(raw))
        and (b"\\" not in raw or not _UNSAFE_ESCAPE.search(raw))
    )
    encoding = json.detect_encoding(raw[:4])  # only UTF-16 and UTF-32 tell from 4 bytes
    if encoding not in ("utf-8", "utf-8-sig"):
        raise ManifestError(f"is {encoding.upper()}, not UTF-8: JSON manifests are UTF-8 (RFC 8259)", file=path)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ManifestError(f"not UTF-8 (byte {exc.start})", file=path) from None
    del raw  # a big manifest: its bytes and its text need not both stay while it is parsed
    try:
        return json.loads(text, parse_constant=_refuse_constant), plain
    except json.JSONDecodeError as exc:
        raise ManifestError(f"invalid JSON at column {exc.colno}: {exc.msg}", file=path, line=exc.lineno) from None
    except _NotJson as exc:
        raise ManifestError(f"invalid JSON: {exc.args[0]} is not a JSON value (RFC 8259 has no NaN or Infinity)", file=path) from None
    except RecursionError:
        raise ManifestError("invalid JSON: nested too deeply", file=path) from None
    except ValueError as exc:  # a number over Python's int-string-conversion limit (4300 digits)
        raise ManifestError(f"JSON that Python cannot read: {_first_clause(exc)}", file=path) from None
    except MemoryError:
        raise ManifestError("too big to parse in this machine's memory", file=path) from None


class _NotJson(Exception):
    """A Python extension of JSON (NaN, Infinity, -Infinity) was found."""


def _refuse_constant(name: str) -> Any:
    raise _NotJson(name)


def _first_clause(exc: ValueError) -> str:
    """The ValueError's message up to its advice to the programmer ("use sys.set_int_...")."""
    return str(exc).split(";")[0]


_KINDS = {
    stat.S_IFIFO: "a FIFO",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFSOCK: "a socket",
    stat.S_IFDIR: "a directory",
}


def _not_regular(mode: int) -> str | None:
    """What kind of file `mode` is when it is not a regular file (one a read must end on)."""
    if stat.S_ISREG(mode):
        return None
    return _KINDS.get(stat.S_IFMT(mode), "not a file")


def _read_regular_file(path: Path, max_bytes: int) -> bytes:
    """The bytes of `path`, a regular file (or a symlink to one) of at most `max_bytes`.

    A FIFO would block the read forever and a device (a copy of /dev/zero) never end it:
    they are refused by a stat before they are opened (opening some devices acts: a tape
    rewinds, a watchdog starts), and by an fstat of what was opened, in case the path was
    swapped in between; O_NONBLOCK keeps that open from waiting for a FIFO's writer. The read
    stops one byte past the limit, whatever the file claims its size is."""
    try:
        kind = _not_regular(os.stat(path).st_mode)
        if kind is None:
            fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    except FileNotFoundError:
        raise ManifestError("no such file", file=path) from None
    except OSError as exc:
        raise ManifestError(f"cannot read: {exc.strerror}", file=path) from None
    if kind is not None:
        raise _refused(kind, path)
    try:
        status = os.fstat(fd)
        kind = _not_regular(status.st_mode)
        if kind is not None:
            raise _refused(kind, path)
        if status.st_size > max_bytes:
            raise _too_big(path, max_bytes)
        chunks: list[bytes] = []
        total = 0
        wanted = status.st_size + 1  # one read for the whole file, one more to see its end
        while total <= max_bytes:
            chunk = os.read(fd, min(max(wanted - total, _READ_CHUNK), max_bytes + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
    except OSError as exc:
        raise ManifestError(f"cannot read: {exc.strerror}", file=path) from None
    finally:
        os.close(fd)
    if total > max_bytes:
        raise _too_big(path, max_bytes)  # it grew while it was read, or said it was empty (/proc)
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def _refused(kind: str, path: Path) -> ManifestError:
    if kind == "a directory":
        return ManifestError("is a directory, not a manifest file", file=path)
    return ManifestError(f"not a regular file ({kind}): nginxcache reads manifests only from regular files", file=path)


def _too_big(path: Path, max_bytes: int) -> ManifestError:
    return ManifestError(
        f"larger than {max_bytes} bytes ({_size_text(max_bytes)}), the manifest size limit: "
        "--max-manifest-size raises it",
        file=path,
    )


def _size_text(size: int) -> str:
    for unit, power in (("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if size >= 1 << power and size % (1 << power) == 0:
            return f"{size >> power} {unit}"
    return f"{size} bytes"


# What each format's file is called, for messages.
_DESCRIBED: dict[ManifestFormat, str] = {
    ManifestFormat.DJANGO: "Django's staticfiles.json",
    ManifestFormat.VITE: "a Vite manifest",
    ManifestFormat.WEBPACK: "a webpack manifest.json",
    ManifestFormat.WEBPACK_STATS: "webpack's stats.json",
    ManifestFormat.ENCORE: "a Symfony Encore manifest",
    ManifestFormat.MIX: "a Laravel Mix mix-manifest.json",
    ManifestFormat.WEBASSETS: "a webassets manifest",
    ManifestFormat.SPROCKETS: "a Sprockets manifest",
    ManifestFormat.PROPSHAFT: "a Propshaft manifest",
    ManifestFormat.CRA: "a Create React App asset-manifest.json",
    ManifestFormat.PARCEL: "a parcel-manifest.json",
    ManifestFormat.ESBUILD: "an esbuild metafile",
    ManifestFormat.ANGULAR: "Angular's ngsw.json",
}


def load_manifest(path: Path, fmt: ManifestFormat | None = None, *, max_bytes: int = MAX_MANIFEST_BYTES) -> ManifestReading:
    """Read a manifest as `fmt`, or as the format detected from its name and content.
    `max_bytes`: a larger file is refused (--max-manifest-size)."""
    if fmt is not None and fmt not in READERS:
        raise ManifestError(f"--manifest-format {fmt.value} is not a manifest format: use --scan DIR for a directory", file=path)
    data, plain = _read_json(path, max_bytes=max_bytes)
    if fmt is None:
        reading = READERS[detect(data, path)](data, path)
    else:
        try:
            reading = READERS[fmt](data, path)
        except ManifestError as exc:
            raise _misnamed(data, path, fmt) or exc from None
    return dataclasses.replace(reading, plain_strings=plain)


def _misnamed(data: Any, path: Path, fmt: ManifestFormat) -> ManifestError | None:
    """When a manifest forced to `fmt` is clearly another tool's, an error that says so
    (rather than the first key the wrong reader stumbled on)."""
    try:
        actual = detect(data, path)
    except ManifestError:
        return None
    if actual is fmt:
        return None
    return ManifestError(
        f"this looks like {_DESCRIBED[actual]}, not {_DESCRIBED[fmt]}: drop --manifest-format to detect it, "
        f"or give --manifest-format {actual.value}",
        file=path,
    )
