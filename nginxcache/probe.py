"""Live check of a deployed site: request every file the manifests name and report each
response whose caching headers break the policy that `render` writes. Against every
backend of a fleet, the same checks are the deploy gate before the HTML switch.

Building the checks and judging the answers are pure; only `run` and `run_backends` talk
HTTP, through `httpwire` (standard library only: sockets, ssl and a bounded ThreadPoolExecutor).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from enum import StrEnum
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar
from urllib.parse import quote

from nginxcache.errors import NginxcacheError, UsageError
from nginxcache.httpwire import (
    Connections,
    Origin,
    Reply,
    RequestFailed,
    UnreachableError,
    check_reachable,
    parse_base_url,
)
from nginxcache.model import Classification
from nginxcache.policy import SKEW_SERVED_HEADER, RenderOptions, answer

if TYPE_CHECKING:
    from concurrent.futures import Future

# ssl and concurrent.futures are imported where a probe runs: every other
# command (a render before each deploy) would pay for them at start.

MAX_CONCURRENCY = 64
ONE_DAY = 86_400
ENCODINGS = "gzip, br"


class Expect(StrEnum):
    HASHED = "hashed"  # 200 with exactly the long-lived immutable Cache-Control
    UNHASHED = "unhashed"  # 200, revalidated: a conditional GET gets 304
    DENIED = "denied"  # the rendered config answers 404 (build manifests, dotfiles)
    MISSING = "missing"  # a hashed-looking name that does not exist: a plain 404


@dataclass(frozen=True, slots=True)
class Check:
    uri: str  # decoded $uri
    target: str  # request target: percent-encoded path, raw query
    expect: Expect
    cache_control: str  # what the policy sends on 200/304; "" when not served
    why: str


@dataclass(frozen=True, slots=True)
class Violation:
    url: str
    uri: str
    request: str  # which request showed it: HEAD, GET If-None-Match, GET Accept-Encoding
    kind: str  # short stable name, e.g. cache-control-count
    problem: str
    status: int | None  # None: no answer at all


@dataclass(frozen=True, slots=True)
class Report:
    checked: int
    requests: int
    violations: list[Violation]


Fetch = Callable[[str, str, Mapping[str, str]], Reply]
Result = TypeVar("Result")


def request_path(uri: str, query: str = "") -> str:
    """The request target for a decoded URI: every byte outside unreserved characters escaped."""
    path = quote(uri.encode("utf-8", "surrogateescape"), safe="/-._~")
    return f"{path}?{query}" if query else path


def missing_uri(classification: Classification, options: RenderOptions) -> str:
    """A name shaped like a hashed output beside a real one, that no build produces."""
    if classification.hashed_uris:
        directory, _, name = classification.hashed_uris[0].rpartition("/")
        return f"{directory}/nginxcache-missing-{name}"
    return f"{options.prefix}nginxcache-missing.0123456789ab.js"


def build_checks(classification: Classification, options: RenderOptions) -> list[Check]:
    """Every file the manifests name (hashed and listed unhashed), every file of a local
    --root tree, the manifests themselves, and one missing hashed-looking name."""
    targets: dict[tuple[str, str], None] = {}
    for uri in (*classification.hashed_uris, *classification.unhashed_evidence, *classification.denied_uris):
        targets[(uri, "")] = None
    for uri, query in classification.versioned:
        targets[(uri, query)] = None
        targets[(uri, "")] = None
    for uri in classification.tree_uris or ():
        targets[(uri, "")] = None
    checks = []
    for uri, query in sorted(targets):
        if not uri.startswith(options.prefix) or uri.endswith("/"):
            continue
        target = request_path(uri, query)
        result = answer(target, classification, options)
        if not result.served:
            checks.append(Check(uri, target, Expect.DENIED, "", result.why))
            continue
        cache_control = dict(result.headers)["Cache-Control"]
        checks.append(Check(uri, target, Expect.HASHED if result.hashed else Expect.UNHASHED, cache_control, result.why))
    missing = missing_uri(classification, options)
    checks.append(Check(missing, request_path(missing), Expect.MISSING, "", "a hashed-looking name no build produced"))
    return checks


# --- judging answers (pure) -------------------------------------------------------------


def directives(values: Sequence[str]) -> list[tuple[str, str | None]]:
    """Cache-Control directives of all the given header values, as a cache combines them."""
    found: list[tuple[str, str | None]] = []
    for value in values:
        for part in value.split(","):
            name, eq, argument = part.strip().partition("=")
            if name.strip():
                found.append((name.strip().lower(), argument.strip().strip('"') if eq else None))
    return found


def longest_age(found: Sequence[tuple[str, str | None]]) -> int | None:
    """The longest max-age / s-maxage: what the most generous cache on the way may keep."""
    ages = [int(arg) for name, arg in found if name in ("max-age", "s-maxage") and arg is not None and arg.isdigit()]
    return max(ages) if ages else None


def _shown(values: Sequence[str]) -> str:
    return ", ".join(json.dumps(v) for v in values) if values else "none"


def _normalised(value: str) -> list[str]:
    return sorted(name if arg is None else f"{name}={arg}" for name, arg in directives([value]))


def unhashed_problem(values: Sequence[str], allowed: str) -> str | None:
    """Why these Cache-Control values cache a file that changes in place for too long, or None."""
    found = directives(values)
    names = {name for name, _ in found}
    limit = longest_age(directives([allowed])) or 0
    allowed_text = "no-cache" if limit == 0 else f"at most max-age={limit}"
    if "immutable" in names:
        return f"not content-hashed, but Cache-Control {_shown(values)} is immutable: browsers keep the old file after a deploy"
    if names & {"no-cache", "no-store"}:
        return None
    age = longest_age(found)
    if age is None:
        return (
            f"not content-hashed, and Cache-Control {_shown(values)} has neither max-age nor no-cache: "
            f"browsers cache it for a heuristic time without asking (expected {allowed_text})"
        )
    if age > limit:
        return f"not content-hashed, but Cache-Control {_shown(values)} caches it {age} s without revalidation (expected {allowed_text})"
    return None


def probe_check(check: Check, fetch: Fetch, origin: Origin) -> tuple[int, list[Violation]]:
    """Run the requests one check needs; (requests made, violations found)."""
    url = origin.url(check.target)
    found: list[Violation] = []
    made = 0

    def flag(request: str, kind: str, problem: str, reply: Reply | None) -> None:
        found.append(Violation(url, check.uri, request, kind, problem, reply.status if reply else None))

    def get(request: str, method: str, headers: Mapping[str, str]) -> Reply | None:
        nonlocal made
        made += 1
        try:
            return fetch(method, check.target, headers)
        except RequestFailed as exc:
            flag(request, "no-response", f"{request}: no answer: {exc}", None)
            return None

    head = get("HEAD", "HEAD", {})
    if head is None:
        return made, found
    cache_control = head.all("Cache-Control")

    if check.expect is Expect.MISSING:
        if head.status != 404:
            flag("HEAD", "missing-status", f"a missing hashed-looking name answered {head.status}, not 404 "
                 f"(Cache-Control {_shown(cache_control)})", head)
        found_directives = directives(cache_control)
        age = longest_age(found_directives)
        if any(name == "immutable" for name, _ in found_directives):
            flag("HEAD", "missing-immutable", f"{head.status} for a missing file with Cache-Control {_shown(cache_control)}: "
                 "immutable on a miss, a CDN may keep it for good", head)
        elif age is not None and age > ONE_DAY:
            flag("HEAD", "missing-long-lived", f"{head.status} for a missing file cached {age} s "
                 f"(Cache-Control {_shown(cache_control)})", head)
        return made, found

    if check.expect is Expect.DENIED:
        if head.status < 400:
            flag("HEAD", "denied-served", f"answered {head.status}, expected 404 ({check.why.removesuffix(': 404')})", head)
        return made, found

    if head.status != 200:
        flag("HEAD", "status", f"answered {head.status}, expected 200", head)
        return made, found
    fetched_from = head.all(SKEW_SERVED_HEADER)
    if fetched_from:
        flag("HEAD", "from-skew-origin", f"not on this server: answered by its {fetched_from[0]} (--skew-origin); "
             "copy the file here", head)
    if not cache_control:
        expected = json.dumps(check.cache_control)
        flag("HEAD", "cache-control-count", f"no Cache-Control header, expected {expected}" if check.expect is Expect.HASHED
             else f"no Cache-Control header: browsers cache it for a heuristic time (expected {expected})", head)
    elif len(cache_control) > 1:
        flag("HEAD", "cache-control-count", f"{len(cache_control)} Cache-Control headers ({_shown(cache_control)}), "
             "expected exactly one", head)
    if check.expect is Expect.HASHED:
        if len(cache_control) == 1 and _normalised(cache_control[0]) != _normalised(check.cache_control):
            flag("HEAD", "hashed-cache-control", f"content-hashed, but Cache-Control {_shown(cache_control)}, "
                 f"expected {json.dumps(check.cache_control)}", head)
    else:
        problem = unhashed_problem(cache_control, check.cache_control) if cache_control else None
        if problem:
            flag("HEAD", "unhashed-long-lived", problem, head)
        etag, last_modified = head.all("ETag"), head.all("Last-Modified")
        if not etag and not last_modified:
            flag("HEAD", "no-validator", "no ETag or Last-Modified: it cannot be revalidated, every use downloads it again", head)
        else:
            validator = {"If-None-Match": etag[0]} if etag else {"If-Modified-Since": last_modified[0]}
            request = f"GET {next(iter(validator))}"
            again = get(request, "GET", validator)
            if again is not None and again.status != 304:
                flag(request, "no-304", f"conditional GET ({request[4:]}: {json.dumps(next(iter(validator.values())))}) "
                     f"answered {again.status}, not 304", again)
            elif again is not None and again.all("Cache-Control") != cache_control:
                flag(request, "304-cache-control", f"the 304 sends Cache-Control {_shown(again.all('Cache-Control'))}, "
                     f"the 200 {_shown(cache_control)}", again)

    request = "GET Accept-Encoding"
    encoded = get(request, "GET", {"Accept-Encoding": ENCODINGS})
    if encoded is None:
        return made, found
    if encoded.status != 200:
        flag(request, "status", f"GET with Accept-Encoding: {ENCODINGS} answered {encoded.status}, expected 200", encoded)
        return made, found
    encodings = [v for v in encoded.all("Content-Encoding") if v.strip().lower() not in ("", "identity")]
    if encodings:
        vary = {token.strip().lower() for value in encoded.all("Vary") for token in value.split(",")}
        if not vary & {"accept-encoding", "*"}:
            flag(request, "vary-missing", f"Content-Encoding {_shown(encodings)} without Vary: Accept-Encoding: "
                 "a shared cache may give the encoded body to clients that cannot read it", encoded)
        if encoded.all("Cache-Control") != cache_control:
            flag(request, "encoded-cache-control", f"the encoded response sends Cache-Control "
                 f"{_shown(encoded.all('Cache-Control'))}, the plain one {_shown(cache_control)}", encoded)
    return made, found


def _in_pool(tasks: Iterable[Callable[[], Result]], concurrency: int, done: Callable[[int, Result], None]) -> None:
    """Run the tasks at most `concurrency` at a time; done(index, result) is called in this
    thread as each one finishes. Tasks are taken from the iterable a window at a time: a
    million-entry manifest never becomes a million futures."""
    from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

    pending: dict[Future[Result], int] = {}
    queue = iter(enumerate(tasks))
    pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="nginxcache-probe")
    try:
        while True:
            while len(pending) < 2 * concurrency and (item := next(queue, None)) is not None:
                pending[pool.submit(item[1])] = item[0]
            if not pending:
                break
            finished, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished:
                done(pending.pop(future), future.result())
    finally:
        pool.shutdown(wait=not pending, cancel_futures=True)


def _check_limits(concurrency: int, timeout: float) -> None:
    if not 1 <= concurrency <= MAX_CONCURRENCY:
        raise UsageError(f"--concurrency must be 1 to {MAX_CONCURRENCY}")
    if not timeout > 0:
        raise UsageError("--timeout must be a positive number of seconds")


def run(
    origin: Origin,
    checks: Sequence[Check],
    *,
    concurrency: int = 8,
    timeout: float = 10.0,
    progress: Callable[[int, int], None] | None = None,
    fetch: Fetch | None = None,
) -> Report:
    """Every check, at most `concurrency` at a time, each request bounded by `timeout`."""
    _check_limits(concurrency, timeout)
    connections = Connections(origin, timeout)
    if fetch is None:
        check_reachable(origin, timeout)
        fetch = connections.fetch
    results: list[list[Violation]] = [[] for _ in checks]
    counts = [0, 0]  # requests made, checks done

    def done(index: int, result: tuple[int, list[Violation]]) -> None:
        results[index] = result[1]
        counts[0] += result[0]
        counts[1] += 1
        if progress is not None:
            progress(counts[1], len(checks))

    try:
        _in_pool((partial(probe_check, check, fetch, origin) for check in checks), concurrency, done)
    finally:
        connections.close_all()
    return Report(len(checks), counts[0], [v for found in results for v in found])


# --- the deploy gate: every backend of a fleet --------------------------------------------

# A backend whose answers stop (this many checks in a row without a single answer) is given
# up: its other checks are not sent. Otherwise a backend that accepts connections and never
# answers would hold the gate for files x --timeout / --concurrency.
GIVE_UP_AFTER = 5
MAX_BACKENDS_FILE_BYTES = 1 << 20
GONE = (404, 410)


class BackendsFileError(NginxcacheError):
    """A --backends file that cannot be read, or a line that is not a backend's URL."""


