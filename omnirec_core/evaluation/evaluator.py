"""The Evaluator: scores every job with the same metrics and collects the results.

    evaluator = Evaluator(NDCG([5, 10]), Recall(10))
    result = evaluator.run_evaluation("ml-100k", "RecBole.BPR", config, None, topk, test,
                                      train=train, n_users=n_users, n_items=n_items)
    evaluator.get_tables()          # rich tables, one per dataset
    evaluator.compare(baseline="LensKit.ItemKNNScorer", metric="NDCG@10")

Results are kept per (dataset, algorithm, config, fold) as :class:`JobResult` (aggregated and
per-user values); tables show mean ± std over folds.
"""

from __future__ import annotations

import difflib
import io
import json
import logging
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from omnirec_core.errors import DataError
from omnirec_core.evaluation.metrics import tables
from omnirec_core.evaluation.metrics.base import Metric, MetricError, split_label
from omnirec_core.evaluation.metrics.columns import as_pair_index
from omnirec_core.evaluation.metrics.prepare import prepare_rating, prepare_topk
from omnirec_core.evaluation.metrics.significance import align, compare_paired, holm
from omnirec_core.evaluation.metrics.validate import PredictionError, validate_predictions
from omnirec_core.evaluation.result import JobResult, ResultsError
from omnirec_core.runner.fs import atomic_open, atomic_write_json, sha256_file

log = logging.getLogger(__name__)

Key = tuple[str, str, str, "int | None"]
Format = Literal["table", "csv", "json", "markdown", "latex"]
SUFFIX_FORMATS = {
    ".csv": "csv",
    ".json": "json",
    ".md": "markdown",
    ".markdown": "markdown",
    ".tex": "latex",
    ".txt": "table",
}
RESULTS_FORMAT = "omnirec-results"
COMPARE_COLUMNS = [
    "dataset",
    "baseline",
    "algorithm",
    "config",
    "metric",
    "n",
    "mean_baseline",
    "mean",
    "diff",
    "ci_low",
    "ci_high",
    "cohens_d",
    "t_stat",
    "t_p",
    "w_stat",
    "w_p",
    "t_p_holm",
    "w_p_holm",
    "significant_t",
    "significant_w",
]


def config_json(config: Mapping[str, Any] | str | None) -> str:
    """Canonical JSON of a config (sorted keys), the form results are keyed by."""
    if isinstance(config, str):
        try:
            config = json.loads(config)
        except ValueError:
            return json.dumps({"config": config})
    return json.dumps(dict(config or {}), sort_keys=True, default=str)


def config_text(cfg: str) -> str:
    """``k=50, lr=0.01`` for display."""
    return ", ".join(f"{k}={v}" for k, v in json.loads(cfg).items())


