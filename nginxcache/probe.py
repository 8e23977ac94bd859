"""Live check of a deployed site: request every file the manifests name and report each
response whose caching headers break the policy that `render` writes.

Building the checks and judging the answers are pure; only `run` talks HTTP, through
`httpwire` (standard library only: sockets, ssl and a bounded ThreadPoolExecutor).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import TYPE_CHECKING
from urllib.parse import quote

from nginxcache.errors import UsageError
from nginxcache.httpwire import (
    Connections,
    Origin,
    Reply,
    RequestFailed,
    check_reachable,
)
from nginxcache.model import Classification
from nginxcache.policy import RenderOptions, answer

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
    from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

    if not 1 <= concurrency <= MAX_CONCURRENCY:
        raise UsageError(f"--concurrency must be 1 to {MAX_CONCURRENCY}")
    if not timeout > 0:
        raise UsageError("--timeout must be a positive number of seconds")
    connections = Connections(origin, timeout)
    if fetch is None:
        check_reachable(origin, timeout)
        fetch = connections.fetch
    results: list[list[Violation]] = [[] for _ in checks]
    requests = done = 0
    pending: dict[Future[tuple[int, list[Violation]]], int] = {}
    queue = iter(enumerate(checks))
    pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="nginxcache-probe")
    try:
        while True:
            # Submit a window at a time: a million-entry manifest never becomes a million futures.
            while len(pending) < 2 * concurrency and (item := next(queue, None)) is not None:
                pending[pool.submit(probe_check, item[1], fetch, origin)] = item[0]
            if not pending:
                break
            finished, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished:
                made, found = future.result()
                results[pending.pop(future)] = found
                requests += made
                done += 1
                if progress is not None:
                    progress(done, len(checks))
    finally:
        pool.shutdown(wait=not pending, cancel_futures=True)
        connections.close_all()
    return Report(len(checks), requests, [v for found in results for v in found])


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
