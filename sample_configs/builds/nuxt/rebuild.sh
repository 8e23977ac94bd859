#!/bin/sh
# Rebuild this sample in place (run it inside a COPY of sample_configs/builds/nuxt/).
# Installs the pinned packages (postinstall runs `nuxt prepare`), runs `nuxt generate`,
# then drops .nuxt/ (generated types only; the production build dir is
# node_modules/.cache/nuxt/.nuxt/). node_modules/ is left behind.
set -eu
cd "$(dirname "$0")"
export NUXT_TELEMETRY_DISABLED=1
rm -rf .output .nuxt dist
npm install --no-audit --no-fund
npx nuxt generate
# nuxt generate also leaves dist -> <absolute path>/.output/public (a symlink); drop it
rm -rf .nuxt dist