@dataclass(frozen=True, slots=True)
class BackendReport:
    """One backend's answers, judged for the switch to the new build's HTML."""

    origin: Origin
    checked: int  # URLs asked
    requests: int
    violations: list[Violation]  # what makes the backend not ready (the missing files' included)
    missing: list[str]  # hashed files it answers 404 (or 410) for: the copy is incomplete
    pending: list[str]  # unhashed files it answers 404 for: they come with the HTML switch
    unreachable: str | None = None  # no connection at all: nothing was checked
    stopped: str | None = None  # it stopped answering: the rest was not checked

    @property
    def ready(self) -> bool:
        return self.unreachable is None and self.stopped is None and not self.violations


def parse_backends(text: str, file: str) -> list[Origin]:
    """One backend URL a line, as an inventory writes them; `#` starts a comment, blank
    lines are skipped, a backend named twice is probed once."""
    origins: dict[Origin, None] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        url = line.partition("#")[0].strip()
        if not url:
            continue
        try:
            origins[parse_base_url(url, "backend")] = None
        except UsageError as exc:
            raise BackendsFileError(exc.message, file=file, line=number) from None
    if not origins:
        raise BackendsFileError("names no backend (one URL a line: http://HOST[:PORT])", file=file)
    return list(origins)


def read_backends(path: Path) -> list[Origin]:
    """The backends a --backends file names. A FIFO is read too (`--backends <(...)`), up
    to a size no inventory reaches."""
    try:
        with open(path, "rb") as stream:
            raw = stream.read(MAX_BACKENDS_FILE_BYTES + 1)
    except FileNotFoundError:
        raise BackendsFileError("no such file", file=path) from None
    except IsADirectoryError:
        raise BackendsFileError("is a directory, not a file of backend URLs", file=path) from None
    except OSError as exc:
        raise BackendsFileError(f"cannot read: {exc.strerror}", file=path) from None
    if len(raw) > MAX_BACKENDS_FILE_BYTES:
        raise BackendsFileError(f"larger than {MAX_BACKENDS_FILE_BYTES >> 20} MiB: not a list of backends", file=path)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BackendsFileError(f"not UTF-8 (byte {exc.start})", file=path) from None
    return parse_backends(text, str(path))


