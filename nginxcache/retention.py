"""Retention across builds: the hashed files of builds older than the last N that still lie
under the served root, and their removal. Every manifest is read and every file decided
before anything is removed; a file that a kept manifest names is never a candidate.

A directory holds one manifest per deployed build (the deploy copies each build's manifest
there, the current one included). Builds are ordered by the manifests' names, naturally
(`build-9` before `build-10`; UTC times as `20250107T1200Z` sort as they should), or by
their modification times with `Order.MTIME`.
"""

from __future__ import annotations

import json
import os
import re
import stat
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from nginxcache.classify import SERVICE_WORKERS, always_revalidated, is_dotfile
from nginxcache.errors import NginxcacheError, UnsafeEntryError, UsageError
from nginxcache.manifests import load_manifest
from nginxcache.model import Entries, ManifestFormat, ManifestReading
from nginxcache.policy import default_prefix, normalise_prefix
from nginxcache.quoting import asset_path_problem

PRECOMPRESSED = (".gz", ".br")  # siblings that go with the file they compress
# The newest build is the one being served: when fewer than this share of its hashed files
# are under the root, --root, --prefix or the order of the builds is wrong, and nothing is
# planned at all.
PRESENT_SHARE = 0.5


class Order(StrEnum):
    NAME = "name"  # the manifests' names, digits compared as numbers: they survive any copy
    MTIME = "mtime"  # their modification times (names break ties): for names that do not order


class RetentionError(NginxcacheError):
    """A manifest directory or root that cannot be used; nothing is removed."""


@dataclass(frozen=True, slots=True)
class OldFile:
    path: Path  # below the root, its directories resolved (no symlink in them)
    size: int
    builds: tuple[Path, ...]  # the old manifests that name it (the file itself, or the file it compresses)


@dataclass(frozen=True, slots=True)
class LeftAlone:
    path: str  # as the old manifest names it, below the root
    why: str


@dataclass(frozen=True, slots=True)
class RetentionPlan:
    root: Path  # resolved
    kept: list[Path]  # the last N manifests, newest first
    old: list[Path]  # the older ones, newest first
    files: list[OldFile]  # sorted by path
    shared: int  # files old builds name that a kept build names too: they stay
    left_alone: list[LeftAlone] = field(default_factory=list)

    @property
    def size(self) -> int:
        return sum(f.size for f in self.files)


@dataclass(frozen=True, slots=True)
class Removal:
    removed: list[OldFile]
    failed: list[tuple[Path, str]]  # (path, why): left on disk, and their builds' manifests too
    manifests_removed: list[Path]


# --- which builds ---------------------------------------------------------------------


def natural_key(name: str) -> tuple[tuple[int | str, ...], str]:
    """Digits compared as numbers (`build-9` < `build-10`), the name itself breaking ties."""
    parts = re.split(r"(\d+)", name)
    return tuple(int(part) if i % 2 else part for i, part in enumerate(parts)), name


def manifests_in(directory: Path, order: Order = Order.NAME) -> list[Path]:
    """The manifests (regular `*.json` files, not symlinks) of `directory`, oldest first."""
    try:
        with os.scandir(directory) as entries:
            found = [(Path(e.path), e.stat(follow_symlinks=False)) for e in entries if e.name.endswith(".json")]
    except NotADirectoryError:
        raise RetentionError("is not a directory (give the directory the deploys copy each build's manifest to)",
                             file=directory) from None
    except FileNotFoundError:
        raise RetentionError("no such directory", file=directory) from None
    except OSError as exc:
        raise RetentionError(f"cannot read: {exc.strerror}", file=directory) from None
    regular = [(path, info) for path, info in found if stat.S_ISREG(info.st_mode)]
    if not regular:
        raise RetentionError("holds no manifest (*.json): nothing tells which files a build needs", file=directory)
    if order is Order.MTIME:
        regular.sort(key=lambda item: (item[1].st_mtime_ns, natural_key(item[0].name)))
    else:
        regular.sort(key=lambda item: natural_key(item[0].name))
    return [path for path, _ in regular]


# --- what each build names ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Named:
    """What one manifest names below the root: its hashed files (those a removal may
    take), and every path it names at all (those it protects)."""

    hashed: list[str]
    every: list[str]


def _below_root(path: str, prefix: str, reading: ManifestReading, key_path: str) -> str:
    if path.startswith("/"):
        if not path.startswith(prefix):
            raise UnsafeEntryError(f"entry {path!r} lies outside --prefix {prefix!r} (check --prefix)",
                                   file=reading.file, key_path=key_path)
        path = path[len(prefix):]
    problem = asset_path_problem(path)
    if problem:
        raise UnsafeEntryError(f"entry {path!r} {problem}; refused", file=reading.file, key_path=key_path)
    return path


