"""What `manage.py nginxcache render|lint|probe|explain` do, on the pipeline as the CLI
does: each takes the project's static site and the options, prints through a Console and
returns its exit code; bad input raises NginxcacheError (the command turns it into a
CommandError with the error's exit code). The storage mixin renders through `render` too."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from nginxcache import pipeline
from nginxcache.django import conf
from nginxcache.django.site import StaticSite, base_dir, outputs, request
from nginxcache.errors import ExitCode, UsageError
from nginxcache.httpwire import parse_base_url
from nginxcache.lint.findings import Severity
from nginxcache.output import unified_diff
from nginxcache.policy import answer, format_answer
from nginxcache.probe import build_checks, format_json, format_text, run

DEFAULT_NGINX_CONFIG = Path("/etc/nginx/nginx.conf")


@dataclass(frozen=True, slots=True)
class Console:
    """Where an action prints: its output (a diff, a report) and its one-line messages."""

    out: Callable[[str], object]
    err: Callable[[str], object]
    warning_style: Callable[[str], str] = str

    @classmethod
    def standard(cls) -> Console:
        return cls(sys.stdout.write, sys.stderr.write)

    def note(self, message: str) -> None:
        self.err(f"nginxcache: {_one_line(message)}\n")

    def warn(self, message: str) -> None:
        self.err(self.warning_style(f"nginxcache: warning: {_one_line(message)}") + "\n")


def _one_line(message: str) -> str:
    """A message as one terminal line: control and line-separator characters escaped (as
    the CLI's one_line; the app never imports the CLI)."""
    return "".join(c if c.isprintable() or c == " " else c.encode("unicode_escape").decode("ascii") for c in message)


def _planned(site: StaticSite, config: conf.Config, console: Console, outputs: pipeline.Outputs | None = None) -> pipeline.Plan:
    """The plan, with the line saying what was read and the plan's warnings printed."""
    planned = pipeline.plan(request(site, config, outputs))
    console.note(site.summary())
    for message in planned.warnings:
        console.warn(message)
    return planned


def _notes(site: StaticSite, planned: pipeline.Plan, console: Console) -> None:
    """What was decided on the user's behalf, once the work is done (an error stays the only line)."""
    for message in (*site.notes, *planned.notes):
        # Without a manifest the app reads STATIC_ROOT as a Django build directory itself
        # (site.request): detect's note on a --framework nobody typed would only puzzle.
        if not message.startswith("--framework django:"):
            console.note(message)


def render(site: StaticSite, config: conf.Config, console: Console, *, check: bool = False, diff: bool = False) -> int:
    """`nginxcache render` with the project's files: --check, --diff or the files written
    (only those that change; all or none)."""
    given, default_directory = outputs(config, default_base=base_dir())
    planned = _planned(site, config, console, given)
    rendering = pipeline.render(planned)
    if config.nginx_test:
        pipeline.check_with_nginx(rendering, config.nginx)
    changes = pipeline.changes(rendering)
    if diff:
        for change in changes:
            console.out(unified_diff(change))
    if check:
        for change in changes:
            if change.changed:
                console.note(f"would change {change.path}")
        _notes(site, planned, console)
        return ExitCode.CHANGED if any(change.changed for change in changes) else ExitCode.OK
    new = [change.path for change in changes if not os.path.exists(change.path)]
    if default_directory is not None and new:
        default_directory.mkdir(exist_ok=True)
    pipeline.write(changes)
    _notes(site, planned, console)
    for change in changes:
        console.note(f"{change.path}: {'written' if change.changed else 'unchanged'}")
    if new:
        console.note(_where_to_include(given))
    return ExitCode.OK


def _where_to_include(given: pipeline.Outputs) -> str:
    if given.site is not None:
        return f"new file: link {given.site} into /etc/nginx/sites-enabled/ and reload nginx"
    server = f"include {given.server}; inside the site's server {{ }}"
    if given.http is None:
        return f"new file: {server}, then reload nginx"
    return f"new files: include {given.http}; inside http {{ }} and {server}, then reload nginx"


def explain(site: StaticSite, config: conf.Config, console: Console, targets: Sequence[str]) -> int:
    """The verdict, evidence and headers for each URL, under the policy render writes."""
    planned = _planned(site, config, console)
    for target in targets:
        console.out(format_answer(answer(target, planned.classification, planned.options, on_disk=True)))
    _notes(site, planned, console)
    return ExitCode.OK


def probe(
    site: StaticSite,
    config: conf.Config,
    console: Console,
    base_url: str,
    *,
    concurrency: int,
    timeout: float,
    as_json: bool,
) -> int:
    """Every file's caching headers from the live site: 1 when any breaks the policy."""
    origin = parse_base_url(base_url)
    planned = _planned(site, config, console)
    checks = build_checks(planned.classification, planned.options)
    report = run(origin, checks, concurrency=concurrency, timeout=timeout)
    console.out(format_json(report) if as_json else format_text(report, origin))
    _notes(site, planned, console)
    return ExitCode.CHANGED if report.violations else ExitCode.OK


def lint(
    site: StaticSite,
    config: conf.Config,
    console: Console,
    configs: Sequence[Path],
    *,
    select: str | None,
    ignore: str | None,
    report_format: str,
    fail_on: str,
    exit_zero: bool,
    nginx_test: bool,
) -> int:
    """nginx's config checked against the project's files: 1 for findings at `fail_on` or worse."""
    from nginxcache.lint.engine import LintOptions, all_codes, parse_codes
    from nginxcache.lint.engine import lint as lint_configs
    from nginxcache.lint.report import ReportFormat, render_report

    if not configs:
        configs = config.nginx_configs or ((DEFAULT_NGINX_CONFIG,) if DEFAULT_NGINX_CONFIG.is_file() else ())
    if not configs:
        raise UsageError(f"name the nginx config to lint (there is no {DEFAULT_NGINX_CONFIG}), or set NGINXCACHE['NGINX_CONFIGS']")
    manifests = [site.manifest] if site.manifest is not None else []
    manifests += [path for path, _ in site.found]
    manifests += config.manifests
    options = LintOptions(
        manifests=tuple(dict.fromkeys(manifests)),
        root=site.root,  # lint reads the files here: the local copy, wherever nginx serves them from (ROOT)
        prefix=config.prefix if config.prefix is not None else site.prefix,
        select=parse_codes(select, "--select"),
        ignore=parse_codes(ignore, "--ignore"),
        nginx_test=nginx_test,
        nginx=config.nginx,
    )
    console.note(site.summary())
    result = lint_configs(configs, options)
    for message in result.warnings:
        console.warn(message)
    console.out(render_report(result.findings, ReportFormat(report_format), all_codes()))
    for message in site.notes:
        console.note(message)
    if result.findings and report_format == ReportFormat.TEXT:
        counts = {level: sum(1 for finding in result.findings if finding.severity is level) for level in Severity}
        console.note(
            f"{len(result.findings)} finding(s) ({counts[Severity.ERROR]} error(s), {counts[Severity.WARNING]} warning(s), "
            f"{counts[Severity.NOTE]} note(s)) in {len(result.files)} file(s)"
        )
    failing = any(finding.severity.rank >= Severity(fail_on).rank for finding in result.findings)
    return ExitCode.CHANGED if failing and not exit_zero else ExitCode.OK
