"""nginxcache benchmark suite: every measurement of issue 5 side by side, in one run.

    python benchmarks/run.py [--sizes 1000,100000,1000000] [--out benchmarks/results] [--quick]

Writes OUT/results.md and OUT/results.json (with the machine's description). See
benchmarks/README.md for what each row means and how to read the ratios.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import measure
import nginxconf
import synth
from measure import Run, median, run_measured

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
DEFAULT_SIZES = (1000, 100_000, 1_000_000)
EXACT_SIZES = (1000, 10_000)
EXACT_WARN_ABOVE = 10_000  # README: above this nginxcache warns about the exact strategy
LINT_SIZE = 100_000
GOAL_SIZE = 1_000_000
SEED = 20240501
PREFIX = "/static/"
ROOT_ON_SERVER = "/srv/nginxcache-bench/static"  # --root that does not exist here: no tree scan
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
SLOW_RENDER_SECONDS = 60  # a render slower than this is repeated at most twice
DEFAULT_VENV = Path(tempfile.gettempdir()) / "nginxcache-bench-venv"


@dataclass
class Row:
    id: str
    section: str
    label: str
    size: int | None = None
    status: str = "ok"  # ok | failed | skipped | not available
    reason: str = ""
    metrics: dict[str, Any] = field(default_factory=dict)
    samples: dict[str, list[float]] = field(default_factory=dict)


@dataclass
class Suite:
    args: argparse.Namespace
    work: Path
    out: Path
    nginx: str
    machine: dict[str, Any]
    rows: list[Row] = field(default_factory=list)
    manifests: dict[int, synth.Manifest] = field(default_factory=dict)
    map_outputs: dict[int, tuple[Path, Path]] = field(default_factory=dict)
    map_prefixes: dict[int, Path] = field(default_factory=dict)
    started: float = field(default_factory=time.monotonic)

    def log(self, message: str) -> None:
        print(f"[{time.monotonic() - self.started:7.1f}s] {message}", file=sys.stderr, flush=True)

    def add(self, row: Row) -> Row:
        self.rows.append(row)
        return row


# ---------------------------------------------------------------------------- helpers

def nginxcache_command(*arguments: str) -> list[str]:
    return [sys.executable, "-m", "nginxcache", *arguments]


def manifest_for(suite: Suite, size: int) -> synth.Manifest:
    if size not in suite.manifests:
        suite.log(f"generating a {size:,}-entry staticfiles.json")
        suite.manifests[size] = synth.write_manifest(suite.work / f"manifest-{size}", size, suite.args.seed)
    return suite.manifests[size]


def mb(path: Path) -> float:
    return path.stat().st_size / 1e6 if path.exists() else 0.0


def tail(text: str, lines: int = 2) -> str:
    kept = [line for line in text.strip().splitlines() if line.strip()]
    return " | ".join(kept[-lines:])[:300]


def warnings_in(stderr: str) -> list[str]:
    return [line.strip() for line in stderr.splitlines() if "warning" in line.lower()]


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or not denominator:
        return None
    return numerator / denominator


def count_map_keys(http_part: Path) -> int:
    count = 0
    with open(http_part, encoding="utf-8", errors="replace") as stream:
        for line in stream:
            if line.startswith(f'    "{PREFIX}') or line.startswith(f'    "~^{PREFIX}'):
                count += 1
    return count


# ---------------------------------------------------------------------------- 1. render

def render_map(suite: Suite, manifest: synth.Manifest, outdir: Path, run_dir: Path) -> Run:
    outdir.mkdir(parents=True, exist_ok=True)
    return run_measured(nginxcache_command(
        "render", str(manifest.path), "--root", ROOT_ON_SERVER, "--prefix", PREFIX,
        "--http-out", str(outdir / "http.conf"), "--server-out", str(outdir / "server.conf"),
    ), run_dir, timeout=suite.args.timeout)


def bench_render(suite: Suite) -> None:
    for size in suite.args.sizes:
        row = suite.add(Row(f"render/{size}", "render", "nginxcache render vs baseline", size))
        try:
            manifest = manifest_for(suite, size)
            outdir = suite.work / f"render-{size}"
            baseline_out = suite.work / f"baseline-{size}.conf"
            baseline_cmd = [sys.executable, str(BENCH_DIR / "baseline_render.py"), str(manifest.path), str(baseline_out)]
            samples: dict[str, list[float]] = {"render_s": [], "render_mb": [], "baseline_s": [], "baseline_mb": []}
            runs_wanted = suite.args.repeats
            render_run: Run | None = None
            for rep in range(suite.args.repeats):
                if rep >= runs_wanted:
                    break
                order = ("baseline", "render") if rep % 2 == 0 else ("render", "baseline")
                for which in order:
                    suite.log(f"render {size:,}: {which} (run {rep + 1})")
                    if which == "baseline":
                        run = run_measured(baseline_cmd, suite.work / "runs", timeout=suite.args.timeout)
                        if run.returncode != 0:
                            raise RuntimeError(f"baseline failed: {tail(run.stderr)}")
                        samples["baseline_s"].append(run.seconds)
                        samples["baseline_mb"].append(run.peak_rss_mb)
                    else:
                        run = render_map(suite, manifest, outdir, suite.work / "runs")
                        render_run = run
                        if run.returncode != 0:
                            raise RuntimeError(f"render exit {run.returncode}{' (timed out)' if run.timed_out else ''}: "
                                               f"{tail(run.stderr)}")
                        samples["render_s"].append(run.seconds)
                        samples["render_mb"].append(run.peak_rss_mb)
                        if run.seconds > SLOW_RENDER_SECONDS:
                            runs_wanted = min(runs_wanted, 2)
            assert render_run is not None
            suite.map_outputs[size] = (outdir / "http.conf", outdir / "server.conf")
            render_s, baseline_s = median(samples["render_s"]), median(samples["baseline_s"])
            render_mb, baseline_mb = median(samples["render_mb"]), median(samples["baseline_mb"])
            time_ratio, rss_ratio = ratio(render_s, baseline_s), ratio(render_mb, baseline_mb)
            keys = count_map_keys(outdir / "http.conf")
            row.samples = samples
            row.metrics = {
                "manifest_mb": round(mb(manifest.path), 1),
                "mean_uri_bytes": round(manifest.mean_uri_bytes, 1),
                "map_keys": keys,
                "output_mb": round(mb(outdir / "http.conf") + mb(outdir / "server.conf"), 1),
                "render_s": render_s, "render_mb": render_mb,
                "baseline_s": baseline_s, "baseline_mb": baseline_mb,
                "time_ratio": time_ratio, "rss_ratio": rss_ratio,
                "runs": len(samples["render_s"]),
                "render_warnings": warnings_in(render_run.stderr)[:3],
            }
            if size >= GOAL_SIZE:
                row.metrics["goal"] = "time_ratio <= 2, rss_ratio <= 1.5"
                row.metrics["met"] = bool(time_ratio is not None and rss_ratio is not None
                                          and time_ratio <= 2 and rss_ratio <= 1.5)
            if keys != size:
                row.reason = f"{keys} map keys for {size} entries"
        except Exception as error:  # noqa: BLE001 - a broken measurement is recorded, not fatal
            row.status, row.reason = "failed", str(error)[:400]
        suite.log(f"render {size:,}: {row.status} {row.metrics.get('time_ratio')} {row.reason}")


def profile_render(suite: Suite) -> None:
    """--profile: cProfile one render at the largest size; the top of it goes to OUT/profile-SIZE.txt."""
    size = max(suite.args.sizes)
    manifest = manifest_for(suite, size)
    stats = suite.work / f"render-{size}.prof"
    outdir = suite.work / f"profile-{size}"
    outdir.mkdir(parents=True, exist_ok=True)
    suite.log(f"profiling render at {size:,} entries")
    # cli.main, not the program: the program ends its process without exiting Python (see
    # cli.finish), so cProfile would never write its stats. The profile includes the freeing
    # of everything at the end, which the program skips.
    profiled = "import cProfile, sys; from nginxcache.cli import main; cProfile.run('main(sys.argv[2:])', sys.argv[1])"
    subprocess.run([sys.executable, "-c", profiled, str(stats), "render",
                    str(manifest.path), "--root", ROOT_ON_SERVER, "--prefix", PREFIX,
                    "--http-out", str(outdir / "http.conf"), "--server-out", str(outdir / "server.conf")],
                   capture_output=True, timeout=suite.args.timeout)
    report = subprocess.run([sys.executable, "-c",
                             "import pstats,sys; p=pstats.Stats(sys.argv[1]); p.sort_stats('cumulative').print_stats(40);"
                             "p.sort_stats('tottime').print_stats(25)", str(stats)],
                            capture_output=True, text=True)
    (suite.out / f"profile-{size}.txt").write_text(report.stdout, encoding="utf-8")


# ---------------------------------------------------------------------------- 2. nginx -t

@dataclass
class Config:
    row: Row
    conf: Path | None  # None: could not be built (row already says why)
    output_mb: float = 0.0


def map_config(suite: Suite, size: int) -> Config:
    row = suite.add(Row(f"nginx_t/map/{size}", "nginx_t", "map (nginxcache default)", size))
    if size not in suite.map_outputs:
        row.status, row.reason = "failed", "no map output: the render at this size failed"
        return Config(row, None)
    http_part, server_part = suite.map_outputs[size]
    prefix = suite.work / f"nginx-t-map-{size}"
    prefix.mkdir(parents=True, exist_ok=True)
    conf = nginxconf.write_prefix(prefix, nginxconf.generated_body(prefix, http_part, server_part, 8080))
    suite.map_prefixes[size] = conf
    return Config(row, conf, mb(http_part) + mb(server_part))


def exact_config(suite: Suite, size: int) -> Config:
    row = suite.add(Row(f"nginx_t/exact/{size}", "nginx_t", "exact locations (--strategy exact)", size))
    try:
        manifest = manifest_for(suite, size)
        outdir = suite.work / f"exact-{size}"
        outdir.mkdir(parents=True, exist_ok=True)
        suite.log(f"render --strategy exact at {size:,}")
        run = run_measured(nginxcache_command(
            "render", str(manifest.path), "--root", ROOT_ON_SERVER, "--prefix", PREFIX, "--strategy", "exact",
            "--server-out", str(outdir / "server.conf")), suite.work / "runs", timeout=suite.args.timeout)
        row.metrics["render_s"] = run.seconds
        row.metrics["render_warnings"] = warnings_in(run.stderr)[:3]
        if run.returncode != 0:
            row.status, row.reason = "failed", f"render exit {run.returncode}: {tail(run.stderr)}"
            return Config(row, None)
        prefix = suite.work / f"nginx-t-exact-{size}"
        prefix.mkdir(parents=True, exist_ok=True)
        conf = nginxconf.write_prefix(prefix, nginxconf.generated_body(prefix, None, outdir / "server.conf", 8080))
        return Config(row, conf, mb(outdir / "server.conf"))
    except Exception as error:  # noqa: BLE001
        row.status, row.reason = "failed", str(error)[:400]
        return Config(row, None)


def regex_config(suite: Suite) -> Config:
    row = suite.add(Row("nginx_t/regex", "nginx_t", "one regex location (hand-written)"))
    prefix = suite.work / "nginx-t-regex"
    prefix.mkdir(parents=True, exist_ok=True)
    conf = nginxconf.write_prefix(prefix, nginxconf.regex_body(Path(ROOT_ON_SERVER).parent, 8080))
    return Config(row, conf, len(nginxconf.REGEX_SERVER) / 1e6)


def exact_guard(suite: Suite) -> None:
    """Does `render --strategy exact` refuse or warn above the size where it stops being reasonable?"""
    above = [size for size in suite.args.sizes if size > EXACT_WARN_ABOVE]
    row = suite.add(Row("exact_guard", "nginx_t", f"render --strategy exact above {EXACT_WARN_ABOVE:,}"))
    if not above:
        row.status, row.reason = "skipped", f"no size above {EXACT_WARN_ABOVE:,} in --sizes"
        return
    size = min(above)
    row.size = size
    manifest = manifest_for(suite, size)
    outdir = suite.work / f"exact-guard-{size}"
    outdir.mkdir(parents=True, exist_ok=True)
    suite.log(f"render --strategy exact at {size:,} (does it refuse or warn?)")
    run = run_measured(nginxcache_command(
        "render", str(manifest.path), "--root", ROOT_ON_SERVER, "--prefix", PREFIX, "--strategy", "exact",
        "--server-out", str(outdir / "server.conf")), suite.work / "runs", timeout=suite.args.timeout)
    messages = [line for line in run.stderr.splitlines() if "warning" in line.lower() or "error" in line.lower()]
    row.metrics = {"exit": run.returncode, "render_s": run.seconds, "message": (messages[0] if messages else "")[:300],
                   "warned_or_refused": bool(messages) or run.returncode != 0}


def bench_nginx_t(suite: Suite) -> None:
    configs = [map_config(suite, size) for size in suite.args.sizes]
    configs += [exact_config(suite, size) for size in suite.args.exact_sizes]
    configs.append(regex_config(suite))
    runnable = [config for config in configs if config.conf is not None]
    for config in runnable:
        config.row.samples = {"seconds": [], "peak_mb": []}
        config.row.metrics["warnings"] = []
        config.row.metrics["output_mb"] = round(config.output_mb, 3)
    for rep in range(suite.args.repeats):
        for config in runnable if rep % 2 == 0 else list(reversed(runnable)):
            assert config.conf is not None
            suite.log(f"nginx -t {config.row.id} (run {rep + 1})")
            run, messages = nginxconf.nginx_test(suite.nginx, config.conf, suite.work / "runs")
            config.row.samples["seconds"].append(run.seconds)
            config.row.samples["peak_mb"].append(run.peak_rss_mb)
            config.row.metrics["exit"] = run.returncode
            for message in messages:
                if message not in config.row.metrics["warnings"]:
                    config.row.metrics["warnings"].append(message[:300])
    for config in runnable:
        metrics = config.row.metrics
        metrics["seconds"] = median(config.row.samples["seconds"])
        metrics["peak_mb"] = max(config.row.samples["peak_mb"])
        metrics["warn"] = any("[warn]" in message for message in metrics["warnings"])
        if metrics["exit"] != 0:
            config.row.status, config.row.reason = "failed", f"nginx -t exit {metrics['exit']}: " + (
                metrics["warnings"][0] if metrics["warnings"] else "")
        if config.row.id == f"nginx_t/map/{GOAL_SIZE}":
            metrics["goal"] = "< 2 s, < 400 MB, no [warn]"
            metrics["met"] = metrics["seconds"] < 2 and metrics["peak_mb"] < 400 and not metrics["warnings"]
    exact_guard(suite)


# ---------------------------------------------------------------------------- 3. serving

def ensure_venv(suite: Suite) -> tuple[Path | None, str]:
    """The throw-away venv with the peers (requirements.txt); (bin dir, "") or (None, reason)."""
    venv = Path(suite.args.venv)
    requirements = (BENCH_DIR / "requirements.txt").read_text()
    marker = venv / "nginxcache-bench-requirements.txt"
    if marker.exists() and marker.read_text() == requirements:
        return venv / "bin", ""
    suite.log(f"installing the peers (WhiteNoise, gunicorn, gixy-ng) into {venv}")
    try:
        if not (venv / "bin" / "python").exists():
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True, timeout=300)
        result = subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "-r", str(BENCH_DIR / "requirements.txt")],
                                capture_output=True, text=True, timeout=900)
        if result.returncode != 0:
            return None, f"pip install failed: {tail(result.stderr)}"
    except (OSError, subprocess.SubprocessError) as error:
        return None, f"could not create the venv: {error}"
    marker.write_text(requirements)
    return venv / "bin", ""


def fetch(port: int, path: str) -> tuple[int, list[str]]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        return response.status, [value for name, value in response.getheaders() if name.lower() == "cache-control"]
    finally:
        connection.close()


def header_mismatches(port: int, urls: list[str], hashed: set[str]) -> list[str]:
    """Every URL: 200 and exactly the Cache-Control nginxcache promises for it."""
    wrong = []
    for url in urls:
        status, cache_control = fetch(port, url)
        expected = [IMMUTABLE if url in hashed else REVALIDATE]
        if status != 200 or cache_control != expected:
            wrong.append(f"{url}: {status} {cache_control}")
    return wrong


def run_wrk(suite: Suite, port: int, paths_file: Path, seconds: float) -> dict[str, Any]:
    command = ["wrk", f"-t{suite.args.wrk_threads}", f"-c{suite.args.wrk_connections}", f"-d{seconds:g}s",
               "-s", str(BENCH_DIR / "rotate.lua"), f"http://127.0.0.1:{port}", "--", str(paths_file)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60)
    found = re.search(r"Requests/sec:\s+([\d.]+)", result.stdout)
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", result.stdout)
    socket_errors = re.search(r"Socket errors:(.*)", result.stdout)
    if result.returncode != 0 or not found:
        raise RuntimeError(f"wrk failed: {tail(result.stdout + result.stderr)}")
    return {"rps": float(found.group(1)), "non_2xx": int(non_2xx.group(1)) if non_2xx else 0,
            "socket_errors": socket_errors.group(1).strip() if socket_errors else ""}


@dataclass
class Server:
    row: Row
    port: int
    stop: Any


def start_generated(suite: Suite, row: Row, tree: Path, manifest: synth.Manifest, venv_bin: Path | None) -> Server:
    outdir = suite.work / "serve-render"
    outdir.mkdir(parents=True, exist_ok=True)
    run = run_measured(nginxcache_command(
        "render", str(manifest.path), "--root", str(tree / "static"), "--prefix", PREFIX,
        "--http-out", str(outdir / "http.conf"), "--server-out", str(outdir / "server.conf")), suite.work / "runs")
    if run.returncode != 0:
        raise RuntimeError(f"render of the serving tree failed: {tail(run.stderr)}")
    port = nginxconf.free_port()
    prefix = suite.work / "serve-nginxcache"
    prefix.mkdir(parents=True, exist_ok=True)
    conf = nginxconf.write_prefix(prefix, nginxconf.generated_body(prefix, outdir / "http.conf", outdir / "server.conf", port))
    server = nginxconf.NginxServer(suite.nginx, conf, port)
    server.start()
    return Server(row, port, server.stop)


def start_regex(suite: Suite, row: Row, tree: Path, manifest: synth.Manifest, venv_bin: Path | None) -> Server:
    port = nginxconf.free_port()
    prefix = suite.work / "serve-regex"
    prefix.mkdir(parents=True, exist_ok=True)
    conf = nginxconf.write_prefix(prefix, nginxconf.regex_body(tree, port))
    server = nginxconf.NginxServer(suite.nginx, conf, port)
    server.start()
    return Server(row, port, server.stop)


def start_whitenoise(suite: Suite, row: Row, tree: Path, manifest: synth.Manifest, venv_bin: Path | None) -> Server:
    assert venv_bin is not None
    port = nginxconf.free_port()
    env = dict(os.environ, NGINXCACHE_BENCH_STATIC_ROOT=str(tree / "static"), PYTHONDONTWRITEBYTECODE="1")
    log = open(suite.work / "gunicorn.log", "wb")  # noqa: SIM115 - closed with the server
    process = subprocess.Popen([str(venv_bin / "gunicorn"), "--chdir", str(BENCH_DIR), "--workers", "1",
                                "--bind", f"127.0.0.1:{port}", "--log-level", "warning", "whitenoise_app:application"],
                               stdout=log, stderr=log, stdin=subprocess.DEVNULL, env=env)

    def stop() -> None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()

    if not nginxconf.wait_listening(port, 30):
        stop()
        raise RuntimeError(f"gunicorn did not listen: {tail((suite.work / 'gunicorn.log').read_text(errors='replace'))}")
    return Server(row, port, stop)


def bench_serving(suite: Suite) -> None:
    entries = suite.args.serve_files // 2
    rows = {
        "nginxcache": suite.add(Row("serve/nginxcache", "serve", "nginx + nginxcache map config", entries * 2)),
        "regex": suite.add(Row("serve/regex", "serve", "nginx + hand-written one-regex config", entries * 2)),
        "whitenoise": suite.add(Row("serve/whitenoise", "serve", "WhiteNoise under gunicorn (1 sync worker)", entries * 2)),
    }
    if not shutil.which("wrk"):
        for row in rows.values():
            row.status, row.reason = "skipped", "wrk not installed (apt-get install wrk)"
        return
    suite.log(f"building the serving tree: {entries:,} entries, {entries * 2:,} files")
    tree = suite.work / "tree"
    manifest = synth.write_manifest(tree / "static", entries, suite.args.seed, tree=True)
    urls = [PREFIX + name for name in manifest.hashed_names + manifest.original_names]
    hashed = {PREFIX + name for name in manifest.hashed_names}
    paths_file = suite.work / "paths.txt"
    paths_file.write_text("\n".join(urls) + "\n", encoding="utf-8")
    venv_bin: Path | None = None
    if suite.args.quick:
        rows["whitenoise"].status, rows["whitenoise"].reason = "skipped", "--quick"
    else:
        venv_bin, why = ensure_venv(suite)
        if venv_bin is None:
            rows["whitenoise"].status, rows["whitenoise"].reason = "skipped", why
    servers: list[Server] = []
    try:
        for name, starter in (("nginxcache", start_generated), ("regex", start_regex), ("whitenoise", start_whitenoise)):
            if rows[name].status != "ok":
                continue
            try:
                servers.append(starter(suite, rows[name], tree, manifest, venv_bin))
            except Exception as error:  # noqa: BLE001
                rows[name].status = "skipped" if name == "whitenoise" else "failed"
                rows[name].reason = f"could not start: {str(error)[:300]}"
        for server in servers:
            wrong = header_mismatches(server.port, urls, hashed)
            server.row.metrics.update(files_checked=len(urls), header_mismatches=len(wrong), non_2xx=0)
            if wrong:
                server.row.reason = f"{len(wrong)} responses differ from nginxcache's promise, e.g. {wrong[0]}"
            server.row.samples = {"rps": []}
        for server in servers:  # warm-up, not recorded
            run_wrk(suite, server.port, paths_file, 1)
        for round_number in range(suite.args.rounds):
            for server in servers:
                suite.log(f"wrk {server.row.id} (round {round_number + 1}/{suite.args.rounds})")
                result = run_wrk(suite, server.port, paths_file, suite.args.wrk_seconds)
                server.row.samples["rps"].append(result["rps"])
                server.row.metrics["non_2xx"] += result["non_2xx"]
                if result["socket_errors"]:
                    server.row.metrics["socket_errors"] = result["socket_errors"]
        for server in servers:
            server.row.metrics["rps"] = median(server.row.samples["rps"])
            server.row.metrics["wrk"] = (f"-t{suite.args.wrk_threads} -c{suite.args.wrk_connections} "
                                         f"-d{suite.args.wrk_seconds:g}s x {suite.args.rounds} rounds")
        # Ratio within each round (both sides under the same conditions), then the median:
        # steadier than a ratio of medians when the machine drifts between rounds.
        generated = rows["nginxcache"].samples.get("rps", [])
        for name in ("regex", "whitenoise"):
            other = rows[name].samples.get("rps", [])
            if generated and other and len(generated) == len(other):
                per_round = [a / b for a, b in zip(generated, other) if b]
                rows[name].metrics["ratio_per_round"] = per_round
                rows[name].metrics["ratio"] = median(per_round)
        if "ratio" in rows["regex"].metrics:
            rows["regex"].metrics["goal"] = "nginxcache / regex >= 0.95"
            rows["regex"].metrics["met"] = rows["regex"].metrics["ratio"] >= 0.95
    except Exception as error:  # noqa: BLE001
        for server in servers:
            if server.row.status == "ok":
                server.row.status, server.row.reason = "failed", str(error)[:400]
    finally:
        for server in servers:
            server.stop()


# ---------------------------------------------------------------------------- 4. lint

def bench_lint(suite: Suite) -> None:
    candidates = [size for size in suite.args.sizes if size <= LINT_SIZE and size in suite.map_prefixes]
    size = max(candidates) if candidates else None
    ours = suite.add(Row("lint/nginxcache", "lint", "nginxcache lint", size))
    gixy = suite.add(Row("lint/gixy-ng", "lint", "gixy-ng", size))
    if size is None:
        ours.status = gixy.status = "skipped"
        ours.reason = gixy.reason = f"no map output at a size <= {LINT_SIZE:,}"
        return
    conf = suite.map_prefixes[size]
    commands: dict[str, list[str]] = {}
    probe = subprocess.run(nginxcache_command("lint", "--help"), capture_output=True, text=True, timeout=120)
    if probe.returncode != 0:
        ours.status, ours.reason = "not available", tail(probe.stderr or probe.stdout, 1) or "no lint command"
    else:
        commands["nginxcache"] = nginxcache_command("lint", str(conf))
        ours.metrics["command"] = "nginxcache lint NGINX_CONF"
    if suite.args.quick:
        gixy.status, gixy.reason = "skipped", "--quick"
    else:
        venv_bin, why = ensure_venv(suite)
        if venv_bin is None:
            gixy.status, gixy.reason = "skipped", why
        else:
            commands["gixy-ng"] = [str(venv_bin / "gixy"), "-f", "json", str(conf)]
            gixy.metrics["command"] = "gixy -f json NGINX_CONF"
    rows = {"nginxcache": ours, "gixy-ng": gixy}
    last: dict[str, Run] = {}
    for rep in range(suite.args.repeats):
        for tool in commands if rep % 2 == 0 else list(reversed(commands)):
            if tool in last and (last[tool].timed_out or last[tool].seconds > 120):
                continue  # one bounded run is enough for a tool this slow
            suite.log(f"lint: {tool} at {size:,} (run {rep + 1})")
            limit = suite.args.gixy_timeout if tool == "gixy-ng" else suite.args.timeout
            run = run_measured(commands[tool], suite.work / "runs", timeout=limit, keep_output=10_000_000)
            last[tool] = run
            samples = rows[tool].samples.setdefault("seconds", []), rows[tool].samples.setdefault("peak_mb", [])
            samples[0].append(run.seconds)
            samples[1].append(run.peak_rss_mb)
    for tool, run in last.items():
        row = rows[tool]
        row.metrics.update(seconds=median(row.samples["seconds"]), peak_mb=max(row.samples["peak_mb"]),
                           exit=run.returncode, output=tail(run.stdout + run.stderr, 3))
        if tool == "gixy-ng":
            try:
                row.metrics["findings"] = len(json.loads(run.stdout or "[]"))
            except ValueError:
                row.metrics["findings"] = None
        else:
            row.metrics["findings"] = len(re.findall(r"^.+:\d+:\d+: [A-Z]+\d+ ", run.stdout, re.MULTILINE))
        if run.timed_out:
            row.status, row.reason = "failed", f"timed out after {suite.args.gixy_timeout:g} s"
        elif run.returncode not in (0, 1):  # 1: findings, for both tools
            row.status, row.reason = "failed", f"exit {run.returncode}: {tail(run.stderr)}"
    if ours.status == "ok" and gixy.status == "ok" and "seconds" in ours.metrics and "seconds" in gixy.metrics:
        ours.metrics["time_ratio"] = ratio(ours.metrics["seconds"], gixy.metrics["seconds"])
        ours.metrics["goal"] = "nginxcache lint / gixy-ng <= 0.5 (time)"
        ours.metrics["met"] = ours.metrics["time_ratio"] is not None and ours.metrics["time_ratio"] <= 0.5


# ---------------------------------------------------------------------------- results

def fmt(value: Any, digits: int = 2) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def status_cell(row: Row) -> str:
    if row.status != "ok":
        return f"{row.status}: {row.reason}".replace("|", "/")
    met = row.metrics.get("met")
    text = "" if met is None else ("goal met" if met else "**goal missed**")
    return "; ".join(part for part in (text, row.reason.replace("|", "/")) if part)


def to_markdown(suite: Suite, finished: bool) -> str:
    m = suite.machine
    lines = [
        "# nginxcache benchmark results",
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['ram_gb']} GB RAM; {m['os']}, kernel {m['kernel']}; "
        f"Python {m['python']}; {m['nginx']}; {m['wrk'] or 'wrk not installed'}.",
        f"nginxcache {m['nginxcache']} at {m['git']}. Seed {suite.args.seed}; "
        f"{'--quick; ' if suite.args.quick else ''}{suite.args.repeats} runs per point (alternated), medians shown."
        + ("" if finished else " **Run incomplete.**"),
        "",
        "## 1. Render, validation included, vs baseline (json.load + one map line per entry)",
        "",
        "| entries | manifest MB | mean key bytes | render s | render MB | baseline s | baseline MB | time ratio | RSS ratio | runs | notes |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for row in (r for r in suite.rows if r.section == "render"):
        x = row.metrics
        lines.append(f"| {fmt(row.size)} | {fmt(x.get('manifest_mb'), 1)} | {fmt(x.get('mean_uri_bytes'), 1)} | "
                     f"{fmt(x.get('render_s'))} | {fmt(x.get('render_mb'), 0)} | {fmt(x.get('baseline_s'))} | "
                     f"{fmt(x.get('baseline_mb'), 0)} | {fmt(x.get('time_ratio'))}x | {fmt(x.get('rss_ratio'))}x | "
                     f"{fmt(x.get('runs'))} | {status_cell(row)} |")
    lines += ["", "Goal at 1,000,000: time ratio <= 2, RSS ratio <= 1.5.", "",
              "## 2. nginx load cost: `nginx -t` on a private prefix", "",
              "| config | entries | config MB | nginx -t s | peak MB | [warn] | notes |",
              "|---|---:|---:|---:|---:|---|---|"]
    for row in (r for r in suite.rows if r.section == "nginx_t" and r.id != "exact_guard"):
        x = row.metrics
        warn = (x["warnings"][0] if x.get("warnings") else "none") if "warnings" in x else "–"
        lines.append(f"| {row.label} | {fmt(row.size)} | {fmt(x.get('output_mb'), 2)} | {fmt(x.get('seconds'), 3)} | "
                     f"{fmt(x.get('peak_mb'), 0)} | {warn.replace('|', '/')} | {status_cell(row)} |")
    guard = next((r for r in suite.rows if r.id == "exact_guard"), None)
    if guard is not None:
        if guard.status == "ok":
            lines += ["", f"`render --strategy exact` at {guard.size:,} entries: exit {guard.metrics['exit']}, "
                          f"{'warned or refused' if guard.metrics['warned_or_refused'] else '**no warning**'}"
                          + (f" (`{guard.metrics['message']}`)" if guard.metrics["message"] else "") + "."]
        else:
            lines += ["", f"`render --strategy exact` above {EXACT_WARN_ABOVE:,}: {guard.status} ({guard.reason})."]
    lines += ["", "Goal: map at 1,000,000 loads in < 2 s and < 400 MB with no [warn].", "",
              "## 3. Serving: wrk on 127.0.0.1, URLs rotated over every file of the tree", "",
              "| server | files | req/s (median) | runs | nginxcache ÷ this (median per round) | Cache-Control checked | notes |",
              "|---|---:|---:|---|---:|---|---|"]
    for row in (r for r in suite.rows if r.section == "serve"):
        x = row.metrics
        runs = ", ".join(f"{value:,.0f}" for value in row.samples.get("rps", []))
        checked = (f"{x['files_checked'] - x['header_mismatches']}/{x['files_checked']} as promised"
                   if "files_checked" in x else "–")
        lines.append(f"| {row.label} | {fmt(row.size)} | {fmt(x.get('rps'), 0)} | {runs or '–'} | "
                     f"{fmt(x.get('ratio'))}{'x' if x.get('ratio') else ''} | {checked} | {status_cell(row)} |")
    wrk_setup = next((r.metrics["wrk"] for r in suite.rows if r.section == "serve" and "wrk" in r.metrics), "")
    lines += ["", f"wrk {wrk_setup}; nginx 1 worker. Goal: nginxcache ÷ regex >= 0.95.", "",
              "## 4. Lint on the map output", "",
              "| tool | entries | seconds | peak MB | exit | notes |", "|---|---:|---:|---:|---:|---|"]
    for row in (r for r in suite.rows if r.section == "lint"):
        x = row.metrics
        note = status_cell(row)
        if x.get("findings") is not None:
            note = f"{x['findings']} findings; {note}".rstrip("; ")
        if x.get("time_ratio") is not None:
            note = f"time ratio {x['time_ratio']:.2f}x of gixy-ng; {note}".rstrip("; ")
        lines.append(f"| {row.label} | {fmt(row.size)} | {fmt(x.get('seconds'))} | {fmt(x.get('peak_mb'), 0)} | "
                     f"{fmt(x.get('exit'))} | {note} |")
    lines += ["", "Goal: nginxcache lint at most half gixy-ng's time (memory reported).", ""]
    return "\n".join(lines)


def write_results(suite: Suite, finished: bool) -> None:
    suite.out.mkdir(parents=True, exist_ok=True)
    settings = {key: value for key, value in vars(suite.args).items() if key != "out"}
    payload = {
        "finished": finished,
        "elapsed_s": round(time.monotonic() - suite.started, 1),
        "machine": suite.machine,
        "settings": settings,
        "rows": [row.__dict__ for row in suite.rows],
    }
    (suite.out / "results.json").write_text(json.dumps(payload, indent=2, default=str) + "\n", encoding="utf-8")
    (suite.out / "results.md").write_text(to_markdown(suite, finished), encoding="utf-8")


# ---------------------------------------------------------------------------- main

def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", help="manifest entries, comma-separated (default 1000,100000,1000000)")
    parser.add_argument("--out", default=str(BENCH_DIR / "results"), help="where results.md/json go")
    parser.add_argument("--quick", action="store_true",
                        help="CI smoke run: 1000 entries, 200 files, 1 s wrk runs, no WhiteNoise/gixy-ng")
    parser.add_argument("--repeats", type=int, help="runs per render / nginx -t / lint point (default 3, quick 1)")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--serve-files", type=int, help="files in the serving tree (default 2000, quick 200)")
    parser.add_argument("--wrk-seconds", type=float, help="length of one wrk run (default 5, quick 1)")
    parser.add_argument("--rounds", type=int, help="A B A B rounds of wrk (default 3, quick 2)")
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument("--wrk-connections", type=int, default=32)
    parser.add_argument("--venv", default=str(DEFAULT_VENV), help="throw-away venv for WhiteNoise/gunicorn/gixy-ng")
    parser.add_argument("--timeout", type=float, default=900, help="limit for one render or nginx -t, seconds")
    parser.add_argument("--gixy-timeout", type=float, default=300, help="limit for one gixy-ng run, seconds")
    parser.add_argument("--work", help="keep generated manifests and configs here (default: a temp dir, removed)")
    parser.add_argument("--profile", action="store_true", help="also cProfile one render at the largest size")
    parser.add_argument("--nginx", default=None, help="nginx binary (default: PATH, then /usr/sbin/nginx)")
    args = parser.parse_args(argv)
    quick = args.quick
    args.sizes = [int(s.replace("_", "")) for s in args.sizes.split(",")] if args.sizes else (
        [1000] if quick else list(DEFAULT_SIZES))
    args.exact_sizes = [1000] if quick else list(EXACT_SIZES)
    args.repeats = args.repeats or (1 if quick else 3)
    args.serve_files = args.serve_files or (200 if quick else 2000)
    args.wrk_seconds = args.wrk_seconds or (1 if quick else 5)
    args.rounds = args.rounds or (2 if quick else 3)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    nginx = args.nginx or shutil.which("nginx") or "/usr/sbin/nginx"
    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="nginxcache-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    out = Path(args.out).resolve()
    suite = Suite(args, work, out, nginx, measure.machine(nginx, REPO))
    finished = False
    try:
        for section in (bench_render, bench_nginx_t, bench_serving, bench_lint):
            section(suite)
            write_results(suite, finished=False)
        if args.profile:
            profile_render(suite)
        finished = True
    finally:
        write_results(suite, finished)
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)
    suite.log(f"done: {out / 'results.md'}")
    print((out / "results.md").read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
