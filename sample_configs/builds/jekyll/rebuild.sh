#!/usr/bin/env bash
# Rebuild this sample from its source with Debian's jekyll (bookworm: 4.3.1, the version
# that built the committed _site/). Run it in a copy of this directory: it replaces _site/.
# Needs the Debian package: apt-get install jekyll  (it brings kramdown and
# jekyll-sass-converter/sassc; the site uses no theme gem)
set -euo pipefail
cd "$(dirname "$0")"
if ! command -v jekyll >/dev/null; then
    echo "rebuild.sh: jekyll is missing; install Debian's package: apt-get install jekyll" >&2
    exit 1
fi
jekyll --version
rm -rf _site .jekyll-cache
jekyll build
rm -rf .jekyll-cache   # Jekyll's cache, not part of the sample
echo "built: $(pwd)/_site"
