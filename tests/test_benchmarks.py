"""The benchmark suite stays runnable: `benchmarks/run.py --quick` writes every expected row.

No timing is asserted here: numbers belong in benchmarks/results, not in pass/fail.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
EXPECTED_ROWS = {
    "render/1000",
    "nginx_t/map/1000",
    "nginx_t/exact/1000",
    "nginx_t/regex",
    "exact_guard",
    "serve/nginxcache",
    "serve/regex",
    "serve/whitenoise",
    "lint/nginxcache",
    "lint/gixy-ng",
}
MEASURED = {"render/1000", "nginx_t/map/1000", "nginx_t/exact/1000", "nginx_t/regex"}


@pytest.mark.nginx
@pytest.mark.slow  # with wrk installed, its serving rounds alone take seconds
@pytest.mark.skipif(not (REPO / "benchmarks" / "run.py").exists(), reason="no benchmarks/ (an sdist without it)")
def test_quick_benchmark_writes_every_row(tmp_path: Path) -> None:
    out = tmp_path / "results"
    result = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "run.py"), "--quick", "--out", str(out)],
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    payload = json.loads((out / "results.json").read_text())
    markdown = (out / "results.md").read_text()
    assert payload["finished"] is True
    for key in ("cpu", "cores", "ram_gb", "python", "nginx", "kernel"):
        assert payload["machine"].get(key), key
    rows = {row["id"]: row for row in payload["rows"]}
    assert EXPECTED_ROWS <= set(rows), EXPECTED_ROWS - set(rows)
    for row_id in MEASURED:  # these need only nginxcache and nginx: they must have run
        assert rows[row_id]["status"] == "ok", rows[row_id]
    assert rows["render/1000"]["metrics"]["map_keys"] == 1000
    assert rows["render/1000"]["metrics"]["time_ratio"] is not None
    assert rows["nginx_t/map/1000"]["metrics"]["warnings"] == []
    for row_id in ("serve/nginxcache", "serve/regex"):  # wrk may be missing: then a recorded skip
        assert rows[row_id]["status"] in ("ok", "skipped"), rows[row_id]
        if rows[row_id]["status"] == "ok":
            assert rows[row_id]["metrics"]["header_mismatches"] == 0, rows[row_id]
    assert rows["lint/nginxcache"]["status"] in ("ok", "not available"), rows["lint/nginxcache"]
    for heading in ("## 1. Render", "## 2. nginx load cost", "## 3. Serving", "## 4. Lint"):
        assert heading in markdown
