"""Dose-response fits (clustersim.thresholds.dose_response) against published worked examples,
statsmodels' own GLM, and every degenerate data set."""

from __future__ import annotations

import math

import numpy as np
import pytest
import statsmodels.api as sm
from scipy import optimize, stats

from clustersim.thresholds.dose_response import dose_response, dose_response_curve, fieller

# Bliss (1935), beetle mortality after 5 h of carbon disulphide, as in Agresti, Categorical Data
# Analysis (2nd ed., 2002, section 6.1.2 and p. 207 for the inverse interval): log10 dose, beetles, killed.
BEETLE_LDOSE = [1.6907, 1.7242, 1.7552, 1.7842, 1.8113, 1.8369, 1.8610, 1.8839]
BEETLE_N = [59, 60, 62, 56, 63, 59, 62, 60]
BEETLE_KILLED = [6, 13, 18, 28, 52, 53, 61, 60]


def test_beetle_ld50_delta_and_fieller_intervals():
    """Agresti's logit fit (alpha = -60.72, beta = 34.27); LD50 = 1.7717 with delta-method SE
    0.003858052 (R: investr::invest(..., interval = "Wald") and MASS::dose.p agree, investr's test
    suite pins this value); the Fieller (inversion) limits solve |a + b x| / sqrt(var) = 1.96, which
    investr brackets in (1.76, 1.77) and (1.77, 1.79): here solved by root-finding, independently of
    the closed form under test."""
    r = dose_response(BEETLE_LDOSE, BEETLE_KILLED, BEETLE_N, p=0.5)
    assert r.status == "ok"
    assert r.coef[0] == pytest.approx(-60.72, abs=0.01) and r.coef[1] == pytest.approx(34.27, abs=0.01)
    assert r.x == pytest.approx(1.7717, abs=1e-4)
    assert r.se == pytest.approx(0.003858052, rel=1e-5)
    assert r.ci_delta == pytest.approx((r.x - 1.959964 * r.se, r.x + 1.959964 * r.se), rel=1e-6)
    (b0, b1), v = r.coef, r.cov

    def excess(x):
        return abs(b0 + b1 * x) / math.sqrt(v[0, 0] + 2 * x * v[0, 1] + x * x * v[1, 1]) - stats.norm.ppf(0.975)

    lo = optimize.brentq(excess, 1.76, 1.77, xtol=1e-12)
    hi = optimize.brentq(excess, 1.77, 1.79, xtol=1e-12)
    assert r.fieller_kind == "bounded"
    assert r.ci_fieller == pytest.approx((lo, hi), abs=1e-9)
    assert r.ci_fieller[0] < r.x < r.ci_fieller[1]


@pytest.mark.parametrize(("p", "dose", "se"), [(0.25, 2.231265, 0.2499089), (0.50, 3.263587, 0.2297539),
                                               (0.75, 4.295910, 0.2746874)])
def test_budworm_dose_p_with_a_covariate(p, dose, se):
    """Venables & Ripley, Modern Applied Statistics with S (4th ed., 2002), section 7.2: tobacco
    budworm, glm(SF ~ sex + ldose - 1, binomial); dose.p(cf = c(1, 3), p = 1:3/4) for females gives
    these log2 doses and standard errors. Here: the second lever (sex) enters without interaction."""
    ldose = list(range(6)) * 2
    dead = [1, 4, 9, 13, 18, 20, 0, 2, 6, 10, 12, 16]
    male = [1] * 6 + [0] * 6
    c = dose_response_curve(ldose, male, dead, [20] * 12, at=[0], p=p, interaction=False)
    assert c.status == "ok"
    assert c.x[0] == pytest.approx(dose, rel=1e-5)
    assert c.se[0] == pytest.approx(se, rel=1e-5)
    assert c.kind[0] == "bounded" and c.lo[0] < c.x[0] < c.hi[0]


