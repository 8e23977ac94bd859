#!/usr/bin/env bash
# The test suite, from a fresh machine: installs Debian's nginx when missing, a venv with
# nginxcache and its test dependencies, then runs pytest. Extra arguments go to pytest.
# The tests marked slow (real npm builds, wheels, the benchmark harness) are left out unless
# asked for (pyproject.toml's addopts): `-m slow` runs only them, `-m ''` runs everything.
set -euo pipefail
source "$(dirname "$0")/bootstrap.sh" "[test]"
if ! command -v nginx >/dev/null && [ ! -x /usr/sbin/nginx ]; then
    echo "run.sh: installing Debian's nginx-light" >&2
    apt_install nginx-light
fi
# envsubst: the Docker sample's test runs the nginx image's own template script with it.
if ! command -v envsubst >/dev/null; then
    echo "run.sh: installing gettext-base (envsubst)" >&2
    apt_install gettext-base
fi
# One worker per core, each test file on one worker (a module's fixtures are built once);
# `-n 0` runs in this process (for --pdb).
exec .venv/bin/python -m pytest -p no:cacheprovider -n auto --dist loadfile "$@"
