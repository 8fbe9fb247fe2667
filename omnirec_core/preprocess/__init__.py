"""Preprocessing: steps that turn one unsplit dataset into another, and ``Pipe``.

The splitters live in :mod:`omnirec_core.splitting`; they are also importable from here
(lazily, to avoid an import cycle) so a whole pipeline needs one import line::

    from omnirec_core.preprocess import CorePruning, MakeImplicit, Pipe, UserHoldout
"""

from __future__ import annotations

import importlib
from typing import Any

from omnirec_core.data.step import Step
from omnirec_core.preprocess.pipe import Pipe
from omnirec_core.preprocess.steps import (
    CorePruning,
    MakeImplicit,
    RatingFilter,
    Subsample,
    TimeFilter,
)

_SPLITTERS = (
    "Splitter",
    "RandomHoldout",
    "UserHoldout",
    "TimeBasedHoldout",
    "LeaveOneOut",
    "UserCrossValidation",
    "RandomCrossValidation",
    "describe_split",
)

__all__ = [
    "CorePruning",
    "MakeImplicit",
    "Pipe",
    "RatingFilter",
    "Step",
    "Subsample",
    "TimeFilter",
    *_SPLITTERS,
]


def __getattr__(name: str) -> Any:
    if name in _SPLITTERS:
        return getattr(importlib.import_module("omnirec_core.splitting"), name)
    raise AttributeError(f"module 'omnirec_core.preprocess' has no attribute {name!r}")
