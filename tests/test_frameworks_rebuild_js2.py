"""npm samples of test_frameworks_rebuild.py (which see), second half: rebuilt by the real
tools, then test_frameworks.py's checks on the fresh output (see test_frameworks_rebuild_js.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_frameworks_rebuild import rebuild_and_check

pytestmark = pytest.mark.slow

# seconds measured on 2 cores with a warm ~/.npm: angular 72, astro 40, react-router-spa 24,
# react-router-prerender 18, sveltekit 17
SAMPLES = ("angular", "astro", "react-router-spa", "react-router-prerender", "sveltekit")


@pytest.mark.parametrize("sample", SAMPLES)
def test_rebuilt_sample_passes_the_framework_checks(sample: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rebuild_and_check(sample, tmp_path, monkeypatch)
