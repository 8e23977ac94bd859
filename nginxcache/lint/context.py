"""Everything a rule may ask about: the tree, its maps, the files a manifest or --root says
are served, and the per-URI verdicts computed once for all rules."""

from __future__ import annotations

import glob
import os
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property

from nginxcache.classify import SERVICE_WORKERS, always_revalidated
from nginxcache.lint.semantics import (
    Caching,
    Evaluator,
    MapDef,
    caching_at,
    find_location,
    never_matches,
    read_maps,
    servers,
    serving_problem,
)
from nginxcache.lint.suppress import content_addressed_lines
from nginxcache.lint.tree import ConfigTree, Node

SYSTEM_MODULE_CONFIGS = ("/etc/nginx/modules-enabled/*.conf", "/etc/nginx/nginx.conf")


@dataclass(frozen=True)
class ServedFiles:
    """URIs (decoded $uri form) a manifest or a local tree says the site serves."""

    hashed: frozenset[str]
    unhashed: frozenset[str]
    manifest_uris: frozenset[str]  # where the build manifests themselves would be served
    source: str  # for messages: "per staticfiles.json", "per the files under --root"
    from_manifest: bool = True  # False: --root alone, where a name carrying a hash counts as hashed


@dataclass(frozen=True)
class Placement:
    """One served file: the block nginx answers it from, and the caching it gets there."""

    server: Node
    uri: str
    hashed: bool
    target: Node
    caching: Caching


def page_kind(uri: str) -> str | None:
    """Why this file must always revalidate (HTML, service worker, web manifest), or None."""
    return always_revalidated(uri, SERVICE_WORKERS)


def system_loads_module(module: str) -> bool:
    """Whether this machine's nginx config loads `module` (Debian: modules-enabled/)."""
    for pattern in SYSTEM_MODULE_CONFIGS:
        for path in glob.glob(pattern):
            try:
                with open(path, encoding="utf-8", errors="replace") as handle:
                    if any(line.strip().startswith("load_module") and module in line for line in handle):
                        return True
            except OSError:
                continue
    return False


class LintContext:
    def __init__(
        self,
        tree: ConfigTree,
        served: ServedFiles | None = None,
        system_module: Callable[[str], bool] = system_loads_module,
        content_addressed: Sequence[re.Pattern[str]] = (),
    ) -> None:
        self.tree = tree
        self.served = served
        self.content_addressed = list(content_addressed)  # --content-addressed: URI regexes
        self._declared_lines = content_addressed_lines(tree.comments, tree.code_lines)
        self.maps: dict[str, list[MapDef]] = read_maps(tree)
        self.evaluator = Evaluator(self.maps)
        self._system_module = system_module

    def declared_content_addressed(self, uri: str, target: Node) -> bool:
        """The user says URLs here change with the content: `--content-addressed REGEX`
        matching the URI, or `# nginxcache: content-addressed` on the location (or one around it)."""
        if any(pattern.search(uri) for pattern in self.content_addressed):
            return True
        return any(block.line in self._declared_lines.get(block.file, set()) for block in (target, *target.ancestors()))

    @cached_property
    def servers(self) -> list[Node]:
        return servers(self.tree)

    @cached_property
    def placements(self) -> list[Placement]:
        """Where each file of the manifest or tree is served from, in every server."""
        if self.served is None:
            return []
        found: list[Placement] = []
        uris = [(uri, True) for uri in sorted(self.served.hashed)] + [(uri, False) for uri in sorted(self.served.unhashed)]
        for server in self.servers:
            for uri, hashed in uris:
                target = find_location(server, uri)
                if serving_problem(target) is None:
                    found.append(Placement(server, uri, hashed, target, caching_at(target, self.evaluator, uri)))
        return found

    def blocks(self) -> Iterator[Node]:
        """Every http, server, location and if block (files read in such a context too), but
        a location no URI can match and what it holds (NC120 reports it; nothing in it applies)."""
        for node in self.tree.walk():
            if node.block is None or node.name not in ("http", "server", "location", "if", "limit_except"):
                continue
            if any(never_matches(block) for block in (node, *node.ancestors()) if block.name == "location"):
                continue
            if node.name == "server" and not node.is_root and (node.parent is None or node.parent.name != "http"):
                continue  # stream and mail servers
            yield node

    def module_loaded(self, module: str) -> bool:
        """Whether nginx loads `module`: a load_module in the linted tree, or (when no whole
        nginx.conf is linted) in this machine's nginx config."""
        for node in self.tree.walk():
            if node.name == "load_module" and node.args and module in os.path.basename(node.args[0]):
                return True
        if any(root.name == "main" for root in self.tree.roots):
            return False
        return self._system_module(module)
