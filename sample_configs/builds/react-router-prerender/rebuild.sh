#!/bin/sh
# Rebuild this sample in place, reproducing the committed layout.
# Run it inside a COPY of this directory (it installs node_modules here).
set -eu
cd "$(dirname "$0")"
export NG_CLI_ANALYTICS=false DO_NOT_TRACK=1 CI=1
rm -rf build .react-router
npm install --no-audit --no-fund
npx --no-install react-router build