def named_by(reading: ManifestReading, prefix: str) -> _Named:
    """The paths below the root a manifest names. Only the outputs it says are hashed and
    that are served as such can go: not a page, a service worker, a web app manifest or a
    dotfile (served revalidated whatever their names), nor a file versioned by a query
    string (Mix's `app.js?id=...`: one name, rewritten by every build)."""
    hashed, every = [], []
    if isinstance(reading.hashed, Entries):
        entries: Iterator[tuple[str, str | None, int]] = ((path, None, i) for i, path in enumerate(reading.hashed.paths))
    else:
        entries = ((entry.path, entry.query, i) for i, entry in enumerate(reading.hashed))

    def where(index: int) -> str:
        return reading.hashed.where(index) if isinstance(reading.hashed, Entries) else reading.hashed[index].key_path

    for path, query, index in entries:
        rest = path[len(prefix):] if path.startswith("/") and path.startswith(prefix) else path
        if asset_path_problem(rest) is not None:  # the common case is checked without the key path
            rest = _below_root(path, prefix, reading, where(index))  # raises, naming the entry
        every.append(rest)
        uri = prefix + rest
        if query is None and not is_dotfile(uri) and always_revalidated(uri, SERVICE_WORKERS) is None:
            hashed.append(rest)
    for entry, _ in reading.unhashed:
        every.append(_below_root(entry.path, prefix, reading, entry.key_path))
    return _Named(hashed, every)


# --- planning -------------------------------------------------------------------------


class _Tree:
    """Paths below the resolved root as the file system has them: the directory part
    resolved (each directory once), so two spellings of one file (a symlinked directory)
    are one key, and a path whose directories lead out of the root is told apart."""

    def __init__(self, root: Path) -> None:
        self.root = str(root)
        self._directories: dict[str, str] = {}

    def key(self, rest: str) -> str | None:
        """The file's path with its directory resolved; None when that lies outside the root."""
        directory, _, name = rest.rpartition("/")
        real = self._directories.get(directory)
        if real is None:
            real = self._directories[directory] = os.path.realpath(os.path.join(self.root, directory))
        if real != self.root and not real.startswith(self.root.rstrip("/") + "/"):
            return None
        return os.path.join(real, name)


def plan_retention(
    directory: Path,
    root: Path,
    keep: int,
    *,
    prefix: str | None = None,
    manifest_format: ManifestFormat | None = None,
    order: Order = Order.NAME,
) -> RetentionPlan:
    """Which files of the builds older than the last `keep` can go. Every manifest is read
    first: one that cannot be read is an error, and nothing is planned."""
    if keep < 1:
        raise UsageError("--keep must be at least 1: the current build is one of the kept")
    manifests = manifests_in(directory, order)
    if not os.path.isdir(root):
        raise RetentionError("is not a directory on this machine (--root: the directory nginx serves the files from)",
                             file=root)
    readings = {path: load_manifest(path, manifest_format) for path in manifests}
    served_at = normalise_prefix(prefix) if prefix is not None else default_prefix(list(readings.values()))[0]
    named = {path: named_by(reading, served_at) for path, reading in readings.items()}
    kept, old = manifests[-keep:][::-1], manifests[:-keep][::-1]
    tree = _Tree(Path(os.path.realpath(root)))

    protected: set[str] = set()
    for manifest in kept:
        for rest in named[manifest].every:
            key = tree.key(rest)
            if key is not None:
                protected.update((key, *(key + suffix for suffix in PRECOMPRESSED)))
    _check_newest(kept[0], named[kept[0]], tree, root, served_at)

    files: dict[str, tuple[int, list[Path]]] = {}
    left_alone: dict[str, str] = {}
    shared: set[str] = set()
    for manifest in old:
        for rest in named[manifest].hashed:
            key = tree.key(rest)
            if key is None:
                left_alone.setdefault(rest, "its directory is a symlink that leads out of --root: not followed")
                continue
            if key in protected:
                shared.add(key)
                continue
            for candidate, shown in ((key, rest), *((key + s, rest + s) for s in PRECOMPRESSED)):
                if candidate in protected:
                    continue
                if candidate in files:
                    files[candidate][1].append(manifest)
                    continue
                size = _removable_size(candidate, shown, left_alone, sibling=candidate != key)
                if size is not None:
                    files[candidate] = (size, [manifest])
    return RetentionPlan(
        root=Path(tree.root),
        kept=kept,
        old=old,
        files=[OldFile(Path(path), size, tuple(builds)) for path, (size, builds) in sorted(files.items())],
        shared=len(shared),
        left_alone=[LeftAlone(path, why) for path, why in sorted(left_alone.items())],
    )


