"""Running the real nginx binary privately: `nginx -t` on a throw-away prefix that includes
rendered parts. The test suite uses the same helpers to start nginx on 127.0.0.1.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

from nginxcache.errors import NginxTestError, UsageError, WriteError
from nginxcache.tempfiles import work_directory

_LOG_LINE = re.compile(r"\[(?:warn|emerg|alert)\] (?:\d+#\d+: )?(.*)")
TEMP_PATHS = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")


def find_nginx(explicit: str | None = None) -> str:
    candidates = [explicit] if explicit else [shutil.which("nginx"), "/usr/sbin/nginx"]
    for candidate in candidates:
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    raise UsageError("nginx binary not found (install Debian's nginx-light, or pass --nginx PATH)")


# Debian's dynamic modules (brotli_static...), loaded the way its nginx.conf loads them.
SYSTEM_NGINX = "/usr/sbin/nginx"
SYSTEM_MODULES = Path("/etc/nginx/modules-enabled")
SYSTEM_MODULE_FILES = Path("/usr/share/nginx/modules")


def private_conf(prefix: Path, http_body: str, *, user_root: bool = False, modules: Path | None = None) -> Path:
    """Write prefix/nginx.conf: everything (pid, logs, temp files) stays inside `prefix`.
    `modules`: a directory of load_module snippets to include first (modules-enabled)."""
    for name in TEMP_PATHS:
        (prefix / "tmp" / name).mkdir(parents=True, exist_ok=True)
    temp = "".join(f"    {name}_temp_path {prefix / 'tmp' / name};\n" for name in TEMP_PATHS)
    conf = prefix / "nginx.conf"
    conf.write_text(
        ("user root;\n" if user_root else "")
        + (f"include {modules}/*.conf;\n" if modules is not None else "")
        + f"pid {prefix / 'nginx.pid'};\nerror_log {prefix / 'error.log'} warn;\nworker_processes 1;\n"
        + "events { worker_connections 256; }\n"
        + "http {\n    access_log off;\n"
        + temp
        + http_body
        + "}\n",
        encoding="utf-8",
    )
    return conf


# The private config names its paths unquoted: a work directory elsewhere falls back to TMPDIR.
_PLAIN_PATH = re.compile(r"[A-Za-z0-9/_.+-]+")


def nginx_test(
    parts: dict[str, str | tuple[str, ...]], labels: dict[str, str], nginx: str | None = None, workdir: Path | None = None
) -> None:
    """Run `nginx -t` on a private config including the parts; any [warn] or error fails.

    parts: role ('http', 'server', 'site') -> text (whole or in pieces), as in validate.validate.
    The private prefix is made in `workdir` (an output's directory) when given, else TMPDIR.
    """
    binary = find_nginx(nginx)
    if workdir is not None and not _PLAIN_PATH.fullmatch(str(workdir)):
        workdir = None
    with work_directory(workdir) as tmp:
        prefix = Path(tmp)
        body = ""
        try:
            for role, text in parts.items():
                with open(prefix / f"{role}.conf", "w", encoding="utf-8") as stream:
                    stream.writelines((text,) if isinstance(text, str) else text)
        except OSError as exc:
            raise WriteError(f"cannot write the output to test it with nginx: {exc.strerror}", file=prefix) from None
        if "http" in parts:
            body += f"    include {prefix / 'http.conf'};\n"
        if "server" in parts:
            body += f"    server {{\n        listen 127.0.0.1:8;\n        include {prefix / 'server.conf'};\n    }}\n"
        if "site" in parts:
            body += f"    include {prefix / 'site.conf'};\n"
        # The system's own modules only for the system's own binary: another nginx would refuse
        # modules built for a different version ("not binary compatible").
        system = os.path.realpath(binary) == os.path.realpath(SYSTEM_NGINX) and SYSTEM_MODULES.is_dir()
        if system and SYSTEM_MODULE_FILES.is_dir():
            # Debian's load_module lines name modules/x.so, relative to the prefix nginx runs in.
            (prefix / "modules").symlink_to(SYSTEM_MODULE_FILES)
        conf = private_conf(prefix, body, modules=SYSTEM_MODULES if system else None)
        result = subprocess.run(
            [binary, "-t", "-q", "-e", str(prefix / "error.log"), "-p", str(prefix), "-c", str(conf)],
            capture_output=True,
            text=True,
            timeout=600,
        )
        log = (prefix / "error.log").read_text(errors="replace") if (prefix / "error.log").exists() else ""
        messages = [
            line for line in (result.stderr + "\n" + log).splitlines() if "[warn]" in line or "[emerg]" in line or "[alert]" in line
        ]
        if result.returncode != 0 or messages:
            text = messages[0] if messages else result.stderr.strip() or f"exit status {result.returncode}"
            named = False
            for role, label in labels.items():
                if str(prefix / f"{role}.conf") in text:
                    text, named = text.replace(str(prefix / f"{role}.conf"), label), True
            found = _LOG_LINE.search(text)
            text = found.group(1) if found else text
            where = "" if named else " (" + ", ".join(labels[role] for role in parts if role in labels) + ")"
            raise NginxTestError(f"nginx -t{where}: {text}")
