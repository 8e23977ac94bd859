#!/bin/sh
# Rebuild this sample in place (run it inside a COPY of sample_configs/builds/nextjs/).
# Installs the pinned packages, runs the static export, then trims .next/ to the
# committed shape (small top-level manifests only). node_modules/ is left behind.
set -eu
cd "$(dirname "$0")"
export NEXT_TELEMETRY_DISABLED=1
rm -rf out .next
npm install --no-audit --no-fund
npx next build
# trim .next/ the way the committed sample is trimmed
rm -rf .next/cache .next/server .next/static .next/types .next/trace .next/trace-build
find .next -maxdepth 1 -type f -size +50k -delete
