#!/usr/bin/env bash
# Rebuild this sample from its source. Run it in a copy of this directory:
# it replaces staticfiles/ (STATIC_ROOT). Needs python3 with the venv module (Debian: python3-venv).
# Note: compressor's default COMPRESS_CSS_HASHING_METHOD is "mtime", so the ?<12hex> after
# url(img.png) -- and with it the name CACHE/css/output.<12hex>.css -- differs on every fresh build.
set -euo pipefail
cd "$(dirname "$0")"
command -v python3 >/dev/null || { echo "rebuild.sh: python3 is missing (apt-get install python3 python3-venv)" >&2; exit 1; }
venv="${VENV:-$(mktemp -d)/venv}"
python3 -m venv "$venv" || { echo "rebuild.sh: python3 -m venv failed (apt-get install python3-venv)" >&2; exit 1; }
"$venv/bin/pip" install -q -r requirements.txt
rm -rf staticfiles
"$venv/bin/python" manage.py collectstatic --noinput
"$venv/bin/python" manage.py compress
find . -name __pycache__ -type d -prune -exec rm -rf {} +
echo "built: $(pwd)/staticfiles"
