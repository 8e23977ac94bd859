#!/bin/sh
# Rebuild this sample in place (run it inside a COPY of sample_configs/builds/astro/).
# Installs the pinned packages and runs the static build. node_modules/ is left behind
# (Astro keeps its optimized-image cache in node_modules/.astro/).
set -eu
cd "$(dirname "$0")"
export ASTRO_TELEMETRY_DISABLED=1
rm -rf dist .astro
npm install --no-audit --no-fund
npx astro build
