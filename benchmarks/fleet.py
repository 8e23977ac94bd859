"""Rolling deploys on a fleet on 127.0.0.1: failed asset loads per scenario, and what the skew
fallback costs.

    python benchmarks/fleet.py [--out benchmarks/results] [--quick] [--browsers N] [--pages N] [--rounds N]

Three nginx servers behind a round-robin nginx load balancer go from build A to build B one at
a time while virtual browsers load pages through the balancer (the harness is tests/fleet.py,
the same the tests run): (1) plain, (2) with the deploy gate (`nginxcache probe --backend`),
(3) with --skew-origin at a shared store. Then the skew fallback's cost: build A's hashed files
asked of a server on B (missing there: fetched from the store) and of a server still on A (on
its disk), alternately, no browsers running. Writes OUT/fleet.md and OUT/fleet.json.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
# tests/ first: its fleet.py (the harness) and nginx_harness.py, not this file.
sys.path.insert(0, str(REPO / "tests"))

import fleet as harness  # noqa: E402
import measure  # noqa: E402

assert Path(harness.__file__).parent.name == "tests", harness.__file__  # the harness, not this script

LATENCY_PAIR = "vite7->vite8"


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def latency_summary(samples: dict[str, list[float]]) -> dict[str, Any]:
    local, via_store = samples["local"], samples["via_store"]
    summary: dict[str, Any] = {"requests_each": len(local)}
    for side, values in (("local", local), ("via_store", via_store)):
        summary[side] = {"median_ms": statistics.median(values) * 1000, "p95_ms": percentile(values, 0.95) * 1000}
    summary["median_ratio"] = summary["via_store"]["median_ms"] / summary["local"]["median_ms"]
    summary["p95_ratio"] = summary["via_store"]["p95_ms"] / summary["local"]["p95_ms"]
    # the two requests of a round ran back to back: their ratio is what load on the machine moves least
    summary["paired_ratio_median"] = statistics.median(via / here for via, here in zip(via_store, local, strict=True))
    summary["median_extra_ms"] = statistics.median(via - here for via, here in zip(via_store, local, strict=True)) * 1000
    return summary


def load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


def to_markdown(payload: dict[str, Any]) -> str:
    machine, settings = payload["machine"], payload["settings"]
    lines = [
        "# Rolling deploys: failed asset loads",
        "",
        "`python benchmarks/fleet.py` (see benchmarks/README.md). Three nginx backends behind a round-robin",
        "nginx load balancer go from build A to build B one server at a time; virtual browsers load `/`",
        "and every asset it names through the balancer, each request a new connection. A load fails on a",
        "status other than 200, HTML for a non-HTML asset, or a body that is no build's file of that name.",
        "",
        f"Machine: {machine.get('cpu')}, {machine.get('cores')} cores, {machine.get('ram_gb')} GB RAM, "
        f"{machine.get('os')}, kernel {machine.get('kernel')}, Python {machine.get('python')}, {machine.get('nginx')}; "
        f"nginxcache {machine.get('nginxcache')} at {machine.get('git')}.",
        f"Settings: {settings['browsers']} browsers, at least {settings['pages']} pages in each state of the fleet "
        f"(before the deploy, after each step), {settings['rounds']} latency rounds. "
        f"{'Finished' if payload['finished'] else '**Not finished**'} in {payload['elapsed_s']} s.",
        "",
        "## Failed asset loads",
        "",
        "| builds | scenario | pages (failed) | asset loads | failed | failed of the loads while mixed | "
        "immutable, not hashed | missing name not a plain 404 | from the store | gate exits | seconds |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---|---:|",
    ]
    for row in payload["scenarios"]:
        mixed_states = row["states"][1:-1]
        mixed_failed = sum(state["failed"] for state in mixed_states)
        mixed_loads = sum(state["asset_loads"] for state in mixed_states)
        share = f"{mixed_failed} of {mixed_loads} ({100 * mixed_failed / mixed_loads:.0f} %)" if mixed_loads else "-"
        gates = ", ".join(f"{run['exit']} ({run['label']})" for run in row["gate_runs"]) or "-"
        lines.append(f"| {row['pair']} | {row['scenario']} | {row['pages']} ({row['page_failures']}) | "
                     f"{row['asset_loads']} | {row['failed']} | "
                     f"{share} | {row['immutable_unhashed']} | {len(row['missing_asset_problems'])} | "
                     f"{row['from_store']} | {gates} | {row['seconds']} |")
    lines += [
        "",
        "plain: each server's tree replaced in place and its config rendered again, no gate, no skew origin.",
        "gate: docs/probe.md's two-phase deploy: B's assets beside A's on every server (the last copy first",
        "one file short), `nginxcache probe --backend ...` (exit 1 then, 0 once the file is there), then B's",
        "pages server by server. skew: every server rendered with `--skew-origin` at a fourth nginx serving",
        "the union of both builds (rendered from B with `--keep-manifest` of A's manifest), then the plain deploy.",
        "\"While mixed\": loads that began or ended while the fleet served both builds (during a step too).",
        "",
    ]
    latency = payload.get("skew_latency")
    if latency:
        lines += [
            "## The skew fallback's cost",
            "",
            f"Build A's hashed files ({LATENCY_PAIR}), each asked of a server on B (missing there: fetched",
            "from the store) and of a server still on A (on its disk), back to back in each round, the order",
            f"alternating, {latency['requests_each']} rounds; one keep-alive connection to each server, no browsers",
            "running. The server's request to the store is a new connection each time (nginx's proxy_pass",
            "without an upstream keepalive).",
            "",
            "| | median ms | p95 ms |",
            "|---|---:|---:|",
            f"| local | {latency['local']['median_ms']:.2f} | {latency['local']['p95_ms']:.2f} |",
            f"| via the store | {latency['via_store']['median_ms']:.2f} | {latency['via_store']['p95_ms']:.2f} |",
            f"| ratio | {latency['median_ratio']:.2f}x | {latency['p95_ratio']:.2f}x |",
            "",
            f"Within a round: median ratio {latency['paired_ratio_median']:.2f}x, median extra "
            f"{latency['median_extra_ms']:.2f} ms for a file fetched from",
            "the store (on loopback: over a network add a round trip to the store). Only files missing on the",
            "server asked pay it, and only while the fleet is mixed; a file that is there costs nothing extra.",
            f"Load average: {payload['load_average']['start']} at the start, {payload['load_average']['end']} at the end "
            "(other work on the machine makes these milliseconds noisy; the ratios move less).",
            "",
        ]
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=str(BENCH_DIR / "results"), help="where fleet.md/json go")
    parser.add_argument("--quick", action="store_true", help="smoke run: one pair, 2 browsers, 4 pages a state, 20 rounds")
    parser.add_argument("--browsers", type=int, help="virtual browsers (default 6, quick 2)")
    parser.add_argument("--pages", type=int, help="pages loaded in each state of the fleet, at least (default 40, quick 4)")
    parser.add_argument("--rounds", type=int, help="latency rounds, a request to each side (default 1000, quick 20)")
    parser.add_argument("--pairs", help=f"comma-separated, of {', '.join(harness.PAIRS)} (default all, quick the first)")
    parser.add_argument("--work", help="keep the fleets' prefixes here (default: a temp dir, removed)")
    args = parser.parse_args(argv)
    args.browsers = args.browsers or (2 if args.quick else 6)
    args.pages = args.pages or (4 if args.quick else 40)
    args.rounds = args.rounds or (20 if args.quick else 1000)
    names = args.pairs.split(",") if args.pairs else list(harness.PAIRS)[: 1 if args.quick else None]
    unknown = [name for name in names if name not in harness.PAIRS]
    if unknown:
        parser.error(f"--pairs: unknown {', '.join(unknown)} (known: {', '.join(harness.PAIRS)})")
    args.pairs = names
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.monotonic()
    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="nginxcache-fleet-"))
    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    payload: dict[str, Any] = {
        "finished": False,
        "machine": measure.machine(shutil.which("nginx") or "/usr/sbin/nginx", REPO),
        "settings": {"browsers": args.browsers, "pages": args.pages, "rounds": args.rounds, "pairs": args.pairs,
                     "backends": 3},
        "scenarios": [],
        "load_average": {"start": load_average(), "end": None},
    }

    def write() -> None:
        payload["elapsed_s"] = round(time.monotonic() - started, 1)
        payload["load_average"]["end"] = load_average()
        (out / "fleet.json").write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
        (out / "fleet.md").write_text(to_markdown(payload), encoding="utf-8")

    try:
        for name in args.pairs:
            a, b = harness.PAIRS[name]
            for scenario in harness.SCENARIOS:
                print(f"{name}: {scenario} ...", file=sys.stderr, flush=True)
                result = harness.run_scenario(scenario, work / f"{a.label}-{scenario}", a, b, browsers=args.browsers,
                                              loads_per_state=args.pages, timeout=600)
                payload["scenarios"].append(result.to_json())
                write()
        print("skew latency ...", file=sys.stderr, flush=True)
        samples = harness.skew_latency(work / "latency", *harness.PAIRS[LATENCY_PAIR], rounds=args.rounds)
        rounded = {side: [round(value, 6) for value in values] for side, values in samples.items()}
        payload["skew_latency"] = {**latency_summary(samples), "samples_s": rounded}
        payload["finished"] = True
    finally:
        write()
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)
    print((out / "fleet.md").read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
