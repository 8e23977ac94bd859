"""nginxcache: nginx caching config for static files, from the build tool's own manifest."""

# The one place the version is written: hatchling reads it for the package metadata.
__version__ = "0.2.0"

# The published documentation (docs/ built with mkdocs).
DOCS_URL = "https://nginxcache.readthedocs.io/en/latest/"
