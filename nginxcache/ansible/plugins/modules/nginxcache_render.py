#!/usr/bin/python
# MIT License (see LICENSE in the nginxcache repository)
#
# This file declares the module's options and hands them to nginxcache itself
# (nginxcache.integrations.ansible_render, typed and tested without Ansible), which must be
# installed for the Python that runs the module on the managed host.

from __future__ import annotations

import traceback

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

try:
    from nginxcache.errors import NginxcacheError
    from nginxcache.integrations.ansible_render import run
except ImportError:
    NGINXCACHE_IMPORT_ERROR: str | None = traceback.format_exc()
else:
    NGINXCACHE_IMPORT_ERROR = None

DOCUMENTATION = r"""
module: nginxcache_render
short_description: Write the nginx caching config for a build's static files
version_added: "0.2.0"
author: the nginxcache developers
description:
  - Runs C(nginxcache render) on the managed host; the options are render's flags, in snake_case, with the same defaults.
  - Every file under the prefix gets the right Cache-Control, on the evidence of the build tool's manifest or of the build
    directory itself; the output is re-parsed and checked before it is written.
  - Idempotent, reported as changed only when a file's content changes; files are written atomically, all or none.
  - With O(nginx_test=true), the real C(nginx -t) checks the result first; when it fails, nothing is written and the old
    files stay.
  - Bad input (an unreadable manifest, a bad option, a config that C(nginx -t) refuses) fails the task with one line
    naming the file and what is wrong.
requirements:
  - nginxcache installed for the managed host's Python (C(ansible_python_interpreter)), e.g. in a venv made with ansible.builtin.pip.
  - nginx on the managed host, for O(nginx_test).
notes:
  - Paths are on the managed host and must be absolute.
  - Reload nginx in a handler notified by this task.
seealso:
  - name: nginxcache's Ansible page
    description: Installation, a two-step deploy, and the template validate pattern with C(nginxcache lint --as).
    link: https://nginxcache.readthedocs.io/en/latest/integrations/ansible/
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Plans the changes and writes nothing; changed is true when a file would change.
  diff_mode:
    support: full
    details: One diff per file that changes.
  platform:
    platforms: posix
options:
  manifests:
    description:
      - The build directory nginx serves (the tool that built it is detected), or build manifest(s)
        (staticfiles.json, Vite or webpack manifest.json, stats.json, ...).
    type: list
    elements: path
  http_out:
    description: Write the http-level part (maps) here, e.g. /etc/nginx/conf.d/app-assets.conf.
    type: path
  server_out:
    description: Write the server-level part (locations) here, e.g. /etc/nginx/snippets/app-assets.conf.
    type: path
  site_out:
    description: Write a complete sites-available file (maps plus a whole server block) here.
    type: path
  root:
    description:
      - Directory nginx serves the files from (default the manifest's build directory).
      - When it is on the managed host its files are checked too.
    type: path
  prefix:
    description: URL path the files are served at (default the build tool's own, e.g. Django /static/, Vite /).
    type: str
  manifest_format:
    description: Manifest format (default detected).
    type: str
    choices: [django, vite, webpack, webpack-stats, encore, mix, webassets, sprockets, propshaft, cra, parcel, esbuild, angular]
  keep_manifest:
    description: Manifests of earlier builds whose hashed files stay immutable while on disk.
    type: list
    elements: path
  scan:
    description:
      - Build directories without a manifest; files whose names carry a hash verified against their content count as hashed.
    type: list
    elements: path
  trust_pattern:
    description: For O(scan), look-alike hashed names whose whole path matches this regex count as hashed, unverified.
    type: str
  framework:
    description: The tool that built the build directory, instead of detecting it.
    type: str
    choices: [nextjs, sveltekit, astro, nuxt, react-router, angular, laravel, encore, mix, vite, django, flask-assets, rails,
              webpack, cra, parcel, esbuild, sphinx, mkdocs, hugo, jekyll, eleventy]
  immutable_prefix:
    description:
      - URL paths below O(prefix) whose every file is content-addressed, e.g. /_next/static/ (only what you vouch for;
        pages below them still revalidate).
    type: list
    elements: str
  immutable_prefix_exclude:
    description: URL paths or files carved out of an O(immutable_prefix) again, e.g. /_nuxt/builds/.
    type: list
    elements: str
  clean_urls:
    description:
      - /about answers about.html or about/index.html (default on for a site framework's or generator's build directory).
    type: bool
  not_found_page:
    description:
      - The site's 404 page below O(root), sent with status 404 for a missing page (never for a missing script or
        stylesheet); default the framework's 404.html; V(none) for a plain 404.
    type: str
  spa:
    description:
      - Single-page app, e.g. V(index.html); a navigation URL (no file extension) that matches no file gets this page,
        revalidated; a missing script or image stays a 404. Default on for Angular and React Router's SPA mode;
        V(none) turns it off.
    type: str
  service_worker:
    description: Other service worker file names, always revalidated (sw.js, service-worker.js, ngsw-worker.js... are known).
    type: list
    elements: str
  serve_manifest:
    description: Serve the build manifest itself (404 by default).
    type: bool
    default: false
  deny_source_maps:
    description: Answer 404 for source maps (*.map).
    type: bool
    default: false
  max_manifest_size:
    description: Refuse a manifest larger than this, in bytes or with K, M or G (binary).
    type: str
    default: 1G
  disable_symlinks:
    description:
      - nginx's disable_symlinks below the root. With V(on) no symlink is followed, so nothing outside the root is served;
        with V(if_not_owner) links whose owner is their target's are followed; with V(off) every link is followed.
    type: str
    choices: ["on", "if_not_owner", "off"]
    default: "on"
  strategy:
    description:
      - V(map) is a per-file map in the http block (any size); V(exact) one location per hashed file, server part only;
        V(regex) one regex location (O(pattern)), only when the tree proves it right.
    type: str
    choices: [map, exact, regex]
    default: map
  pattern:
    description: The regex strategy's pattern, matched against the URI.
    type: str
  max_age:
    description: max-age for content-hashed files, in seconds.
    type: int
    default: 31536000
  unhashed_max_age:
    description: V(0) revalidates every other file (no-cache); N caches it N seconds (at most a day).
    type: int
    default: 0
  cdn_max_age:
    description:
      - Let a CDN keep every file but the content-hashed ones this long (at most a day), while browsers still revalidate,
        as s-maxage, or CDN-Cache-Control with O(cdn_header). Purge the CDN at each deploy.
    type: int
  cdn_header:
    description:
      - Where O(cdn_max_age) goes. V(cache-control) is s-maxage in Cache-Control (every CDN and shared cache);
        V(cdn-cache-control) a CDN-Cache-Control header (RFC 9213, Cloudflare, Fastly; not CloudFront).
    type: str
    choices: [cache-control, cdn-cache-control]
    default: cache-control
  stale_while_revalidate:
    description:
      - stale-while-revalidate for every file but the content-hashed ones, an expired copy may be served this long while
        a fresh one is fetched (with O(cdn_max_age) or O(unhashed_max_age)).
    type: int
  missing_max_age:
    description:
      - How long a missing file's 404 may be cached. V(0) sends no-store, so a CDN never keeps a 404 for a file a deploy
        is about to add (at most an hour).
    type: int
    default: 0
  gzip_static:
    description: Serve .gz siblings, with Vary (default when the tree has them).
    type: bool
  brotli:
    description: Serve .br siblings (needs Debian's libnginx-mod-http-brotli-static).
    type: bool
    default: false
  cors_fonts:
    description: Access-Control-Allow-Origin for font files, an origin or V(*).
    type: str
  add_header:
    description:
      - "Headers every file gets, each V(Name: value), e.g. V(X-Content-Type-Options: nosniff): security headers the
        server's add_header would lose here."
    type: list
    elements: str
  name:
    description: Name in this output's nginx variables, unique per site (default from O(root)).
    type: str
  headers_include:
    description: A file of your add_header lines, included wherever this output sets add_header.
    type: str
  gzip_proxied:
    description: Also serve .gz to requests through a proxy or CDN (gzip_proxied any).
    type: bool
    default: false
  open_file_cache:
    description: Keep open files and symlink checks for 2 s in the location (open_file_cache).
    type: bool
    default: true
  server_name:
    description: server_name for O(site_out).
    type: list
    elements: str
  listen:
    description: listen for O(site_out), e.g. V(443 ssl) (default 80).
    type: list
    elements: str
  skew_origin:
    description:
      - Skew protection, origins a file missing here is asked for (tried in order), e.g. a store of every kept build's
        files, or the other build's servers; its 200 passes through, anything else is a plain 404.
    type: list
    elements: str
  skew_timeout:
    description: Per O(skew_origin), to connect and between reads, in seconds (1-60).
    type: int
    default: 2
  skew_ca:
    description: CA certificates that verify an https O(skew_origin).
    type: str
    default: /etc/ssl/certs/ca-certificates.crt
  map_hash_sizes:
    description: Emit map_hash_max_size and map_hash_bucket_size (http-wide, once only).
    type: bool
    default: true
  nginx_test:
    description:
      - Also run the real C(nginx -t) on a private config including the output, before writing; when it fails,
        nothing is written.
    type: bool
    default: false
  nginx:
    description: nginx binary for O(nginx_test) (default nginx on PATH, then /usr/sbin/nginx).
    type: str
"""

