"""omnirec-core's own plugins: datasets, splitters and metrics, registered like any plugin.

Each module here is an entry point of the ``omnirec`` group in omnirec-core's own
metadata (``pyproject.toml``), so the plugin manager finds the built-ins exactly the way
it finds a third party's, and nothing below this layer imports them.
"""
