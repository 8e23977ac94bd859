"""The work of the Ansible module `nginxcache.nginx.nginxcache_render`, without Ansible: the
module's parameters -> a pipeline Request -> the checked rendering, `nginx -t` when asked ->
check mode, diff mode or the files written -> the result the module returns.

The module file (nginxcache/ansible/plugins/modules/nginxcache_render.py) declares the
options and hands them here. Its option names are render's flags in snake_case, with the same
defaults; a bad value or input raises NginxcacheError, whose text is the module's one-line msg.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from nginxcache import pipeline
from nginxcache.buildtree import Symlinks
from nginxcache.errors import UsageError
from nginxcache.manifests import MAX_MANIFEST_BYTES
from nginxcache.model import CdnHeader, ManifestFormat, Strategy
from nginxcache.output import Change
from nginxcache.policy import DEFAULT_SKEW_CA

# The module's options that are paths on the managed host: a module runs in a working
# directory of Ansible's choosing, so a relative path would name a file nobody meant.
ABSOLUTE_PATHS = ("manifests", "keep_manifest", "scan", "root", "http_out", "server_out", "site_out")


@dataclass(frozen=True, slots=True)
class Outcome:
    """What the module returns, and the warnings it shows (AnsibleModule.warn)."""

    result: dict[str, Any]
    warnings: list[str]


def run(params: Mapping[str, Any], *, check_mode: bool = False, diff_mode: bool = False) -> Outcome:
    """Render as `nginxcache render` would with these options, and write only what changes
    (nothing in check mode). With `nginx_test`, a config that `nginx -t` refuses raises
    NginxTestError before anything is written."""
    request = request_from(params)
    if not request.outputs.given():
        raise UsageError("give http_out and server_out (or site_out): the files the module writes")
    planned = pipeline.plan(request)
    rendering = pipeline.render(planned)
    tested = _flag(params, "nginx_test", False)
    if tested:
        pipeline.check_with_nginx(rendering, _text(params, "nginx"))
    changes = pipeline.changes(rendering)
    changed = any(change.changed for change in changes)
    if changed and not check_mode:
        pipeline.write(changes)
    roles = list(request.outputs.given())
    result: dict[str, Any] = {
        "changed": changed,
        "msg": _summary(changes, check_mode),
        "files": [{"path": str(c.path), "role": role, "changed": c.changed} for role, c in zip(roles, changes, strict=True)],
        "written": [] if check_mode else [str(c.path) for c in changes if c.changed],
        "detected": _detected(planned),
        "sources": list(planned.sources),
        "prefix": planned.options.prefix,
        "root": planned.options.root,
        "name": planned.options.name,
        "strategy": planned.options.strategy.value,
        "hashed": len(planned.classification.hashed_uris),
        "immutable_prefixes": [rule.prefix for rule in planned.classification.prefix_rules if rule.immutable],
        "nginx_tested": tested,
        "notes": list(planned.notes),
    }
    if diff_mode:
        result["diff"] = [_diff(change) for change in changes if change.changed]
    return Outcome(result, list(planned.warnings))


def request_from(params: Mapping[str, Any]) -> pipeline.Request:
    """The pipeline request the module's options state, as `nginxcache render` builds it
    from the same flags (a directory among `manifests` is the build directory)."""
    for option in ABSOLUTE_PATHS:
        for path in _paths(params, option):
            if not path.is_absolute():
                raise UsageError(f"{option} {str(path)!r}: give an absolute path (the module does not run in the playbook's directory)")
    manifests = _paths(params, "manifests")
    directories = [path for path in manifests if path.is_dir()]
    if len(directories) > 1:
        raise UsageError(f"manifests: one build directory at a time: {directories[0]} and {directories[1]}")
    framework = _text(params, "framework")
    if framework is not None and not directories:
        raise UsageError("framework names the tool that built a build directory: give the directory in manifests")
    return pipeline.Request(
        manifests=tuple(path for path in manifests if path not in directories),
        build_dir=directories[0] if directories else None,
        framework=framework,
        scan=_paths(params, "scan"),
        keep_manifests=_paths(params, "keep_manifest"),
        manifest_format=_choice(params, "manifest_format", ManifestFormat),
        root=_text(params, "root"),
        prefix=_text(params, "prefix"),
        strategy=_choice(params, "strategy", Strategy) or Strategy.MAP,
        pattern=_text(params, "pattern"),
        trust_pattern=_text(params, "trust_pattern"),
        immutable_prefixes=_texts(params, "immutable_prefix"),
        immutable_prefix_excludes=_texts(params, "immutable_prefix_exclude"),
        service_workers=_texts(params, "service_worker"),
        serve_manifest=_flag(params, "serve_manifest", False),
        deny_source_maps=_flag(params, "deny_source_maps", False),
        max_age=_number(params, "max_age", pipeline.ONE_YEAR),
        unhashed_max_age=_number(params, "unhashed_max_age", 0),
        cdn_max_age=_maybe_number(params, "cdn_max_age"),
        cdn_header=_choice(params, "cdn_header", CdnHeader) or CdnHeader.CACHE_CONTROL,
        stale_while_revalidate=_maybe_number(params, "stale_while_revalidate"),
        missing_max_age=_number(params, "missing_max_age", 0),
        skew_origins=_texts(params, "skew_origin"),
        skew_timeout=_number(params, "skew_timeout", 2),
        skew_ca=_text(params, "skew_ca") or DEFAULT_SKEW_CA,
        name=_text(params, "name"),
        gzip_static=_maybe_flag(params, "gzip_static"),
        gzip_proxied=_flag(params, "gzip_proxied", False),
        brotli=_flag(params, "brotli", False),
        cors_fonts=_text(params, "cors_fonts"),
        add_headers=_texts(params, "add_header"),
        headers_include=_text(params, "headers_include"),
        map_hash_sizes=_flag(params, "map_hash_sizes", True),
        open_file_cache=_flag(params, "open_file_cache", True),
        max_manifest_bytes=parse_size(params.get("max_manifest_size"), MAX_MANIFEST_BYTES),
        disable_symlinks=_choice(params, "disable_symlinks", Symlinks) or Symlinks.REFUSE,
        server_names=_texts(params, "server_name"),
        listen=_texts(params, "listen"),
        clean_urls=_maybe_flag(params, "clean_urls"),
        not_found_page=_page(_text(params, "not_found_page")),
        spa=_page(_text(params, "spa")),
        outputs=pipeline.Outputs(
            http=_path(params, "http_out"),
            server=_path(params, "server_out"),
            site=_path(params, "site_out"),
        ),
    )


_SIZE = re.compile(r"([0-9]{1,15})\s*([KMG]?)(?:i?B)?", re.IGNORECASE)


def parse_size(value: object, default: int) -> int:
    """max_manifest_size: bytes, or a number with K, M or G (binary), as render's flag."""
    if value is None:
        return default
    found = _SIZE.fullmatch(str(value).strip())
    if found is None or int(found.group(1)) == 0:
        raise UsageError(f"max_manifest_size {value!r} is not a size: give bytes, or a number with K, M or G")
    return int(found.group(1)) << {"": 0, "K": 10, "M": 20, "G": 30}[found.group(2).upper()]


