"""Adapters that run the render pipeline for other tools (the Ansible module): each turns the
tool's own options into a `nginxcache.pipeline.Request` and the pipeline's outcome back into
what the tool expects. Like the CLI, they sit on top of the pipeline."""