def judge_backend(
    origin: Origin, checks: Sequence[Check], results: Sequence[tuple[int, list[Violation]] | None]
) -> BackendReport:
    """A backend's answers before the HTML switch. Every hashed file must be there with its
    long-lived headers. An unhashed file (a page, robots.txt) may be the old build's or not
    there yet: only how it is cached is judged, a 404 is no violation. `results[i]` None:
    check i was not made (the backend stopped answering)."""
    violations: list[Violation] = []
    missing: list[str] = []
    pending: list[str] = []
    requests = 0
    for check, result in zip(checks, results, strict=True):
        if result is None:
            continue
        requests += result[0]
        found = result[1]
        gone = any(v.request == "HEAD" and v.kind == "status" and v.status in GONE for v in found)
        if gone and check.expect is Expect.UNHASHED:
            pending.append(check.uri)
            continue
        if gone and check.expect is Expect.HASHED:
            missing.append(check.uri)
        violations += found
    not_checked = sum(result is None for result in results)
    stopped = (
        f"stopped answering ({GIVE_UP_AFTER} URLs in a row got no answer): {not_checked} of {len(checks)} URLs not checked"
        if not_checked else None
    )
    return BackendReport(origin, len(checks) - not_checked, requests, violations, missing, pending, stopped=stopped)


