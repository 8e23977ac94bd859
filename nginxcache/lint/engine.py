"""`nginxcache lint`: read an nginx config tree, run every registered rule on it (with the
files a manifest or --root says are served), drop suppressed findings, sort the rest.

Pure apart from reading files and, with --nginx-test, running nginx: the CLI prints.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from nginxcache import pipeline
from nginxcache.classify import classify, explain, is_dotfile
from nginxcache.errors import NginxcacheError, UsageError
from nginxcache.hashtoken import base32_hash, hex_hash, vite_hash
from nginxcache.lint.context import (
    LintContext,
    ServedFiles,
    page_kind,
    system_loads_module,
)
from nginxcache.lint.findings import Finding, Severity
from nginxcache.lint.nginxtest import NGINX_TEST_CODES, nginx_test_findings
from nginxcache.lint.rules import RULES
from nginxcache.lint.rules.exposure import is_build_manifest
from nginxcache.lint.rules.registry import Hit
from nginxcache.lint.suppress import suppressions, unsuppressed
from nginxcache.lint.tree import ConfigError, load_tree
from nginxcache.manifests import load_manifest, read_json
from nginxcache.manifests.webpack_stats import combine_stats
from nginxcache.model import ManifestFormat, ManifestReading
from nginxcache.policy import default_prefix, normalise_prefix
from nginxcache.scan import scan

__all__ = ["ConfigError", "Finding", "LintOptions", "LintResult", "RULES", "Severity", "all_codes", "lint", "parse_codes"]

_CODE_PATTERN = re.compile(r"NC\d{0,3}")


@dataclass(frozen=True)
class LintOptions:
    manifests: tuple[Path, ...] = ()
    root: Path | None = None
    prefix: str | None = None  # None: the manifest format's default
    manifest_format: ManifestFormat | None = None  # None: detected
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    nginx_test: bool = False
    nginx: str | None = None
    # URIs the user declares content-addressed (`--content-addressed REGEX`): a digest segment
    # (/uploads/.../<sha1>.png) or a versioned prefix the config cannot show
    content_addressed: tuple[str, ...] = ()
    # `--context`: the context nginx reads the config files in (main, http, server, location);
    # None: inferred from their directives
    context: str | None = None
    # `--as`: where the one config file will live, for a copy checked elsewhere (Ansible's
    # `validate:`, Chef's `verify`): its relative includes are found from there, and its
    # findings name that path
    placed_at: Path | None = None


@dataclass
class LintResult:
    findings: list[Finding]
    warnings: list[str] = field(default_factory=list)  # from reading the manifests or the tree
    files: list[str] = field(default_factory=list)  # every config file read


# A config that cannot be read or parsed: exit 3, and in machine formats one finding of this
# code, so that whatever reads the report always gets a document (see cli/lint.py).
UNREADABLE_CODE = "NC000"


def all_codes() -> dict[str, tuple[Severity, str]]:
    """Every code lint can report: the rules, nginx -t's own, and NC000 for a config that
    cannot be read."""
    codes = {code: (rule.severity, rule.summary) for code, rule in RULES.items()}
    codes.update(NGINX_TEST_CODES)
    codes[UNREADABLE_CODE] = (Severity.ERROR, "the config cannot be read or parsed")
    return dict(sorted(codes.items()))


def parse_codes(text: str | None, option: str) -> tuple[str, ...]:
    """`NC101,NC2` -> ('NC101', 'NC2'): codes or code prefixes; unknown ones are a usage error."""
    if not text:
        return ()
    codes = tuple(part.strip().upper() for part in re.split(r"[,\s]+", text) if part.strip())
    known = all_codes()
    for code in codes:
        if not _CODE_PATTERN.fullmatch(code) or not any(k.startswith(code) for k in known):
            raise UsageError(f"{option} {code}: not a lint code (known: {', '.join(known)})")
    return codes


def selected(code: str, select: Sequence[str], ignore: Sequence[str]) -> bool:
    if select and not any(code.startswith(prefix) for prefix in select):
        return False
    return not any(code.startswith(prefix) for prefix in ignore)


def served_files(options: LintOptions) -> tuple[ServedFiles | None, list[str]]:
    """What the manifests (or the tree at --root) say the site serves under --prefix."""
    if not options.manifests and options.root is None:
        return None, []
    root = options.root
    if root is not None and not root.is_dir():
        if not options.manifests:
            raise UsageError(f"--root {root}: not a directory on this machine")
        root = None
    readings: list[ManifestReading] = []
    directories = [path for path in options.manifests if path.is_dir()]
    if directories:
        return _served_by_build_directory(directories, options)
    if options.manifests:
        readings = combine_stats([load_manifest(path, options.manifest_format) for path in options.manifests])
        prefix = normalise_prefix(options.prefix) if options.prefix is not None else default_prefix(readings)[0]
        classification = classify(readings, prefix, local_root=root)
        source = "per " + ", ".join(Path(reading.file).name for reading in readings)
        manifest_uris = set(classification.denied_uris)
    else:
        assert root is not None
        reading = scan(root).reading
        prefix = normalise_prefix(options.prefix) if options.prefix is not None else default_prefix([reading])[0]
        classification = classify([reading], prefix, local_root=root)
        source = f"per the files under {root} (no manifest: names without a hash token)"
        manifest_uris = {uri for uri in classification.tree_uris or () if is_build_manifest(uri[len(prefix) :])}
    hashed = set(classification.hashed_uris)
    if not options.manifests:
        # Without a manifest the name is the only evidence left: Vite's and webpack's hashes
        # are no plain digest of the content, so scan cannot verify them.
        hashed |= {uri for uri in classification.tree_uris or () if _name_has_hash(uri)}
    if classification.tree_uris is not None:
        unhashed = set(classification.tree_uris) - hashed
    else:
        unhashed = set(classification.unhashed_evidence) - hashed
    unhashed |= _django_originals(readings, prefix) - hashed
    unhashed -= {uri for uri, _ in classification.versioned}  # their ?id= query decides, not $uri
    unhashed -= manifest_uris
    served = ServedFiles(frozenset(hashed), frozenset(unhashed), frozenset(manifest_uris), source, bool(options.manifests))
    return served, list(classification.warnings)


def _served_by_build_directory(directories: list[Path], options: LintOptions) -> tuple[ServedFiles, list[str]]:
    """`--manifest BUILD_DIR`: the verdicts `render BUILD_DIR` writes, file by file."""
    if len(directories) > 1 or len(options.manifests) > 1:
        raise UsageError("--manifest: one build directory, without other manifests")
    planned = pipeline.plan(
        pipeline.Request(
            build_dir=directories[0], root=str(options.root) if options.root is not None else None, prefix=options.prefix
        )
    )
    classification = planned.classification
    tree = classification.tree_uris or []
    hashed = {uri for uri in tree if explain(classification, uri)[0]} | set(classification.hashed_uris)
    denied = set(classification.denied_uris)
    unhashed = set(tree) - hashed - denied - {uri for uri, _ in classification.versioned}
    source = f"per {planned.detected_line}"
    return ServedFiles(frozenset(hashed), frozenset(unhashed), frozenset(denied), source, True), planned.warnings


def _name_has_hash(uri: str) -> bool:
    name = posixpath.basename(uri)
    if page_kind(uri) is not None or is_dotfile(uri) or name.endswith(".map"):
        return False
    return bool(vite_hash(name) or hex_hash(name) or base32_hash(name))


def _django_originals(readings: Sequence[ManifestReading], prefix: str) -> set[str]:
    """The originals Django serves beside the hashed copies: the keys of `paths`."""
    originals: set[str] = set()
    for reading in readings:
        if reading.format is not ManifestFormat.DJANGO:
            continue
        data = read_json(Path(reading.file))
        paths = data.get("paths") if isinstance(data, dict) else None
        if isinstance(paths, dict):
            originals.update(prefix + key for key in paths if isinstance(key, str) and not key.startswith("/"))
    return originals


def lint(
    configs: Sequence[Path | str],
    options: LintOptions = LintOptions(),
    *,
    system_module: Callable[[str], bool] = system_loads_module,
) -> LintResult:
    """Every unsuppressed finding, sorted. Raises ConfigError (exit 3) for a config nginx
    could not read, ManifestError for a bad manifest, UsageError for bad options."""
    if not configs:
        raise UsageError("name at least one nginx config file")
    if options.placed_at is not None and len(configs) != 1:
        raise UsageError(f"--as {options.placed_at}: says where one config file will live; {len(configs)} were given")
    if options.placed_at is None:
        return _lint(configs, options, system_module)
    # Findings and errors name the file where it will live, not the copy read (a temporary
    # file whose name says nothing to whoever reads the message).
    copy, placed = str(configs[0]), str(options.placed_at)
    try:
        result = _lint(configs, options, system_module)
    except NginxcacheError as exc:
        if exc.file == copy:
            exc.file = placed
        raise
    result.findings = sorted(
        replace(f, file=placed if f.file == copy else f.file, message=f.message.replace(copy, placed)) for f in result.findings
    )
    result.warnings = [message.replace(copy, placed) for message in result.warnings]
    result.files = [placed if name == copy else name for name in result.files]
    return result


def _lint(configs: Sequence[Path | str], options: LintOptions, system_module: Callable[[str], bool]) -> LintResult:
    try:
        tree = load_tree(configs, context=options.context, placed_at=str(options.placed_at) if options.placed_at else None)
    except ConfigError as exc:
        if options.context is not None and exc.message.endswith("is not allowed here"):
            exc.message += f" (read in {options.context} context: --context)"
        raise
    served, warnings = served_files(options)
    declared = [_compiled(pattern) for pattern in options.content_addressed]
    context = LintContext(tree, served, system_module=system_module, content_addressed=declared)
    findings: set[Finding] = set()
    columns = _Columns()
    for code, rule in RULES.items():
        if not selected(code, options.select, options.ignore):
            continue
        for hit in rule.check(context):
            findings.add(_finding(code, hit.severity or rule.severity, hit, columns))
    if options.nginx_test:
        findings.update(f for f in nginx_test_findings(tree, options.nginx) if selected(f.code, options.select, options.ignore))
    kept = unsuppressed(findings, suppressions(tree.comments, tree.code_lines))
    return LintResult(sorted(kept), [*tree.warnings, *warnings], list(tree.files))


def _compiled(pattern: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise UsageError(f"--content-addressed {pattern!r} is not a valid regex: {exc}") from None


class _Columns:
    """1-based column of a directive on its line, from the file text."""

    def __init__(self) -> None:
        self._lines: dict[str, list[str]] = {}

    def column(self, file: str, line: int, word: str) -> int:
        if file not in self._lines:
            try:
                self._lines[file] = Path(file).read_text(encoding="utf-8", errors="replace").splitlines()
            except OSError:
                self._lines[file] = []
        lines = self._lines[file]
        if not 1 <= line <= len(lines):
            return 1
        index = lines[line - 1].find(word) if word else -1
        return index + 1 if index >= 0 else len(lines[line - 1]) - len(lines[line - 1].lstrip()) + 1


def _finding(code: str, severity: Severity, hit: Hit, columns: _Columns) -> Finding:
    node = hit.node
    line = node.line if node.line > 0 else 1
    col = 1 if node.is_root else columns.column(node.file, line, node.name)
    return Finding(node.file, line, col, code, severity, hit.message)


