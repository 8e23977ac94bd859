"""`lint --nginx-test`: the real `nginx -t` on the linted files, its errors and [warn] lines
turned into findings at nginx's file and line.

A whole nginx.conf is tested as it is (`-c` the file itself, so relative includes resolve as
in production), with a private prefix (-p) and startup log (-e); nginx -t writes no pid file,
so the file's own `pid`, `user` and `error_log` stay untouched (no -g, which would clash with
a `pid` in the file). The private prefix holds symlinks to the entries of nginx's compiled-in
prefix (Debian: /usr/share/nginx, whose modules/ a `load_module modules/x.so` needs), but its
own logs/ directory. Files of http, server or location level are included by a private
wrapper config (pid, logs and temp paths in a temporary directory) in that context; the
wrapper sits in a directory of symlinks to the files' include directory, so their relative
includes resolve where lint found them.
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from pathlib import Path

from nginxcache.lint.findings import Finding, Severity
from nginxcache.lint.tree import ConfigTree, Node
from nginxcache.nginxrun import TEMP_PATHS, find_nginx

NGINX_TEST_CODES: dict[str, tuple[Severity, str]] = {
    "NC190": (Severity.ERROR, "nginx -t fails (an [emerg], [alert] or [crit] line)"),
    "NC191": (Severity.WARNING, "nginx -t warns (a [warn] line)"),
}
WRAPPER = "nginxcache-lint-wrapper.conf"
_LINE = re.compile(r"\[(emerg|alert|crit|error|warn)\] (?:\d+#\d+: )?(?:\*\d+ )?(.*?)(?: in (/\S+?):(\d+))?$")
# Artifacts of testing as a user other than nginx's own, not problems of the config.
_IGNORED = ('the "user" directive makes sense only if the master process runs with super-user privileges',)


def nginx_test_findings(tree: ConfigTree, nginx: str | None = None, timeout: int = 300) -> list[Finding]:
    binary = find_nginx(nginx)
    compiled = compiled_prefix(binary)
    findings: list[Finding] = []
    with tempfile.TemporaryDirectory(prefix="nginxcache-lint-") as tmp:
        for number, root in enumerate(r for r in tree.roots if r.name == "main"):
            prefix = Path(tmp) / f"main{number}"
            (prefix / "logs").mkdir(parents=True)
            _mirror(compiled, prefix)
            conf = os.path.abspath(root.file)
            output = _run(binary, prefix, conf, timeout)
            findings += _findings(output, {}, root.file)
        others = [r for r in tree.roots if r.name != "main"]
        if others:
            prefix = Path(tmp) / "wrapped"
            conf_dir = prefix / "conf"
            conf_dir.mkdir(parents=True)
            (prefix / "logs").mkdir()
            _mirror(compiled, prefix)
            real_dir = tree.conf_dirs.get(others[0].file, os.path.dirname(os.path.abspath(others[0].file)))
            _mirror(Path(real_dir), conf_dir)
            wrapper = conf_dir / WRAPPER
            wrapper.write_text(_wrapper(prefix, others), encoding="utf-8")
            output = _run(binary, prefix, str(wrapper), timeout)
            paths = {str(conf_dir) + os.sep: real_dir.rstrip(os.sep) + os.sep}
            findings += _findings(output, paths, others[0].file, wrapper=str(wrapper))
    names = {os.path.abspath(name): name for name in tree.files}
    return sorted({_renamed(finding, names) for finding in findings})


def _renamed(finding: Finding, names: dict[str, str]) -> Finding:
    """The finding under the file name lint uses for that file (as the user gave it)."""
    name = names.get(os.path.abspath(finding.file), finding.file)
    return Finding(name, finding.line, finding.col, finding.code, finding.severity, finding.message)


def compiled_prefix(binary: str) -> Path:
    """nginx's compiled-in prefix (`nginx -V`: --prefix=...), where relative paths point."""
    try:
        result = subprocess.run([binary, "-V"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return Path("/usr/local/nginx")
    found = re.search(r"--prefix=(\S+)", result.stderr + result.stdout)
    return Path(found.group(1) if found else "/usr/local/nginx")


def _mirror(real_dir: Path, into: Path) -> None:
    """Symlinks in `into` to the entries of real_dir it does not have yet (nginx resolves
    relative includes against the config file's directory, other paths against the prefix)."""
    try:
        entries = os.listdir(real_dir)
    except OSError:
        return
    for name in entries:
        if name != WRAPPER and not os.path.lexists(into / name):
            (into / name).symlink_to(real_dir / name)


def _wrapper(prefix: Path, roots: list[Node]) -> str:
    temp = "".join(f"    {name}_temp_path {prefix / 'tmp' / name};\n" for name in TEMP_PATHS)
    for name in TEMP_PATHS:
        (prefix / "tmp" / name).mkdir(parents=True, exist_ok=True)
    body = ""
    for number, root in enumerate(roots):
        path = _quote(os.path.abspath(root.file))
        if root.name == "http":
            body += f"    include {path};\n"
        elif root.name == "server":
            body += (f"    server {{\n        listen 127.0.0.1:8;\n        server_name nginxcache-lint-{number};\n"
                     f"        include {path};\n    }}\n")
        else:
            body += (f"    server {{\n        listen 127.0.0.1:8;\n        server_name nginxcache-lint-{number};\n"
                     f"        location /nginxcache-lint-{number}/ {{\n            include {path};\n        }}\n    }}\n")
    return (
        f"pid {prefix / 'nginx.pid'};\nerror_log {prefix / 'error.log'} warn;\nworker_processes 1;\n"
        "events { worker_connections 256; }\n"
        f"http {{\n    access_log off;\n{temp}{body}}}\n"
    )


def _quote(path: str) -> str:
    return '"' + path.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _run(binary: str, prefix: Path, conf: str, timeout: int) -> str:
    log = prefix / "startup.log"
    result = subprocess.run(
        [binary, "-t", "-q", "-p", str(prefix) + "/", "-e", str(log), "-c", conf],
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    text = result.stderr
    for extra in (log, prefix / "error.log"):
        if extra.exists():
            text += "\n" + extra.read_text(errors="replace")
    if result.returncode != 0 and "[emerg]" not in text and "[alert]" not in text and "[crit]" not in text:
        text += f"\nnginx: [emerg] nginx -t exited with status {result.returncode}"
    return text


def _findings(output: str, paths: dict[str, str], default_file: str, wrapper: str | None = None) -> list[Finding]:
    found: list[Finding] = []
    seen: set[tuple[str, str]] = set()
    for raw in output.splitlines():
        match = _LINE.search(raw.strip())
        if not match:
            continue
        level, message, file, line = match.groups()
        if any(ignored in message for ignored in _IGNORED) or (level, message + str(file) + str(line)) in seen:
            continue
        seen.add((level, message + str(file) + str(line)))
        if file is None or file == wrapper:
            file, number = default_file, 1
        else:
            number = int(line)
            for temporary, real in paths.items():
                if file.startswith(temporary):
                    file = real + file[len(temporary) :]
        code = "NC191" if level == "warn" else "NC190"
        severity = NGINX_TEST_CODES[code][0]
        found.append(Finding(file, number, 1, code, severity, f"nginx -t: {message}"))
    return found
