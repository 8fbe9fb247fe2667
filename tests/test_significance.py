"""Paired tests, effect size, intervals and Holm correction against scipy and hand values."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from omnirec_core.evaluation.metrics.significance import (
    align,
    cohens_d,
    compare_paired,
    holm,
    mean_ci,
    paired_ttest,
    wilcoxon_test,
)

# Known paired sample (e.g. per-user NDCG of a baseline and a candidate).
A = np.array([0.20, 0.35, 0.10, 0.50, 0.42, 0.33, 0.28, 0.15, 0.60, 0.05, 0.44, 0.31])
B = np.array([0.25, 0.40, 0.12, 0.48, 0.50, 0.39, 0.30, 0.22, 0.66, 0.11, 0.47, 0.30])


def test_paired_ttest_matches_scipy():
    t, p = paired_ttest(A, B)
    ref = stats.ttest_rel(B, A)
    assert t == pytest.approx(ref.statistic)
    assert p == pytest.approx(ref.pvalue)
    d = B - A  # and the textbook formula
    assert t == pytest.approx(d.mean() / (d.std(ddof=1) / math.sqrt(len(d))))
    assert t > 0 and p < 0.01


def test_wilcoxon_matches_scipy():
    w, p = wilcoxon_test(A, B)
    ref = stats.wilcoxon(B - A)
    assert w == pytest.approx(ref.statistic)
    assert p == pytest.approx(ref.pvalue)


def test_degenerate_differences():
    same = np.array([0.25, 0.5, 0.75])
    assert paired_ttest(same, same) == (0.0, 1.0)
    assert wilcoxon_test(same, same) == (0.0, 1.0)
    assert cohens_d(same, same) == 0.0
    t, p = paired_ttest(same, same + 0.25)  # constant non-zero shift (exact in binary)
    assert t == math.inf and p == 0.0
    assert math.isnan(paired_ttest(np.array([1.0]), np.array([2.0]))[1])


def test_cohens_d_paired():
    d = B - A
    assert cohens_d(A, B) == pytest.approx(d.mean() / d.std(ddof=1))


def test_mean_ci_matches_scipy_interval():
    d = B - A
    lo, hi = mean_ci(d, 0.95)
    ref = stats.t.interval(0.95, len(d) - 1, loc=d.mean(), scale=stats.sem(d))
    assert (lo, hi) == pytest.approx(ref)


def test_holm_hand_computed():
    # sorted p: 0.005, 0.01, 0.03, 0.04 -> x4, x3, x2, x1 -> 0.02, 0.03, 0.06, 0.04 -> running max
    p = np.array([0.01, 0.04, 0.03, 0.005])
    assert holm(p).tolist() == pytest.approx([0.03, 0.06, 0.06, 0.02])


def test_holm_caps_at_one_and_keeps_nan():
    out = holm(np.array([0.6, np.nan, 0.5]))
    assert out[0] == 1.0 and out[2] == 1.0  # 2 tests: 0.5 * 2 = 1.0, 0.6 -> max(1.0, 0.6) = 1.0
    assert math.isnan(out[1])
    assert holm(np.array([0.02]))[0] == 0.02  # a single test is unchanged


def test_holm_against_statsmodels_formula():
    rng = np.random.default_rng(3)
    p = rng.random(20) ** 3
    m = len(p)
    order = np.argsort(p)
    expected = np.empty(m)
    running = 0.0
    for j, idx in enumerate(order):
        running = max(running, min(1.0, (m - j) * p[idx]))
        expected[idx] = running
    assert holm(p).tolist() == pytest.approx(expected.tolist())


def test_align_pairs_by_user_and_drops_nan():
    a, b = align(
        np.array([1, 2, 5, 9]),
        np.array([0.1, 0.2, np.nan, 0.9]),
        np.array([2, 5, 9, 11]),
        np.array([1.2, 1.5, 1.9, 1.11]),
    )
    assert a.tolist() == [0.2, 0.9]
    assert b.tolist() == [1.2, 1.9]


def test_compare_paired_collects_everything():
    res = compare_paired(A, B)
    assert res.n == len(A)
    assert res.mean_baseline == pytest.approx(A.mean())
    assert res.mean == pytest.approx(B.mean())
    assert res.diff == pytest.approx((B - A).mean())
    assert res.ci_low < res.diff < res.ci_high
    assert res.t_p == pytest.approx(stats.ttest_rel(B, A).pvalue)
    assert res.w_p == pytest.approx(stats.wilcoxon(B - A).pvalue)
    assert set(res.as_dict()) >= {"t_stat", "w_stat", "cohens_d"}