def run_backends(
    origins: Sequence[Origin],
    checks: Sequence[Check],
    *,
    concurrency: int = 8,
    timeout: float = 10.0,
    progress: Callable[[int, int], None] | None = None,
) -> list[BackendReport]:
    """Every check against every backend, in one pool of `concurrency` workers: at most that
    many requests in flight in all, as for one site, so a fleet is not asked harder than a
    site. The work is queued backend by backend, so each backend's keep-alive connections
    are reused while it is being asked. First one connection to each backend, all at once:
    a backend that is down costs one --timeout, not one per file."""
    _check_limits(concurrency, timeout)
    unreachable: dict[int, str] = {}

    def reach(origin: Origin) -> str | None:
        try:
            check_reachable(origin, timeout)
        except UnreachableError as exc:
            return exc.message
        return None

    def reached(index: int, failure: str | None) -> None:
        if failure is not None:
            unreachable[index] = failure

    _in_pool((partial(reach, origin) for origin in origins), concurrency, reached)
    live = [i for i in range(len(origins)) if i not in unreachable]
    connections = {i: Connections(origins[i], timeout) for i in live}
    results: dict[int, list[tuple[int, list[Violation]] | None]] = {i: [None] * len(checks) for i in live}
    silent = dict.fromkeys(live, 0)  # checks in a row that got no answer at all
    given_up: set[int] = set()
    lock = threading.Lock()
    total, done_count = len(live) * len(checks), 0

    def task(backend: int, check: Check) -> tuple[int, list[Violation]] | None:
        if backend in given_up:
            return None
        result = probe_check(check, connections[backend].fetch, origins[backend])
        answered = not (result[1] and result[1][0].kind == "no-response" and result[1][0].request == "HEAD")
        with lock:  # here, not as results come in: the next check a worker takes already knows
            silent[backend] = 0 if answered else silent[backend] + 1
            if silent[backend] >= GIVE_UP_AFTER:
                given_up.add(backend)
        return result

    def job(number: int) -> tuple[int, int]:
        """(backend, check index) of the number-th job: every check of one backend, then the next's."""
        position, index = divmod(number, len(checks))
        return live[position], index

    def done(number: int, result: tuple[int, list[Violation]] | None) -> None:
        nonlocal done_count
        backend, index = job(number)
        results[backend][index] = result
        done_count += 1
        if progress is not None:
            progress(done_count, total)

    try:
        tasks = (partial(task, backend, checks[index]) for backend, index in map(job, range(total)))
        _in_pool(tasks, concurrency, done)
    finally:
        for pool in connections.values():
            pool.close_all()
    reports = []
    for i, origin in enumerate(origins):
        if i in unreachable:
            reports.append(BackendReport(origin, 0, 0, [], [], [], unreachable=unreachable[i]))
        else:
            reports.append(judge_backend(origin, checks, results[i]))
    return reports


