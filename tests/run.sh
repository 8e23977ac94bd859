#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs Debian's nginx when missing, a venv
# with nginxcache and its test dependencies, then runs pytest. Extra arguments go to pytest.
set -euo pipefail
source "$(dirname "$0")/bootstrap.sh" "[test]"
if ! command -v nginx >/dev/null && [ ! -x /usr/sbin/nginx ]; then
    echo "run.sh: installing Debian's nginx-light" >&2
    apt_install nginx-light
fi
exec .venv/bin/python -m pytest -p no:cacheprovider "$@"
