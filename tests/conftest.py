from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Callable

import pytest

from nginx_harness import Nginx, start_nginx

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "sample_configs"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # The suite proves things on real nginx: a missing binary is a failure, not a skip,
    # unless someone asks explicitly (NGINXCACHE_SKIP_NGINX=1) on a machine without it.
    if shutil.which("nginx") or os.path.exists("/usr/sbin/nginx"):
        return
    if os.environ.get("NGINXCACHE_SKIP_NGINX"):
        skip = pytest.mark.skip(reason="nginx not installed and NGINXCACHE_SKIP_NGINX set")
        for item in items:
            if "nginx" in item.keywords:
                item.add_marker(skip)


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[..., Nginx]]:
    """Start real nginx with generated parts; every server is stopped after the test."""
    servers: list[Nginx] = []

    def start(**parts: str | None) -> Nginx:
        server = start_nginx(tmp_path / f"nginx{len(servers)}", **parts)  # type: ignore[arg-type]
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()
