#!/usr/bin/env bash
# Install nginxcache in .venv and render the bundled real Django sample to stdout.
set -euo pipefail
source "$(dirname "$0")/../tests/bootstrap.sh"
.venv/bin/nginxcache render sample_configs/django/staticfiles.json --root /srv/app/static --prefix /static/
