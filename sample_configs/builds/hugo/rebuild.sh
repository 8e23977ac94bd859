#!/usr/bin/env bash
# Rebuild this sample from its source with Debian's hugo (bookworm: 0.111.3, the version
# that built the committed public/). Run it in a copy of this directory: it replaces public/.
# Needs the Debian package: apt-get install hugo
set -euo pipefail
cd "$(dirname "$0")"
if ! command -v hugo >/dev/null; then
    echo "rebuild.sh: hugo is missing; install Debian's package: apt-get install hugo" >&2
    exit 1
fi
hugo version
case "$(hugo version)" in
    *v0.111.3*) ;;
    *) echo "rebuild.sh: warning: public/ was built with hugo v0.111.3 (Debian bookworm); names may differ" >&2 ;;
esac
rm -rf public resources
hugo
rm -rf resources .hugo_build.lock   # Hugo's image cache (resources/_gen) and lock file, not part of the sample
echo "built: $(pwd)/public"