def test_fit_matches_statsmodels_glm_and_the_curve_matches_separate_fits():
    rng = np.random.default_rng(7)
    x = np.repeat(np.linspace(0, 4, 9), 1)
    n = np.full(x.size, 30)
    k = rng.binomial(n, 1 / (1 + np.exp(-(2.0 * (x - 1.7)))))
    r = dose_response(x, k, n)
    ref = sm.GLM(np.column_stack([k, n - k]), sm.add_constant(x), family=sm.families.Binomial()).fit()
    np.testing.assert_allclose(r.coef, ref.params, rtol=1e-8)
    np.testing.assert_allclose(r.cov, ref.cov_params(), rtol=1e-6)
    assert r.gof_pvalue == pytest.approx(stats.chi2.sf(ref.deviance, x.size - 2), rel=1e-8)
    # with an interaction, the curve at each z equals the separate fit at that z (saturated in z)
    z = np.r_[np.zeros(x.size), np.ones(x.size)]
    k2 = np.r_[k, rng.binomial(n, 1 / (1 + np.exp(-(1.0 * (x - 2.5)))))]
    c = dose_response_curve(np.r_[x, x], z, k2, np.r_[n, n], at=[0, 1])
    for i, zv in enumerate((0, 1)):
        sep = dose_response(x, k2[z == zv], n)
        assert c.x[i] == pytest.approx(sep.x, rel=1e-6)
        assert c.se[i] == pytest.approx(sep.se, rel=1e-5)
        assert (c.lo[i], c.hi[i]) == pytest.approx(sep.ci_fieller, rel=1e-5)


def test_decreasing_response_and_extrapolation():
    r = dose_response([0.005, 0.01, 0.02, 0.03, 0.04], [19, 17, 12, 6, 2], [20] * 5)
    assert r.status == "ok" and r.coef[1] < 0 and 0.02 < r.x < 0.03
    e = dose_response([2, 3, 4], [12, 15, 18], [20] * 3, increasing=True)
    assert e.status == "extrapolated" and e.x < 2 and "below the smallest level tried" in e.message


@pytest.mark.parametrize(("levels", "k", "n", "status", "words"), [
    ([0, 1, 2], [5, 5, 5], [5, 5, 5], "all_above", "below the smallest level tried (0)"),
    ([0, 1, 2], [0, 0, 0], [5, 5, 5], "all_below", "above the largest level tried (2)"),
    ([0, 1, 2, 3], [0, 0, 5, 5], [5, 5, 5, 5], "separated", "lies between levels 1 and 2"),
    ([0, 1, 2, 3], [0, 2, 5, 5], [5, 5, 5, 5], "separated", "lies between levels 1 and 2"),  # 40 % at 1: above it
    ([0, 1, 2, 3], [0, 4, 5, 5], [5, 5, 5, 5], "separated", "lies between levels 0 and 1"),  # 80 % at 1: below it
    ([0, 1, 2, 3], [0, 0, 0, 1], [16, 16, 16, 16], "separated", "above the largest level tried (3)"),
    ([0, 1, 2, 3], [5, 5, 5, 0], [5, 5, 5, 5], "separated", "lies between levels 2 and 3"),  # decreasing
    ([1.5], [2], [5], "one_level", "one level only"),
    ([1.5, 2.5], [2, 0], [5, 0], "one_level", "one level only"),  # a level with no trials is dropped
    ([0, 1], [0, 0], [0, 0], "no_data", "no runs"),
    ([0, 1, 2, 3], [2, 3, 2, 3], [5, 5, 5, 5], "flat", "do not locate the level"),
])
def test_degenerate_data_get_a_clear_answer_and_no_number(levels, k, n, status, words):
    r = dose_response(levels, k, n, increasing=True)
    assert r.status == status
    assert words in r.message
    assert not r.located
    assert r.text() == r.message  # a report prints the sentence, never a bare number


def test_fieller_kinds_and_bad_input():
    assert fieller(-1.0, 1.0, 0.01, 0.0, 0.01)[1] == "bounded"
    assert fieller(-1.0, 0.1, 0.01, 0.0, 0.01)[1] == "exclusive"
    assert fieller(-0.01, 0.01, 1.0, 0.0, 1.0)[1] == "unbounded"
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        dose_response([0, 1], [1, 2], [3, 3], p=1.0)
    with pytest.raises(ValueError, match="0 <= successes <= trials"):
        dose_response([0, 1], [4, 2], [3, 3])
    with pytest.raises(ValueError, match="same length"):
        dose_response([0, 1], [1], [3, 3])
