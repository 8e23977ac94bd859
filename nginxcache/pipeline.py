"""The render pipeline as a library: a `Request` (what to read, how to serve it, where to
write) becomes a `Plan` (the classification and the policy), then a checked `Rendering`,
then the files. The CLI, `explain`, `probe` and integrations (a Django command, an Ansible
module) all go through here, so every one of them computes the same policy.

    from nginxcache import pipeline
    request = pipeline.Request(manifests=(Path("dist/.vite/manifest.json"),), root="dist")
    planned = pipeline.plan(request)            # read, classify, check the options
    rendering = pipeline.render(planned)        # render and re-parse: never unchecked
    pipeline.check_with_nginx(rendering)        # optional: the real `nginx -t`
    changes = pipeline.changes(rendering)       # what writing would change (--check, --diff)
    pipeline.write(changes)                     # atomic: all files or none

Nothing here prints: warnings and notes come back in the Plan; errors are raised as
`nginxcache.errors.NginxcacheError` subclasses carrying their exit code.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from nginxcache.buildtree import Symlinks
from nginxcache.classify import SERVICE_WORKERS, classify, prefix_rule, root_inside_build, verify_regex
from nginxcache.detect import Detection, detect
from nginxcache.errors import ManifestError, UnsafeEntryError, UsageError
from nginxcache.linkversions import find_query_versions
from nginxcache.manifests import MAX_MANIFEST_BYTES, load_manifest
from nginxcache.manifests.webpack_stats import combine_stats
from nginxcache.model import (
    CachePolicy,
    CdnHeader,
    Classification,
    Entries,
    Entry,
    ManifestFormat,
    ManifestReading,
    Pages,
    PrefixRule,
    Strategy,
)
from nginxcache.nginxrun import nginx_test
from nginxcache.output import Change, write_all
from nginxcache.output import plan as plan_change
from nginxcache.policy import (
    DEFAULT_SKEW_CA,
    SERVER_CODE_PATTERN,
    RenderOptions,
    check_listen,
    check_name,
    default_name,
    default_prefix,
    normalise_prefix,
    normalise_root,
)
from nginxcache.quoting import unsafe_reason
from nginxcache.render import PartFiles, Rendered, render_http_part, render_server, render_site_part
from nginxcache.scan import scan as scan_directory
from nginxcache.validate import Directive, intended_http, intended_server, intended_site, validate_rendered

ONE_YEAR = 31_536_000
ONE_DAY = 86_400
# Measured on nginx 1.22: exact locations cost about 1.7 s and 734 MB per 100,000 at every
# reload and start; the map strategy loads a million in 1.7 s and 335 MB.
EXACT_WARN_ABOVE = 10_000
# The share of the manifests' hashed files that may be missing from a local tree before the
# prefix/root pairing is taken to be wrong (a build that was not copied whole is a warning).
MISPLACED_SHARE = 0.5


@dataclass(frozen=True, slots=True)
class Outputs:
    """Where the parts go. The map strategy needs http and server; a site file holds both."""

    http: Path | None = None
    server: Path | None = None
    site: Path | None = None

    def given(self) -> dict[str, Path]:
        """role -> path, for the outputs given."""
        return {role: path for role, path in (("http", self.http), ("server", self.server), ("site", self.site)) if path}


@dataclass(frozen=True, slots=True)
class Request:
    """Everything a render depends on, as a user states it (unchecked: `plan` checks it).

    `prefix` None means the manifest format's own default (Django `/static/`, Vite `/`...).
    `explain` and `probe` use the same request without outputs, so they compute exactly the
    policy that `render` writes.
    """

    manifests: tuple[Path, ...] = ()
    build_dir: Path | None = None  # what nginx serves: the tool that built it is detected (nginxcache.detect)
    framework: str | None = None  # the tool, instead of detecting it
    scan: tuple[Path, ...] = ()  # build directories without a manifest: hashes verified by content
    keep_manifests: tuple[Path, ...] = ()  # earlier builds, kept immutable while on disk
    manifest_format: ManifestFormat | None = None  # None: detected per manifest
    root: str | None = None  # what nginx serves the prefix from; None: the manifest's build directory
    prefix: str | None = None
    strategy: Strategy = Strategy.MAP
    pattern: str | None = None  # the regex strategy's pattern
    trust_pattern: str | None = None  # with scan: look-alikes vouched for by the user
    immutable_prefixes: tuple[str, ...] = ()  # URI prefixes the user vouches for (--immutable-prefix)
    immutable_prefix_excludes: tuple[str, ...] = ()  # carved out of them again (builds/latest.json)
    service_workers: tuple[str, ...] = ()  # beyond the known ones
    serve_manifest: bool = False
    deny_source_maps: bool = False
    max_age: int = ONE_YEAR
    unhashed_max_age: int = 0
    # CDN-facing headers: how long shared caches may keep unhashed files, and in which header
    cdn_max_age: int | None = None
    cdn_header: CdnHeader = CdnHeader.CACHE_CONTROL
    stale_while_revalidate: int | None = None
    missing_max_age: int = 0  # a missing file's 404: 0 is no-store
    # Skew protection: origins a file missing here is fetched from, in order (render only)
    skew_origins: tuple[str, ...] = ()
    skew_timeout: int = 2
    skew_ca: str = DEFAULT_SKEW_CA
    name: str | None = None  # in the output's variable names; None: from the root
    gzip_static: bool | None = None  # None: when the tree has .gz siblings
    gzip_proxied: bool = False
    brotli: bool = False
    cors_fonts: str | None = None
    add_headers: tuple[str, ...] = ()  # 'Name: value'
    headers_include: str | None = None
    map_hash_sizes: bool = True
    open_file_cache: bool = True
    max_manifest_bytes: int = MAX_MANIFEST_BYTES  # a manifest larger than this is refused (exit 3)
    disable_symlinks: Symlinks = Symlinks.REFUSE  # below --root; REFUSE: nothing outside it is ever served
    server_names: tuple[str, ...] = ()  # for a site file
    listen: tuple[str, ...] = ()  # for a site file
    # A whole site's pages; None: the detected tool's way (off without a build directory).
    clean_urls: bool | None = None
    not_found_page: str | None = None  # the 404 page below the prefix; "": none
    spa: str | None = None  # the single-page app's fallback page below the prefix; "": none
    outputs: Outputs = Outputs()


@dataclass(frozen=True, slots=True)
class Plan:
    """What the request resolves to: the verdict for every file and the policy that serves it."""

    request: Request
    classification: Classification
    options: RenderOptions
    sources: list[str]  # "manifest.json (vite)": named in the output's comments
    warnings: list[str] = field(default_factory=list)  # something is likely wrong
    notes: list[str] = field(default_factory=list)  # what was decided on the user's behalf
    detected: Detection | None = None  # what built the build directory, when one was given
    detected_line: str | None = None  # what was detected and the evidence found, for the user


@dataclass(frozen=True, slots=True)
class Rendering:
    """Each part's text, in pieces (a million map entries are never one string), checked."""

    plan: Plan
    parts: dict[str, tuple[str, ...]]  # role ('http', 'server', 'site') -> text pieces
    labels: dict[str, str]  # role -> what messages call it (its file, when there is one)

    def text(self, role: str) -> str:
        return "".join(self.parts[role])


