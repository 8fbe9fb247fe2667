"""The Evaluator: scores every job with the same metrics and collects the results.

    evaluator = Evaluator(NDCG([5, 10]), Recall(10))
    result = evaluator.run_evaluation("ml-100k", "RecBole.BPR", config, None, topk, test,
                                      train=train, n_users=n_users, n_items=n_items)
    evaluator.get_tables()          # rich tables, one per dataset
    evaluator.compare(baseline="LensKit.ItemKNNScorer", metric="NDCG@10")

The Evaluator scores; the results it collects live in :attr:`Evaluator.results`, a
:class:`~omnirec_core.evaluation.resultset.ResultSet`; comparisons and tables come from
:mod:`~omnirec_core.evaluation.comparison` and :mod:`~omnirec_core.evaluation.presentation`.
The methods below that reach them keep the reference API (``get_tables()``, results).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from omnirec_core.errors import DataError
from omnirec_core.evaluation.metrics.base import Metric, MetricError
from omnirec_core.evaluation.metrics.columns import PairIndex, as_pair_index, columns_of
from omnirec_core.evaluation.metrics.prepare import prepare_rating, prepare_topk, relevant_pairs
from omnirec_core.evaluation.metrics.validate import PredictionError, validate_predictions
from omnirec_core.evaluation.presentation import Format
from omnirec_core.evaluation.result import JobResult
from omnirec_core.evaluation.resultset import JobFailure, Key, ResultSet

if TYPE_CHECKING:
    from rich.table import Table

    from omnirec_core.evaluation.tables import TableModel


class Evaluator:
    """Computes the given metrics for each job and keeps the results.

    ``relevance_threshold``: when set, only test items with ``rating >= threshold`` are relevant
    for ranking metrics (explicit feedback); otherwise every test item is relevant.
    """

    def __init__(self, *metrics: Metric, relevance_threshold: float | None = None) -> None:
        seen: dict[str, Metric] = {}
        for m in metrics:
            if not isinstance(m, Metric):
                raise MetricError(
                    f"Evaluator takes metric objects such as NDCG([10]), got {m!r}; "
                    "a custom metric subclasses omnirec_core.evaluation.metrics.Metric."
                )
            for lab in m.labels():
                if lab in seen:
                    raise MetricError(
                        f"{lab} is computed by both {seen[lab]!r} and {m!r}; give each cutoff once."
                    )
                seen[lab] = m
        self._metrics: tuple[Metric, ...] = tuple(metrics)
        self.relevance_threshold = relevance_threshold
        #: Every job result recorded so far (storage, tidy views, save/load).
        self.results = ResultSet()

    # -- what the coordinator asks before running -----------------------------------------

    @property
    def metrics(self) -> tuple[Metric, ...]:
        return self._metrics

    def max_k(self) -> int:
        """The largest cutoff of any metric (the K runners must return); 0 if none."""
        return max((k for m in self._metrics for k in m.ks), default=0)

    def needs_topk(self) -> bool:
        return any(m.kind == "topk" for m in self._metrics)

    def needs_ratings(self) -> bool:
        return any(m.kind == "rating" for m in self._metrics)

    def needs_train(self) -> bool:
        return any("train" in m.needs for m in self._metrics)

    def definitions(self) -> list[dict[str, Any]]:
        return [m.definition() for m in self._metrics]

    # -- scoring one job ---------------------------------------------------------------------

    def evaluate(
        self,
        topk: Any = None,
        test: Any = None,
        *,
        train: Any = None,
        n_users: int,
        n_items: int,
        pair_scores: Any = None,
        exclude_train: bool = True,
        known: Any = None,
    ) -> JobResult:
        """Validate the predictions and compute every metric for one job.

        ``topk``: ranked lists (``user``, ``item``, ``score`` [, ``rank``]); ``pair_scores``: a
        score per test pair for rating metrics; ``train`` (table or PairIndex) feeds popularity
        metrics and, when ``exclude_train``, is checked for leakage into the lists; ``known``
        (default: ``train``) is what must not appear in them instead, e.g. train and validation
        pairs when the split has a validation part.
        """
        if not self._metrics:
            raise MetricError("this Evaluator has no metrics; create it as Evaluator(NDCG([10]), ...).")
        if test is None:
            raise DataError("evaluate() needs the test table (user, item [, rating]).")
        wants_train = exclude_train or self.needs_train()
        train_index = as_pair_index(train, n_users, n_items) if train is not None and wants_train else None
        results, report = [], {}
        topk_metrics = [m for m in self._metrics if m.kind == "topk"]
        if topk_metrics:
            if topk is None:
                raise PredictionError(
                    f"{', '.join(map(repr, topk_metrics))} need top-K predictions; pass topk=..."
                )
            k = self.max_k() or None
            relevant = self._relevant(test, n_users, n_items)
            excluded = train_index if known is None else as_pair_index(known, n_users, n_items)
            lists = validate_predictions(
                topk,
                n_users=n_users,
                n_items=n_items,
                k=k,
                train=excluded,
                exclude_train=exclude_train,
                relevant=relevant[0] if relevant else None,
            )
            data = prepare_topk(
                None,
                test,
                lists=lists,
                train=train_index,
                relevance_threshold=self.relevance_threshold,
                max_k=k,
                relevant=relevant,
            )
            results += [m.compute(data) for m in topk_metrics]
            report["topk"] = data.report
        rating_metrics = [m for m in self._metrics if m.kind == "rating"]
        if rating_metrics:
            if pair_scores is None:
                raise PredictionError(
                    f"{', '.join(map(repr, rating_metrics))} need a score per test pair; pass pair_scores=..."
                )
            rdata = prepare_rating(pair_scores, test, n_users=n_users, n_items=n_items)
            results += [m.compute(rdata) for m in rating_metrics]
            report["rating"] = rdata.report
        return JobResult.from_metric_results(results, self.definitions(), report)

    def _relevant(self, test: Any, n_users: int, n_items: int) -> tuple[PairIndex, dict[str, int]] | None:
        """The relevant test pairs, built before validation so that one pass over the lists
        checks them and finds the hits; ``None`` when the test table is faulty (its error is
        raised later, after the predictions' own checks, as it always was)."""
        try:
            return relevant_pairs(columns_of(test), n_users, n_items, self.relevance_threshold)
        except DataError:
            return None

    # -- results (the reference API; see ResultSet) ------------------------------------------

    def add(
        self,
        dataset: str,
        algorithm: str,
        config: Mapping[str, Any] | str | None,
        fold: int | None,
        result: JobResult,
    ) -> None:
        """Record a job's result (replacing an earlier one for the same job)."""
        self.results.add(dataset, algorithm, config, fold, result)

    def run_evaluation(
        self,
        dataset: str,
        algorithm: str,
        config: Mapping[str, Any] | str | None,
        fold: int | None,
        topk: Any = None,
        test: Any = None,
        **kwargs: Any,
    ) -> JobResult:
        """:meth:`evaluate` then :meth:`add`; returns the job's result."""
        result = self.evaluate(topk, test, **kwargs)
        self.add(dataset, algorithm, config, fold, result)
        return result

    def jobs(self) -> dict[Key, JobResult]:
        """Every recorded result by (dataset, algorithm, config JSON, fold)."""
        return self.results.jobs()

    @property
    def failures(self) -> list[JobFailure]:
        """The jobs of the run that failed, with the phase and a one-line cause
        (``omnirec status CHECKPOINT_DIR`` shows the full records)."""
        return self.results.failures()

    def get_results(self, *, trials: bool = False) -> pd.DataFrame:
        """One row per value: ``dataset, algorithm, config, fold, metric, k, value``
        (``trials=True``: one row per tuning trial, see :meth:`ResultSet.get_results`)."""
        return self.results.get_results(trials=trials)

    def results_by_dataset(self) -> dict[str, pd.DataFrame]:
        """The reference API's shape: dataset -> frame of ``algorithm, fold, name, k, value``."""
        return self.results.results_by_dataset()

    def summary(self) -> pd.DataFrame:
        """Mean, std (n-1) and number of folds per dataset, algorithm, config and label."""
        return self.results.summary()

    def compare(self, baseline: str, metric: str | None = None, **options: Any) -> pd.DataFrame:
        """Paired tests against ``baseline`` (:func:`~omnirec_core.evaluation.comparison.compare`)."""
        return self.results.compare(baseline, metric, **options)

    def table_models(self, **options: Any) -> list[TableModel]:
        return self.results.table_models(**options)

    def get_tables(self, **options: Any) -> list[Table]:
        """Rich tables, one per dataset (:func:`~omnirec_core.evaluation.presentation.get_tables`)."""
        return self.results.get_tables(**options)

    def render(self, format: Format, **options: Any) -> str:
        """The results as ``table`` text, ``csv``, ``json``, ``markdown`` or ``latex``."""
        return self.results.render(format, **options)

    def export(self, path: str | Path, format: Format | None = None, **options: Any) -> Path:
        """Write :meth:`render` output to ``path`` atomically (format from the suffix if not given)."""
        return self.results.export(path, format, **options)

    def save_results(self, path: str | Path) -> Path:
        """Save every job's result: JSON at ``path`` plus per-user values in ``<stem>.per_user.npz``."""
        return self.results.save(path)

    def load_results(self, path: str | Path) -> Evaluator:
        """Add the results saved by :meth:`save_results` (same jobs are replaced); returns self."""
        self.results.load(path)
        return self
