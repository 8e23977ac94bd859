"""Writing rendered config the way ops tooling expects: atomically, only when it changed,
with --check and --diff.

All files of one run are staged first (temporary file in the target's directory, fsync,
the old file's mode and owner) and renamed into place only when every one was staged, in
the order given (the part that defines variables before the part that uses them).

Only regular files are written, or read as the current content: an output path that is a
device, a FIFO or a directory is refused, so that running as root can never replace
/dev/null or hang on a FIFO. Temporary files carry this host's name and the writing
process's id; a later run removes those whose process is gone (a run killed mid-write).
"""

from __future__ import annotations

import dataclasses
import difflib
import errno
import os
import stat
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from nginxcache.errors import WriteError
from nginxcache.tempfiles import remove_stale, staging_prefix

_ENCODING = ("utf-8", "surrogateescape")
_SLICE = 1 << 20  # characters encoded at a time when comparing


@dataclass(frozen=True, slots=True)
class Change:
    path: Path
    old: bytes | None  # the current content when the file changes; None: no file yet, or it stays
    new: str | tuple[str, ...]  # the new text, whole or in pieces (a million map entries)
    changed: bool

    def pieces(self) -> tuple[str, ...]:
        return (self.new,) if isinstance(self.new, str) else self.new

    @property
    def new_text(self) -> str:
        return "".join(self.pieces())


def _encoded(pieces: tuple[str, ...]) -> Iterator[bytes]:
    """The pieces' bytes, a slice at a time: a 70 MB piece is never encoded whole."""
    for piece in pieces:
        for start in range(0, len(piece), _SLICE):
            yield piece[start : start + _SLICE].encode(*_ENCODING)


def _same(stream: BinaryIO, size: int, pieces: tuple[str, ...]) -> bool:
    """Whether the file holds exactly the pieces' bytes: the sizes first, then slice by slice."""
    if size != sum(len(p) if p.isascii() else len(p.encode(*_ENCODING)) for p in pieces):
        return False
    return all(stream.read(len(data)) == data for data in _encoded(pieces))


_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISSOCK, "a socket"),
)


def check_target(path: Path) -> None:
    """Refuse an output path that is, or leads through symlinks to, anything but a regular
    file (a path that does not exist yet is fine: it will be one)."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise WriteError("a loop of symlinks: it leads to no file", file=path) from None
        raise WriteError(f"cannot examine it: {exc.strerror}", file=path) from None
    if not stat.S_ISREG(mode):
        kind = next((name for test, name in _KINDS if test(mode)), "not a regular file")
        raise WriteError(f"is {kind}: nginxcache writes only regular files (or symlinks to one)", file=path)


def plan(path: Path, new: str | tuple[str, ...] | list[str]) -> Change:
    """What writing `new` to `path` would change; the old content is read whole only when
    it differs (for --diff, and to put it back if a later file of the run fails)."""
    new = new if isinstance(new, str) else tuple(new)
    pieces = (new,) if isinstance(new, str) else new
    check_target(path)
    try:
        # O_NONBLOCK: a FIFO swapped in after the check must not hang the run.
        with os.fdopen(os.open(path, os.O_RDONLY | os.O_NONBLOCK), "rb") as stream:
            if _same(stream, os.fstat(stream.fileno()).st_size, pieces):
                return Change(path, None, new, changed=False)
            stream.seek(0)
            old = stream.read()
    except FileNotFoundError:
        return Change(path, None, new, changed=True)
    except IsADirectoryError:
        raise WriteError("is a directory", file=path) from None
    except OSError as exc:
        raise WriteError(f"cannot read the current file: {exc.strerror}", file=path) from None
    return Change(path, old, new, changed=True)



def _diff_lines(text: str) -> list[str]:
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n\\ No newline at end of file\n"
    return lines


def unified_diff(change: Change) -> str:
    """The diff of a change ('' when the file stays as it is)."""
    if not change.changed:
        return ""
    label = str(change.path)
    return "".join(
        difflib.unified_diff(
            _diff_lines((change.old or b"").decode(*_ENCODING)),
            _diff_lines(change.new_text),
            fromfile=label if change.old is not None else "/dev/null",
            tofile=label,
        )
    )


def _stage(change: Change, old: bytes | None = None) -> Path:
    """A temporary file beside the target holding the new content (or `old`, to restore)."""
    directory = change.path.parent
    if not os.path.isdir(directory):
        raise WriteError(f"directory {directory} does not exist", file=change.path)
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=staging_prefix(change.path), suffix=".tmp", dir=directory)
    except OSError as exc:
        raise WriteError(f"cannot create a file in {directory}: {exc.strerror}", file=change.path) from None
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            if old is not None:
                handle.write(old)
            else:
                handle.writelines(_encoded(change.pieces()))
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
    """Replace every changed file, or none.

    Nothing is renamed unless every file was staged; if a rename still fails, the files
    already replaced get their old content back. A symlinked target keeps its link: the
    file it points to is replaced.
    """
    for change in changes:
        check_target(change.path)
    changes = [dataclasses.replace(c, path=Path(os.path.realpath(c.path))) for c in changes if c.changed]
    for directory in dict.fromkeys(change.path.parent for change in changes):
        remove_stale(directory)
    staged: list[tuple[Path, Change]] = []
    try:
        for change in changes:
            staged.append((_stage(change), change))
    except WriteError:
        _discard(tmp for tmp, _ in staged)
        raise
    done: list[Change] = []
    for i, (tmp, change) in enumerate(staged):
        try:
            os.replace(tmp, change.path)
        except OSError as exc:
            _discard(t for t, _ in staged[i:])
            _restore(done)
            raise WriteError(f"cannot replace: {exc.strerror}; no file was changed", file=change.path) from None
        done.append(change)
        _fsync_dir(change.path.parent)


def _discard(paths: Iterable[Path]) -> None:
    for path in paths:
        path.unlink(missing_ok=True)


def _restore(done: list[Change]) -> None:
    for change in done:
        try:
            if change.old is None:
                change.path.unlink(missing_ok=True)
            else:
                os.replace(_stage(change, old=change.old), change.path)
        except (OSError, WriteError):
            continue


def _fsync_dir(directory: Path) -> None:
    try:
        dir_fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