def _removable_size(path: str, shown: str, left_alone: dict[str, str], *, sibling: bool) -> int | None:
    """The size of a file (or symlink: the link is removed, never its target) that may be
    removed; None when it is gone or is something else (then said why, unless a sibling)."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        left_alone.setdefault(shown, f"cannot be looked at: {exc.strerror}")
        return None
    if stat.S_ISREG(info.st_mode) or stat.S_ISLNK(info.st_mode):
        return info.st_size
    if not sibling:
        left_alone.setdefault(shown, "not a file (a directory, a FIFO...): left alone")
    return None


def _check_newest(manifest: Path, named: _Named, tree: _Tree, root: Path, prefix: str) -> None:
    """The newest build is the one being served: most of its hashed files lie under the
    root, or the root, the prefix or the order of the builds is not what it seems."""
    if not named.hashed:
        return
    present = sum(1 for rest in named.hashed if (key := tree.key(rest)) is not None and os.path.lexists(key))
    if present < PRESENT_SHARE * len(named.hashed):
        raise RetentionError(
            f"is the newest build, but only {present} of its {len(named.hashed)} hashed files are under --root {root} "
            f"at --prefix {prefix}: check --root and --prefix, and that the order of the builds (--order) puts "
            "the one being served last; nothing removed",
            file=manifest,
        )


# --- removing -------------------------------------------------------------------------


def remove_old(plan: RetentionPlan) -> Removal:
    """Remove the planned files, then the manifests of the old builds whose files all went
    (a build with a file left keeps its manifest, so a later run tries again)."""
    removed: list[OldFile] = []
    failed: list[tuple[Path, str]] = []
    kept_manifests: set[Path] = set()
    for old_file in plan.files:
        try:
            os.unlink(old_file.path)
        except FileNotFoundError:
            pass  # gone since the plan: what was wanted
        except OSError as exc:
            failed.append((old_file.path, exc.strerror or type(exc).__name__))
            kept_manifests.update(old_file.builds)
            continue
        removed.append(old_file)
    manifests_removed = []
    for manifest in plan.old:
        if manifest in kept_manifests:
            continue
        try:
            os.unlink(manifest)
        except FileNotFoundError:
            continue
        except OSError as exc:
            failed.append((manifest, exc.strerror or type(exc).__name__))
            continue
        manifests_removed.append(manifest)
    return Removal(removed, failed, manifests_removed)


# --- output (pure) --------------------------------------------------------------------


def _size(size: int) -> str:
    if size < 1024:
        return f"{size} bytes"
    value, unit = size / 1024, "KiB"
    for bigger in ("MiB", "GiB"):
        if value < 1024:
            break
        value, unit = value / 1024, bigger
    return f"{value:.1f} {unit}"


def _builds(manifests: Sequence[Path]) -> str:
    names = [m.name for m in manifests]
    shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
    return f"{len(names)} build{'s' if len(names) != 1 else ''} ({shown})" if names else "no build"


def format_text(plan: RetentionPlan, removal: Removal | None = None) -> str:
    """Every path --delete removes (or removed), one a line: the old builds' files, then
    their manifests; then a summary."""
    files = removal.removed if removal is not None else plan.files
    manifests = removal.manifests_removed if removal is not None else plan.old
    lines = [str(f.path) for f in files] + [str(m) for m in manifests]
    count = len(files)
    counted = f"{count} file{'s' if count != 1 else ''} ({_size(sum(f.size for f in files))})"
    shared = f"; {plan.shared} file{'s' if plan.shared != 1 else ''} shared with a kept build stay" if plan.shared else ""
    kept = f"the last {_builds(plan.kept)}"
    if not plan.old:
        summary = f"keeping {kept}; no older build"
    elif removal is None:
        their = "its manifest" if len(plan.old) == 1 else "their manifests"
        summary = (f"keeping {kept}; {counted} of the older {_builds(plan.old)} would be removed, and {their}"
                   f"{shared}; run with --delete to remove them")
    else:
        gone = len(removal.manifests_removed)
        summary = (f"kept {kept}; removed {counted} of the older {_builds(plan.old)}, and {gone} "
                   f"manifest{'s' if gone != 1 else ''}{shared}")
    lines.append(f"nginxcache retain: {summary}")
    return "\n".join(lines) + "\n"


def format_json(plan: RetentionPlan, removal: Removal | None = None) -> str:
    return json.dumps({
        "root": str(plan.root),
        "kept": [str(m) for m in plan.kept],
        "old": [str(m) for m in plan.old],
        "files": [{"path": str(f.path), "bytes": f.size, "builds": [str(m) for m in f.builds]} for f in plan.files],
        "bytes": plan.size,
        "shared": plan.shared,
        "left_alone": [{"path": entry.path, "why": entry.why} for entry in plan.left_alone],
        "deleted": removal is not None,
        "removed": [str(f.path) for f in removal.removed] if removal is not None else [],
        "manifests_removed": [str(m) for m in removal.manifests_removed] if removal is not None else [],
        "failed": [{"path": str(path), "why": why} for path, why in removal.failed] if removal is not None else [],
    }, indent=2) + "\n"