EXAMPLES = r"""
- name: Cache the static files of the build nginx serves
  nginxcache.nginx.nginxcache_render:
    manifests: [/srv/app/dist]
    http_out: /etc/nginx/conf.d/app-assets.conf
    server_out: /etc/nginx/snippets/app-assets.conf
    nginx_test: true
  vars:
    ansible_python_interpreter: /opt/nginxcache/bin/python  # a venv with nginxcache
  notify: Reload nginx

- name: Django, from collectstatic's manifest
  nginxcache.nginx.nginxcache_render:
    manifests: [/srv/app/static/staticfiles.json]
    root: /srv/app/static
    http_out: /etc/nginx/conf.d/app-assets.conf
    server_out: /etc/nginx/snippets/app-assets.conf
    add_header: ["X-Content-Type-Options: nosniff"]
  register: assets
  notify: Reload nginx
"""

RETURN = r"""
msg:
  description: What was done, in one line.
  returned: always
  type: str
  sample: wrote /etc/nginx/conf.d/app-assets.conf, /etc/nginx/snippets/app-assets.conf
files:
  description: Each output file, its part, and whether it changed (or would, in check mode).
  returned: success
  type: list
  elements: dict
  sample: [{"path": "/etc/nginx/snippets/app-assets.conf", "role": "server", "changed": true}]
written:
  description: The files written (none in check mode, and none when nothing changed).
  returned: success
  type: list
  elements: str
detected:
  description: What built the build directory and the evidence used; null when manifests were given.
  returned: success
  type: dict
  sample:
    tool: vite
    label: Vite
    build_dir: /srv/app/dist
    root: /srv/app/dist
    line: "detected Vite in /srv/app/dist: evidence: .vite/manifest.json"
sources:
  description: The manifests and build directories read, as the output's comments name them.
  returned: success
  type: list
  elements: str
prefix:
  description: The URL path served.
  returned: success
  type: str
  sample: /static/
root:
  description: The directory nginx serves the prefix from.
  returned: success
  type: str
name:
  description: The name in the output's nginx variables.
  returned: success
  type: str
strategy:
  description: The strategy rendered.
  returned: success
  type: str
hashed:
  description: How many files are served immutable on the evidence of a manifest or a verified hash.
  returned: success
  type: int
immutable_prefixes:
  description: URL paths served immutable as a whole (a framework's own directory, or O(immutable_prefix)).
  returned: success
  type: list
  elements: str
nginx_tested:
  description: Whether C(nginx -t) checked the result.
  returned: success
  type: bool
notes:
  description: What was decided on the user's behalf (a default prefix, a check skipped).
  returned: success
  type: list
  elements: str
exit_code:
  description: nginxcache's exit code for the failure (2 usage, 3 bad input, 4 refused by its checks or nginx -t, 5 not written).
  returned: failure
  type: int
"""

