"""The `nginxcache probe` command, registered on the Typer app by cli.py."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the probe command to the app (cli.py calls this once, at import)."""
