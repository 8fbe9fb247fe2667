"""Splitters: turn an unsplit dataset into train/val/test parts or cross-validation folds.

Each is registered as a built-in splitter plugin by :mod:`omnirec_core.builtin.splitters`.
"""

from omnirec_core.splitting.base import Splitter, UserwiseSplitter
from omnirec_core.splitting.crossval import RandomCrossValidation, UserCrossValidation
from omnirec_core.splitting.holdout import LeaveOneOut, RandomHoldout, TimeBasedHoldout, UserHoldout
from omnirec_core.splitting.report import describe_split

BUILTIN_SPLITTERS: tuple[type[Splitter], ...] = (
    RandomHoldout,
    UserHoldout,
    TimeBasedHoldout,
    LeaveOneOut,
    UserCrossValidation,
    RandomCrossValidation,
)

__all__ = [
    "BUILTIN_SPLITTERS",
    "LeaveOneOut",
    "RandomCrossValidation",
    "RandomHoldout",
    "Splitter",
    "TimeBasedHoldout",
    "UserCrossValidation",
    "UserHoldout",
    "UserwiseSplitter",
    "describe_split",
]
