"""Rolling deploys on a fleet on 127.0.0.1 (tests/fleet.py): three nginx servers behind a
round-robin nginx load balancer go from build A to build B one server at a time, while virtual
browsers load the page through the balancer and then every asset it names. Counted: asset
loads that fail (not 200, HTML for a script, no build's file of that name), in three scenarios:

1. plain: each server's tree and config are replaced in turn, no gate, no skew origin. While
   the fleet is mixed, a page of one build gets its scripts asked of a server of the other:
   failures (asserted > 0, in every mixed state: the problem is real);
2. the deploy gate of docs/probe.md: B's assets beside A's on every server, `nginxcache probe
   --backend ...` (exit 1 while one server lacks one file, then 0), then B's pages server by
   server: no failure;
3. --skew-origin at a shared store (a fourth nginx with the union of both builds, rendered from
   B with --keep-manifest of A's manifest), then the plain deploy: no failure.

Every scenario also asserts: before the deploy and after it, no failure (the browser asks only
for what the builds have); no `immutable` on a file that no build hashes (the oracle is this
test's own: the Vite manifests, or the framework's content-addressed directory); and a
hashed-looking name no build has is a 404 that is not HTML, through the balancer and from each
server.

The builds are real, none made up here. The quick pair: A = sample_configs/builds/vite7/dist,
B = sample_configs/builds/vite8/dist. Same app (same sources and index.html), built by Vite 7
and by Vite 8: every script and stylesheet chunk has a new hash and the page names the new
ones, the SVGs and public/ files are the same (the deploy of a bundler upgrade). The slow
variant adds React Router in SPA mode -> the same app pre-rendered (another page, new chunks,
a route loader), and pairs whose B is a real rebuild (npm) of a committed sample with a source
change: Vite 8 (the entry and a stylesheet edited) and SvelteKit (the home page edited).
"""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest
from fleet import BUILDS, PAIRS, SVELTEKIT, VITE7, VITE8, Build, ScenarioResult, reachable, run_scenario


def check(result: ScenarioResult, a: Build, b: Build, loads_per_state: int) -> None:
    rollout = result.rollout
    report = "\n".join(f"  {s.label}: {s.pages} pages, {s.asset_loads} asset loads, {s.failed} failed {s.examples}"
                       for s in rollout.states)
    first, *mixed, last = rollout.settled()
    assert first.failed == last.failed == 0, f"{result.pair}: failures with one build everywhere\n{report}"
    assert all(state.pages >= loads_per_state for state in rollout.settled()), report
    assert rollout.asset_loads >= 3 * rollout.pages, f"the browsers hardly loaded anything\n{report}"
    assert sum(state.page_failures for state in rollout.states) == 0, f"/ itself failed\n{report}"
    assert sum(state.immutable_unhashed for state in rollout.states) == 0, f"immutable on an unhashed file\n{report}"
    assert result.missing_asset_problems == []
    if result.scenario == "plain":
        assert all(state.failed > 0 for state in mixed), f"a mixed fleet without a failed load?\n{report}"
    else:
        assert rollout.failed == 0, f"{result.scenario}: failed asset loads\n{report}"
    if result.scenario == "skew":
        assert sum(state.from_store for state in rollout.states) > 0, f"the store was never asked\n{report}"
    if result.scenario == "gate":
        short, complete = result.gate_runs
        left_out = sorted(b.hashed() - a.hashed())[-1]
        assert short.code == 1, short.stderr
        assert list(short.missing().values()) == [[left_out]], short.report  # one backend, one file
        assert complete.code == 0, complete.stderr + str(complete.report)


# ---------------------------------------------------------------------------------------------
# The browser


def test_the_browser_loads_what_the_page_names_and_what_that_names() -> None:
    assert reachable(VITE7) == [
        "/favicon.ico",
        "/assets/index-M8xykaDM.js",  # <script type="module" src>
        "/assets/index-BHQIIK2s.css",  # <link rel="stylesheet">
        "/legacy.0123abcd.js",  # a plain <script src>
        "/assets/chart-DJ4H50iz.js",  # the entry's import("./chart-...") (and Vite's preload list)
        "/assets/chart-TAOHo4hp.css",  # Vite's preload list, below base
        "/assets/pattern-CWN8TdQF.svg",  # url() in the stylesheet
    ]
    sveltekit = reachable(SVELTEKIT)
    # modulepreload links (written "./_app/..."), the inline script's import()s, their imports
    assert {"/_app/immutable/entry/start.BOMjfNaM.js", "/_app/immutable/entry/app.BhfduUzT.js",
            "/_app/immutable/nodes/3.RvhXXdUI.js", "/_app/immutable/assets/logo.B4MugwrH.svg"} <= set(sveltekit)
    assert all(uri.split("?")[0] in SVELTEKIT.files() for uri in sveltekit)


