# Sourced by tests/run.sh and sample_configs/demo.sh: a venv in .venv with nginxcache
# installed ($1: pip extras, e.g. "[test]"). Installs Debian packages only when missing.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
apt_install() {
    command -v apt-get >/dev/null || { echo "bootstrap: please install: $*" >&2; exit 1; }
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "$@" >/dev/null
}

python3 -c 'import sys; assert sys.version_info >= (3, 11), sys.version' 2>/dev/null \
    || { echo "bootstrap: nginxcache needs Python >= 3.11" >&2; exit 1; }
if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv 2>/dev/null || { rm -rf .venv; apt_install python3-venv; python3 -m venv .venv; }
fi
# An editable install follows the code by itself: pip runs again (some seconds) only when
# pyproject.toml changes or these extras were not installed into this venv yet.
stamp=".venv/.nginxcache-installed${1:-}"
wanted=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
    .venv/bin/python -m pip install -q --disable-pip-version-check -e ".${1:-}"
    echo "$wanted" > "$stamp"
fi
