"""nginxcache lint on large configs: time and peak RSS per MB at 10, 50 and 200 MB.

    python benchmarks/lint_large.py                      # 10, 50, 200 MB (long: see README)
    python benchmarks/lint_large.py --sizes 1,2,5 --out /tmp/lint-large

Each config is one http { } of ordinary servers, as a hosting config grows: listen,
server_name, root, logs, proxy headers, and three locations (a prefix, a static prefix with
expires, a regex by file type), every server's names different. Each size is linted once,
in its own process (GNU time's %M for the peak RSS of that child); the table gives seconds
and MB of RSS per MB of config, which stay flat when lint is linear in the config's size.
Nothing is asserted: tests never time anything.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SERVER = """\
    server {{
        listen 80;
        listen [::]:80;
        server_name site{i}.example.com www.site{i}.example.com;
        root /srv/site{i}/public;
        index index.html;
        access_log /var/log/nginx/site{i}.access.log;
        error_log /var/log/nginx/site{i}.error.log warn;
        client_max_body_size 10m;
        proxy_set_header Host $host;
        proxy_set_header X-Real-IP $remote_addr;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        proxy_set_header X-Forwarded-Proto $scheme;
        add_header X-Frame-Options SAMEORIGIN;
        location / {{
            try_files $uri $uri/ =404;
        }}
        location ^~ /static/ {{
            expires 7d;
        }}
        location ~* \\.(png|jpg|svg|woff2)$ {{
            expires 30d;
        }}
    }}
"""


def write_config(path: Path, megabytes: float) -> int:
    """An nginx.conf of about `megabytes` MB; returns the number of servers."""
    target = int(megabytes * 1024 * 1024)
    with path.open("w") as out:
        out.write("events {}\nhttp {\n    default_type application/octet-stream;\n    sendfile on;\n")
        written = servers = 0
        while written < target:
            block = SERVER.format(i=servers)
            out.write(block)
            written += len(block)
            servers += 1
        out.write("}\n")
    return servers


def measure(config: Path) -> dict[str, float]:
    command = ["/usr/bin/time", "-f", "%M", sys.executable, "-m", "nginxcache", "lint", str(config)]
    started = time.perf_counter()
    result = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    seconds = time.perf_counter() - started
    if result.returncode not in (0, 1):
        raise SystemExit(f"lint failed on {config} (exit {result.returncode}): {result.stderr[-500:]}")
    peak_kib = int(result.stderr.strip().splitlines()[-1])
    return {"seconds": seconds, "peak_rss_mb": peak_kib / 1024}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10,50,200", help="config sizes in MB, comma-separated")
    parser.add_argument("--out", default=str(Path(__file__).parent / "results"), help="where lint-large.{md,json} go")
    args = parser.parse_args()
    sizes = [float(size) for size in args.sizes.split(",")]
    rows = []
    with tempfile.TemporaryDirectory() as work:
        for megabytes in sizes:
            config = Path(work) / f"nginx-{megabytes:g}mb.conf"
            servers = write_config(config, megabytes)
            actual = config.stat().st_size / (1024 * 1024)
            print(f"lint: {actual:.1f} MB, {servers:,} servers ...", file=sys.stderr, flush=True)
            row = {"megabytes": actual, "servers": servers, **measure(config)}
            row["seconds_per_mb"] = row["seconds"] / actual
            row["rss_mb_per_mb"] = row["peak_rss_mb"] / actual
            rows.append(row)
            config.unlink()
    lines = ["| config | servers | time | time per MB | peak RSS | RSS per MB |", "|---|---|---|---|---|---|"]
    for row in rows:
        lines.append(
            f"| {row['megabytes']:.1f} MB | {row['servers']:,} | {row['seconds']:.1f} s | {row['seconds_per_mb']:.2f} s "
            f"| {row['peak_rss_mb']:.0f} MB | {row['rss_mb_per_mb']:.1f} |"
        )
    table = "\n".join(lines)
    print(table)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "lint-large.md").write_text(f"nginxcache lint on large configs (python {sys.version.split()[0]}, {os.cpu_count()} cores)\n\n{table}\n")
    (out / "lint-large.json").write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()
