"""Preprocessing: steps that turn one unsplit dataset into another, and ``Pipe``.

The splitters live in :mod:`omnirec_core.splitting`; they are also importable from here
so a whole pipeline needs one import line::

    from omnirec_core.preprocess import CorePruning, MakeImplicit, Pipe, UserHoldout
"""

from __future__ import annotations

from omnirec_core.data.step import Step
from omnirec_core.preprocess.pipe import Pipe
from omnirec_core.preprocess.steps import (
    CorePruning,
    MakeImplicit,
    RatingFilter,
    Subsample,
    TimeFilter,
)
from omnirec_core.splitting import (
    LeaveOneOut,
    RandomCrossValidation,
    RandomHoldout,
    Splitter,
    TimeBasedHoldout,
    UserCrossValidation,
    UserHoldout,
    describe_split,
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
    "LeaveOneOut",
    "MakeImplicit",
    "Pipe",
    "RandomCrossValidation",
    "RandomHoldout",
    "RatingFilter",
    "Splitter",
    "Step",
    "Subsample",
    "TimeBasedHoldout",
    "TimeFilter",
    "UserCrossValidation",
    "UserHoldout",
    "describe_split",
]
