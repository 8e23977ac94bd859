"""Private nginx prefixes for the benchmarks: the same http { } around every config measured,
`nginx -t` on it, and nginx started on 127.0.0.1 for the serving runs.

Kept apart from nginxcache.nginxrun on purpose: the benchmark must not move when the code
it measures changes.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
from pathlib import Path

from measure import Run, run_measured

TEMP_PATHS = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
MIME_TYPES = Path("/etc/nginx/mime.types")
HASH_PATTERN = r"\.[0-9a-f]{12}\.[^/.]+$"

# The classic hand-written config: one regex location for hashed names, a year of caching;
# everything else revalidates. Over-matches look-alikes; that is what it costs nothing for.
REGEX_SERVER = """\
        root {tree};
        location /static/ {{
            expires off;
            etag on;
            add_header Cache-Control "no-cache";
        }}
        location ~ "^/static/.*{pattern}" {{
            expires off;
            add_header Cache-Control "public, max-age=31536000, immutable";
        }}
"""


def write_prefix(prefix: Path, http_body: str) -> Path:
    """prefix/nginx.conf: pid, logs and temp files inside `prefix`; Debian's http defaults."""
    for name in TEMP_PATHS:
        (prefix / "tmp" / name).mkdir(parents=True, exist_ok=True)
    temp = "".join(f"    {name}_temp_path {prefix / 'tmp' / name};\n" for name in TEMP_PATHS)
    mime = f"    include {MIME_TYPES};\n" if MIME_TYPES.exists() else ""
    conf = prefix / "nginx.conf"
    conf.write_text(
        ("user root;\n" if os.geteuid() == 0 else "")
        + f"pid {prefix / 'nginx.pid'};\nerror_log {prefix / 'error.log'} warn;\nworker_processes 1;\n"
        + "events { worker_connections 1024; }\n"
        + "http {\n    access_log off;\n    sendfile on;\n    tcp_nopush on;\n"
        + f"{mime}    default_type application/octet-stream;\n"
        + temp
        + http_body
        + "}\n",
        encoding="utf-8",
    )
    return conf


def generated_body(prefix: Path, http_part: Path | None, server_part: Path, port: int) -> str:
    """http { } content including nginxcache's parts (as README says to wire them)."""
    body = f"    include {http_part};\n" if http_part else ""
    return body + f"    server {{\n        listen 127.0.0.1:{port};\n        include {server_part};\n    }}\n"


def regex_body(tree: Path, port: int) -> str:
    return (f"    server {{\n        listen 127.0.0.1:{port};\n"
            + REGEX_SERVER.format(tree=tree, pattern=HASH_PATTERN) + "    }\n")


def nginx_test(nginx: str, conf: Path, workdir: Path) -> tuple[Run, list[str]]:
    """`nginx -t` on a private prefix; returns the run and every [warn]/[emerg] line it logged."""
    prefix = conf.parent
    log = prefix / "error.log"
    log.unlink(missing_ok=True)
    run = run_measured([nginx, "-t", "-q", "-e", str(log), "-p", str(prefix), "-c", str(conf)], workdir)
    text = run.stderr + "\n" + (log.read_text(errors="replace") if log.exists() else "")
    messages = [line.strip() for line in text.splitlines() if any(k in line for k in ("[warn]", "[emerg]", "[alert]"))]
    return run, messages


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_listening(port: int, seconds: float = 20) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return True
        except OSError:
            time.sleep(0.05)
    return False


class NginxServer:
    """nginx on a private prefix, started by start() and stopped by stop()."""

    def __init__(self, nginx: str, conf: Path, port: int) -> None:
        self.nginx, self.conf, self.port = nginx, conf, port
        self.prefix = conf.parent

    def _run(self, *extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([self.nginx, "-e", str(self.prefix / "error.log"), "-p", str(self.prefix),
                               "-c", str(self.conf), *extra], capture_output=True, text=True, timeout=120)

    def start(self) -> None:
        result = self._run()
        if result.returncode != 0 or not wait_listening(self.port):
            log = (self.prefix / "error.log").read_text(errors="replace") if (self.prefix / "error.log").exists() else ""
            raise RuntimeError(f"nginx did not start: {(result.stderr + log).strip()[-500:]}")

    def stop(self) -> None:
        pid_file = self.prefix / "nginx.pid"
        if not pid_file.exists():
            return
        self._run("-s", "stop")
        deadline = time.monotonic() + 10
        while pid_file.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