def row_label(algorithm: str, cfg: str) -> str:
    text = config_text(cfg)
    return f"{algorithm} [{text}]" if text else algorithm


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
        self._jobs: dict[Key, JobResult] = {}

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
    ) -> JobResult:
        """Validate the predictions and compute every metric for one job.

        ``topk``: ranked lists (``user``, ``item``, ``score`` [, ``rank``]); ``pair_scores``: a
        score per test pair for rating metrics; ``train`` (table or PairIndex) is checked for
        leakage into the lists when ``exclude_train`` and feeds popularity metrics.
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
            lists = validate_predictions(
                topk, n_users=n_users, n_items=n_items, k=k, train=train_index, exclude_train=exclude_train
            )
            data = prepare_topk(
                None,
                test,
                lists=lists,
                train=train_index,
                relevance_threshold=self.relevance_threshold,
                max_k=k,
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

    def add(
        self,
        dataset: str,
        algorithm: str,
        config: Mapping[str, Any] | str | None,
        fold: int | None,
        result: JobResult,
    ) -> None:
        """Record a job's result (replacing an earlier one for the same job)."""
        key = (str(dataset), str(algorithm), config_json(config), None if fold is None else int(fold))
        self._jobs[key] = result

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
        return dict(self._jobs)

    # -- tidy results -------------------------------------------------------------------------

    def get_results(self) -> pd.DataFrame:
        """One row per value: ``dataset, algorithm, config, fold, metric, k, value``."""
        rows = [
            (ds, algo, cfg, fold, *split_label(lab), v)
            for (ds, algo, cfg, fold), res in self._jobs.items()
            for lab, v in res.values.items()
        ]
        df = pd.DataFrame(rows, columns=["dataset", "algorithm", "config", "fold", "metric", "k", "value"])
        df["fold"] = df["fold"].astype("Int64")
        df["k"] = df["k"].astype("Int64")
        df["value"] = df["value"].astype(np.float64)
        return df

    def results_by_dataset(self) -> dict[str, pd.DataFrame]:
        """The reference API's shape: dataset -> frame of ``algorithm, fold, name, k, value``."""
        df = self.get_results().rename(columns={"metric": "name"})
        df["algorithm"] = [row_label(a, c) for a, c in zip(df["algorithm"], df["config"])]
        return {
            ds: part[["algorithm", "fold", "name", "k", "value"]].reset_index(drop=True)
            for ds, part in df.groupby("dataset", sort=False)
        }

    def summary(self) -> pd.DataFrame:
        """Mean, std (n-1) and number of folds per dataset, algorithm, config and label."""
        groups: dict[tuple[str, str, str, str], list[float]] = {}
        for (ds, algo, cfg, _fold), res in self._jobs.items():
            for lab, v in res.values.items():
                groups.setdefault((ds, algo, cfg, lab), []).append(v)
        rows = []
        for (ds, algo, cfg, lab), vals in groups.items():
            arr = np.asarray(vals, dtype=np.float64)
            std = float(np.std(arr, ddof=1)) if len(arr) > 1 else float("nan")
            rows.append((ds, algo, cfg, *split_label(lab), lab, float(arr.mean()), std, len(arr)))
        df = pd.DataFrame(
            rows, columns=["dataset", "algorithm", "config", "metric", "k", "label", "mean", "std", "folds"]
        )
        df["k"] = df["k"].astype("Int64")
        return df

    # -- significance ---------------------------------------------------------------------------

    def _rows_by_dataset(self) -> dict[str, list[tuple[str, str]]]:
        out: dict[str, list[tuple[str, str]]] = {}
        for ds, algo, cfg, _ in self._jobs:
            rows = out.setdefault(ds, [])
            if (algo, cfg) not in rows:
                rows.append((algo, cfg))
        return out

    def _baseline_rows(self, baseline: str) -> dict[str, tuple[str, str]]:
        found: dict[str, tuple[str, str]] = {}
        names: set[str] = set()
        for ds, rows in self._rows_by_dataset().items():
            names.update(row_label(a, c) for a, c in rows)
            names.update(a for a, _ in rows)
            exact = [r for r in rows if row_label(*r) == baseline]
            matches = exact or [r for r in rows if r[0] == baseline]
            if len(matches) > 1:
                labels = "; ".join(repr(row_label(*r)) for r in matches)
                raise MetricError(
                    f"baseline {baseline!r} matches several configs on {ds}: {labels}; name one of them."
                )
            if matches:
                found[ds] = matches[0]
        if not found:
            close = difflib.get_close_matches(baseline, sorted(names), n=3)
            hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
            raise MetricError(
                f"no results for baseline {baseline!r}.{hint} Known: {', '.join(sorted(names)) or 'none'}."
            )
        return found

    def _compare_labels(self, metric: str | None) -> list[str]:
        labels: list[str] = []
        for res in self._jobs.values():
            labels += [lab for lab in res.values if lab not in labels]
        with_users = [lab for lab in labels if any(lab in r.per_user for r in self._jobs.values())]
        if metric is None:
            chosen = with_users
        else:
            chosen = [lab for lab in labels if lab == metric or split_label(lab)[0] == metric]
            if not chosen:
                raise MetricError(f"no results for metric {metric!r}; known: {', '.join(labels) or 'none'}.")
            missing = [lab for lab in chosen if lab not in with_users]
            if missing and len(missing) == len(chosen):
                raise ResultsError(
                    f"{', '.join(missing)} have no per-user values (a global metric such as coverage, "
                    "or results loaded without their per-user file); significance tests need per-user values."
                )
            chosen = [lab for lab in chosen if lab in with_users]
        return chosen

    def compare(
        self,
        baseline: str,
        metric: str | None = None,
        *,
        alpha: float = 0.05,
        family: Literal["metric", "all"] = "metric",
    ) -> pd.DataFrame:
        """Paired tests of every algorithm against ``baseline`` on per-user values.

        ``baseline`` is an algorithm (``"RecBole.BPR"``) or a row label with config
        (``"RecBole.BPR [lr=0.01]"``); ``metric`` a label (``"NDCG@10"``), a name (all its
        cutoffs) or None (every metric with per-user values). Users are paired within each
        fold and pooled over folds. p-values are Holm-corrected per (dataset, metric) family,
        or over all comparisons with ``family="all"``.
        """
        base_rows = self._baseline_rows(baseline)
        labels = self._compare_labels(metric)
        records = []
        for ds, rows in self._rows_by_dataset().items():
            if ds not in base_rows:
                continue
            balgo, bcfg = base_rows[ds]
            for algo, cfg in rows:
                if (algo, cfg) == (balgo, bcfg):
                    continue
                for lab in labels:
                    a, b = self._paired(ds, (balgo, bcfg), (algo, cfg), lab)
                    if a is None:
                        continue
                    stats = compare_paired(a, b)
                    records.append(
                        {
                            "dataset": ds,
                            "baseline": row_label(balgo, bcfg),
                            "algorithm": algo,
                            "config": cfg,
                            "metric": lab,
                            **stats.as_dict(),
                        }
                    )
        df = pd.DataFrame.from_records(records, columns=COMPARE_COLUMNS[:16])
        groups = (
            [np.arange(len(df))]
            if family == "all"
            else list(df.groupby(["dataset", "metric"], sort=False).indices.values())
        )
        for p_col in ("t_p", "w_p"):
            adj = np.full(len(df), np.nan)
            for idx in groups:
                adj[idx] = holm(df[p_col].to_numpy(dtype=np.float64)[idx])
            df[f"{p_col}_holm"] = adj
        df["significant_t"] = df["t_p_holm"] < alpha
        df["significant_w"] = df["w_p_holm"] < alpha
        return df[COMPARE_COLUMNS]

    def _paired(self, ds: str, base: tuple[str, str], other: tuple[str, str], lab: str):
        folds_b = {k[3] for k in self._jobs if k[:3] == (ds, *base)}
        folds_o = {k[3] for k in self._jobs if k[:3] == (ds, *other)}
        parts_a, parts_b = [], []
        for fold in sorted(folds_b & folds_o, key=lambda f: -1 if f is None else f):
            ra, rb = self._jobs[(ds, *base, fold)], self._jobs[(ds, *other, fold)]
            if lab not in ra.per_user or lab not in rb.per_user:
                continue
            a, b = align(ra.users, ra.per_user[lab], rb.users, rb.per_user[lab])
            parts_a.append(a)
            parts_b.append(b)
        if not parts_a:
            return None, None
        return np.concatenate(parts_a), np.concatenate(parts_b)

    # -- tables -------------------------------------------------------------------------------

    def table_models(
        self,
        *,
        baseline: str | None = None,
        metric: str | None = None,
        per_fold: bool = False,
        alpha: float = 0.05,
    ) -> list[tables.TableModel]:
        """Renderer-neutral tables, one per dataset (see :meth:`get_tables`)."""
        marks: dict[tuple[str, str, str, str], str] = {}
        base_rows: dict[str, tuple[str, str]] = {}
        if baseline is not None and not per_fold:
            base_rows = self._baseline_rows(baseline)
            comp = self.compare(baseline, metric, alpha=alpha)
            for r in comp.itertuples(index=False):
                m = (tables.T_MARK if r.significant_t else "") + (tables.W_MARK if r.significant_w else "")
                marks[(r.dataset, r.algorithm, r.config, r.metric)] = m
        models = []
        for ds, rows in self._rows_by_dataset().items():
            keys = [k for k in self._jobs if k[0] == ds]
            labels: list[str] = []
            for k in keys:
                labels += [lab for lab in self._jobs[k].values if lab not in labels]
            show_cfg = any(cfg != "{}" for _, cfg in rows)
            has_folds = any(k[3] is not None for k in keys)
            headers = ["Algorithm"] + (["Config"] if show_cfg else [])
            n_label = len(headers)
            body: list[list[tables.Cell]] = []
            base_index = None
            if per_fold:
                if has_folds:
                    headers.append("Fold")
                    n_label += 1
                for ds_, algo, cfg, fold in keys:
                    res = self._jobs[(ds_, algo, cfg, fold)]
                    cells = [tables.Cell(algo)] + ([tables.Cell(config_text(cfg))] if show_cfg else [])
                    if has_folds:
                        cells.append(tables.Cell("" if fold is None else str(fold)))
                    cells += [
                        tables.Cell(tables.fmt_value(res.values.get(lab, float("nan")))) for lab in labels
                    ]
                    body.append(cells)
            else:
                if has_folds:
                    headers.append("Folds")
                    n_label += 1
                for algo, cfg in rows:
                    jobs = [self._jobs[k] for k in keys if k[1:3] == (algo, cfg)]
                    cells = [tables.Cell(algo)] + ([tables.Cell(config_text(cfg))] if show_cfg else [])
                    if has_folds:
                        cells.append(tables.Cell(str(len(jobs))))
                    for lab in labels:
                        vals = np.array([j.values[lab] for j in jobs if lab in j.values], dtype=np.float64)
                        mean = float(vals.mean()) if len(vals) else float("nan")
                        std = float(np.std(vals, ddof=1)) if len(vals) > 1 else None
                        cells.append(
                            tables.Cell(tables.fmt_value(mean, std), marks.get((ds, algo, cfg, lab), ""))
                        )
                    if base_rows.get(ds) == (algo, cfg):
                        base_index = len(body)
                    body.append(cells)
            caption = tables.legend(row_label(*base_rows[ds]), alpha) if ds in base_rows else ""
            models.append(tables.TableModel(ds, headers + labels, body, n_label, caption, base_index))
        return models

    def get_tables(
        self,
        *,
        baseline: str | None = None,
        metric: str | None = None,
        per_fold: bool = False,
        alpha: float = 0.05,
    ) -> list[Any]:
        """Rich tables, one per dataset: a row per algorithm (+ config), a column per metric@k.

        Values are mean ± std over folds (a ``Folds`` column appears when there are folds);
        ``per_fold=True`` shows one row per fold instead. With ``baseline``, cells of the
        mean ± std view carry ``*`` / ``†`` when the paired t-test / Wilcoxon test against the
        baseline is significant at ``alpha`` after Holm (see :meth:`compare`).
        """
        return [
            tables.to_rich(m)
            for m in self.table_models(baseline=baseline, metric=metric, per_fold=per_fold, alpha=alpha)
        ]

    # -- exports --------------------------------------------------------------------------------

    def to_csv(self) -> str:
        """The tidy results (:meth:`get_results`) as CSV."""
        return self.get_results().to_csv(index=False)

    def to_json(self, *, baseline: str | None = None, metric: str | None = None, alpha: float = 0.05) -> str:
        """Tidy results and the fold summary (and comparisons with ``baseline``) as JSON."""
        doc: dict[str, Any] = {
            "results": _records(self.get_results()),
            "summary": _records(self.summary()),
        }
        if baseline is not None:
            doc["comparison"] = _records(self.compare(baseline, metric, alpha=alpha))
        return json.dumps(doc, indent=2) + "\n"

    def to_markdown(self, **table_options: Any) -> str:
        """One Markdown table per dataset (options as for :meth:`get_tables`)."""
        return "\n".join(tables.to_markdown(m) for m in self.table_models(**table_options))

    def to_latex(self, **table_options: Any) -> str:
        """One booktabs LaTeX table per dataset (options as for :meth:`get_tables`)."""
        return "\n".join(tables.to_latex(m) for m in self.table_models(**table_options))

    def to_text(self, width: int = 160, **table_options: Any) -> str:
        """The rich tables rendered as plain text."""
        from rich.console import Console

        console = Console(width=width, record=True, file=io.StringIO(), color_system=None)
        for t in self.get_tables(**table_options):
            console.print(t)
        return console.export_text()

    def render(self, format: Format, **options: Any) -> str:
        """The results in ``format``: ``table`` (plain text), ``csv``, ``json``, ``markdown``, ``latex``."""
        if format == "csv":
            if options.get("baseline") is not None:
                return self.compare(
                    options["baseline"], options.get("metric"), alpha=options.get("alpha", 0.05)
                ).to_csv(index=False)
            return self.to_csv()
        if format == "json":
            return self.to_json(**{k: v for k, v in options.items() if k in ("baseline", "metric", "alpha")})
        renderer = {"markdown": self.to_markdown, "latex": self.to_latex, "table": self.to_text}.get(format)
        if renderer is None:
            raise MetricError(f"unknown export format {format!r}; use table, csv, json, markdown or latex.")
        return renderer(**options)

    def export(self, path: str | Path, format: Format | None = None, **options: Any) -> Path:
        """Write :meth:`render` output to ``path`` atomically (format from the suffix if not given)."""
        path = Path(path)
        if format is None:
            format = SUFFIX_FORMATS.get(path.suffix.lower())  # type: ignore[assignment]
            if format is None:
                raise MetricError(
                    f"cannot tell the format of {path.name}; pass format= (table, csv, json, markdown, latex)."
                )
        text = self.render(format, **options)
        with atomic_open(path, "w") as fh:
            fh.write(text)
        return path

    # -- save / load ------------------------------------------------------------------------------

    def save_results(self, path: str | Path) -> Path:
        """Save every job's result: JSON at ``path`` plus per-user values in ``<stem>.per_user.npz``."""
        path = Path(path)
        npz = path.with_name(path.stem + ".per_user.npz")
        arrays: dict[str, np.ndarray] = {}
        jobs = []
        for j, ((ds, algo, cfg, fold), res) in enumerate(self._jobs.items()):
            labels = list(res.per_user)
            if labels:
                arrays[f"j{j}_users"] = res.users
                arrays.update({f"j{j}_v{i}": res.per_user[lab] for i, lab in enumerate(labels)})
            jobs.append(
                {
                    "dataset": ds,
                    "algorithm": algo,
                    "config": json.loads(cfg),
                    "fold": fold,
                    "values": res.values,
                    "labels": list(res.values),
                    "report": res.report,
                    "metrics": res.metrics,
                    "per_user": {"key": f"j{j}", "labels": labels},
                }
            )
        doc: dict[str, Any] = {"format": RESULTS_FORMAT, "version": 1, "jobs": jobs, "per_user": None}
        if arrays:
            with atomic_open(npz, "wb") as fh:
                np.savez(fh, **arrays)
            doc["per_user"] = {"file": npz.name, "sha256": sha256_file(npz)}
        atomic_write_json(path, doc)
        return path

    def load_results(self, path: str | Path) -> Evaluator:
        """Add the results saved by :meth:`save_results` (same jobs are replaced); returns self."""
        path = Path(path)
        try:
            doc = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            raise ResultsError(f"cannot read results file {path}: {exc}") from None
        if not isinstance(doc, dict) or doc.get("format") != RESULTS_FORMAT:
            raise ResultsError(f"{path} is not an omnirec results file (written by Evaluator.save_results).")
        arrays: Mapping[str, np.ndarray] = {}
        meta = doc.get("per_user")
        if meta:
            npz = path.with_name(meta["file"])
            if npz.exists() and sha256_file(npz) == meta.get("sha256"):
                with np.load(npz, allow_pickle=False) as data:
                    arrays = {k: data[k] for k in data.files}
            else:
                log.warning("%s is missing or altered; per-user values (for compare) are not loaded", npz)
        for job in doc["jobs"]:
            key = job["per_user"]["key"]
            labels = job["per_user"]["labels"] if arrays else []
            values = job["values"]
            res = JobResult(
                {lab: float(values[lab]) for lab in job.get("labels", values)},
                users=arrays.get(f"{key}_users", np.empty(0, dtype=np.int64)),
                per_user={lab: arrays[f"{key}_v{i}"] for i, lab in enumerate(labels)},
                report=job.get("report", {}),
                metrics=job.get("metrics", []),
            )
            self.add(job["dataset"], job["algorithm"], job["config"], job["fold"], res)
        return self


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """JSON-safe records: pandas NA and float NaN become null."""
    out = []
    for rec in df.astype(object).where(df.notna(), None).to_dict(orient="records"):
        out.append({k: (v.item() if isinstance(v, np.generic) else v) for k, v in rec.items()})
    return out


def evaluator_from_names(names: Iterable[tuple[str, Any]]) -> Evaluator:
    """An Evaluator from (metric name, cutoffs) pairs, resolved through the plugin registry."""
    from omnirec_core.plugin.manager import get_metric

    metrics = []
    for name, k in names:
        spec = get_metric(name)
        metrics.append(spec.factory(k) if k is not None else spec.factory())
    return Evaluator(*metrics)