def plan(request: Request) -> Plan:
    """Read the manifests (and the tree, when --root is on this machine), classify every
    file, and check the options against the result."""
    _check_request(request)
    warnings: list[str] = []
    notes: list[str] = []
    detected = detect(request.build_dir, request.framework) if request.build_dir is not None else None
    if detected is not None:
        request = _with_detected(request, detected)
        notes += detected.notes

    # webpack's stats.json given beside its manifest.json corrects it (removeKeyHash look-alikes)
    def read(path: Path) -> ManifestReading:
        return load_manifest(path, request.manifest_format, max_bytes=request.max_manifest_bytes)

    readings = combine_stats([read(path) for path in request.manifests])
    if detected is not None:
        # Their paths are the served tree's: the adapter copied the files there. What they
        # list without a visible hash is no evidence against the framework's own directory.
        readings += [
            dataclasses.replace(read(path), build_root=detected.root, manifest_relpath=None, unhashed=[])
            for path in detected.copied_manifests
        ]
    trust = compile_regex(request.trust_pattern, "--trust-pattern") if request.trust_pattern else None
    readings += [scan_directory(directory, trust_pattern=trust).reading for directory in request.scan]
    kept = [read(path) for path in request.keep_manifests]
    # os.path.isdir: a root this user may not enter counts as not on this machine (no traceback)
    local_root = Path(request.root) if request.root is not None and os.path.isdir(request.root) else None
    inside = {below for below in (root_inside_build(reading, local_root) for reading in readings) if below is not None}
    if request.prefix is not None:
        prefix = normalise_prefix(request.prefix)
        for below in inside:
            if not prefix.endswith("/" + below):
                warnings.append(
                    f"--root {request.root} is the build's {below} directory, whose files its pages ask for below "
                    f".../{below}; --prefix {prefix} serves them elsewhere (did you mean --prefix {prefix}{below}?)"
                )
    elif detected is not None and detected.prefix is not None:
        prefix = detected.prefix
        notes.append(f"serving at --prefix {prefix} ({detected.prefix_why}; give --prefix to change it)")
    elif not readings:
        raise UsageError("give --prefix: the URL path --root is served at cannot be told without a manifest")
    else:
        prefix, why = default_prefix(readings)
        if len(inside) == 1:  # --root dist/assets of a build served at /: its URL is /assets/
            below = inside.pop()
            prefix, why = prefix + below, f"{why}, and --root is its {below} directory"
        notes.append(f"serving at --prefix {prefix} ({why}; give --prefix to change it)")
    rules = _prefix_rules(request, detected, prefix)
    if detected is not None and detected.copied_from is not None and rules:
        copied = _copied_files(detected.copied_from, detected.root, prefix, rules, readings)
        if copied.unhashed:
            readings.append(copied)
    names, linked = _names_and_links(detected, prefix, trust, notes) if detected is not None else (None, None)
    if names is not None:
        readings.append(names)
    if linked is not None and linked.hashed:
        readings.append(linked)
    if request.root is not None and local_root is None:
        notes.append(
            f"--root {request.root} is not a directory on this machine: the tree checks were skipped "
            "(files missing or misplaced, names equal up to case on disk, precompressed siblings)"
        )
    classification = classify(
        readings,
        prefix,
        serve_manifest=request.serve_manifest,
        local_root=local_root,
        kept=kept,
        prefix_rules=rules,
        service_workers=(*SERVICE_WORKERS, *request.service_workers),
        symlinks=request.disable_symlinks,
    )
    warnings += classification.warnings
    _check_placement(classification, prefix, local_root, readings, warnings)
    pages = _pages(request, detected, local_root)

    strategy = request.strategy
    if strategy is not Strategy.MAP and classification.versioned:
        raise UsageError(f"query-string versions need the map strategy (nginx locations ignore ?args), not {strategy.value}")
    if strategy is Strategy.EXACT and len(classification.hashed_uris) > EXACT_WARN_ABOVE:
        warnings.append(
            f"{len(classification.hashed_uris)} exact locations: nginx needs about 1.7 s and 734 MB per 100,000 "
            "at every reload and start (32 s and 7.3 GB for 1M); the map strategy loads 1M in 1.7 s and 335 MB"
        )
    regex = _check_regex_strategy(request, classification, warnings) if strategy is Strategy.REGEX else None
    if request.cors_fonts is not None and strategy is not Strategy.MAP:
        raise UsageError("--cors-fonts needs the map strategy")
    if request.skew_origins and strategy is not Strategy.MAP:
        raise UsageError("--skew-origin needs the map strategy (a map stops requests from other servers' fallbacks)")
    if strategy is not Strategy.MAP and (pages.any or classification.contradicted_uris or not all(r.immutable for r in rules)):
        raise UsageError(
            "a site's pages (clean URLs, 404 page, --spa) and carve-outs of an immutable prefix need the map strategy, "
            f"not {strategy.value}"
        )
    # A --root on this machine is served from where it is, absolute (nginx reads a relative
    # alias against its own prefix); one elsewhere is taken as given.
    if local_root is not None:
        served_root = normalise_root(str(local_root.resolve()))
    elif request.root is not None:
        served_root = normalise_root(request.root)
    elif readings:
        served_root = normalise_root(str(readings[0].build_root.resolve()))
    else:
        raise UsageError("give --root: the directory nginx serves --prefix from")
    options = RenderOptions(
        prefix=prefix,
        root=served_root,
        name=check_name(request.name) if request.name is not None else default_name(served_root),
        strategy=strategy,
        policy=CachePolicy.from_ages(
            request.max_age,
            request.unhashed_max_age,
            cdn_max_age=request.cdn_max_age,
            stale_while_revalidate=request.stale_while_revalidate,
            cdn_header=request.cdn_header,
            missing_max_age=request.missing_max_age,
        ),
        hash_sizes=request.map_hash_sizes,
        server_names=request.server_names or ("_",),
        listen=tuple(check_listen(value) for value in (request.listen or ("80",))),
        extra_headers=tuple(_check_header(h) for h in request.add_headers),
        headers_include=_check_include(request.headers_include),
        cors_fonts=_check_origin(request.cors_fonts) if request.cors_fonts is not None else None,
        deny_source_maps=request.deny_source_maps,
        gzip_static=classification.gzip_siblings if request.gzip_static is None else request.gzip_static,
        gzip_proxied=request.gzip_proxied,
        brotli_static=request.brotli,
        regex=regex,
        serve_manifest=request.serve_manifest,
        symlinks=request.disable_symlinks,
        open_file_cache=request.open_file_cache,
        pages=pages,
        skew_origins=tuple(_check_skew_origin(origin) for origin in request.skew_origins),
        skew_timeout=request.skew_timeout,
        skew_ca=_check_include(request.skew_ca, "--skew-ca") or DEFAULT_SKEW_CA,
        deny_server_code=classification.tree_uris is not None
        and any(re.search(SERVER_CODE_PATTERN, uri) for uri in classification.tree_uris),
    )
    if prefix == "/" and classification.tree_uris is not None and "/index.php" in classification.tree_uris:
        warnings.append(
            "--root holds index.php, an application's front controller: at --prefix / this config answers the "
            "application's URLs from files (404, and .php never as source); give --prefix for the asset directories"
        )
    if classification.brotli_siblings and not options.brotli_static:
        warnings.append(".br files are present but served only with --brotli (Debian: libnginx-mod-http-brotli-static)")
    sources = [f"{Path(r.file).name} ({r.format})" for r in readings]
    if detected is not None:
        sources.insert(0, f"{detected.label} build directory {detected.build_dir.name}/")
    counts = (len(names.hashed) if names else 0, len(linked.hashed) if linked else 0)
    line = detected.summary(*counts, pages) if detected is not None else None
    return Plan(request, classification, options, sources, warnings, notes, detected, line)


