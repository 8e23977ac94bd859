"""The command line, on top of the pipeline: the only place that prints or chooses exit
codes. One module per command; `main` runs the app as a library call, `run` is the program."""

from __future__ import annotations

import os
import sys

import typer

# Each command module registers its command on the app when imported, in --help's order.
from nginxcache.cli import render, scan, explain, lint, probe, retain  # noqa: F401  # isort: skip
from nginxcache.cli.app import app
from nginxcache.cli.common import end_process_at_finish, error
from nginxcache.errors import ExitCode

__all__ = ["app", "main", "run"]

INTERNAL_ERROR = 70  # EX_SOFTWARE: a bug, not bad input


def main(argv: list[str] | None = None) -> int:
    """Run one command; usage errors become one line and exit 2, like every other error.

    Typer >= 0.2x vendors Click, so its exceptions are recognised by their shape (an
    exit_code and format_message()), not by importing click.
    """
    try:
        result = app(args=argv, prog_name="nginxcache", standalone_mode=False)
    except typer.Exit as exc:
        return int(exc.exit_code)
    except typer.Abort:
        return 130
    except Exception as exc:
        if hasattr(exc, "format_message") and isinstance(getattr(exc, "exit_code", None), int):
            ctx = getattr(exc, "ctx", None)
            if type(exc).__name__ == "NoArgsIsHelpError" and ctx is not None:
                print(ctx.get_help())
            else:
                hint = f" (see '{ctx.command_path} --help')" if ctx is not None else ""
                error(f"{exc.format_message()}{hint}")
            return ExitCode.USAGE
        if os.environ.get("NGINXCACHE_DEBUG"):
            raise
        # A bug, not bad input: one line unless asked for more.
        error(f"internal error: {type(exc).__name__}: {exc} (set NGINXCACHE_DEBUG=1 for a traceback)")
        return INTERNAL_ERROR
    return int(result) if isinstance(result, int) else ExitCode.OK


def run() -> None:
    """The `nginxcache` program: main(), with commands that end the process when they finish."""
    end_process_at_finish()
    sys.exit(main())
