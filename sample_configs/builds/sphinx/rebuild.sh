#!/usr/bin/env bash
# Rebuild this sample from its source. Run it in a copy of this directory:
# it replaces _build/html. Needs python3 with the venv module (Debian: python3-venv).
set -euo pipefail
cd "$(dirname "$0")"
command -v python3 >/dev/null || { echo "rebuild.sh: python3 is missing (apt-get install python3 python3-venv)" >&2; exit 1; }
venv="${VENV:-$(mktemp -d)/venv}"   # outside the project: Sphinx would read .rst files in a venv here
python3 -m venv "$venv" || { echo "rebuild.sh: python3 -m venv failed (apt-get install python3-venv)" >&2; exit 1; }
"$venv/bin/pip" install -q -r requirements.txt
rm -rf _build
"$venv/bin/sphinx-build" -b html . _build/html
# Sphinx 9 keeps its pickled doctrees inside the output (_build/html/.doctrees); the committed
# sample leaves them out, as a deploy would.
rm -rf _build/html/.doctrees
echo "built: $(pwd)/_build/html"