def _with_detected(request: Request, detected: Detection) -> Request:
    """The request with what the user left unsaid taken from the detected tool."""
    return dataclasses.replace(
        request,
        manifests=(*request.manifests, *detected.manifests),
        root=request.root if request.root is not None else str(detected.root),
    )


def _prefix_rules(request: Request, detected: Detection | None, prefix: str) -> list[PrefixRule]:
    """The framework's own immutable directories, then the user's prefixes and carve-outs
    (a user's rule for the same prefix wins)."""
    rules: dict[str, PrefixRule] = {}
    if detected is not None:
        for rule in detected.prefix_rules:
            rules[prefix + rule.prefix] = rule._replace(prefix=prefix + rule.prefix)
    for value in request.immutable_prefixes:
        uri = _check_immutable_prefix(value, prefix, "--immutable-prefix")
        rules[uri] = PrefixRule(uri, True, "vouched for by the user (--immutable-prefix)")
    for value in request.immutable_prefix_excludes:
        uri = _check_immutable_prefix(value, prefix, "--immutable-prefix-exclude")
        rules[uri] = PrefixRule(uri, False, "carved out by the user (--immutable-prefix-exclude)")
    if any(not rule.immutable for rule in rules.values()) and not any(rule.immutable for rule in rules.values()):
        raise UsageError("--immutable-prefix-exclude carves out of an immutable prefix: give --immutable-prefix too")
    return sorted(rules.values(), key=lambda rule: (-len(rule.prefix), rule.prefix))


