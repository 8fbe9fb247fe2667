"""Significance: paired tests of every algorithm against a baseline, on per-user values.

Users are paired within each fold and pooled over folds; p-values are Holm-corrected per
(dataset, metric) family or over all comparisons (see ``docs/metrics.md``).
"""

from __future__ import annotations

import difflib
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd

from omnirec_core.evaluation.labels import row_label
from omnirec_core.evaluation.metrics.base import MetricError, split_label
from omnirec_core.evaluation.metrics.significance import align, compare_paired, holm
from omnirec_core.evaluation.result import ResultsError

if TYPE_CHECKING:  # typing only: a result set calls into this module
    from omnirec_core.evaluation.resultset import ResultSet

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


def baseline_rows(results: ResultSet, baseline: str) -> dict[str, tuple[str, str]]:
    """The (algorithm, config JSON) row that ``baseline`` names, per dataset that has it."""
    found: dict[str, tuple[str, str]] = {}
    names: set[str] = set()
    for ds, rows in results.rows_by_dataset().items():
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


def _compare_labels(results: ResultSet, metric: str | None) -> list[str]:
    labels = results.labels()
    jobs = results.jobs().values()
    with_users = [lab for lab in labels if any(lab in r.per_user for r in jobs)]
    if metric is None:
        return with_users
    chosen = [lab for lab in labels if lab == metric or split_label(lab)[0] == metric]
    if not chosen:
        raise MetricError(f"no results for metric {metric!r}; known: {', '.join(labels) or 'none'}.")
    missing = [lab for lab in chosen if lab not in with_users]
    if missing and len(missing) == len(chosen):
        raise ResultsError(
            f"{', '.join(missing)} have no per-user values (a global metric such as coverage, "
            "or results loaded without their per-user file); significance tests need per-user values."
        )
    return [lab for lab in chosen if lab in with_users]


def _paired(
    results: ResultSet, ds: str, base: tuple[str, str], other: tuple[str, str], lab: str
) -> tuple[np.ndarray, np.ndarray] | None:
    jobs = results.jobs()
    folds_b = {k[3] for k in jobs if k[:3] == (ds, *base)}
    folds_o = {k[3] for k in jobs if k[:3] == (ds, *other)}
    parts_a, parts_b = [], []
    for fold in sorted(folds_b & folds_o, key=lambda f: -1 if f is None else f):
        ra, rb = jobs[(ds, *base, fold)], jobs[(ds, *other, fold)]
        if lab not in ra.per_user or lab not in rb.per_user:
            continue
        a, b = align(ra.users, ra.per_user[lab], rb.users, rb.per_user[lab])
        parts_a.append(a)
        parts_b.append(b)
    if not parts_a:
        return None
    return np.concatenate(parts_a), np.concatenate(parts_b)


def compare(
    results: ResultSet,
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
    base_rows = baseline_rows(results, baseline)
    labels = _compare_labels(results, metric)
    records = []
    for ds, rows in results.rows_by_dataset().items():
        if ds not in base_rows:
            continue
        balgo, bcfg = base_rows[ds]
        for algo, cfg in rows:
            if (algo, cfg) == (balgo, bcfg):
                continue
            for lab in labels:
                pair = _paired(results, ds, (balgo, bcfg), (algo, cfg), lab)
                if pair is None:
                    continue
                stats = compare_paired(*pair)
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