# --- output (pure) ---------------------------------------------------------------------


def format_text(report: Report, origin: Origin) -> str:
    lines = [f"{v.url}: {v.problem}" for v in report.violations]
    count = len(report.violations)
    verdict = f"{count} violation{'s' if count != 1 else ''}" if count else "no violation"
    lines.append(f"nginxcache probe: {verdict}; {report.checked} URLs checked at {origin.url('')} "
                 f"with {report.requests} requests")
    return "\n".join(lines) + "\n"


def format_json(report: Report) -> str:
    return json.dumps([asdict(v) for v in report.violations], indent=2) + "\n"


SHOWN_PER_BACKEND = 5  # problem lines under a backend in text; json lists all


def _backend_line(backend: BackendReport) -> str:
    where = backend.origin.url("")
    if backend.unreachable is not None:
        return f"{where}: unreachable: {backend.unreachable.removeprefix(f'cannot connect to {where}: ')}"
    if backend.ready:
        pending = f"; {len(backend.pending)} unhashed not there yet (they come with the switch)" if backend.pending else ""
        return f"{where}: ok, {backend.checked} URLs{pending}"
    missing = len(backend.missing)
    others = len({v.uri for v in backend.violations} - set(backend.missing))
    parts = [f"{missing} hashed file{'s' if missing != 1 else ''} missing"] if missing else []
    if others or not missing:
        parts.append(f"{others} URL{'s' if others != 1 else ''} with violations")
    if backend.stopped:
        parts.append(backend.stopped)
    return f"{where}: not ready: {', '.join(parts)} ({backend.checked} URLs checked)"


