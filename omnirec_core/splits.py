"""Built-in splitter plugin (placeholder)."""

from __future__ import annotations

from omnirec_core.hookspecs import hookimpl
from omnirec_core.specs import SplitterSpec


@hookimpl
def omnirec_splitters() -> list[SplitterSpec]:
    return []
