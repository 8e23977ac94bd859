"""nginxcache's temporary files and directories: named so that a later run can tell its
own leftovers (this host, a process that is gone) from another run's work in progress, and
made beside the outputs rather than in TMPDIR, which may be small, full or elsewhere."""

from __future__ import annotations

import os
import re
import shutil
import socket
import tempfile
from pathlib import Path

from nginxcache.errors import WriteError

# Temporary names: `.<target>.nginxcache-<host>-<pid>.<random>.tmp` for a staged file,
# `.nginxcache-check-<host>-<pid>.<random>` for a directory the checks work in.
_HOST = re.sub(r"[^A-Za-z0-9-]", "-", socket.gethostname())[:64] or "host"
_OURS = re.compile(rf"\.(?:.+\.nginxcache|nginxcache-check)-{re.escape(_HOST)}-(\d+)\..+")


def staging_prefix(target: Path) -> str:
    return f".{target.name}.nginxcache-{_HOST}-{os.getpid()}."


def work_directory(beside: Path | None) -> tempfile.TemporaryDirectory[str]:
    """A temporary directory for the checks, in `beside` (an output's directory: TMPDIR may be
    small, full or elsewhere), else in TMPDIR. Raises WriteError when none can be made."""
    directory = beside if beside is not None and os.path.isdir(beside) else None
    try:
        return tempfile.TemporaryDirectory(prefix=f".nginxcache-check-{_HOST}-{os.getpid()}.", dir=directory)
    except OSError as exc:
        where = directory or Path(tempfile.gettempdir())
        raise WriteError(f"cannot make a temporary directory to check the output: {exc.strerror}", file=where) from None


def remove_stale(directory: Path) -> list[Path]:
    """Remove this host's temporary files and directories whose writing process is gone (a
    run killed between staging and renaming); returns what was removed."""
    removed: list[Path] = []
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return removed
    for entry in entries:
        found = _OURS.fullmatch(entry.name)
        if found is None or _alive(int(found.group(1))):
            continue
        try:
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path)
            else:
                os.unlink(entry.path)
        except OSError:
            continue
        removed.append(Path(entry.path))
    return removed


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's live process
    return True