# ---------------------------------------------------------------------------------------------
# The quick fleet: 2 browsers, 4 pages in each state


QUICK = {"browsers": 2, "loads_per_state": 4}


@pytest.mark.nginx
@pytest.mark.parametrize("scenario", ["plain", "gate", "skew"])
def test_rolling_deploy(scenario: str, tmp_path: Path) -> None:
    check(run_scenario(scenario, tmp_path, VITE7, VITE8, **QUICK), VITE7, VITE8, QUICK["loads_per_state"])


# ---------------------------------------------------------------------------------------------
# Slow: more browsers and pages, other builds, and builds made again with a source change


SLOW = {"browsers": 4, "loads_per_state": 15}
REBUILD_TIMEOUT = 900
# sample -> (the build directory in it, the source edits: file -> (text, replacement)
EDITS = {
    "vite8": ("dist", {"src/main.js": ("<h1>Vite sample</h1>", "<h1>Vite sample, build B</h1>"),
                       "src/chart.css": ("}", "  outline: 1px solid;\n}")}),
    "sveltekit": ("build", {"src/routes/+page.svelte": ("<h1>Home</h1>", "<h1>Home, build B</h1>")}),
}
NOT_COPIED = shutil.ignore_patterns("node_modules")


def _network() -> bool:
    try:
        socket.create_connection(("registry.npmjs.org", 443), timeout=5).close()
        return True
    except OSError:
        return False


@pytest.fixture(scope="module")
def rebuilt(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Build]:
    """Each sample of EDITS copied, its sources edited, built again by its rebuild.sh (npm)."""
    if not (shutil.which("npm") and shutil.which("node")):
        pytest.fail("the rebuilt pairs need node and npm on PATH (as test_frameworks_rebuild_js does)")
    if not _network():
        pytest.skip("no network: npm cannot install the build tools")
    root = tmp_path_factory.mktemp("rebuilt")
    builds = {}
    for sample, (build_dir, edits) in EDITS.items():
        copy = root / sample
        shutil.copytree(BUILDS / sample, copy, ignore=NOT_COPIED)
        for name, (old, new) in edits.items():
            source = (copy / name).read_text(encoding="utf-8")
            assert old in source, f"{sample}/{name}: {old!r} is no longer there to edit"
            (copy / name).write_text(source.replace(old, new, 1), encoding="utf-8")
        log = root / f"{sample}.log"
        with log.open("w") as out:
            process = subprocess.Popen([str(copy / "rebuild.sh")], cwd=copy, stdin=subprocess.DEVNULL, stdout=out,
                                       stderr=subprocess.STDOUT, start_new_session=True)
            try:
                code = process.wait(timeout=REBUILD_TIMEOUT)
            except subprocess.TimeoutExpired:
                process.send_signal(signal.SIGKILL)
                process.wait()
                code = -1
        assert code == 0, f"{sample}: rebuild.sh exit {code}\n{log.read_text(errors='replace')[-3000:]}"
        shutil.rmtree(copy / "node_modules", ignore_errors=True)
        committed = {"vite8": VITE8, "sveltekit": SVELTEKIT}[sample]
        builds[sample] = Build(f"{sample}-edited", copy / build_dir, committed.framework, committed.manifest,
                               committed.hashed_dirs)
        assert builds[sample].hashed() - committed.hashed(), f"{sample}: the edit changed no hashed file"
    return builds


SLOW_PAIRS = [*PAIRS, "vite8->vite8-edited", "sveltekit->sveltekit-edited"]


@pytest.mark.slow
@pytest.mark.nginx
@pytest.mark.parametrize("scenario", ["plain", "gate", "skew"])
@pytest.mark.parametrize("pair", SLOW_PAIRS)
def test_rolling_deploy_of_other_builds(pair: str, scenario: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    if pair in PAIRS:
        a, b = PAIRS[pair]
    else:
        sample = pair.split("->")[0]
        a, b = {"vite8": VITE8, "sveltekit": SVELTEKIT}[sample], request.getfixturevalue("rebuilt")[sample]
    started = time.monotonic()
    result = run_scenario(scenario, tmp_path, a, b, **SLOW, timeout=180)
    check(result, a, b, SLOW["loads_per_state"])
    print(f"{pair} {scenario}: {result.rollout.failed} failed of {result.rollout.asset_loads} asset loads "
          f"({result.rollout.pages} pages), {time.monotonic() - started:.1f} s")
