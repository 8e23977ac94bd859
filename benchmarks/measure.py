"""Timing a child process (wall time and peak RSS from wait4), and describing the machine."""

from __future__ import annotations

import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Run:
    seconds: float
    peak_rss_mb: float  # ru_maxrss of the child (largest of it and its waited-for descendants)
    returncode: int
    timed_out: bool
    stdout: str
    stderr: str


TIME = "/usr/bin/time"


def rss_method() -> str:
    return "GNU time %M" if os.access(TIME, os.X_OK) else "wait4 ru_maxrss via a Python launcher (floor ~10 MB)"


def run_measured(command: list[str], workdir: Path, *, timeout: float = 900, env: dict[str, str] | None = None,
                 keep_output: int = 4000) -> Run:
    """Run `command` once: wall time around the whole run, peak RSS of the command itself.

    The peak RSS comes from GNU time (`%M`), not from this process's wait4: a child forked
    from a big Python parent starts with the parent's pages, and Linux keeps that high-water
    mark across exec, so wait4 here would report the benchmark's own size. Output goes to
    files; the last `keep_output` characters of each stream are returned.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    out_path, err_path, rss_path = workdir / "stdout.txt", workdir / "stderr.txt", workdir / "rss.txt"
    rss_path.unlink(missing_ok=True)
    if os.access(TIME, os.X_OK):
        wrapped = [TIME, "-q", "-f", "%M", "-o", str(rss_path), *command]
    else:
        wrapped = [sys.executable, "-c", _LAUNCHER, str(rss_path), *command]
    killed = threading.Event()
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        start = time.perf_counter()
        process = subprocess.Popen(wrapped, stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=env,
                                   start_new_session=True)

        def kill() -> None:
            killed.set()
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

        timer = threading.Timer(timeout, kill)
        timer.start()
        try:
            returncode = process.wait()
        finally:
            timer.cancel()
        seconds = time.perf_counter() - start
    rss_text = rss_path.read_text().strip().splitlines() if rss_path.exists() else []
    peak_kb = next((int(line) for line in reversed(rss_text) if line.strip().isdigit()), 0)
    return Run(
        seconds=seconds,
        peak_rss_mb=peak_kb / 1024,
        returncode=returncode,
        timed_out=killed.is_set(),
        stdout=out_path.read_text(errors="replace")[-keep_output:],
        stderr=err_path.read_text(errors="replace")[-keep_output:],
    )


# Fallback when GNU time is missing: a small launcher whose own pages are the floor.
_LAUNCHER = """
import os, subprocess, sys
child = subprocess.Popen(sys.argv[2:])
_, status, usage = os.wait4(child.pid, 0)
open(sys.argv[1], "w").write(str(usage.ru_maxrss))
sys.exit(os.waitstatus_to_exitcode(status) & 0xFF)
"""


def median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def _first_match(path: str, pattern: str) -> str | None:
    try:
        found = re.search(pattern, Path(path).read_text(errors="replace"), re.MULTILINE)
    except OSError:
        return None
    return found.group(1).strip() if found else None


def _command_output(command: list[str]) -> str | None:
    if not shutil.which(command[0]) and not os.path.exists(command[0]):
        return None
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return (result.stdout + result.stderr).strip().splitlines()[0] if (result.stdout + result.stderr).strip() else None


def machine(nginx: str, repo: Path) -> dict[str, object]:
    mem_kb = _first_match("/proc/meminfo", r"^MemTotal:\s+(\d+)")
    commit = _command_output(["git", "-C", str(repo), "rev-parse", "--short", "HEAD"])
    dirty = subprocess.run(["git", "-C", str(repo), "status", "--porcelain", "--", "nginxcache", "templates"],
                           capture_output=True, text=True).stdout.strip() if commit else ""
    try:
        import nginxcache  # noqa: PLC0415 - only to name the version measured
        version = getattr(nginxcache, "__version__", "unknown")
    except ImportError:
        version = "not importable"
    return {
        "cpu": _first_match("/proc/cpuinfo", r"^model name\s*:\s*(.+)$") or platform.processor() or "unknown",
        "cores": os.cpu_count(),
        "ram_gb": round(int(mem_kb) / 1024 / 1024, 1) if mem_kb else None,
        "python": platform.python_version(),
        "python_executable": sys.executable,
        "nginx": _command_output([nginx, "-v"]),
        "wrk": (_command_output(["wrk", "--version"]) or "").split(" [")[0] or None,
        "kernel": platform.release(),
        "peak_rss_from": rss_method(),
        "os": _first_match("/etc/os-release", r'^PRETTY_NAME="?([^"\n]+)') or platform.platform(),
        "nginxcache": version,
        "git": f"{commit}{' + uncommitted changes in nginxcache/ or templates/' if dirty else ''}" if commit else None,
    }
