"""omnirec: reproducible recommender-system experiments across frameworks.

The public API is imported lazily, so ``import omnirec_core.wire`` inside a runner env
stays light (no pandas, pluggy or click).
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# public name -> module that defines it
_EXPORTS: dict[str, str] = {
    "RecSysDataSet": "omnirec_core.data.dataset",
    "RawData": "omnirec_core.data.dataset",
    "SplitData": "omnirec_core.data.dataset",
    "FoldedData": "omnirec_core.data.dataset",
    "DatasetStats": "omnirec_core.data.dataset",
    "set_random_state": "omnirec_core.random",
    "get_random_state": "omnirec_core.random",
    "OmniRecError": "omnirec_core.errors",
    "DataError": "omnirec_core.errors",
    "SplitError": "omnirec_core.errors",
    "PluginError": "omnirec_core.errors",
    "hookimpl": "omnirec_core.hookspecs",
    "DatasetSpec": "omnirec_core.specs",
    "SplitterSpec": "omnirec_core.specs",
    "MetricSpec": "omnirec_core.specs",
    "RunnerSpec": "omnirec_core.specs",
    "AlgorithmSpec": "omnirec_core.specs",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'omnirec_core' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
