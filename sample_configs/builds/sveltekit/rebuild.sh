#!/bin/sh
# Rebuild this sample in place (run it inside a COPY of sample_configs/builds/sveltekit/).
# Installs the pinned packages, runs the build, then trims .svelte-kit/ to the committed
# shape (only the client Vite manifest). node_modules/ is left behind.
set -eu
cd "$(dirname "$0")"
rm -rf build .svelte-kit
npm install --no-audit --no-fund
npx vite build
# keep .svelte-kit/output/client/.vite/ (manifest.json), drop the rest of .svelte-kit/
mv .svelte-kit/output/client/.vite .svelte-kit-vite
rm -rf .svelte-kit
mkdir -p .svelte-kit/output/client
mv .svelte-kit-vite .svelte-kit/output/client/.vite