def _names_and_links(
    detected: Detection, prefix: str, trust: re.Pattern[str] | None, notes: list[str]
) -> tuple[ManifestReading | None, ManifestReading | None]:
    """The detected tool's evidence read from the served tree itself: names whose hash
    `scan` verifies, and the query-string versions its pages link, verified (each None
    where the tool leaves none).

    Scan's look-alikes (names it cannot verify) stay unlisted, no contradicting evidence:
    below a framework's immutable directory, or named by a manifest, they are what the
    framework or the manifest says."""
    names = dataclasses.replace(scan_directory(detected.root, trust_pattern=trust).reading, unhashed=[]) if detected.scan else None
    if not detected.links:
        return names, None
    linked = find_query_versions(detected.root, prefix)
    # A build id (Nuxt's `_payload.json?<uuid>`) is no content version: not worth a note.
    urls = sorted({where.rpartition(": ")[2] for where, _ in linked.unverified} - {""})
    urls = [url for url in urls if not _BUILD_ID_QUERY.search(url)]
    if urls:
        notes.append(f"{len(urls)} linked query-string version(s) are no digest of their file and revalidate: " + ", ".join(urls[:3]))
    return names, linked.reading


_BUILD_ID_QUERY = re.compile(r"\?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
COPIED_REASON = "copied as it is from the project's {}/ directory: no build output, revalidated"


def _copied_files(
    source: Path, root: Path, prefix: str, rules: Sequence[PrefixRule], readings: Sequence[ManifestReading]
) -> ManifestReading:
    """The files of the served tree below an immutable prefix that the project's public/
    directory holds too: the framework copied them as they are (a `public/assets/logo.png`
    lands in React Router's immutable assets/), so they are evidence against that prefix."""
    hashed = {path for reading in readings for path in _paths(reading)}
    why = COPIED_REASON.format(source.name)
    unhashed = []
    for directory, subdirs, files in os.walk(source):  # followlinks=False: never leaves the project
        subdirs.sort()
        for name in sorted(files):
            relpath = os.path.relpath(os.path.join(directory, name), source).replace(os.sep, "/")
            rule = prefix_rule(rules, prefix + relpath)
            below_immutable = rule is not None and rule.immutable
            if below_immutable and relpath not in hashed and os.path.isfile(root / relpath) and unsafe_reason(relpath) is None:
                unhashed.append((Entry(relpath, f"{source.name}/{relpath}"), why))
    return ManifestReading(ManifestFormat.SCAN, str(source), root, [], "", unhashed, manifest_relpath=None)


def _paths(reading: ManifestReading) -> Sequence[str]:
    hashed = reading.hashed
    return hashed.paths if isinstance(hashed, Entries) else [entry.path for entry in hashed]


def _pages(request: Request, detected: Detection | None, local_root: Path | None) -> Pages:
    """The site's page rules: the detected tool's, each overridden by the user's options."""
    pages = detected.pages if detected is not None else Pages()
    clean = pages.clean_urls if request.clean_urls is None else request.clean_urls
    not_found = pages.not_found if request.not_found_page is None else (request.not_found_page or None)
    spa = pages.spa_fallback if request.spa is None else (request.spa or None)
    for option, page in (("--not-found-page", not_found), ("--spa", spa)):
        if page is None:
            continue
        parts = page.split("/")
        if page.startswith("/") or unsafe_reason(page, expands_variables=True) or "?" in page or any(p in ("", ".", "..") for p in parts):
            raise UsageError(f"{option} {page!r}: give the page's path below --root, e.g. 404.html")
        if local_root is not None and not os.path.isfile(local_root / page):
            raise UsageError(f"{option} {page}: no such file in --root {local_root}")
    return Pages(clean, not_found, spa)


def render(planned: Plan) -> Rendering:
    """Render the parts the request's outputs ask for (both split parts when none is given),
    and re-parse each against the intended structure: a mismatch raises ValidationError."""
    classification, options, sources = planned.classification, planned.options, planned.sources
    outputs = planned.request.outputs
    parts: dict[str, tuple[Rendered | str, list[Directive]]] = {}
    if outputs.site:
        parts["site"] = (
            render_site_part(classification, options, sources),
            intended_site(classification, options, skeleton=True),
        )
    else:
        # Absolute, so that the same render from another directory writes the same text.
        files = PartFiles(
            http=os.path.abspath(outputs.http) if outputs.http else None,
            server=os.path.abspath(outputs.server) if outputs.server else None,
        )
        if options.strategy is Strategy.MAP:
            parts["http"] = (
                render_http_part(classification, options, sources, files),
                intended_http(classification, options, skeleton=True),
            )
        parts["server"] = (render_server(classification, options, sources, files), intended_server(classification, options))
    labels = {
        "http": str(outputs.http or "http-level part"),
        "server": str(outputs.server or "server-level part"),
        "site": str(outputs.site or "site"),
    }
    validate_rendered(parts, labels, classification, workdir=_work_directory(outputs))
    pieces = {role: tuple(r.chunks()) if isinstance(r, Rendered) else (r,) for role, (r, _) in parts.items()}
    return Rendering(planned, pieces, {role: labels[role] for role in pieces})


def check_with_nginx(rendering: Rendering, nginx: str | None = None) -> None:
    """The real `nginx -t` on a private config including the parts; any error or [warn]
    raises NginxTestError."""
    nginx_test(dict(rendering.parts), rendering.labels, nginx, workdir=_work_directory(rendering.plan.request.outputs))


def _work_directory(outputs: Outputs) -> Path | None:
    """Where the checks write their temporary files: beside the first output (TMPDIR may be
    small, full or on another disk), or TMPDIR when the parts are printed."""
    given = outputs.given()
    return Path(os.path.realpath(next(iter(given.values())))).parent if given else None


def changes(rendering: Rendering) -> list[Change]:
    """What writing each output would change (an unchanged file is never rewritten)."""
    outputs = rendering.plan.request.outputs.given()
    return [plan_change(path, rendering.parts[role]) for role, path in outputs.items()]


def write(planned_changes: Sequence[Change]) -> None:
    """Write every changed file, or none: staged beside each target, then renamed."""
    write_all(list(planned_changes))


def _check_request(request: Request) -> None:
    if request.max_age <= 0:
        raise UsageError("--max-age must be a positive number of seconds")
    if not 0 <= request.unhashed_max_age <= ONE_DAY:
        raise UsageError("--unhashed-max-age must be 0 (revalidate) to 86400 seconds: unhashed files change in place")
    for option, value, most in (
        ("--cdn-max-age", request.cdn_max_age, ONE_DAY),
        ("--stale-while-revalidate", request.stale_while_revalidate, ONE_DAY),
        ("--missing-max-age", request.missing_max_age, 3600),
    ):
        if value is not None and not 0 <= value <= most:
            raise UsageError(f"{option} must be 0 to {most} seconds, not {value}")
    if request.stale_while_revalidate and request.cdn_max_age is None and not request.unhashed_max_age:
        raise UsageError("--stale-while-revalidate extends a lifetime: give --cdn-max-age or --unhashed-max-age")
    if request.cdn_header is CdnHeader.CDN_CACHE_CONTROL and request.cdn_max_age is None:
        raise UsageError("--cdn-header cdn-cache-control says where --cdn-max-age goes: give --cdn-max-age")
    if not 1 <= request.skew_timeout <= 60:
        raise UsageError(f"--skew-timeout must be 1 to 60 seconds, not {request.skew_timeout}: an origin that is down must cost little")
    # --immutable-prefix-exclude alone goes on to _prefix_rules, which says what it lacks.
    if not (request.manifests or request.scan or request.build_dir or request.immutable_prefixes or request.immutable_prefix_excludes):
        raise UsageError("name a build directory or a manifest (or --scan a build directory, or give --immutable-prefix)")
    outputs = request.outputs
    if outputs.site and (outputs.http or outputs.server):
        raise UsageError("--site-out already holds both parts: use it alone, or --http-out with --server-out")
    if outputs.site is None and request.strategy is Strategy.MAP and bool(outputs.http) != bool(outputs.server):
        raise UsageError("the map strategy needs both --http-out and --server-out (the maps live in http { })")
    if request.strategy is not Strategy.MAP and outputs.http:
        raise UsageError(f"the {request.strategy.value} strategy has no http-level part: drop --http-out")
    if (request.server_names or request.listen) and not outputs.site:
        raise UsageError("--server-name and --listen are for --site-out")
    paths = [os.path.realpath(path) for path in outputs.given().values()]  # a symlink loop: refused when written
    if len(set(paths)) != len(paths):
        raise UsageError("--http-out and --server-out must be different files")


def _check_placement(
    classification: Classification,
    prefix: str,
    local_root: Path | None,
    readings: Sequence[ManifestReading],
    warnings: list[str],
) -> None:
    """Refuse a prefix/root pairing that puts most hashed files where the tree has none:
    rendered anyway, every one of them would be served `no-cache` (or 404), silently."""
    hashed = classification.hashed_uris
    _check_doubled_segment(classification, prefix, local_root, warnings)
    if classification.tree_uris is None or not hashed:
        return
    missing = classification.missing_uris
    if len(missing) <= MISPLACED_SHARE * len(hashed):
        return
    served_from = local_root if local_root is not None else readings[0].build_root
    example = missing[0]
    wanted = example[len(prefix) :]  # the file's path below --root, as the manifest has it
    name = wanted.rsplit("/", 1)[-1]
    found = next((uri for uri in classification.tree_uris if uri.rsplit("/", 1)[-1] == name), None)
    if found is None:
        seen, fix = f"the tree has no file named {name!r}", "give --root the directory the build was written to"
    else:
        have = found[len(prefix) :]  # where the tree has it, below --root
        seen = f"the tree has it as {served_from / have}"
        if wanted.endswith("/" + have):  # the URL holds a directory more than the tree: it is the prefix's
            fix = f"use --prefix {prefix}{wanted[: -len(have)]}"
        elif have.endswith("/" + wanted):  # the tree holds a directory more: it is the root's
            fix = f"use --root {served_from / have[: -len(wanted)]}"
        else:
            fix = "pair --prefix with the directory that URL path serves"
    raise ManifestError(
        f"{len(missing)} of {len(hashed)} hashed files the manifests name are not where --prefix {prefix} and "
        f"--root {served_from} put them: {example} would be {served_from / wanted}, but {seen}; {fix}",
        file=readings[0].file,
    )


def _check_doubled_segment(classification: Classification, prefix: str, local_root: Path | None, warnings: list[str]) -> None:
    """Every hashed URI repeats the prefix's last segment (`--prefix /assets/` over paths
    that already start `assets/`, served from the build directory): the pages ask for
    /assets/x.js, which this config serves from the build directory's x.js, a 404. Refused
    when the tree shows the directory the prefix was meant for; a warning without the tree."""
    last = prefix.rstrip("/").rsplit("/", 1)[-1]
    rest = classification.hashed_uris.rest
    # Sorted names: when the first and the last start with it, every name between does.
    if not last or not rest or not (rest[0].startswith(last + "/") and rest[-1].startswith(last + "/")):
        return
    if local_root is not None and os.path.isdir(local_root / last):
        raise ManifestError(
            f"every hashed URI starts {prefix}{last}/, but the pages ask for {prefix}...: --prefix {prefix} serves "
            f"{local_root}, whose {last}/ holds the files; use --root {local_root / last} (or --prefix "
            f"{prefix[: -len(last) - 1] or '/'} with --root {local_root})",
            file=str(local_root),
        )
    warnings.append(
        f"every hashed URI starts {prefix}{last}/: the manifest's paths already hold {last}/; "
        f"if that is not the URL, use --prefix {prefix[: -len(last) - 1] or '/'} with --root at the build directory"
    )


_HEADER_NAME = re.compile(r"[A-Za-z0-9-]{1,64}")
_SKEW_ORIGIN = re.compile(r"https?://(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?")
_ORIGIN = re.compile(r"\*|https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?")


def _check_header(line: str) -> tuple[str, str]:
    header, colon, value = line.partition(":")
    header, value = header.strip(), value.strip()
    if not colon or not value:
        raise UsageError(f"--add-header {line!r}: give 'Name: value'")
    if not _HEADER_NAME.fullmatch(header):
        raise UsageError(f"--add-header name {header!r} is not a header name")
    if header.lower() in ("cache-control", "expires", "vary", "etag", "last-modified"):
        raise UsageError(f"--add-header {header}: nginxcache sets the caching headers itself")
    reason = unsafe_reason(value, expands_variables=True)
    if reason:
        raise UsageError(f"--add-header {header} value {reason}")
    return header, value


def _check_include(path: str | None, option: str = "--headers-include") -> str | None:
    if path is None:
        return None
    if unsafe_reason(path, expands_variables=True) or not path:
        raise UsageError(f"{option} {path!r}: not a usable file path")
    return path


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _check_skew_origin(origin: str) -> str:
    """`http://host[:port]` or `https://...`, without a path: nginx passes the request's own
    URI (a named location's proxy_pass may not name one)."""
    text = origin.rstrip("/")
    if not _SKEW_ORIGIN.fullmatch(text):
        raise UsageError(
            f"--skew-origin {origin!r}: give an origin like http://10.0.0.5:8080 or https://assets.example.com, "
            "without a path (the request's own path is asked for)"
        )
    if text.startswith("https://") and _is_address(urlsplit(text).hostname or ""):
        raise UsageError(
            f"--skew-origin {origin!r}: nginx checks an https origin's certificate against a host name only, "
            "so an address never verifies: give the name its certificate carries, or http:// inside your network"
        )
    return text


def _check_origin(origin: str) -> str:
    if not _ORIGIN.fullmatch(origin):
        raise UsageError(f"--cors-fonts {origin!r}: give '*' or an origin like https://www.example.com")
    return origin


def _check_immutable_prefix(value: str, prefix: str, option: str) -> str:
    normalised = normalise_prefix(value)
    if not normalised.startswith(prefix) or normalised == prefix:
        raise UsageError(f"{option} {value!r} must lie below --prefix {prefix!r}")
    return normalised


def _check_regex_strategy(request: Request, classification: Classification, warnings: list[str]) -> str:
    if not request.pattern:
        raise UsageError("the regex strategy needs --pattern, e.g. '\\.[0-9a-f]{12}\\.[^/.]+$' for Django")
    if unsafe_reason(request.pattern):
        raise UsageError("--pattern contains a control character")
    compiled = compile_regex(request.pattern, "--pattern")
    if classification.tree_uris is None:
        raise UsageError("the regex strategy is verified against the files: --root must be the tree, on this machine")
    offenders, missed = verify_regex(classification, compiled)
    if offenders:
        shown = ", ".join(offenders[:10]) + (f" and {len(offenders) - 10} more" if len(offenders) > 10 else "")
        raise UnsafeEntryError(f"--pattern also matches {len(offenders)} file(s) that are not hashed: {shown}; use the map strategy")
    if missed:
        warnings.append(f"--pattern misses {len(missed)} hashed file(s), which will revalidate: {', '.join(missed[:3])}")
    return request.pattern


def compile_regex(pattern: str, option: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise UsageError(f"{option} is not a valid regex: {exc}") from None