def _summary(changes: Sequence[Change], check_mode: bool) -> str:
    changed = [str(change.path) for change in changes if change.changed]
    if not changed:
        return f"{len(changes)} file(s) unchanged"
    return f"{'would change' if check_mode else 'wrote'} {', '.join(changed)}"


def _detected(planned: pipeline.Plan) -> dict[str, str] | None:
    detected = planned.detected
    if detected is None:
        return None
    return {
        "tool": detected.tool,
        "label": detected.label,
        "build_dir": str(detected.build_dir),
        "root": str(detected.root),
        "line": planned.detected_line or "",
    }


def _diff(change: Change) -> dict[str, str]:
    """One file's change as Ansible's diff mode shows it."""
    exists = change.old is not None
    return {
        "before_header": str(change.path) if exists else f"{change.path} (absent)",
        "after_header": str(change.path),
        "before": (change.old or b"").decode("utf-8", "surrogateescape") if exists else "",
        "after": change.new_text,
    }


def _page(value: str | None) -> str | None:
    """A page option's value: `none` turns the detected page off, as with render."""
    return "" if value == "none" else value


# Typed reads of the parameters. AnsibleModule has already converted them to the declared
# types; these also refuse a wrong type from a direct caller, naming the option.


def _text(params: Mapping[str, Any], option: str) -> str | None:
    value = params.get(option)
    if value is None or isinstance(value, str):
        return value
    raise UsageError(f"{option}: give a string, not {type(value).__name__}")


def _texts(params: Mapping[str, Any], option: str) -> tuple[str, ...]:
    value = params.get(option)
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list | tuple) and all(isinstance(item, str) for item in value):
        return tuple(value)
    raise UsageError(f"{option}: give a list of strings")


def _path(params: Mapping[str, Any], option: str) -> Path | None:
    value = _text(params, option)
    return Path(value) if value else None


def _paths(params: Mapping[str, Any], option: str) -> tuple[Path, ...]:
    return tuple(Path(value) for value in _texts(params, option))


def _flag(params: Mapping[str, Any], option: str, default: bool) -> bool:
    value = _maybe_flag(params, option)
    return default if value is None else value


def _maybe_flag(params: Mapping[str, Any], option: str) -> bool | None:
    value = params.get(option)
    if value is None or isinstance(value, bool):
        return value
    raise UsageError(f"{option}: give true or false, not {value!r}")


def _number(params: Mapping[str, Any], option: str, default: int) -> int:
    value = _maybe_number(params, option)
    return default if value is None else value


def _maybe_number(params: Mapping[str, Any], option: str) -> int | None:
    value = params.get(option)
    if value is None or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    raise UsageError(f"{option}: give a whole number of seconds, not {value!r}")


_Choice = TypeVar("_Choice", CdnHeader, ManifestFormat, Strategy, Symlinks)


def _choice(params: Mapping[str, Any], option: str, enum: type[_Choice]) -> _Choice | None:
    value = _text(params, option)
    if value is None:
        return None
    try:
        return enum(value)
    except ValueError:
        raise UsageError(f"{option} {value!r}: not one of {', '.join(member.value for member in enum)}") from None
