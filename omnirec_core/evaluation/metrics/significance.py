"""Paired significance tests on per-user metric values.

Two algorithms evaluated on the same test users give paired samples a_u (baseline) and
b_u; with d_u = b_u - a_u:

- paired t-test: t = mean(d) / (sd(d) / sqrt(n)), two-sided, n - 1 degrees of freedom;
- Wilcoxon signed-rank test on d (zero differences dropped, scipy's default), two-sided;
- effect size Cohen's d_z = mean(d) / sd(d);
- a confidence interval for mean(d) from the t distribution;
- Holm's step-down correction of the p-values of a family of comparisons.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from scipy import stats


@dataclass(frozen=True)
class PairedComparison:
    """The outcome of comparing paired samples ``b`` (candidate) against ``a`` (baseline)."""

    n: int
    mean_baseline: float
    mean: float
    diff: float
    ci_low: float
    ci_high: float
    cohens_d: float
    t_stat: float
    t_p: float
    w_stat: float
    w_p: float

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


def align(
    users_a: np.ndarray, values_a: np.ndarray, users_b: np.ndarray, values_b: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Values of the users both have (each ``users_*`` sorted and unique), NaNs dropped."""
    _, ia, ib = np.intersect1d(users_a, users_b, assume_unique=True, return_indices=True)
    a, b = np.asarray(values_a, dtype=np.float64)[ia], np.asarray(values_b, dtype=np.float64)[ib]
    keep = np.isfinite(a) & np.isfinite(b)
    return a[keep], b[keep]


def _degenerate(mean: float) -> tuple[float, float]:
    """(statistic, p) when every difference is the same value."""
    if mean == 0:
        return 0.0, 1.0
    return float(np.copysign(np.inf, mean)), 0.0


def paired_ttest(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """Two-sided paired t-test of mean(b - a) = 0: ``(t, p)``."""
    d = np.asarray(b, dtype=np.float64) - np.asarray(a, dtype=np.float64)
    if len(d) < 2:
        return float("nan"), float("nan")
    if np.ptp(d) == 0:
        return _degenerate(float(d[0]))
    res = stats.ttest_rel(b, a)
    return float(res.statistic), float(res.pvalue)


def wilcoxon_test(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """Two-sided Wilcoxon signed-rank test on b - a: ``(W, p)`` (zero differences dropped)."""
    d = np.asarray(b, dtype=np.float64) - np.asarray(a, dtype=np.float64)
    if np.count_nonzero(d) == 0:
        return (0.0, 1.0) if len(d) else (float("nan"), float("nan"))
    res = stats.wilcoxon(d)
    return float(res.statistic), float(res.pvalue)


def cohens_d(a: np.ndarray, b: np.ndarray) -> float:
    """Cohen's d_z for paired samples: mean(b - a) / sd(b - a) (sd with n - 1)."""
    d = np.asarray(b, dtype=np.float64) - np.asarray(a, dtype=np.float64)
    if len(d) < 2:
        return float("nan")
    sd = float(np.std(d, ddof=1))
    mean = float(d.mean())
    if sd == 0:
        return 0.0 if mean == 0 else float(np.copysign(np.inf, mean))
    return mean / sd


def mean_ci(x: np.ndarray, level: float = 0.95) -> tuple[float, float]:
    """Confidence interval of the mean: mean ± t_{(1+level)/2, n-1} * sd / sqrt(n)."""
    x = np.asarray(x, dtype=np.float64)
    n = len(x)
    if n < 2:
        return float("nan"), float("nan")
    half = stats.t.ppf((1 + level) / 2, n - 1) * np.std(x, ddof=1) / np.sqrt(n)
    m = float(x.mean())
    return m - float(half), m + float(half)


def holm(pvalues: np.ndarray) -> np.ndarray:
    """Holm-Bonferroni adjusted p-values (NaNs stay NaN and do not count as tests).

    Sorted ascending p_(1) <= ... <= p_(m): adj_(j) = max_{l <= j} min(1, (m - l + 1) p_(l)).
    """
    p = np.asarray(pvalues, dtype=np.float64)
    out = np.full(p.shape, np.nan)
    finite = np.flatnonzero(np.isfinite(p))
    m = len(finite)
    if m == 0:
        return out
    order = finite[np.argsort(p[finite], kind="stable")]
    adj = np.maximum.accumulate(p[order] * (m - np.arange(m)))
    out[order] = np.minimum(adj, 1.0)
    return out


def compare_paired(a: np.ndarray, b: np.ndarray, *, level: float = 0.95) -> PairedComparison:
    """All statistics for candidate ``b`` against baseline ``a`` (already paired)."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    d = b - a
    t, tp = paired_ttest(a, b)
    w, wp = wilcoxon_test(a, b)
    lo, hi = mean_ci(d, level)
    nan = float("nan")
    return PairedComparison(
        n=len(d),
        mean_baseline=float(a.mean()) if len(a) else nan,
        mean=float(b.mean()) if len(b) else nan,
        diff=float(d.mean()) if len(d) else nan,
        ci_low=lo,
        ci_high=hi,
        cohens_d=cohens_d(a, b),
        t_stat=t,
        t_p=tp,
        w_stat=w,
        w_p=wp,
    )
