"""The Typer application every command registers on."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

import typer
from typer.core import TyperArgument, TyperCommand

from nginxcache import __version__
from nginxcache.errors import ExitCode

Callback = TypeVar("Callback", bound=Callable[..., Any])


class _Argument(TyperArgument):
    """An argument whose --help line is its name and help: Typer would add the Python type
    (`MANIFEST <list[Path]>`), which tells a user nothing the metavar does not."""

    def display_type_rich(self, ctx: Any) -> str | None:  # Any: Click's Context, which Typer vendors
        return None


# Options whose value may be left out: `--spa` alone means `--spa index.html`.
OPTIONAL_VALUES = {"--spa": ("index.html", (".html", ".htm"))}


class Command(TyperCommand):
    """Every nginxcache command: its arguments shown without Python types."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for param in self.params:
            if type(param) is TyperArgument:
                param.__class__ = _Argument  # same fields: only how help shows it differs

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        return super().parse_args(ctx, with_optional_values(args))


def with_optional_values(args: list[str]) -> list[str]:
    """`--spa` without a page (what follows is no .html file: the build directory, another
    option, nothing) gets its default page; Typer has no option whose value may be left out."""
    result = []
    for i, arg in enumerate(args):
        if arg in OPTIONAL_VALUES:
            default, suffixes = OPTIONAL_VALUES[arg]
            following = args[i + 1] if i + 1 < len(args) else ""
            if not following.lower().endswith(suffixes) and following != "none":
                arg = f"{arg}={default}"
        result.append(arg)
    return result


app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    help="Right nginx caching for every static file, from the build tool's own manifest.",
)


def _print_version(value: bool) -> None:
    if value:
        print(f"nginxcache {__version__}")
        raise typer.Exit(ExitCode.OK)


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", is_eager=True, callback=_print_version, help="Print the version and exit.")] = False,
) -> None:
    """Right nginx caching for every static file, from the build tool's own manifest."""


def command(name: str | None = None, *, short_help: str) -> Callable[[Callback], Callback]:
    """Register a command on the app. `short_help` is its line in `nginxcache --help`,
    which Click would otherwise cut from the docstring with "..."."""
    return app.command(name, cls=Command, short_help=short_help)
