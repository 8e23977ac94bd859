"""What every command shares: one-line messages on stderr, the mapping of errors to exit
codes, and how a command ends."""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import NoReturn

import typer

from nginxcache.errors import NginxcacheError
from nginxcache.pipeline import Plan


def one_line(message: str) -> str:
    """A message as one terminal line: control and line-separator characters escaped."""
    return "".join(c if c.isprintable() or c == " " else c.encode("unicode_escape").decode("ascii") for c in message)


def error(message: str) -> None:
    print(f"nginxcache: error: {one_line(message)}", file=sys.stderr)


def warn(message: str) -> None:
    print(f"nginxcache: warning: {one_line(message)}", file=sys.stderr)


def note(message: str) -> None:
    """Something decided on the user's behalf (a default, a check skipped): not a problem."""
    print(f"nginxcache: {one_line(message)}", file=sys.stderr)


@contextmanager
def handle_errors() -> Iterator[None]:
    """Map every error to one line on stderr and its exit code; no traceback for bad input."""
    try:
        yield
    except NginxcacheError as exc:
        error(str(exc))
        raise typer.Exit(exc.exit_code) from None
    except KeyboardInterrupt:
        raise typer.Exit(130) from None


class _Process:
    # Set by cli.run(), the program's entry point; not for cli.main() called as a library.
    ends_at_finish = False


def end_process_at_finish() -> None:
    _Process.ends_at_finish = True


def finish(code: int) -> NoReturn:
    """End a command with `code`. As the `nginxcache` program, the process ends right here,
    its output flushed: what the command built (a million manifest strings, their lists) is
    not freed piece by piece just before the process ends anyway, a tenth of a second at
    10^6 entries (mypy ends the same way)."""
    if _Process.ends_at_finish:
        for stream in (sys.stdout, sys.stderr):
            with suppress(OSError, ValueError):  # a closed or broken pipe: nothing left to say
                stream.flush()
        os._exit(code)
    raise typer.Exit(code)


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off for the block. Nearly everything a command
    builds (a million manifest strings and their lists, lint's tree) lives until it returns,
    so each collection would only scan it again (a fifth of lint's time at 1e5 map entries)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def report(planned: Plan) -> None:
    """What was detected (one line), then the plan's warnings, one line each, on stderr:
    as soon as they are known."""
    if planned.detected_line is not None:
        note(planned.detected_line)
    for message in planned.warnings:
        warn(message)


def report_notes(planned: Plan) -> None:
    """The plan's notes (what was decided on the user's behalf), once the command has done
    its work: a failure's one line stays the only line."""
    for message in planned.notes:
        note(message)
