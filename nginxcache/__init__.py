"""nginxcache: nginx caching config for static files, from the build tool's own manifest."""

__version__ = "0.1.0"
