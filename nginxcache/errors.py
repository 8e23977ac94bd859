"""One error hierarchy for everything a user can get wrong, and the exit codes it maps to.

Every error names the file it is about and, where there is one, the JSON key path or line.
"""

from __future__ import annotations

from enum import IntEnum
from pathlib import Path


class ExitCode(IntEnum):
    """Exit codes of every nginxcache command (documented in README)."""

    OK = 0
    CHANGED = 1  # --check: a file would change; lint: findings
    USAGE = 2  # bad command line
    BAD_INPUT = 3  # a manifest or tree that cannot be read, parsed or trusted
    INVALID_OUTPUT = 4  # the rendered config failed its own checks or `nginx -t`
    WRITE_FAILED = 5  # the output could not be written (old file left intact)
    UNREACHABLE = 6  # probe: BASE_URL could not be reached at all


class NginxcacheError(Exception):
    """Base error: a one-line message naming the file and, if known, where in it."""

    exit_code: ExitCode = ExitCode.BAD_INPUT

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        key_path: str | None = None,
        line: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.file = str(file) if file is not None else None
        self.key_path = key_path
        self.line = line

    def __str__(self) -> str:
        where = self.file or ""
        if where and self.line is not None:
            where = f"{where}:{self.line}"
        if self.key_path:
            where = f"{where} at {self.key_path}" if where else self.key_path
        text = f"{where}: {self.message}" if where else self.message
        # Never let a hostile value break the one-line promise, or reach the terminal raw: C1
        # controls (U+009B is CSI to some terminals), U+2028, bidi controls, lone surrogates...
        return text if text.isprintable() else "".join(map(_printable, text))


def _printable(char: str) -> str:
    """`char`, or its escape (as repr() writes it) when it is not printable."""
    return char if char.isprintable() else repr(char)[1:-1]


class UsageError(NginxcacheError):
    exit_code = ExitCode.USAGE


class ManifestError(NginxcacheError):
    """A manifest that cannot be read, parsed or recognised."""


class UnsafeEntryError(NginxcacheError):
    """A manifest entry that could change the meaning of the config, or never match."""


class ValidationError(NginxcacheError):
    """The rendered config is not exactly what was intended; it is never written."""

    exit_code = ExitCode.INVALID_OUTPUT


class NginxTestError(NginxcacheError):
    """`nginx -t` rejected (or warned about) the rendered config."""

    exit_code = ExitCode.INVALID_OUTPUT


class WriteError(NginxcacheError):
    exit_code = ExitCode.WRITE_FAILED
