#!/bin/sh
# The render step of the Dockerfile's second stage (RUN sh /usr/local/bin/render.sh): nginx's
# caching config for the built app, written where the nginx image reads it.
#   conf.d/app-assets.conf    the maps; nginx.conf includes conf.d/*.conf inside http { }
#   snippets/app-assets.conf  the locations; app.conf.template includes it inside server { }
# Both are plain config, never templates: the image's envsubst does not see them.
#
# Paths, for running it outside the image (tests/test_docker_sample.py does, in a scratch
# directory):
#   NGINXCACHE_WEB_ROOT  the built files, where nginx serves them   [/usr/share/nginx/html]
#   NGINXCACHE_CONF_DIR  nginx's configuration directory             [/etc/nginx]
set -eu
web_root=${NGINXCACHE_WEB_ROOT:-/usr/share/nginx/html}
conf_dir=${NGINXCACHE_CONF_DIR:-/etc/nginx}

mkdir -p "$conf_dir/conf.d" "$conf_dir/snippets"
# The app's own options go here (nginxcache render --help). This app is a single-page app:
# a URL without a file extension that names no file gets index.html; a missing script,
# stylesheet or image stays a plain 404. The tool that built it is detected from the build
# (here: Vite, by .vite/manifest.json).
nginxcache render "$web_root" \
    --spa \
    --name app \
    --http-out "$conf_dir/conf.d/app-assets.conf" \
    --server-out "$conf_dir/snippets/app-assets.conf"
# render checks its output's structure with crossplane before writing it. nginx -t itself
# runs in the last stage, with the nginx that will serve (this stage has no nginx).
