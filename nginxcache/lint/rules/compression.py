"""Precompressed files: gzip_static without gzip_vary (NC109), brotli without its module
(NC110)."""

from __future__ import annotations

from collections.abc import Iterator

from nginxcache.lint.context import LintContext
from nginxcache.lint.findings import Severity
from nginxcache.lint.rules.registry import Hit, rule
from nginxcache.lint.semantics import nearest

BROTLI_MODULES = {"brotli_static": "ngx_http_brotli_static_module", "brotli": "ngx_http_brotli_filter_module"}


@rule("NC109", Severity.WARNING, "gzip_static (or brotli_static) without gzip_vary on")
def static_without_vary(ctx: LintContext) -> Iterator[Hit]:
    for node in ctx.tree.walk():
        if node.name not in ("gzip_static", "brotli_static") or node.args[:1] != ("on",) or node.parent is None:
            continue
        vary = nearest(node.parent, "gzip_vary")
        if vary is None and not ctx.tree.reads_everything_of(node.parent):
            continue  # gzip_vary may come from an include this machine does not have
        if vary is None or vary.args[:1] != ("on",):
            where = f" (gzip_vary off at {vary.where})" if vary is not None else ""
            yield Hit(
                node,
                f"{node.name} on without gzip_vary on{where}: the compressed file goes out without "
                "Vary: Accept-Encoding, so a shared cache can hand it to clients that cannot decode it; "
                "add gzip_vary on;",
            )


@rule("NC110", Severity.ERROR, "brotli_static (or brotli) without its module loaded")
def brotli_without_module(ctx: LintContext) -> Iterator[Hit]:
    for node in ctx.tree.walk():
        module = BROTLI_MODULES.get(node.name)
        if module is None or node.args[:1] == ("off",) or ctx.module_loaded(module):
            continue
        yield Hit(
            node,
            f"{node.name} needs {module}, which no load_module loads: nginx -t fails with unknown directive "
            f'"{node.name}" (Debian: apt-get install libnginx-mod-http-brotli-static, loaded from '
            "/etc/nginx/modules-enabled/)",
        )