ARGUMENT_SPEC = dict(
    manifests=dict(type="list", elements="path"),
    http_out=dict(type="path"),
    server_out=dict(type="path"),
    site_out=dict(type="path"),
    root=dict(type="path"),
    prefix=dict(type="str"),
    manifest_format=dict(
        type="str",
        choices=["django", "vite", "webpack", "webpack-stats", "encore", "mix", "webassets", "sprockets", "propshaft", "cra", "parcel",
                 "esbuild", "angular"],
    ),
    keep_manifest=dict(type="list", elements="path"),
    scan=dict(type="list", elements="path"),
    trust_pattern=dict(type="str"),
    framework=dict(
        type="str",
        choices=["nextjs", "sveltekit", "astro", "nuxt", "react-router", "angular", "laravel", "encore", "mix", "vite", "django",
                 "flask-assets", "rails", "webpack", "cra", "parcel", "esbuild", "sphinx", "mkdocs", "hugo", "jekyll", "eleventy"],
    ),
    immutable_prefix=dict(type="list", elements="str"),
    immutable_prefix_exclude=dict(type="list", elements="str"),
    clean_urls=dict(type="bool"),
    not_found_page=dict(type="str"),
    spa=dict(type="str"),
    service_worker=dict(type="list", elements="str"),
    serve_manifest=dict(type="bool", default=False),
    deny_source_maps=dict(type="bool", default=False),
    max_manifest_size=dict(type="str", default="1G"),
    disable_symlinks=dict(type="str", choices=["on", "if_not_owner", "off"], default="on"),
    strategy=dict(type="str", choices=["map", "exact", "regex"], default="map"),
    pattern=dict(type="str"),
    max_age=dict(type="int", default=31536000),
    unhashed_max_age=dict(type="int", default=0),
    cdn_max_age=dict(type="int"),
    cdn_header=dict(type="str", choices=["cache-control", "cdn-cache-control"], default="cache-control"),
    stale_while_revalidate=dict(type="int"),
    missing_max_age=dict(type="int", default=0),
    gzip_static=dict(type="bool"),
    brotli=dict(type="bool", default=False),
    cors_fonts=dict(type="str"),
    add_header=dict(type="list", elements="str"),
    name=dict(type="str"),
    headers_include=dict(type="str"),
    gzip_proxied=dict(type="bool", default=False),
    open_file_cache=dict(type="bool", default=True),
    server_name=dict(type="list", elements="str"),
    listen=dict(type="list", elements="str"),
    skew_origin=dict(type="list", elements="str"),
    skew_timeout=dict(type="int", default=2),
    skew_ca=dict(type="str", default="/etc/ssl/certs/ca-certificates.crt"),
    map_hash_sizes=dict(type="bool", default=True),
    nginx_test=dict(type="bool", default=False),
    nginx=dict(type="str"),
)


def main() -> None:
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    if NGINXCACHE_IMPORT_ERROR is not None:
        module.fail_json(
            msg=missing_required_lib("nginxcache", url="https://nginxcache.readthedocs.io/en/latest/integrations/ansible/"),
            exception=NGINXCACHE_IMPORT_ERROR,
        )
    try:
        outcome = run(module.params, check_mode=module.check_mode, diff_mode=module._diff)
    except NginxcacheError as exc:
        module.fail_json(msg=str(exc), exit_code=int(exc.exit_code))
    for warning in outcome.warnings:
        module.warn(warning)
    module.exit_json(**outcome.result)


if __name__ == "__main__":
    main()
