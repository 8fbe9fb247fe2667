"""``omnirec.preprocess.split``: OmniRec's splitters, with OmniRec's parameter order.

OmniRec puts the validation size first: ``UserHoldout(validation_size, test_size)``,
``RandomHoldout(validation_size, test_size)``, ``UserCrossValidation(num_folds,
validation_size)``, ``RandomCrossValidation(num_folds, validation_size)`` and
``TimeBasedHoldout(validation, test)``. These classes take that order (and omnirec's
keyword names too) and run omnirec's splitters:

- sizes are fractions or whole counts, per user for the user-wise splitters, as in OmniRec;
- a cross-validation ``validation_size`` is, as in OmniRec, a fraction of all of a user's
  (or all) interactions; omnirec's ``val_size`` is a fraction of each fold's training part,
  so ``validation_size`` is divided by ``1 - 1/num_folds`` (recorded so in the lineage);
- ``TimeBasedHoldout`` takes two sizes (the newest interactions) or two times
  (``pd.Timestamp``: test from ``test`` on, validation from ``validation`` to ``test``).

The random draws are omnirec's (seeded by the global seed, the same for every framework),
so the parts are not the rows OmniRec's scikit-learn splits picked.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np

from omnirec._params import either
from omnirec_core.errors import SplitError
from omnirec_core.splitting import RandomCrossValidation as _RandomCrossValidation
from omnirec_core.splitting import RandomHoldout as _RandomHoldout
from omnirec_core.splitting import Splitter
from omnirec_core.splitting import TimeBasedHoldout as _TimeBasedHoldout
from omnirec_core.splitting import UserCrossValidation as _UserCrossValidation
from omnirec_core.splitting import UserHoldout as _UserHoldout
from omnirec_core.splitting.base import TooFew

DataSplit = Splitter  # OmniRec's base class of splitters


def _holdout(step: str, validation_size: Any, test_size: Any, val_size: Any) -> tuple[Any, Any]:
    """(test_size, val_size) from OmniRec's (validation_size, test_size)."""
    if test_size is None:
        raise SplitError(
            f"{step}(validation_size, test_size) takes OmniRec's order, validation first: give "
            f"both, e.g. {step}(0.1, 0.2) for 10 % validation and 20 % test"
        )
    return test_size, either(step, "validation_size", validation_size, "val_size", val_size, 0)


def _folds_val(step: str, num_folds: Any, folds: Any, validation_size: Any, val_size: Any) -> tuple[Any, Any]:
    """(folds, val_size) from OmniRec's (num_folds, validation_size of all interactions)."""
    k = either(step, "num_folds", num_folds, "folds", folds, 5)
    if validation_size is not None and val_size is not None:
        raise SplitError(f"{step}: validation_size and val_size name the same part; give one of them")
    if validation_size is None or validation_size == 0:
        return k, val_size or 0
    if isinstance(validation_size, float) and isinstance(k, (int, np.integer)) and k >= 2:
        # A share of each fold's training part, rounded so no float noise reaches the lineage.
        share = round(validation_size / (1 - 1 / k), 12)
        if not 0 < share < 1:
            raise SplitError(
                f"{step}({k}, validation_size={validation_size!r}): with {k} folds a fold's training "
                f"part is {1 - 1 / k:.0%} of the data, so validation_size must be below that"
            )
        return k, share
    return k, validation_size


class UserHoldout(_UserHoldout):
    """Hold out a random part of every user's interactions: ``(validation_size, test_size)``."""

    def __init__(
        self,
        validation_size: float | int | None = None,
        test_size: float | int | None = None,
        *,
        val_size: float | int | None = None,
        too_few: TooFew = "train",
        min_user_interactions: int | None = None,
    ) -> None:
        test, val = _holdout("UserHoldout", validation_size, test_size, val_size)
        super().__init__(test, val, too_few=too_few, min_user_interactions=min_user_interactions)


class RandomHoldout(_RandomHoldout):
    """Hold out random interactions: ``(validation_size, test_size)`` of all rows."""

    def __init__(
        self,
        validation_size: float | int | None = None,
        test_size: float | int | None = None,
        *,
        val_size: float | int | None = None,
    ) -> None:
        super().__init__(*_holdout("RandomHoldout", validation_size, test_size, val_size))


class UserCrossValidation(_UserCrossValidation):
    """k-fold cross-validation within users: ``(num_folds, validation_size)``."""

    def __init__(
        self,
        num_folds: int | None = None,
        validation_size: float | int | None = None,
        *,
        folds: int | None = None,
        val_size: float | int | None = None,
        too_few: TooFew = "train",
        min_user_interactions: int | None = None,
    ) -> None:
        k, val = _folds_val("UserCrossValidation", num_folds, folds, validation_size, val_size)
        super().__init__(k, val, too_few=too_few, min_user_interactions=min_user_interactions)


class RandomCrossValidation(_RandomCrossValidation):
    """k-fold cross-validation over all interactions: ``(num_folds, validation_size)``."""

    def __init__(
        self,
        num_folds: int | None = None,
        validation_size: float | int | None = None,
        *,
        folds: int | None = None,
        val_size: float | int | None = None,
    ) -> None:
        super().__init__(*_folds_val("RandomCrossValidation", num_folds, folds, validation_size, val_size))


def _is_time(value: Any) -> bool:
    return isinstance(value, (dt.datetime, dt.date, np.datetime64, str))


class TimeBasedHoldout(_TimeBasedHoldout):
    """A global cut in time: ``(validation, test)`` as sizes of the newest interactions or as times."""

    def __init__(
        self,
        validation: Any = None,
        test: Any = None,
        *,
        test_size: float | int | None = None,
        val_size: float | int | None = None,
        cutoff: Any = None,
        val_cutoff: Any = None,
    ) -> None:
        if validation is None and test is None:
            super().__init__(test_size, val_size, cutoff, val_cutoff)
            return
        if any(v is not None for v in (test_size, val_size, cutoff, val_cutoff)):
            raise SplitError(
                "TimeBasedHoldout: give (validation, test) as in OmniRec, or omnirec's test_size/val_size/"
                "cutoff/val_cutoff, not both"
            )
        if test is None or validation is None or _is_time(test) != _is_time(validation):
            raise SplitError(
                "TimeBasedHoldout(validation, test): give two sizes (fractions or counts of the newest "
                f"interactions) or two times, got validation={validation!r}, test={test!r}"
            )
        if _is_time(test):
            super().__init__(cutoff=test, val_cutoff=validation)
        else:
            super().__init__(test_size=test, val_size=validation or None)


__all__ = [
    "DataSplit",
    "RandomCrossValidation",
    "RandomHoldout",
    "TimeBasedHoldout",
    "UserCrossValidation",
    "UserHoldout",
]
