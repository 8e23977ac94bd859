"""`python manage.py nginxcache render|lint|probe|explain`: nginxcache's commands with
STATIC_ROOT, STATIC_URL and the staticfiles storage read from the project, the NGINXCACHE
setting for the rest, and a flag for each of its keys that overrides it."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, NoReturn

from django.core.management.base import BaseCommand, CommandError, CommandParser

from nginxcache.django import actions, conf
from nginxcache.django.site import error_line, read_config, read_site
from nginxcache.errors import ExitCode, NginxcacheError
from nginxcache.lint.report import ReportFormat
from nginxcache.probe import MAX_CONCURRENCY

# Django's own options, which it puts before the subcommand; accepted after it too.
_DJANGO_FLAGS: tuple[tuple[tuple[str, ...], dict[str, Any]], ...] = (
    (("-v", "--verbosity"), {"type": int, "choices": [0, 1, 2, 3]}),
    (("--settings",), {}),
    (("--pythonpath",), {}),
    (("--traceback",), {"action": "store_true"}),
    (("--no-color",), {"action": "store_true"}),
    (("--force-color",), {"action": "store_true"}),
    (("--skip-checks",), {"action": "store_true"}),
)


def _plain(text: str) -> str:
    return text


class _Parser(CommandParser):
    """A bad command line is one line and exit 2, as with the nginxcache program, not
    argparse's usage of some forty options above it."""

    def error(self, message: str) -> NoReturn:
        if self.called_from_command_line:
            self.exit(ExitCode.USAGE, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")
        raise CommandError(f"Error: {message}", returncode=ExitCode.USAGE)


class Command(BaseCommand):
    help = (
        "nginx caching config for this project's static files: render writes it, lint checks nginx's config, "
        "probe checks a live site, explain tells what one URL gets. STATIC_ROOT, STATIC_URL and the storage's "
        "manifest come from the settings; NGINXCACHE holds the rest; a flag overrides its key."
    )
    # NGINXCACHE is checked by the command itself: one line and its exit code, not the
    # system check framework's report.
    requires_system_checks: list[str] = []

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.__class__ = _Parser  # BaseCommand builds the parser itself; only error() differs
        return parser

    def add_arguments(self, parser: CommandParser) -> None:
        subcommands = parser.add_subparsers(
            dest="action", required=True, metavar="{render,lint,probe,explain}", parser_class=_Parser
        )
        render = subcommands.add_parser(
            "render",
            help="Write the nginx config (nothing changes when nothing changed).",
            description="Write the nginx config for STATIC_ROOT: every file gets the right Cache-Control, on the "
            "evidence of the storage's manifest. Only files that change are written, all or none.",
        )
        render.add_argument("--check", action="store_true", help="Write nothing; exit 1 if a file would change, 0 if not.")
        render.add_argument("--diff", action="store_true", help="Print a unified diff of each file that changes.")
        conf.add_flags(render, conf.Action.RENDER)

        explain = subcommands.add_parser("explain", help="Show why a file is cached as it is, and its headers.")
        explain.add_argument(
            "targets", nargs="+", metavar="PATH_OR_URL", help="A URL, a URL path (/static/x.css) or a path below the prefix."
        )
        conf.add_flags(explain, conf.Action.EXPLAIN)

        probe = subcommands.add_parser("probe", help="Check a live site's caching headers, file by file.")
        probe.add_argument("base_url", metavar="BASE_URL", help="The site's origin: https://www.example.com, http://127.0.0.1:8080.")
        probe.add_argument("--concurrency", type=int, default=8, metavar="N", help=f"Requests in flight at once (1-{MAX_CONCURRENCY}).")
        probe.add_argument("--timeout", type=float, default=10.0, metavar="SECONDS", help="Seconds to wait per request.")
        probe.add_argument("--format", dest="report_format", choices=("text", "json"), default="text", help="Report format.")
        conf.add_flags(probe, conf.Action.PROBE)

        lint = subcommands.add_parser("lint", help="Check nginx's config for caching mistakes, against these files.")
        lint.add_argument(
            "configs",
            nargs="*",
            type=Path,
            metavar="CONFIG",
            help="nginx config files [default: NGINXCACHE['NGINX_CONFIGS'], else /etc/nginx/nginx.conf].",
        )
        lint.add_argument("--select", metavar="CODES", help="Only these codes or code prefixes, comma-separated.")
        lint.add_argument("--ignore", metavar="CODES", help="Skip these codes or code prefixes, comma-separated.")
        lint.add_argument("--format", dest="report_format", choices=[f.value for f in ReportFormat], default="text",
                          help="Report format.")
        lint.add_argument("--fail-on", choices=("error", "warning"), default="warning",
                          help="Exit 1 for findings of this severity or worse.")
        lint.add_argument("--exit-zero", action="store_true", help="Exit 0 even when there are findings.")
        lint.add_argument("--nginx-test", dest="lint_nginx_test", action="store_true",
                          help="Also run the real `nginx -t` and report its errors.")
        conf.add_flags(lint, conf.Action.LINT)

        for subparser in (render, explain, probe, lint):
            for flags, kwargs in _DJANGO_FLAGS:
                subparser.add_argument(*flags, default=argparse.SUPPRESS, help=argparse.SUPPRESS, **kwargs)

    def handle(self, *args: Any, **options: Any) -> None:
        console = actions.Console(
            out=lambda text: self.stdout.write(text, ending=""),
            err=lambda text: self.stderr.write(text, style_func=_plain, ending=""),
            warning_style=self.style.WARNING,
        )
        try:
            config = conf.with_flags(read_config(), options)
            code = self._run(options["action"], config, console, options)
        except NginxcacheError as exc:
            raise CommandError(error_line(exc, options), returncode=exc.exit_code) from None
        if code:
            sys.exit(code)

    def _run(self, action: str, config: conf.Config, console: actions.Console, options: dict[str, Any]) -> int:
        site = read_site(config)
        if action == "render":
            return actions.render(site, config, console, check=options["check"], diff=options["diff"])
        if action == "explain":
            return actions.explain(site, config, console, options["targets"])
        if action == "probe":
            return actions.probe(
                site,
                config,
                console,
                options["base_url"],
                concurrency=options["concurrency"],
                timeout=options["timeout"],
                as_json=options["report_format"] == "json",
            )
        return actions.lint(
            site,
            config,
            console,
            options["configs"],
            select=options["select"],
            ignore=options["ignore"],
            report_format=options["report_format"],
            fail_on=options["fail_on"],
            exit_zero=options["exit_zero"],
            nginx_test=options["lint_nginx_test"],
        )
