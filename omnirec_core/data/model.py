"""The parts of a dataset: raw, split or folded interaction tables, and its fields.

The lowest module of ``data/``: loaders, the file format and the registry build
:class:`DatasetFields`; :class:`~omnirec_core.data.dataset.RecSysDataSet` wraps them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

import numpy as np
import pandas as pd

from omnirec_core.data.canon import COLUMNS, REQUIRED, canonicalize

Feedback = Literal["implicit", "explicit"]


@dataclass
class RawData:
    """All interactions, not yet split."""

    df: pd.DataFrame


@dataclass
class SplitData:
    """One train / validation / test split; ``val`` may be absent."""

    train: pd.DataFrame
    test: pd.DataFrame
    val: pd.DataFrame | None = None

    def parts(self) -> dict[str, pd.DataFrame]:
        """The present parts by name, in the order train, val, test."""
        out = {"train": self.train}
        if self.val is not None:
            out["val"] = self.val
        out["test"] = self.test
        return out


@dataclass
class FoldedData:
    """Cross-validation folds, each a :class:`SplitData`."""

    folds: list[SplitData]


T = TypeVar("T", RawData, SplitData, FoldedData)


@dataclass
class DatasetStats:
    """Descriptive statistics of a dataset (of all its interactions)."""

    name: str
    users: int
    items: int
    interactions: int
    density: float
    feedback: str
    rating_min: float | None
    rating_max: float | None
    time_min: int | None
    time_max: int | None
    per_user: dict[str, float]
    per_item: dict[str, float]
    parts: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class DatasetFields:
    """What a dataset is made of: name, data, original ids, lineage and metadata."""

    name: str
    data: Any
    user_ids: np.ndarray
    item_ids: np.ndarray
    lineage: list[dict[str, Any]] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)


def canonical_fields(df: pd.DataFrame, name: str, columns: Mapping[str, str] | None = None) -> DatasetFields:
    """Canonicalise a DataFrame of interactions (``columns`` renames yours to ours).

    ``df.attrs`` (e.g. a loader's parse reports) become the dataset's metadata.
    """
    attrs = dict(df.attrs)
    if columns:
        df = df.rename(columns=dict(columns))
    keep = [c for c in COLUMNS if c in df.columns]
    # Subset only when complete, so a missing-column error lists all the caller's columns.
    complete = all(c in df.columns for c in REQUIRED)
    canon = canonicalize(df[keep] if complete else df)
    meta = {**attrs, "duplicates_dropped": canon.duplicates_dropped}
    return DatasetFields(name, RawData(canon.df), canon.user_ids, canon.item_ids, meta=meta)
