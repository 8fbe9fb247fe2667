"""The built-in splitter plugin: registers every splitter of :mod:`omnirec_core.splitting`.

Plan files name splitters by class name (``UserHoldout``, ``LeaveOneOut``...).
"""

from __future__ import annotations

from omnirec_core.plugin.hookspecs import hookimpl
from omnirec_core.plugin.specs import SplitterSpec
from omnirec_core.splitting import (
    BUILTIN_SPLITTERS,
    LeaveOneOut,
    RandomCrossValidation,
    RandomHoldout,
    Splitter,
    TimeBasedHoldout,
    UserCrossValidation,
    UserHoldout,
    describe_split,
)


@hookimpl
def omnirec_splitters() -> list[SplitterSpec]:
    return [
        SplitterSpec(name=cls.__name__, factory=cls, description=cls.description, folded=cls.folded)
        for cls in BUILTIN_SPLITTERS
    ]


__all__ = [
    "LeaveOneOut",
    "RandomCrossValidation",
    "RandomHoldout",
    "Splitter",
    "TimeBasedHoldout",
    "UserCrossValidation",
    "UserHoldout",
    "describe_split",
    "omnirec_splitters",
]
