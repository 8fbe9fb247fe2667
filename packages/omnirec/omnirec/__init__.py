"""omnirec with batteries included, under OmniRec's import paths.

Code written for OmniRec's documented API runs here unchanged::

    from omnirec import RecSysDataSet
    from omnirec.runner.coordinator import Coordinator
    from omnirec.runner.algos import LensKit, RecBole, RecPack

Every module of this package is a thin alias onto :mod:`omnirec_core` (where a name or a
parameter order differs, a small subclass translates). Names are imported lazily, so
``import omnirec`` stays light. Differences in behaviour are listed in
``docs/migrating-from-omnirec.md``.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# public name -> module that defines it (OmniRec's top-level names)
_EXPORTS: dict[str, str] = {
    "RecSysDataSet": "omnirec.recsys_data_set",
    "NDCG": "omnirec.metrics.ranking",
    "HR": "omnirec.metrics.ranking",
    "Recall": "omnirec.metrics.ranking",
    "list_datasets": "omnirec.data_loaders.registry",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'omnirec' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
