"""The fleet benchmark stays runnable: `benchmarks/fleet.py --quick` writes every scenario and the
skew fallback's cost. No timing is asserted: numbers belong in benchmarks/results."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SCRIPT = REPO / "benchmarks" / "fleet.py"


@pytest.mark.nginx
@pytest.mark.slow  # three fleets and a latency run: about 10 s
@pytest.mark.skipif(not SCRIPT.exists(), reason="no benchmarks/ (an sdist without it)")
def test_quick_fleet_benchmark_writes_every_scenario(tmp_path: Path) -> None:
    out = tmp_path / "results"
    result = subprocess.run([sys.executable, str(SCRIPT), "--quick", "--out", str(out)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    payload = json.loads((out / "fleet.json").read_text())
    markdown = (out / "fleet.md").read_text()
    assert payload["finished"] is True
    for key in ("cpu", "cores", "ram_gb", "python", "nginx", "kernel"):
        assert payload["machine"].get(key), key
    rows = {row["scenario"]: row for row in payload["scenarios"]}
    assert set(rows) == {"plain", "gate", "skew"}
    assert rows["plain"]["failed"] > 0
    assert rows["gate"]["failed"] == rows["skew"]["failed"] == 0
    assert [run["exit"] for run in rows["gate"]["gate_runs"]] == [1, 0]
    latency = payload["skew_latency"]
    assert len(latency["samples_s"]["local"]) == len(latency["samples_s"]["via_store"]) == 20
    assert latency["median_ratio"] > 0 and latency["p95_ratio"] > 0
    for heading in ("## Failed asset loads", "## The skew fallback's cost"):
        assert heading in markdown
    assert "| vite7 -> vite8 | gate |" in markdown
