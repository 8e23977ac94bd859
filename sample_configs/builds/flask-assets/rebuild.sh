#!/usr/bin/env bash
# Rebuild this sample from its source. Run it in a copy of this directory:
# it replaces static/gen/ and static/.webassets-manifest. Needs python3 with the venv
# module (Debian: python3-venv).
set -euo pipefail
cd "$(dirname "$0")"
command -v python3 >/dev/null || { echo "rebuild.sh: python3 is missing (apt-get install python3 python3-venv)" >&2; exit 1; }
venv="${VENV:-$(mktemp -d)/venv}"
python3 -m venv "$venv" || { echo "rebuild.sh: python3 -m venv failed (apt-get install python3-venv)" >&2; exit 1; }
"$venv/bin/pip" install -q -r requirements.txt
rm -rf static/gen static/.webassets-manifest static/.webassets-cache
FLASK_APP=app.py "$venv/bin/flask" assets build
rm -rf static/.webassets-cache   # webassets' build cache, not part of the sample
find . -name __pycache__ -type d -prune -exec rm -rf {} +
echo "built: $(pwd)/static/gen and $(pwd)/static/.webassets-manifest"