def format_backends_text(reports: Sequence[BackendReport], urls: int) -> str:
    """A line per backend, the first few problems of each below it, then a summary.
    `urls`: how many URLs each backend is asked for."""
    lines = []
    for backend in reports:
        lines.append(_backend_line(backend))
        problems = [f"  {uri}: missing (404)" for uri in backend.missing]
        problems += [f"  {v.uri}: {v.problem}" for v in backend.violations if v.uri not in backend.missing]
        lines += problems[:SHOWN_PER_BACKEND]
        if len(problems) > SHOWN_PER_BACKEND:
            lines.append(f"  ... and {len(problems) - SHOWN_PER_BACKEND} more (--format json lists every one)")
    ready = sum(b.ready for b in reports)
    unreachable = sum(b.unreachable is not None for b in reports)
    not_ready = len(reports) - ready - unreachable
    requests = sum(b.requests for b in reports)
    if ready == len(reports):
        verdict = f"all {len(reports)} backend{'s' if len(reports) != 1 else ''} ready"
    else:
        verdict = f"{ready} of {len(reports)} backends ready, {not_ready} not ready, {unreachable} unreachable"
    lines.append(f"nginxcache probe: {verdict}; {urls} URLs each, {requests} requests")
    return "\n".join(lines) + "\n"


def format_backends_json(reports: Sequence[BackendReport]) -> str:
    return json.dumps([
        {
            "backend": backend.origin.url(""),
            "ready": backend.ready,
            "unreachable": backend.unreachable,
            "stopped": backend.stopped,
            "checked": backend.checked,
            "requests": backend.requests,
            "missing": backend.missing,
            "pending": backend.pending,
            "violations": [asdict(v) for v in backend.violations],
        }
        for backend in reports
    ], indent=2) + "\n"
