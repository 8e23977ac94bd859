"""A misspelt directive (NC118), found without `--nginx-test`, from crossplane's table of
nginx's directives. (A known directive in the wrong context is refused when the config is
read, with nginx's own "is not allowed here", exit 3.)

A name crossplane does not know may be a third-party module's (`brotli_static`,
`more_set_headers`, `lua_*`): only a name within two edits of a known directive, and of no
module listed here, is taken for a misspelling (`locaton`, `exipres`).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator

from crossplane import analyzer

from nginxcache.lint.context import LintContext
from nginxcache.lint.findings import Severity
from nginxcache.lint.rules.registry import Hit, rule
from nginxcache.lint.tree import Node

# Directives of widely used third-party modules that crossplane's table lacks.
THIRD_PARTY_PREFIXES = (
    "brotli", "more_", "lua_", "access_by_lua", "content_by_lua", "header_filter_by_lua", "body_filter_by_lua",
    "log_by_lua", "rewrite_by_lua", "set_by_lua", "init_by_lua", "init_worker_by_lua", "ssl_certificate_by_lua",
    "balancer_by_lua", "modsecurity", "pagespeed", "passenger_", "vhost_traffic_status", "auth_jwt", "js_",
    "headers_more", "geoip2", "naxsi", "njs_", "zstd", "echo", "set_real_ip_from", "testcookie", "sticky",
    "upload_", "push_stream", "rtmp", "nchan_", "ssl_ct", "security_headers", "srcache_", "redis2_", "memc_",
)
# nginx's own directives newer than crossplane's table (nginx 1.19 to 1.29).
NEWER_DIRECTIVES = frozenset({
    "http2", "http3", "http3_hq", "http3_max_concurrent_streams", "http3_stream_buffer_size", "quic_active_connection_id_limit",
    "quic_bpf", "quic_gso", "quic_host_key", "quic_retry", "add_header_inherit", "ssl_reject_handshake", "ssl_conf_command",
    "proxy_ssl_conf_command", "grpc_ssl_conf_command", "uwsgi_ssl_conf_command", "keepalive_time", "proxy_half_close",
    "ssl_alpn", "ssl_key_log", "mp4_start_key_frame", "limit_req_dry_run", "limit_conn_dry_run", "resolver_timeout",
    "proxy_pass_trailers", "ssl_certificate_cache", "proxy_ssl_certificate_cache", "ssl_object_cache_inheritable",
    "early_hints", "max_headers", "random_index", "auth_delay", "sendfile_max_chunk",
})
# Blocks whose contents are not directives (keys and values of a table).
_TABLES = frozenset({"map", "types", "geo", "split_clients", "charset_map", "match"})


def _in_table(node: Node) -> bool:
    parent = node.parent
    while parent is not None and not parent.is_root:
        if parent.name in _TABLES:
            return True
        parent = parent.parent
    return False


def _misspelling(name: str) -> str | None:
    """The known directive `name` is a likely misspelling of, or None."""
    if name.startswith(THIRD_PARTY_PREFIXES) or len(name) < 4:
        return None
    close = difflib.get_close_matches(name, analyzer.DIRECTIVES.keys(), n=1, cutoff=0.8)
    if not close:
        return None
    edits = sum(1 for op in difflib.SequenceMatcher(None, name, close[0]).get_opcodes() if op[0] != "equal")
    return close[0] if edits <= 2 else None


@rule("NC118", Severity.ERROR, "a misspelt directive (nginx -t fails: unknown directive)")
def misspelt_directives(ctx: LintContext) -> Iterator[Hit]:
    for node in ctx.tree.walk():
        if node.is_root or node.name in analyzer.DIRECTIVES or node.name in NEWER_DIRECTIVES or _in_table(node):
            continue
        known = _misspelling(node.name)
        if known is not None:
            yield Hit(node, f'unknown directive "{node.name}": did you mean "{known}"? nginx -t fails on it')
