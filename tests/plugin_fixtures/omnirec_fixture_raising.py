"""A plugin whose hooks raise or return the wrong records."""

from __future__ import annotations

from omnirec_core.plugin.hookspecs import hookimpl


@hookimpl
def omnirec_datasets() -> list:
    raise RuntimeError("dataset hook exploded")


@hookimpl
def omnirec_splitters() -> list:
    return ["not a SplitterSpec"]
