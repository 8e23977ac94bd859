#!/usr/bin/env bash
# Rebuild this sample from its source. Run it in a copy of this directory:
# it replaces site/. Needs python3 with the venv module (Debian: python3-venv).
set -euo pipefail
cd "$(dirname "$0")"
command -v python3 >/dev/null || { echo "rebuild.sh: python3 is missing (apt-get install python3 python3-venv)" >&2; exit 1; }
venv="${VENV:-$(mktemp -d)/venv}"
python3 -m venv "$venv" || { echo "rebuild.sh: python3 -m venv failed (apt-get install python3-venv)" >&2; exit 1; }
"$venv/bin/pip" install -q -r requirements.txt
rm -rf site
NO_MKDOCS_2_WARNING=1 "$venv/bin/mkdocs" build --site-dir site
echo "built: $(pwd)/site"
