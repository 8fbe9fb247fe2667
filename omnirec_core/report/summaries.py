"""The numbers behind each plot, summarised from the records (never one point per user).

Every function returns plain data (lists, dicts, floats; ``None`` for a missing value),
which the plots draw and the report embeds as JSON. Values are the evaluation's own:
metric@k curves and fold spreads are the per-job values (their means are the table's),
per-user distributions are quantiles of the stored per-user values, significance uses
the paired tests of :mod:`omnirec_core.evaluation.metrics.significance` with Holm's
correction over all pairs of a dataset.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy import stats

from omnirec_core.evaluation.labels import config_text, row_label
from omnirec_core.evaluation.metrics.base import split_label
from omnirec_core.evaluation.metrics.significance import holm, wilcoxon_test
from omnirec_core.evaluation.resultset import Key, ResultSet
from omnirec_core.report.records import TreeRecords

#: Paired values (over all pairs of a dataset) up to which Wilcoxon tests are run; each
#: needs a sort of its own, so beyond this the matrix shows the (vectorised) t-tests only.
WILCOXON_BUDGET = 20_000_000


def number(x: Any) -> float | None:
    """A finite float, else ``None`` (JSON-safe)."""
    try:
        f = float(x)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def rows(results: ResultSet, dataset: str) -> list[tuple[str, str]]:
    """The (algorithm, config JSON) rows of a dataset that have results, in table order."""
    return results.rows_by_dataset().get(dataset, [])


def _row_jobs(results: ResultSet, dataset: str) -> dict[tuple[str, str], list[Key]]:
    out: dict[tuple[str, str], list[Key]] = {}
    for key in results.jobs():
        if key[0] == dataset:
            out.setdefault((key[1], key[2]), []).append(key)
    return out


def metric_curves(results: ResultSet, dataset: str) -> list[dict[str, Any]]:
    """Per metric with two or more cutoffs: its cutoffs and each row's mean over folds at each."""
    jobs = results.jobs()
    by_row = _row_jobs(results, dataset)
    ks: dict[str, list[int]] = {}
    for lab in results.labels(dataset):
        name, k = split_label(lab)
        if k is not None:
            ks.setdefault(name, []).append(int(k))
    out = []
    for name, cutoffs in ks.items():
        cutoffs = sorted(set(cutoffs))
        if len(cutoffs) < 2:
            continue
        series = []
        for algo, cfg in rows(results, dataset):
            values = []
            for k in cutoffs:
                vals = [jobs[key].values[f"{name}@{k}"] for key in by_row[(algo, cfg)]]
                vals = [v for v in vals if v == v]
                values.append(number(np.mean(vals)) if vals else None)
            series.append({"row": row_label(algo, cfg), "values": values})
        out.append({"metric": name, "ks": cutoffs, "series": series})
    return out


def _box(values: np.ndarray) -> dict[str, Any]:
    """Box-plot statistics: quartiles, Tukey whiskers (furthest value within 1.5 IQR), mean."""
    q1, med, q3 = np.quantile(values, [0.25, 0.5, 0.75])
    iqr = q3 - q1
    inside = values[(values >= q1 - 1.5 * iqr) & (values <= q3 + 1.5 * iqr)]
    return {
        "n": len(values),
        "mean": float(values.mean()),
        "q1": float(q1),
        "median": float(med),
        "q3": float(q3),
        "whislo": float(inside.min()),
        "whishi": float(inside.max()),
        "min": float(values.min()),
        "max": float(values.max()),
        "zero_share": float(np.mean(values == 0)),
    }


def distributions(results: ResultSet, dataset: str, label: str) -> list[dict[str, Any]]:
    """Per row with per-user values of ``label``: box statistics of every evaluated user's
    value, pooled over folds."""
    jobs = results.jobs()
    out = []
    for (algo, cfg), keys in _row_jobs(results, dataset).items():
        parts = [jobs[k].per_user[label] for k in keys if label in jobs[k].per_user]
        if not parts:
            continue
        values = np.concatenate(parts).astype(np.float64)
        values = values[np.isfinite(values)]
        if len(values) == 0:
            continue
        out.append({"row": row_label(algo, cfg), **_box(values)})
    order = {row_label(*r): i for i, r in enumerate(rows(results, dataset))}
    return sorted(out, key=lambda d: order.get(d["row"], len(order)))


def fold_spread(results: ResultSet, dataset: str, label: str) -> list[dict[str, Any]] | None:
    """Per row: ``label``'s value in each fold, their mean and std (n-1); None without folds."""
    jobs = results.jobs()
    by_row = _row_jobs(results, dataset)
    if not any(k[3] is not None for keys in by_row.values() for k in keys):
        return None
    out = []
    for algo, cfg in rows(results, dataset):
        keys = sorted(by_row[(algo, cfg)], key=lambda k: -1 if k[3] is None else k[3])
        pairs = [(k[3], jobs[k].values[label]) for k in keys if label in jobs[k].values]
        vals = np.array([v for _, v in pairs], dtype=np.float64)
        out.append(
            {
                "row": row_label(algo, cfg),
                "folds": [f for f, _ in pairs],
                "values": [number(v) for _, v in pairs],
                "mean": number(vals.mean()) if len(vals) else None,
                "std": number(np.std(vals, ddof=1)) if len(vals) > 1 else None,
            }
        )
    return out


