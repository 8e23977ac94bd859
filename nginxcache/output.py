"""Writing rendered config the way ops tooling expects: atomically, only when it changed,
with --check and --diff.

All files of one run are staged first (temporary file in the target's directory, fsync,
the old file's mode and owner) and renamed into place only when every one was staged.
"""

from __future__ import annotations

import difflib
import os
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path

from nginxcache.errors import WriteError


@dataclass(frozen=True, slots=True)
class Change:
    path: Path
    old: str | None  # None: the file does not exist yet
    new: str

    @property
    def changed(self) -> bool:
        return self.old != self.new


def plan(path: Path, new: str) -> Change:
    try:
        old = path.read_bytes().decode("utf-8", errors="surrogateescape")
    except FileNotFoundError:
        old = None
    except IsADirectoryError:
        raise WriteError("is a directory", file=path) from None
    except OSError as exc:
        raise WriteError(f"cannot read the current file: {exc.strerror}", file=path) from None
    return Change(path, old, new)


def unified_diff(change: Change) -> str:
    old_lines = (change.old or "").splitlines(keepends=True)
    new_lines = change.new.splitlines(keepends=True)
    label = str(change.path)
    return "".join(
        difflib.unified_diff(
            old_lines, new_lines, fromfile=label if change.old is not None else "/dev/null", tofile=label
        )
    )


def _stage(change: Change) -> Path:
    directory = change.path.parent
    if not directory.is_dir():
        raise WriteError(f"directory {directory} does not exist", file=change.path)
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{change.path.name}.", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise WriteError(f"cannot create a file in {directory}: {exc.strerror}", file=change.path) from None
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(change.new.encode("utf-8"))
            handle.flush()
            os.fsync(handle.fileno())
        try:
            current = change.path.stat()
            os.chmod(tmp, stat.S_IMODE(current.st_mode))
            if os.geteuid() == 0:
                os.chown(tmp, current.st_uid, current.st_gid)
        except FileNotFoundError:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise WriteError(f"cannot write: {exc.strerror}", file=change.path) from None
    return tmp


def write_all(changes: list[Change]) -> None:
    """Replace every changed file, or none: nothing is renamed unless all were staged."""
    staged: list[tuple[Path, Change]] = []
    try:
        for change in changes:
            if change.changed:
                staged.append((_stage(change), change))
    except WriteError:
        for tmp, _ in staged:
            tmp.unlink(missing_ok=True)
        raise
    for tmp, change in staged:
        try:
            os.replace(tmp, change.path)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise WriteError(f"cannot replace: {exc.strerror}", file=change.path) from None
        try:
            dir_fd = os.open(change.path.parent, os.O_RDONLY)
        except OSError:
            continue
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
