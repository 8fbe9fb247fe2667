"""The metric base class and the result record every metric returns.

A metric is a small object: its cutoffs (``NDCG([5, 10])``) and a ``compute`` over data the
evaluator prepared once per job (:class:`~omnirec_core.evaluation.metrics.prepare.TopKData` or
:class:`~omnirec_core.evaluation.metrics.prepare.RatingData`). ``calculate(predictions, test, **context)``
runs one metric on its own, as in the reference API.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

import numpy as np
import pandas as pd

from omnirec_core.errors import OmniRecError
from omnirec_core.evaluation.metrics.prepare import prepare_rating, prepare_topk

Kind = Literal["topk", "rating"]


class MetricError(OmniRecError, ValueError):
    """A metric is configured wrongly or lacks the context it needs (cutoffs, train, n_items)."""


def label(name: str, k: int | None) -> str:
    """The column name of a metric value: ``NDCG@10``, or ``RMSE`` for a metric without cutoff."""
    return name if k is None else f"{name}@{k}"


def split_label(text: str) -> tuple[str, int | None]:
    """Inverse of :func:`label`: ``"NDCG@10"`` -> ``("NDCG", 10)``, ``"RMSE"`` -> ``("RMSE", None)``."""
    name, sep, k = text.rpartition("@")
    if sep and k.isdigit():
        return name, int(k)
    return text, None


def parse_cutoffs(name: str, k: int | Iterable[int] | None, *, required: bool) -> tuple[int, ...]:
    """Cutoffs as a sorted tuple of distinct positive ints; a clear error for anything else."""
    if k is None:
        if required:
            raise MetricError(f"{name} needs at least one cutoff k, for example {name}([10]).")
        return ()
    if isinstance(k, (int, np.integer)) or not isinstance(k, Iterable) or isinstance(k, str):
        values = [k]
    else:
        values = list(k)
    out: set[int] = set()
    for v in values:
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
            raise MetricError(
                f"{name} cutoffs must be positive integers, got {v!r}; write e.g. {name}([5, 10])."
            )
        out.add(int(v))
    if required and not out:
        raise MetricError(f"{name} needs at least one cutoff k, for example {name}([10]).")
    return tuple(sorted(out))


@dataclass(frozen=True)
class MetricResult:
    """What one metric computed.

    ``result`` is a float for a metric without cutoff (RMSE) and ``{k: value}`` otherwise, as
    in the reference API. ``per_user`` maps each k (``None`` for no cutoff) to one value per
    entry of ``users`` (sorted user ids); it is empty for global metrics (coverage, Gini).
    """

    name: str
    result: float | dict[int, float]
    users: np.ndarray | None = None
    per_user: Mapping[Any, np.ndarray] = field(default_factory=dict)  # k (None: no cutoff) -> values
    report: Mapping[str, Any] | None = None

    def values(self) -> dict[str, float]:
        """``{"NDCG@5": v5, "NDCG@10": v10}`` (or ``{"RMSE": v}``)."""
        if isinstance(self.result, dict):
            return {label(self.name, k): float(v) for k, v in self.result.items()}
        return {self.name: float(self.result)}

    @property
    def value(self) -> float:
        """The single value of a metric with at most one cutoff."""
        vals = self.values()
        if len(vals) != 1:
            raise MetricError(f"{self.name} has several values ({', '.join(vals)}); index by k.")
        return next(iter(vals.values()))

    def __getitem__(self, key: int | str) -> float:
        """The value at cutoff ``key`` (an int) or under label ``key`` (``"NDCG@10"``)."""
        vals = self.values()
        text = label(self.name, key) if isinstance(key, (int, np.integer)) else key
        if text not in vals:
            raise KeyError(f"{text!r} not in {list(vals)}")
        return vals[text]

    def per_user_labels(self) -> dict[str, np.ndarray]:
        """Per-user arrays keyed by label (aligned with ``users``)."""
        return {label(self.name, k): v for k, v in self.per_user.items()}

    def per_user_frame(self) -> pd.DataFrame:
        """One row per user: ``user`` and one column per label."""
        data: dict[str, Any] = {"user": self.users if self.users is not None else []}
        data.update(self.per_user_labels())
        return pd.DataFrame(data)


class Metric:
    """Base class of every metric.

    Subclasses set ``name`` (defaults to the class name), ``kind`` (``"topk"`` ranking lists or
    ``"rating"`` pair scores), ``formula`` and ``higher_is_better``, and implement
    :meth:`compute`. A third-party metric may instead override :meth:`calculate` alone, as in the
    reference API; the evaluator then hands it plain DataFrames.
    """

    name: ClassVar[str] = ""
    kind: ClassVar[Kind] = "topk"
    formula: ClassVar[str] = ""
    higher_is_better: ClassVar[bool] = True
    #: context keywords ``calculate`` needs besides predictions and test (``train``, ``n_items``)
    needs: ClassVar[tuple[str, ...]] = ()
    #: whether a cutoff is mandatory
    cutoff_required: ClassVar[bool] = False

    def __init__(self, k: int | Iterable[int] | None = None) -> None:
        self.ks: tuple[int, ...] = parse_cutoffs(self.metric_name, k, required=self.cutoff_required)

    @property
    def metric_name(self) -> str:
        return type(self).name or type(self).__name__

    def labels(self) -> list[str]:
        """The value labels this metric produces (``NDCG@5``, ``NDCG@10``)."""
        return [label(self.metric_name, k) for k in self.ks] or [self.metric_name]

    def definition(self) -> dict[str, Any]:
        """A JSON-able description, stored with every job's metrics."""
        doc = (type(self).__doc__ or "").strip().splitlines()
        return {
            "name": self.metric_name,
            "k": list(self.ks),
            "kind": self.kind,
            "formula": self.formula,
            "higher_is_better": self.higher_is_better,
            "description": doc[0] if doc else "",
            "class": f"{type(self).__module__}.{type(self).__qualname__}",
        }

    def calculate(self, predictions: Any, test: Any, **context: Any) -> MetricResult:
        """Compute this metric alone.

        ``predictions`` and ``test`` are DataFrames (or mappings of column arrays). Context
        keywords: ``n_users``, ``n_items`` (inferred from the ids when absent, except where a
        metric needs the true catalogue size), ``train``, ``relevance_threshold``.
        """
        missing = [n for n in self.needs if context.get(n) is None]
        if missing:
            raise MetricError(
                f"{self.metric_name} needs {' and '.join(missing)}: pass "
                + ", ".join(f"{n}=..." for n in missing)
                + " to calculate()."
            )
        if self.kind == "rating":
            data: Any = prepare_rating(predictions, test, **context)
        else:
            context.setdefault("max_k", max(self.ks, default=None))
            data = prepare_topk(predictions, test, **context)
        return self.compute(data)

    def compute(self, data: Any) -> MetricResult:
        """Compute from data prepared once per job by the evaluator."""
        if type(self).calculate is Metric.calculate:
            raise NotImplementedError(f"{type(self).__name__} implements neither compute nor calculate")
        # A reference-style metric that only overrides calculate(): give it plain frames.
        return self.calculate(data.predictions_frame(), data.test_frame(), **data.context())

    def __repr__(self) -> str:
        ks = f"{list(self.ks)}" if self.ks else ""
        return f"{type(self).__name__}({ks})"

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and vars(other) == vars(self)

    def __hash__(self) -> int:
        return hash((type(self), self.ks))
