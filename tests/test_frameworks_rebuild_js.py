"""npm samples of test_frameworks_rebuild.py (which see), first half: rebuilt by the real
tools, then test_frameworks.py's checks on the fresh output. A file of its own so that xdist's
--dist loadfile runs it on one core and _js2.py on the other (~160 s each, warm ~/.npm)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_frameworks_rebuild import rebuild_and_check

pytestmark = pytest.mark.slow

# seconds measured on 2 cores with a warm ~/.npm: nuxt 87, nextjs 37, eleventy 13, vite7 7, vite8 7, laravel 6
SAMPLES = ("nuxt", "nextjs", "eleventy", "vite7", "vite8", "laravel")


@pytest.mark.parametrize("sample", SAMPLES)
def test_rebuilt_sample_passes_the_framework_checks(sample: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rebuild_and_check(sample, tmp_path, monkeypatch)
