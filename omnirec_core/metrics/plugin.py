"""Built-in metric plugin (placeholder)."""

from __future__ import annotations

from omnirec_core.hookspecs import hookimpl
from omnirec_core.specs import MetricSpec


@hookimpl
def omnirec_metrics() -> list[MetricSpec]:
    return []
