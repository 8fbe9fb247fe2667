"""Profiles: what a dataset looks like at one point of its pipeline, small enough to record.

A profile holds the users, items and interactions that are present, the density, and the
distributions of interactions per user and per item, summarised as quantiles and a
histogram over logarithmic bins (never one value per user). Every step that changes a
dataset's data records the profile before and after it in ``meta["step_profiles"]``,
one entry per lineage entry (see :meth:`RecSysDataSet.replace_data`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # typing only: the dataset calls into this module
    from omnirec_core.data.dataset import RecSysDataSet

#: Key of ``RecSysDataSet.meta`` holding ``{"before", "after"}`` per lineage entry.
STEP_PROFILES = "step_profiles"
#: Quantiles of the count distributions, by name.
QUANTILES = {"min": 0.0, "q25": 0.25, "median": 0.5, "q75": 0.75, "q90": 0.9, "q99": 0.99, "max": 1.0}
#: Histogram bins per power of ten (counts are whole numbers, so small bins merge).
BINS_PER_DECADE = 8


def count_summary(counts: np.ndarray) -> dict[str, Any]:
    """Quantiles, mean and a log-binned histogram of positive whole-number counts.

    ``hist["edges"]`` are whole numbers; bin ``i`` counts the values in
    ``[edges[i], edges[i + 1])`` (the last bin includes its upper edge).
    """
    counts = np.asarray(counts)
    if len(counts) == 0:
        return {"n": 0}
    qs = np.quantile(counts, list(QUANTILES.values()))
    top = int(counts.max())
    decades = np.log10(top + 1) if top > 0 else 1.0
    edges = np.unique(np.floor(np.logspace(0, decades, int(np.ceil(decades * BINS_PER_DECADE)) + 1)))
    edges = edges.astype(np.int64)
    if edges[-1] <= top:
        edges = np.append(edges, top + 1)
    hist, _ = np.histogram(counts, bins=edges)
    return {
        "n": len(counts),
        "mean": float(counts.mean()),
        **{name: float(q) for name, q in zip(QUANTILES, qs)},
        "hist": {"edges": edges.tolist(), "counts": hist.astype(np.int64).tolist()},
    }


def profile(dataset: RecSysDataSet[Any]) -> dict[str, Any]:
    """The profile of ``dataset`` (over all its interactions; one fold's parts when folded)."""
    frames = dataset.frames()
    per_user = np.zeros(dataset.n_users, dtype=np.int64)
    per_item = np.zeros(dataset.n_items, dtype=np.int64)
    for df in frames:
        per_user += np.bincount(df["user"].to_numpy(), minlength=dataset.n_users)[: dataset.n_users]
        per_item += np.bincount(df["item"].to_numpy(), minlength=dataset.n_items)[: dataset.n_items]
    n = int(per_user.sum())
    users = int(np.count_nonzero(per_user))
    items = int(np.count_nonzero(per_item))
    return {
        "users": users,
        "items": items,
        "interactions": n,
        "density": n / (users * items) if users and items else 0.0,
        "per_user": count_summary(per_user[per_user > 0]),
        "per_item": count_summary(per_item[per_item > 0]),
    }


def record_step(before: RecSysDataSet[Any], after: RecSysDataSet[Any]) -> None:
    """Append the profiles around the step that made ``after`` from ``before`` to
    ``after.meta["step_profiles"]`` (aligned with the lineage; earlier entries without a
    recorded profile are ``None``)."""
    done = list(before.meta.get(STEP_PROFILES) or [])[: len(before.lineage)]
    done += [None] * (len(before.lineage) - len(done))
    last = done[-1] if done else None
    start = last["after"] if isinstance(last, dict) and "after" in last else profile(before)
    done.append({"before": start, "after": profile(after)})
    after.meta[STEP_PROFILES] = done
