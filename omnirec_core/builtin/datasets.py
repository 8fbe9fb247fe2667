"""The built-in dataset plugin: MovieLens, Netflix (manual) and the synthetic presets."""

from __future__ import annotations

from omnirec_core.data.registry import builtin_datasets
from omnirec_core.plugin.hookspecs import hookimpl
from omnirec_core.plugin.specs import DatasetSpec


@hookimpl
def omnirec_datasets() -> list[DatasetSpec]:
    return builtin_datasets()
