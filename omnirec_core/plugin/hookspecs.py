"""pluggy hook specifications: the stable surface third-party plugins implement.

Hooks may gain optional arguments over time, never lose any. Each hook returns a list
of spec records (see :mod:`omnirec_core.plugin.specs`).
"""

from __future__ import annotations

import pluggy

from omnirec_core.plugin.specs import DatasetSpec, MetricSpec, RunnerSpec, SplitterSpec

PROJECT = "omnirec"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def omnirec_datasets() -> list[DatasetSpec]:
    """Return the datasets this plugin provides."""
    raise NotImplementedError


@hookspec
def omnirec_splitters() -> list[SplitterSpec]:
    """Return the splitters this plugin provides."""
    raise NotImplementedError


@hookspec
def omnirec_metrics() -> list[MetricSpec]:
    """Return the metrics this plugin provides."""
    raise NotImplementedError


@hookspec
def omnirec_runners() -> list[RunnerSpec]:
    """Return the framework runners this plugin provides."""
    raise NotImplementedError