def pairwise(
    results: ResultSet, dataset: str, label: str, *, budget: int = WILCOXON_BUDGET
) -> dict[str, Any] | None:
    """Every pair of rows of ``dataset`` compared on ``label``'s per-user values.

    Users are paired within each fold and pooled over folds, as in
    :func:`~omnirec_core.evaluation.comparison.compare`. Paired t-tests for all pairs come
    from sums over users computed with matrix products (the same t as
    :func:`~omnirec_core.evaluation.metrics.significance.paired_ttest`); Wilcoxon
    signed-rank tests run pair by pair while the paired values stay within ``budget``.
    p-values are Holm-corrected over all pairs. ``diff[i][j]`` is the mean of row i minus
    the mean of row j over their paired users. None with fewer than two rows.
    """
    jobs = results.jobs()
    by_row = _row_jobs(results, dataset)
    present = [r for r in rows(results, dataset) if any(label in jobs[k].per_user for k in by_row[r])]
    n_rows = len(present)
    if n_rows < 2:
        return None
    index = {r: i for i, r in enumerate(present)}
    folds = sorted({k[3] for r in present for k in by_row[r]}, key=lambda f: -1 if f is None else f)
    parts = []
    for fold in folds:
        members = [
            (index[r], jobs[k])
            for r in present
            for k in by_row[r]
            if k[3] == fold and label in jobs[k].per_user
        ]
        if not members:
            continue
        first = members[0][1].users
        if all(np.array_equal(res.users, first) for _, res in members):
            parts.append((members, first, True))  # the usual case: the same test users for every row
        else:
            parts.append((members, np.unique(np.concatenate([res.users for _, res in members])), False))
    iu = np.triu_indices(n_rows, 1)
    keep = len(iu[0]) * sum(len(users) for _, users, _ in parts) <= budget  # an upper bound
    n = np.zeros((n_rows, n_rows))
    sum_d = np.zeros((n_rows, n_rows))  # sum of (row j - row i) over the users both have
    sum_d2 = np.zeros((n_rows, n_rows))
    squares = np.zeros(n_rows)
    matrices: list[tuple[dict[int, int], np.ndarray]] = []  # for the Wilcoxon tests
    for members, users, aligned in parts:
        members = sorted(members, key=lambda m: m[0])
        rows_here = np.array([i for i, _ in members])
        values = np.full((len(members), len(users)), np.nan)
        for pos, (_, res) in enumerate(members):
            values[pos, slice(None) if aligned else np.searchsorted(users, res.users)] = res.per_user[label]
        mask = np.isfinite(values)
        at = np.ix_(rows_here, rows_here)
        if (mask == mask[:1]).all():
            # The usual case: every row has the same users (NaN for the same ones), so one
            # product gives every pair's cross sums; the rest are per-row sums.
            x = values if mask[0].all() else values[:, mask[0]]
            row_sum, row_sq = x.sum(axis=1), (x * x).sum(axis=1)
            n[at] += x.shape[1]
            sum_d[at] += row_sum[None, :] - row_sum[:, None]
            sum_d2[at] += row_sq[:, None] + row_sq[None, :] - 2.0 * (x @ x.T)
        else:
            x = np.where(mask, values, 0.0)
            m = mask.astype(np.float64)
            s = x @ m.T  # s[i, j]: sum of row i's values over the users row j also has
            q = (x * x) @ m.T
            n[at] += m @ m.T
            sum_d[at] += s.T - s
            sum_d2[at] += q.T + q - 2.0 * (x @ x.T)
            row_sq = (x * x).sum(axis=1)
        squares[rows_here] += row_sq
        if keep:
            matrices.append(({int(r): k for k, r in enumerate(rows_here)}, values))
    nn, total, total2 = n[iu], sum_d[iu], sum_d2[iu]
    t_p = np.full((n_rows, n_rows), np.nan)
    diff = np.full((n_rows, n_rows), np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = total / nn
        var = (total2 - nn * mean**2) / (nn - 1)
        # Rounding leaves a trace of variance where every difference is the same value.
        tiny = 1e-12 * np.maximum((squares[iu[0]] + squares[iu[1]]) / np.maximum(nn, 1), 1e-300)
        valid = nn >= 2
        same = valid & (var <= tiny)
        zero = same & (np.abs(mean) <= np.sqrt(tiny))
        t = mean / np.sqrt(var / nn)
        p = 2.0 * stats.t.sf(np.abs(t), np.maximum(nn - 1, 1))
    p = np.where(same, np.where(zero, 1.0, 0.0), p)
    p = np.where(valid, p, np.nan)
    mean = np.where(zero, 0.0, np.where(valid, mean, np.nan))
    t_p[iu], t_p[iu[::-1]] = p, p
    diff[iu], diff[iu[::-1]] = -mean, mean
    t_holm = _holm_matrix(t_p, iu)
    paired_values = int(nn.sum())
    w_p = w_holm = None
    note = ""
    if keep and paired_values <= budget:
        w_p = np.full((n_rows, n_rows), np.nan)
        for i, j in zip(iu[0].tolist(), iu[1].tolist()):
            a_parts, b_parts = [], []
            for where, v in matrices:
                if i in where and j in where:
                    a, b = v[where[i]], v[where[j]]
                    ok = np.isfinite(a) & np.isfinite(b)
                    a_parts.append(a[ok])
                    b_parts.append(b[ok])
            if a_parts and sum(map(len, a_parts)):
                w_p[i, j] = w_p[j, i] = wilcoxon_test(np.concatenate(a_parts), np.concatenate(b_parts))[1]
        w_holm = _holm_matrix(w_p, iu)
    else:
        note = (
            f"Wilcoxon tests left out: {len(iu[0]):,} pairs over {paired_values:,} paired values exceed "
            f"the {budget:,} the report runs; `omnirec results --compare BASELINE` runs them against one baseline"
        )
    return {
        "metric": label,
        "rows": [row_label(*r) for r in present],
        "n": n.astype(np.int64).tolist(),
        "diff": _matrix(diff),
        "t_p": _matrix(t_p),
        "t_p_holm": _matrix(t_holm),
        "w_p": None if w_p is None else _matrix(w_p),
        "w_p_holm": None if w_holm is None else _matrix(w_holm),
        "note": note,
    }


def _holm_matrix(p: np.ndarray, iu: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    out = np.full(p.shape, np.nan)
    adj = holm(p[iu])
    out[iu] = adj
    out[(iu[1], iu[0])] = adj
    return out


def _matrix(a: np.ndarray) -> list[list[float | None]]:
    return [[number(v) for v in row] for row in a]


def costs(tree: TreeRecords, dataset: str) -> list[dict[str, Any]]:
    """Per row with results: fit and predict wall time (s) and the runner's peak memory (MiB),
    mean, min and max over its jobs, from their ``job.json``."""
    out = []
    by_row: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for job in tree.test_jobs(dataset):
        if job.info.get("status") == "done":
            by_row.setdefault(job.row, []).append(job.info)
    for algo, cfg in rows(tree.results, dataset):
        infos = by_row.get((algo, cfg), [])
        entry: dict[str, Any] = {"row": row_label(algo, cfg), "jobs": len(infos)}
        for name, get in (
            ("fit_s", lambda i: (i.get("timings") or {}).get("fit_wall_s")),
            ("predict_s", lambda i: (i.get("timings") or {}).get("predict_wall_s")),
            ("peak_rss_mib", lambda i: i.get("peak_rss_mib")),
        ):
            vals = [v for v in (number(get(i)) for i in infos) if v is not None]
            entry[name] = number(np.mean(vals)) if vals else None
            entry[f"{name}_min"] = min(vals) if vals else None
            entry[f"{name}_max"] = max(vals) if vals else None
        out.append(entry)
    return out


def _log_scaled(spec: Any) -> bool:
    return isinstance(spec, dict) and ("loguniform" in spec or bool(spec.get("log")))


def search_history(search: dict[str, Any]) -> dict[str, Any]:
    """A search's trials in order: validation score (None when failed) and the best so far."""
    maximize = bool(search.get("maximize", True))
    trials = sorted(search.get("trials") or [], key=lambda t: int(t.get("trial", 0)))
    best: float | None = None
    scores, best_so_far = [], []
    for t in trials:
        score = number(t.get("score"))
        scores.append(score)
        if score is not None and (best is None or (score > best if maximize else score < best)):
            best = score
        best_so_far.append(best)
    return {
        "algorithm": search.get("algorithm"),
        "dataset": search.get("label"),
        "metric": search.get("metric"),
        "maximize": maximize,
        "trials": [int(t.get("trial", 0)) for t in trials],
        "scores": scores,
        "best_so_far": best_so_far,
        "selected": search.get("best"),
    }


def search_params(search: dict[str, Any]) -> list[dict[str, Any]]:
    """Per searched parameter: each trial's value and score, and how to draw the axis."""
    space = search.get("space") or {}
    trials = sorted(search.get("trials") or [], key=lambda t: int(t.get("trial", 0)))
    out = []
    for name, spec in space.items():
        values = [(t.get("config") or {}).get(name) for t in trials]
        numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)
        out.append(
            {
                "param": name,
                "values": values if numeric else [None if v is None else str(v) for v in values],
                "scores": [number(t.get("score")) for t in trials],
                "trials": [int(t.get("trial", 0)) for t in trials],
                "kind": "log" if numeric and _log_scaled(spec) else "linear" if numeric else "categorical",
            }
        )
    return out


def config_cell(config: str) -> str:
    """A config JSON as shown in tables (``-`` when empty)."""
    return config_text(config) or "-"
