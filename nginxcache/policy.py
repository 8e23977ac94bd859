"""What nginx will answer for one request under a rendered config: the verdict, its
evidence and the exact headers. Used by `explain`; derived from the same classification
and options as the render, not from the text of the config."""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from nginxcache.classify import explain as evidence_for
from nginxcache.classify import is_dotfile
from nginxcache.model import Classification, Strategy
from nginxcache.render import BUILD_MANIFEST_PATTERN, FONT_PATTERN, SOURCE_MAP_PATTERN, RenderOptions


@dataclass(frozen=True, slots=True)
class Answer:
    uri: str
    query: str
    served: bool  # False: nginxcache's config answers 404 on purpose
    hashed: bool
    why: str
    headers: tuple[tuple[str, str], ...]  # on 200/304; a 404 carries none of ours
    conditional: str  # what revalidation looks like


def request_target(text: str, prefix: str) -> tuple[str, str]:
    """(decoded, normalised $uri, raw query) for a URL, a URL path or a path below --prefix."""
    parts = urlsplit(text)
    path = parts.path if (parts.scheme or parts.netloc or text.startswith("/")) else prefix + parts.path
    uri = unquote(path, errors="surrogateescape")
    uri = re.sub("/+", "/", posixpath.normpath(uri)) + ("/" if uri.endswith("/") and uri != "/" else "")
    return uri, parts.query


def answer(text: str, classification: Classification, options: RenderOptions) -> Answer:
    uri, query = request_target(text, options.prefix)
    policy = options.policy
    if not uri.startswith(options.prefix):
        return Answer(uri, query, False, False, f"outside --prefix {options.prefix}: not handled by this config", (), "")
    denied = (
        "a dotfile: 404" if is_dotfile(uri)
        else "a build manifest: 404" if uri in classification.denied_uris
        or (not options.serve_manifest and re.search(BUILD_MANIFEST_PATTERN, uri))
        else "a source map, denied by --deny-source-maps: 404" if options.deny_source_maps and re.search(SOURCE_MAP_PATTERN, uri)
        else None
    )
    if denied:
        return Answer(uri, query, False, False, denied, (), "")
    hashed, why = evidence_for(classification, uri, query)
    if hashed and options.strategy is Strategy.REGEX and options.regex and not re.search(options.regex, uri):
        hashed, why = False, f"{why}; but --pattern does not match it, so it revalidates"
    headers = [("Cache-Control", policy.hashed_cache_control if hashed else policy.unhashed_cache_control)]
    headers += list(options.extra_headers)
    if options.cors_fonts and re.search(FONT_PATTERN.removeprefix("~*"), uri, re.IGNORECASE):
        headers.append(("Access-Control-Allow-Origin", options.cors_fonts))
    if options.gzip_static:
        headers.append(("Vary", "Accept-Encoding (when a .gz sibling is served)"))
    conditional = (
        "not needed for a year: the name changes with the content"
        if hashed
        else "every use: a conditional GET (If-None-Match / If-Modified-Since) gets 304 while unchanged"
        if policy.unhashed_cache_control == "no-cache"
        else f"after {policy.unhashed_cache_control.rsplit('=', 1)[-1]} s"
    )
    return Answer(uri, query, True, hashed, why, tuple(headers), conditional)


def format_answer(result: Answer) -> str:
    target = result.uri + (f"?{result.query}" if result.query else "")
    lines = [target]
    if not result.served:
        lines.append(f"  not served: {result.why}")
        return "\n".join(lines) + "\n"
    lines.append(f"  class:    {'hashed (immutable)' if result.hashed else 'unhashed (revalidated)'}")
    lines.append(f"  evidence: {result.why}")
    lines.append("  nginx sends on 200 and 304:")
    lines += [f"    {name}: {value}" for name, value in result.headers]
    lines.append(f"  revalidation: {result.conditional}")
    lines.append("  if the file is missing: a plain 404 without these headers")
    return "\n".join(lines) + "\n"
