"""esbuild's metafile (`--metafile=meta.json`): {"inputs": {...}, "outputs":
{"dist/main-EBMNEBGK.js": {"entryPoint": "src/main.js", "inputs": {...}, ...}}}.

Every output is listed, hashed or not: esbuild names entry points `[dir]/[name]` by
default and only chunks and assets `[name]-[hash]`. An output is hashed when its name
carries esbuild's 8-character base32 [hash] (hashtoken.base32_hash) that none of its
sources' names carries. Source maps revalidate (their name is their JS file's).

Output paths are relative to esbuild's working directory, which the metafile does not
record. The build root is the outputs' common directory (`outdir`, say `dist`), found
from where the metafile is: written inside it (`dist/meta.json`: the metafile's directory
ends with `dist`) or in the working directory (`meta.json` beside `dist/`). A metafile
kept anywhere else gives a wrong build root: pass --root.
"""

from __future__ import annotations

import os
import posixpath
from pathlib import Path, PurePosixPath
from typing import Any

from nginxcache.hashtoken import base32_hash
from nginxcache.manifests._common import expect_object, expect_string
from nginxcache.model import Entry, ManifestFormat, ManifestReading, key_path
from nginxcache.quoting import check_asset_path

REASON = "output listed by esbuild's metafile with esbuild's [hash] in its name"


def looks_like(data: Any) -> bool:
    return (
        isinstance(data, dict)
        and isinstance(data.get("outputs"), dict)
        and all(isinstance(info, dict) for info in data["outputs"].values())
        and set(data) <= {"inputs", "outputs"}
    )


def build_root(metafile: Path, outdir: str) -> Path:
    """Where `outdir` (relative to esbuild's working directory) is, judged from the
    metafile's place: see the module docstring."""
    parts = PurePosixPath(outdir).parts if outdir else ()
    named = tuple(part for part in parts if part != "..")
    here = metafile.parent
    for k in range(len(named), 0, -1):
        if here.parts[-k:] == named[:k]:
            return here.joinpath(*named[k:])
    return Path(os.path.normpath(here.joinpath(*parts))) if parts else here


def _split_leading_parents(output: str) -> tuple[str, str]:
    """("../../", "public/x.js") for "../../public/x.js": esbuild's outdir may lie above
    its working directory, but nowhere else may a path climb."""
    rest = output
    while rest.startswith("../"):
        rest = rest[3:]
    return output[: len(output) - len(rest)], rest


def read(data: Any, file: Path) -> ManifestReading:
    name = str(file)
    metafile = expect_object(data, file)
    outputs = expect_object(metafile.get("outputs"), file, "outputs")
    sources: dict[str, list[str]] = {}
    for output, raw_info in outputs.items():
        info = expect_object(raw_info, file, "outputs", output)
        _, below = _split_leading_parents(output)
        check_asset_path(below, file=name, key_path=key_path("outputs", output))
        if "entryPoint" in info:
            sources[output] = [expect_string(info["entryPoint"], file, "outputs", output, "entryPoint")]
        else:
            sources[output] = list(expect_object(info.get("inputs", {}), file, "outputs", output, "inputs"))
    outdir = posixpath.commonpath([posixpath.dirname(output) for output in outputs]) if outputs else ""
    if outdir and any(_split_leading_parents(output)[0] != _split_leading_parents(outdir + "/")[0] for output in outputs):
        outdir = ""  # outputs on both sides of the working directory: none in common
    hashed: list[Entry] = []
    unhashed: list[tuple[Entry, str]] = []
    for output, output_sources in sources.items():
        where = key_path("outputs", output)
        relative = check_asset_path(output[len(outdir) + 1 :] if outdir else output, file=name, key_path=where)
        entry = Entry(relative, where)
        if output.endswith(".map"):
            unhashed.append((entry, "a source map: esbuild names it after its JS file, not its own content"))
        elif all(base32_hash(output, source) for source in output_sources or [""]):
            hashed.append(entry)
        else:
            why = "listed by esbuild's metafile, but its name carries no [hash] (entry points are [dir]/[name] by default)"
            unhashed.append((entry, why))
    root = build_root(file, outdir)
    try:
        manifest_relpath: str | None = file.relative_to(root).as_posix()
    except ValueError:
        manifest_relpath = None
    return ManifestReading(
        format=ManifestFormat.ESBUILD,
        file=name,
        build_root=root,
        hashed=hashed,
        hashed_reason=REASON,
        unhashed=unhashed,
        manifest_relpath=manifest_relpath,
    )
