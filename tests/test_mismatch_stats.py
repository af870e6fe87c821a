"""Statistics the investment-mismatch analysis uses: hand-computed values and reference calls."""

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.contingency_tables import Table2x2

from crmlens.analyses.investment_mismatch.composite import decompose
from crmlens.stats.basic import cume_dist, min_max, winsorise
from crmlens.stats.inference import anova, pearson, rr_ci


def test_winsorise_bounds_linear_percentiles():
    x = pd.Series(np.arange(1, 101, dtype=float))
    w, (lo, hi) = winsorise(x, 0.01, 0.99)
    assert lo == pytest.approx(1.99) and hi == pytest.approx(99.01)  # 1 + 0.99·1, 99 + 0.01·1
    assert w.min() == pytest.approx(1.99) and w.max() == pytest.approx(99.01)
    assert w.iloc[50] == 51


def test_min_max_and_constant():
    assert list(min_max(pd.Series([2.0, 4.0, 6.0]))) == [0.0, 0.5, 1.0]
    assert list(min_max(pd.Series([3.0, 3.0]))) == [0.5, 0.5]


def test_cume_dist_keeps_ties_together():
    assert list(cume_dist(pd.Series([1, 2, 2, 3]))) == [0.25, 0.75, 0.75, 1.0]
    prio = pd.Series([1, 2, 3, 4, 5, 6, 7, 8, 8, 8])
    top = cume_dist(prio) >= 0.7
    assert int(top.sum()) == 4  # 7 (cume 0.7) and the three tied 8s


def test_rr_ci_against_statsmodels():
    a, n1, c, n2 = 10, 20, 10, 80
    rr, lo, hi = rr_ci(a, n1, c, n2)
    assert rr == pytest.approx(4.0)  # (10/20) / (10/80)
    se = math.sqrt(1 / 10 - 1 / 20 + 1 / 10 - 1 / 80)
    assert lo == pytest.approx(4 * math.exp(-1.959964 * se), rel=1e-6)
    t = Table2x2(np.array([[a, n1 - a], [c, n2 - c]]))
    assert rr == pytest.approx(t.riskratio)
    ref_lo, ref_hi = t.riskratio_confint()
    assert lo == pytest.approx(ref_lo) and hi == pytest.approx(ref_hi)
    assert math.isnan(rr_ci(1, 5, 0, 5)[0])  # no events in the rest: undefined


def test_pearson_t_and_p_against_scipy():
    rng = np.random.default_rng(3)
    x = pd.Series(rng.normal(size=200))
    y = 0.3 * x + pd.Series(rng.normal(size=200))
    c = pearson(x, y)
    ref = stats.pearsonr(x, y)
    assert c.r == pytest.approx(ref.statistic) and c.p == pytest.approx(ref.pvalue)
    assert c.t == pytest.approx(c.r * math.sqrt(198) / math.sqrt(1 - c.r**2))
    lin = stats.linregress(x, y)  # the slope's t statistic equals Pearson's t
    assert c.t == pytest.approx(lin.slope / lin.stderr)
    assert math.isnan(pearson(pd.Series([1.0, 1.0, 1.0]), pd.Series([1.0, 2.0, 3.0])).r)


def test_anova_hand_computed():
    f, p = anova([np.array([1.0, 2.0, 3.0]), np.array([4.0, 5.0, 6.0])])
    # SSB = 2·3·1.5² = 13.5 (df 1); SSW = 2 + 2 = 4 (df 4) → F = 13.5 / 1 = 13.5
    assert f == pytest.approx(13.5)
    assert p == pytest.approx(stats.f.sf(13.5, 1, 4))


def test_decomposition_sums_to_one():
    shares = decompose(
        {"sales": 0.2, "adoption": 0.1, "support": 0.0},
        {"sales": 0.5, "adoption": 0.5, "support": 0.25},
    )
    assert shares == pytest.approx({"sales": 2 / 3, "adoption": 1 / 3, "support": 0.0})
    assert sum(shares.values()) == pytest.approx(1.0)


def test_one_way_anova_with_effect_size_against_scipy():
    from crmlens.stats.inference import one_way

    groups = [np.array([1.0, 2.0, 3.0]), np.array([4.0, 5.0, 6.0]), np.array([9.0])]
    res = one_way(groups)  # the single value is left out (a group needs two)
    ref = stats.f_oneway(groups[0], groups[1])
    assert res.f == pytest.approx(ref.statistic) and res.p == pytest.approx(ref.pvalue)
    # SSB = 13.5, SSW = 4 → η² = 13.5 / 17.5
    assert res.eta2 == pytest.approx(13.5 / 17.5)
    assert (res.df_between, res.df_within, res.n) == (1, 4, 6)
    assert math.isnan(one_way([np.array([1.0, 2.0])]).f)


def test_cohort_anova_on_mismatched_customers_only():
    from crmlens.analyses.investment_mismatch.stages import log_roi_anova

    df = pd.DataFrame(
        {
            "lifecycle_stage": ["A", "A", "A", "B", "B", "B", "B", "C"],
            "roi": [1.0, 2.0, 4.0, 3.0, 9.0, 27.0, -1.0, 5.0],
            "mismatched": [True, True, True, True, True, True, True, False],
        }
    )
    res = log_roi_anova(df, df["mismatched"])  # ROI ≤ 0 and C (not mismatched) left out
    ref = stats.f_oneway(np.log([1.0, 2.0, 4.0]), np.log([3.0, 9.0, 27.0]))
    assert res.f == pytest.approx(ref.statistic) and res.p == pytest.approx(ref.pvalue)
    assert res.n == 6 and res.df_between == 1
    # log values: A = (0, 1, 2)·ln 2, B = (1, 2, 3)·ln 3
    a, b = np.log([1.0, 2.0, 4.0]), np.log([3.0, 9.0, 27.0])
    grand = np.concatenate([a, b]).mean()
    ssb = 3 * (a.mean() - grand) ** 2 + 3 * (b.mean() - grand) ** 2
    sst = ((np.concatenate([a, b]) - grand) ** 2).sum()
    assert res.eta2 == pytest.approx(ssb / sst)
